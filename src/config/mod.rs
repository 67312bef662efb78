//! Configuration: the organisation's procedures as TOML data. Owns loading the
//! files (a file in the config directory replaces the embedded default of the
//! same name), validating them together, and answering look-ups. It never
//! touches the database or the terminal.

mod files;
mod schema;
mod stray;
mod validate;

pub use files::{MissingFolder, named_folder_exists, read_file};
pub use schema::*;
pub use validate::{RESOLUTION_TIME_FIELD, sla_target_message, toml_error_message};

use std::fmt;
use std::path::{Path, PathBuf};

/// UI language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Es,
    En,
}

impl Lang {
    /// Spanish when the locale says so, English otherwise.
    pub fn from_locale(locale: Option<&str>) -> Lang {
        match locale {
            Some(l) if l.to_ascii_lowercase().starts_with("es") => Lang::Es,
            _ => Lang::En,
        }
    }

    pub fn parse(s: &str) -> Option<Lang> {
        match s.to_ascii_lowercase().as_str() {
            "es" | "spa" | "español" | "espanol" => Some(Lang::Es),
            "en" | "eng" | "english" => Some(Lang::En),
            _ => None,
        }
    }
}

/// One configuration file: its name, where it came from, and its text.
#[derive(Debug, Clone)]
pub struct Source {
    pub name: &'static str,
    /// `None` for the embedded default.
    pub path: Option<PathBuf>,
    pub text: String,
}

impl Source {
    pub fn display_name(&self) -> String {
        match &self.path {
            Some(p) => p.display().to_string(),
            None => format!("(built-in) {}", self.name),
        }
    }

    /// 1-based line and column of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let upto = &self.text[..offset.min(self.text.len())];
        let line = upto.matches('\n').count() + 1;
        let col = upto.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        (line, col)
    }
}

/// The embedded defaults, in load order.
pub const DEFAULT_FILES: &[(&str, &str)] = &[
    (
        "guardia.toml",
        include_str!("../../assets/config/guardia.toml"),
    ),
    (
        "fields.toml",
        include_str!("../../assets/config/fields.toml"),
    ),
    ("types.toml", include_str!("../../assets/config/types.toml")),
    (
        "services.toml",
        include_str!("../../assets/config/services.toml"),
    ),
    (
        "escalation.toml",
        include_str!("../../assets/config/escalation.toml"),
    ),
    (
        "priority.toml",
        include_str!("../../assets/config/priority.toml"),
    ),
    (
        "rejections.toml",
        include_str!("../../assets/config/rejections.toml"),
    ),
    (
        "runbooks.toml",
        include_str!("../../assets/config/runbooks.toml"),
    ),
    (
        "operators.toml",
        include_str!("../../assets/config/operators.toml"),
    ),
    (
        "workflows.toml",
        include_str!("../../assets/config/workflows.toml"),
    ),
    (
        "calendars.toml",
        include_str!("../../assets/config/calendars.toml"),
    ),
    ("sla.toml", include_str!("../../assets/config/sla.toml")),
];

/// Public holidays shipped with guardia (2026-2027 for CO, PY, MX, ES).
pub const HOLIDAYS: &str = include_str!("../../assets/calendars/holidays.toml");

/// One problem found in the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub file: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
}

/// One problem per line: a line break in a path or in a value quoted from
/// a file (`workflow = "x\n  ok.toml:1:1: all good"`) is shown, not kept,
/// so nothing can fake another problem, and no control reaches the terminal.
impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let file = crate::text::sanitize_line(&self.file);
        let message = crate::text::sanitize_line(&self.message);
        match (self.line, self.column) {
            (Some(l), Some(c)) => write!(f, "{file}:{l}:{c}: {message}"),
            (Some(l), None) => write!(f, "{file}:{l}: {message}"),
            _ => write!(f, "{file}: {message}"),
        }
    }
}

/// Everything wrong with a configuration; nothing runs while there is any.
#[derive(Debug, Clone, Default, thiserror::Error)]
pub struct ConfigError {
    pub problems: Vec<Problem>,
    /// Checks that could not run (those between files, when a file could
    /// not be read), said after the problems so nobody takes the list for
    /// complete.
    pub notes: Vec<String>,
}

impl ConfigError {
    pub fn new(problems: Vec<Problem>) -> ConfigError {
        ConfigError {
            problems,
            notes: Vec::new(),
        }
    }

