//! guardia: a terminal help-desk console. The library holds everything so that
//! tests drive the application without a terminal; `main.rs` is only the edge.

pub mod app;
pub mod cli;
pub mod config;
pub mod domain;
pub mod store;
pub mod sync;
pub mod text;
pub mod tui;
