//! What a sync says to operators about other sites and this one, in their
//! language: a key waiting to be trusted (and whether it can be), an
//! export withheld, a forked site. The command line and the console both
//! phrase these from the same facts; `--json` keeps the English texts,
//! which scripts and the docs quote.

use crate::config::Lang;
use serde::Serialize;

/// `1 change` / `2 changes`, `1 cambio` / `2 cambios`.
pub fn count(n: impl Into<i64>, one: &str, many: &str) -> String {
    let n = n.into();
    format!("{n} {}", if n == 1 { one } else { many })
}

/// A site whose key is in a shared folder but not trusted here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Pending {
    pub code: String,
    pub site_id: String,
    pub fingerprint: String,
    pub clash: CodeClash,
}

/// Whether another site known here uses a pending site's code too (ticket
/// keys are `<CODE>-<n>`, so codes are unique in a dataset).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CodeClash {
    /// No other site uses it.
    None,
    /// Another site, pending too, uses it: the operator trusts one by id.
    Pending,
    /// A site trusted (or revoked) here uses it: this one cannot be trusted.
    Taken { code: String, site_id: String },
    /// This database's own site uses it. `established` when sites this
    /// database trusts acknowledge holding the other site's changes: that
    /// one is part of the dataset already, so this database is the one to
    /// re-create.
    Ours { site_id: String, established: bool },
}

/// How a sync lists a pending site: its code, fingerprint and what to do.
pub fn untrusted(lang: Lang, p: &Pending) -> String {
    let (code, id, fp) = (&p.code, &p.site_id, &p.fingerprint);
    match (lang, &p.clash) {
        (Lang::En, CodeClash::None) => format!(
            "{code} (key fingerprint {fp}): run `guardia sync trust {code}` once its operator confirms the fingerprint"
        ),
        (Lang::Es, CodeClash::None) => format!(
            "{code} (huella de la clave {fp}): ejecute `guardia sync trust {code}` cuando su operador confirme la huella"
        ),
        (Lang::En, CodeClash::Pending) => format!(
            "{code} (site id {id}, key fingerprint {fp}): another site also calls itself {code}; run `guardia sync trust {id}` once its operator confirms the fingerprint"
        ),
        (Lang::Es, CodeClash::Pending) => format!(
            "{code} (id de sede {id}, huella de la clave {fp}): otra sede también se llama {code}; ejecute `guardia sync trust {id}` cuando su operador confirme la huella"
        ),
        (
            Lang::En,
            CodeClash::Taken {
                code: tc,
                site_id: tid,
            },
        ) => format!(
            "{code} (site id {id}, key fingerprint {fp}): site {tc} ({tid}) already uses the code {code}, so this one cannot be trusted (ticket keys would collide); its operator must re-create it with another code (`guardia init --site OTHER --join KEYFILE`)"
        ),
        (
            Lang::Es,
            CodeClash::Taken {
                code: tc,
                site_id: tid,
            },
        ) => format!(
            "{code} (id de sede {id}, huella de la clave {fp}): la sede {tc} ({tid}) ya usa el código {code}, así que esta no puede recibir confianza (las claves de los tickets coincidirían); su operador debe volver a crearla con otro código (`guardia init --site OTRO --join ARCHIVO_DE_CLAVE`)"
        ),
        (
            Lang::En,
            CodeClash::Ours {
                site_id: own,
                established: true,
            },
        ) => format!(
            "{code} (site id {id}, key fingerprint {fp}): this database's own site (site id {own}) uses the code {code}, which site {code} ({id}) already has in this dataset (the sites this database trusts hold its changes). Codes must be unique (ticket keys would collide), so this database must be re-created with another code: `guardia init --site OTHER --join KEYFILE`, with the key file of a site of the dataset, then enter again what was done here; until then the sites that trust that {code} take nothing from this database"
        ),
        (
            Lang::Es,
            CodeClash::Ours {
                site_id: own,
                established: true,
            },
        ) => format!(
            "{code} (id de sede {id}, huella de la clave {fp}): la sede de esta base de datos (id de sede {own}) usa el código {code}, que la sede {code} ({id}) ya tiene en este conjunto de datos (las sedes en que esta base confía tienen sus cambios). Los códigos deben ser únicos (las claves de los tickets coincidirían), así que esta base de datos debe volver a crearse con otro código: `guardia init --site OTRO --join ARCHIVO_DE_CLAVE`, con el archivo de clave de una sede del conjunto, y luego registrar de nuevo lo hecho aquí; hasta entonces, las sedes que confían en esa {code} no toman nada de esta base"
        ),
        (
            Lang::En,
            CodeClash::Ours {
                site_id: own,
                established: false,
            },
        ) => format!(
            "{code} (site id {id}, key fingerprint {fp}): this database's own site (site id {own}) uses the code {code} too. Codes must be unique in a dataset (ticket keys would collide), so one of the two must be re-created with another code (`guardia init --site OTHER --join KEYFILE`): the one the other sites do not trust. If that is this database, re-create it; this site can never be trusted here"
        ),
        (
            Lang::Es,
            CodeClash::Ours {
                site_id: own,
                established: false,
            },
        ) => format!(
            "{code} (id de sede {id}, huella de la clave {fp}): la sede de esta base de datos (id de sede {own}) también usa el código {code}. Los códigos deben ser únicos en un conjunto de datos (las claves de los tickets coincidirían), así que una de las dos debe volver a crearse con otro código (`guardia init --site OTRO --join ARCHIVO_DE_CLAVE`): aquella en la que las demás sedes no confían. Si es esta base de datos, vuelva a crearla; esta sede nunca puede recibir confianza aquí"
        ),
    }
}

