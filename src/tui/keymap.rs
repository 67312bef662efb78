//! Keymap (placeholder, being written).
