//! `guardia report`: the report as a terminal table, CSV for spreadsheet
//! programs, JSON for scripts or Markdown for a mail or a wiki.
//!
//! Text that comes from the configuration or from tickets (service and
//! operator names, reason labels, problem titles) is untrusted: in the
//! table, CSV and Markdown it passes through `sanitize_line`, so no escape
//! sequence reaches a terminal, and in CSV a cell that a spreadsheet would
//! read as a formula (`= + - @`, tab, carriage return first) starts with
//! `'`. JSON carries the text as it is (serde escapes every control).

use super::args::{ReportArgs, ReportBy, ReportFormat};
use crate::app::App;
use crate::app::report::{Figures, Report, ReportRequest};
use crate::config::Lang;
use crate::domain::duration::format_minutes;
use crate::store::ReportGroup;
use crate::text::{display_width, pad_to_width, sanitize_line, truncate_to_width};
use anyhow::{Result, bail};
use std::io::{IsTerminal, Write};

/// Tickets below this many rows are filled too fast for a progress line.
const PROGRESS_FROM_TICKETS: i64 = 20_000;

pub fn run(a: &ReportArgs, app: &mut App) -> Result<()> {
    let format = if a.json { ReportFormat::Json } else { a.format };
    let delimiter = match a.delimiter.as_deref() {
        None | Some(",") => ',',
        Some(";") => ';',
        Some("tab" | "\t") => '\t',
        Some(other) => bail!(
            "--delimiter '{}' is not a CSV separator guardia writes; use ',' or ';' (or 'tab')",
            sanitize_line(other)
        ),
    };
    if format != ReportFormat::Csv && (a.bom || a.delimiter.is_some()) {
        bail!("--bom and --delimiter apply to --format csv only");
    }
    let req = ReportRequest {
        from: a.from.clone(),
        to: a.to.clone(),
        by: a.by.map(|b| match b {
            ReportBy::Service => ReportGroup::Service,
            ReportBy::Level => ReportGroup::Level,
            ReportBy::Operator => ReportGroup::Assignee,
            ReportBy::Priority => ReportGroup::Priority,
        }),
        types: a.types.clone(),
        top_problems: usize::from(a.top),
    };
    let tty = std::io::stderr().is_terminal();
    let mut open_line = false;
    let mut shown = None;
    let mut progress = |done: i64, last: i64| {
        if !tty || last < PROGRESS_FROM_TICKETS {
            return;
        }
        let pct = done.clamp(0, last) * 100 / last.max(1);
        if shown == Some(pct) {
            return;
        }
        shown = Some(pct);
        let mut err = std::io::stderr().lock();
        // A failed progress line must not fail the report.
        let _ = write!(
            err,
            "\r\x1b[2Kcomputing the SLA outcomes of finished tickets: {pct}%"
        );
        open_line = pct < 100;
        if pct >= 100 {
            let _ = writeln!(err);
        }
    };
    let report = app.report(&req, &mut progress);
    if open_line {
        eprintln!();
    }
    let report = report?;
    let lang = app.lang;
    let text = match format {
        ReportFormat::Json => {
            let mut s = crate::text::json_for_terminal(&serde_json::to_string_pretty(&report)?);
            s.push('\n');
            s
        }
        ReportFormat::Csv => csv(&report, lang, delimiter, a.bom),
        ReportFormat::Md => markdown(&report, lang),
        ReportFormat::Table => table(&report, lang, super::output::terminal_width()),
    };
    super::write_stdout(&text)
}

/// Labels in the operator's language.
fn l(lang: Lang, es: &'static str, en: &'static str) -> &'static str {
    if lang == Lang::Es { es } else { en }
}

fn group_header(r: &Report, lang: Lang) -> &'static str {
    match r.by {
        Some("service") => l(lang, "SERVICIO", "SERVICE"),
        Some("level") => l(lang, "NIVEL", "LEVEL"),
        Some("operator") => l(lang, "OPERADOR", "OPERATOR"),
        Some("priority") => l(lang, "PRIORIDAD", "PRIORITY"),
        _ => "",
    }
}

