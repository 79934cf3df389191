//! `golden test [PATH...]`: run the test cases of every template under the paths, in parallel, and
//! report like a test runner (one line per case, a summary, exit 1 on any failure; or JUnit XML).

use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use rayon::prelude::*;

use crate::cli::{TestArgs, TestFormat};
use crate::error::{exit, Error, Result};
use crate::testing::{self, Options, Outcome};

pub fn run(args: TestArgs) -> Result<i32> {
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    let cases = testing::discover(&paths)?;
    if cases.is_empty() {
        let shown: Vec<String> = paths.iter().map(|p| format!("`{}`", p.display())).collect();
        return Err(Error::usage(format!(
            "no test cases found in {}",
            shown.join(", ")
        ))
        .hint("a case is a folder `tests/<case>/` beside a template.yaml, holding values.yaml and expected/ or case.yaml (see the README)"));
    }
    let golden = std::env::current_exe()
        .map_err(|e| Error::internal(format!("cannot find golden's own binary: {e}")))?;
    let options = Options {
        bless: args.bless,
        no_run: args.no_run,
    };
    let junit = args.format == TestFormat::Junit;
    let started = Instant::now();
    let width = cases.iter().map(|c| c.label().len()).max().unwrap_or(0);
    let outcomes: Vec<Outcome> = cases
        .par_iter()
        .map(|case| {
            let outcome = testing::run(case, &golden, options);
            let line = format!(
                "{:<4}  {:<width$}  {:>6.2}s{}",
                if outcome.passed() { "ok" } else { "FAIL" },
                case.label(),
                outcome.duration.as_secs_f64(),
                if outcome.notes.is_empty() {
                    String::new()
                } else {
                    format!("  ({})", outcome.notes.join("; "))
                }
            );
            if junit {
                eprintln!("{line}");
            } else {
                println!("{line}");
            }
            outcome
        })
        .collect();
    let failed: Vec<&Outcome> = outcomes.iter().filter(|o| !o.passed()).collect();
    let summary = format!(
        "{} passed, {} failed ({:.2}s)",
        outcomes.len() - failed.len(),
        failed.len(),
        started.elapsed().as_secs_f64()
    );
    let mut details = String::new();
    for o in &failed {
        details.push_str(&format!("\n--- {}\n", o.case.label()));
        for p in &o.problems {
            details.push_str(&testing::indent(p));
            details.push('\n');
        }
    }
    if junit {
        eprint!("{details}");
        eprintln!("\n{summary}");
        std::io::stdout()
            .lock()
            .write_all(testing::junit::render(&outcomes).as_bytes())
            .map_err(|e| Error::internal(format!("cannot write the report: {e}")))?;
    } else {
        print!("{details}");
        println!("\n{summary}");
    }
    Ok(if failed.is_empty() {
        exit::SUCCESS
    } else {
        exit::FAILURE
    })
}
