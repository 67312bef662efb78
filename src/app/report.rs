//! `guardia report`: volume, response and resolution times, SLA
//! compliance, reopenings, escalations, rejections and the problems with
//! the most incidents, over a range of local dates, in total and per
//! service, level, operator or priority.
//!
//! The application side chooses what the store counts: the open, finished
//! and rejected states from the workflows' state categories, the ticket
//! types, and the range as instants of the local time zone (the one the
//! dashboard's days use). It fills the SLA outcome cache first if rows are
//! missing, then turns the store's raw figures into medians, 90th
//! percentiles and shares, with labels in the operator's language.

use super::{App, AppError};
use crate::config::{Config, Lang, StateCategory};
use crate::domain::lifecycle;
use crate::domain::report::{Headline, Kpis, percentile, share};
use crate::store::{GroupFigures, ReportGroup, ReportQuery};
use chrono::{DateTime, Duration, Local, NaiveDate, TimeZone, Utc};
use serde::Serialize;

/// What to report on.
#[derive(Debug, Clone, Default)]
pub struct ReportRequest {
    /// First local date, included [default: 29 days before `to`].
    pub from: Option<String>,
    /// Last local date, included [default: today].
    pub to: Option<String>,
    pub by: Option<ReportGroup>,
    /// Only these ticket types; empty for all.
    pub types: Vec<String>,
    /// How many problems to list.
    pub top_problems: usize,
}

/// Median and 90th percentile of a time, in business minutes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TimeStats {
    /// How many tickets the figures are computed from.
    pub count: usize,
    pub median_min: Option<i64>,
    pub p90_min: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LevelCount {
    /// The target level; `null` for hierarchical escalations.
    pub level: Option<i64>,
    pub label: String,
    pub count: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReasonCount {
    pub code: String,
    pub label: String,
    pub count: i64,
}

/// Every figure of the report, for one group or in total.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Figures {
    pub opened: i64,
    /// Finished in the range: resolved plus cancelled.
    pub closed: i64,
    pub resolved: i64,
    /// Finished in a cancelled state (cancelled, rejected).
    pub cancelled: i64,
    /// Open at the end of the range.
    pub backlog: i64,
    pub first_response: TimeStats,
    pub resolution: TimeStats,
    pub response_sla_met_pct: Option<f64>,
    pub resolution_sla_met_pct: Option<f64>,
    /// Resolved tickets that had been reopened at some point.
    pub reopened: i64,
    pub reopen_rate_pct: Option<f64>,
    pub escalations: Vec<LevelCount>,
    pub rejections: Vec<ReasonCount>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupReport {
    /// The service, level, operator or priority id; `null` for unassigned.
    pub key: Option<String>,
    pub label: String,
    #[serde(flatten)]
    pub figures: Figures,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProblemReport {
    pub key: String,
    pub title: String,
    pub status: String,
    /// Tickets linked to it as `problem`, created in the range.
    pub incidents: i64,
    /// Minutes logged on those tickets and on the problem itself.
    pub worklog_minutes: i64,
    /// The problem's resources plus the logged minutes at `[costs] hourly_rate`.
    pub cost: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// First and last local date, both included.
    pub from_date: NaiveDate,
    pub to_date: NaiveDate,
    /// The instants they stand for: `[from, to)`.
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub generated_at: DateTime<Utc>,
    /// The time zone the dates are local to (the computer's: `TZ`, else
    /// the system's), with its offset at the end of the range, since a
    /// server reached over SSH may not be in the calendars' zone.
    pub time_zone: String,
    /// `service`, `level`, `operator`, `priority`, or `null`.
    pub by: Option<&'static str>,
    /// The ticket types counted; empty: every ticket but the records
    /// (problems and known errors).
    pub types: Vec<String>,
    pub totals: Figures,
    pub groups: Vec<GroupReport>,
    pub top_problems: Vec<ProblemReport>,
    /// Outcomes computed before this report (missing from the cache).
    #[serde(skip)]
    pub outcomes_filled: usize,
}

/// The name `--by` and the JSON use for a grouping.
pub fn group_name(g: ReportGroup) -> &'static str {
    match g {
        ReportGroup::Service => "service",
        ReportGroup::Level => "level",
        ReportGroup::Assignee => "operator",
        ReportGroup::Priority => "priority",
    }
}

/// A `YYYY-MM-DD` date given as `flag`.
fn parse_date(flag: &str, s: &str) -> Result<NaiveDate, AppError> {
    let d = NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| {
        AppError::Invalid(format!(
            "{flag} '{s}' is not a date; write it as YYYY-MM-DD, e.g. 2026-03-01"
        ))
    })?;
    if !(1970..=3000).contains(&chrono::Datelike::year(&d)) {
        return Err(AppError::Invalid(format!(
            "{flag} '{s}' is outside the years 1970 to 3000; is it a typo?"
        )));
    }
    Ok(d)
}