    /// Both results, or every problem of both: `config check` reads the
    /// twelve files and `keymap.toml`, and reports all of them at once.
    pub fn both<A, B>(
        a: Result<A, ConfigError>,
        b: Result<B, ConfigError>,
    ) -> Result<(A, B), ConfigError> {
        match (a, b) {
            (Ok(a), Ok(b)) => Ok((a, b)),
            (Err(e), Ok(_)) | (Ok(_), Err(e)) => Err(e),
            (Err(mut e), Err(other)) => {
                e.problems.extend(other.problems);
                e.notes.extend(other.notes);
                Err(e)
            }
        }
    }
}

impl From<Problem> for ConfigError {
    fn from(p: Problem) -> ConfigError {
        ConfigError::new(vec![p])
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "the configuration has {} problem(s); fix them (see `guardia config check`) before running any command:",
            self.problems.len()
        )?;
        for p in &self.problems {
            writeln!(f, "  {p}")?;
        }
        for n in &self.notes {
            writeln!(f, "  note: {}", crate::text::sanitize_line(n))?;
        }
        Ok(())
    }
}

/// The validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub settings: Settings,
    pub fields: Vec<FieldDef>,
    pub types: Vec<TicketType>,
    pub services: Vec<Service>,
    pub levels: Vec<Level>,
    pub priority: PriorityFile,
    pub rejections: Vec<RejectionReason>,
    pub runbooks: Vec<Runbook>,
    pub roles: Vec<Role>,
    pub operators: Vec<Operator>,
    pub workflows: Vec<Workflow>,
    /// Business calendars, checked and ready to count with, by id.
    pub calendars: Vec<(CalendarDef, crate::domain::calendar::Calendar)>,
    pub sla_policies: Vec<SlaPolicy>,
    /// Where each file came from, for `config check`.
    pub sources: Vec<Source>,
    /// What validation found odd but workable (a role no operator holds),
    /// for `config check`: see [`Config::check_warnings`].
    pub warnings: Vec<Problem>,
    /// Files of the configuration folder that guardia does not read but
    /// whose names are close to one it does (`service.toml`): every
    /// command warns about them on stderr.
    pub stray_files: Vec<Problem>,
}

/// Field names that are columns of every ticket rather than catalogue fields.
pub const CORE_FIELDS: &[&str] = &[
    "title",
    "description",
    "assignee",
    "service",
    "impact",
    "urgency",
    "priority",
    "level",
];

impl Config {
    /// Loads the files of `dir` over the embedded defaults. `dir` may be
    /// missing (nothing at that path); a folder or file that is there but
    /// cannot be read is a problem, never a reason to use the built-in file.
    /// (A folder the user named must exist: [`named_folder_exists`].)
    pub fn load(dir: Option<&Path>) -> Result<Config, ConfigError> {
        let dir = match dir {
            Some(d) if files::folder_present(d)? => Some(d),
            _ => None,
        };
        let stray = dir.map(stray::stray_files).unwrap_or_default();
        let mut sources = Vec::new();
        let mut problems = Vec::new();
        let mut unreadable = Vec::new();
        for (name, default_text) in DEFAULT_FILES {
            let path = dir.map(|d| d.join(name));
            let read = match &path {
                Some(p) => files::read_file(p),
                None => Ok(None),
            };
            let text = match read {
                Ok(Some(text)) => text,
                Ok(None) => {
                    sources.push(Source {
                        name,
                        path: None,
                        text: (*default_text).to_string(),
                    });
                    continue;
                }
                // The other files are still read and parsed, so that all
                // their problems are named in the same run.
                Err(p) => {
                    problems.push(p);
                    unreadable.push(*name);
                    String::new()
                }
            };
            sources.push(Source { name, path, text });
        }
        match validate::parse_and_validate_read(sources, problems, &unreadable) {
            Ok(mut config) => {
                config.stray_files = stray;
                Ok(config)
            }
            Err(mut e) => {
                e.notes.extend(built_in_notes(&e.problems, dir));
                // A misnamed file may be why a reference is unknown.
                e.notes.extend(stray.iter().map(ToString::to_string));
                Err(e)
            }
        }
    }

    /// Only the embedded defaults.
    pub fn builtin() -> Result<Config, ConfigError> {
        Self::load(None)
    }

    /// The built-in configuration with `extra` appended to its guardia.toml
    /// (for tests, and to try a setting without writing files).
    pub fn builtin_with_settings(extra: &str) -> Result<Config, ConfigError> {
        let sources = DEFAULT_FILES
            .iter()
            .map(|(name, text)| Source {
                name,
                path: None,
                text: if *name == "guardia.toml" {
                    format!("{text}\n{extra}\n")
                } else {
                    (*text).to_string()
                },
            })
            .collect();
        Config::from_sources(sources)
    }

