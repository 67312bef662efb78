//! The command-line contract: every command, flag and environment variable.
//! Scripts rely on these names; change them only with the docs (docs/cli.md).

use clap::{ArgGroup, Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "guardia",
    version,
    about = "Terminal help-desk console: register, triage, escalate and close incidents by your procedures.",
    long_about = "guardia keeps tickets in a local SQLite file and drives them through the procedures in its \
configuration. Without a command it opens the console; when standard input or output is not a \
terminal it prints the newest open tickets instead.",
    after_help = "Environment: GUARDIA_DB (database), GUARDIA_CONFIG (config directory), GUARDIA_USER (operator), \
GUARDIA_NOW (fixed clock, RFC 3339; a testing aid), GUARDIA_LANG (es|en)."
)]
pub struct Cli {
    /// Database file [default: platform data directory/guardia.db]
    #[arg(long, global = true, env = "GUARDIA_DB", value_name = "PATH", help_heading = GLOBAL)]
    pub db: Option<PathBuf>,
    /// Configuration directory; files there replace the built-in ones of the same name
    #[arg(long, global = true, env = "GUARDIA_CONFIG", value_name = "DIR", help_heading = GLOBAL)]
    pub config: Option<PathBuf>,
    /// Act as this operator [default: the operator whose `logins` include your OS account]
    #[arg(long = "as", global = true, env = "GUARDIA_USER", value_name = "USER", help_heading = GLOBAL)]
    pub as_user: Option<String>,
    /// Language of messages and labels: es or en [default: from the locale]
    #[arg(long, global = true, env = "GUARDIA_LANG", value_name = "LANG", help_heading = GLOBAL)]
    pub lang: Option<String>,
    /// Console without colour (the mono theme); also when NO_COLOR is set
    #[arg(long, global = true, help_heading = GLOBAL)]
    pub no_color: bool,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The heading of the global options. Without it clap interleaves them with
/// each command's own options (in `report -h`, `--db` between `--from` and
/// `--to`); under a heading of their own they come after them.
const GLOBAL: &str = "Global options";

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a database (and editable copies of the configuration)
    Init(InitArgs),
    /// Check or print the configuration
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Register a ticket
    New(NewArgs),
    /// Set fields of a ticket (NAME=VALUE ...)
    Set(SetArgs),
    /// Assign a ticket to an operator (`none` unassigns)
    Assign(AssignArgs),
    /// Move a ticket to another state of its workflow
    Move(MoveArgs),
    /// Add a comment (public unless --internal)
    Comment(CommentArgs),
    /// Log time spent on a ticket (e.g. 45m, 1h30m, 1.5h)
    Worklog(WorklogArgs),
    /// Attach a file (copied into the attachment store)
    Attach(AttachArgs),
    /// A ticket's attachments: where each file is stored, and whether it is there unchanged
    Attachments(KeyJson),
    /// Escalate: functional to a level (needs its dossier), or hierarchical to a role
    Escalate(EscalateArgs),
    /// Reject a ticket with a coded reason
    Reject(RejectArgs),
    /// Give an approval a workflow guard asks for (recorded with who and why)
    Approve(ApproveArgs),
    /// Link a ticket to another (related, problem, known_error, major), or unlink with --remove
    Link(LinkArgs),
    /// Fire the workflow timers that are due (for cron; every command also does)
    Tick(JsonFlag),
    /// Render the escalation dossier of a ticket
    Dossier(DossierArgs),
    /// The SLA clocks of a ticket: every interval counted or paused, elapsed, remaining, due
    Sla(SlaArgs),
    /// Runbook checklists: list, run on a ticket, tick items
    #[command(subcommand)]
    Runbook(RunbookCommand),
    /// Workflows: list them, or show one's states and transitions as a diagram
    #[command(subcommand)]
    Workflow(WorkflowCommand),
    /// List tickets one page at a time: newest first, oldest first or by SLA countdown
    List(ListArgs),
    /// Show a ticket with comments, worklog, runbooks and escalations
    Show(KeyJson),
    /// Full-text search over titles, descriptions and comments
    Search(SearchArgs),
    /// The operation log of a ticket: who changed what, when
    Log(KeyJson),
    /// Verify the database: rebuild from the log and compare, integrity checks, missing changes, attachment files
    Doctor(JsonFlag),
    /// Copy the database consistently (while others work) to a new file, its attachment files beside it
    Backup(BackupArgs),
    /// Merge the full-text index's segments so that searches stay fast (for cron; the console does it when idle)
    Compact(JsonFlag),
    /// Sync with other sites by bundle files: export, import, a shared folder, git
    #[command(subcommand)]
    Sync(SyncCommand),
    /// Problems: the common cause of incidents, with tasks, resources and cost
    #[command(subcommand)]
    Problem(ProblemCommand),
    /// Known errors and solutions: symptom, root cause, workaround; apply one to an incident
    #[command(subcommand)]
    Known(KnownCommand),
    /// Major incidents (mass failures): declare, attach reports, resolve them all at once
    #[command(subcommand)]
    Major(MajorCommand),
    /// Generate realistic demo tickets (deterministic for a seed)
    Generate(GenerateArgs),
    /// Reports and KPIs over a range of dates: volume, response and resolution times, SLA met, reopenings, escalations, rejections, top problems
    Report(ReportArgs),
    /// The console's dashboard: open tickets by priority, state, level and operator, SLA clocks warned and breached, new and done per day, the oldest open, today's and 30 days' indicators
    Dashboard(DashboardArgs),
    /// Print shell completions
    Completions(CompletionsArgs),
    /// Print the man page (roff)
    Manpage,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Site code used in ticket keys (2-8 capital letters) [default: from guardia.toml]
    #[arg(long)]
    pub site: Option<String>,
    /// Fill the new database with example tickets
    #[arg(long)]
    pub demo: bool,
    /// How many example tickets --demo generates
    #[arg(long, default_value_t = 400, requires = "demo")]
    pub tickets: usize,
    /// Join an existing dataset: a site key file (keys/<site>.pub) or a
    /// bundle of a site of it, whose key is trusted
    #[arg(long, value_name = "FILE", conflicts_with = "demo")]
    pub join: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum SyncCommand {
    /// Write a bundle of the changes a site (or everyone) has not received
    Export {
        /// The bundle file to write (a new file: an existing one is never overwritten)
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// A site code (what it has acknowledged), or `all` (what was not exported yet)
        #[arg(long = "for", value_name = "SITE|all", default_value = "all")]
        target: String,
        /// Also carry other sites' changesets (signed by their origins), for USB and e-mail hops
        #[arg(long)]
        relay: bool,
        /// Print {file, sha256, changesets, ops, bytes, contains} as JSON
        #[arg(long)]
        json: bool,
        /// Show progress on stderr even when it is not a terminal (a terminal gets it for large bundles)
        #[arg(long)]
        progress: bool,
    },
    /// Import bundles: every check before any write; importing twice changes nothing
    Import {
        /// The bundle files to import, each in a transaction of its own
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        /// Print {imported, refused} as JSON
        #[arg(long)]
        json: bool,
        /// Show progress on stderr even when it is not a terminal (a terminal gets it for large bundles)
        #[arg(long)]
        progress: bool,
    },
    /// Export this site's changes into a shared folder and import everything new from it
    Folder {
        /// The shared folder (it must exist: a drive not mounted is refused)
        dir: PathBuf,
        /// Print {folder, exported, imported, untrusted, refused, withheld} as JSON
        #[arg(long)]
        json: bool,
        /// Show progress on stderr even when it is not a terminal (a terminal gets it for large bundles)
        #[arg(long)]
        progress: bool,
    },
    /// The same through a git repository: pull, import, export, commit, push
    Git {
        /// The repository to sync with (a URL or a path git understands)
        repo: String,
        /// The branch that carries the bundles
        #[arg(long, default_value = "guardia-sync")]
        branch: String,
        /// Print what `sync folder --json` prints plus the git outcome, as JSON
        #[arg(long)]
        json: bool,
        /// Show progress on stderr even when it is not a terminal (a terminal gets it for large bundles)
        #[arg(long)]
        progress: bool,
    },
    /// Sites known, trust, what each has, gaps, conflicts, clock skew
    Status {
        /// Print the sites and conflicts as JSON
        #[arg(long)]
        json: bool,
    },
    /// Trust a site's key: a key file, a bundle it exported, or a pending site's code
    Trust {
        /// A key file, a bundle the site exported, or the code or id of a pending site
        #[arg(value_name = "SITE|FILE")]
        what: String,
    },
    /// Stop trusting a site's key: its bundles and changesets are refused from now on
    Revoke {
        /// The site's code or id
        #[arg(value_name = "SITE")]
        site: String,
    },
    /// Write this site's public key file (for others to trust)
    Key {
        /// Where to write it [default: print it]
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Validate every file; name file, line and problem
    Check,
    /// Print the built-in configuration (one file, or all)
    PrintDefault {
        /// The file, e.g. priority.toml or priority [default: all of them]
        file: Option<String>,
    },
}

#[derive(Debug, Args)]
pub struct NewArgs {
    /// Ticket type [default: from guardia.toml]
    #[arg(long = "type", value_name = "TYPE")]
    pub ticket_type: Option<String>,
    /// Service id of services.toml, e.g. osf or correo
    #[arg(long)]
    pub service: String,
    /// Summary
    #[arg(long)]
    pub title: String,
    /// Full description
    #[arg(long)]
    pub description: String,
    /// Impact id of priority.toml (built-in: high, medium, low) [default: default_impact of priority.toml]
    #[arg(long)]
    pub impact: Option<String>,
    /// Urgency id of priority.toml (built-in: high, medium, low) [default: default_urgency of priority.toml]
    #[arg(long)]
    pub urgency: Option<String>,
    /// Manual priority instead of the matrix (needs --justification)
    #[arg(long)]
    pub priority: Option<String>,
    /// Why the manual priority is right (needed with --priority; recorded with it)
    #[arg(long)]
    pub justification: Option<String>,
    /// A field of the ticket type, NAME=VALUE (repeatable)
    #[arg(long = "field", value_name = "NAME=VALUE")]
    pub fields: Vec<String>,
    /// Print the registration as JSON: the ticket, its priority decision, similar and solved tickets, known errors
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct SetArgs {
    /// The ticket, e.g. BOG-42
    #[arg(value_parser = ticket_key)]
    pub key: String,
    /// Fields to change: title, description, impact, urgency, service, priority (or priority=auto), or a field of the type; an empty value clears it
    #[arg(required = true, value_name = "NAME=VALUE")]
    pub assignments: Vec<String>,
    /// Why a manual priority is right (required with priority=...)
    #[arg(long)]
    pub justification: Option<String>,
    /// Print the changed ticket as JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct AssignArgs {
    /// The ticket, e.g. BOG-42
    #[arg(value_parser = ticket_key)]
    pub key: String,
    /// Operator id, or `none`
    pub user: String,
    /// Print the changed ticket as JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct MoveArgs {
    /// The ticket, e.g. BOG-42
    #[arg(value_parser = ticket_key)]
    pub key: String,
    /// The state to move to, a state of the ticket's workflow (see `guardia workflow show`)
    pub state: String,
    /// A note kept with the transition in the log
    #[arg(long)]
    pub note: Option<String>,
    /// Set a field on the way in, NAME=VALUE (e.g. solution=...)
    #[arg(long = "field", value_name = "NAME=VALUE")]
    pub fields: Vec<String>,
    /// Print the moved ticket as JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ApproveArgs {
    /// The ticket, e.g. BOG-42
    #[arg(value_parser = ticket_key)]
    pub key: String,
    /// The approval's id in the ticket's workflow (see `guardia workflow show`)
    pub approval: String,
    /// Why it is approved (recorded with your name)
    #[arg(long)]
    pub reason: String,
    /// Print the approval as JSON: {id, by, reason, at}
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct LinkArgs {
    /// The ticket to link, e.g. BOG-42
    #[arg(value_parser = ticket_key)]
    pub key: String,
    /// The ticket to link to
    #[arg(value_parser = ticket_key)]
    pub other: String,
    /// related, problem, known_error or major
    #[arg(long, default_value = "related")]
    pub kind: String,
    /// Remove the link instead
    #[arg(long)]
    pub remove: bool,
}

/// The arguments of a command whose only option is `--json` (`tick`,
/// `doctor`, `compact`).
#[derive(Debug, Args)]
pub struct JsonFlag {
    /// Print the result as JSON instead of text
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct CommentArgs {
    /// The ticket, e.g. BOG-42
    #[arg(value_parser = ticket_key)]
    pub key: String,
    /// The comment (not empty)
    pub text: String,
    /// Visible to operators only
    #[arg(long)]
    pub internal: bool,
}

#[derive(Debug, Args)]
pub struct WorklogArgs {
    /// The ticket, e.g. BOG-42
    #[arg(value_parser = ticket_key)]
    pub key: String,
    /// Time spent: 45 (minutes), 45m, 2h, 1h30m, 1.5h, or 1d (8 hours); more than 0, at most 336h
    pub duration: String,
    /// What the time was spent on
    #[arg(long)]
    pub note: Option<String>,
}

#[derive(Debug, Args)]
pub struct AttachArgs {
    /// The ticket, e.g. BOG-42
    #[arg(value_parser = ticket_key)]
    pub key: String,
    /// The file to attach (a regular file of at most 100 MB)
    pub path: PathBuf,
    /// Print the attachment as JSON: {id, author, at, name, sha256, size}
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct EscalateArgs {
    /// The ticket, e.g. BOG-42
    #[arg(value_parser = ticket_key)]
    pub key: String,
    /// Functional escalation to this level: the dossier of every level up to it must be complete
    #[arg(long, conflicts_with_all = ["hierarchical", "to"], required_unless_present_any = ["hierarchical", "to"])]
    pub level: Option<u8>,
    /// Hierarchical escalation: inform a manager role (needs --to)
    #[arg(long, requires = "to")]
    pub hierarchical: bool,
    /// Role to inform (with --hierarchical)
    #[arg(long, value_name = "ROLE", requires = "hierarchical")]
    pub to: Option<String>,
    /// A note kept with the escalation in the log
    #[arg(long)]
    pub note: Option<String>,
    /// Print JSON: the dossier (--level), or {key, mode, role, inform} (--hierarchical)
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct RejectArgs {
    /// The ticket, e.g. BOG-42
    #[arg(value_parser = ticket_key)]
    pub key: String,
    /// A reason code of rejections.toml for the ticket's type (built-in: duplicate for every type; critical, missing_docs, config_request for incidents; incomplete for support requests; out_of_scope, licensee_network for API reports)
    #[arg(long, value_name = "CODE")]
    pub reason: String,
    /// The original ticket, for duplicates
    #[arg(value_parser = ticket_key, long = "of", value_name = "KEY")]
    pub of: Option<String>,
    /// A note kept with the transition in the log
    #[arg(long)]
    pub note: Option<String>,
    /// Print the rejection as JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum DossierFormat {
    Md,
    Json,
}

#[derive(Debug, Args)]
pub struct SlaArgs {
    /// The tickets, e.g. BOG-42 BOG-43
    #[arg(value_name = "KEY", value_parser = ticket_key, required = true, num_args = 1..)]
    pub keys: Vec<String>,
    /// Print the SLA ledger as JSON: an object for one key, an array of them for several
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct DashboardArgs {
    /// Days the new and done per-day figures cover, today included (1-366)
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=366))]
    pub days: u32,
    /// Print the figures as JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct DossierArgs {
    /// The ticket, e.g. BOG-42
    #[arg(value_parser = ticket_key)]
    pub key: String,
    /// md (Markdown, ready to paste into an e-mail) or json
    #[arg(long, value_enum, default_value = "md")]
    pub format: DossierFormat,
    /// Target level [default: the next one]
    #[arg(long, conflicts_with = "sent")]
    pub level: Option<u8>,
    /// The dossier the last escalation sent (to the level the ticket is
    /// at), as it was sent: to send it again, or to another contact
    #[arg(long)]
    pub sent: bool,
}

#[derive(Debug, Subcommand)]
pub enum WorkflowCommand {
    /// The configured workflows and the ticket types that follow them
    List {
        /// Print the workflows as JSON
        #[arg(long)]
        json: bool,
    },
    /// One workflow's states and transitions (roles, required fields)
    Show {
        /// The workflow's id (see `guardia workflow list`)
        name: String,
        /// Print the workflow as JSON
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum RunbookCommand {
    /// The configured runbooks and their items
    List {
        /// Print the runbooks as JSON
        #[arg(long)]
        json: bool,
    },
    /// Start a runbook on a ticket
    Run {
        /// The runbook's id (see `guardia runbook list`)
        name: String,
        /// The ticket, e.g. BOG-42
        #[arg(value_parser = ticket_key)]
        key: String,
    },
    /// Tick an item (ITEM or RUNBOOK/ITEM) with an evidence note
    Tick {
        /// The ticket, e.g. BOG-42
        #[arg(value_parser = ticket_key)]
        key: String,
        /// The item's id, or RUNBOOK/ITEM when two running runbooks share it
        item: String,
        /// What you checked and saw: required to tick an item (not with --undo)
        #[arg(long)]
        evidence: Option<String>,
        /// Untick instead
        #[arg(long)]
        undo: bool,
    },
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only these states (repeatable)
    #[arg(long = "status", value_name = "S")]
    pub statuses: Vec<String>,
    /// Only tickets still open (not resolved, closed, cancelled or rejected);
    /// problems and known errors are left out, as in the console's Open view
    #[arg(long, conflicts_with = "statuses")]
    pub open: bool,
    /// With --open: problems and known errors too
    #[arg(long, requires = "open")]
    pub records: bool,
    /// Only this priority id, e.g. critical or high
    #[arg(long)]
    pub priority: Option<String>,
    /// Only this service id
    #[arg(long)]
    pub service: Option<String>,
    /// Operator id, or `none` for unassigned tickets
    #[arg(long)]
    pub assignee: Option<String>,
    /// Only tickets at this escalation level
    #[arg(long)]
    pub level: Option<u8>,
    /// Only tickets whose text matches these words
    #[arg(long)]
    pub query: Option<String>,
    /// Page size, 1 to 1000
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u16).range(1..=1000))]
    pub limit: u16,
    /// Continue after this ticket (the last key of the previous page)
    #[arg(value_parser = ticket_key, long, value_name = "KEY")]
    pub after: Option<String>,
    /// newest (default), oldest, or sla: the resolution clock that breaches
    /// first leads, paused clocks after; tickets without a running or
    /// paused clock are left out
    #[arg(long, value_enum, default_value_t = ListSort::Newest)]
    pub sort: ListSort,
    /// Only tickets with an open sync conflict (the console's "Sync
    /// conflicts" view), in any state; `guardia show KEY` says how to settle it
    #[arg(long)]
    pub conflicts: bool,
    /// Print the tickets as a JSON array
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ListSort {
    Newest,
    Oldest,
    Sla,
}

/// A ticket key and `--json` (`show`, `log`).
#[derive(Debug, Args)]
pub struct KeyJson {
    /// The ticket, e.g. BOG-42
    #[arg(value_parser = ticket_key)]
    pub key: String,
    /// Print JSON instead of text
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct SearchArgs {
    /// The words to find: every word must match; a trailing * matches a prefix
    pub text: String,
    /// How many results, 1 to 1000
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u16).range(1..=1000))]
    pub limit: u16,
    /// Print the tickets as a JSON array, each with its rank
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// The new backup file (never overwritten); the attachment files go to the `attachments` folder beside it
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Print what was copied as JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// How many demo tickets to add
    #[arg(long)]
    pub tickets: usize,
    /// The same seed gives the same tickets
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// New, unassigned tickets without history (for load tests)
    #[arg(long)]
    pub bare: bool,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to write completions for
    pub shell: clap_complete::Shell,
}

/// Fields every new record takes (like `guardia new`).
#[derive(Debug, Args)]
pub struct NewRecordArgs {
    /// Ticket type [default: the first type of types.toml that records this]
    #[arg(long = "type", value_name = "TYPE")]
    pub ticket_type: Option<String>,
    /// Service id of services.toml, e.g. osf
    #[arg(long)]
    pub service: String,
    /// Name / summary
    #[arg(long)]
    pub title: String,
    /// Impact id of priority.toml [default: default_impact of priority.toml]
    #[arg(long)]
    pub impact: Option<String>,
    /// Urgency id of priority.toml [default: default_urgency of priority.toml]
    #[arg(long)]
    pub urgency: Option<String>,
    /// Another field of the type, NAME=VALUE (repeatable)
    #[arg(long = "field", value_name = "NAME=VALUE")]
    pub fields: Vec<String>,
    /// Print the registration as JSON
    #[arg(long)]
    pub json: bool,
}

/// One page of a record list.
#[derive(Debug, Args)]
pub struct RecordListArgs {
    /// Only records of this service id
    #[arg(long)]
    pub service: Option<String>,
    /// Include finished records (closed, cancelled)
    #[arg(long)]
    pub all: bool,
    /// Rows per page, 1 to 500
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u16).range(1..=500))]
    pub limit: u16,
    /// Continue after this record (the last key of the previous page)
    #[arg(value_parser = ticket_key, long, value_name = "KEY")]
    pub after: Option<String>,
    /// Print the records as a JSON array
    #[arg(long)]
    pub json: bool,
}