/// Why this site's export was withheld: files in its own directory that
/// this database did not write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Withheld {
    /// This site's code.
    pub code: String,
    /// The files, named inside the folder.
    pub files: Vec<String>,
    /// One of them is signed with this site's key: another database uses
    /// this site's identity.
    pub forked: bool,
    /// The git clone the folder is, when the sync goes through git: there
    /// a file deleted in the clone is put back from the branch unless
    /// guardia removes it from the branch itself.
    pub git: Option<GitClone>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GitClone {
    pub clone: String,
    pub branch: String,
}

/// The withheld export, said with what to do (in a folder, or in a git
/// clone).
pub fn withheld(lang: Lang, w: &Withheld) -> String {
    let (code, list) = (&w.code, w.files.join(", "));
    // How to take the files out: from the folder, or, under git, deleted in
    // the clone, which the next sync removes from the branch (deleting them
    // from the clone alone would have them restored).
    let remove = match (lang, &w.git) {
        (Lang::En, None) => format!("remove {list} from the folder"),
        (Lang::En, Some(g)) => format!(
            "delete {list} in the clone {} (rm, not git rm); the next `guardia sync git` removes them from branch {} and pushes that",
            g.clone, g.branch
        ),
        (Lang::Es, None) => format!("quite {list} de la carpeta"),
        (Lang::Es, Some(g)) => format!(
            "borre {list} en el clon {} (rm, no git rm); el siguiente `guardia sync git` los quita de la rama {} y lo envía",
            g.clone, g.branch
        ),
    };
    match (lang, w.forked) {
        (Lang::En, true) => format!(
            "site {code} is forked: another database with this site's identity (a restored backup, or a copy of the database file) wrote {list}. Nothing of this site is exported until that is settled, and syncing again does not settle it: keep one of the two databases, stop using the other and re-create it with a new site code (`guardia init --site NEW --join KEYFILE`, then trust keys again; see \"Forks\" in docs/sync.md). If this database is the one kept, {remove}"
        ),
        (Lang::Es, true) => format!(
            "la sede {code} está bifurcada: otra base de datos con la identidad de esta sede (una copia de seguridad restaurada, o una copia del archivo de la base) escribió {list}. No se exporta nada de esta sede hasta resolverlo, y sincronizar de nuevo no lo resuelve: conserve una de las dos bases de datos, deje de usar la otra y vuelva a crearla con un código de sede nuevo (`guardia init --site NUEVA --join ARCHIVO_DE_CLAVE`, y vuelva a confiar en las claves; vea \"Forks\" en docs/sync.md). Si esta base de datos es la que se conserva, {remove}"
        ),
        (Lang::En, false) => format!(
            "{list} in this site's own directory, not written by this database, cannot be checked (its refusal says why), so nothing of site {code} is exported in case another database uses this site; if such a file is damaged or does not belong there, {remove}, and sync again"
        ),
        (Lang::Es, false) => format!(
            "{list}, en el directorio propio de esta sede y no escrito por esta base de datos, no se puede verificar (su rechazo dice por qué), así que no se exporta nada de la sede {code} por si otra base de datos usa esta sede; si ese archivo está dañado o no debe estar ahí, {remove}, y sincronice de nuevo"
        ),
    }
}

