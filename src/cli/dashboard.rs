//! `guardia dashboard`: the console's dashboard (pane 5) for scripts and
//! terminals without the console. The figures come from the same calls
//! the console's database thread makes (`App::dashboard`, `App::kpis`),
//! so both show the same numbers; only the 30 days' indicators are
//! computed fresh here, where the console keeps them up to 30 seconds.
//!
//! Days run from local midnight, as in the console; the output names the
//! zone. Ticket text (titles, keys, states, operator ids) passes through
//! `sanitize_line` in the text output; JSON carries it as it is (serde
//! escapes every control).

use super::args::DashboardArgs;
use super::output::{age, terminal_width};
use crate::app::App;
use crate::config::{Config, Lang};
use crate::domain::report::{Headline, Kpis};
use crate::domain::ticket::ms_to_time;
use crate::store::Dashboard;
use crate::text::{display_width, pad_to_width, sanitize_line, truncate_to_width};
use crate::tui::i18n::catalogue;
use anyhow::Result;
use chrono::{DateTime, Duration, Local, NaiveDate, Utc};
use serde::Serialize;
use std::io::{IsTerminal, Write};

/// The text's width: the terminal's (or `COLUMNS`), and 80 in a pipe or a
/// cron mail, where tables get a roomier default the dashboard's bars and
/// indicator lines would overflow.
fn dashboard_width() -> usize {
    let told = std::env::var_os("COLUMNS").is_some()
        || std::io::IsTerminal::is_terminal(&std::io::stdout());
    if told { terminal_width() } else { 80 }
}

/// Below this many tickets the missing outcomes are filled too fast for a
/// progress line (as in `guardia report`).
const PROGRESS_FROM_TICKETS: i64 = 20_000;

/// The widest a count's bar grows in the text output.
const BAR_WIDTH: usize = 30;

pub fn run(a: &DashboardArgs, app: &mut App) -> Result<()> {
    fill_outcomes(app);
    let mut d = app.dashboard(a.days)?;
    // As the console: without the indicators the rest still shows.
    d.kpis = app.kpis().unwrap_or_else(|e| {
        eprintln!(
            "guardia: warning: the indicators could not be computed ({})",
            sanitize_line(&e.to_string())
        );
        None
    });
    let now = app.dashboard_now();
    // Named as `guardia report` names it: a server reached over SSH is
    // often in UTC while the help desk is not.
    let zone = crate::app::report::local_zone_label(now.with_timezone(&Utc));
    let text = if a.json {
        let mut s = crate::text::json_for_terminal(&serde_json::to_string_pretty(&json(
            &d,
            &app.config,
            now,
            &zone,
        ))?);
        s.push('\n');
        s
    } else {
        text(&d, &app.config, app.lang, now, &zone, dashboard_width())
    };
    super::write_stdout(&text)
}

/// The indicators need every finished ticket's SLA outcome; a bulk load
/// leaves them to be filled, as `guardia report` does once. The console
/// does not fill them (a minute at 1M tickets) and shows the indicators
/// as missing until then. A database this process cannot write keeps
/// them missing, said on stderr with what to do: the rest of the
/// dashboard still shows.
fn fill_outcomes(app: &mut App) {
    let tty = std::io::stderr().is_terminal();
    let mut open_line = false;
    let mut progress = |done: i64, last: i64| {
        if !tty || last < PROGRESS_FROM_TICKETS {
            return;
        }
        let pct = done.clamp(0, last) * 100 / last.max(1);
        // A failed progress line must not fail the dashboard.
        let _ = write!(
            std::io::stderr().lock(),
            "\r\x1b[2Kcomputing the SLA outcomes of finished tickets: {pct}%"
        );
        open_line = true;
    };
    let filled = app.ensure_sla_outcomes(&mut progress);
    if open_line {
        eprintln!();
    }
    if let Err(e) = filled {
        eprintln!(
            "guardia: warning: the SLA outcomes of finished tickets could not be computed, so the indicators are left out ({})",
            sanitize_line(&e.to_string())
        );
    }
}

/// Open counts per priority, most urgent first as priority.toml lists
/// them (a priority the file no longer has last), with the console's
/// label: `P1`, or `P?` for one without a rank.
fn by_priority<'d>(d: &'d Dashboard, cfg: &Config) -> Vec<(String, &'d str, i64)> {
    let mut rows: Vec<&(String, i64)> = d.open_by_priority.iter().collect();
    rows.sort_by_key(|(p, _)| (cfg.priority_rank(p).unwrap_or(usize::MAX), p.clone()));
    rows.into_iter()
        .map(|(p, n)| {
            let label = cfg
                .priority_rank(p)
                .map_or_else(|| "P?".to_string(), |r| format!("P{}", r + 1));
            (label, p.as_str(), *n)
        })
        .collect()
}

