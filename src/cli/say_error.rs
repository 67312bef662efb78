//! Refusals in the operator's language, with advice for where they are
//! read. The application layer refuses with data (`AppError`, and the
//! workflow's `Refusal` and the escalation's `EscalationRefusal` inside
//! it); its English wording is the command line's, which scripts and the
//! docs quote, so English is said as it is (the console rewrites its
//! command-line advice, `tui::advice`). In Spanish every refusal an
//! operator meets working tickets is worded here: states, fields, roles
//! and grades by their configured names, and the advice by what is at hand
//! on the surface: commands and flags on the command line, keys and the
//! palette in the console. Configuration, database and sync errors, and
//! free-text refusals not yet kept as data (`AppError::Refused`,
//! `AppError::Invalid`), stay English (docs/cli.md).
//!
//! Every enum is matched whole, so a new refusal fails to compile until it
//! is worded here.

use crate::app::{App, AppError, ApprovalRefusal, RejectionRefusal};
use crate::config::{Config, Lang};
use crate::domain::escalation::EscalationRefusal;
use crate::domain::lifecycle::Refusal;
use crate::tui::action::Action;
use crate::tui::i18n;
use crate::tui::keymap::Keymap;
use crate::tui::state::Pane;

/// Where a refusal is read: its advice names what is at hand there.
#[derive(Debug, Clone, Copy)]
pub enum Surface<'a> {
    CommandLine,
    /// The console, with the keymap in force (`None`: keys unknown, the
    /// actions are named by their description alone).
    Console(Option<&'a Keymap>),
}

/// What wording a refusal needs besides itself.
#[derive(Debug, Clone, Copy)]
pub struct Words<'a> {
    pub cfg: &'a Config,
    pub lang: Lang,
    pub surface: Surface<'a>,
    /// The type of the ticket the refusal is about, when known: its
    /// workflow names the states (one id may be named differently in two).
    pub ticket_type: Option<&'a str>,
}

/// The ticket an error is about, when it names one: its type gives the
/// states their names.
pub fn subject(e: &AppError) -> Option<&str> {
    match e {
        AppError::Transition { key, .. }
        | AppError::FinishNeedsFields { key, .. }
        | AppError::Escalation { key, .. }
        | AppError::Rejection { key, .. }
        | AppError::Approval { key, .. }
        | AppError::About { key, .. }
        | AppError::Refused { key, .. } => Some(key),
        _ => None,
    }
}

/// A failed command's error, worded in `app`'s language for the command
/// line. Only an error as the application layer gave it is worded again;
/// one a context was added to, or any other, is left as it is.
pub fn for_command_line(e: anyhow::Error, app: &App) -> anyhow::Error {
    if app.lang == Lang::En {
        return e;
    }
    let Some(refusal) = e.downcast_ref::<AppError>() else {
        return e;
    };
    let english = refusal.to_string();
    if e.to_string() != english {
        return e;
    }
    let ticket_type = subject(refusal)
        .and_then(|k| app.ticket(k).ok())
        .map(|t| t.ticket_type);
    let said = say(
        refusal,
        &Words {
            cfg: &app.config,
            lang: app.lang,
            surface: Surface::CommandLine,
            ticket_type: ticket_type.as_deref(),
        },
    );
    if said == english {
        // Kept as it was: a configuration error stays one (several lines).
        return e;
    }
    anyhow::Error::new(Said(said))
}

/// What the console's worker words refusals with: a copy of the
/// configuration of its own (the worker's `App` is borrowed while it
/// writes) and the keymap in force, so the advice names the keys that do
/// it here.
#[derive(Debug, Clone)]
pub struct ConsoleWords {
    cfg: Config,
    lang: Lang,
    keymap: Option<Keymap>,
}

impl ConsoleWords {
    pub fn new(cfg: Config, lang: Lang, keymap: Option<Keymap>) -> ConsoleWords {
        ConsoleWords { cfg, lang, keymap }
    }

    /// `e` for the console's status line; `ticket_type` is the type of
    /// the ticket it is about, when known.
    pub fn say(&self, e: &AppError, ticket_type: Option<&str>) -> String {
        say(
            e,
            &Words {
                cfg: &self.cfg,
                lang: self.lang,
                surface: Surface::Console(self.keymap.as_ref()),
                ticket_type,
            },
        )
    }
}

/// An error already worded for the operator.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct Said(String);

/// `e` as the operator reads it.
pub fn say(e: &AppError, w: &Words<'_>) -> String {
    match w.lang {
        Lang::En => e.to_string(),
        Lang::Es => Es(*w).error(e),
    }
}

/// The Spanish wording, with the helpers that name things and give advice.
#[derive(Clone, Copy)]
struct Es<'a>(Words<'a>);

/// "the" noun and whether it is feminine, for `Unknown { what }`.
fn noun(what: &str) -> Option<(&'static str, bool)> {
    Some(match what {
        "approval" => ("aprobación", true),
        "field" => ("campo", false),
        "impact" => ("impacto", false),
        "link kind" => ("tipo de vínculo", false),
        "operator" => ("operador", false),
        "priority" => ("prioridad", true),
        "problem type" => ("tipo de problema", false),
        "rejection reason" => ("motivo de rechazo", false),
        "resource kind" => ("tipo de recurso", false),
        "role" => ("rol", false),
        "runbook" => ("runbook", false),
        "runbook item" => ("paso de runbook", false),
        "service" => ("servicio", false),
        "site" => ("sede", true),
        "status" => ("estado", false),
        "ticket type" => ("tipo de ticket", false),
        "urgency" => ("urgencia", true),
        _ => return None,
    })
}