/// The first instant of a local date. Where the clocks jump over
/// midnight (a daylight-saving change), the first hour that exists.
fn local_start(d: NaiveDate) -> DateTime<Utc> {
    (0..24)
        .find_map(|h| {
            d.and_hms_opt(h, 0, 0)
                .and_then(|t| Local.from_local_datetime(&t).earliest())
        })
        .map_or_else(
            || d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc(),
            |t| t.with_timezone(&Utc),
        )
}

/// The range of a request: first and last local date, checked.
fn range(req: &ReportRequest, now: DateTime<Utc>) -> Result<(NaiveDate, NaiveDate), AppError> {
    let today = now.with_timezone(&Local).date_naive();
    let to = match &req.to {
        Some(s) => parse_date("--to", s)?,
        None => today,
    };
    let from = match &req.from {
        Some(s) => parse_date("--from", s)?,
        None => to - Duration::days(29),
    };
    if from > to {
        // Without --to the range ends today: name that, not a flag the
        // user never gave.
        return Err(AppError::Invalid(match req.to {
            Some(_) => format!(
                "--from {from} is after --to {to}; the range runs from the first date to the last, both included"
            ),
            None => format!(
                "--from {from} is after today ({to}), where the range ends without --to; give a date up to today, or a later --to"
            ),
        }));
    }
    Ok((from, to))
}

/// The states of every workflow in `categories`.
fn states(cfg: &Config, categories: &[StateCategory]) -> Vec<String> {
    lifecycle::states_in(&cfg.workflows, categories)
}

fn label_of(cfg: &Config, lang: Lang, by: ReportGroup, key: Option<&str>) -> String {
    let Some(k) = key else {
        return match lang {
            Lang::Es => "(sin asignar)".into(),
            Lang::En => "(unassigned)".into(),
        };
    };
    match by {
        ReportGroup::Service => cfg.service(k).map_or(k, |s| s.name.as_str()).to_string(),
        ReportGroup::Assignee => cfg.operator(k).map_or(k, |o| o.name.as_str()).to_string(),
        // A priority renamed in priority.toml since the ticket got it is
        // shown by its id, like an unknown service or operator.
        ReportGroup::Priority => cfg
            .priority
            .priorities
            .iter()
            .find(|g| g.id.get_ref() == k)
            .map_or(k, |g| g.name.get(lang))
            .to_string(),
        ReportGroup::Level => k
            .parse::<u8>()
            .ok()
            .and_then(|n| cfg.level(n))
            .map_or_else(|| k.to_string(), |l| l.name.get(lang).to_string()),
    }
}

/// Where a group goes: in the configuration's order (priorities from the
/// highest, levels by number), values it does not know after those, by
/// name, and unassigned tickets last.
fn order_of(cfg: &Config, by: ReportGroup, key: Option<&str>) -> (usize, String) {
    let Some(k) = key else {
        return (usize::MAX, String::new());
    };
    let position = match by {
        ReportGroup::Service => cfg.services.iter().position(|s| s.id.get_ref() == k),
        ReportGroup::Assignee => cfg.operators.iter().position(|o| o.id.get_ref() == k),
        ReportGroup::Priority => cfg.priority_rank(k),
        ReportGroup::Level => k.parse::<usize>().ok(),
    };
    position.map_or_else(|| (usize::MAX - 1, k.to_string()), |p| (p, String::new()))
}