    pub fn from_sources(sources: Vec<Source>) -> Result<Config, ConfigError> {
        validate::parse_and_validate(sources)
    }

    pub fn field(&self, id: &str) -> Option<&FieldDef> {
        self.fields.iter().find(|f| f.id.get_ref() == id)
    }

    pub fn ticket_type(&self, id: &str) -> Option<&TicketType> {
        self.types.iter().find(|t| t.id.get_ref() == id)
    }

    /// Whether tickets of type `type_id` hold the catalogue field `field`
    /// (mandatory or optional).
    pub fn type_holds(&self, type_id: &str, field: &str) -> bool {
        self.ticket_type(type_id).is_some_and(|t| {
            t.mandatory
                .iter()
                .chain(&t.optional)
                .any(|f| f.get_ref() == field)
        })
    }

    pub fn service(&self, id: &str) -> Option<&Service> {
        self.services.iter().find(|s| s.id.get_ref() == id)
    }

    pub fn level(&self, n: u8) -> Option<&Level> {
        self.levels.iter().find(|l| *l.n.get_ref() == n)
    }

    pub fn max_level(&self) -> u8 {
        self.levels
            .iter()
            .map(|l| *l.n.get_ref())
            .max()
            .unwrap_or(1)
    }

    pub fn rejection(&self, code: &str) -> Option<&RejectionReason> {
        self.rejections.iter().find(|r| r.code.get_ref() == code)
    }

    /// The reasons a ticket of type `type_id` may be rejected with, in the
    /// order of rejections.toml.
    pub fn rejections_for<'a>(
        &'a self,
        type_id: &'a str,
    ) -> impl Iterator<Item = &'a RejectionReason> {
        self.rejections
            .iter()
            .filter(move |r| r.applies_to(type_id))
    }

    pub fn runbook(&self, id: &str) -> Option<&Runbook> {
        self.runbooks.iter().find(|r| r.id.get_ref() == id)
    }

    pub fn operator(&self, id: &str) -> Option<&Operator> {
        self.operators.iter().find(|o| o.id.get_ref() == id)
    }

    pub fn operator_by_login(&self, login: &str) -> Option<&Operator> {
        self.operators
            .iter()
            .find(|o| o.logins.iter().any(|l| l == login))
    }

    pub fn role(&self, id: &str) -> Option<&Role> {
        self.roles.iter().find(|r| r.id.get_ref() == id)
    }

    pub fn workflow(&self, id: &str) -> Option<&Workflow> {
        self.workflows.iter().find(|w| w.id.get_ref() == id)
    }

    /// The workflow of a ticket type (validated to exist).
    /// A business calendar by id.
    pub fn calendar(&self, id: &str) -> Option<&crate::domain::calendar::Calendar> {
        self.calendars
            .iter()
            .find(|(d, _)| d.id.get_ref() == id)
            .map(|(_, c)| c)
    }

    /// The SLA policy of a ticket type: the first that lists it, else the
    /// first that lists no types. Problems and known errors follow a policy
    /// only if it names their type: a catch-all policy is for the queue's work.
    pub fn sla_policy(&self, type_id: &str) -> Option<&SlaPolicy> {
        let named = self
            .sla_policies
            .iter()
            .find(|p| p.types.iter().any(|t| t.get_ref() == type_id));
        if named.is_some() || self.record_of(type_id) != RecordKind::Ticket {
            return named;
        }
        self.sla_policies.iter().find(|p| p.types.is_empty())
    }

    /// What tickets of a type record (an unknown type records tickets).
    pub fn record_of(&self, type_id: &str) -> RecordKind {
        self.ticket_type(type_id)
            .map(|t| t.record)
            .unwrap_or_default()
    }

    /// The types whose tickets record `kind`, in configuration order.
    pub fn types_recording(&self, kind: RecordKind) -> impl Iterator<Item = &TicketType> {
        self.types.iter().filter(move |t| t.record == kind)
    }

    pub fn workflow_for_type(&self, type_id: &str) -> Option<&Workflow> {
        self.ticket_type(type_id)
            .and_then(|t| self.workflow(t.workflow.get_ref()))
    }

    pub fn priority_ids(&self) -> impl Iterator<Item = &str> {
        self.priority
            .priorities
            .iter()
            .map(|g| g.id.get_ref().as_str())
    }

    /// Position of a priority on its scale, 0 = highest.
    pub fn priority_rank(&self, id: &str) -> Option<usize> {
        self.priority
            .priorities
            .iter()
            .position(|g| g.id.get_ref() == id)
    }

    /// The id of the grade (priority, impact, urgency) `input` names: its id,
    /// or its label in either language, in any case and with or without
    /// accents (`alta`, `Crítica`, `critica`), as an operator reads them in
    /// `show` and the console.
    pub fn grade_id<'a>(grades: &'a [Grade], input: &str) -> Option<&'a str> {
        let input = input.trim();
        if let Some(g) = grades.iter().find(|g| g.id.get_ref() == input) {
            return Some(g.id.get_ref());
        }
        let wanted = folded(input);
        grades
            .iter()
            .find(|g| folded(&g.name.es) == wanted || folded(&g.name.en) == wanted)
            .map(|g| g.id.get_ref().as_str())
    }

    /// The label of a grade (priority, impact, urgency), or its id when the
    /// configuration no longer lists it (renamed since the ticket got it):
    /// the id says more than "?".
    pub fn grade_label<'a>(grades: &'a [Grade], id: &'a str, lang: Lang) -> &'a str {
        grades
            .iter()
            .find(|g| g.id.get_ref() == id)
            .map_or(id, |g| g.name.get(lang))
    }

    /// The texts of the files as they are in force (embedded or user), for `init`.
    pub fn default_texts() -> impl Iterator<Item = (&'static str, &'static str)> {
        DEFAULT_FILES.iter().copied()
    }

    /// Dossier requirement to escalate a ticket of `service` to `level`:
    /// `None` when not applicable, else the required field ids.
    pub fn dossier_requirement(&self, service: &str, level: u8) -> DossierRequirement {
        if let Some(svc) = self.service(service)
            && let Some(ovr) = svc.escalation.iter().find(|e| *e.level.get_ref() == level)
        {
            if ovr.not_applicable {
                return DossierRequirement::NotApplicable(ovr.note.clone());
            }
            if let Some(fields) = &ovr.dossier {
                return DossierRequirement::Fields(
                    fields.iter().map(|f| f.get_ref().clone()).collect(),
                );
            }
        }
        match self.level(level) {
            Some(l) if l.not_applicable => DossierRequirement::NotApplicable(l.note.clone()),
            Some(l) => {
                DossierRequirement::Fields(l.dossier.iter().map(|f| f.get_ref().clone()).collect())
            }
            None => DossierRequirement::Fields(Vec::new()),
        }
    }
}