/// A workflow action (`actions` of workflows.toml) as a verb.
fn action_words(action: &str) -> &str {
    match action {
        "set" => "cambiar campos",
        "assign" => "asignar",
        "comment" => "comentar",
        "worklog" => "registrar trabajo",
        "attach" => "adjuntar",
        "escalate" => "escalar",
        "runbook" => "usar runbooks",
        "link" => "vincular",
        other => other,
    }
}

/// A local time as the cutoff guard writes it (`Tue 2026-03-03 17:05`,
/// perhaps `, a holiday`), in Spanish.
fn local_time(text: &str) -> String {
    let days = [
        ("Mon ", "lun "),
        ("Tue ", "mar "),
        ("Wed ", "mié "),
        ("Thu ", "jue "),
        ("Fri ", "vie "),
        ("Sat ", "sáb "),
        ("Sun ", "dom "),
    ];
    let mut out = text.to_string();
    if let Some((en, es)) = days.iter().find(|(en, _)| text.starts_with(en)) {
        out = format!("{es}{}", &text[en.len()..]);
    }
    out.replace(", a holiday", ", feriado")
        .replace(", not a business day", ", día no hábil")
}

/// `n` items joined as a list is read: "a, b y c".
fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} y {last}", rest.join(", ")),
    }
}

impl<'a> Es<'a> {
    fn console(&self) -> bool {
        matches!(self.0.surface, Surface::Console(_))
    }