fn figures(cfg: &Config, lang: Lang, mut g: GroupFigures) -> Figures {
    let stats = |v: &mut Vec<i64>| TimeStats {
        count: v.len(),
        median_min: percentile(v, 50),
        p90_min: percentile(v, 90),
    };
    let counted = g.response_min.len() as i64;
    let hierarchical = match lang {
        Lang::Es => "jerárquico",
        Lang::En => "hierarchical",
    };
    Figures {
        opened: g.opened,
        closed: g.finished,
        resolved: g.resolved(),
        cancelled: g.cancelled,
        backlog: g.backlog,
        first_response: stats(&mut g.response_min),
        resolution: stats(&mut g.resolution_min),
        response_sla_met_pct: share(g.response_met, counted),
        resolution_sla_met_pct: share(g.resolution_met, counted),
        reopened: g.reopened,
        reopen_rate_pct: share(g.reopened, g.resolved()),
        escalations: g
            .escalations
            .iter()
            .map(|(level, count)| LevelCount {
                level: *level,
                label: level.map_or_else(
                    || hierarchical.to_string(),
                    |n| {
                        u8::try_from(n).ok().and_then(|n| cfg.level(n)).map_or_else(
                            || n.to_string(),
                            |l| format!("{n} – {}", l.name.get(lang)),
                        )
                    },
                ),
                count: *count,
            })
            .collect(),
        rejections: g
            .rejections
            .iter()
            .map(|(code, count)| ReasonCount {
                code: code.clone(),
                label: cfg
                    .rejection(code)
                    .map_or_else(|| code.clone(), |r| r.label.get(lang).to_string()),
                count: *count,
            })
            .collect(),
    }
}

impl App {
    /// The report for `req`. Fills missing SLA outcomes first (telling
    /// `progress` the ticket row reached and the last one).
    pub fn report(
        &mut self,
        req: &ReportRequest,
        progress: &mut dyn FnMut(i64, i64),
    ) -> Result<Report, AppError> {
        // Checked first, so a mistyped flag does not wait for a fill.
        range(req, self.clock.now())?;
        self.check_types(&req.types)?;
        let filled = self.ensure_sla_outcomes(progress)?;
        let mut report = self.report_as_is(req)?;
        report.outcomes_filled = filled;
        Ok(report)
    }

    fn check_types(&self, types: &[String]) -> Result<(), AppError> {
        let cfg = &self.config;
        for t in types {
            if cfg.ticket_type(t).is_none() {
                return Err(AppError::unknown(
                    "ticket type",
                    t,
                    cfg.types.iter().map(|t| t.id.get_ref().clone()),
                ));
            }
        }
        Ok(())
    }

    /// The report from the SLA outcomes as they are (none is computed:
    /// a finished ticket without one is left out of the times).
    pub fn report_as_is(&self, req: &ReportRequest) -> Result<Report, AppError> {
        let now = self.clock.now();
        let (from_date, to_date) = range(req, now)?;
        self.check_types(&req.types)?;
        let filled = 0;
        let cfg = &self.config;
        let from = local_start(from_date);
        let to = local_start(to_date + Duration::days(1));
        let open = states(
            cfg,
            &[
                StateCategory::New,
                StateCategory::Active,
                StateCategory::Waiting,
            ],
        );
        let other = states(
            cfg,
            &[
                StateCategory::Resolved,
                StateCategory::Closed,
                StateCategory::Cancelled,
            ],
        );
        let mut types = req.types.clone();
        types.sort();
        types.dedup();
        let q = ReportQuery {
            open_states: open,
            other_states: other,
            cancelled_states: states(cfg, &[StateCategory::Cancelled]),
            types: (!types.is_empty()).then(|| types.clone()),
            // Problems and known errors are records, not the queue's work:
            // without --types they are left out (named in it, they count).
            exclude_records: types.is_empty(),
            from_ms: from.timestamp_millis(),
            to_ms: to.timestamp_millis(),
            now_ms: now.timestamp_millis(),
            group: req.by,
            top_problems: req.top_problems,
        };
        let data = self.reader().report(&q)?;
        let lang = self.lang;
        // Without groups the one group is the total (not copied: its
        // minutes are two integers per resolved ticket in range).
        let mut data = data;
        let total = if req.by.is_none() {
            std::mem::take(&mut data.groups)
                .into_values()
                .next()
                .unwrap_or_default()
        } else {
            let mut total = GroupFigures::default();
            for g in data.groups.values() {
                total.absorb(g);
            }
            total
        };
        let mut groups: Vec<GroupReport> = match req.by {
            None => Vec::new(),
            // A group with nothing in range is no row: the backlog of a
            // past range can leave one behind (see `GroupFigures::is_empty`).
            Some(by) => data
                .groups
                .into_iter()
                .filter(|(_, g)| !g.is_empty())
                .map(|(key, g)| GroupReport {
                    label: label_of(cfg, lang, by, key.as_deref()),
                    key,
                    figures: figures(cfg, lang, g),
                })
                .collect(),
        };
        if let Some(by) = req.by {
            groups.sort_by_cached_key(|g| order_of(cfg, by, g.key.as_deref()));
        }
        Ok(Report {
            from_date,
            to_date,
            from,
            to,
            generated_at: now,
            time_zone: local_zone_label_over(from, to),
            by: req.by.map(group_name),
            types,
            totals: figures(cfg, lang, total),
            groups,
            top_problems: data
                .problems
                .into_iter()
                .map(|p| ProblemReport {
                    key: p.key,
                    title: p.title,
                    status: p.status,
                    incidents: p.incidents,
                    worklog_minutes: p.incident_minutes + p.problem_minutes,
                    cost: ((p.resource_cents as f64 / 100.0
                        + (p.incident_minutes + p.problem_minutes) as f64 / 60.0
                            * *cfg.settings.costs.hourly_rate.get_ref())
                        * 100.0)
                        .round()
                        / 100.0,
                })
                .collect(),
            outcomes_filled: filled,
        })
    }
}

