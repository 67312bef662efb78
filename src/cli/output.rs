//! Human-readable output of the command line: width-aware tables and detail
//! views. Every piece of ticket text passes through `text::sanitize_*` here,
//! so nothing a reporter typed can drive the operator's terminal.

use crate::app::conflicts::OpenConflict;
use crate::config::{Config, Lang};
use crate::domain::duration::format_minutes;
use crate::domain::ticket::{Ticket, TicketDetail};
use crate::store::ops::Op;
use crate::text::{display_width, pad_to_width, sanitize_block, sanitize_line, truncate_to_width};
use chrono::{DateTime, Utc};
use std::collections::HashSet;
use std::fmt::Write;

/// Width for tables: `COLUMNS` when set, else the terminal's own width when
/// stdout is one, else a comfortable default for pipes and files.
pub fn terminal_width() -> usize {
    let from_env = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse::<usize>().ok());
    let from_tty = || {
        std::io::IsTerminal::is_terminal(&std::io::stdout())
            .then(crossterm::terminal::size)
            .and_then(Result::ok)
            .map(|(cols, _)| usize::from(cols))
    };
    from_env
        .or_else(from_tty)
        .filter(|w| *w > 0)
        .map_or(120, |w| w.max(MIN_TABLE_WIDTH))
}

/// Narrower than this, tables are laid out at this width and the terminal
/// wraps them: a key and a few letters of title is all that would fit.
const MIN_TABLE_WIDTH: usize = 40;

/// The narrowest the last column (a title) is squeezed to before whole
/// columns are left out.
const MIN_LAST_COLUMN: usize = 10;

/// `3d`, `5h`, `12m`: how long ago.
pub fn age(now: DateTime<Utc>, then: DateTime<Utc>) -> String {
    let mins = (now - then).num_minutes().max(0);
    match mins {
        m if m < 60 => format!("{m}m"),
        m if m < 48 * 60 => format!("{}h", m / 60),
        m => format!("{}d", m / (24 * 60)),
    }
}

/// Renders rows under a header; the last column takes the remaining width
/// (at least a few characters: a report's table keeps every column, and
/// may be wider than the terminal).
pub fn table(header: &[&str], rows: &[Vec<String>], width: usize) -> String {
    render_table(header, rows, width, &[], false)
}

/// [`table`] for a list on a terminal that may be narrow: while the rows
/// would be wider than `width`, the columns in `droppable` are left out,
/// first one first. What still does not fit is cut at `width`, so no line
/// wraps.
pub fn table_fitting(
    header: &[&str],
    rows: &[Vec<String>],
    width: usize,
    droppable: &[usize],
) -> String {
    render_table(header, rows, width, droppable, true)
}

fn render_table(
    header: &[&str],
    rows: &[Vec<String>],
    width: usize,
    droppable: &[usize],
    cut_lines: bool,
) -> String {
    let cols = header.len();
    let mut widths: Vec<usize> = header.iter().map(|h| display_width(h)).collect();
    for r in rows {
        for (i, cell) in r.iter().enumerate().take(cols) {
            widths[i] = widths[i].max(display_width(cell));
        }
    }
    let mut shown: Vec<usize> = (0..cols).collect();
    let fixed = |shown: &[usize]| -> usize {
        shown[..shown.len() - 1]
            .iter()
            .map(|&i| widths[i] + 2)
            .sum()
    };
    for drop in droppable {
        if fixed(&shown) + MIN_LAST_COLUMN <= width {
            break;
        }
        shown.retain(|i| i != drop);
    }
    let last = shown[shown.len() - 1];
    widths[last] = width.saturating_sub(fixed(&shown)).max(MIN_LAST_COLUMN);
    let mut out = String::new();
    let mut line = |cells: &[String]| {
        let mut l = String::new();
        for &i in &shown {
            let c = cells.get(i).map_or("", String::as_str);
            if i == last {
                l.push_str(&truncate_to_width(c, widths[i]));
            } else {
                l.push_str(&pad_to_width(c, widths[i]));
                l.push_str("  ");
            }
        }
        let l = l.trim_end();
        if cut_lines && display_width(l) > width {
            out.push_str(truncate_to_width(l, width).trim_end());
        } else {
            out.push_str(l);
        }
        out.push('\n');
    };
    line(&header.iter().map(|h| h.to_string()).collect::<Vec<_>>());
    for r in rows {
        line(r);
    }
    out
}