/// The rows of the figure tables: each group (label, figures), then the
/// total.
fn rows(r: &Report, lang: Lang) -> Vec<(String, &Figures)> {
    let mut out: Vec<(String, &Figures)> = r
        .groups
        .iter()
        .map(|g| (sanitize_line(&g.label), &g.figures))
        .collect();
    out.push((l(lang, "TOTAL", "TOTAL").to_string(), &r.totals));
    out
}

fn minutes(m: Option<i64>) -> String {
    m.map_or_else(|| "-".into(), format_minutes)
}

fn pct(p: Option<f64>, decimal_comma: bool) -> String {
    match p {
        None => "-".into(),
        Some(v) if decimal_comma => format!("{v:.1}").replace('.', ","),
        Some(v) => format!("{v:.1}"),
    }
}

fn volume_header(lang: Lang) -> [&'static str; 9] {
    [
        l(lang, "ABIERTOS", "OPENED"),
        l(lang, "CERRADOS", "CLOSED"),
        l(lang, "RESUELTOS", "RESOLVED"),
        l(lang, "CANCELADOS", "CANCELLED"),
        l(lang, "PENDIENTES", "BACKLOG"),
        l(lang, "REABIERTOS", "REOPENED"),
        l(lang, "% REAPERT.", "REOPEN %"),
        l(lang, "ESCALAM.", "ESCALATED"),
        l(lang, "RECHAZOS", "REJECTED"),
    ]
}

fn volume_cells(f: &Figures) -> Vec<String> {
    vec![
        f.opened.to_string(),
        f.closed.to_string(),
        f.resolved.to_string(),
        f.cancelled.to_string(),
        f.backlog.to_string(),
        f.reopened.to_string(),
        pct(f.reopen_rate_pct, false),
        f.escalations
            .iter()
            .map(|e| e.count)
            .sum::<i64>()
            .to_string(),
        f.rejections
            .iter()
            .map(|e| e.count)
            .sum::<i64>()
            .to_string(),
    ]
}

fn times_header(lang: Lang) -> [&'static str; 7] {
    [
        l(lang, "N", "N"),
        l(lang, "1ª RESP. MED", "1ST RESP MED"),
        l(lang, "1ª RESP. P90", "1ST RESP P90"),
        l(lang, "RESOL. MED", "RESOL MED"),
        l(lang, "RESOL. P90", "RESOL P90"),
        l(lang, "SLA RESP. %", "RESP SLA %"),
        l(lang, "SLA RESOL. %", "RESOL SLA %"),
    ]
}

fn times_cells(f: &Figures) -> Vec<String> {
    vec![
        f.first_response.count.to_string(),
        minutes(f.first_response.median_min),
        minutes(f.first_response.p90_min),
        minutes(f.resolution.median_min),
        minutes(f.resolution.p90_min),
        pct(f.response_sla_met_pct, false),
        pct(f.resolution_sla_met_pct, false),
    ]
}

fn title(r: &Report, lang: Lang) -> String {
    let types = if r.types.is_empty() {
        l(
            lang,
            "sin problemas ni errores conocidos",
            "problems and known errors left out",
        )
        .to_string()
    } else {
        sanitize_line(&r.types.join(", "))
    };
    format!(
        "{} {} – {} ({} {}, {}; {})",
        l(lang, "Informe", "Report"),
        r.from_date,
        r.to_date,
        l(lang, "fechas locales de", "local dates in"),
        sanitize_line(&r.time_zone),
        l(lang, "ambas incluidas", "both included"),
        types
    )
}

fn time_note(lang: Lang) -> &'static str {
    l(
        lang,
        "Tiempos en horario hábil de la política SLA, de los tickets resueltos en el periodo (N: con política).",
        "Times in the SLA policy's business hours, of the tickets resolved in the range (N: with a policy).",
    )
}