/// The dashboard's headline of a report's totals.
fn headline(f: &Figures) -> Headline {
    let permille = |p: Option<f64>| p.map(|v| (v * 10.0).round() as i64);
    Headline {
        opened: f.opened,
        closed: f.closed,
        backlog: f.backlog,
        counted: f.first_response.count as i64,
        response_median_min: f.first_response.median_min,
        resolution_median_min: f.resolution.median_min,
        resolution_p90_min: f.resolution.p90_min,
        response_met_permille: permille(f.response_sla_met_pct),
        resolution_met_permille: permille(f.resolution_sla_met_pct),
        reopened: f.reopened,
        escalations: f.escalations.iter().map(|e| e.count).sum(),
        rejections: f.rejections.iter().map(|r| r.count).sum(),
    }
}

/// Days the dashboard's figures cover, today included.
pub const KPI_DAYS: i64 = 30;

impl App {
    /// The console dashboard's figures: today's and the last 30 days'
    /// (the same as `guardia report` for those dates), with resolved
    /// tickets and resolution SLA met per day. `None` while some finished
    /// tickets lack their SLA outcome: the dashboard does not compute
    /// them (a minute at 1M tickets); `guardia report` does, once.
    pub fn kpis(&self) -> Result<Option<Kpis>, AppError> {
        let Some(mut k) = self.kpis_month()? else {
            return Ok(None);
        };
        k.today = self.kpis_today()?;
        Ok(Some(k))
    }

    /// Today's local date: the last day of the dashboard's figures.
    pub fn kpi_date(&self) -> NaiveDate {
        self.clock.now().with_timezone(&Local).date_naive()
    }

    /// The 30 days' part of [`App::kpis`] (`today` left empty): about
    /// 60 ms at 1M tickets, so the console refreshes it less often than
    /// today's.
    pub fn kpis_month(&self) -> Result<Option<Kpis>, AppError> {
        if !self.reader().sla_outcomes_complete()? {
            return Ok(None);
        }
        let today = self.kpi_date();
        let first = today - Duration::days(KPI_DAYS - 1);
        let month = self.report_as_is(&ReportRequest {
            from: Some(first.to_string()),
            to: Some(today.to_string()),
            ..Default::default()
        })?;
        let ranges: Vec<(i64, i64)> = (0..KPI_DAYS)
            .map(|i| {
                let d = first + Duration::days(i);
                (
                    local_start(d).timestamp_millis(),
                    local_start(d + Duration::days(1)).timestamp_millis(),
                )
            })
            .collect();
        let cancelled = states(&self.config, &[StateCategory::Cancelled]);
        let per_day = self.reader().resolved_per_range(&ranges, &cancelled)?;
        Ok(Some(Kpis {
            today: Headline::default(),
            month: headline(&month.totals),
            resolved_per_day: per_day.iter().map(|(n, _, _)| *n).collect(),
            resolution_met_per_day: per_day
                .iter()
                .map(|(_, counted, met)| share_permille(*met, *counted))
                .collect(),
        }))
    }

    /// Today's part of [`App::kpis`]: one day's ranges, a few ms.
    pub fn kpis_today(&self) -> Result<Headline, AppError> {
        let today = self.kpi_date().to_string();
        let day = self.report_as_is(&ReportRequest {
            from: Some(today.clone()),
            to: Some(today),
            ..Default::default()
        })?;
        Ok(headline(&day.totals))
    }
}

