//! Parses the configuration files and checks them against each other, naming
//! file, line and problem for everything wrong (all problems at once, so an
//! administrator fixes them in one pass).

use super::*;
use crate::domain::duration::{self, DurationError};
use serde::de::DeserializeOwned;
use std::collections::{BTreeSet, HashSet};
use toml::Spanned;

mod consistency;
mod rejections;
mod toml_errors;
mod workflows;
pub use toml_errors::toml_error_message;
pub use workflows::RESOLUTION_TIME_FIELD;

struct Checker<'a> {
    sources: &'a [Source],
    problems: Vec<Problem>,
    /// What is odd but can work (a role nobody holds yet): `config check`
    /// says it, nothing is refused for it.
    warnings: Vec<Problem>,
    /// Files that could not be read (their problem is reported already).
    unreadable: &'a [&'static str],
}

/// How many unknown keys of one file are named before its reading stops.
const MAX_UNKNOWN_KEYS: usize = 50;

impl Checker<'_> {
    fn source(&self, name: &str) -> &Source {
        // Every name comes from DEFAULT_FILES, so the source exists.
        self.sources
            .iter()
            .find(|s| s.name == name)
            .unwrap_or(&self.sources[0])
    }

    fn at(&mut self, file: &str, span: std::ops::Range<usize>, message: String) {
        let src = self.source(file);
        let (line, col) = src.line_col(span.start);
        let file = src.display_name();
        self.problems.push(Problem {
            file,
            line: Some(line),
            column: Some(col),
            message,
        });
    }

    /// A warning at `span` of `file`; the message starts with `warning:`.
    fn warn_at(&mut self, file: &str, span: std::ops::Range<usize>, message: String) {
        let src = self.source(file);
        let (line, col) = src.line_col(span.start);
        let file = src.display_name();
        self.warnings.push(Problem {
            file,
            line: Some(line),
            column: Some(col),
            message: format!("warning: {message}"),
        });
    }

    fn whole(&mut self, file: &str, message: String) {
        let file = self.source(file).display_name();
        self.problems.push(Problem {
            file,
            line: None,
            column: None,
            message,
        });
    }

    /// Reads one file into its shape. A file with nothing in it is refused
    /// (an empty `sla.toml` would drop every SLA without a word), and past
    /// an unknown key the reading goes on, so that every misspelt key of
    /// the file is named at once; any other problem ends the file's reading.
    fn parse<T: DeserializeOwned>(&mut self, name: &'static str) -> Option<T> {
        if self.unreadable.contains(&name) {
            return None;
        }
        let src = self.source(name);
        // Only blank and comment lines: every other line of TOML is a key, a
        // table header or a syntax error.
        let empty = src.text.trim_start_matches('\u{feff}').lines().all(|l| {
            let l = l.trim();
            l.is_empty() || l.starts_with('#')
        });
        if empty {
            let message = format!(
                "the file is empty: `guardia config print-default {name}` prints the built-in one to start from (or delete the file to use the built-in one)"
            );
            self.whole(name, message);
            return None;
        }
        let mut text = std::borrow::Cow::Borrowed(src.text.as_str());
        let mut found = Vec::new();
        // Keys reported as unknown where a later problem says they belong
        // elsewhere (a key of the file written inside a table), by place.
        let mut explained = Vec::new();
        loop {
            let e = match toml::from_str::<T>(&text) {
                Ok(v) if found.is_empty() => return Some(v),
                Ok(_) => break,
                Err(e) => e,
            };
            let located = toml_errors::located(Some(name), &src.text, &text, &e);
            let (line, column) = located
                .span
                .as_ref()
                .map(|span| src.line_col(span.start))
                .unzip();
            if let Some(key) = located.explains_unknown {
                explained.push((line, column, format!("unknown key '{key}'")));
            }
            found.push(Problem {
                file: src.display_name(),
                line,
                column,
                message: located.message,
            });
            let next = e
                .span()
                .filter(|_| e.message().starts_with("unknown field"))
                .filter(|_| found.len() < MAX_UNKNOWN_KEYS)
                .and_then(|span| toml_errors::without_key(&text, span.start));
            match next {
                Some(next) => text = std::borrow::Cow::Owned(next),
                None => break,
            }
        }
        found.retain(|p| {
            !explained.iter().any(|(l, c, m)| {
                p.line == *l && p.column == *c && p.message.starts_with(m.as_str())
            })
        });
        found.sort_by_key(|p| (p.line, p.column));
        self.problems.extend(found);
        None
    }

    /// Reports every id that appears twice in `ids`.
    fn unique<'s>(
        &mut self,
        file: &str,
        what: &str,
        ids: impl IntoIterator<Item = &'s Spanned<String>>,
    ) {
        let mut seen = HashSet::new();
        for id in ids {
            if id.get_ref().trim().is_empty() {
                self.at(file, id.span(), format!("{what} id is empty"));
            } else if !valid_id(id.get_ref()) {
                self.at(
                    file,
                    id.span(),
                    format!(
                        "{what} id '{}' may only use letters, digits, '_', '-' and '.' (it appears in commands and keys)",
                        crate::text::sanitize_line(id.get_ref())
                    ),
                );
            } else if !seen.insert(id.get_ref().clone()) {
                self.at(
                    file,
                    id.span(),
                    format!("duplicate {what} '{}'; ids must be unique", id.get_ref()),
                );
            }
        }
    }

    fn known(
        &mut self,
        file: &str,
        what: &str,
        id: &Spanned<String>,
        known: &BTreeSet<String>,
    ) -> bool {
        if known.contains(id.get_ref()) {
            return true;
        }
        let list = if known.is_empty() {
            "none is defined".to_string()
        } else {
            known.iter().cloned().collect::<Vec<_>>().join(", ")
        };
        self.at(
            file,
            id.span(),
            format!("unknown {what} '{}'; known: {list}", id.get_ref()),
        );
        false
    }
}

