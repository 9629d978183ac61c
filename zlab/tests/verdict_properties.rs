//! Properties of `verdict::judge` on generated boots: a check and the console of a guest that
//! did everything it asks (passing KUnit suites from tests/ktap_gen, init's step markers, kernel
//! noise anywhere) passes, and each single thing going wrong fails it with exactly the failure
//! that names it. Failures shrink and are kept in tests/verdict_properties.proptest-regressions.

mod console_invariants;
mod ktap_gen;

use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::FileFailurePersistence;
use zlab::guest::init::{INIT_END, INIT_START};
use zlab::inputs::check::Check;
use zlab::judge::verdict::{judge, Failure};

#[derive(Debug, Clone)]
struct Step {
    exit: i32,
    output: Vec<String>,
    /// Which output lines the check expects.
    expected: Vec<bool>,
}

#[derive(Debug, Clone)]
struct Boot {
    runs: Vec<ktap_gen::KtapRun>,
    style: ktap_gen::Style,
    steps: Vec<Step>,
    /// Cycled over init's lines: the kernel line, if any, printed after each.
    kernel_noise: Vec<Option<String>>,
}

/// The one thing that goes wrong, if any.
#[derive(Debug, Clone)]
enum Breakage {
    None,
    NoEnd,
    TimedOut,
    WrongExit(Index),
    LostOutput(Index),
    Panic(Index),
    ForbiddenLine(Index),
    FailedCase,
    TooFewTests,
    OtherSuite,
}

const FORBIDDEN: &str = "Call Trace:";
const INIT_RAN: &str = "Run /init as init process";

fn step() -> impl Strategy<Value = Step> {
    (0..3i32, vec(("[a-z ]{0,12}", any::<bool>()), 0..4)).prop_map(|(exit, lines)| Step {
        exit,
        output: lines.iter().enumerate().map(|(i, (text, _))| format!("line{i}: {text}")).collect(),
        expected: lines.iter().map(|(_, expected)| *expected).collect(),
    })
}

fn boot() -> impl Strategy<Value = Boot> {
    let runs = ktap_gen::ktap_runs().prop_map(|runs| {
        runs.into_iter()
            .map(|run| ktap_gen::KtapRun { cases: run.cases.into_iter().map(ktap_gen::Case::passing).collect(), ..run })
            .collect()
    });
    let style = ktap_gen::style().prop_map(|style| ktap_gen::Style { crlf: false, ..style });
    let noise = vec(option::weighted(0.3, ktap_gen::noise_line()), 1..8);
    (runs, style, vec(step(), 0..4), noise).prop_map(|(runs, style, steps, kernel_noise)| Boot {
        runs,
        style,
        steps,
        kernel_noise,
    })
}

fn breakage() -> impl Strategy<Value = Breakage> {
    prop_oneof![
        3 => Just(Breakage::None),
        1 => Just(Breakage::NoEnd),
        1 => Just(Breakage::TimedOut),
        1 => any::<Index>().prop_map(Breakage::WrongExit),
        1 => any::<Index>().prop_map(Breakage::LostOutput),
        1 => any::<Index>().prop_map(Breakage::Panic),
        1 => any::<Index>().prop_map(Breakage::ForbiddenLine),
        1 => Just(Breakage::FailedCase),
        1 => Just(Breakage::TooFewTests),
        1 => Just(Breakage::OtherSuite),
    ]
}

impl Boot {
    fn suite(&self) -> &ktap_gen::Case {
        &self.runs[0].cases[0]
    }

    fn check(&self, breakage: &Breakage) -> Check {
        let mut text = format!("description = \"generated\"\nexpect = [\"{INIT_RAN}\"]\nforbid = [\"{FORBIDDEN}\"]\n");
        for (i, step) in self.steps.iter().enumerate() {
            let expect: Vec<String> =
                step.output.iter().zip(&step.expected).filter(|(_, e)| **e).map(|(o, _)| format!("{o:?}")).collect();
            text += &format!("[[step]]\nrun = \"cmd{i}\"\nexit = {}\nexpect = [{}]\n", step.exit, expect.join(", "));
        }
        let suite = self.suite();
        let (name, min_tests) = match breakage {
            Breakage::TooFewTests => (suite.name.clone(), suite.counts().total() + 1),
            Breakage::OtherSuite => ("no.such.suite".to_string(), 1), // generated names have no dots
            _ => (suite.name.clone(), suite.counts().total()),
        };
        text += &format!("[[ktap]]\nsuite = \"{name}\"\nmin_tests = {min_tests}\n");
        Check::parse("generated", &text).unwrap_or_else(|e| panic!("{e:#}\n{text}"))
    }

