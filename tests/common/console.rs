//! Fixtures for the console's in-process tests: a `Console` built the way
//! `guardia console` builds it (built-in configuration and keymap), a fixed
//! clock, hostile tickets that went through the worker's sanitizing exactly
//! as production data does, a fake worker that answers the console's
//! requests from those fixtures, and rendering into ratatui's `TestBackend`.
//!
//! Typical use:
//!
//! ```ignore
//! let fake = Fake::hostile();
//! let mut c = fake.console(Lang::En, Theme::default16(), 80, 24);
//! fake.press(&mut c, "enter E");          // open the first ticket, escalate
//! fake.type_text(&mut c, "reinicié el cliente");
//! let term = render(&c, 80, 24);
//! ```

#![allow(dead_code)]

use chrono::{DateTime, Duration, TimeZone, Utc};
use guardia::config::{Config, Lang};
use guardia::domain::ticket::{
    Attachment, Comment, Escalation, Link, RunbookRun, RunbookTick, Ticket, TicketDetail,
    WorklogEntry,
};
use guardia::store::ListFilter;
use guardia::store::ops::{Op, OpRef};
use guardia::store::sync::ConflictRow;
use guardia::store::{Dashboard, OldestTicket};
use guardia::text::sanitize_line;
use guardia::tui::keymap::{Key, Keymap};
use guardia::tui::msg::Conflict;
use guardia::tui::msg::{Effect, Msg, PageDir, Reply, Request, Row};
use guardia::tui::state::{Console, Identity};
use guardia::tui::theme::Theme;
use guardia::tui::update::{request_detail, update};
use guardia::tui::worker::{COUNT_CAP, clean_conflict, clean_detail, clean_ticket};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Title bar text of every fixture console.
pub const TITLE: &str = "Gases del Eje (ejemplo) — /tmp/x.db";
/// The operator at the keyboard.
pub const OPERATOR: &str = "ana";
/// Site prefix of the fixture keys.
pub const SITE: &str = "BOG";
/// Number of fixture tickets; the newest (`BOG-25`) is the one with a detail.
pub const TICKETS: i64 = 25;
/// Key of the ticket whose full detail [`hostile_detail`] describes: the
/// newest ticket, so it is the first row of the queue.
pub const DETAIL_KEY: &str = "BOG-25";
/// The runbook the detail's run belongs to (assets/config/runbooks.toml).
pub const RUNBOOK: &str = "osf-preguntas-clave";

/// Sizes the snapshots are taken at.
pub const SIZES: [(u16, u16); 2] = [(80, 24), (120, 40)];
/// Sizes that must render without panicking (below 30x8 a one-line notice).
pub const SMALL_SIZES: [(u16, u16); 4] = [(40, 12), (30, 8), (20, 5), (1, 1)];

/// The fixed clock: 2026-03-02 14:30 UTC.
pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 14, 30, 0)
        .single()
        .expect("valid fixed time")
}

/// A console as `guardia console` builds it, sized by a resize message.
pub fn console(lang: Lang, theme: Theme, w: u16, h: u16) -> Console {
    let config = Config::builtin().expect("built-in configuration");
    let keymap = Keymap::builtin().expect("built-in keymap");
    let identity = Identity {
        operator: Some(OPERATOR.to_string()),
        why_read_only: None,
    };
    let mut c = Console::new(
        Arc::new(config),
        keymap,
        theme,
        lang,
        identity,
        TITLE.to_string(),
    );
    update(&mut c, Msg::Resize(w, h));
    c
}

/// Draws the console into a fresh `w`×`h` test terminal at [`now`].
pub fn render(c: &Console, w: u16, h: u16) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(w, h)).expect("test terminal");
    terminal
        .draw(|f| guardia::tui::view::render(f, c, now()))
        .expect("draw");
    terminal
}

/// The screen as text, one line per row, wide characters written once.
pub fn screen(terminal: &Terminal<TestBackend>) -> String {
    let buf = terminal.backend().buffer();
    let w = usize::from(buf.area.width).max(1);
    let mut out = String::new();
    for row in buf.content().chunks(w) {
        let mut hidden = 0usize;
        for cell in row {
            if hidden == 0 {
                out.push_str(cell.symbol());
                hidden = guardia::text::display_width(cell.symbol()).max(1);
            }
            hidden -= 1;
        }
        out.push('\n');
    }
    out
}

/// Every cell symbol that holds a control character or a bidi control
/// (U+202A–202E, U+2066–2069), with its position.
pub fn hazards(terminal: &Terminal<TestBackend>) -> Vec<(u16, u16, String)> {
    let buf = terminal.backend().buffer();
    let w = buf.area.width.max(1);
    buf.content()
        .iter()
        .enumerate()
        .filter(|(_, cell)| cell.symbol().chars().any(is_hazard))
        .map(|(i, cell)| {
            let i = u16::try_from(i).unwrap_or(u16::MAX);
            (i % w, i / w, cell.symbol().escape_unicode().to_string())
        })
        .collect()
}

