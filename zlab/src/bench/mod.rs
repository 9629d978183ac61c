//! `zlab bench`: the edit → verdict loop measured on this machine, phase by phase, and (with
//! `--cold`, `--peer`) a fresh kernel build and the kernel's own kunit.py on the same tree. Each
//! measurement runs zlab as a new process, as a developer would. `--write` keeps the numbers in
//! docs/benchmarks.json and renders docs/benchmarks.md with its chart.

mod chart;
mod cold;
mod defconfig;
mod peer;
mod report;
mod results;
mod stats;
mod warm;

use crate::host::paths::Paths;
use anyhow::Result;

pub struct Options {
    pub check: String,
    pub runs: u32,
    pub cold: bool,
    pub peer: bool,
    pub defconfig: bool,
    pub write: bool,
}

pub fn run(paths: &Paths, opts: &Options) -> Result<()> {
    let mut results = results::Results::load(paths)?;
    results.machine = results::Machine::here(paths);
    eprintln!("zlab bench: warm loop, {} runs of `touch` + `zlab test {}`", opts.runs, opts.check);
    results.warm = Some(warm::edit_loop(paths, &opts.check, opts.runs)?);
    eprintln!("zlab bench: boot and the Rust doctests, {} runs of `zlab test rust-doctests`", opts.runs);
    results.doctests = Some(warm::doctests(paths, opts.runs)?);
    if opts.cold {
        eprintln!("zlab bench: a fresh build of the test kernel and its rust-doctests boot (minutes)");
        results.cold = Some(cold::fresh_build(paths)?);
    }
    if opts.peer {
        eprintln!("zlab bench: kunit.py run --arch=s390 on the same tree, fresh (minutes)");
        results.peer = Some(peer::kunit_py(paths)?);
    }
    if opts.defconfig {
        eprintln!("zlab bench: s390 defconfig with Rust, built from nothing (long: most of an hour on 2 cores)");
        results.defconfig = Some(defconfig::build(paths)?);
    }
    print!("{}", report::summary(&results));
    if opts.write {
        for file in report::write(paths, &results)? {
            eprintln!("zlab bench: wrote {}", file.display());
        }
    }
    Ok(())
}