    fn console(&self, breakage: &Breakage) -> String {
        let mut runs = self.runs.clone();
        if let Breakage::FailedCase = breakage {
            let mut leaf = &mut runs[0].cases[0];
            while !leaf.children.is_empty() {
                leaf = &mut leaf.children[0];
            }
            leaf.ok = false;
            leaf.directive = None;
        }
        let mut lines: Vec<String> = ktap_gen::render(&runs, &self.style).into_iter().map(|l| l.text).collect();
        let mut init = vec![format!("[    3.000000] {INIT_RAN}"), INIT_START.to_string()];
        let broken_step = |at: &Index| (!self.steps.is_empty()).then(|| at.index(self.steps.len()));
        for (i, step) in self.steps.iter().enumerate() {
            let n = i + 1;
            init.push(format!("zlab-step {n} begin"));
            for (line, expected) in step.output.iter().zip(&step.expected) {
                let lost = matches!(breakage, Breakage::LostOutput(at) if broken_step(at) == Some(i)) && *expected;
                if !lost {
                    init.push(format!("zlab-out {n}| {line}"));
                }
            }
            let wrong = matches!(breakage, Breakage::WrongExit(at) if broken_step(at) == Some(i));
            init.push(format!("zlab-step {n} end rc={}", if wrong { step.exit + 1 } else { step.exit }));
        }
        if !matches!(breakage, Breakage::NoEnd) {
            init.push(INIT_END.to_string());
        }
        for (i, line) in init.into_iter().enumerate() {
            lines.push(line);
            if let Some(noise) = &self.kernel_noise[i % self.kernel_noise.len()] {
                lines.push(noise.clone());
            }
        }
        match breakage {
            Breakage::Panic(at) => {
                lines.insert(at.index(lines.len() + 1), "[    4.000000] Kernel panic - not syncing: x".into())
            }
            Breakage::ForbiddenLine(at) => {
                lines.insert(at.index(lines.len() + 1), format!("[    4.000000] {FORBIDDEN}"))
            }
            _ => {}
        }
        lines.iter().map(|l| format!("{l}\n")).collect()
    }

    /// The failures `breakage` must cause, and no others.
    fn expected(&self, breakage: &Breakage) -> Vec<&'static str> {
        let step_broken = |at: &Index, needs_expectation: bool| {
            let i = at.index(self.steps.len().max(1));
            self.steps.get(i).is_some_and(|s| !needs_expectation || s.expected.contains(&true))
        };
        match breakage {
            Breakage::None => vec![],
            Breakage::NoEnd => vec!["init did not finish"],
            Breakage::TimedOut => vec!["time-out"],
            Breakage::WrongExit(at) if step_broken(at, false) => vec!["step"],
            Breakage::LostOutput(at) if step_broken(at, true) => vec!["step"],
            Breakage::WrongExit(_) | Breakage::LostOutput(_) => vec![],
            Breakage::Panic(_) => vec!["fault"],
            Breakage::ForbiddenLine(_) => vec!["forbidden"],
            Breakage::FailedCase => vec!["KUnit failure"],
            Breakage::TooFewTests => vec!["suite too small"],
            Breakage::OtherSuite => vec!["suite missing"],
        }
    }
}

fn kind(failure: &Failure) -> &'static str {
    match failure {
        Failure::Fault(_) => "fault",
        Failure::TimedOut { .. } => "time-out",
        Failure::InitNeverRan { .. } => "init never ran",
        Failure::InitDidNotFinish { .. } => "init did not finish",
        Failure::Step { .. } => "step",
        Failure::Missing { .. } => "missing",
        Failure::Forbidden { .. } => "forbidden",
        Failure::KtapIncomplete { .. } => "KTAP incomplete",
        Failure::KtapFailed { .. } => "KUnit failure",
        Failure::NoTestsRan { .. } => "no tests ran",
        Failure::SuiteMissing { .. } => "suite missing",
        Failure::SuiteTooSmall { .. } => "suite too small",
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource("proptest-regressions"))),
        ..ProptestConfig::default()
    })]

    #[test]
    fn a_boot_that_did_what_its_check_asks_passes_and_each_breakage_is_named(boot in boot(), breakage in breakage()) {
        let console = boot.console(&breakage);
        let run = console_invariants::run(&console, matches!(breakage, Breakage::TimedOut));
        let verdict = judge(&boot.check(&breakage), &run);
        let kinds: Vec<&str> = verdict.failures.iter().map(kind).collect();
        prop_assert_eq!(kinds, boot.expected(&breakage), "{:#?}\nin\n{}", verdict.failures, console);
    }
}
