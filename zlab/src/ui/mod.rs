//! What the user sees. In: the words and progress of every stage. Out: stderr and stdout,
//! coloured only where that helps, quiet under `-q`, with stdout kept for data under `--json`.

pub mod output;
pub mod progress;
pub mod transcript;
