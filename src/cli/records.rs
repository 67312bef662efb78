//! `guardia problem …`, `guardia known …` and `guardia major …`: the
//! command-line face of `app::records` and `app::major`, in text and JSON.
//! Everything a reporter or another site wrote is sanitized before it is
//! printed.

use super::output::{self, terminal_width};
use super::{print, print_json};
use crate::app::records::{NewResource, RecordDetail, Suggestion};
use crate::app::{App, AppError, NewTicket, parse_assignment};
use crate::cli::args::{
    KnownCommand, MajorCommand, NewRecordArgs, ProblemCommand, RecordListArgs, ResourceCommand,
    TaskCommand,
};
use crate::config::{Lang, Operator, RecordKind, StateCategory};
use crate::domain::ticket::Ticket;
use crate::text::{sanitize_block, sanitize_line as clean};
use anyhow::Result;
use chrono::{DateTime, Utc};
use std::io::Read;

type Actor<'a> = &'a dyn Fn(&App) -> Result<Operator>;

fn l(lang: Lang, es: &'static str, en: &'static str) -> &'static str {
    if lang == Lang::Es { es } else { en }
}

fn new_ticket(
    r: &NewRecordArgs,
    description: &str,
    mut fields: Vec<(String, String)>,
) -> Result<NewTicket> {
    for f in &r.fields {
        fields.push(parse_assignment(f)?);
    }
    Ok(NewTicket {
        ticket_type: r.ticket_type.clone(),
        service: r.service.clone(),
        title: r.title.clone(),
        description: description.to_string(),
        impact: r.impact.clone(),
        urgency: r.urgency.clone(),
        priority: None,
        justification: None,
        fields,
    })
}

/// The options of `problem new` and `known new` that fill each field: the
/// shared message of a missing mandatory field names `--field NAME=VALUE`
/// and `--description`, which these commands refuse or do not have.
const PROBLEM_OPTIONS: &[(&str, &str)] = &[
    ("title", "--title"),
    ("description", "--description"),
    ("problem_category", "--category"),
];
const KNOWN_OPTIONS: &[(&str, &str)] = &[
    ("title", "--title"),
    ("description", "--symptom"),
    ("workaround", "--workaround"),
    ("root_cause", "--root-cause"),
    ("solution", "--solution"),
    ("responsible", "--responsible"),
    ("deadline", "--deadline"),
    ("communication", "--communication"),
];

/// A refused registration of a record, its missing fields named by the
/// options of the command that registers it (`--field NAME=VALUE` only
/// for a field of the type that no option fills).
fn with_options(e: AppError, record: RecordKind, lang: Lang) -> anyhow::Error {
    let AppError::MissingFields {
        ticket_type,
        missing,
    } = e
    else {
        return e.into();
    };
    let options = if record == RecordKind::KnownError {
        KNOWN_OPTIONS
    } else {
        PROBLEM_OPTIONS
    };
    let mut names = Vec::new();
    let mut give = Vec::new();
    for m in &missing {
        // A known error's description is its symptom, and is called so.
        let (id, label) = if record == RecordKind::KnownError && m.id == "description" {
            ("symptom", l(lang, "Síntoma", "Symptom"))
        } else {
            (m.id.as_str(), m.label.as_str())
        };
        names.push(format!("{id} ({label})"));
        give.push(match options.iter().find(|(f, _)| *f == m.id) {
            Some((_, option)) => format!("{option} TEXT"),
            None => format!("--field {}=VALUE", m.id),
        });
    }
    AppError::Invalid(format!(
        "cannot register the {ticket_type}: missing mandatory field(s): {}. Give them with {}",
        names.join(", "),
        give.join(" ")
    ))
    .into()
}