/// A record's key and `--json` (`problem show`, `known show`, `major show`).
#[derive(Debug, Args)]
pub struct KeyJsonArgs {
    /// The record, e.g. BOG-42
    #[arg(value_parser = ticket_key)]
    pub key: String,
    /// Print the record as JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum ProblemCommand {
    /// Register a problem (seed 003 §3)
    New {
        #[command(flatten)]
        record: NewRecordArgs,
        /// What is known of the problem
        #[arg(long)]
        description: String,
        /// Problem category (seed 003 table 4), e.g. configuracion, rendimiento, datos
        #[arg(long)]
        category: String,
    },
    /// Problems still being worked, newest first
    List(RecordListArgs),
    /// A problem with its incidents, tasks, resources and cost
    Show(KeyJsonArgs),
    /// Link incidents to a problem (or unlink them with --remove)
    Link {
        /// The problem, e.g. BOG-57
        #[arg(value_parser = ticket_key)]
        problem: String,
        /// The incidents to link (one or more)
        #[arg(value_parser = ticket_key, required = true, value_name = "INCIDENT")]
        incidents: Vec<String>,
        /// Unlink them instead
        #[arg(long)]
        remove: bool,
        /// Print the incidents linked (or unlinked) as a JSON array
        #[arg(long)]
        json: bool,
    },
    /// Add a task to a problem, or mark one done
    #[command(subcommand)]
    Task(TaskCommand),
    /// Add a resource to a problem (human, material, financial), or remove one
    #[command(subcommand)]
    Resource(ResourceCommand),
    /// Close a problem (its workflow may require the root cause)
    Close {
        /// The problem, e.g. BOG-57
        #[arg(value_parser = ticket_key)]
        problem: String,
        /// Fills the field root_cause (the built-in workflow requires it to close)
        #[arg(long)]
        root_cause: Option<String>,
        /// Fills the field solution
        #[arg(long)]
        solution: Option<String>,
        /// A note kept with the transition in the log
        #[arg(long)]
        note: Option<String>,
        /// Print the closed problem as JSON
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum TaskCommand {
    /// Add a task: what is to be done, and by whom
    Add {
        /// The problem, e.g. BOG-57
        #[arg(value_parser = ticket_key)]
        problem: String,
        /// What is to be done
        description: String,
        /// Operator id of who does it
        #[arg(long)]
        assignee: Option<String>,
    },
    /// Mark task N (as `problem show` numbers them) done, or not done with --undo
    Done {
        /// The problem, e.g. BOG-57
        #[arg(value_parser = ticket_key)]
        problem: String,
        /// The task's number, as `problem show` lists it (from 1)
        n: usize,
        /// Mark it not done again
        #[arg(long)]
        undo: bool,
        /// Refuse unless task N's description starts with TEXT (case and
        /// spacing aside): a sync may have put another site's task before it
        #[arg(long, value_name = "TEXT")]
        expect: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum ResourceCommand {
    /// Add a resource: human (--hours, --rate), material or financial (--cost)
    Add {
        /// The problem, e.g. BOG-57
        #[arg(value_parser = ticket_key)]
        problem: String,
        /// human, material or financial
        #[arg(long)]
        kind: String,
        /// Who or what the resource is
        #[arg(long)]
        description: String,
        // Negative amounts parse, so they are refused with what to write.
        /// Hours of a human resource (required for one; not for the other kinds)
        #[arg(long, allow_negative_numbers = true, value_parser = amount)]
        hours: Option<f64>,
        /// Cost of an hour [default: [costs] hourly_rate of guardia.toml]
        #[arg(long, allow_negative_numbers = true, value_parser = amount)]
        rate: Option<f64>,
        /// Cost of a material or financial resource (required for one; not for a human one)
        #[arg(long, allow_negative_numbers = true, value_parser = amount)]
        cost: Option<f64>,
    },
    /// Remove resource N (as `problem show` numbers them), e.g. a mistake
    Remove {
        /// The problem, e.g. BOG-57
        #[arg(value_parser = ticket_key)]
        problem: String,
        /// The resource's number, as `problem show` lists it (from 1)
        n: usize,
    },
}

// Parsed once per process: the size of the largest variant costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum KnownCommand {
    /// Register a known error / solution (seed 003 §4)
    New {
        #[command(flatten)]
        record: NewRecordArgs,
        /// What the user sees (the error's description)
        #[arg(long)]
        symptom: String,
        /// What level 1 does meanwhile
        #[arg(long)]
        workaround: String,
        /// Fills the field root_cause: why the error happens
        #[arg(long)]
        root_cause: Option<String>,
        /// The permanent solution
        #[arg(long)]
        solution: Option<String>,
        /// Who is responsible for the permanent solution
        #[arg(long)]
        responsible: Option<String>,
        /// YYYY-MM-DD
        #[arg(long)]
        deadline: Option<String>,
        /// Text to tell the customer
        #[arg(long)]
        communication: Option<String>,
    },
    /// Known errors, newest first, or those matching --query best first
    List {
        #[command(flatten)]
        list: RecordListArgs,
        /// Words of the symptom: ranks by relevance instead
        #[arg(long)]
        query: Option<String>,
    },
    /// A known error with its workaround and the incidents it was applied to
    Show(KeyJsonArgs),
    /// Apply a known error's workaround to an incident (links them, notes the workaround)
    Apply {
        /// The known error, e.g. BOG-12
        #[arg(value_parser = ticket_key)]
        known: String,
        /// The incident it applies to
        #[arg(value_parser = ticket_key)]
        key: String,
        /// Print {ticket, known_error} as JSON
        #[arg(long)]
        json: bool,
    },
    /// Known errors and problems that may explain a ticket (or a text)
    // One of the two is needed: without either it is a usage error (exit 2).
    #[command(group(ArgGroup::new("subject").args(["key", "text"]).required(true)))]
    Suggest {
        /// The ticket [or give --text]
        #[arg(value_parser = ticket_key)]
        key: Option<String>,
        /// Any text, instead of a ticket
        #[arg(long, conflicts_with = "key")]
        text: Option<String>,
        /// With --text: prefer records of this service
        #[arg(long)]
        service: Option<String>,
        /// How many suggestions at most, 1 to 500
        #[arg(
            long,
            default_value_t = 5,
            value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=500)
        )]
        limit: usize,
        /// Print the suggestions as a JSON array
        #[arg(long)]
        json: bool,
    },
    /// Close a known error: the permanent solution is in place
    Close {
        /// The known error, e.g. BOG-12
        #[arg(value_parser = ticket_key)]
        known: String,
        /// Fills the field solution (the built-in workflow requires it to close)
        #[arg(long)]
        solution: Option<String>,
        /// A note kept with the transition in the log
        #[arg(long)]
        note: Option<String>,
        /// Print the closed known error as JSON
        #[arg(long)]
        json: bool,
    },
    /// Cancel a known error that is no longer valid
    Cancel {
        /// The known error, e.g. BOG-12
        #[arg(value_parser = ticket_key)]
        known: String,
        /// A note kept with the transition in the log
        #[arg(long)]
        note: Option<String>,
        /// Print the cancelled known error as JSON
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum MajorCommand {
    /// Declare a ticket a major incident, or register one (--service, --title, --description)
    // A ticket or a new one is needed: without either it is a usage error (exit 2).
    #[command(group(ArgGroup::new("subject").args(["key", "service"]).required(true)))]
    Declare {
        /// An existing ticket [or register a new one]
        #[arg(value_parser = ticket_key)]
        key: Option<String>,
        /// Service id of the new ticket (instead of KEY; needs --title and --description)
        #[arg(long, conflicts_with = "key", requires_all = ["title", "description"])]
        service: Option<String>,
        /// Summary of the new ticket
        #[arg(long, requires = "service")]
        title: Option<String>,
        /// Full description of the new ticket
        #[arg(long, requires = "service")]
        description: Option<String>,
        /// Ticket type of the new ticket [default: from guardia.toml]
        #[arg(long = "type", value_name = "TYPE", requires = "service")]
        ticket_type: Option<String>,
        /// Impact id of the new ticket [default: default_impact of priority.toml]
        #[arg(long, requires = "service")]
        impact: Option<String>,
        /// Urgency id of the new ticket [default: default_urgency of priority.toml]
        #[arg(long, requires = "service")]
        urgency: Option<String>,
        /// A field of the new ticket, NAME=VALUE (repeatable)
        #[arg(long = "field", value_name = "NAME=VALUE", requires = "service")]
        fields: Vec<String>,
        /// Why it is a major incident
        #[arg(long)]
        reason: String,
        /// Print the major incident as JSON
        #[arg(long)]
        json: bool,
    },
    /// Attach reports to a major incident (`-` reads keys from standard input, e.g. piped from `guardia list`)
    Attach {
        /// The major incident, e.g. BOG-8
        #[arg(value_parser = ticket_key)]
        major: String,
        /// The reports to attach, or `-` to read them from standard input
        #[arg(value_parser = ticket_key, required = true, value_name = "KEY")]
        keys: Vec<String>,
        /// Print {attached, passed_over} as JSON
        #[arg(long)]
        json: bool,
    },
    /// Resolve a major incident; --children resolves its open reports with the same solution
    Resolve {
        /// The major incident, e.g. BOG-8
        #[arg(value_parser = ticket_key)]
        major: String,
        /// The solution, recorded as its field solution and as the note
        #[arg(long)]
        solution: String,
        /// Also resolve its open reports with the same solution, in one transaction
        #[arg(long)]
        children: bool,
        /// Another field the workflow asks for to resolve, NAME=VALUE (repeatable)
        #[arg(long = "field", value_name = "NAME=VALUE")]
        fields: Vec<String>,
        /// Print {major, resolved, open_children, skipped, incomplete} as JSON
        #[arg(long)]
        json: bool,
    },
    /// The major incidents still being worked (what the console's banner shows)
    List {
        /// Print them as a JSON array, with children_open and children
        #[arg(long)]
        json: bool,
    },
    /// A major incident and its reports
    Show(KeyJsonArgs),
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// First local date, included (YYYY-MM-DD) [default: 29 days before --to]
    #[arg(long, value_name = "DATE")]
    pub from: Option<String>,
    /// Last local date, included (YYYY-MM-DD) [default: today]
    #[arg(long, value_name = "DATE")]
    pub to: Option<String>,
    /// Break the figures down by the ticket's current service, level, operator (assignee) or priority
    #[arg(long, value_enum)]
    pub by: Option<ReportBy>,
    /// table (for a terminal), csv, json or md (Markdown)
    #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
    pub format: ReportFormat,
    /// Same as --format json
    #[arg(long, conflicts_with = "format")]
    pub json: bool,
    /// Only tickets of these types (comma-separated, or repeat the flag)
    #[arg(long, value_delimiter = ',', value_name = "TYPE")]
    pub types: Vec<String>,
    /// CSV: start with a UTF-8 byte order mark, for spreadsheet programs that need it to read accents
    #[arg(long)]
    pub bom: bool,
    /// CSV separator: ',' (default), ';' (spreadsheets where the decimal mark is a comma; decimals then use a comma) or 'tab'
    #[arg(long, alias = "sep", value_name = "CHAR")]
    pub delimiter: Option<String>,
    /// How many problems to list, 0 (none) to 1000
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u16).range(0..=1000))]
    pub top: u16,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportBy {
    #[value(alias = "servicio")]
    Service,
    #[value(alias = "nivel")]
    Level,
    /// The assignee
    #[value(alias = "operador", alias = "assignee")]
    Operator,
    #[value(alias = "prioridad")]
    Priority,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Table,
    Csv,
    Json,
    Md,
}

/// An amount as typed, read as number fields are (`2,5` is 2.5; `1.000`,
/// which reads two ways, is refused). A figure too large for a float passes
/// as infinity, for `resource add` to say it is too large.
fn amount(typed: &str) -> Result<f64, String> {
    use crate::domain::intake::{NumberError, read_number};
    match read_number(typed) {
        Err(NumberError::NotANumber) if typed.trim().parse::<f64>().is_ok_and(f64::is_infinite) => {
            Ok(f64::INFINITY)
        }
        r => r.map_err(|e| e.message(typed.trim())),
    }
}

/// A ticket key as the operator typed it (`bog-0042`), in its stored form
/// (`BOG-42`), so every command, message and comparison sees one spelling.
/// Anything else passes through unchanged, for the command to refuse with
/// its own message (or to read as `-`, standard input).
fn ticket_key(typed: &str) -> Result<String, std::convert::Infallible> {
    Ok(crate::domain::site::canonical_ticket_key(typed).unwrap_or_else(|| typed.to_string()))
}