/// A terminal table: first column left-aligned, numbers right-aligned,
/// every cell cut to the width it is given.
fn grid(header: &[&str], rows: &[Vec<String>], width: usize) -> String {
    let cols = header.len();
    let mut widths: Vec<usize> = header.iter().map(|h| display_width(h)).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate().take(cols) {
            widths[i] = widths[i].max(display_width(c));
        }
    }
    // The label column gives way first when the terminal is narrow.
    let rest: usize = widths[1..].iter().map(|w| w + 2).sum();
    widths[0] = widths[0].min(width.saturating_sub(rest).max(12));
    let mut out = String::new();
    let mut line = |cells: &[String]| {
        let mut s = String::new();
        for (i, c) in cells.iter().enumerate().take(cols) {
            let cut = truncate_to_width(c, widths[i]);
            if i == 0 {
                s.push_str(&pad_to_width(&cut, widths[i]));
            } else {
                s.push_str("  ");
                s.push_str(&" ".repeat(widths[i] - display_width(&cut)));
                s.push_str(&cut);
            }
        }
        out.push_str(s.trim_end());
        out.push('\n');
    };
    line(&header.iter().map(|h| h.to_string()).collect::<Vec<_>>());
    for r in rows {
        line(r);
    }
    out
}

/// The report as tables for a terminal.
pub fn table(r: &Report, lang: Lang, width: usize) -> String {
    let mut o = format!("{}\n\n", title(r, lang));
    let first = group_header(r, lang);
    let mut with_group = |head: &[&'static str], cells: &dyn Fn(&Figures) -> Vec<String>| {
        let mut h = vec![first];
        h.extend_from_slice(head);
        let body: Vec<Vec<String>> = rows(r, lang)
            .into_iter()
            .map(|(label, f)| {
                let mut v = vec![label];
                v.extend(cells(f));
                v
            })
            .collect();
        o.push_str(&grid(&h, &body, width));
        o.push('\n');
    };
    with_group(&volume_header(lang), &volume_cells);
    with_group(&times_header(lang), &times_cells);
    o.push_str(time_note(lang));
    o.push_str("\n\n");
    let t = &r.totals;
    let list = |o: &mut String, heading: &str, items: Vec<(String, i64)>| {
        o.push_str(heading);
        o.push('\n');
        if items.is_empty() {
            o.push_str(&format!("  {}\n", l(lang, "ninguno", "none")));
        }
        let w = items
            .iter()
            .map(|(s, _)| display_width(s))
            .max()
            .unwrap_or(0)
            .min(width.saturating_sub(12).max(10));
        for (label, n) in items {
            let cut = truncate_to_width(&label, w);
            o.push_str(&format!("  {}  {n:>6}\n", pad_to_width(&cut, w)));
        }
        o.push('\n');
    };
    list(
        &mut o,
        l(lang, "Escalamientos por nivel", "Escalations per level"),
        t.escalations
            .iter()
            .map(|e| (sanitize_line(&e.label), e.count))
            .collect(),
    );
    list(
        &mut o,
        l(lang, "Rechazos por motivo", "Rejections by reason"),
        t.rejections
            .iter()
            .map(|e| (sanitize_line(&e.label), e.count))
            .collect(),
    );
    o.push_str(l(
        lang,
        "Problemas con más incidentes vinculados",
        "Top problems by linked incidents",
    ));
    o.push('\n');
    if r.top_problems.is_empty() {
        o.push_str(&format!("  {}\n", l(lang, "ninguno", "none")));
    } else {
        let head = [
            l(lang, "PROBLEMA", "PROBLEM"),
            l(lang, "INCIDENTES", "INCIDENTS"),
            l(lang, "TRABAJO", "WORKLOG"),
            l(lang, "COSTO", "COST"),
            l(lang, "ESTADO", "STATUS"),
            l(lang, "TÍTULO", "TITLE"),
        ];
        let body: Vec<Vec<String>> = r
            .top_problems
            .iter()
            .map(|p| {
                vec![
                    sanitize_line(&p.key),
                    p.incidents.to_string(),
                    format_minutes(p.worklog_minutes),
                    format!("{:.2}", p.cost),
                    sanitize_line(&p.status),
                    sanitize_line(&p.title),
                ]
            })
            .collect();
        o.push_str(&super::output::table(&head, &body, width));
    }
    o
}

