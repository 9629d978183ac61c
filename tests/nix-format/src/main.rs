//! `nix-format-check FILE…`: what `alejandra --check` does, for hosts without Nix. With
//! `--write`, formats the files in place (what `nix fmt` does).

use alejandra::format::{in_memory, Status};
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut write = false;
    let mut files = Vec::new();
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--write" => write = true,
            _ => files.push(arg),
        }
    }
    if files.is_empty() {
        eprintln!("usage: nix-format-check [--write] FILE.nix…");
        return ExitCode::from(2);
    }
    let mut bad = 0;
    for file in &files {
        let before = match std::fs::read_to_string(file) {
            Ok(text) => text,
            Err(e) => {
                eprintln!("{file}: {e}");
                bad += 1;
                continue;
            }
        };
        match in_memory(file.clone(), before) {
            (Status::Error(e), _) => {
                eprintln!("{file}: does not parse: {e}");
                bad += 1;
            }
            (Status::Changed(false), _) => {}
            (Status::Changed(true), after) if write => {
                if let Err(e) = std::fs::write(file, after) {
                    eprintln!("{file}: {e}");
                    bad += 1;
                }
            }
            (Status::Changed(true), _) => {
                eprintln!("{file}: not formatted as alejandra 3.1.0 formats it (run `nix fmt`)");
                bad += 1;
            }
        }
    }
    if bad > 0 { ExitCode::FAILURE } else { ExitCode::SUCCESS }
}