/// The local date of each entry of a per-day series of `len` days, today
/// last.
fn dates(today: NaiveDate, len: usize) -> Vec<NaiveDate> {
    (0..len)
        .map(|i| today - Duration::days((len - 1 - i) as i64))
        .collect()
}

// ----- JSON -----

#[derive(Serialize)]
struct DashboardJson<'a> {
    now: DateTime<Utc>,
    /// Today's local date: the last day of every series.
    today: NaiveDate,
    /// The zone of the dates and its offset now, as `report --json` has it.
    time_zone: &'a str,
    open: OpenJson<'a>,
    sla: SlaJson,
    days: Vec<DayJson>,
    oldest_open: Vec<OldestJson<'a>>,
    indicators: Option<IndicatorsJson>,
}

#[derive(Serialize)]
struct OpenJson<'a> {
    total: i64,
    by_priority: Vec<PriorityCount<'a>>,
    by_status: Vec<StatusCount<'a>>,
    by_level: Vec<LevelCount>,
    by_operator: Vec<OperatorCount<'a>>,
}

#[derive(Serialize)]
struct PriorityCount<'a> {
    priority: &'a str,
    rank: String,
    count: i64,
}

#[derive(Serialize)]
struct StatusCount<'a> {
    status: &'a str,
    count: i64,
}

#[derive(Serialize)]
struct LevelCount {
    level: u8,
    count: i64,
}

#[derive(Serialize)]
struct OperatorCount<'a> {
    operator: Option<&'a str>,
    count: i64,
}

#[derive(Serialize)]
struct SlaJson {
    warned: i64,
    breached: i64,
}

#[derive(Serialize)]
struct DayJson {
    date: NaiveDate,
    new: i64,
    done: i64,
}

#[derive(Serialize)]
struct OldestJson<'a> {
    key: &'a str,
    title: &'a str,
    priority: &'a str,
    status: &'a str,
    assignee: Option<&'a str>,
    created_at: DateTime<Utc>,
}

#[derive(Serialize)]
struct IndicatorsJson {
    today: HeadlineJson,
    last_30_days: HeadlineJson,
    days: Vec<KpiDayJson>,
}

/// `domain::report::Headline`, field for field.
#[derive(Serialize)]
struct HeadlineJson {
    opened: i64,
    closed: i64,
    backlog: i64,
    counted: i64,
    response_median_min: Option<i64>,
    resolution_median_min: Option<i64>,
    resolution_p90_min: Option<i64>,
    response_met_permille: Option<i64>,
    resolution_met_permille: Option<i64>,
    reopened: i64,
    escalations: i64,
    rejections: i64,
}

impl From<&Headline> for HeadlineJson {
    fn from(h: &Headline) -> Self {
        HeadlineJson {
            opened: h.opened,
            closed: h.closed,
            backlog: h.backlog,
            counted: h.counted,
            response_median_min: h.response_median_min,
            resolution_median_min: h.resolution_median_min,
            resolution_p90_min: h.resolution_p90_min,
            response_met_permille: h.response_met_permille,
            resolution_met_permille: h.resolution_met_permille,
            reopened: h.reopened,
            escalations: h.escalations,
            rejections: h.rejections,
        }
    }
}

#[derive(Serialize)]
struct KpiDayJson {
    date: NaiveDate,
    resolved: i64,
    resolution_met_permille: Option<i64>,
}