/// Records still being worked unless `all`: every state whose category is
/// not closed or cancelled, in any workflow of a type of that record.
fn list_states(app: &App, record: RecordKind, all: bool) -> Vec<String> {
    if all {
        return Vec::new();
    }
    let mut states: Vec<String> = app
        .config
        .types_recording(record)
        .filter_map(|t| app.config.workflow(t.workflow.get_ref()))
        .flat_map(|wf| wf.states.iter())
        .filter(|s| s.category.is_open())
        .map(|s| s.id.get_ref().clone())
        .collect();
    states.sort();
    states.dedup();
    states
}

fn record_list(
    app: &App,
    record: RecordKind,
    a: &RecordListArgs,
    now: DateTime<Utc>,
) -> Result<()> {
    let states = list_states(app, record, a.all);
    let rows = app.records(
        record,
        a.service.as_deref(),
        &states,
        a.after.as_deref(),
        usize::from(a.limit),
    )?;
    if a.json {
        return print_json(&rows);
    }
    if rows.is_empty() {
        return print(l(app.lang, "no hay registros", "none"));
    }
    let header = match app.lang {
        Lang::Es => ["CLAVE", "ESTADO", "EDAD", "SERVICIO", "TÍTULO"],
        Lang::En => ["KEY", "STATUS", "AGE", "SERVICE", "TITLE"],
    };
    let body: Vec<Vec<String>> = rows
        .iter()
        .map(|t| {
            vec![
                clean(&t.key),
                clean(&t.status),
                output::age(now, t.created_at),
                clean(&t.service),
                clean(&t.title),
            ]
        })
        .collect();
    // Narrow terminals lose the service, then the age, before the title.
    print(&output::table_fitting(
        &header,
        &body,
        terminal_width(),
        &[3, 2],
    ))
}

fn record_show(d: &RecordDetail, cfg: &crate::config::Config, lang: Lang) -> String {
    let t = &d.detail.ticket;
    let mut o = format!(
        "{}  {}\n{}: {}   {}: {}   {}: {}\n",
        clean(&t.key),
        clean(&t.title),
        l(lang, "Estado", "Status"),
        clean(&t.status),
        l(lang, "Servicio", "Service"),
        clean(&t.service),
        l(lang, "Creado", "Created"),
        t.created_at.format("%Y-%m-%d %H:%M UTC"),
    );
    let desc = if d.record == RecordKind::KnownError {
        l(lang, "Síntoma", "Symptom")
    } else {
        l(lang, "Descripción", "Description")
    };
    o.push_str(&format!("\n{desc}:\n{}\n", indent(&t.description)));
    for (name, value) in &t.fields {
        let text = match value {
            serde_json::Value::String(s) => s.clone(),
            v => v.to_string(),
        };
        let label = cfg.field(name).map_or(name.as_str(), |f| f.label.get(lang));
        o.push_str(&format!("\n{}:\n{}\n", clean(label), indent(&text)));
    }
    if d.record == RecordKind::Problem {
        o.push_str(&format!("\n{}:\n", l(lang, "Tareas", "Tasks")));
        if d.tasks.is_empty() {
            o.push_str("  -\n");
        }
        for (i, task) in d.tasks.iter().enumerate() {
            o.push_str(&format!(
                "  {}. [{}] {}{}\n",
                i + 1,
                if task.done { "x" } else { " " },
                clean(&task.description),
                task.assignee
                    .as_deref()
                    .map(|a| format!(" ({})", clean(a)))
                    .unwrap_or_default()
            ));
        }
        o.push_str(&format!("\n{}:\n", l(lang, "Recursos", "Resources")));
        if d.resources.is_empty() {
            o.push_str("  -\n");
        }
        for (i, r) in d.resources.iter().enumerate() {
            let how = match (r.hours, r.rate) {
                (Some(h), Some(rate)) => format!(" ({h} h × {rate:.2})"),
                _ => String::new(),
            };
            o.push_str(&format!(
                "  {}. {} {}{how}: {:.2}\n",
                i + 1,
                clean(&r.kind),
                clean(&r.description),
                r.cost
            ));
        }
        if let Some(c) = &d.cost {
            let cur = if c.currency.is_empty() {
                String::new()
            } else {
                format!(" {}", clean(&c.currency))
            };
            o.push_str(&format!(
                "\n{}: {:.2}{cur} = {} {:.2} + {} {:.2} ({} min)\n",
                l(lang, "Costo total", "Total cost"),
                c.total,
                l(lang, "recursos", "resources"),
                c.resources,
                l(lang, "trabajo registrado", "logged work"),
                c.worklog,
                c.worklog_minutes
            ));
        }
    }
    o.push_str(&format!(
        "\n{} ({}):\n",
        l(lang, "Incidentes vinculados", "Linked incidents"),
        d.incidents.len()
    ));
    for i in &d.incidents {
        o.push_str(&format!(
            "  {}  {}  {}\n",
            clean(&i.key),
            clean(&i.status),
            clean(&i.title)
        ));
    }
    o
}