/// A character that must never be written to a terminal cell.
pub fn is_hazard(c: char) -> bool {
    c.is_control()
        || ('\u{202A}'..='\u{202E}').contains(&c)
        || ('\u{2066}'..='\u{2069}').contains(&c)
}

// ----- keys -----

/// Parses a key as keymap files spell it ("enter", "ctrl-s", "?", "G").
pub fn key(spelling: &str) -> Key {
    Key::parse(spelling).unwrap_or_else(|e| panic!("bad key {spelling:?}: {e}"))
}

/// The keys of whitespace-separated spellings ("j j space enter").
pub fn keys(spellings: &str) -> Vec<Key> {
    spellings.split_whitespace().map(key).collect()
}

/// One key per character of `text` (a space is the `space` key).
pub fn text_keys(text: &str) -> Vec<Key> {
    text.chars().map(Key::char).collect()
}

// ----- raw fixture data -----

struct Raw {
    no: i64,
    ticket_type: &'static str,
    service: &'static str,
    status: &'static str,
    priority: &'static str,
    impact: &'static str,
    urgency: &'static str,
    level: u8,
    assignee: Option<&'static str>,
    /// Minutes before [`now`] the ticket was created.
    age_min: i64,
    title: String,
    description: String,
}

#[allow(clippy::too_many_arguments)]
fn raw(
    no: i64,
    ticket_type: &'static str,
    service: &'static str,
    status: &'static str,
    priority: &'static str,
    impact: &'static str,
    urgency: &'static str,
    level: u8,
    assignee: Option<&'static str>,
    age_min: i64,
    title: &str,
    description: &str,
) -> Raw {
    Raw {
        no,
        ticket_type,
        service,
        status,
        priority,
        impact,
        urgency,
        level,
        assignee,
        age_min,
        title: title.to_string(),
        description: description.to_string(),
    }
}

const H: i64 = 60;
const D: i64 = 24 * 60;