fn label_es_en(lang: Lang, es: &'static str, en: &'static str) -> &'static str {
    if lang == Lang::Es { es } else { en }
}

/// What follows the key of a ticket with an open sync conflict in a table
/// (the console marks its queue's rows with the same sign).
pub const CONFLICT_MARK: &str = " ⚠";

pub fn ticket_rows(tickets: &[Ticket], now: DateTime<Utc>) -> Vec<Vec<String>> {
    ticket_rows_marked(tickets, &HashSet::new(), now)
}

/// [`ticket_rows`], the key of each ticket whose id is in `conflicted`
/// followed by [`CONFLICT_MARK`].
pub fn ticket_rows_marked(
    tickets: &[Ticket],
    conflicted: &HashSet<String>,
    now: DateTime<Utc>,
) -> Vec<Vec<String>> {
    tickets
        .iter()
        .map(|t| {
            let mark = if conflicted.contains(&t.id) {
                CONFLICT_MARK
            } else {
                ""
            };
            vec![
                format!("{}{mark}", sanitize_line(&t.key)),
                sanitize_line(&t.priority),
                sanitize_line(&t.status),
                t.level.to_string(),
                age(now, t.created_at),
                sanitize_line(&t.service),
                sanitize_line(t.assignee.as_deref().unwrap_or("-")),
                sanitize_line(&t.title),
            ]
        })
        .collect()
}

pub fn ticket_table(tickets: &[Ticket], now: DateTime<Utc>, lang: Lang) -> String {
    ticket_table_marked(tickets, &HashSet::new(), now, lang)
}

/// [`ticket_table`], marking the tickets (by id) with an open sync conflict.
pub fn ticket_table_marked(
    tickets: &[Ticket],
    conflicted: &HashSet<String>,
    now: DateTime<Utc>,
    lang: Lang,
) -> String {
    let header = match lang {
        Lang::Es => [
            "CLAVE", "PRIO", "ESTADO", "NIV", "EDAD", "SERVICIO", "ASIGNADO", "TÍTULO",
        ],
        Lang::En => [
            "KEY", "PRIO", "STATUS", "LVL", "AGE", "SERVICE", "ASSIGNEE", "TITLE",
        ],
    };
    // On a narrow terminal the service goes first, then the assignee, the
    // age, the level and the priority: key, status and title stay.
    table_fitting(
        &header,
        &ticket_rows_marked(tickets, conflicted, now),
        terminal_width(),
        &[5, 6, 4, 3, 1],
    )
}

/// ` — raised by RULE` when the priority rules, not the matrix, gave the
/// ticket its priority: otherwise `impact × urgency` would read as the
/// reason for a critical priority the matrix does not give.
fn raised_by(cfg: &Config, t: &crate::domain::ticket::Ticket, lang: Lang) -> String {
    let decision = crate::domain::priority::compute(
        cfg,
        cfg.service(&t.service),
        &t.impact,
        &t.urgency,
        &t.fields,
    );
    if decision.raised_by.is_empty() || decision.priority != t.priority {
        return String::new();
    }
    format!(
        " — {} {}",
        label_es_en(lang, "subida por", "raised by"),
        decision.raised_by.join(", ")
    )
}

/// `show --json`: the ticket detail with its open sync conflicts.
#[derive(serde::Serialize)]
pub struct Shown<'a> {
    #[serde(flatten)]
    pub detail: &'a TicketDetail,
    pub conflicts: &'a [OpenConflict],
}

