//! JUnit XML for CI systems: one `<testsuite>` per template, one `<testcase>` per case, the
//! problems of a failed case in its `<failure>`.

use std::fmt::Write;

use super::Outcome;

/// The report as a JUnit XML document.
pub fn render(outcomes: &[Outcome]) -> String {
    let failures = outcomes.iter().filter(|o| !o.passed()).count();
    let total: f64 = outcomes.iter().map(|o| o.duration.as_secs_f64()).sum();
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        xml,
        "<testsuites name=\"golden test\" tests=\"{}\" failures=\"{failures}\" time=\"{total:.3}\">",
        outcomes.len()
    );
    let mut templates: Vec<String> = outcomes
        .iter()
        .map(|o| o.case.template.display().to_string())
        .collect();
    templates.dedup();
    for template in templates {
        let cases: Vec<&Outcome> = outcomes
            .iter()
            .filter(|o| o.case.template.display().to_string() == template)
            .collect();
        let failed = cases.iter().filter(|o| !o.passed()).count();
        let time: f64 = cases.iter().map(|o| o.duration.as_secs_f64()).sum();
        let _ = writeln!(
            xml,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failed}\" time=\"{time:.3}\">",
            escape(&template),
            cases.len()
        );
        for o in cases {
            let _ = write!(
                xml,
                "    <testcase name=\"{}\" classname=\"{}\" time=\"{:.3}\"",
                escape(&o.case.name),
                escape(&template),
                o.duration.as_secs_f64()
            );
            if o.passed() {
                xml.push_str("/>\n");
                continue;
            }
            let first = o.problems[0].lines().next().unwrap_or_default();
            let _ = writeln!(
                xml,
                ">\n      <failure message=\"{}\">{}</failure>\n    </testcase>",
                escape(first),
                escape(&o.problems.join("\n"))
            );
        }
        xml.push_str("  </testsuite>\n");
    }
    xml.push_str("</testsuites>\n");
    xml
}

/// XML text and attribute escaping; characters XML 1.0 cannot hold become U+FFFD.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::Case;
    use std::path::PathBuf;
    use std::time::Duration;

    fn outcome(name: &str, problems: &[&str]) -> Outcome {
        Outcome {
            case: Case {
                template: PathBuf::from("templates/svc"),
                name: name.into(),
                dir: PathBuf::from(format!("templates/svc/tests/{name}")),
            },
            duration: Duration::from_millis(250),
            problems: problems.iter().map(|s| s.to_string()).collect(),
            notes: vec![],
        }
    }

    #[test]
    fn one_suite_per_template_with_escaped_failures() {
        let xml = render(&[
            outcome("default", &[]),
            outcome("broken", &["a <b> & \"c\"\nsecond line\u{1b}"]),
        ]);
        assert!(
            xml.contains(r#"<testsuites name="golden test" tests="2" failures="1" time="0.500">"#),
            "{xml}"
        );
        assert!(
            xml.contains(r#"<testsuite name="templates/svc" tests="2" failures="1""#),
            "{xml}"
        );
        assert!(
            xml.contains(r#"<testcase name="default" classname="templates/svc" time="0.250"/>"#),
            "{xml}"
        );
        assert!(
            xml.contains(r#"<failure message="a &lt;b&gt; &amp; &quot;c&quot;">"#),
            "{xml}"
        );
        assert!(xml.contains("second line\u{fffd}</failure>"), "{xml}");
    }
}