/// The hostile text, oldest ticket first (`BOG-1` … `BOG-25`). One row per
/// ticket: no, type, service, status, priority, impact, urgency, level,
/// assignee, age in minutes, title, description.
#[rustfmt::skip]
fn raw_tickets() -> Vec<Raw> {
    let long_title = format!(
        "Muy largo: {}fin del título",
        "la facturación masiva del ciclo 15 no genera el spool de impresión y ".repeat(8)
    );
    let long_description = "Descripción larguísima. ".repeat(40);
    vec![
        raw(1, "incident", "osf", "waiting", "low", "low", "medium", 1, Some("bruno"), 40 * D,
            "Reporte de cartera con totales errados",
            "El total no cuadra.\r\nSegunda línea tras CRLF."),
        raw(2, "support", "correo", "new", "low", "low", "low", 1, None, 30 * D,
            "Correo lento en la sede norte",
            "Tarda en abrir.\tTab\tentre\tpalabras."),
        raw(3, "incident", "erp-soporte", "assigned", "medium", "medium", "medium", 1, Some("carla"), 21 * D,
            "Sin acceso al ERP — módulo de nómina",
            "Nómina bloqueada; acción requerida."),
        raw(4, "incident", "api-mayorista", "in_progress", "high", "high", "medium", 2, Some("diego"), 15 * D,
            "API mayorista responde 503 a pedidos-v1",
            "HTTP 503\rsobrescrito por CR suelto"),
        raw(5, "support", "correo", "waiting", "low", "low", "medium", 1, Some("ana"), 12 * D,
            "Retorno\rsobrescrito en el asunto",
            "Un CR suelto\ren medio."),
        raw(6, "incident", "osf", "new", "medium", "medium", "medium", 1, None, 9 * D,
            "Línea uno\r\nlínea dos en el título",
            "CRLF\r\nen la descripción"),
        raw(7, "support", "erp-soporte", "assigned", "low", "low", "medium", 1, Some("bruno"), 7 * D,
            "Tab\tseparado\ten\tcolumnas",
            "\tsangría con tab"),
        raw(8, "incident", "correo", "in_progress", "high", "medium", "high", 1, Some("ana"), 6 * D,
            "admin\u{202E}fdp.exe adjunto en el correo",
            "Trojan source: \u{202E}txt.exe\u{202C} y \u{2066}aislado\u{2069}."),
        raw(9, "incident", "osf", "waiting", "medium", "medium", "medium", 1, Some("carla"), 5 * D,
            "Aislado \u{2066}invisible\u{2069} y \u{2067}rtl\u{2069} texto",
            "\u{2068}primero\u{2069} fuerte"),
        raw(10, "support", "correo", "new", "low", "low", "low", 1, None, 4 * D,
            "Cafe\u{301} con combinacio\u{301}n de tildes",
            "Marcas combinantes: a\u{300}e\u{301}i\u{302}o\u{303}u\u{308}n\u{303}"),
        raw(11, "incident", "osf", "assigned", "medium", "medium", "medium", 1, Some("ana"), 3 * D,
            "打印机故障 en la sede Pereira",
            "打印机坏了。プリンター。프린터."),
        raw(12, "incident", "osf", "in_progress", "high", "high", "medium", 1, Some("bruno"), 2 * D + 5 * H,
            "Impresora 🖨\u{FE0F} en llamas 🔥 👍🏽 sede centro",
            "Emoji 🔥🔥🔥 y familia 👨\u{200D}👩\u{200D}👧"),
        raw(13, "support", "erp-soporte", "new", "low", "low", "medium", 1, None, 2 * D,
            "Ñandú, acción, señal: ÁÉÍÓÚ áéíóú ü",
            "¿Por qué no imprime? ¡Urgente! Ñandú."),
        raw(14, "incident", "osf", "assigned", "high", "high", "medium", 1, Some("carla"), 40 * H,
            &long_title,
            &long_description),
        raw(15, "support", "correo", "waiting", "low", "low", "low", 1, Some("diego"), 30 * H,
            "Familia 👨\u{200D}👩\u{200D}👧 sin acceso al portal",
            "ZWJ entre emoji"),
        raw(16, "incident", "api-mayorista", "new", "medium", "medium", "medium", 1, None, 20 * H,
            "C1 \u{9b}31m control de 8 bits en la sede sur",
            "\u{85}NEL y \u{9d}OSC de 8 bits\u{9c}"),
        raw(17, "incident", "erp-soporte", "in_progress", "medium", "medium", "medium", 1, Some("ana"), 15 * H,
            "Nulo\0y DEL\x7f en el nombre",
            "Bytes\0raros\x7f\x08\x0b\x0c"),
        raw(18, "incident", "osf", "assigned", "critical", "high", "high", 2, Some("diego"), 11 * H,
            "VPN caída para el equipo de cobros",
            "Sin acceso desde la sede."),
        raw(19, "support", "correo", "new", "low", "low", "medium", 1, None, 8 * H,
            "Campana\x07\x07 en la consola",
            "BEL\x07 suena"),
        raw(20, "incident", "osf", "waiting", "medium", "medium", "medium", 1, Some("bruno"), 6 * H,
            "Zero\u{200B}width\u{FEFF} y guio\u{301}n\u{AD}suave",
            "Invisibles: a\u{200B}b\u{2060}c\u{FEFF}d"),
        raw(21, "incident", "api-mayorista", "assigned", "high", "high", "medium", 1, Some("carla"), 4 * H,
            "Ｆｕｌｌｗｉｄｔｈ ＡＢＣ y ｶﾀｶﾅ de media anchura",
            "Anchos mixtos."),
        raw(22, "incident", "osf", "new", "critical", "high", "high", 1, None, 3 * H,
            "\x1b]8;;http://evil\x07link en el correo",
            "OSC 8: \x1b]8;;http://evil\x07aquí\x1b]8;;\x07"),
        raw(23, "support", "erp-soporte", "in_progress", "medium", "medium", "medium", 1, Some("ana"), 2 * H,
            "Portapapeles \x1b]52;c;SGFjaw==\x07 robado",
            "OSC 52: \x1b]52;c;SGFjaw==\x07"),
        raw(24, "incident", "correo", "assigned", "high", "medium", "high", 1, Some("bruno"), 90,
            "\x1b[31mrojo\x1b[0m impresora de facturación",
            "\x1b[2J\x1b[Hpantalla borrada\x1b[31m"),
        raw(25, "incident", "osf", "in_progress", "high", "high", "medium", 1, Some("ana"), 45,
            "\x1b[1mOSF\x1b[0m no factura en la sede Pereira\x07",
            "El proceso de facturación se detiene.\r\n\
             \x1b[31mORA-01555\x1b[0m snapshot too old\r\
             línea tras CR suelto\n\
             \tcolumna\tcon\ttabs\n\
             Trojan: admin\u{202E}fdp.exe y \u{2066}aislado\u{2069}\n\
             Acentos: Ñandú, acción, señal; cafe\u{301}; 打印机故障 🖨\u{FE0F}\n\
             OSC 52: \x1b]52;c;SGFjaw==\x07 OSC 8: \x1b]8;;http://evil\x07link\x1b]8;;\x07"),
    ]
}