/// The ticket's open sync conflicts, each with its competing values (the
/// one shown first), who chose each and when, and how to settle it.
fn conflict_lines(o: &mut String, conflicts: &[OpenConflict], status: &str, lang: Lang) {
    if conflicts.is_empty() {
        return;
    }
    let l = |es, en| label_es_en(lang, es, en);
    let _ = writeln!(
        o,
        "\n{}",
        l("Conflictos de sincronización", "Sync conflicts")
    );
    for k in conflicts {
        let heads: Vec<String> = k
            .heads
            .iter()
            .map(|h| {
                let value = match (h.value.as_str(), k.field.as_str()) {
                    ("", "assignee") => l("sin asignar", "unassigned").to_string(),
                    ("", _) => "-".to_string(),
                    (v, _) => sanitize_line(v),
                };
                let when =
                    h.at.map(|at| format!(" {}", at.format("%Y-%m-%d %H:%M UTC")))
                        .unwrap_or_default();
                let shown = if h.shown {
                    format!("{}, ", l("mostrado", "shown"))
                } else {
                    String::new()
                };
                format!(
                    "{value} ({shown}{} {}{when})",
                    l("por", "by"),
                    sanitize_line(&h.by)
                )
            })
            .collect();
        let label = match k.field.as_str() {
            "status" => l("Estado", "Status"),
            "assignee" => l("Asignado", "Assignee"),
            "priority" => l("Prioridad", "Priority"),
            "level" => l("Nivel", "Level"),
            other => other,
        };
        let placeholder = match k.field.as_str() {
            "status" => l("ESTADO", "STATE"),
            "assignee" => l("OPERADOR", "OPERATOR"),
            "priority" => l("PRIORIDAD", "PRIORITY"),
            "level" => l("NIVEL", "LEVEL"),
            _ => l("VALOR", "VALUE"),
        };
        let command = match lang {
            Lang::Es => k
                .settle
                .replace("STATE", placeholder)
                .replace("OPERATOR", placeholder)
                .replace("PRIORITY", placeholder)
                .replace("LEVEL", placeholder)
                .replace("VALUE", placeholder)
                .replace("TEXT", "TEXTO"),
            Lang::En => k.settle.clone(),
        };
        if k.kind == crate::store::merge::INVALID_TRANSITION {
            let to: Vec<String> = heads.iter().map(|h| format!("→ {h}")).collect();
            let _ = writeln!(
                o,
                "  {}: {}",
                l(
                    "Cambio de estado inválido recibido de otra sede, no aplicado",
                    "Invalid state change received from another site, not applied"
                ),
                to.join(" | ")
            );
            let _ = writeln!(
                o,
                "    {} `{}` ({} `{}`)",
                l(
                    "avise al administrador (el cambio está dañado o es falso); lo resuelve cualquier movimiento desde el estado mostrado:",
                    "tell the administrator (the change is damaged or forged); any move from the state shown settles it:"
                ),
                sanitize_line(&command),
                l("o confirmarlo:", "or confirm it:"),
                sanitize_line(&k.settle.replace("STATE", status))
            );
            continue;
        }
        let _ = writeln!(o, "  {}: {}", sanitize_line(label), heads.join(" | "));
        let _ = writeln!(
            o,
            "    {} `{}` {}",
            l(
                "acuerden el valor y resuélvalo con un cambio normal:",
                "agree on the value and settle it with a normal change:"
            ),
            sanitize_line(&command),
            l(
                "(cualquiera de los valores de arriba, el mostrado incluido, u otro que pueda poner)",
                "(any of the values above, the one shown included, or another you may set)"
            )
        );
    }
}