fn json<'a>(
    d: &'a Dashboard,
    cfg: &Config,
    now: DateTime<Local>,
    zone: &'a str,
) -> DashboardJson<'a> {
    let today = now.date_naive();
    DashboardJson {
        now: now.with_timezone(&Utc),
        today,
        time_zone: zone,
        open: OpenJson {
            total: d.open_total,
            by_priority: by_priority(d, cfg)
                .into_iter()
                .map(|(rank, priority, count)| PriorityCount {
                    priority,
                    rank,
                    count,
                })
                .collect(),
            by_status: d
                .open_by_status
                .iter()
                .map(|(status, count)| StatusCount {
                    status,
                    count: *count,
                })
                .collect(),
            by_level: d
                .open_by_level
                .iter()
                .map(|(level, count)| LevelCount {
                    level: *level,
                    count: *count,
                })
                .collect(),
            by_operator: d
                .open_by_assignee
                .iter()
                .map(|(operator, count)| OperatorCount {
                    operator: operator.as_deref(),
                    count: *count,
                })
                .collect(),
        },
        sla: SlaJson {
            warned: d.sla_warned,
            breached: d.sla_breached,
        },
        days: dates(today, d.new_per_day.len())
            .into_iter()
            .zip(d.new_per_day.iter().zip(&d.done_per_day))
            .map(|(date, (new, done))| DayJson {
                date,
                new: *new,
                done: *done,
            })
            .collect(),
        oldest_open: d
            .oldest_open
            .iter()
            .map(|o| OldestJson {
                key: &o.key,
                title: &o.title,
                priority: &o.priority,
                status: &o.status,
                assignee: o.assignee.as_deref(),
                created_at: ms_to_time(o.created_at),
            })
            .collect(),
        indicators: d.kpis.as_ref().map(|k| IndicatorsJson {
            today: (&k.today).into(),
            last_30_days: (&k.month).into(),
            days: dates(today, k.resolved_per_day.len())
                .into_iter()
                .zip(k.resolved_per_day.iter().zip(&k.resolution_met_per_day))
                .map(|(date, (resolved, met))| KpiDayJson {
                    date,
                    resolved: *resolved,
                    resolution_met_permille: *met,
                })
                .collect(),
        }),
    }
}

// ----- text -----

/// Labels in the operator's language, where the console has none.
fn l(lang: Lang, es: &'static str, en: &'static str) -> &'static str {
    if lang == Lang::Es { es } else { en }
}

/// A share in tenths of a percent as `93.5%`, or `-`.
fn permille(p: Option<i64>) -> String {
    p.map_or_else(|| "-".into(), |v| format!("{}.{}%", v / 10, v % 10))
}

/// One titled list of counts with bars, as the console's four tables.
fn counts(out: &mut Vec<String>, title: &str, rows: &[(String, i64)], width: usize) {
    out.push(String::new());
    out.push(title.to_string());
    if rows.is_empty() {
        out.push("  -".into());
        return;
    }
    let max = rows.iter().map(|r| r.1).max().unwrap_or(0).max(1);
    for (label, n) in rows {
        let head = format!("  {} {n:>7}  ", pad_to_width(&sanitize_line(label), 20));
        let room = width
            .saturating_sub(display_width(&head))
            .clamp(1, BAR_WIDTH);
        let len = ((*n * room as i64) / max).max(i64::from(*n > 0)) as usize;
        out.push(format!("{head}{}", "█".repeat(len)));
    }
}

/// Today's or the 30 days' indicators, as the console groups them, broken
/// between groups to fit `width`.
fn headline(out: &mut Vec<String>, lang: Lang, label: &str, h: &Headline, width: usize) {
    let groups = crate::tui::view::headline_groups(catalogue(lang), h);
    let indent = " ".repeat(11);
    let mut line = format!("  {} ", pad_to_width(label, 8));
    let mut first = true;
    for g in groups {
        if !first && display_width(&line) + 3 + display_width(&g) > width {
            out.push(line);
            line = indent.clone();
        } else if !first {
            line.push_str(" · ");
        }
        line.push_str(&g);
        first = false;
    }
    out.push(line);
}