fn raw_to_ticket(r: &Raw) -> Ticket {
    let created = now() - Duration::minutes(r.age_min);
    let mut fields = Map::new();
    if r.ticket_type == "incident" {
        fields.insert("reporter_email".into(), json!("ana.torres@example.org"));
        fields.insert("extension".into(), json!("5550"));
        fields.insert("executable".into(), json!("FACT01"));
        fields.insert("environment".into(), json!("produccion"));
    }
    Ticket {
        key: format!("{SITE}-{}", r.no),
        ticket_type: r.ticket_type.into(),
        service: r.service.into(),
        title: r.title.clone(),
        description: r.description.clone(),
        status: r.status.into(),
        priority: r.priority.into(),
        priority_justification: None,
        impact: r.impact.into(),
        urgency: r.urgency.into(),
        level: r.level,
        assignee: r.assignee.map(str::to_string),
        created_by: OPERATOR.into(),
        created_at: created,
        updated_at: created + Duration::minutes(10),
        fields,
        reject_reason: None,
        duplicate_of: None,
        route: None,
        id: format!("0190f000-0000-7000-8000-{:012}", r.no),
    }
}

/// The detail ticket before sanitizing: more fields, some hostile, some
/// missing for the level-2 dossier.
fn raw_detail_ticket() -> Ticket {
    let r = raw_tickets()
        .into_iter()
        .find(|r| format!("{SITE}-{}", r.no) == DETAIL_KEY)
        .expect("detail ticket in the fixtures");
    let mut t = raw_to_ticket(&r);
    t.fields
        .insert("executable".into(), json!("FACT01\x1b[5m parpadeo"));
    t.fields.insert(
        "incident_detail".into(),
        json!(
            "Al generar la factura\r\nel sistema muestra\t\"ORA-01555\"\n\x1b]52;c;SGFjaw==\x07 fin"
        ),
    );
    t.fields.insert(
        "business_impact".into(),
        json!("Facturación detenida en Pereira; señal ñ \u{202E}oculto"),
    );
    t.fields.insert("affected_users".into(), json!(40));
    t.fields.insert("could_log_in".into(), json!(true));
    t.fields.insert("location".into(), json!("sede"));
    t.priority_justification = Some("Proceso crítico\x1b[0m: facturación".into());
    t
}

/// About 25 tickets whose text holds escape sequences (CSI, OSC 52, OSC 8),
/// BEL, lone CR and CRLF, tabs, bidi overrides and isolates, combining
/// marks, CJK, emoji, accents and ñ, and a very long title; newest first
/// (the queue's default order), each through `worker::clean_ticket`.
pub fn hostile_tickets() -> Vec<Row> {
    let mut rows: Vec<Row> = raw_tickets()
        .iter()
        .map(|r| {
            let raw = match raw_to_ticket(r) {
                t if t.key == DETAIL_KEY => raw_detail_ticket(),
                t => t,
            };
            Row {
                no: r.no,
                ticket: clean_ticket(raw),
                conflict: false,
            }
        })
        .collect();
    rows.sort_by_key(|r| std::cmp::Reverse(r.no));
    rows
}

/// The full detail of [`DETAIL_KEY`]: comments, worklog, a started run of
/// [`RUNBOOK`] with ticks, an escalation, links and attachments, through
/// `worker::clean_detail`.
pub fn hostile_detail() -> TicketDetail {
    let t0 = now() - Duration::minutes(45);
    let at = |m: i64| t0 + Duration::minutes(m);
    let worklog = vec![
        WorklogEntry {
            id: "w1".into(),
            author: OPERATOR.into(),
            at: at(5),
            minutes: 25,
            note: "Revisión\x07 de logs\r\ncon BEL y CRLF".into(),
        },
        WorklogEntry {
            id: "w2".into(),
            author: "bruno".into(),
            at: at(20),
            minutes: 50,
            note: "Llamada a la sede 打印机 🔥".into(),
        },
    ];
    let worklog_minutes = worklog.iter().map(|w| w.minutes).sum();
    let tick = |item: &str, checked: bool, evidence: &str, m: i64| RunbookTick {
        item: item.into(),
        checked,
        evidence: evidence.into(),
        by: OPERATOR.into(),
        at: at(m),
    };
    let detail = TicketDetail {
        ticket: raw_detail_ticket(),
        comments: vec![
            Comment {
                id: "c1".into(),
                author: OPERATOR.into(),
                at: at(2),
                internal: false,
                body: "Usuario reporta \x1b[31merror rojo\x1b[0m y un enlace \
                       \x1b]8;;http://evil\x07aquí\x1b]8;;\x07.\r\nSegunda línea."
                    .into(),
            },
            Comment {
                id: "c2".into(),
                author: "bruno".into(),
                at: at(10),
                internal: true,
                body: "Nota interna: 打印机故障 🖨\u{FE0F}\rCR suelto\n\ttabulado".into(),
            },
            Comment {
                id: "c3".into(),
                author: "carla\u{202E}".into(),
                at: at(30),
                internal: false,
                body: "admin\u{202E}fdp.exe — cafe\u{301} — Ñandú, acción, señal\x07".into(),
            },
        ],
        worklog,
        worklog_minutes,
        attachments: vec![
            Attachment {
                id: "a1".into(),
                author: OPERATOR.into(),
                at: at(3),
                name: "captura\u{202E}gnp.exe".into(),
                sha256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08".into(),
                size: 48_213,
            },
            Attachment {
                id: "a2".into(),
                author: "bruno".into(),
                at: at(12),
                name: "log\x1b[31m.txt".into(),
                sha256: "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae".into(),
                size: 1_024,
            },
            Attachment {
                id: "a3".into(),
                author: OPERATOR.into(),
                at: at(14),
                name: "报告 señal.pdf".into(),
                sha256: "fcde2b2edba56bf408601fb721fe9b5c338d10ee429ea04fae5511b68fbf8fb9".into(),
                size: 220_000,
            },
        ],
        runbooks: vec![RunbookRun {
            id: "r1".into(),
            runbook: RUNBOOK.into(),
            started_by: OPERATOR.into(),
            started_at: at(4),
            ticks: vec![
                tick("inicio-sesion", true, "Sí, inicia sesión\x1b[0m", 6),
                tick("ejecutable", true, "FACT01\r\nfacturación", 7),
                tick("unidad-s", false, "", 8),
                tick(
                    "ubicacion",
                    true,
                    "Sede Pereira — señal ñ 打印 \u{2066}x\u{2069}",
                    9,
                ),
            ],
        }],
        escalations: vec![Escalation {
            mode: "hierarchical".into(),
            from_level: None,
            to_level: None,
            to_role: Some("head".into()),
            note: "Avisado al jefe\u{202E}txt\x07".into(),
            by: OPERATOR.into(),
            at: at(15),
        }],
        links: vec![
            Link {
                kind: "relates".into(),
                target: "BOG-18".into(),
            },
            Link {
                kind: "caused-by\x1b[31m".into(),
                target: "BOG-4".into(),
            },
        ],
        linked_from: Vec::new(),
    };
    clean_detail(detail)
}