/// The full detail view of `show`.
pub fn detail(
    d: &TicketDetail,
    conflicts: &[OpenConflict],
    cfg: &Config,
    lang: Lang,
    now: DateTime<Utc>,
) -> String {
    let t = &d.ticket;
    let mut o = String::new();
    let l = |es, en| label_es_en(lang, es, en);
    let _ = writeln!(o, "{}  {}", sanitize_line(&t.key), sanitize_line(&t.title));
    let type_name = cfg
        .ticket_type(&t.ticket_type)
        .map_or_else(|| t.ticket_type.clone(), |tt| tt.name.get(lang).to_string());
    let service = cfg
        .service(&t.service)
        .map_or_else(|| t.service.clone(), |s| s.name.clone());
    // A value the configuration no longer has (renamed or removed since
    // the ticket got it) is shown by its id and marked, so the operator
    // who opens the ticket learns why it no longer behaves as configured.
    let gone = format!(
        " [{}]",
        l("no está en la configuración", "not in the configuration")
    );
    let grade = |grades: &[crate::config::Grade], id: &str| {
        let label = Config::grade_label(grades, id, lang).to_string();
        if grades.iter().any(|g| g.id.get_ref() == id) {
            label
        } else {
            format!("{label}{gone}")
        }
    };
    let prio = grade(&cfg.priority.priorities, &t.priority);
    let status = match cfg
        .workflow_for_type(&t.ticket_type)
        .and_then(|wf| wf.states.iter().find(|s| s.id.get_ref() == &t.status))
    {
        Some(s) if s.name.get(lang) != t.status.as_str() => {
            format!("{} ({})", s.name.get(lang), t.status)
        }
        Some(_) => t.status.clone(),
        None => format!("{}{gone}", t.status),
    };
    let rows: Vec<(&str, String)> = vec![
        (l("Tipo", "Type"), type_name),
        (l("Servicio", "Service"), service),
        (l("Estado", "Status"), status),
        (
            l("Prioridad", "Priority"),
            format!(
                "{prio} ({} {} × {} {}){}",
                l("impacto", "impact"),
                grade(&cfg.priority.impacts, &t.impact),
                l("urgencia", "urgency"),
                grade(&cfg.priority.urgencies, &t.urgency),
                match &t.priority_justification {
                    Some(j) => format!(" — {}: {j}", l("manual", "manual")),
                    None => raised_by(cfg, t, lang),
                }
            ),
        ),
        (l("Nivel", "Level"), t.level.to_string()),
        (
            l("Asignado", "Assignee"),
            t.assignee.clone().unwrap_or_else(|| "-".into()),
        ),
        (
            l("Creado", "Created"),
            format!(
                "{} {} ({})",
                t.created_at.format("%Y-%m-%d %H:%M UTC"),
                t.created_by,
                age(now, t.created_at)
            ),
        ),
        (
            l("Actualizado", "Updated"),
            t.updated_at.format("%Y-%m-%d %H:%M UTC").to_string(),
        ),
    ];
    let mut rows = rows;
    if let Some(r) = &t.reject_reason {
        rows.push((l("Rechazo", "Rejected"), r.clone()));
    }
    if let Some(r) = &t.route {
        rows.push((l("Ruta", "Routed to"), r.clone()));
    }
    let key_w = rows
        .iter()
        .map(|(k, _)| display_width(k))
        .max()
        .unwrap_or(0);
    for (k, v) in &rows {
        let _ = writeln!(o, "  {}  {}", pad_to_width(k, key_w), sanitize_line(v));
    }
    conflict_lines(&mut o, conflicts, &t.status, lang);
    if !t.fields.is_empty() {
        let _ = writeln!(o, "\n{}", l("Campos", "Fields"));
        for (name, v) in &t.fields {
            let label = cfg
                .field(name)
                .map_or_else(|| name.clone(), |f| f.label.get(lang).to_string());
            let text = match v {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            let _ = writeln!(o, "  {}: {}", sanitize_line(&label), sanitize_line(&text));
        }
    }
    let _ = writeln!(
        o,
        "\n{}\n{}",
        l("Descripción", "Description"),
        indent(&sanitize_block(&t.description))
    );
    if !d.comments.is_empty() {
        let _ = writeln!(o, "\n{}", l("Comentarios", "Comments"));
        for c in &d.comments {
            let _ = writeln!(
                o,
                "  {} {}{}:\n{}",
                c.at.format("%Y-%m-%d %H:%M"),
                sanitize_line(&c.author),
                if c.internal {
                    l(" (interno)", " (internal)")
                } else {
                    ""
                },
                indent(&indent(&sanitize_block(&c.body)))
            );
        }
    }
    if !d.worklog.is_empty() {
        let _ = writeln!(
            o,
            "\n{} ({})",
            l("Registro de trabajo", "Worklog"),
            format_minutes(d.worklog_minutes)
        );
        for w in &d.worklog {
            let _ = writeln!(
                o,
                "  {} {} {} {}",
                w.at.format("%Y-%m-%d %H:%M"),
                sanitize_line(&w.author),
                format_minutes(w.minutes),
                sanitize_line(&w.note)
            );
        }
    }
    if !d.attachments.is_empty() {
        let _ = writeln!(o, "\n{}", l("Adjuntos", "Attachments"));
        for a in &d.attachments {
            let _ = writeln!(
                o,
                "  {} ({} B, sha256 {})",
                sanitize_line(&a.name),
                a.size,
                sanitize_line(&a.sha256.chars().take(12).collect::<String>())
            );
        }
    }
    for run in &d.runbooks {
        let rb = cfg.runbook(&run.runbook);
        let name = rb.map_or_else(|| run.runbook.clone(), |r| r.name.get(lang).to_string());
        let _ = writeln!(
            o,
            "\nRunbook: {} ({} {})",
            sanitize_line(&name),
            l("iniciado por", "started by"),
            sanitize_line(&run.started_by)
        );
        if let Some(rb) = rb {
            for item in &rb.items {
                let tick = run.ticks.iter().find(|t| &t.item == item.id.get_ref());
                match tick {
                    Some(t) if t.checked => {
                        let _ = writeln!(
                            o,
                            "  [x] {} — {} ({} {})",
                            sanitize_line(&item.text),
                            sanitize_line(&t.evidence),
                            sanitize_line(&t.by),
                            t.at.format("%Y-%m-%d %H:%M")
                        );
                    }
                    _ => {
                        let _ = writeln!(
                            o,
                            "  [ ] {} ({})",
                            sanitize_line(&item.text),
                            item.id.get_ref()
                        );
                    }
                }
            }
        } else {
            let _ = writeln!(
                o,
                "  ({})",
                l(
                    "ya no está en la configuración: runbooks.toml no tiene este runbook",
                    "no longer in the configuration: runbooks.toml has no such runbook"
                )
            );
        }
        // Evidence recorded for items the configuration no longer has
        // (the item or its whole runbook renamed or removed) is still
        // evidence: shown by its id, marked (a runbook gone is marked once,
        // on the line above).
        let configured =
            |item: &str| rb.is_some_and(|rb| rb.items.iter().any(|i| i.id.get_ref() == item));
        let mark = if rb.is_some() {
            format!(
                " [{}]",
                l("no está en la configuración", "not in the configuration")
            )
        } else {
            String::new()
        };
        for t in run
            .ticks
            .iter()
            .filter(|t| t.checked && !configured(&t.item))
        {
            let _ = writeln!(
                o,
                "  [x] {} — {} ({} {}){mark}",
                sanitize_line(&t.item),
                sanitize_line(&t.evidence),
                sanitize_line(&t.by),
                t.at.format("%Y-%m-%d %H:%M"),
            );
        }
    }
    if !d.escalations.is_empty() {
        let _ = writeln!(o, "\n{}", l("Escalamientos", "Escalations"));
        for e in &d.escalations {
            let what = match (&e.to_level, &e.to_role) {
                (Some(to), _) => format!(
                    "{} {} → {to}",
                    l("nivel", "level"),
                    e.from_level.unwrap_or(0)
                ),
                (None, Some(r)) => format!("{} {r}", l("jerárquico a", "hierarchical to")),
                _ => e.mode.clone(),
            };
            let _ = writeln!(
                o,
                "  {} {} {} {}",
                e.at.format("%Y-%m-%d %H:%M"),
                sanitize_line(&e.by),
                what,
                sanitize_line(&e.note)
            );
        }
    }
    if !d.links.is_empty() || !d.linked_from.is_empty() {
        let _ = writeln!(o, "\n{}", l("Vínculos", "Links"));
        for k in &d.links {
            let _ = writeln!(
                o,
                "  {} {}",
                sanitize_line(&k.kind),
                sanitize_line(&k.target)
            );
        }
        // Incoming links by kind, on one line each: a major incident can
        // have hundreds of reports.
        let mut kinds: Vec<&str> = d.linked_from.iter().map(|k| k.kind.as_str()).collect();
        kinds.dedup();
        for kind in kinds {
            let keys: Vec<String> = d
                .linked_from
                .iter()
                .filter(|k| k.kind == kind)
                .map(|k| sanitize_line(&k.target))
                .collect();
            let shown = keys.len().min(LINKED_FROM_SHOWN);
            let more = if keys.len() > shown {
                format!(" ({} {})", keys.len() - shown, l("más", "more"))
            } else {
                String::new()
            };
            let _ = writeln!(
                o,
                "  {} ← {}{more}",
                sanitize_line(kind),
                keys[..shown].join(" ")
            );
        }
    }
    o
}

/// How many tickets linking to a ticket `show` names per kind of link.
const LINKED_FROM_SHOWN: usize = 20;

fn indent(s: &str) -> String {
    s.lines()
        .map(|l| format!("  {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// One line per op: when, who, what (`app::op_words`, in `lang`). `key_of`
/// names a linked ticket by its key (the log holds its id) when this
/// database has it.
pub fn op_log(ops: &[Op], lang: Lang, key_of: &dyn Fn(&str) -> Option<String>) -> String {
    use crate::app::op_words;
    let mut o = String::new();
    for op in ops {
        // A timer's move shows when it was due, which is when it counts.
        let when = crate::domain::ticket::ms_to_time(crate::app::workflow::effective_ms(op))
            .format("%Y-%m-%d %H:%M:%S");
        let what = op_words::describe(op, lang, key_of);
        let _ = writeln!(
            o,
            "{when}  {}  {}",
            sanitize_line(&op.actor),
            truncate_to_width(&sanitize_line(&what), op_words::WORDS_WIDTH)
        );
    }
    o
}

/// `sla KEY`: both clocks, then every interval counted or paused.
/// A ticket of `list --json`: the ticket object with its resolution clock
/// now beside it (`null` when it has stopped or no policy covers it).
#[derive(serde::Serialize)]
pub struct Listed<'a> {
    #[serde(flatten)]
    ticket: &'a Ticket,
    sla: Option<&'a crate::app::list_clock::ListedClock>,
    /// It has an open sync conflict (`show` tells how to settle it).
    in_conflict: bool,
}

/// `list --json`'s elements: each ticket with its clock (`App::list_clocks`)
/// and whether it has an open sync conflict (its id in `conflicted`).
pub fn listed<'a>(
    tickets: &'a [Ticket],
    clocks: &'a [Option<crate::app::list_clock::ListedClock>],
    conflicted: &HashSet<String>,
) -> Vec<Listed<'a>> {
    tickets
        .iter()
        .zip(clocks)
        .map(|(ticket, sla)| Listed {
            ticket,
            sla: sla.as_ref(),
            in_conflict: conflicted.contains(&ticket.id),
        })
        .collect()
}

pub fn sla_report(
    r: &crate::app::SlaReport,
    cfg: &Config,
    _now: DateTime<Utc>,
    lang: Lang,
) -> String {
    use crate::domain::sla::{Clock, ClockState};
    let es = lang == Lang::Es;
    // Times in the calendar's own zone, the one its working hours are in.
    let tz = cfg.calendar(&r.calendar).map_or(chrono_tz::UTC, |c| c.tz());
    let when = |t: DateTime<Utc>| t.with_timezone(&tz).format("%Y-%m-%d %H:%M %Z").to_string();
    let state = |s: ClockState| match (s, es) {
        (ClockState::Running, true) => "corriendo",
        (ClockState::Running, false) => "running",
        (ClockState::Paused, true) => "en pausa",
        (ClockState::Paused, false) => "paused",
        (ClockState::Warned, true) => "en alerta",
        (ClockState::Warned, false) => "warned",
        (ClockState::Breached, true) => "INCUMPLIDO",
        (ClockState::Breached, false) => "BREACHED",
        (ClockState::Met, true) => "cumplido",
        (ClockState::Met, false) => "met",
    };
    let clock = |name: &str, c: &Clock| {
        let mut s = format!(
            "  {name:<11} {} {:>7}  {} {:>7} ({}%)  {} {:>7}  {}",
            label_es_en(lang, "meta", "target"),
            format_minutes(c.target.num_minutes()),
            label_es_en(lang, "usado", "elapsed"),
            format_minutes(c.elapsed.num_minutes()),
            c.percent,
            label_es_en(lang, "queda", "remaining"),
            format_minutes(c.remaining.num_minutes()),
            // A warned (or breached) clock can be waiting too: say both.
            if c.paused && c.state != ClockState::Paused {
                format!("{} ({})", state(c.state), state(ClockState::Paused))
            } else {
                state(c.state).to_string()
            },
        );
        if let Some(t) = c.stopped_at {
            s.push_str(&format!(
                "  {} {}",
                label_es_en(lang, "detenido", "stopped"),
                when(t)
            ));
        }
        match (c.state, c.due) {
            (ClockState::Breached, Some(t)) => s.push_str(&format!(
                "  {} {}",
                label_es_en(lang, "vencido", "passed"),
                when(t)
            )),
            (_, Some(t)) => s.push_str(&format!(
                "  {} {}",
                label_es_en(lang, "vence", "due"),
                when(t)
            )),
            _ => {}
        }
        s.push('\n');
        s
    };
    let policy_name = cfg
        .sla_policies
        .iter()
        .find(|p| p.id.get_ref() == &r.policy)
        .map_or(r.policy.as_str(), |p| p.name.get(lang));
    let mut out = format!(
        "{}  {} {} ({}), {} {}, {} {}\n",
        sanitize_line(&r.key),
        label_es_en(lang, "política", "policy"),
        sanitize_line(&r.policy),
        sanitize_line(policy_name),
        label_es_en(lang, "calendario", "calendar"),
        sanitize_line(&r.calendar),
        label_es_en(lang, "prioridad", "priority"),
        sanitize_line(&r.priority),
    );
    out.push_str(&clock(
        label_es_en(lang, "Respuesta", "Response"),
        &r.ledger.response,
    ));
    out.push_str(&clock(
        label_es_en(lang, "Resolución", "Resolution"),
        &r.ledger.resolution,
    ));
    out.push_str(label_es_en(lang, "\nIntervalos\n", "\nIntervals\n"));
    for iv in &r.ledger.intervals {
        let to = iv
            .to
            .map_or_else(|| label_es_en(lang, "ahora", "now").to_string(), when);
        let what = if iv.running {
            format!(
                "{} {}",
                label_es_en(lang, "cuenta", "counted"),
                format_minutes(iv.counted.num_minutes())
            )
        } else {
            format!(
                "{} ({} {})",
                label_es_en(lang, "en pausa", "paused"),
                label_es_en(lang, "el estado no corre:", "state does not run:"),
                sanitize_line(&iv.status)
            )
        };
        out.push_str(&format!(
            "  {} → {}  {:<12} {what}\n",
            when(iv.from),
            to,
            sanitize_line(&iv.status)
        ));
    }
    out
}