/// Characters that Markdown or the HTML it allows would read as syntax:
/// a backslash escape each, so that a title such as `<img onerror=…>
/// [clic](http://…)` pasted into a mail or a wiki shows as written instead
/// of becoming a tag, a link, emphasis, an entity or a table column. (`(`,
/// `!` and `#` need none: they are syntax only after a `]`, before a `[`
/// or at the start of a line, which a cell never is.)
const MD_SPECIAL: &[char] = &['\\', '`', '*', '_', '[', ']', '<', '>', '|', '~', '&'];

/// A Markdown cell: one line, its text shown as text (no table syntax, no
/// link, tag or emphasis).
fn md_cell(s: &str) -> String {
    let mut out = String::new();
    for c in sanitize_line(s).chars() {
        if MD_SPECIAL.contains(&c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// How a Markdown column is aligned: text to the left, figures to the right.
#[derive(Clone, Copy, PartialEq)]
enum Align {
    Left,
    Right,
}

/// A Markdown table whose first column is text and the others figures.
fn md_table(o: &mut String, header: &[&str], rows: &[Vec<String>]) {
    let align: Vec<Align> = (0..header.len())
        .map(|i| if i == 0 { Align::Left } else { Align::Right })
        .collect();
    md_table_aligned(o, header, &align, rows);
}

fn md_table_aligned(o: &mut String, header: &[&str], align: &[Align], rows: &[Vec<String>]) {
    o.push_str(&format!("| {} |\n", header.join(" | ")));
    let marks: Vec<&str> = align
        .iter()
        .map(|a| if *a == Align::Left { "---" } else { "---:" })
        .collect();
    o.push_str(&format!("|{}|\n", marks.join("|")));
    for r in rows {
        o.push_str(&format!("| {} |\n", r.join(" | ")));
    }
    o.push('\n');
}

/// The report as Markdown.
pub fn markdown(r: &Report, lang: Lang) -> String {
    let mut o = format!("# {}\n\n", md_cell(&title(r, lang)));
    let first = group_header(r, lang);
    for (heading, head, cells) in [
        (
            l(lang, "Volumen", "Volume"),
            volume_header(lang).to_vec(),
            &volume_cells as &dyn Fn(&Figures) -> Vec<String>,
        ),
        (
            l(lang, "Tiempos y SLA", "Times and SLA"),
            times_header(lang).to_vec(),
            &times_cells,
        ),
    ] {
        o.push_str(&format!("## {heading}\n\n"));
        let mut h = vec![first];
        h.extend(head);
        let body: Vec<Vec<String>> = rows(r, lang)
            .into_iter()
            .map(|(label, f)| {
                let mut v = vec![md_cell(&label)];
                v.extend(cells(f));
                v
            })
            .collect();
        md_table(&mut o, &h, &body);
    }
    o.push_str(time_note(lang));
    o.push_str("\n\n");
    let t = &r.totals;
    for (heading, col, items) in [
        (
            l(lang, "Escalamientos por nivel", "Escalations per level"),
            l(lang, "Nivel", "Level"),
            t.escalations
                .iter()
                .map(|e| (e.label.clone(), e.count))
                .collect::<Vec<_>>(),
        ),
        (
            l(lang, "Rechazos por motivo", "Rejections by reason"),
            l(lang, "Motivo", "Reason"),
            t.rejections
                .iter()
                .map(|e| (e.label.clone(), e.count))
                .collect(),
        ),
    ] {
        o.push_str(&format!("## {heading}\n\n"));
        let body: Vec<Vec<String>> = items
            .iter()
            .map(|(s, n)| vec![md_cell(s), n.to_string()])
            .collect();
        md_table(&mut o, &[col, l(lang, "Cantidad", "Count")], &body);
    }
    o.push_str(&format!(
        "## {}\n\n",
        l(
            lang,
            "Problemas con más incidentes vinculados",
            "Top problems by linked incidents"
        )
    ));
    let body: Vec<Vec<String>> = r
        .top_problems
        .iter()
        .map(|p| {
            vec![
                md_cell(&p.key),
                p.incidents.to_string(),
                format_minutes(p.worklog_minutes),
                format!("{:.2}", p.cost),
                md_cell(&p.status),
                md_cell(&p.title),
            ]
        })
        .collect();
    md_table_aligned(
        &mut o,
        &[
            l(lang, "Problema", "Problem"),
            l(lang, "Incidentes", "Incidents"),
            l(lang, "Trabajo", "Worklog"),
            l(lang, "Costo", "Cost"),
            l(lang, "Estado", "Status"),
            l(lang, "Título", "Title"),
        ],
        &[
            Align::Left,
            Align::Right,
            Align::Right,
            Align::Right,
            Align::Left,
            Align::Left,
        ],
        &body,
    );
    o
}

/// A CSV text cell: sanitized, kept from being read as a formula, quoted
/// when it holds the separator, a quote or a line break (RFC 4180).
fn csv_text(s: &str, delimiter: char) -> String {
    let mut v = sanitize_line(s);
    if v.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        v.insert(0, '\'');
    }
    csv_quote(&v, delimiter)
}

fn csv_quote(v: &str, delimiter: char) -> String {
    if v.contains([delimiter, '"', '\n', '\r']) {
        format!("\"{}\"", v.replace('"', "\"\""))
    } else {
        v.to_string()
    }
}

/// The report as one CSV table: a row per group and a total row, every
/// figure a column (escalations per level and rejections per reason
/// included). Lines end in CRLF (RFC 4180). With `;` as the separator
/// the decimals use a comma, as spreadsheets in those locales expect.
pub fn csv(r: &Report, lang: Lang, delimiter: char, bom: bool) -> String {
    let comma = delimiter == ';';
    // The escalation levels and rejection reasons of any row, in order.
    let mut levels: Vec<(Option<i64>, String)> = Vec::new();
    let mut reasons: Vec<(String, String)> = Vec::new();
    for e in &r.totals.escalations {
        levels.push((e.level, e.label.clone()));
    }
    for e in &r.totals.rejections {
        reasons.push((e.code.clone(), e.label.clone()));
    }
    let mut header: Vec<String> = vec![
        l(lang, "grupo", "group").to_string(),
        l(lang, "nombre", "label").to_string(),
    ];
    for h in [
        l(lang, "abiertos", "opened"),
        l(lang, "cerrados", "closed"),
        l(lang, "resueltos", "resolved"),
        l(lang, "cancelados", "cancelled"),
        l(lang, "pendientes_al_final", "backlog"),
        l(lang, "resueltos_con_sla", "resolved_with_sla"),
        l(
            lang,
            "primera_respuesta_mediana_min",
            "first_response_median_min",
        ),
        l(lang, "primera_respuesta_p90_min", "first_response_p90_min"),
        l(lang, "resolucion_mediana_min", "resolution_median_min"),
        l(lang, "resolucion_p90_min", "resolution_p90_min"),
        l(lang, "sla_respuesta_cumplido_pct", "response_sla_met_pct"),
        l(
            lang,
            "sla_resolucion_cumplido_pct",
            "resolution_sla_met_pct",
        ),
        l(lang, "reabiertos", "reopened"),
        l(lang, "tasa_reapertura_pct", "reopen_rate_pct"),
    ] {
        header.push(h.to_string());
    }
    for (_, label) in &levels {
        header.push(format!(
            "{}: {label}",
            l(lang, "escalamientos", "escalations")
        ));
    }
    for (_, label) in &reasons {
        header.push(format!("{}: {label}", l(lang, "rechazos", "rejections")));
    }
    let d = delimiter.to_string();
    let mut o = String::new();
    if bom {
        o.push('\u{FEFF}');
    }
    let line = |o: &mut String, cells: Vec<String>| {
        o.push_str(&cells.join(&d));
        o.push_str("\r\n");
    };
    line(
        &mut o,
        header.iter().map(|h| csv_text(h, delimiter)).collect(),
    );
    let num = |v: Option<i64>| v.map_or_else(String::new, |n| n.to_string());
    let fl = |v: Option<f64>| v.map_or_else(String::new, |p| pct(Some(p), comma));
    let mut body: Vec<(Option<&str>, String, &Figures)> = r
        .groups
        .iter()
        .map(|g| (g.key.as_deref(), g.label.clone(), &g.figures))
        .collect();
    body.push((None, l(lang, "TOTAL", "TOTAL").to_string(), &r.totals));
    for (i, (key, label, f)) in body.iter().enumerate() {
        let is_total = i + 1 == body.len();
        // An unassigned group has no key (null in JSON) and its cell stays
        // empty; the total row says TOTAL there, so that a sheet filtering
        // on the group column tells the two apart.
        let key_cell = match key {
            _ if is_total => "TOTAL".to_string(),
            Some(k) => csv_text(k, delimiter),
            None => String::new(),
        };
        let mut cells = vec![key_cell, csv_text(label, delimiter)];
        cells.extend([
            f.opened.to_string(),
            f.closed.to_string(),
            f.resolved.to_string(),
            f.cancelled.to_string(),
            f.backlog.to_string(),
            f.first_response.count.to_string(),
            num(f.first_response.median_min),
            num(f.first_response.p90_min),
            num(f.resolution.median_min),
            num(f.resolution.p90_min),
            fl(f.response_sla_met_pct),
            fl(f.resolution_sla_met_pct),
            f.reopened.to_string(),
            fl(f.reopen_rate_pct),
        ]);
        for (level, _) in &levels {
            let n = f
                .escalations
                .iter()
                .find(|e| e.level == *level)
                .map_or(0, |e| e.count);
            cells.push(n.to_string());
        }
        for (code, _) in &reasons {
            let n = f
                .rejections
                .iter()
                .find(|e| e.code == *code)
                .map_or(0, |e| e.count);
            cells.push(n.to_string());
        }
        line(&mut o, cells);
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_are_quoted_and_kept_from_formulas() {
        assert_eq!(csv_text("plain", ','), "plain");
        assert_eq!(csv_text("a,b", ','), "\"a,b\"");
        assert_eq!(csv_text("a,b", ';'), "a,b");
        assert_eq!(csv_text("say \"hi\"", ','), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_text("=SUM(A1)", ','), "'=SUM(A1)");
        assert_eq!(csv_text("+1", ';'), "'+1");
        assert_eq!(csv_text("-x", ','), "'-x");
        assert_eq!(csv_text("@cmd", ','), "'@cmd");
        // Controls become visible symbols: no escape reaches a terminal.
        assert!(!csv_text("\u{1b}[31mred", ',').contains('\u{1b}'));
    }

    #[test]
    fn markdown_cells_cannot_break_the_table() {
        assert_eq!(md_cell("a|b"), "a\\|b");
        assert!(!md_cell("two\nlines").contains('\n'));
    }

    #[test]
    fn markdown_cells_show_tags_links_and_emphasis_as_text() {
        assert_eq!(
            md_cell("<img src=x onerror=alert(1)> [clic](http://evil.example)"),
            "\\<img src=x onerror=alert(1)\\> \\[clic\\](http://evil.example)"
        );
        assert_eq!(
            md_cell("*a* _b_ `c` ~d~ a\\b &amp;"),
            "\\*a\\* \\_b\\_ \\`c\\` \\~d\\~ a\\\\b \\&amp;"
        );
    }

    #[test]
    fn decimals_follow_the_separator() {
        assert_eq!(pct(Some(93.5), true), "93,5");
        assert_eq!(pct(Some(93.5), false), "93.5");
        assert_eq!(pct(None, false), "-");
    }
}