/// A plain detail for any other fixture ticket (no comments, no runs).
pub fn plain_detail(ticket: Ticket) -> TicketDetail {
    clean_detail(TicketDetail {
        ticket,
        comments: Vec::new(),
        worklog: Vec::new(),
        worklog_minutes: 0,
        attachments: Vec::new(),
        runbooks: Vec::new(),
        escalations: Vec::new(),
        links: Vec::new(),
        linked_from: Vec::new(),
    })
}

/// Conflict rows as the store holds them (heads `{op, value, by, at}`,
/// the shown one first), through `worker::clean_conflict`.
pub fn conflict_fixtures() -> BTreeMap<String, Vec<Conflict>> {
    let at = |m: i64| (now() - Duration::minutes(m)).timestamp_millis();
    let head = |value: Value, by: &str, m: i64| json!({"op": "0190f000-0000-7000-8000-0000000000aa:7", "value": value, "by": by, "at": at(m)});
    let row = |key: &str, field: &str, kind: &str, heads: Vec<Value>| ConflictRow {
        key: key.into(),
        field: field.into(),
        kind: kind.into(),
        heads: Value::Array(heads),
    };
    let mut out = BTreeMap::new();
    out.insert(
        DETAIL_KEY.to_string(),
        vec![
            row(
                DETAIL_KEY,
                "assignee",
                "assignee",
                vec![
                    head(json!(OPERATOR), "carla", 20),
                    head(json!("bruno\x1b[31m\u{202E}"), "bruno\x07", 25),
                ],
            ),
            row(
                DETAIL_KEY,
                "status",
                "state",
                vec![
                    head(json!("in_progress"), "carla", 20),
                    head(json!("waiting"), "bruno", 30),
                ],
            ),
        ],
    );
    out.insert(
        "BOG-18".to_string(),
        vec![row(
            "BOG-18",
            "priority",
            "priority",
            vec![
                head(json!("critical"), "diego", 60),
                head(json!("high"), "ana", 90),
            ],
        )],
    );
    out.insert(
        "BOG-4".to_string(),
        vec![row(
            "BOG-4",
            "status",
            "invalid-transition",
            vec![head(json!("closed"), "mallory", 120)],
        )],
    );
    out.into_iter()
        .map(|(k, rows)| (k, rows.into_iter().map(clean_conflict).collect()))
        .collect()
}

