//! The console: a ratatui application over the application layer. Owns the
//! terminal-side state (panes, overlays, keymap, theme, language) and the
//! loop that turns keys and database replies into frames. Business rules
//! stay in `app` and `domain`; only `runtime` touches the real terminal.

pub mod action;
pub mod advice;
pub mod forms;
pub mod i18n;
pub mod input;
pub mod keymap;
pub mod msg;
pub mod runtime;
pub mod state;
pub mod theme;
pub mod update;
pub mod view;
pub mod worker;