/// Ids are typed on command lines and combined as `RUNBOOK/ITEM` or
/// `kind:target`, and printed as they are: letters, digits, `_ - .` only.
fn valid_id(id: &str) -> bool {
    id.chars().next().is_some_and(|c| c.is_alphanumeric())
        && id
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// `1, 2, 4` rather than Rust's `{1, 2, 4}`.
fn list<T: std::fmt::Display>(items: &BTreeSet<T>) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn ids<'a, T: 'a>(items: &'a [T], get: impl Fn(&'a T) -> &'a Spanned<String>) -> BTreeSet<String> {
    items.iter().map(|i| get(i).get_ref().clone()).collect()
}

pub(super) fn parse_and_validate(sources: Vec<Source>) -> Result<Config, ConfigError> {
    parse_and_validate_read(sources, Vec::new(), &[])
}

/// Like [`parse_and_validate`] after reading the files, when the files
/// named in `unreadable` could not be read (`problems` says why): every
/// other file is still parsed, so each one's problems are named in the
/// same run.
pub(super) fn parse_and_validate_read(
    sources: Vec<Source>,
    problems: Vec<Problem>,
    unreadable: &[&'static str],
) -> Result<Config, ConfigError> {
    let mut c = Checker {
        sources: &sources,
        problems,
        warnings: Vec::new(),
        unreadable,
    };
    let settings: Option<Settings> = c.parse("guardia.toml");
    let fields: Option<FieldsFile> = c.parse("fields.toml");
    let types: Option<TypesFile> = c.parse("types.toml");
    let services: Option<ServicesFile> = c.parse("services.toml");
    let escalation: Option<EscalationFile> = c.parse("escalation.toml");
    let priority: Option<PriorityFile> = c.parse("priority.toml");
    let rejections: Option<RejectionsFile> = c.parse("rejections.toml");
    let runbooks: Option<RunbooksFile> = c.parse("runbooks.toml");
    let operators: Option<OperatorsFile> = c.parse("operators.toml");
    let workflows: Option<WorkflowsFile> = c.parse("workflows.toml");
    let calendars: Option<CalendarsFile> = c.parse("calendars.toml");
    let sla: Option<SlaFile> = c.parse("sla.toml");

    let (
        Some(settings),
        Some(fields),
        Some(types),
        Some(services),
        Some(escalation),
        Some(priority),
        Some(rejections),
        Some(runbooks),
        Some(operators),
        Some(workflows),
        Some(calendars),
        Some(sla),
    ) = (
        settings, fields, types, services, escalation, priority, rejections, runbooks, operators,
        workflows, calendars, sla,
    )
    else {
        // The files refer to each other: with one of them unread, the
        // checks between them would only report knock-on errors.
        return Err(ConfigError {
            problems: c.problems,
            notes: vec![
                "the checks between the files (references, the escalation matrix, workflows, SLA policies) did not run, as they need every file read; run `guardia config check` again once the problems above are fixed".into(),
            ],
        });
    };

    check_all(
        &mut c,
        &settings,
        &fields,
        &types,
        &services,
        &escalation,
        &priority,
        &rejections,
        &runbooks,
        &operators,
        &workflows,
    );
    consistency::check(
        &mut c,
        &consistency::Files {
            fields: &fields,
            types: &types,
            escalation: &escalation,
            priority: &priority,
            rejections: &rejections,
            runbooks: &runbooks,
            operators: &operators,
            workflows: &workflows,
            calendars: &calendars,
            sla: &sla,
        },
    );
    // References are checked against every calendar the file defines, even
    // one that failed its own checks: its error is enough, a knock-on
    // "unknown calendar" in sla.toml or workflows.toml would mislead.
    let calendar_ids = ids(&calendars.calendars, |d| &d.id);
    let calendars = check_calendars(&mut c, calendars);
    workflows::check(
        &mut c,
        &workflows,
        &fields,
        &operators,
        &calendar_ids,
        &types,
    );
    check_sla(&mut c, &sla, &calendar_ids, &types, &priority, &workflows);
    if !c.problems.is_empty() {
        return Err(ConfigError::new(c.problems));
    }
    let warnings = c.warnings;
    let mut levels = escalation.levels;
    levels.sort_by_key(|l| *l.n.get_ref());
    Ok(Config {
        settings,
        fields: fields.fields,
        types: types.types,
        services: services.services,
        levels,
        priority,
        rejections: rejections.reasons,
        runbooks: runbooks.runbooks,
        roles: operators.roles,
        operators: operators.operators,
        workflows: workflows.workflows,
        calendars,
        sla_policies: sla.policies,
        sources,
        warnings,
        stray_files: Vec::new(),
    })
}

/// SLA policies must name a calendar, states, types and priorities that
/// exist, and targets that read as durations.
fn check_sla(
    c: &mut Checker,
    sla: &SlaFile,
    calendar_ids: &BTreeSet<String>,
    types: &TypesFile,
    priority: &PriorityFile,
    workflows: &WorkflowsFile,
) {
    const F: &str = "sla.toml";
    let type_ids = ids(&types.types, |t| &t.id);
    let states: BTreeSet<String> = workflows
        .workflows
        .iter()
        .flat_map(|w| w.states.iter().map(|s| s.id.get_ref().clone()))
        .collect();
    let prios = ids(&priority.priorities, |g| &g.id);
    let mut seen = HashSet::new();
    let mut covered: HashSet<String> = HashSet::new();
    // The first policy without `types` takes every type no policy lists;
    // a second one would never be used.
    let mut catch_all: Option<&str> = None;
    for p in &sla.policies {
        if p.types.is_empty() {
            match catch_all {
                Some(first) => c.at(
                    F,
                    p.id.span(),
                    format!(
                        "policy '{}' lists no types, like policy '{first}' before it: only the first policy without types is used (for every type no policy lists), so '{}' would never apply; give it the types it is for, or merge the two",
                        p.id.get_ref(),
                        p.id.get_ref()
                    ),
                ),
                None => catch_all = Some(p.id.get_ref()),
            }
        }
        if !seen.insert(p.id.get_ref().clone()) {
            c.at(
                F,
                p.id.span(),
                format!("policy '{}' is defined twice", p.id.get_ref()),
            );
        }
        c.known(F, "calendar", &p.calendar, calendar_ids);
        for t in &p.types {
            c.known(F, "ticket type", t, &type_ids);
            if !covered.insert(t.get_ref().clone()) {
                c.at(
                    F,
                    t.span(),
                    format!(
                        "ticket type '{}' is already covered by an earlier policy",
                        t.get_ref()
                    ),
                );
            }
        }
        if p.running.is_empty() && p.running_categories.is_empty() {
            c.at(
                F,
                p.id.span(),
                format!(
                    "policy '{}' lists no running states or categories: its clocks would never run",
                    p.id.get_ref()
                ),
            );
        }
        // The resolution clock stops while a ticket is resolved, closed or
        // cancelled; a running finished state would count that time.
        let finished: Vec<&str> = p
            .running_categories
            .iter()
            .filter(|cat| cat.is_done())
            .map(|cat| cat.name())
            .collect();
        if !finished.is_empty() {
            c.at(
                F,
                p.id.span(),
                format!(
                    "policy '{}' runs its clocks in running_categories {}: the resolution clock stops while a ticket is resolved, closed or cancelled, so those cannot run it; list only new, active and waiting",
                    p.id.get_ref(),
                    finished.join(", ")
                ),
            );
        }
        for s in &p.running {
            c.known(F, "state", s, &states);
            // A state id may be finished in one workflow and not in
            // another: only one finished wherever it is can never run.
            let having: Vec<(&Workflow, bool)> = workflows
                .workflows
                .iter()
                .filter_map(|w| {
                    w.states
                        .iter()
                        .find(|st| st.id.get_ref() == s.get_ref())
                        .map(|st| (w, st.category.is_done()))
                })
                .collect();
            if let Some((w, _)) = having.first().filter(|_| having.iter().all(|(_, d)| *d)) {
                c.at(
                    F,
                    s.span(),
                    format!(
                        "running state '{}' is a finished state of workflow '{}': the resolution clock stops while a ticket is resolved, closed or cancelled, so it cannot run it; list states of categories new, active or waiting",
                        s.get_ref(),
                        w.id.get_ref()
                    ),
                );
            }
        }
        let w = *p.warn_percent.get_ref();
        if !(1..=99).contains(&w) {
            c.at(
                F,
                p.warn_percent.span(),
                format!(
                    "warn_percent {w} is out of range: write a whole number from 1 to 99 (the share of a target used up when the ticket is flagged at risk), like warn_percent = 75"
                ),
            );
        }
        for prio in &prios {
            if !p.targets.get_ref().contains_key(prio) {
                c.at(
                    F,
                    p.targets.span(),
                    format!(
                        "policy '{}' has no targets for priority '{prio}'; add a line for it to the policy's targets, like {prio} = {{ response = \"4h\", resolution = \"2d\" }}",
                        p.id.get_ref()
                    ),
                );
            }
        }
        for (prio, t) in p.targets.get_ref() {
            if !prios.contains(prio) {
                c.at(
                    F,
                    p.targets.span(),
                    format!(
                        "'{prio}' is not a priority; priorities are {}",
                        prios.iter().cloned().collect::<Vec<_>>().join(", ")
                    ),
                );
            }
            for (kind, d) in [("response", &t.response), ("resolution", &t.resolution)] {
                let what = format!("{kind} target");
                if duration::lacks_unit(d.get_ref()) {
                    // `resolution = 4` unquoted is refused for the same reason.
                    c.at(F, d.span(), duration::unit_message(&what, d.get_ref()));
                } else if let Err(e) = duration::parse(d.get_ref()) {
                    c.at(F, d.span(), sla_target_message(&what, d.get_ref(), e));
                }
            }
        }
    }
}

/// What an administrator is told about an SLA target (`what`: "response
/// target", "resolution target") that does not read. Targets are business
/// time and `1d` is a business day of 8 hours, so the cap of 336 hours is
/// `42d`; the worklog's advice (split the entry) does not apply.
pub fn sla_target_message(what: &str, text: &str, error: DurationError) -> String {
    match error {
        DurationError::NotADuration => format!(
            "{what} '{text}' is not a duration; write business time such as 30m, 4h, 1h30m or 3d (1d = 8 business hours)"
        ),
        DurationError::NotPositive => format!(
            "{what} '{text}' must be longer than zero; write business time such as 30m or 4h"
        ),
        DurationError::TooLong { minutes } => format!(
            "{what} '{text}' is {} of business time{}; a target can be at most {} business hours ({}d): write a shorter one",
            duration::hours_text(minutes),
            duration::day_note(text, "business"),
            duration::MAX_MINUTES / 60,
            duration::MAX_MINUTES / duration::DAY_MINUTES
        ),
        DurationError::FarTooLong => format!(
            "{what} '{text}' is far longer than {} business hours ({}d), the longest a target can be: write a shorter one",
            duration::MAX_MINUTES / 60,
            duration::MAX_MINUTES / duration::DAY_MINUTES
        ),
    }
}

/// A TOML date without a time, as a calendar date.
fn toml_date(d: &toml::value::Datetime) -> Option<chrono::NaiveDate> {
    match (d.date, d.time, d.offset) {
        (Some(date), None, None) => chrono::NaiveDate::from_ymd_opt(
            i32::from(date.year),
            u32::from(date.month),
            u32::from(date.day),
        ),
        _ => None,
    }
}

/// Why `holidays_of` names no shipped country, and what to write instead.
fn unknown_country(country: &str, countries: &BTreeSet<&str>) -> String {
    let shown = crate::text::sanitize_line(country);
    let upper = country.trim().to_uppercase();
    // `co` or ` CO` is a slip of the hand, not a missing country.
    if countries.contains(upper.as_str()) {
        return format!(
            "guardia ships no holidays for '{shown}'; write the country code as '{upper}' (capitals, no spaces)"
        );
    }
    format!(
        "guardia ships no holidays for '{shown}'; holidays_of must be one of {}, or leave it out and list your dates in extra_holidays",
        countries.iter().copied().collect::<Vec<_>>().join(", ")
    )
}

impl Config {
    /// Warnings, not errors, about calendars whose holidays stop before
    /// `year` (the clock's, passed in): the shipped holidays cover a few
    /// years and `extra_holidays` lists dates of the years written, so a
    /// calendar that had holidays goes on without any, counting next
    /// year's Christmas as a working day. One `file:line:col: message`
    /// per calendar (at its id) that lists holidays but none in `year`;
    /// a calendar with no holidays at all (`7x24`) is left alone.
    pub fn holiday_warnings(&self, year: i32) -> Vec<String> {
        let shipped: Vec<Holiday> = toml::from_str::<HolidaysFile>(HOLIDAYS)
            .map(|h| h.holidays)
            .unwrap_or_default();
        let source = self.sources.iter().find(|s| s.name == "calendars.toml");
        let mut out = Vec::new();
        for (def, _) in &self.calendars {
            let country = def.holidays_of.as_ref().map(|c| c.get_ref().as_str());
            let shipped_years: BTreeSet<i32> = shipped
                .iter()
                .filter(|h| Some(h.country.as_str()) == country)
                .filter_map(|h| toml_date(&h.date))
                .map(|d| chrono::Datelike::year(&d))
                .collect();
            let extra_years: BTreeSet<i32> = def
                .extra_holidays
                .iter()
                .filter_map(|d| toml_date(d.get_ref()))
                .map(|d| chrono::Datelike::year(&d))
                .collect();
            if (shipped_years.is_empty() && extra_years.is_empty())
                || shipped_years.contains(&year)
                || extra_years.contains(&year)
            {
                continue;
            }
            let span = |years: &BTreeSet<i32>| match (years.first(), years.last()) {
                (Some(a), Some(b)) if a == b => format!("{a}"),
                (Some(a), Some(b)) => format!("{a}–{b}"),
                _ => String::new(),
            };
            let mut why = Vec::new();
            if let Some(c) = country {
                why.push(if shipped_years.is_empty() {
                    format!("guardia ships no {c} holidays")
                } else {
                    format!(
                        "guardia ships the {c} holidays of {} only",
                        span(&shipped_years)
                    )
                });
            }
            if !extra_years.is_empty() {
                why.push(format!("its extra_holidays are of {}", span(&extra_years)));
            }
            let message = format!(
                "warning: calendar '{id}' has no holidays in {year} ({why}), so its SLA clocks and timers count {year}'s holidays as working days; list them in its extra_holidays (e.g. extra_holidays = [{year}-12-25])",
                id = def.id.get_ref(),
                why = why.join(", and ")
            );
            out.push(match source {
                Some(src) => {
                    let (line, col) = src.line_col(def.id.span().start);
                    format!("{}:{line}:{col}: {message}", src.display_name())
                }
                None => format!("calendars.toml: {message}"),
            });
        }
        out
    }
}

/// Checks every calendar (time zone, holidays, ranges) and builds it.
fn check_calendars(
    c: &mut Checker,
    file: CalendarsFile,
) -> Vec<(CalendarDef, crate::domain::calendar::Calendar)> {
    use crate::domain::calendar::{Calendar, Range};
    const F: &str = "calendars.toml";
    let shipped: Vec<Holiday> = match toml::from_str::<HolidaysFile>(HOLIDAYS) {
        Ok(h) => h.holidays,
        Err(e) => {
            c.whole(F, format!("the built-in holidays data cannot be read: {e}"));
            Vec::new()
        }
    };
    let countries: BTreeSet<&str> = shipped.iter().map(|h| h.country.as_str()).collect();
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for def in file.calendars {
        let id = def.id.get_ref();
        if !valid_id(id) {
            c.at(
                F,
                def.id.span(),
                format!("calendar id '{id}' may hold only letters, digits, '_', '-' and '.'"),
            );
        }
        if !seen.insert(id.clone()) {
            c.at(
                F,
                def.id.span(),
                format!("calendar '{id}' is defined twice"),
            );
        }
        let tz = match def.time_zone.get_ref().parse::<chrono_tz::Tz>() {
            Ok(tz) => Some(tz),
            Err(_) => {
                c.at(
                    F,
                    def.time_zone.span(),
                    format!(
                        "'{}' is not a time zone; use an IANA name such as America/Bogota or Europe/Madrid",
                        def.time_zone.get_ref()
                    ),
                );
                None
            }
        };
        let mut holidays = Vec::new();
        if let Some(country) = &def.holidays_of {
            if countries.contains(country.get_ref().as_str()) {
                holidays.extend(
                    shipped
                        .iter()
                        .filter(|h| &h.country == country.get_ref())
                        .filter_map(|h| toml_date(&h.date)),
                );
            } else {
                c.at(
                    F,
                    country.span(),
                    unknown_country(country.get_ref(), &countries),
                );
            }
        }
        for d in &def.extra_holidays {
            match toml_date(d.get_ref()) {
                Some(date) => holidays.push(date),
                None => c.at(
                    F,
                    d.span(),
                    format!(
                        "holiday {} must be a date such as 2026-12-24, without a time",
                        d.get_ref()
                    ),
                ),
            }
        }
        let names = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
        let mut week: [Vec<Range>; 7] = Default::default();
        let mut ranges_ok = true;
        for (i, day) in def.week.days().into_iter().enumerate() {
            let mut parsed: Vec<(Range, std::ops::Range<usize>)> = Vec::new();
            for text in day {
                match Range::parse(text.get_ref()) {
                    Ok(r) if r.end > 1440 => {
                        ranges_ok = false;
                        c.at(F, text.span(), format!("{} goes past 24:00", r));
                    }
                    Ok(r) => parsed.push((r, text.span())),
                    Err(e) => {
                        ranges_ok = false;
                        c.at(F, text.span(), format!("{}: {e}", names[i]));
                    }
                }
            }
            parsed.sort_by_key(|(r, _)| *r);
            for w in parsed.windows(2) {
                if w[1].0.start < w[0].0.end {
                    ranges_ok = false;
                    c.at(
                        F,
                        w[1].1.clone(),
                        format!("ranges {} and {} of {} overlap", w[0].0, w[1].0, names[i]),
                    );
                }
            }
            week[i] = parsed.into_iter().map(|(r, _)| r).collect();
        }
        // No range at all (every day left out or `[]`): business time would
        // never pass, so SLA clocks on it would stand still and timers
        // counting its time would never fire. (A day whose ranges failed
        // was reported already and is not empty.)
        if ranges_ok && week.iter().all(Vec::is_empty) {
            ranges_ok = false;
            c.at(
                F,
                def.id.span(),
                format!(
                    "calendar '{id}' has no working hours on any day, so SLA clocks on it would never run and timers on its business time would never fire; list working ranges under its [calendar.week], e.g. mon = [\"09:00-17:00\"] (or \"00:00-24:00\" on every day for round-the-clock service)"
                ),
            );
        }
        if let (Some(tz), true) = (tz, ranges_ok) {
            match Calendar::new(tz, week, holidays) {
                Ok(cal) => out.push((def, cal)),
                Err(e) => c.at(F, def.id.span(), format!("calendar '{id}': {e}")),
            }
        }
    }
    out
}

/// `[sync]`: exactly one of a folder (absolute, so it means the same from
/// any working directory) and a git repository; a branch only with git.
/// Nothing may start with `-`, which git would read as an option.
fn check_sync(c: &mut Checker, sync: &SyncTarget) {
    const FILE: &str = "guardia.toml";
    match (&sync.folder, &sync.git) {
        (Some(_), Some(g)) => c.at(
            FILE,
            g.span(),
            "sync.folder and sync.git are both set; keep one (the console syncs with one target)"
                .into(),
        ),
        (None, None) => c.whole(
            FILE,
            "[sync] names no target; add folder = \"/path/to/shared/folder\" or git = \"URL\""
                .into(),
        ),
        _ => {}
    }
    if let Some(f) = &sync.folder {
        let path = f.get_ref();
        if !std::path::Path::new(path).is_absolute() {
            c.at(
                FILE,
                f.span(),
                format!("sync.folder '{path}' must be an absolute path, like /mnt/shared/guardia"),
            );
        }
    }
    if let Some(g) = &sync.git {
        let repo = g.get_ref();
        if repo.trim().is_empty() || repo.starts_with('-') {
            c.at(
                FILE,
                g.span(),
                format!(
                    "sync.git '{repo}' is not a repository; give a URL or a path git understands"
                ),
            );
        }
    }
    if let Some(b) = &sync.branch {
        let branch = b.get_ref();
        if sync.git.is_none() {
            c.at(
                FILE,
                b.span(),
                "sync.branch applies only with sync.git".into(),
            );
        } else if branch.is_empty()
            || branch.starts_with('-')
            || branch.contains("..")
            || branch
                .chars()
                .any(|ch| ch.is_whitespace() || ch.is_control())
        {
            c.at(
                FILE,
                b.span(),
                format!("sync.branch '{branch}' is not a branch name git accepts"),
            );
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn check_all(
    c: &mut Checker,
    settings: &Settings,
    fields: &FieldsFile,
    types: &TypesFile,
    services: &ServicesFile,
    escalation: &EscalationFile,
    priority: &PriorityFile,
    rejections: &RejectionsFile,
    runbooks: &RunbooksFile,
    operators: &OperatorsFile,
    workflows: &WorkflowsFile,
) {
    // Fields: unique ids, choices present for choice fields.
    c.unique("fields.toml", "field", fields.fields.iter().map(|f| &f.id));
    for f in &fields.fields {
        if CORE_FIELDS.contains(&f.id.get_ref().as_str()) {
            c.at(
                "fields.toml",
                f.id.span(),
                format!(
                    "field '{}' is a built-in ticket attribute; choose another id",
                    f.id.get_ref()
                ),
            );
        }
        for (name, bound) in [("min", &f.min), ("max", &f.max)] {
            let Some(bound) = bound else { continue };
            // `nan` compares false with everything: the bound would be off.
            if !bound.get_ref().is_finite() {
                c.at(
                    "fields.toml",
                    bound.span(),
                    format!(
                        "field '{}': {name} = {} is not a number a value can be compared with, so the bound would not apply; write a number such as 0",
                        f.id.get_ref(),
                        bound.get_ref().to_string().to_lowercase()
                    ),
                );
            }
            if f.kind != FieldKind::Number {
                c.at(
                    "fields.toml",
                    bound.span(),
                    format!(
                        "`min` and `max` apply to number fields; field '{}' is not one (remove them, or make it kind = \"number\")",
                        f.id.get_ref()
                    ),
                );
            }
        }
        if let Some(whole) = &f.whole
            && f.kind != FieldKind::Number
        {
            c.at(
                "fields.toml",
                whole.span(),
                format!(
                    "`whole` applies to number fields; field '{}' is not one (remove it, or make it kind = \"number\")",
                    f.id.get_ref()
                ),
            );
        }
        if let (Some(lo), Some(hi)) = (&f.min, &f.max)
            && lo.get_ref() > hi.get_ref()
        {
            c.at(
                "fields.toml",
                hi.span(),
                format!(
                    "field '{}' has max {} below its min {}; swap them",
                    f.id.get_ref(),
                    hi.get_ref(),
                    lo.get_ref()
                ),
            );
        }
        if f.kind == FieldKind::Choice && f.choices.is_empty() {
            c.at(
                "fields.toml",
                f.id.span(),
                format!(
                    "choice field '{}' lists no `choices`; add them",
                    f.id.get_ref()
                ),
            );
        }
    }
    let field_ids = ids(&fields.fields, |f| &f.id);
    let mut fields_and_core = field_ids.clone();
    fields_and_core.extend(CORE_FIELDS.iter().map(|s| s.to_string()));

    let role_ids = ids(&operators.roles, |r| &r.id);
    let workflow_ids = ids(&workflows.workflows, |w| &w.id);

    // Ticket types.
    c.unique(
        "types.toml",
        "ticket type",
        types.types.iter().map(|t| &t.id),
    );
    if types.types.is_empty() {
        c.whole(
            "types.toml",
            "no ticket type is defined; define at least one [[type]]".into(),
        );
    }
    for t in &types.types {
        c.known("types.toml", "workflow", &t.workflow, &workflow_ids);
        // Where each field was first listed: its list and line.
        let mut seen: std::collections::HashMap<&str, (&str, usize)> = Default::default();
        let listed = t
            .mandatory
            .iter()
            .map(|f| ("mandatory", f))
            .chain(t.optional.iter().map(|f| ("optional", f)));
        for (list, f) in listed {
            if !c.known("types.toml", "field", f, &field_ids) {
                continue;
            }
            let line = c.source("types.toml").line_col(f.span().start).0;
            match seen.get(f.get_ref().as_str()) {
                None => {
                    seen.insert(f.get_ref(), (list, line));
                }
                Some((first_list, first_line)) => c.at(
                    "types.toml",
                    f.span(),
                    format!(
                        "field '{}' is listed twice for type '{}': it is already in its {first_list} fields (line {first_line}); remove this entry from {list}",
                        f.get_ref(),
                        t.id.get_ref()
                    ),
                ),
            }
        }
    }
    if let Some(t) = &settings.defaults.ticket_type {
        let type_ids = ids(&types.types, |t| &t.id);
        c.known("guardia.toml", "ticket type", t, &type_ids);
    }
    let rate = *settings.costs.hourly_rate.get_ref();
    if !rate.is_finite() || rate < 0.0 {
        c.at(
            "guardia.toml",
            settings.costs.hourly_rate.span(),
            format!("costs.hourly_rate {rate} is not a cost; write a number of 0 or more"),
        );
    }
    let theme = settings.ui.theme.get_ref();
    if !["default", "light", "mono"].contains(&theme.as_str()) {
        c.at(
            "guardia.toml",
            settings.ui.theme.span(),
            format!("ui.theme '{theme}' is not a theme; use default, light or mono"),
        );
    }
    if let Some(sync) = &settings.sync {
        check_sync(c, sync);
    }
    let code = &settings.defaults.site_code;
    if !crate::domain::site::valid_site_code(code) {
        let message = format!(
            "defaults.site_code '{}' must be 2 to 8 capital letters, like site_code = \"BOG\"",
            crate::text::sanitize_line(code)
        );
        let text = &c.source("guardia.toml").text;
        match toml_errors::key_span(text, &["defaults", "site_code"]) {
            Some(span) => c.at("guardia.toml", span, message),
            None => c.whole("guardia.toml", message),
        }
    }

    // Escalation matrix: levels 1..N with no holes.
    let mut level_ns = BTreeSet::new();
    for l in &escalation.levels {
        let n = *l.n.get_ref();
        if n == 0 {
            c.at("escalation.toml", l.n.span(), "levels start at 1".into());
        } else if !level_ns.insert(n) {
            c.at(
                "escalation.toml",
                l.n.span(),
                format!("duplicate level {n}"),
            );
        }
        c.known("escalation.toml", "role", &l.role, &role_ids);
        for f in &l.dossier {
            c.known("escalation.toml", "dossier field", f, &fields_and_core);
        }
        if l.not_applicable && !l.dossier.is_empty() {
            c.at(
                "escalation.toml",
                l.n.span(),
                format!("level {n} is `not_applicable` but also lists dossier fields; keep one"),
            );
        }
    }
    if escalation.levels.is_empty() {
        c.whole(
            "escalation.toml",
            "the escalation matrix has no [[level]]; define levels 1..N".into(),
        );
    }
    for (expected, n) in (1u8..).zip(level_ns.iter()) {
        if *n != expected {
            let message = format!(
                "the escalation matrix has a hole: level {expected} is missing before level {n}; add a [[level]] with n = {expected}, or renumber the levels from 1 without gaps"
            );
            // At the level after the hole.
            match escalation.levels.iter().find(|l| l.n.get_ref() == n) {
                Some(l) => c.at("escalation.toml", l.n.span(), message),
                None => c.whole("escalation.toml", message),
            }
            break;
        }
    }

    // Services.
    c.unique(
        "services.toml",
        "service",
        services.services.iter().map(|s| &s.id),
    );
    if services.services.is_empty() {
        c.whole(
            "services.toml",
            "no service is defined; define at least one [[service]]".into(),
        );
    }
    for s in &services.services {
        c.unique(
            "services.toml",
            "related application",
            s.related.iter().map(|r| &r.id),
        );
        for e in &s.escalation {
            if !level_ns.contains(e.level.get_ref()) {
                c.at(
                    "services.toml",
                    e.level.span(),
                    format!(
                        "unknown level {} in service '{}'; the matrix has levels {}",
                        e.level.get_ref(),
                        s.id.get_ref(),
                        list(&level_ns)
                    ),
                );
            }
            for f in e.dossier.iter().flatten() {
                c.known("services.toml", "dossier field", f, &fields_and_core);
            }
        }
    }
    let service_ids = ids(&services.services, |s| &s.id);

    // Priority: scales, defaults, matrix without holes, rules.
    c.unique(
        "priority.toml",
        "priority",
        priority.priorities.iter().map(|g| &g.id),
    );
    c.unique(
        "priority.toml",
        "impact",
        priority.impacts.iter().map(|g| &g.id),
    );
    c.unique(
        "priority.toml",
        "urgency",
        priority.urgencies.iter().map(|g| &g.id),
    );
    let prio_ids = ids(&priority.priorities, |g| &g.id);
    let impact_ids = ids(&priority.impacts, |g| &g.id);
    let urgency_ids = ids(&priority.urgencies, |g| &g.id);
    c.known(
        "priority.toml",
        "impact",
        &priority.default_impact,
        &impact_ids,
    );
    c.known(
        "priority.toml",
        "urgency",
        &priority.default_urgency,
        &urgency_ids,
    );
    let matrix = priority.matrix.get_ref();
    for (impact, row) in matrix {
        if !impact_ids.contains(impact) {
            c.at(
                "priority.toml",
                priority.matrix.span(),
                format!("matrix row '{impact}' is not a defined impact"),
            );
        }
        for (urgency, cell) in row {
            if !urgency_ids.contains(urgency) {
                c.at(
                    "priority.toml",
                    cell.span(),
                    format!(
                        "matrix column '{urgency}' (impact '{impact}') is not a defined urgency"
                    ),
                );
            }
            c.known("priority.toml", "priority", cell, &prio_ids);
        }
    }
    for impact in &impact_ids {
        for urgency in &urgency_ids {
            if matrix.get(impact).and_then(|r| r.get(urgency)).is_none() {
                // At the impact's row when there is one, else at [matrix].
                let text = &c.source("priority.toml").text;
                let span = toml_errors::key_span(text, &["matrix", impact])
                    .unwrap_or_else(|| priority.matrix.span());
                c.at(
                    "priority.toml",
                    span,
                    format!(
                        "the matrix has a hole: no priority for impact '{impact}' and urgency '{urgency}'; add {urgency} = \"…\" (a priority id) to the row {impact} of [matrix]"
                    ),
                );
            }
        }
    }
    c.unique(
        "priority.toml",
        "rule",
        priority.rules.iter().map(|r| &r.id),
    );
    for r in &priority.rules {
        c.known("priority.toml", "priority", &r.min_priority, &prio_ids);
        if let Some(f) = &r.field {
            c.known("priority.toml", "field", f, &field_ids);
        }
        if r.field.is_none() && r.related_criticality.is_none() {
            c.at(
                "priority.toml",
                r.id.span(),
                format!(
                    "rule '{}' has no condition; give it `field` or `related_criticality`",
                    r.id.get_ref()
                ),
            );
        }
    }

    rejections::check(c, rejections, types, priority, workflows);

    // Runbooks.
    c.unique(
        "runbooks.toml",
        "runbook",
        runbooks.runbooks.iter().map(|r| &r.id),
    );
    for r in &runbooks.runbooks {
        c.unique(
            "runbooks.toml",
            "runbook item",
            r.items.iter().map(|i| &i.id),
        );
        for s in &r.services {
            c.known("runbooks.toml", "service", s, &service_ids);
        }
        if r.items.is_empty() {
            c.at(
                "runbooks.toml",
                r.id.span(),
                format!("runbook '{}' has no items", r.id.get_ref()),
            );
        }
    }

    // Roles and operators.
    c.unique(
        "operators.toml",
        "role",
        operators.roles.iter().map(|r| &r.id),
    );
    c.unique(
        "operators.toml",
        "operator",
        operators.operators.iter().map(|o| &o.id),
    );
    if operators.operators.is_empty() {
        c.whole(
            "operators.toml",
            "no operator is defined; define at least one [[operator]]".into(),
        );
    }
    // On a shared host (some operator lists `logins`), an operator without
    // logins could be taken over with --as by anybody.
    let shared_host = operators.operators.iter().any(|o| !o.logins.is_empty());
    let mut login_owner: std::collections::HashMap<&str, &str> = Default::default();
    for o in &operators.operators {
        if shared_host && o.logins.is_empty() && o.act_as_others {
            c.at(
                "operators.toml",
                o.id.span(),
                format!(
                    "operator '{}' may act as others but lists no `logins`, so any OS account could use it; list its logins",
                    o.id.get_ref()
                ),
            );
        }
        for login in &o.logins {
            if let Some(first) = login_owner.insert(login, o.id.get_ref()) {
                c.at(
                    "operators.toml",
                    o.id.span(),
                    format!(
                        "OS account '{}' is listed by operators '{first}' and '{}'; an account belongs to one operator",
                        crate::text::sanitize_line(login),
                        o.id.get_ref()
                    ),
                );
            }
        }
        for r in &o.roles {
            c.known("operators.toml", "role", r, &role_ids);
        }
        if !level_ns.contains(o.level.get_ref()) {
            c.at(
                "operators.toml",
                o.level.span(),
                format!(
                    "operator '{}' works at unknown level {}; the matrix has levels {}",
                    o.id.get_ref(),
                    o.level.get_ref(),
                    list(&level_ns)
                ),
            );
        }
    }
}