/// A small timeline of the detail ticket, cleaned as the worker cleans it.
pub fn timeline() -> Vec<Op> {
    let t0 = (now() - Duration::minutes(45)).timestamp_millis();
    // Each kind of op as guardia writes it, with hostile text in its values.
    let op = |seq: i64,
              min: i64,
              actor: &str,
              (entity, kind): (&str, &str),
              field: Option<&str>,
              value: Value| Op {
        site: "0190f000-0000-7000-8000-0000000000aa".into(),
        seq,
        hlc: (t0 + min * 60_000) << 16,
        actor: actor.into(),
        entity: entity.into(),
        entity_id: "0190f000-0000-7000-8000-000000000025".into(),
        kind: kind.into(),
        field: field.map(str::to_string),
        value,
        pred: if seq > 1 {
            vec![OpRef {
                site: "0190f000-0000-7000-8000-0000000000aa".into(),
                seq: seq - 1,
            }]
        } else {
            Vec::new()
        },
    };
    let ticket = "0190f000-0000-7000-8000-000000000025";
    vec![
        op(
            1,
            0,
            OPERATOR,
            ("ticket", "create"),
            None,
            json!({"title": "\x1b[1mOSF\x1b[0m no factura"}),
        ),
        op(
            2,
            1,
            OPERATOR,
            ("ticket", "transition"),
            Some("status"),
            json!({"from": "new", "to": "in_progress", "note": ""}),
        ),
        op(
            3,
            2,
            OPERATOR,
            ("ticket", "set"),
            Some("assignee"),
            json!("ana"),
        ),
        op(
            4,
            10,
            "bruno",
            ("comment", "create"),
            None,
            json!({"ticket": ticket, "body": "Nota\x07 interna\r\n打印机", "internal": true}),
        ),
        op(
            5,
            15,
            OPERATOR,
            ("ticket", "escalate"),
            None,
            json!({"mode": "hierarchical", "role": "head", "note": ""}),
        ),
        op(
            6,
            20,
            "bruno\x1b[7m",
            ("worklog", "create"),
            None,
            json!({"ticket": ticket, "minutes": 50, "note": ""}),
        ),
    ]
    .into_iter()
    .map(guardia::tui::worker::clean_op)
    .collect()
}

/// A hand-made dashboard consistent with the fixture tickets, with the
/// sanitizing the worker's private `dashboard` applies.
pub fn dashboard() -> Dashboard {
    let rows = hostile_tickets();
    let count = |f: &dyn Fn(&Ticket) -> bool| rows.iter().filter(|r| f(&r.ticket)).count() as i64;
    // By id, as the store counts them (the pane puts them in rank order).
    let open_by_priority = ["critical", "high", "low", "medium"]
        .iter()
        .map(|p| (p.to_string(), count(&|t| t.priority == *p)))
        .collect();
    let open_by_status = ["new", "assigned", "in_progress", "waiting"]
        .iter()
        .map(|s| (s.to_string(), count(&|t| t.status == *s)))
        .collect();
    let open_by_level = [1u8, 2]
        .iter()
        .map(|l| (*l, count(&|t| t.level == *l)))
        .collect();
    let mut open_by_assignee: Vec<(Option<String>, i64)> = ["ana", "bruno", "carla", "diego"]
        .iter()
        .map(|a| {
            (
                Some(a.to_string()),
                count(&|t| t.assignee.as_deref() == Some(*a)),
            )
        })
        .collect();
    open_by_assignee.push((None, count(&|t| t.assignee.is_none())));
    let mut oldest: Vec<&Row> = rows.iter().collect();
    oldest.sort_by_key(|r| r.ticket.created_at);
    let oldest_open = oldest
        .iter()
        .take(8)
        .map(|r| OldestTicket {
            key: sanitize_line(&r.ticket.key),
            title: sanitize_line(&r.ticket.title),
            priority: r.ticket.priority.clone(),
            status: r.ticket.status.clone(),
            assignee: r.ticket.assignee.as_deref().map(sanitize_line),
            created_at: r.ticket.created_at.timestamp_millis(),
        })
        .collect();
    Dashboard {
        open_total: rows.len() as i64,
        open_by_priority,
        open_by_status,
        open_by_level,
        open_by_assignee,
        new_per_day: vec![1, 0, 2, 3, 1, 0, 0, 4, 2, 1, 3, 2, 5, 6],
        done_per_day: vec![0, 1, 1, 2, 0, 0, 0, 3, 1, 2, 2, 1, 3, 2],
        oldest_open,
        sla_warned: 3,
        sla_breached: 2,
        kpis: Some(kpis()),
    }
}

/// Hand-made indicators for the dashboard fixture: a day with no resolved
/// ticket has no SLA share.
pub fn kpis() -> guardia::domain::report::Kpis {
    use guardia::domain::report::{Headline, Kpis};
    let resolved_per_day: Vec<i64> = (0..30).map(|i| (i * 7 % 11) as i64).collect();
    let resolution_met_per_day = resolved_per_day
        .iter()
        .enumerate()
        .map(|(i, n)| (*n > 0).then_some(500 + (i as i64 * 37 % 500)))
        .collect();
    Kpis {
        today: Headline {
            opened: 6,
            closed: 2,
            backlog: 25,
            counted: 2,
            response_median_min: Some(12),
            resolution_median_min: Some(185),
            resolution_p90_min: Some(300),
            response_met_permille: Some(1000),
            resolution_met_permille: Some(500),
            reopened: 0,
            escalations: 1,
            rejections: 0,
        },
        month: Headline {
            opened: 140,
            closed: 118,
            backlog: 25,
            counted: 104,
            response_median_min: Some(25),
            resolution_median_min: Some(480),
            resolution_p90_min: Some(1400),
            response_met_permille: Some(957),
            resolution_met_permille: Some(783),
            reopened: 3,
            escalations: 9,
            rejections: 4,
        },
        resolved_per_day,
        resolution_met_per_day,
    }
}

