//! The console's vocabulary: every thing an operator can ask for is one
//! `Action`. The keymap binds keys to actions, the command palette lists
//! them, the help overlay and the status hints describe them; nothing else
//! names what a key does. Owns the names (as written in keymap files) and the
//! descriptions in both languages; it does not know which key does what.

use crate::config::Lang;

macro_rules! actions {
    ($( $(#[$doc:meta])* $variant:ident = $name:literal, $es:literal, $en:literal; )*) => {
        /// Something the operator asks the console to do.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Action {
            $( $(#[$doc])* $variant, )*
        }

        impl Action {
            /// Every action, in the order the help and the palette list them.
            pub const ALL: &'static [Action] = &[ $( Action::$variant, )* ];

            /// The name used in keymap files and the palette (`snake_case`).
            pub fn name(self) -> &'static str {
                match self { $( Action::$variant => $name, )* }
            }

            /// What it does, in the operator's language.
            pub fn describe(self, lang: Lang) -> &'static str {
                match (self, lang) {
                    $( (Action::$variant, Lang::Es) => $es, (Action::$variant, Lang::En) => $en, )*
                }
            }
        }
    };
}

actions! {
    // ----- global -----
    /// Leave the console. Inside a form or prompt `q` is text, so only
    /// Ctrl-c leaves from there (and always does).
    Quit = "quit", "Salir", "Quit";
    /// The help overlay, generated from the live keymap.
    Help = "help", "Ayuda de teclas", "Key help";
    /// Fuzzy list of every action, plus typed commands.
    CommandPalette = "command_palette", "Paleta de comandos", "Command palette";
    /// Focus the next pane.
    NextPane = "next_pane", "Panel siguiente", "Next pane";
    /// Focus the previous pane.
    PrevPane = "prev_pane", "Panel anterior", "Previous pane";
    /// Jump to the ticket queue.
    FocusQueue = "focus_queue", "Ir a la cola", "Go to queue";
    /// Jump to the ticket detail.
    FocusDetail = "focus_detail", "Ir al detalle", "Go to detail";
    /// Jump to the escalation matrix.
    FocusEscalation = "focus_escalation", "Ir a la matriz de escalamiento", "Go to escalation matrix";
    /// Jump to the runbooks.
    FocusRunbooks = "focus_runbooks", "Ir a los runbooks", "Go to runbooks";
    /// Jump to the dashboard.
    FocusDashboard = "focus_dashboard", "Ir al tablero", "Go to dashboard";
    /// Close an overlay, clear the filter or go back one level; never quits.
    Back = "back", "Volver / cerrar / limpiar filtro", "Back / close / clear filter";
    /// Reload what is on screen from the database.
    Refresh = "refresh", "Recargar datos", "Reload data";
    /// Repaint the whole screen (after a garbled SSH link).
    Redraw = "redraw", "Redibujar la pantalla", "Redraw the screen";
    /// Register a new ticket.
    NewTicket = "new_ticket", "Registrar ticket", "New ticket";
    /// Check the database against its log in the background.
    RunDoctor = "run_doctor", "Verificar la base (doctor)", "Check the database (doctor)";
    /// Sync with the other sites through the folder or repository of
    /// `[sync]` in guardia.toml, in the background.
    SyncNow = "sync", "Sincronizar con las otras sedes", "Sync with the other sites";

    // ----- lists -----
    /// Cursor down.
    MoveDown = "move_down", "Bajar", "Down";
    /// Cursor up.
    MoveUp = "move_up", "Subir", "Up";
    /// First row.
    Top = "top", "Al principio", "To the top";
    /// Last row.
    Bottom = "bottom", "Al final", "To the bottom";
    /// One page down.
    PageDown = "page_down", "Página abajo", "Page down";
    /// One page up.
    PageUp = "page_up", "Página arriba", "Page up";
    /// Half a page down.
    HalfPageDown = "half_page_down", "Media página abajo", "Half page down";
    /// Half a page up.
    HalfPageUp = "half_page_up", "Media página arriba", "Half page up";
    /// Open the selected row.
    Open = "open", "Abrir", "Open";
    /// Incremental text filter.
    Filter = "filter", "Filtrar por texto", "Filter by text";
    /// Filter by status, priority, service, assignee or level.
    FilterMenu = "filter_menu", "Filtros por campo", "Field filters";
    /// Saved views: mine, unassigned, level 2+, breaching soon, waiting.
    ViewsMenu = "views_menu", "Vistas guardadas", "Saved views";
    /// Change the sort order.
    SortMenu = "sort_menu", "Ordenar", "Sort";
    /// Remove every filter.
    ClearFilter = "clear_filter", "Quitar filtros", "Clear filters";
    /// Mark or unmark the ticket for a bulk action.
    ToggleMark = "toggle_mark", "Marcar / desmarcar", "Mark / unmark";

    // ----- ticket -----
    /// Assign the ticket (or the marked ones) to yourself.
    AssignToMe = "assign_to_me", "Asignármelo", "Assign to me";
    /// Assign the ticket (or the marked ones) to an operator.
    AssignTo = "assign_to", "Asignar a…", "Assign to…";
    /// Move the ticket (or the marked ones) to another state.
    ChangeStatus = "change_status", "Cambiar estado", "Change status";
    /// Set the priority by hand, with a justification.
    ChangePriority = "change_priority", "Cambiar prioridad", "Change priority";
    /// Set any field of the ticket type.
    SetField = "set_field", "Editar un campo", "Set a field";
    /// Add a comment on one line.
    Comment = "comment", "Comentar", "Comment";
    /// Write a comment in $EDITOR.
    CommentInEditor = "comment_in_editor", "Comentar en $EDITOR", "Comment in $EDITOR";
    /// Record time spent.
    Worklog = "worklog", "Registrar trabajo", "Log work";
    /// Reject with a coded reason.
    Reject = "reject", "Rechazar con motivo", "Reject with reason";
    /// Escalate to the next level (or the level under the cursor).
    Escalate = "escalate", "Escalar", "Escalate";
    /// Copy the ticket key to the clipboard (OSC 52).
    CopyKey = "copy_key", "Copiar la clave", "Copy the key";
    /// Apply the first known error the detail suggests: link it and record
    /// its workaround on the ticket (palette: `known KEY` for another).
    ApplyKnown = "apply_known", "Aplicar el error conocido sugerido", "Apply the suggested known error";
    /// Attach the marked tickets (or the current one) to a major incident.
    AttachToMajor = "attach_to_major", "Adjuntar a un incidente mayor", "Attach to a major incident";

    // ----- escalation matrix -----
    /// Copy the rendered dossier to the clipboard (OSC 52).
    CopyDossier = "copy_dossier", "Copiar el dossier", "Copy the dossier";
    /// Write the rendered dossier to a Markdown file.
    WriteDossier = "write_dossier", "Guardar el dossier en archivo", "Write the dossier to a file";

    // ----- runbooks -----
    /// Start the runbook under the cursor on the selected ticket.
    RunRunbook = "run_runbook", "Iniciar runbook en el ticket", "Run runbook on the ticket";
    /// Tick or untick the step under the cursor, with evidence.
    ToggleStep = "toggle_step", "Marcar paso con evidencia", "Tick step with evidence";
}

impl Action {
    /// The action written as `name` in a keymap file.
    pub fn from_name(name: &str) -> Option<Action> {
        Action::ALL.iter().copied().find(|a| a.name() == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_round_trip() {
        for (i, a) in Action::ALL.iter().enumerate() {
            assert_eq!(Action::from_name(a.name()), Some(*a));
            assert!(
                !Action::ALL[i + 1..].iter().any(|b| b.name() == a.name()),
                "{} twice",
                a.name()
            );
        }
    }
}