/// For each built-in file that has a problem (a file of the folder
/// referring to something the built-in one lacks, say), how to get a copy
/// to edit: the built-in text cannot be changed in place.
fn built_in_notes(problems: &[Problem], dir: Option<&Path>) -> Vec<String> {
    let mut names: Vec<&str> = problems
        .iter()
        .filter_map(|p| p.file.strip_prefix("(built-in) "))
        .collect();
    names.dedup();
    let mut seen = std::collections::BTreeSet::new();
    names.retain(|n| seen.insert(*n));
    names
        .into_iter()
        .map(|name| {
            let target = match dir {
                Some(d) => shell_word(&d.join(name).display().to_string()),
                None => format!("DIR/{name}"),
            };
            let folder = if dir.is_some() {
                String::new()
            } else {
                " (DIR being your configuration folder, see --config)".to_string()
            };
            format!(
                "(built-in) {name} is the file compiled into guardia, in force because the configuration folder has no {name}; to change it, write an editable copy with `guardia config print-default {name} > {target}`{folder} and edit that"
            )
        })
        .collect()
}

/// `text` as one word of a shell command: as it is when it holds only
/// characters no shell treats specially, else in single quotes.
fn shell_word(text: &str) -> String {
    let plain = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+@%:,".contains(c));
    if plain {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', "'\\''"))
    }
}

impl Config {
    /// Everything `config check` warns about, one `file:line:col: warning:
    /// …` line each: misnamed files of the folder, what validation found
    /// odd but workable, and calendars without holidays in `year`.
    pub fn check_warnings(&self, year: i32) -> Vec<String> {
        self.stray_files
            .iter()
            .chain(&self.warnings)
            .map(ToString::to_string)
            .chain(self.holiday_warnings(year))
            .collect()
    }
}

/// What escalating to a level requires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DossierRequirement {
    /// "No aplica" (seed 000 §14), with the configured note.
    NotApplicable(Option<String>),
    Fields(Vec<String>),
}