// ----- loading replies the way the worker sends them -----

/// The rows as the answer to the queue's current request, then the count.
pub fn load_queue(c: &mut Console, rows: Vec<Row>) -> Vec<Effect> {
    let count = rows.len() as i64;
    let generation = c.queue.generation;
    let mut fx = update(
        c,
        Msg::Reply(Reply::Page {
            generation,
            dir: PageDir::Forward,
            reset: true,
            from: None,
            rows,
            more: false,
        }),
    );
    fx.extend(update(
        c,
        Msg::Reply(Reply::Count {
            generation,
            count,
            capped: false,
        }),
    ));
    fx
}

/// The detail as the answer to a detail request for its key (asked for
/// here, like Enter does, when the console has not asked yet).
pub fn load_detail(c: &mut Console, detail: TicketDetail, log: Vec<Op>) -> Vec<Effect> {
    if c.detail.key.as_deref() != Some(detail.ticket.key.as_str()) {
        request_detail(c, detail.ticket.key.clone());
    }
    let generation = c.detail.generation;
    update(
        c,
        Msg::Reply(Reply::Detail {
            generation,
            detail: Some(Box::new(detail)),
            log,
            conflicts: Vec::new(),
            extras: Default::default(),
        }),
    )
}

/// The dashboard as the answer to the dashboard's current request.
pub fn load_dashboard(c: &mut Console, data: Dashboard) -> Vec<Effect> {
    let generation = c.dashboard.generation;
    update(
        c,
        Msg::Reply(Reply::Dashboard {
            generation,
            data: Box::new(data),
        }),
    )
}

// ----- a fake worker -----

/// Answers the console's requests from fixtures, as the database worker
/// would: pages filtered by the queue's filter, counts, details, the
/// dashboard and similar tickets. Writes are not carried out; they are
/// returned to the test with the other unanswered effects.
#[derive(Debug, Clone)]
pub struct Fake {
    pub rows: Vec<Row>,
    pub detail: TicketDetail,
    pub log: Vec<Op>,
    pub dashboard: Dashboard,
    /// Sync conflicts by ticket key.
    pub conflicts: BTreeMap<String, Vec<Conflict>>,
}

impl Fake {
    /// The hostile fixtures.
    pub fn hostile() -> Fake {
        Fake {
            rows: hostile_tickets(),
            detail: hostile_detail(),
            log: timeline(),
            dashboard: dashboard(),
            conflicts: BTreeMap::new(),
        }
    }

    /// The hostile fixtures after a sync with conflicts: the detail ticket
    /// has its assignee and state in conflict (values and authors hostile
    /// too), BOG-18 its priority, BOG-4 an invalid transition.
    pub fn with_conflicts() -> Fake {
        let mut f = Fake::hostile();
        f.conflicts = conflict_fixtures();
        for r in &mut f.rows {
            r.conflict = f.conflicts.contains_key(&r.ticket.key);
        }
        f
    }

    /// A console after its first requests were answered (queue loaded; at
    /// split width the selected ticket's detail too).
    pub fn console(&self, lang: Lang, theme: Theme, w: u16, h: u16) -> Console {
        let mut c = console(lang, theme, w, h);
        let fx = guardia::tui::update::start(&mut c);
        let rest = self.serve(&mut c, fx);
        assert!(rest.is_empty(), "unexpected effects at start: {rest:?}");
        c
    }

    /// Feeds the keys (spelled as in keymap files, whitespace-separated)
    /// and answers every request they cause; returns the effects left over.
    pub fn press(&self, c: &mut Console, spellings: &str) -> Vec<Effect> {
        self.keys(c, keys(spellings))
    }

    /// Types `text` one character at a time.
    pub fn type_text(&self, c: &mut Console, text: &str) -> Vec<Effect> {
        self.keys(c, text_keys(text))
    }

    pub fn keys(&self, c: &mut Console, keys: Vec<Key>) -> Vec<Effect> {
        let mut left = Vec::new();
        for k in keys {
            let fx = update(c, Msg::Key(k));
            left.extend(self.serve(c, fx));
        }
        left
    }

    /// Answers requests until none is left; returns the other effects.
    pub fn serve(&self, c: &mut Console, mut fx: Vec<Effect>) -> Vec<Effect> {
        let mut left = Vec::new();
        let mut rounds = 0;
        while !fx.is_empty() {
            rounds += 1;
            assert!(rounds < 100, "requests keep coming: {fx:?}");
            let mut next = Vec::new();
            for e in fx {
                match e {
                    Effect::Request(r) => match self.answer(&r) {
                        Some(reply) => next.extend(update(c, Msg::Reply(reply))),
                        None => left.push(Effect::Request(r)),
                    },
                    other => left.push(other),
                }
            }
            fx = next;
        }
        left
    }