fn indent(text: &str) -> String {
    sanitize_block(text)
        .lines()
        .map(|line| format!("  {line}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Suggestions as lines, workaround under each known error.
pub fn suggestion_lines(s: &[Suggestion], lang: Lang) -> String {
    let mut o = String::new();
    for x in s {
        let what = if x.record == "known_error" {
            l(lang, "error conocido", "known error")
        } else {
            l(lang, "problema", "problem")
        };
        o.push_str(&format!(
            "  {}  {what}  {}  {}\n",
            clean(&x.key),
            clean(&x.status),
            clean(&x.title)
        ));
        if let Some(w) = &x.workaround {
            o.push_str(&format!(
                "      {}: {}\n",
                l(lang, "solución temporal", "workaround"),
                clean(w)
            ));
        }
    }
    o
}

pub fn problem(c: &ProblemCommand, app: &mut App, actor: Actor<'_>) -> Result<()> {
    let lang = app.lang;
    let now = app.clock.now();
    match c {
        ProblemCommand::New {
            record,
            description,
            category,
        } => {
            let new = new_ticket(
                record,
                description,
                vec![("problem_category".into(), category.clone())],
            )?;
            let who = actor(app)?;
            let created = app
                .create_record(&who, RecordKind::Problem, new)
                .map_err(|e| with_options(e, RecordKind::Problem, lang))?;
            if record.json {
                print_json(&created)?;
            } else {
                print(&format!(
                    "{} {} ({})",
                    l(lang, "problema registrado", "problem registered"),
                    created.ticket.key,
                    created.ticket.status
                ))?;
            }
        }
        ProblemCommand::List(a) => record_list(app, RecordKind::Problem, a, now)?,
        ProblemCommand::Show(a) => {
            let d = app.record_detail(&a.key, RecordKind::Problem)?;
            if a.json {
                print_json(&d)?;
            } else {
                print(&record_show(&d, &app.config, lang))?;
            }
        }
        ProblemCommand::Link {
            problem,
            incidents,
            remove,
            json,
        } => {
            let who = actor(app)?;
            let done = app.problem_link(&who, problem, incidents, *remove)?;
            if *json {
                print_json(&done)?;
            } else {
                for t in done {
                    print(&format!(
                        "{}: {} {problem}",
                        t.key,
                        if *remove {
                            l(lang, "desvinculado de", "unlinked from")
                        } else {
                            l(lang, "vinculado al problema", "linked to problem")
                        }
                    ))?;
                }
            }
        }
        ProblemCommand::Task(TaskCommand::Add {
            problem,
            description,
            assignee,
        }) => {
            let who = actor(app)?;
            let n = app.task_add(&who, problem, description, assignee.as_deref())?;
            print(&format!("{problem}: {} {n}", l(lang, "tarea", "task")))?;
        }
        ProblemCommand::Task(TaskCommand::Done {
            problem,
            n,
            undo,
            expect,
        }) => {
            let who = actor(app)?;
            let t = app.task_done(&who, problem, *n, !undo, expect.as_deref())?;
            print(&format!(
                "{problem}: {} {n} {}: {}",
                l(lang, "tarea", "task"),
                if t.done {
                    l(lang, "hecha", "done")
                } else {
                    l(lang, "pendiente", "not done")
                },
                clean(&t.description)
            ))?;
        }
        ProblemCommand::Resource(ResourceCommand::Add {
            problem,
            kind,
            description,
            hours,
            rate,
            cost,
        }) => {
            let who = actor(app)?;
            let r = app.resource_add(
                &who,
                problem,
                &NewResource {
                    kind: kind.clone(),
                    description: description.clone(),
                    hours: *hours,
                    rate: *rate,
                    cost: *cost,
                },
            )?;
            print(&format!(
                "{problem}: {} {} {}: {:.2}",
                l(lang, "recurso", "resource"),
                clean(&r.kind),
                clean(&r.description),
                r.cost
            ))?;
        }
        ProblemCommand::Resource(ResourceCommand::Remove { problem, n }) => {
            let who = actor(app)?;
            let r = app.resource_remove(&who, problem, *n)?;
            print(&format!(
                "{problem}: {} {n} ({}) {}",
                l(lang, "recurso", "resource"),
                clean(&r.description),
                l(lang, "quitado", "removed")
            ))?;
        }
        ProblemCommand::Close {
            problem,
            root_cause,
            solution,
            note,
            json,
        } => {
            let mut fields = Vec::new();
            if let Some(r) = root_cause {
                fields.push(("root_cause".to_string(), r.clone()));
            }
            if let Some(s) = solution {
                fields.push(("solution".to_string(), s.clone()));
            }
            let who = actor(app)?;
            let t = app.record_finish(
                &who,
                problem,
                RecordKind::Problem,
                StateCategory::Closed,
                note.as_deref(),
                &fields,
            )?;
            finished(&t, *json, lang)?;
        }
    }
    Ok(())
}

fn finished((t, cascaded): &(Ticket, Vec<String>), json: bool, lang: Lang) -> Result<()> {
    if json {
        print_json(t)
    } else {
        print(&format!(
            "{}: {} {}{}",
            t.key,
            l(lang, "ahora", "now"),
            clean(&t.status),
            cascade_line(cascaded, lang)
        ))
    }
}

/// The tickets a workflow's cascades moved with a change, on a line of
/// their own (nothing when none did): a move that closes other tickets
/// must say so.
pub(super) fn cascade_line(cascaded: &[String], lang: Lang) -> String {
    if cascaded.is_empty() {
        String::new()
    } else {
        format!(
            "\n{}: {}",
            l(
                lang,
                "también movidos por las reglas en cascada del flujo",
                "also moved by the workflow's cascades"
            ),
            cascaded.join(" ")
        )
    }
}

pub fn known(c: &KnownCommand, app: &mut App, actor: Actor<'_>) -> Result<()> {
    let lang = app.lang;
    let now = app.clock.now();
    match c {
        KnownCommand::New {
            record,
            symptom,
            workaround,
            root_cause,
            solution,
            responsible,
            deadline,
            communication,
        } => {
            let mut fields = vec![("workaround".to_string(), workaround.clone())];
            for (name, v) in [
                ("root_cause", root_cause),
                ("solution", solution),
                ("responsible", responsible),
                ("deadline", deadline),
                ("communication", communication),
            ] {
                if let Some(v) = v {
                    fields.push((name.to_string(), v.clone()));
                }
            }
            if let Some(d) = deadline
                && chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").is_err()
            {
                return Err(AppError::BadFieldValue {
                    field: "deadline".into(),
                    message: format!("'{d}' is not a date; write YYYY-MM-DD"),
                }
                .into());
            }
            let new = new_ticket(record, symptom, fields)?;
            let who = actor(app)?;
            let created = app
                .create_record(&who, RecordKind::KnownError, new)
                .map_err(|e| with_options(e, RecordKind::KnownError, lang))?;
            if record.json {
                print_json(&created)?;
            } else {
                print(&format!(
                    "{} {} ({})",
                    l(lang, "error conocido registrado", "known error registered"),
                    created.ticket.key,
                    created.ticket.status
                ))?;
            }
        }
        KnownCommand::List { list, query } => match query {
            None => record_list(app, RecordKind::KnownError, list, now)?,
            Some(q) => {
                let hits: Vec<Suggestion> = app.known_matching(
                    q,
                    list.service.as_deref(),
                    list.all,
                    usize::from(list.limit),
                )?;
                if list.json {
                    print_json(&hits)?;
                } else if hits.is_empty() && list.all {
                    print(l(
                        lang,
                        "ningún error conocido coincide",
                        "no known error matches",
                    ))?;
                } else if hits.is_empty() {
                    print(l(
                        lang,
                        "ningún error conocido en curso coincide (los cerrados y cancelados, con --all)",
                        "no known error still being worked matches (closed and cancelled ones: --all)",
                    ))?;
                } else {
                    print(&suggestion_lines(&hits, lang))?;
                }
            }
        },
        KnownCommand::Show(a) => {
            let d = app.record_detail(&a.key, RecordKind::KnownError)?;
            if a.json {
                print_json(&d)?;
            } else {
                print(&record_show(&d, &app.config, lang))?;
            }
        }
        KnownCommand::Apply { known, key, json } => {
            let who = actor(app)?;
            let (t, ke) = app.known_apply(&who, known, key)?;
            if *json {
                print_json(&serde_json::json!({"ticket": t, "known_error": ke}))?;
            } else {
                let mut s = format!(
                    "{}: {} {}\n",
                    t.key,
                    l(
                        lang,
                        "se aplicó la solución temporal de",
                        "workaround applied from"
                    ),
                    ke.key
                );
                if let Some(w) = ke.fields.get("workaround").and_then(|v| v.as_str()) {
                    s.push_str(&indent(w));
                    s.push('\n');
                }
                if let Some(c) = ke.fields.get("communication").and_then(|v| v.as_str()) {
                    s.push_str(&format!(
                        "{}:\n{}\n",
                        l(lang, "Para el cliente", "For the customer"),
                        indent(c)
                    ));
                }
                print(&s)?;
            }
        }
        KnownCommand::Suggest {
            key,
            text,
            service,
            limit,
            json,
        } => {
            let hits = match (key, text) {
                (Some(k), _) => app.suggest(k, *limit)?,
                (None, Some(t)) => app.suggest_text(t, service.as_deref(), None, *limit)?,
                (None, None) => {
                    return Err(AppError::Invalid(
                        "name a ticket (guardia known suggest KEY) or give --text".into(),
                    )
                    .into());
                }
            };
            if *json {
                print_json(&hits)?;
            } else if hits.is_empty() {
                print(l(
                    lang,
                    "nada conocido se parece",
                    "nothing known looks like it",
                ))?;
            } else {
                print(&suggestion_lines(&hits, lang))?;
            }
        }
        KnownCommand::Close {
            known,
            solution,
            note,
            json,
        } => {
            let fields: Vec<(String, String)> = solution
                .iter()
                .map(|s| ("solution".to_string(), s.clone()))
                .collect();
            let who = actor(app)?;
            let t = app.record_finish(
                &who,
                known,
                RecordKind::KnownError,
                StateCategory::Closed,
                note.as_deref(),
                &fields,
            )?;
            finished(&t, *json, lang)?;
        }
        KnownCommand::Cancel { known, note, json } => {
            let who = actor(app)?;
            let t = app.record_finish(
                &who,
                known,
                RecordKind::KnownError,
                StateCategory::Cancelled,
                note.as_deref(),
                &[],
            )?;
            finished(&t, *json, lang)?;
        }
    }
    Ok(())
}

/// Keys given on the command line; `-` reads them from standard input:
/// the first word of each line that looks like a ticket key, so the
/// output of `guardia list` can be piped in as it is (its header is skipped).
fn keys_from(args: &[String]) -> Result<Vec<String>> {
    let mut keys = Vec::new();
    for a in args {
        if a == "-" {
            let mut bytes = Vec::new();
            std::io::stdin()
                .read_to_end(&mut bytes)
                .map_err(|e| anyhow::anyhow!("cannot read the keys from standard input ({e})"))?;
            // Keys are ASCII: a line in another encoding (a Latin-1 name
            // after the key) still gives its key, and junk is passed over
            // like the header of `guardia list`.
            let text = String::from_utf8_lossy(&bytes);
            // Typed or pasted keys count as on the command line: bog-0042
            // is BOG-42.
            keys.extend(text.lines().filter_map(|line| {
                line.split_whitespace()
                    .next()
                    .and_then(crate::domain::site::canonical_ticket_key)
            }));
        } else {
            keys.push(a.clone());
        }
    }
    Ok(keys)
}

pub fn major(c: &MajorCommand, app: &mut App, actor: Actor<'_>) -> Result<()> {
    let lang = app.lang;
    match c {
        MajorCommand::Declare {
            key,
            service,
            title,
            description,
            ticket_type,
            impact,
            urgency,
            fields,
            reason,
            json,
        } => {
            let who = actor(app)?;
            let t = match (key, service) {
                (Some(k), _) => app.major_declare(&who, k, reason)?,
                (None, Some(s)) => {
                    let new = NewTicket {
                        ticket_type: ticket_type.clone(),
                        service: s.clone(),
                        title: title.clone().unwrap_or_default(),
                        description: description.clone().unwrap_or_default(),
                        impact: impact.clone(),
                        urgency: urgency.clone(),
                        priority: None,
                        justification: None,
                        fields: fields
                            .iter()
                            .map(|f| parse_assignment(f))
                            .collect::<Result<_, _>>()?,
                    };
                    app.major_declare_new(&who, new, reason)?.ticket
                }
                (None, None) => {
                    return Err(AppError::Invalid(
                        "name a ticket (guardia major declare KEY) or describe a new one with --service, --title and --description".into(),
                    )
                    .into());
                }
            };
            if *json {
                print_json(&t)?;
            } else {
                let mut s = format!(
                    "{}: {}\n",
                    t.key,
                    l(
                        lang,
                        "declarado incidente mayor; todas las consolas lo muestran",
                        "declared a major incident; every console shows it"
                    )
                );
                // Declared from a ticket rejected as critical: a new one.
                if let Some(from) = key.as_ref().filter(|k| **k != t.key) {
                    s.push_str(&match lang {
                        Lang::Es => format!(
                            "  registrado a partir de {from} (rechazado como crítico), adjunto como su primer reporte\n"
                        ),
                        Lang::En => format!(
                            "  registered from {from} (rejected as critical), attached as its first report\n"
                        ),
                    });
                }
                print(&s)?;
            }
        }
        MajorCommand::Attach { major, keys, json } => {
            let lenient = keys.iter().any(|k| k == "-");
            let keys = keys_from(keys)?;
            if keys.is_empty() {
                return Err(AppError::Invalid(
                    "no ticket keys to attach (standard input had none)".into(),
                )
                .into());
            }
            let who = actor(app)?;
            let (attached, passed) = app.major_attach(&who, major, &keys, lenient)?;
            if *json {
                print_json(&serde_json::json!({"attached": attached, "passed_over": passed}))?;
            } else {
                print(&format!(
                    "{major}: {} {} ({} {})",
                    attached.len(),
                    match (attached.len() == 1, lang) {
                        (true, Lang::Es) => "reporte asociado",
                        (true, Lang::En) => "report attached",
                        (false, _) => l(lang, "reportes asociados", "reports attached"),
                    },
                    passed.len(),
                    l(
                        lang,
                        "pasados por alto: ya estaban o no son reportes",
                        "passed over: already attached or not reports"
                    )
                ))?;
            }
        }
        MajorCommand::Resolve {
            major,
            solution,
            children,
            fields,
            json,
        } => {
            let who = actor(app)?;
            let extra: Vec<(String, String)> = fields
                .iter()
                .map(|f| parse_assignment(f))
                .collect::<Result<_, _>>()?;
            let r = app.major_resolve(&who, major, solution, *children, &extra)?;
            if *json {
                print_json(&r)?;
            } else {
                let mut s = format!("{}: {}\n", r.major.key, clean(&r.major.status));
                if !r.resolved.is_empty() {
                    s.push_str(&format!(
                        "{} ({}): {}\n",
                        l(
                            lang,
                            "reportes resueltos con la misma solución",
                            "reports resolved with the same solution"
                        ),
                        r.resolved.len(),
                        r.resolved.join(" ")
                    ));
                }
                if !r.skipped.is_empty() {
                    s.push_str(&format!(
                        "{}: {}\n",
                        l(
                            lang,
                            "sin estado resuelto en su flujo, quedan igual",
                            "left alone, their workflow has no resolved state"
                        ),
                        r.skipped.join(" ")
                    ));
                }
                for c in &r.incomplete {
                    let needs: Vec<String> = c.missing.iter().map(|f| clean(f)).collect();
                    s.push_str(&format!(
                        "{}: {} {}; `guardia major resolve {} --solution … --children {}` {}\n",
                        c.key,
                        l(lang, "sigue abierto, le falta", "left open, it needs"),
                        needs.join(", "),
                        r.major.key,
                        needs
                            .iter()
                            .map(|f| format!("--field {f}=…"))
                            .collect::<Vec<_>>()
                            .join(" "),
                        l(lang, "lo resuelve", "resolves it")
                    ));
                }
                if !r.open_children.is_empty() {
                    s.push_str(&format!(
                        "{} {}: {}\n`guardia major resolve {} --solution … --children` {}\n",
                        r.open_children.len(),
                        l(lang, "reportes siguen abiertos", "reports are still open"),
                        r.open_children.join(" "),
                        r.major.key,
                        l(
                            lang,
                            "los resuelve con la misma solución",
                            "resolves them with the same solution"
                        )
                    ));
                }
                print(&s)?;
            }
        }
        MajorCommand::List { json } => {
            let majors = app.open_majors()?;
            if *json {
                print_json(&majors)?;
            } else if majors.is_empty() {
                print(l(
                    lang,
                    "ningún incidente mayor en curso",
                    "no major incident in progress",
                ))?;
            } else {
                for m in &majors {
                    print(&banner_line(m, lang))?;
                }
            }
        }
        MajorCommand::Show(a) => {
            let (m, kids) = app.major_show(&a.key)?;
            if a.json {
                print_json(&serde_json::json!({"major": m, "children": kids}))?;
            } else {
                let mut s = format!(
                    "{}  {}  {}\n{} ({}):\n",
                    clean(&m.key),
                    clean(&m.status),
                    clean(&m.title),
                    l(lang, "Reportes asociados", "Attached reports"),
                    kids.len()
                );
                for k in &kids {
                    s.push_str(&format!(
                        "  {}  {}  {}\n",
                        clean(&k.key),
                        clean(&k.status),
                        clean(&k.title)
                    ));
                }
                print(&s)?;
            }
        }
    }
    Ok(())
}

/// One major incident as the banner line: key, title, how many reports.
pub fn banner_line(m: &crate::app::major::MajorIncident, lang: Lang) -> String {
    format!(
        "{} {}  {}  {}  ({} {}, {} {})",
        l(lang, "INCIDENTE MAYOR", "MAJOR INCIDENT"),
        clean(&m.ticket.key),
        clean(&m.ticket.title),
        clean(&m.ticket.service),
        m.children_open,
        l(lang, "reportes abiertos", "reports open"),
        m.children,
        l(lang, "en total", "in all")
    )
}
