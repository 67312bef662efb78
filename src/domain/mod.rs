//! Pure domain rules: intake, priority, lifecycle transitions, escalation,
//! rejection, durations, business calendars, report arithmetic. Plain functions over plain types with the clock passed
//! in; nothing here touches SQLite, files or the terminal.

pub mod calendar;
pub mod duration;
pub mod escalation;
pub mod guards;
pub mod intake;
pub mod lifecycle;
pub mod priority;
pub mod report;
pub mod site;
pub mod sla;
pub mod ticket;