    fn cfg(&self) -> &'a Config {
        self.0.cfg
    }

    /// The key that does `action` in `pane`, with what it does:
    /// "= (Editar un campo)"; the description alone without a keymap.
    fn key(&self, pane: Pane, action: Action) -> String {
        let describe = action.describe(Lang::Es);
        match self.0.surface {
            Surface::Console(Some(keymap)) => match keymap.hint(pane.contexts(), action) {
                Some(k) => format!(
                    "{} ({describe})",
                    crate::text::sanitize_line(&k.to_string())
                ),
                None => format!("«{describe}»"),
            },
            _ => format!("«{describe}»"),
        }
    }

    /// "la paleta de comandos (tecla :)".
    fn palette(&self) -> String {
        match self.0.surface {
            Surface::Console(Some(keymap)) => {
                match keymap.hint(Pane::Queue.contexts(), Action::CommandPalette) {
                    Some(k) => format!(
                        "la paleta de comandos (tecla {})",
                        crate::text::sanitize_line(&k.to_string())
                    ),
                    None => "la paleta de comandos".into(),
                }
            }
            _ => "la paleta de comandos".into(),
        }
    }

    /// A name shown with its id on the command line (where the id is what
    /// is typed), alone in the console: "in_progress (En curso)", "En curso".
    fn named(&self, id: &str, name: &str) -> String {
        if self.console() {
            name.to_string()
        } else if name == id || name.is_empty() {
            id.to_string()
        } else {
            format!("{id} ({name})")
        }
    }

    fn state_name(&self, state: &str) -> String {
        match self.0.ticket_type {
            Some(t) if self.cfg().workflow_for_type(t).is_some() => {
                i18n::state_label(self.cfg(), Lang::Es, t, state)
            }
            // Without the ticket's type: the first workflow that has it.
            _ => self
                .cfg()
                .workflows
                .iter()
                .flat_map(|wf| wf.states.iter())
                .find(|s| s.id.get_ref() == state)
                .map_or_else(|| state.to_string(), |s| s.name.es.clone()),
        }
    }

    /// A state in a list: "in_progress (En curso)", or "En curso".
    fn state(&self, state: &str) -> String {
        self.named(state, &self.state_name(state))
    }

    /// A state named alone: "'in_progress' (En curso)", or "'En curso'".
    fn state_q(&self, state: &str) -> String {
        let name = self.state_name(state);
        if self.console() {
            format!("'{name}'")
        } else if name == state {
            format!("'{state}'")
        } else {
            format!("'{state}' ({name})")
        }
    }

    fn states(&self, states: &[String]) -> String {
        states
            .iter()
            .map(|s| self.state(s))
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn field(&self, field: &str) -> String {
        self.named(field, &i18n::field_label(self.cfg(), Lang::Es, field))
    }

    fn fields(&self, fields: &[String]) -> String {
        fields
            .iter()
            .map(|f| self.field(f))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// A role: its id on the command line (what operators.toml holds, as
    /// in English), its name in the console.
    fn role(&self, role: &str) -> String {
        match self.cfg().role(role) {
            Some(r) if self.console() => r.name.get(Lang::Es).to_string(),
            _ => role.to_string(),
        }
    }

    fn roles(&self, roles: &[String]) -> String {
        roles
            .iter()
            .map(|r| self.role(r))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// "head (ines)": the roles and who holds them.
    fn roles_and_people(&self, roles: &[String], who_can: &[String]) -> String {
        let mut out = self.roles(roles);
        if !who_can.is_empty() {
            out.push_str(&format!(" ({})", who_can.join(", ")));
        }
        out
    }

    /// An approval by its name in the ticket's workflow: "'large_estimate'
    /// (Estimación grande)", or "'Estimación grande'".
    fn approval(&self, approval: &str) -> String {
        let name = self
            .0
            .ticket_type
            .and_then(|t| self.cfg().workflow_for_type(t))
            .into_iter()
            .chain(self.cfg().workflows.iter())
            .flat_map(|wf| wf.approvals.iter())
            .find(|a| a.id.get_ref() == approval)
            .map(|a| a.name.es.clone())
            .unwrap_or_else(|| approval.to_string());
        if self.console() {
            format!("'{name}'")
        } else if name == approval {
            format!("'{approval}'")
        } else {
            format!("'{approval}' ({name})")
        }
    }

    /// How to give approval `approval` of ticket `key`.
    fn approve_advice(&self, key: &str, approval: &str) -> String {
        if self.console() {
            format!("`approve {approval} MOTIVO` en {}", self.palette())
        } else {
            format!("`guardia approve {key} {approval} --reason \"...\"`")
        }
    }

    /// How to set `field` of ticket `key`: "con `guardia set …`".
    fn set_advice(&self, key: &str, field: &str) -> String {
        if self.console() {
            format!("con {}", self.key(Pane::Detail, Action::SetField))
        } else {
            format!("con `guardia set {key} {field}=...`")
        }
    }

    /// How to link ticket `key` to `other`.
    fn link_advice(&self, key: &str, other: &str) -> String {
        if self.console() {
            format!("escribiendo `link {other}` en {}", self.palette())
        } else {
            format!("con `guardia link {key} {other}`")
        }
    }

    /// How to find a ticket by its text.
    fn search_advice(&self) -> String {
        if self.console() {
            format!(
                "{} busca tickets por texto",
                self.key(Pane::Queue, Action::Filter)
            )
        } else {
            "`guardia search TEXTO` busca tickets por texto".into()
        }
    }

    /// The value an `Unknown` refusal lists, by its name where the
    /// configuration gives one.
    fn known(&self, what: &str, id: &str) -> String {
        let cfg = self.cfg();
        let grade = |grades: &[crate::config::Grade]| {
            self.named(id, Config::grade_label(grades, id, Lang::Es))
        };
        match what {
            "impact" => grade(&cfg.priority.impacts),
            "urgency" => grade(&cfg.priority.urgencies),
            "priority" => grade(&cfg.priority.priorities),
            "rejection reason" => self.named(id, &i18n::reason_label(cfg, Lang::Es, id)),
            "field" => self.field(id),
            "role" => self.role(id),
            "status" => self.state(id),
            _ => id.to_string(),
        }
    }

    fn error(&self, e: &AppError) -> String {
        let console = self.console();
        match e {
            // Configuration, database and sync errors stay English
            // (administrators' messages, docs/cli.md); so do the refusals
            // still given as free text.
            AppError::Config(_)
            | AppError::Store(_)
            | AppError::Sync(_)
            | AppError::Refused { .. }
            | AppError::Invalid(_)
            | AppError::BadFieldValue { .. }
            | AppError::AttachmentRefused { .. } => e.to_string(),
            AppError::UnknownTicket { key } => {
                if console {
                    format!(
                        "no hay ningún ticket '{key}' en esta base; revise la clave: {}",
                        self.search_advice()
                    )
                } else {
                    format!(
                        "no hay ningún ticket '{key}' en esta base; búsquelo con `guardia list` o `guardia search TEXTO`"
                    )
                }
            }
            AppError::BadKey { key } => format!(
                "'{key}' no es una clave de ticket; las claves son como BOG-42 (código de sede, guion, número)"
            ),
            AppError::NoSentDossier { key } => {
                let look = if console {
                    "el historial del ticket muestra sus escalamientos".to_string()
                } else {
                    format!(
                        "`guardia log {key}` muestra sus escalamientos, y `guardia dossier {key}` el dossier del nivel siguiente"
                    )
                };
                format!(
                    "{key}: no se envió ningún dossier al nivel en que está (no se escaló por la matriz, o su nivel cambió desde entonces); {look}"
                )
            }
            AppError::Unknown { what, value, known } => match noun(what) {
                Some((noun, feminine)) => {
                    let known: Vec<String> = known.iter().map(|k| self.known(what, k)).collect();
                    format!(
                        "{noun} {} '{value}'; {}: {}",
                        if feminine {
                            "desconocida"
                        } else {
                            "desconocido"
                        },
                        if feminine {
                            "las conocidas"
                        } else {
                            "los conocidos"
                        },
                        known.join(", ")
                    )
                }
                // A kind of value not worded yet: English whole, not half.
                None => e.to_string(),
            },
            AppError::FieldNotInType {
                field,
                ticket_type,
                known,
            } => format!(
                "el campo '{field}' no es un campo del tipo de ticket '{ticket_type}'; sus campos son: {}",
                self.fields(known)
            ),
            AppError::NotAChoice {
                field,
                value,
                choices,
            } => format!(
                "campo {}: '{value}' no es una de las opciones: {}",
                self.field(field),
                choices.join(", ")
            ),
            AppError::BadAssignment { arg } => {
                format!("'{arg}' no es NOMBRE=VALOR; escriba p. ej. extension=5550")
            }
            AppError::NotSettable { field, hint: _ } => {
                let how = match (field.as_str(), console) {
                    ("status", false) => "use `guardia move CLAVE ESTADO`".to_string(),
                    ("assignee", false) => "use `guardia assign CLAVE USUARIO`".to_string(),
                    ("level", false) => "use `guardia escalate CLAVE --level N`".to_string(),
                    ("status", true) => {
                        format!("use {}", self.key(Pane::Detail, Action::ChangeStatus))
                    }
                    ("assignee", true) => {
                        format!("use {}", self.key(Pane::Detail, Action::AssignTo))
                    }
                    ("level", true) => format!("use {}", self.key(Pane::Detail, Action::Escalate)),
                    _ => "se fija al registrar el ticket".to_string(),
                };
                format!("el campo '{field}' no se cambia con `set`; {how}")
            }
            AppError::MissingFields {
                ticket_type,
                missing,
            } => {
                let named: Vec<String> = missing
                    .iter()
                    .map(|m| self.named(&m.id, &m.label))
                    .collect();
                let how = if console {
                    "Complételos en el formulario"
                } else {
                    "Agréguelos con --field NOMBRE=VALOR (o --title / --description)"
                };
                format!(
                    "no se puede registrar el {ticket_type}: falta(n) campo(s) obligatorio(s): {}. {how}",
                    named.join(", ")
                )
            }
            AppError::Transition { key, refusal } => {
                format!("{key}: {}", self.refusal(key, refusal))
            }
            AppError::FinishNeedsFields {
                key,
                command,
                to,
                fields,
                options,
            } => format!(
                "{key}: {}",
                self.finish_needs(key, command, to, fields, options)
            ),
            AppError::Escalation { key, refusal } => {
                format!("{key}: {}", self.escalation(refusal))
            }
            AppError::Rejection { key, refusal } => {
                format!("{key}: {}", self.rejection(key, refusal))
            }
            AppError::JustificationRequired { computed } => {
                let how = if console {
                    "escriba el porqué en la justificación"
                } else {
                    "agregue --justification \"por qué\""
                };
                format!(
                    "una prioridad manual necesita una justificación, ya que la matriz da {}; {how}",
                    self.known("priority", computed)
                )
            }
            AppError::NoIdentity { login, known } => format!(
                "no se sabe quién es usted: ningún operador corresponde a la cuenta del sistema '{login}'; pase --as OPERADOR o defina GUARDIA_USER (operadores: {})",
                known.join(", ")
            ),
            AppError::NotPermittedAs {
                login,
                operator,
                allowed,
            } => format!(
                "la cuenta del sistema '{login}' no puede actuar como el operador '{operator}' (cuentas permitidas: {}); pida a un administrador que agregue '{login}' a sus `logins` en operators.toml",
                allowed.join(", ")
            ),
            AppError::Approval { key, refusal } => {
                format!("{key}: {}", self.approval_refusal(refusal))
            }
            AppError::ApprovalNeedsReason => {
                if console {
                    format!(
                        "una aprobación necesita un motivo; escríbalo después de la aprobación en {}: `approve ID MOTIVO`",
                        self.palette()
                    )
                } else {
                    "una aprobación necesita un motivo; agregue --reason \"por qué\" (queda registrado con su nombre)".into()
                }
            }
            AppError::EmptyComment => "el comentario está vacío; escriba algún texto".into(),
            AppError::About { key, error } => {
                let inner = self.error(error);
                // Already told with its key (a refusal of a ticket's own).
                if inner.starts_with(&format!("{key}: ")) {
                    inner
                } else {
                    format!("{key}: {inner}")
                }
            }
            AppError::Attachment { path, cause } => format!(
                "no se puede leer el adjunto {}: {cause}; revise la ruta y los permisos",
                path.display()
            ),
            AppError::AttachmentStore { path, cause } => format!(
                "no se puede guardar el adjunto en {}: {cause}; revise el espacio libre en disco, los límites de tamaño de archivo (ulimit -f) y los permisos",
                path.display()
            ),
        }
    }

    /// A record's close or cancel refused for fields: those the command
    /// has an option for are given on it, the others set first. The
    /// console closes records by moving them, so it is told as a move.
    fn finish_needs(
        &self,
        key: &str,
        command: &str,
        to: &str,
        fields: &[String],
        options: &[(String, &'static str)],
    ) -> String {
        if self.console() {
            return self.refusal(
                key,
                &Refusal::MissingFields {
                    to: to.to_string(),
                    fields: fields.to_vec(),
                },
            );
        }
        let with_option: Vec<String> = options.iter().map(|(f, _)| f.clone()).collect();
        let without: Vec<String> = fields
            .iter()
            .filter(|f| !with_option.contains(f))
            .cloned()
            .collect();
        let pass = format!(
            "`guardia {command} {key} {}`",
            options
                .iter()
                .map(|(_, option)| format!("{option} \"...\""))
                .collect::<Vec<_>>()
                .join(" ")
        );
        let set = |f: &str| format!("`guardia set {key} {f}=...`");
        let one = |n: usize, singular: &'static str, plural: &'static str| {
            if n == 1 { singular } else { plural }
        };
        let advice = match (with_option.first(), without.first()) {
            (Some(first), None) => format!(
                "{} en la orden ({pass}), o {} primero ({})",
                one(with_option.len(), "páselo", "páselos"),
                one(with_option.len(), "llénelo", "llénelos"),
                set(first)
            ),
            (Some(_), Some(first)) => format!(
                "pase {} en la orden ({pass}) y llene {} primero ({}): `guardia {command}` no tiene opción para {}",
                self.fields(&with_option),
                self.fields(&without),
                set(first),
                one(without.len(), "ese campo", "esos campos")
            ),
            (None, first) => format!(
                "{} primero ({}): `guardia {command}` no tiene opción para {}",
                one(fields.len(), "llénelo", "llénelos"),
                set(first.map_or("", String::as_str)),
                one(fields.len(), "ese campo", "esos campos")
            ),
        };
        format!(
            "entrar en {} requiere {}; {advice}",
            self.state_q(to),
            self.fields(fields)
        )
    }

    /// How an operator took part in a four-eyes step (`guards::took_part`
    /// words it in English: "moved the ticket to 'x'", "wrote the 'f'
    /// that 'x' requires").
    fn took_part(&self, how: &str) -> String {
        if let Some(step) = how
            .strip_prefix("moved the ticket to '")
            .and_then(|s| s.strip_suffix('\''))
        {
            return format!("pasó el ticket a {}", self.state_q(step));
        }
        if let Some((field, step)) = how
            .strip_prefix("wrote the '")
            .and_then(|s| s.strip_suffix("' requires"))
            .and_then(|s| s.split_once("' that '"))
        {
            return format!(
                "escribió el campo {} que requiere {}",
                self.field(field),
                self.state_q(step)
            );
        }
        how.to_string()
    }

    /// Where else a ticket can go (`guards` writes "s (by r1, r2)" for a
    /// move that is another role's): "assigned (Asignado; lo hace head)".
    fn alternative(&self, text: &str) -> String {
        let Some((state, roles)) = text
            .split_once(" (by ")
            .and_then(|(s, roles)| Some((s, roles.strip_suffix(')')?)))
        else {
            return self.state(text);
        };
        let roles: Vec<String> = roles.split(", ").map(str::to_string).collect();
        let by = format!("lo hace {}", self.roles(&roles));
        let name = self.state_name(state);
        if self.console() {
            format!("{name} ({by})")
        } else if name == state {
            format!("{state} ({by})")
        } else {
            format!("{state} ({name}; {by})")
        }
    }

    fn refusal(&self, key: &str, r: &Refusal) -> String {
        let console = self.console();
        match r {
            Refusal::UnknownState { state, known } => format!(
                "estado desconocido '{state}'; los estados de este flujo son: {}",
                self.states(known)
            ),
            Refusal::SameState { state } => {
                format!("el ticket ya está en el estado {}", self.state_q(state))
            }
            Refusal::StrandedState { from, workflow } => format!(
                "su estado '{from}' no es un estado del flujo '{workflow}' en esta configuración (se renombró en workflows.toml, o se puso con la configuración de otra sede), así que ninguna transición sale de él; vuelva a poner el estado en workflows.toml"
            ),
            Refusal::NoSuchTransition {
                from,
                to,
                reachable,
            } => {
                let head = format!(
                    "el flujo no tiene transición de {} a {}",
                    self.state_q(from),
                    self.state_q(to)
                );
                if reachable.is_empty() {
                    format!("{head}; {} es un estado final", self.state_q(from))
                } else {
                    format!(
                        "{head}; desde {} puede pasar a: {}",
                        self.state_q(from),
                        self.states(reachable)
                    )
                }
            }
            Refusal::RoleNotAllowed {
                to,
                allowed_roles,
                actor,
                actor_roles,
                who_can,
                four_eyes,
                barred,
            } => {
                let head = format!(
                    "pasar a {} requiere uno de los roles {}; el operador '{actor}' tiene {}",
                    self.state_q(to),
                    self.roles(allowed_roles),
                    if actor_roles.is_empty() {
                        "ninguno".to_string()
                    } else {
                        self.roles(actor_roles)
                    }
                );
                if who_can.is_empty()
                    && !barred.is_empty()
                    && let Some(step) = four_eyes
                {
                    return format!(
                        "{head}; {} participó en {}, y los cuatro ojos impiden este paso a quien lo hizo; nadie más tiene esos roles (operators.toml): dé uno de ellos a otro operador, o devuelva el ticket para que otra persona haga {}",
                        barred.join(", "),
                        self.state_q(step),
                        self.state_q(step)
                    );
                }
                if who_can.is_empty() {
                    format!("{head}; pídaselo a alguien con ese rol")
                } else {
                    format!(
                        "{head}; pídaselo a alguien con ese rol: {}",
                        who_can.join(", ")
                    )
                }
            }
            Refusal::MissingFields { to, fields } => {
                let first = fields.first().map_or("", String::as_str);
                let it = if fields.len() == 1 {
                    "llénelo"
                } else {
                    "llénelos"
                };
                let how = if console {
                    format!("{it} primero {}", self.set_advice(key, first))
                } else {
                    format!(
                        "{it} primero (p. ej. `guardia set {key} {first}=...`, o `--field {first}=...` en el mismo move)"
                    )
                };
                format!(
                    "entrar en {} requiere {}; {how}",
                    self.state_q(to),
                    self.fields(fields)
                )
            }
            Refusal::FourEyes {
                to,
                actor,
                how,
                roles,
                who_can,
                elsewhere,
            } => {
                let head = format!(
                    "cuatro ojos: '{actor}' {}, así que otra persona debe pasarlo a {}",
                    self.took_part(how),
                    self.state_q(to)
                );
                if roles.is_empty() {
                    return head;
                }
                if !who_can.is_empty() {
                    return format!(
                        "{head}: pídaselo a {}",
                        self.roles_and_people(roles, who_can)
                    );
                }
                let mut out = format!(
                    "{head}; nadie más tiene los roles {} (operators.toml): dé uno de ellos a otro operador",
                    self.roles(roles)
                );
                if !elsewhere.is_empty() {
                    let places: Vec<String> = elsewhere.iter().map(|s| self.state_q(s)).collect();
                    out.push_str(&format!(
                        ", o páselo a {} para que otra persona haga el paso",
                        places.join(" o ")
                    ));
                }
                out
            }
            Refusal::Cutoff {
                to,
                before,
                calendar,
                local_now,
                exception,
                roles,
                who_can,
            } => format!(
                "pasar a {} solo se permite antes de las {before} en días hábiles del calendario '{calendar}' (ahora: {}); una excepción necesita la aprobación {} de {}: {}",
                self.state_q(to),
                local_time(local_now),
                self.approval(exception),
                self.roles_and_people(roles, who_can),
                self.approve_advice(key, exception)
            ),
            Refusal::Threshold {
                to,
                field,
                value,
                above,
                missing,
                approval,
                roles,
                who_can,
                barred,
                changed_since,
                alternatives,
            } => {
                let mut needs = Vec::new();
                if !missing.is_empty() {
                    needs.push(format!("los campos {} llenos", self.fields(missing)));
                }
                if let Some(a) = approval {
                    let again = if changed_since.is_empty() {
                        String::new()
                    } else {
                        format!(
                            " otra vez ({} cambió después de darse)",
                            self.fields(changed_since)
                        )
                    };
                    if who_can.is_empty() && !barred.is_empty() {
                        let wrote: Vec<String> = barred
                            .iter()
                            .map(|(who, what)| format!("{who} escribió {}", self.field(what)))
                            .collect();
                        needs.push(format!(
                            "la aprobación {}{again} de {}, que nadie puede dar ahora: {} (cuatro ojos); haga que otro operador escriba el valor, o dé uno de los roles {} a otro operador (operators.toml)",
                            self.approval(a),
                            self.roles(roles),
                            wrote.join(", "),
                            self.roles(roles)
                        ));
                    } else {
                        needs.push(format!(
                            "la aprobación {}{again} de {}, que se da con {}",
                            self.approval(a),
                            self.roles_and_people(roles, who_can),
                            self.approve_advice(key, a)
                        ));
                    }
                }
                let mut out = format!(
                    "{} es {value} (más de {above}), así que pasar a {} requiere {}",
                    self.field(field),
                    self.state_q(to),
                    needs.join(" y ")
                );
                if !alternatives.is_empty() {
                    let places: Vec<String> =
                        alternatives.iter().map(|a| self.alternative(a)).collect();
                    out.push_str(&format!("; o páselo a: {}", places.join(", ")));
                }
                out
            }
            Refusal::ApprovalMissing {
                to,
                approval,
                roles,
                who_can,
            } => format!(
                "pasar a {} requiere la aprobación {} de {}: {}",
                self.state_q(to),
                self.approval(approval),
                self.roles_and_people(roles, who_can),
                self.approve_advice(key, approval)
            ),
            Refusal::FieldLocked {
                field,
                state,
                state_name,
                entered_by,
                set_first_in,
                way_back,
            } => {
                let here = if console {
                    format!("'{}'", state_name.es)
                } else {
                    format!("'{state}' ({})", state_name.es)
                };
                if let Some(from) = set_first_in {
                    return format!(
                        "{} no puede cambiar camino a {here}: el flujo lo bloquea allí (`locks` de workflows.toml), para que lo verificado, aprobado o autorizado sea lo que avance; cámbielo primero mientras el ticket está en {} ({}), y luego páselo",
                        self.field(field),
                        self.state_q(from),
                        self.set_advice(key, field)
                    );
                }
                let mut out = format!(
                    "{} no puede cambiar mientras el ticket está en {here}{}: el flujo lo bloquea en ese estado (`locks` de workflows.toml), para que lo verificado, aprobado o autorizado en el camino sea lo que avance",
                    self.field(field),
                    entered_by
                        .as_ref()
                        .map(|who| format!(", adonde lo pasó {who}"))
                        .unwrap_or_default()
                );
                if way_back.is_empty() {
                    out.push_str("; ningún paso lleva de vuelta a un estado donde pueda cambiar");
                    return out;
                }
                let moves: Vec<String> = way_back
                    .iter()
                    .map(|s| {
                        let by = if s.roles.is_empty() {
                            String::new()
                        } else {
                            format!(" (lo hace {})", self.roles(&s.roles))
                        };
                        if console {
                            format!("a {}{by}", self.state_q(&s.to))
                        } else {
                            format!("`guardia move {key} {}`{by}", s.to)
                        }
                    })
                    .collect();
                let with = if console {
                    format!(" con {}", self.key(Pane::Detail, Action::ChangeStatus))
                } else {
                    String::new()
                };
                out.push_str(&format!(
                    "; para cambiarlo, lleve primero el ticket de vuelta{with}: {}, y repita los pasos",
                    moves.join(" y luego ")
                ));
                out
            }
            Refusal::ApprovalFourEyes {
                approval,
                actor,
                field,
                roles,
                who_can,
                barred,
                fields,
            } => {
                let head = format!(
                    "cuatro ojos: '{actor}' escribió {}, así que la aprobación {} debe darla otra persona con los roles {}",
                    self.field(field),
                    self.approval(approval),
                    self.roles(roles)
                );
                if !who_can.is_empty() {
                    return format!("{head}: {}", who_can.join(", "));
                }
                let others = if barred.is_empty() {
                    "; nadie más los tiene (operators.toml)".to_string()
                } else {
                    format!(
                        "; los demás que los tienen ({}) también escribieron lo que cubre",
                        barred.join(", ")
                    )
                };
                let anew: Vec<String> = fields.iter().map(|f| self.field(f)).collect();
                format!(
                    "{head}{others}: haga que otro operador escriba de nuevo {}, {}, o dé uno de los roles {} a otro operador",
                    and_list(&anew),
                    self.set_advice(key, field),
                    self.roles(roles)
                )
            }
            Refusal::ActionNotAllowed {
                action,
                state,
                states,
            } => format!(
                "no se permite {} mientras el ticket está en {}; el flujo lo permite solo en: {}",
                action_words(action),
                self.state_q(state),
                self.states(states)
            ),
        }
    }

    fn escalation(&self, r: &EscalationRefusal) -> String {
        match r {
            EscalationRefusal::UnknownLevel { level, max } => {
                format!("el nivel {level} no existe; la matriz tiene los niveles 1 a {max}")
            }
            EscalationRefusal::NotHigher { current, max } if current >= max => format!(
                "el ticket ya está en el nivel {current}, el más alto de la matriz de escalamiento; no hay nivel superior"
            ),
            EscalationRefusal::NotHigher { current, max } => format!(
                "el ticket ya está en el nivel {current}; escale a un nivel superior ({} a {max})",
                current + 1
            ),
            EscalationRefusal::Incomplete {
                key,
                level,
                missing,
                settable,
                runbooks,
                gaps,
            } => {
                let needed = match gaps.by_level.as_slice() {
                    [(only, _)] if only == level => {
                        format!("los campos del dossier {}", self.fields(missing))
                    }
                    [] => format!("los campos del dossier {}", self.fields(missing)),
                    groups => {
                        let parts: Vec<String> = groups
                            .iter()
                            .map(|(l, fields)| format!("del nivel {l}: {}", self.fields(fields)))
                            .collect();
                        format!(
                            "los campos del dossier {} (un nivel por el que pasa también necesita su dossier)",
                            parts.join("; ")
                        )
                    }
                };
                let mut ways = Vec::new();
                if let Some(first) = settable.first() {
                    ways.push(format!("llénelos {}", self.set_advice(key, first)));
                }
                let show = |ways: &Vec<String>| {
                    if ways.is_empty() {
                        "muestre"
                    } else {
                        "o muestre"
                    }
                };
                if let Some(run) = gaps.running.iter().find(|r| !r.unticked.is_empty()) {
                    let first = &run.unticked[0];
                    let tick = if self.console() {
                        format!(
                            "con {} en el panel de runbooks",
                            self.key(Pane::Runbooks, Action::ToggleStep)
                        )
                    } else {
                        format!("con `guardia runbook tick {key} {first} --evidence TEXTO`")
                    };
                    ways.push(format!(
                        "{} las verificaciones de nivel 1 marcando los pasos del runbook '{}' que faltan: {}, {tick}",
                        show(&ways),
                        run.runbook,
                        run.unticked.join(", ")
                    ));
                } else if let Some(rb) = runbooks.first() {
                    let run = if self.console() {
                        format!(
                            "{} sobre su título en el panel de runbooks",
                            self.key(Pane::Runbooks, Action::RunRunbook)
                        )
                    } else {
                        format!("`guardia runbook run {rb} {key}`")
                    };
                    ways.push(format!(
                        "{} las verificaciones de nivel 1 completando un runbook de nivel 1 ({run}; luego marque sus pasos con su evidencia)",
                        show(&ways)
                    ));
                }
                let how = if ways.is_empty() {
                    "no son campos del tipo de este ticket; agréguelos a su tipo en types.toml"
                        .to_string()
                } else {
                    ways.join("; ")
                };
                format!("escalar al nivel {level} requiere {needed}; {how}")
            }
            EscalationRefusal::NotOpen { state } => format!(
                "el ticket está en {}; solo se escalan los tickets abiertos (reábralo primero)",
                self.state_q(state)
            ),
        }
    }

    fn approval_refusal(&self, r: &ApprovalRefusal) -> String {
        match r {
            ApprovalRefusal::NoApprovals { workflow } => format!(
                "su flujo '{workflow}' no tiene aprobaciones, así que no hay nada que aprobar"
            ),
            ApprovalRefusal::Finished { status } => format!(
                "está en {}; un ticket terminado no necesita aprobación",
                self.state_q(status)
            ),
            ApprovalRefusal::NotInThisState {
                approval,
                status,
                states,
            } => format!(
                "está en {}, y ningún paso desde allí usa la aprobación {}; una aprobación cuenta solo en el estado en que se da, así que dela cuando el ticket esté {}",
                self.state_q(status),
                self.approval(approval),
                if states.is_empty() {
                    "en un estado cuyo paso la use (ninguno la usa en este flujo)".to_string()
                } else {
                    format!("en: {}", self.states(states))
                }
            ),
            ApprovalRefusal::NotYourRole {
                approval,
                roles,
                actor,
                free,
                barred,
            } => {
                let ask = match (free.is_empty(), barred.is_empty()) {
                    (false, _) => format!("pídasela a {}", free.join(", ")),
                    (true, true) => "pídasela a un operador que tenga uno".to_string(),
                    (true, false) => format!(
                        "{} escribió lo que cubre, así que los cuatro ojos le impiden darla: haga que otro operador lo escriba de nuevo, o dé uno de los roles a un operador que no lo haya escrito",
                        barred.join(", ")
                    ),
                };
                format!(
                    "la aprobación {} la dan los roles {}; el operador '{actor}' no tiene ninguno; {ask}",
                    self.approval(approval),
                    self.roles(roles)
                )
            }
        }
    }

    fn rejection(&self, key: &str, r: &RejectionRefusal) -> String {
        let console = self.console();
        let reason = |code: &str| {
            let label = i18n::reason_label(self.cfg(), Lang::Es, code);
            if console || label == code {
                format!("'{label}'")
            } else {
                format!("'{code}' ({label})")
            }
        };
        match r {
            RejectionRefusal::NeedsOriginal { code, likely } => {
                let how = if console {
                    "escriba su clave al inicio de la nota"
                } else {
                    "agregue --of CLAVE"
                };
                let mut out = format!(
                    "rechazar como {} necesita el ticket original: {how}",
                    reason(code)
                );
                if !likely.is_empty() {
                    let named: Vec<String> =
                        likely.iter().map(|(k, t)| format!("{k} ({t})")).collect();
                    out.push_str(&format!("; lo más probable: {}", named.join(", ")));
                }
                out
            }
            RejectionRefusal::DuplicateOfItself => {
                "un ticket no puede ser duplicado de sí mismo".into()
            }
            RejectionRefusal::OriginalOnlyForDuplicates { code } => {
                if console {
                    format!(
                        "el motivo {} no lleva ticket original; solo un duplicado lo lleva",
                        reason(code)
                    )
                } else {
                    format!(
                        "--of es solo para duplicados; el motivo {} no lleva ticket original",
                        reason(code)
                    )
                }
            }
            RejectionRefusal::MajorIncident => format!(
                "es un incidente mayor, declarado por los gestores de incidentes; no se rechaza. El gestor del incidente lo termina con `guardia major resolve {key} --solution TEXTO`"
            ),
            RejectionRefusal::OriginalRejected {
                original,
                duplicate_of,
                perhaps,
            } => format!(
                "{original} también fue rechazado{}; indique el ticket que sigue en curso{}",
                duplicate_of
                    .as_ref()
                    .map(|d| format!(", como duplicado de {d}"))
                    .unwrap_or_default(),
                perhaps
                    .as_ref()
                    .map(|d| format!(" (quizá {d})"))
                    .unwrap_or_default()
            ),
            RejectionRefusal::OriginalNotIncident { original } => {
                let apply = if console {
                    format!(
                        "; {} aplica a este ticket el error conocido sugerido",
                        self.key(Pane::Detail, Action::ApplyKnown)
                    )
                } else {
                    " (`guardia known apply` vincula un ticket a un error conocido)".to_string()
                };
                format!(
                    "{original} es un registro de problema o de error conocido, no un incidente; indique el incidente que este repite{apply}"
                )
            }
            RejectionRefusal::OriginalOtherService {
                original,
                original_service,
                service,
            } => {
                let how = if console {
                    format!(
                        "; {}, y `link CLAVE` en {} vincula tickets relacionados",
                        self.search_advice(),
                        self.palette()
                    )
                } else {
                    " (`guardia search TEXTO`), o vincule los tickets relacionados con `guardia link`"
                        .to_string()
                };
                format!(
                    "{original} es un ticket del servicio '{original_service}' y {key} del servicio '{service}'; un duplicado repite el reporte de la misma falla. Revise la clave{how}"
                )
            }
            RejectionRefusal::OriginalFinished { original, status } => format!(
                "{original} ya está en {}; un duplicado indica un incidente que sigue en curso. Si la falla volvió, este ticket no es un duplicado: trabájelo, y vincúlelo a {original} {}",
                self.state_q(status),
                self.link_advice(key, original)
            ),
            RejectionRefusal::NoRejectedState { workflow } => format!(
                "el flujo '{workflow}' no tiene estado de rechazo; los tickets de este tipo no se pueden rechazar"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words<'a>(cfg: &'a Config, surface: Surface<'a>) -> Words<'a> {
        Words {
            cfg,
            lang: Lang::Es,
            surface,
            ticket_type: Some("incident"),
        }
    }

    #[test]
    fn english_is_the_application_layers_own_wording() {
        let cfg = Config::builtin().expect("built-in configuration");
        let e = AppError::EmptyComment;
        let w = Words {
            lang: Lang::En,
            ..words(&cfg, Surface::CommandLine)
        };
        assert_eq!(say(&e, &w), e.to_string());
    }

    #[test]
    fn a_console_refusal_names_no_command_and_no_flag() {
        let cfg = Config::builtin().expect("built-in configuration");
        let e = AppError::Rejection {
            key: "BOG-2".into(),
            refusal: Box::new(RejectionRefusal::NeedsOriginal {
                code: "duplicate".into(),
                likely: vec![("BOG-1".into(), "Impresora".into())],
            }),
        };
        let said = say(&e, &words(&cfg, Surface::Console(None)));
        assert!(said.contains("al inicio de la nota"), "{said}");
        assert!(!said.contains("--of"), "{said}");
        assert!(!said.contains("guardia "), "{said}");
        let said = say(&e, &words(&cfg, Surface::CommandLine));
        assert!(said.contains("--of CLAVE"), "{said}");
    }

    #[test]
    fn the_four_eyes_step_is_said_in_spanish() {
        let cfg = Config::builtin().expect("built-in configuration");
        let es = Es(words(&cfg, Surface::CommandLine));
        assert_eq!(
            es.took_part("wrote the 'change_script' that 'script_ready' requires"),
            format!(
                "escribió el campo {} que requiere {}",
                es.field("change_script"),
                es.state_q("script_ready")
            )
        );
        assert!(
            es.took_part("moved the ticket to 'new'")
                .starts_with("pasó el ticket a 'new'")
        );
        assert_eq!(
            local_time("Tue 2026-03-03 17:05, a holiday"),
            "mar 2026-03-03 17:05, feriado"
        );
        assert_eq!(and_list(&["a".into(), "b".into(), "c".into()]), "a, b y c");
    }
}