/// How `sync status` flags a site found forked here at `seq`, with the
/// way out.
pub fn forked(lang: Lang, seq: i64) -> String {
    match lang {
        Lang::En => format!(
            "FORKED at seq {seq}: two databases use this site; its changes that do not follow those held here are refused until its operators keep one database and re-create the other with a new site code (see \"Forks\" in docs/sync.md)"
        ),
        Lang::Es => format!(
            "BIFURCADA en el seq {seq}: dos bases de datos usan esta sede; se rechazan sus cambios que no siguen a los que hay aquí, hasta que sus operadores conserven una base y vuelvan a crear la otra con un código de sede nuevo (vea \"Forks\" en docs/sync.md)"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pending(clash: CodeClash) -> Pending {
        Pending {
            code: "MED".into(),
            site_id: "404c".into(),
            fingerprint: "c499".into(),
            clash,
        }
    }

    #[test]
    fn a_code_this_database_uses_tells_this_database_to_be_re_created() {
        let ours = pending(CodeClash::Ours {
            site_id: "cb59".into(),
            established: true,
        });
        let en = untrusted(Lang::En, &ours);
        assert!(
            en.contains("this database must be re-created with another code")
                && en.contains("guardia init --site OTHER --join KEYFILE"),
            "{en}"
        );
        assert!(!en.contains("its operator must re-create it"), "{en}");
        let es = untrusted(Lang::Es, &ours);
        assert!(
            es.contains("esta base de datos debe volver a crearse"),
            "{es}"
        );
        let taken = untrusted(
            Lang::En,
            &pending(CodeClash::Taken {
                code: "MED".into(),
                site_id: "cb59".into(),
            }),
        );
        assert!(taken.contains("its operator must re-create it"), "{taken}");
    }

    #[test]
    fn a_withheld_export_under_git_says_how_to_remove_files_from_the_branch() {
        let mut w = Withheld {
            code: "MED".into(),
            files: vec!["sites/x/MED-8-8-ab.gdb".into()],
            forked: true,
            git: None,
        };
        assert!(withheld(Lang::En, &w).ends_with("remove sites/x/MED-8-8-ab.gdb from the folder"));
        w.git = Some(GitClone {
            clone: "/db.sync/git-1".into(),
            branch: "guardia-sync".into(),
        });
        let git = withheld(Lang::En, &w);
        assert!(
            git.contains("delete sites/x/MED-8-8-ab.gdb in the clone /db.sync/git-1")
                && git.contains("removes them from branch guardia-sync"),
            "{git}"
        );
        assert_eq!(count(1, "change", "changes"), "1 change");
        assert_eq!(count(2, "cambio", "cambios"), "2 cambios");
    }
}