fn text(
    d: &Dashboard,
    cfg: &Config,
    lang: Lang,
    now: DateTime<Local>,
    zone: &str,
    width: usize,
) -> String {
    let t = catalogue(lang);
    let today = now.date_naive();
    let mut out = vec![
        crate::tui::view::dashboard_title(t, d),
        format!(
            "{} {}; {} {}",
            l(
                lang,
                "Días locales (desde medianoche) en",
                "Local days (from midnight) in"
            ),
            sanitize_line(zone),
            l(lang, "hoy", "today"),
            today
        ),
    ];
    let prio: Vec<(String, i64)> = by_priority(d, cfg)
        .into_iter()
        // By the label the operator reads everywhere else (`P2 Alta`).
        .map(|(rank, p, n)| {
            let label = Config::grade_label(&cfg.priority.priorities, p, lang);
            (format!("{rank} {label}"), n)
        })
        .collect();
    counts(&mut out, t.open_by_priority, &prio, width);
    counts(&mut out, t.open_by_status, &d.open_by_status, width);
    let levels: Vec<(String, i64)> = d
        .open_by_level
        .iter()
        .map(|(level, n)| (format!("N{level}"), *n))
        .collect();
    counts(&mut out, t.open_by_level, &levels, width);
    let operators: Vec<(String, i64)> = d
        .open_by_assignee
        .iter()
        .map(|(a, n)| (a.clone().unwrap_or_else(|| t.unassigned.to_string()), *n))
        .collect();
    counts(&mut out, t.per_operator, &operators, width);

    out.push(String::new());
    match &d.kpis {
        Some(k) => {
            out.push(t.kpi_title.to_string());
            headline(&mut out, lang, t.kpi_today, &k.today, width);
            headline(&mut out, lang, t.kpi_month, &k.month, width);
        }
        // Why, and what to do, went to stderr whole (a line here is cut
        // to the width).
        None => out.push(
            l(
                lang,
                "Indicadores: omitidos; el aviso en la salida de errores dice por qué",
                "Indicators: left out; the warning on standard error says why",
            )
            .to_string(),
        ),
    }

    out.push(String::new());
    out.extend(days_table(d, lang, today));

    out.push(String::new());
    out.push(t.oldest_open.to_string());
    if d.oldest_open.is_empty() {
        out.push("  -".into());
    }
    let now_utc = now.with_timezone(&Utc);
    for o in &d.oldest_open {
        let rank = cfg
            .priority_rank(&o.priority)
            .map_or_else(|| "P?".to_string(), |r| format!("P{}", r + 1));
        out.push(format!(
            "  {} {} {} {} {} {}",
            pad_to_width(&sanitize_line(&o.key), 9),
            pad_to_width(&rank, 3),
            pad_to_width(&age(now_utc, ms_to_time(o.created_at)), 5),
            pad_to_width(&sanitize_line(&o.status), 11),
            pad_to_width(&sanitize_line(o.assignee.as_deref().unwrap_or("-")), 8),
            sanitize_line(&o.title)
        ));
    }
    let mut s = String::new();
    for line in out {
        s.push_str(truncate_to_width(&line, width).trim_end());
        s.push('\n');
    }
    s
}

/// New and done tickets per day, with the tickets resolved and the
/// resolution SLA met on each of the indicators' 30 days.
fn days_table(d: &Dashboard, lang: Lang, today: NaiveDate) -> Vec<String> {
    let t = catalogue(lang);
    let kpi_of = |date: NaiveDate| -> Option<(i64, Option<i64>)> {
        let k: &Kpis = d.kpis.as_ref()?;
        let back = usize::try_from((today - date).num_days()).ok()?;
        let i = k.resolved_per_day.len().checked_sub(back + 1)?;
        Some((
            k.resolved_per_day[i],
            k.resolution_met_per_day.get(i).copied().flatten(),
        ))
    };
    let total = |v: &[i64]| v.iter().sum::<i64>();
    let mut out = vec![
        format!(
            "{} ({} {}: {}), {} ({}: {})",
            t.new_per_day,
            d.new_per_day.len(),
            l(lang, "días", "days"),
            total(&d.new_per_day),
            t.done_per_day,
            l(lang, "total", "total"),
            total(&d.done_per_day),
        ),
        format!(
            "  {:<10}  {:>7}  {:>8}  {:>9}  {:>9}",
            l(lang, "FECHA", "DATE"),
            l(lang, "NUEVOS", "NEW"),
            l(lang, "CERRADOS", "CLOSED"),
            l(lang, "RESUELTOS", "RESOLVED"),
            l(lang, "SLA RESOL", "SLA MET"),
        ),
    ];
    for (date, (new, done)) in dates(today, d.new_per_day.len())
        .into_iter()
        .zip(d.new_per_day.iter().zip(&d.done_per_day))
    {
        let (resolved, met) = kpi_of(date).map_or_else(
            || ("-".to_string(), "-".to_string()),
            |(r, m)| (r.to_string(), permille(m)),
        );
        out.push(format!(
            "  {date}  {new:>7}  {done:>8}  {resolved:>9}  {met:>9}"
        ));
    }
    out.push(
        l(
            lang,
            "  CERRADOS: pasos a un estado resuelto o cerrado.",
            "  CLOSED: moves into a resolved or closed state.",
        )
        .into(),
    );
    out.push(
        l(
            lang,
            "  RESUELTOS, SLA RESOL: como `guardia report`, últimos 30 días.",
            "  RESOLVED, SLA MET: as `guardia report`, the last 30 days.",
        )
        .into(),
    );
    out
}