    /// The reply the worker would send; `None` for what is not a fetch
    /// (writes, doctor, dossier), which tests inspect themselves.
    pub fn answer(&self, r: &Request) -> Option<Reply> {
        let (generation, filter) = match r {
            Request::Page {
                generation, filter, ..
            }
            | Request::Count { generation, filter } => (*generation, filter),
            _ => (0, &ListFilter::default()),
        };
        Some(match r {
            Request::Page {
                dir, from, reset, ..
            } => {
                let (rows, more) = self.page(filter, *dir, *from);
                Reply::Page {
                    generation,
                    dir: *dir,
                    reset: *reset,
                    from: *from,
                    rows,
                    more,
                }
            }
            Request::Count { .. } => {
                // Text-filtered counts stop at the worker's cap.
                let n = self.matching(filter).len();
                let cap = filter.query.is_some().then_some(COUNT_CAP);
                Reply::Count {
                    generation,
                    count: n.min(cap.unwrap_or(usize::MAX)) as i64,
                    capped: cap.is_some_and(|c| n > c),
                }
            }
            Request::Detail { generation, key } => {
                let (detail, log) = if *key == self.detail.ticket.key {
                    (Some(self.detail.clone()), self.log.clone())
                } else {
                    let d = self
                        .rows
                        .iter()
                        .find(|r| r.ticket.key == *key)
                        .map(|r| plain_detail(r.ticket.clone()));
                    (d, Vec::new())
                };
                Reply::Detail {
                    generation: *generation,
                    detail: detail.map(Box::new),
                    log,
                    conflicts: self.conflicts.get(key).cloned().unwrap_or_default(),
                    extras: Default::default(),
                }
            }
            Request::Dashboard { generation } => Reply::Dashboard {
                generation: *generation,
                data: Box::new(self.dashboard.clone()),
            },
            // Nothing was solved before in the fixtures.
            Request::Solved { generation, .. } => Reply::Solved {
                generation: *generation,
                tickets: Vec::new(),
            },
            // The fixtures carry no SLA policy: no clocks, the age shows.
            Request::Sla { generation, .. } => Reply::Sla {
                generation: *generation,
                clocks: Vec::new(),
            },
            Request::Similar {
                generation, title, ..
            } => {
                let words = words(title);
                Reply::Similar {
                    generation: *generation,
                    tickets: self
                        .rows
                        .iter()
                        .filter(|r| {
                            let t = r.ticket.title.to_lowercase();
                            !words.is_empty() && words.iter().all(|w| t.contains(w.as_str()))
                        })
                        .take(5)
                        .map(|r| (r.ticket.key.clone(), r.ticket.title.clone()))
                        .collect(),
                }
            }
            _ => return None,
        })
    }

    /// The rows the filter selects, in its order.
    pub fn matching(&self, f: &ListFilter) -> Vec<Row> {
        let words = f.query.as_deref().map(words).unwrap_or_default();
        let mut rows: Vec<Row> = self
            .rows
            .iter()
            .filter(|r| {
                let t = &r.ticket;
                let text = format!("{} {} {}", t.key, t.title, t.description).to_lowercase();
                (f.statuses.is_empty() || f.statuses.contains(&t.status))
                    && f.priority.as_ref().is_none_or(|p| &t.priority == p)
                    && f.service.as_ref().is_none_or(|s| &t.service == s)
                    && f.assignee.as_ref().is_none_or(|a| &t.assignee == a)
                    && f.level.is_none_or(|l| t.level == l)
                    && f.min_level.is_none_or(|l| t.level >= l)
                    && words.iter().all(|w| text.contains(w.as_str()))
                    && (!f.conflicts || r.conflict)
            })
            .cloned()
            .collect();
        if f.ascending {
            rows.sort_by_key(|r| r.no);
        } else {
            rows.sort_by_key(|r| std::cmp::Reverse(r.no));
        }
        rows
    }

    fn page(&self, f: &ListFilter, dir: PageDir, from: Option<i64>) -> (Vec<Row>, bool) {
        let mut f = f.clone();
        if dir == PageDir::Backward {
            f.ascending = !f.ascending;
        }
        let rows = self.matching(&f);
        let mut rows: Vec<Row> = rows
            .into_iter()
            .filter(|r| match from {
                None => true,
                Some(n) if f.ascending => r.no > n,
                Some(n) => r.no < n,
            })
            .collect();
        let more = rows.len() > f.limit;
        rows.truncate(f.limit);
        if dir == PageDir::Backward {
            rows.reverse();
        }
        (rows, more)
    }
}

/// Lower-case search words without the trailing prefix star.
fn words(q: &str) -> Vec<String> {
    q.split_whitespace()
        .map(|w| w.trim_end_matches('*').to_lowercase())
        .filter(|w| !w.is_empty())
        .collect()
}
