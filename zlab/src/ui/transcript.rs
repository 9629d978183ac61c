//! One check's lines (its report and its progress notes): shown as they come when checks run
//! one at a time, else held and shown together when its turn comes, so that no two checks'
//! lines mix.

enum Line {
    /// A line of the human report (`say!`).
    Report(String),
    /// A progress note (`note!`: not under `-q`).
    Note(String),
}

pub struct Transcript {
    held: Option<Vec<Line>>,
}

impl Transcript {
    /// Every line shown at once.
    pub fn live() -> Transcript {
        Transcript { held: None }
    }

    /// Every line kept until `show`.
    pub fn held() -> Transcript {
        Transcript { held: Some(Vec::new()) }
    }

    pub fn report(&mut self, line: String) {
        match &mut self.held {
            Some(lines) => lines.push(Line::Report(line)),
            None => crate::say!("{line}"),
        }
    }

    pub fn note(&mut self, line: String) {
        match &mut self.held {
            Some(lines) => lines.push(Line::Note(line)),
            None => crate::note!("{line}"),
        }
    }

    /// Shows what was held, in the order it was said.
    pub fn show(self) {
        for line in self.held.into_iter().flatten() {
            match line {
                Line::Report(text) => crate::say!("{text}"),
                Line::Note(text) => crate::note!("{text}"),
            }
        }
    }
}