/// The computer's time zone as a person reads it: its name when `TZ` or
/// `/etc/localtime` gives one, and its offset from UTC at `at`
/// (`America/Bogota, UTC-05:00`; `UTC+00:00` when nothing names it).
pub fn local_zone_label(at: DateTime<Utc>) -> String {
    local_zone_label_over(at, at)
}

/// As [`local_zone_label`], over `[from, to)`: both offsets when a
/// daylight-saving change falls inside (`UTC+01:00 to UTC+02:00`).
pub fn local_zone_label_over(from: DateTime<Utc>, to: DateTime<Utc>) -> String {
    let offset_at = |t: DateTime<Utc>| t.with_timezone(&Local).format("%:z").to_string();
    let last = (to - Duration::milliseconds(1)).max(from);
    let (first, end) = (offset_at(from), offset_at(last));
    let offset = if first == end {
        first
    } else {
        format!("{first} to UTC{end}")
    };
    let from_path = |p: &str| {
        p.rsplit_once("zoneinfo/")
            .map_or_else(|| p.to_string(), |(_, name)| name.to_string())
    };
    let name = std::env::var("TZ")
        .ok()
        .map(|tz| from_path(tz.trim_start_matches(':')))
        .or_else(|| {
            std::fs::read_link("/etc/localtime")
                .ok()
                .map(|p| from_path(&p.to_string_lossy()))
        })
        .filter(|n| !n.is_empty());
    match name {
        Some(n) if unknown_zone(&n) => {
            format!("{n} (an unknown zone: the C library uses UTC), UTC{offset}")
        }
        Some(n) => format!("{n}, UTC{offset}"),
        None => format!("UTC{offset}"),
    }
}

/// `met` of `counted` in thousandths, rounded to the nearest as the
/// report's percentages are (2 of 3 is 667, 66.7 %, not 666); `None`
/// when nothing was counted.
fn share_permille(met: i64, counted: i64) -> Option<i64> {
    (counted > 0).then(|| (met * 2000 + counted) / (2 * counted))
}

/// Whether `TZ` names an `Area/City` zone the zone database lacks (a typo
/// such as `America/Bogta`): the C library then silently counts in UTC,
/// which a title naming the zone must not hide.
fn unknown_zone(name: &str) -> bool {
    if !name.contains('/') || name.starts_with('/') {
        return false;
    }
    let dir = std::env::var_os("TZDIR").unwrap_or_else(|| "/usr/share/zoneinfo".into());
    !std::path::Path::new(&dir).join(name).is_file()
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_days_share_rounds_to_the_nearest_thousandth() {
        assert_eq!(super::share_permille(2, 3), Some(667));
        assert_eq!(super::share_permille(1, 3), Some(333));
        assert_eq!(super::share_permille(22, 24), Some(917));
        assert_eq!(super::share_permille(0, 5), Some(0));
        assert_eq!(super::share_permille(0, 0), None);
    }

    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-03-02T12:00:00Z")
            .expect("time")
            .with_timezone(&Utc)
    }

    #[test]
    fn the_default_range_is_the_last_thirty_days() {
        let (from, to) = range(&ReportRequest::default(), now()).expect("range");
        assert_eq!((to - from).num_days(), 29);
    }

    #[test]
    fn bad_dates_and_inverted_ranges_are_refused() {
        let req = |from: &str, to: &str| ReportRequest {
            from: Some(from.into()),
            to: Some(to.into()),
            ..Default::default()
        };
        assert!(range(&req("2026-02-30", "2026-03-01"), now()).is_err());
        assert!(range(&req("0226-02-01", "2026-03-01"), now()).is_err());
        let e = range(&req("2026-03-05", "2026-03-01"), now()).expect_err("inverted");
        assert!(e.to_string().contains("after --to"), "{e}");
        assert!(range(&req("2026-03-01", "2026-03-01"), now()).is_ok());
    }

    #[test]
    fn a_from_after_today_without_to_names_today() {
        let req = ReportRequest {
            from: Some("2027-01-01".into()),
            ..Default::default()
        };
        let e = range(&req, now()).expect_err("after today").to_string();
        assert!(e.contains("after today (2026-03-02)"), "{e}");
        assert!(!e.contains("--to 2026"), "{e}");
    }
}
