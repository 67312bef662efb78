//! Untrusted text on its way to a terminal.
//!
//! Anything a ticket reporter typed or another site exported may carry escape
//! sequences, bidi overrides or invisible characters that would recolour the
//! console, rewrite the clipboard (OSC 52), forge links (OSC 8) or make two
//! different strings look alike. This module is the single place that
//! neutralises such text ([`sanitize_block`], [`sanitize_line`]) and measures
//! or cuts it by display columns ([`display_width`], [`truncate_to_width`],
//! [`pad_to_width`]) so accents, ñ, CJK and emoji stay aligned.
//!
//! It is pure string-to-string: no I/O, no terminal queries, so every output
//! path (CLI, console, clipboard) gets the same treatment and tests need no tty.

mod sanitize;
mod width;

pub use sanitize::{
    MAX_BLOCK_CHARS, MAX_LINE_CHARS, json_for_terminal, sanitize_block, sanitize_line,
};
pub use width::{display_width, pad_to_width, truncate_to_width};
