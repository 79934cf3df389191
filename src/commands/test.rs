//! `golden test [PATH...]`: run the test cases of every template under the paths, in parallel, and
//! report like a test runner (one line per case, a summary, exit 1 on any failure; or JUnit XML).

use std::time::Instant;

use rayon::prelude::*;

use crate::cli::TestFormat;
use crate::error::{exit, Error, Result};
use crate::output::Printer;
use crate::settings::TestSettings;
use crate::testing::{self, Options, Outcome};

pub fn run(args: TestSettings, printer: Printer) -> Result<i32> {
    let cases = testing::discover(&args.paths)?;
    if cases.is_empty() {
        let shown: Vec<String> = args
            .paths
            .iter()
            .map(|p| format!("`{}`", p.display()))
            .collect();
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
    // human: the report is the data (stdout); junit: the XML is, and the lines go to stderr
    let line_out = |line: &str| {
        if junit {
            printer.status(line);
        } else {
            printer.data(line);
        }
    };
    let started = Instant::now();
    let width = cases.iter().map(|c| c.label().len()).max().unwrap_or(0);
    let outcomes: Vec<Outcome> = cases
        .par_iter()
        .map(|case| {
            let outcome = testing::run(case, &golden, options);
            line_out(&format!(
                "{:<4}  {:<width$}  {:>6.2}s{}",
                if outcome.passed() { "ok" } else { "FAIL" },
                case.label(),
                outcome.duration.as_secs_f64(),
                if outcome.notes.is_empty() {
                    String::new()
                } else {
                    format!("  ({})", outcome.notes.join("; "))
                }
            ));
            outcome
        })
        .collect();
    let failed: Vec<&Outcome> = outcomes.iter().filter(|o| !o.passed()).collect();
    for o in &failed {
        line_out(&format!("\n--- {}", o.case.label()));
        for p in &o.problems {
            line_out(&testing::indent(p));
        }
    }
    line_out(&format!(
        "\n{} passed, {} failed ({:.2}s)",
        outcomes.len() - failed.len(),
        failed.len(),
        started.elapsed().as_secs_f64()
    ));
    if junit {
        printer
            .data_raw(&testing::junit::render(&outcomes))
            .map_err(|e| Error::internal(format!("cannot write the report: {e}")))?;
    }
    Ok(if failed.is_empty() {
        exit::SUCCESS
    } else {
        exit::FAILURE
    })
}
