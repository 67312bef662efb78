//! The commands about the files behind the tickets: `backup` (a
//! consistent copy of the database with its attachment files) and
//! `attachments` (where a ticket's files are stored, and whether each is
//! still the one attached).

use super::args::{BackupArgs, KeyJson};
use super::{print, print_json};
use crate::app::App;
use crate::config::Lang;
use crate::text::sanitize_line;
use anyhow::{Result, bail};
use std::path::Path;

fn l(lang: Lang, es: &'static str, en: &'static str) -> &'static str {
    if lang == Lang::Es { es } else { en }
}

fn shown(p: &Path) -> String {
    sanitize_line(&p.display().to_string())
}

/// `guardia backup --out FILE`.
pub fn backup(a: &BackupArgs, app: &mut App) -> Result<()> {
    let lang = app.lang;
    let r = app.backup(&a.out)?;
    if a.json {
        print_json(&r)?;
    } else {
        let mut s = format!(
            "{} {} {} {} ({} {}, {} tickets, {} KB)\n",
            l(lang, "copia de", "backed up"),
            shown(app.store.path()),
            l(lang, "en", "to"),
            shown(&r.out),
            r.ops,
            l(lang, "cambios", "operations"),
            r.tickets,
            r.bytes.div_ceil(1024)
        );
        s.push_str(&format!(
            "{}: {} {} {} ({} {})\n",
            l(lang, "archivos adjuntos", "attachment files"),
            r.files_copied,
            l(lang, "copiados a", "copied to"),
            shown(&r.attachments_dir),
            r.files_present,
            l(lang, "ya estaban", "already there")
        ));
        if r.files_elsewhere > 0 {
            s.push_str(&format!(
                "{} {}\n",
                r.files_elsewhere,
                l(
                    lang,
                    "adjunto(s) de otras sedes no están aquí (solo viaja su descripción)",
                    "attachment(s) of other sites are not held here (only their description travels)"
                )
            ));
        }
        print(&s)?;
    }
    if !r.problems.is_empty() {
        for p in &r.problems {
            eprintln!("guardia: warning: {}", sanitize_line(p));
        }
        bail!(
            "the backup {} was made, but {} attachment file(s) of this site are not in it (listed above)",
            r.out.display(),
            r.problems.len()
        );
    }
    Ok(())
}

/// `guardia attachments KEY`.
pub fn attachments(a: &KeyJson, app: &App) -> Result<()> {
    let lang = app.lang;
    let files = app.attachments(&a.key)?;
    if a.json {
        return print_json(&files);
    }
    let key = sanitize_line(&a.key);
    if files.is_empty() {
        return print(&format!(
            "{key} {}",
            l(lang, "no tiene adjuntos", "has no attachments")
        ));
    }
    let mut s = String::new();
    for f in &files {
        s.push_str(&format!(
            "{}  {} B  sha256 {}  {} {}\n",
            sanitize_line(&f.name),
            f.size,
            sanitize_line(&f.sha256.chars().take(12).collect::<String>()),
            sanitize_line(&f.author),
            f.at.format("%Y-%m-%d %H:%M UTC")
        ));
        let author = sanitize_line(&f.author);
        let state = match (f.state, lang) {
            ("intact", Lang::Es) => "guardado, sin cambios".to_string(),
            ("intact", _) => "stored, unchanged".to_string(),
            ("missing", Lang::Es) => {
                format!("FALTA: restáurelo de una copia de seguridad, o pida el archivo a {author}")
            }
            ("missing", _) => {
                format!("MISSING: restore it from a backup, or ask {author} for the file")
            }
            ("changed", Lang::Es) => {
                "CAMBIÓ desde que se adjuntó: restáurelo de una copia de seguridad".to_string()
            }
            ("changed", _) => "CHANGED since it was attached: restore it from a backup".to_string(),
            ("unreadable", Lang::Es) => "no se puede leer: revise sus permisos".to_string(),
            ("unreadable", _) => "cannot be read: check its permissions".to_string(),
            (_, Lang::Es) => format!(
                "no está aquí: se adjuntó en la sede {}, y solo viaja su descripción; pídalo allí",
                sanitize_line(&f.site)
            ),
            (_, _) => format!(
                "not here: attached at site {}, and only its description travels; ask there",
                sanitize_line(&f.site)
            ),
        };
        s.push_str(&format!("  {}  ({state})\n", shown(&f.path)));
    }
    print(&s)
}