/// Default locations (platform directories), overridable by flags and env.
pub mod paths {
    use directories::ProjectDirs;
    use std::path::PathBuf;

    fn dirs() -> Option<ProjectDirs> {
        ProjectDirs::from("org", "guardia", "guardia")
    }

    pub fn data_dir() -> Option<PathBuf> {
        dirs().map(|d| d.data_dir().to_path_buf())
    }

    pub fn config_dir() -> Option<PathBuf> {
        dirs().map(|d| d.config_dir().to_path_buf())
    }
}

/// Lower case without the accents Spanish writes, for matching what an
/// operator types against a label.
pub(crate) fn folded(text: &str) -> String {
    text.to_lowercase()
        .chars()
        .map(|c| match c {
            'á' => 'a',
            'é' => 'e',
            'í' => 'i',
            'ó' => 'o',
            'ú' | 'ü' => 'u',
            other => other,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_config_is_valid() {
        match Config::builtin() {
            Ok(cfg) => {
                assert!(!cfg.types.is_empty());
                assert!(cfg.levels.len() >= 5);
                // Every role the shipped procedures need is held by someone.
                assert_eq!(cfg.warnings, Vec::new());
            }
            Err(e) => panic!("{e}"),
        }
    }

    /// `config check` lists the keymap's problems with the twelve files'.
    #[test]
    fn both_results_keep_every_problem() {
        let problem = |file: &str| Problem {
            file: file.into(),
            line: Some(1),
            column: None,
            message: "bad".into(),
        };
        let files: Result<(), ConfigError> = Err(ConfigError {
            problems: vec![problem("a.toml")],
            notes: vec!["later".into()],
        });
        let keymap: Result<(), ConfigError> = Err(problem("keymap.toml").into());
        let err = ConfigError::both(files, keymap).expect_err("both failed");
        assert_eq!(
            err.to_string().lines().skip(1).collect::<Vec<_>>(),
            ["  a.toml:1: bad", "  keymap.toml:1: bad", "  note: later"]
        );
        let ok: Result<(u8, u8), ConfigError> = ConfigError::both(Ok(1), Ok(2));
        assert_eq!(ok.ok(), Some((1, 2)));
    }

    #[test]
    fn a_sync_target_is_a_folder_or_a_repository() {
        let none = Config::builtin().expect("built-in");
        assert_eq!(none.settings.sync, None);
        let folder =
            Config::builtin_with_settings("[sync]\nfolder = \"/mnt/compartido\"").expect("folder");
        assert_eq!(
            folder.settings.sync.and_then(|s| s.via()),
            Some(SyncVia::Folder("/mnt/compartido".into()))
        );
        let git = Config::builtin_with_settings("[sync]\ngit = \"git@example.org:mesa/s.git\"")
            .expect("git");
        assert_eq!(
            git.settings.sync.and_then(|s| s.via()),
            Some(SyncVia::Git {
                repo: "git@example.org:mesa/s.git".into(),
                branch: DEFAULT_SYNC_BRANCH.into()
            })
        );
        let branch =
            Config::builtin_with_settings("[sync]\ngit = \"/srv/s.git\"\nbranch = \"mesa\"")
                .expect("branch");
        assert_eq!(
            branch.settings.sync.and_then(|s| s.via()),
            Some(SyncVia::Git {
                repo: "/srv/s.git".into(),
                branch: "mesa".into()
            })
        );
    }

    #[test]
    fn a_wrong_sync_target_is_refused_with_a_reason() {
        for (extra, why) in [
            ("[sync]", "names no target"),
            (
                "[sync]\nfolder = \"compartido\"",
                "must be an absolute path",
            ),
            ("[sync]\nfolder = \"/a\"\ngit = \"/b.git\"", "both set"),
            (
                "[sync]\nfolder = \"/a\"\nbranch = \"x\"",
                "only with sync.git",
            ),
            ("[sync]\ngit = \"--upload-pack=x\"", "is not a repository"),
            (
                "[sync]\ngit = \"/b.git\"\nbranch = \"-x\"",
                "not a branch name",
            ),
            ("[sync]\nfolders = \"/a\"", "unknown key 'folders'"),
        ] {
            match Config::builtin_with_settings(extra) {
                Ok(_) => panic!("{extra:?} was accepted"),
                Err(e) => assert!(e.to_string().contains(why), "{extra:?}: {e}"),
            }
        }
    }
}
