//! `golden validate` through the binary: one broken template per check under
//! `tests/fixtures/validate/<code>/` with a snapshot of the human output, the json, github and
//! sarif formats, exit statuses, and the conformance cases (no false positives on templates
//! Backstage runs; Backstage's load-time rejections found at the right place).

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support::{golden, root};

fn fixtures() -> PathBuf {
    root().join("tests/fixtures/validate")
}

/// Runs `golden validate ARGS` in `dir`; returns (exit status, stdout, stderr).
fn validate_in(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = golden()
        .current_dir(dir)
        .arg("validate")
        .args(args)
        .output()
        .expect("golden runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn json_report(dir: &Path, args: &[&str]) -> (i32, Value) {
    let mut all = vec!["--format", "json"];
    all.extend_from_slice(args);
    let (code, stdout, stderr) = validate_in(dir, &all);
    let v: Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}\n{stderr}"));
    (code, v)
}

fn codes(report: &Value) -> Vec<String> {
    report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn every_check_has_a_broken_fixture_with_a_snapshot() {
    insta::glob!("../fixtures/validate", "*/template.yaml", |path| {
        let code = path
            .parent()
            .unwrap()
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .to_string();
        let rel = format!("{code}/template.yaml");
        let (status, _, stderr) = validate_in(&fixtures(), &[&rel]);
        if code == "clean" {
            assert_eq!(status, 0, "{stderr}");
        } else {
            assert!(
                stderr.contains(&format!("[{code}]")),
                "fixture `{code}` does not trigger its check:\n{stderr}"
            );
        }
        insta::assert_snapshot!(format!("exit status: {status}\n{stderr}"));
    });
}

#[test]
fn every_code_has_a_fixture() {
    for (code, _, _) in golden::validate::codes::CODES {
        assert!(
            fixtures().join(code).join("template.yaml").is_file(),
            "no fixture for `{code}`"
        );
    }
}

#[test]
fn exit_status_follows_errors_and_deny_warnings() {
    let f = fixtures();
    assert_eq!(validate_in(&f, &["clean"]).0, 0);
    // warnings only
    let (status, _, stderr) = validate_in(&f, &["param-ui-widget"]);
    assert_eq!(status, 0, "{stderr}");
    assert!(stderr.contains("0 errors, 1 warning"), "{stderr}");
    assert_eq!(
        validate_in(&f, &["param-ui-widget", "--deny-warnings"]).0,
        1
    );
    assert_eq!(validate_in(&f, &["param-required-unknown"]).0, 1);
    // golden could not run
    let (status, _, stderr) = validate_in(&f, &["does-not-exist"]);
    assert_eq!(status, 2, "{stderr}");
    assert!(stderr.contains("does-not-exist"), "{stderr}");
    let empty = tempfile::tempdir().unwrap();
    let (status, _, stderr) = validate_in(empty.path(), &[]);
    assert_eq!(status, 2, "{stderr}");
    assert!(stderr.contains("no `kind: Template` document"), "{stderr}");
}

/// `-q` keeps the errors only (no warnings, no summary line); `--color` decides the ANSI styles
/// whatever NO_COLOR says (`always`) or the terminal is (`never`).
#[test]
fn quiet_prints_only_errors_and_color_is_a_global_flag() {
    let f = fixtures();
    let (status, stdout, stderr) = validate_in(&f, &["-q", "param-ui-widget"]);
    assert_eq!((status, stdout.as_str(), stderr.as_str()), (0, "", ""));
    let (status, _, stderr) = validate_in(&f, &["param-required-unknown", "--quiet"]);
    assert_eq!(status, 1);
    assert!(stderr.contains("[param-required-unknown]"), "{stderr}");
    assert!(!stderr.contains("checked 1 template"), "{stderr}");
    let (_, _, plain) = validate_in(&f, &["param-required-unknown", "--color", "never"]);
    assert!(!plain.contains('\x1b'), "{plain}");
    let (_, _, colored) = validate_in(&f, &["--color", "always", "param-required-unknown"]);
    assert!(
        colored.contains("\x1b["),
        "NO_COLOR=1 is set by the harness: {colored}"
    );
    let out = golden()
        .args(["--color", "always", "new", "no-such-template-anywhere"])
        .output()
        .unwrap();
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.starts_with("\x1b["), "a coloured `error:`: {err}");
}

#[test]
fn directories_are_searched_for_template_documents() {
    let (status, report) = json_report(&fixtures(), &["."]);
    assert_eq!(status, 1);
    let dirs = std::fs::read_dir(fixtures())
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().is_dir())
        .count();
    // every fixture but the Component one holds a template
    assert_eq!(report["files"], dirs - 1);
    let found = codes(&report);
    for (code, _, _) in golden::validate::codes::CODES {
        if *code != "not-a-template" {
            assert!(
                found.iter().any(|c| c == code),
                "`{code}` not found when validating the whole folder"
            );
        }
    }
}

#[test]
fn json_format_lists_every_finding_with_its_place() {
    let (status, report) = json_report(
        &fixtures(),
        &[
            "--deny",
            "step-unknown-action",
            "step-unknown-action/template.yaml",
            "param-ui-field/template.yaml",
        ],
    );
    assert_eq!(status, 1);
    assert_eq!(report["files"], 2);
    assert_eq!(report["errors"], 1);
    assert_eq!(report["warnings"], 1);
    let d = &report["diagnostics"][1];
    assert_eq!(d["code"], "step-unknown-action");
    assert_eq!(d["severity"], "error");
    assert_eq!(d["file"], "step-unknown-action/template.yaml");
    assert_eq!(d["line"], 25);
    assert_eq!(d["column"], 15);
    assert_eq!(d["endLine"], 25);
    assert_eq!(d["endColumn"], 25, "`debug:logg` is 10 characters");
    assert_eq!(d["message"], "unknown action `debug:logg`");
    assert!(
        d["hint"]
            .as_str()
            .unwrap()
            .contains("did you mean `debug:log`?"),
        "{d}"
    );
}

#[test]
fn github_format_prints_workflow_annotations() {
    let (status, stdout, _) = validate_in(
        &fixtures(),
        &[
            "--format",
            "github",
            "--deny",
            "step-unknown-action",
            "step-unknown-action/template.yaml",
            "param-ui-field/template.yaml",
        ],
    );
    assert_eq!(status, 1);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    assert_eq!(lines[0], "::warning file=param-ui-field/template.yaml,line=16,col=21,endColumn=33,title=golden param-ui-field::unknown ui:field `RepoUrlPickr`%0Ahelp: did you mean `RepoUrlPicker`?");
    assert!(lines[1].starts_with("::error file=step-unknown-action/template.yaml,line=25,col=15,endColumn=25,title=golden step-unknown-action::unknown action `debug:logg`%0Ahelp: did you mean `debug:log`?"), "{}", lines[1]);
}

#[test]
fn sarif_format_is_sarif_2_1_0_with_rules_and_regions() {
    let (status, stdout, _) = validate_in(
        &fixtures(),
        &["--format", "sarif", "skeleton-gha-function/template.yaml"],
    );
    assert_eq!(status, 1);
    let v: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["version"], "2.1.0");
    let run = &v["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "golden");
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(rules.len(), golden::validate::codes::CODES.len());
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 1);
    let r = &results[0];
    assert_eq!(r["ruleId"], "skeleton-gha-function");
    assert_eq!(r["level"], "error");
    let index = r["ruleIndex"].as_u64().unwrap() as usize;
    assert_eq!(rules[index]["id"], "skeleton-gha-function");
    let loc = &r["locations"][0]["physicalLocation"];
    assert_eq!(
        loc["artifactLocation"]["uri"],
        "skeleton-gha-function/skeleton/.github/workflows/ci.yml"
    );
    assert_eq!(loc["region"]["startLine"], 9);
    assert_eq!(loc["region"]["startColumn"], 20);
    assert_eq!(
        loc["region"]["endColumn"], 29,
        "`hashFiles` is 9 characters"
    );
}

fn cases() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(root().join("tests/conformance/cases"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("template").exists())
        .collect();
    v.sort();
    v
}

/// Every template Backstage runs (all but the load-time rejections) validates without errors:
/// golden validate must not cry wolf. The one exception is a `${{ }}` Backstage keeps as written
/// in a step input (it mis-renders, so it is an error): each such error must point at a line
/// whose text Backstage's own record shows unrendered.
#[test]
fn conformance_templates_backstage_accepts_have_no_errors() {
    const KEPT_LITERAL: &[&str] = &[
        "expr-syntax",
        "expr-unknown-filter",
        "expr-unknown-test",
        "expr-unknown-function",
        "expr-unknown-method",
    ];
    let mut failures = Vec::new();
    let mut kept = 0;
    for case in cases() {
        let name = case.file_name().unwrap().to_str().unwrap().to_string();
        if LOAD_TIME_ERRORS.iter().any(|(n, ..)| *n == name) {
            continue;
        }
        let (_, report) = json_report(&case, &["template"]);
        let record = std::fs::read_to_string(case.join("expected.steps.json")).unwrap_or_default();
        let text = std::fs::read_to_string(case.join("template/template.yaml")).unwrap();
        for d in report["diagnostics"].as_array().unwrap() {
            if d["severity"] != "error" {
                continue;
            }
            if KEPT_LITERAL.contains(&d["code"].as_str().unwrap()) {
                // the `${{ ... }}` on that line, as Backstage's record shows it (JSON-escaped)
                let line = text
                    .lines()
                    .nth(d["line"].as_u64().unwrap() as usize - 1)
                    .unwrap();
                let expr = &line[line.find("${{").unwrap()..];
                let expr = &expr[..expr.find("}}").unwrap() + 2];
                let shown = serde_json::to_string(expr).unwrap();
                if record.contains(shown.trim_matches('"')) {
                    kept += 1;
                    continue;
                }
            }
            failures.push(format!("{name}: {d}"));
        }
    }
    assert!(
        kept >= 2,
        "the kept-literal inputs of js-methods-in-expressions are errors"
    );
    assert!(
        failures.is_empty(),
        "false positives:\n{}",
        failures.join("\n")
    );
}

/// Cases Backstage rejects before or while rendering the template itself: (case, code, file, line).
const LOAD_TIME_ERRORS: &[(&str, &str, &str, usize)] = &[
    (
        "error-yaml-colon-in-expression",
        "yaml-syntax",
        "template/template.yaml",
        23,
    ),
    (
        "error-step-input-not-object",
        "schema",
        "template/template.yaml",
        17,
    ),
    (
        "error-unknown-filter-in-skeleton",
        "skeleton-unknown-filter",
        "template/skeleton/config/nginx.conf",
        2,
    ),
    (
        "error-gha-function-call-unescaped",
        "skeleton-gha-function",
        "template/skeleton/.github/workflows/build.yml",
        15,
    ),
    (
        "error-v4-only-js-method-in-skeleton",
        "skeleton-unknown-method",
        "template/skeleton/Program.cs",
        1,
    ),
];

/// Backstage's own position of the error, from `expected.error.txt` (`at line N, column M`).
fn backstage_position(case: &Path) -> Option<(u64, u64)> {
    let text = std::fs::read_to_string(case.join("expected.error.txt")).ok()?;
    let re = regex::Regex::new(r"line (\d+), column (\d+)").unwrap();
    let c = re.captures(&text)?;
    Some((c[1].parse().ok()?, c[2].parse().ok()?))
}

#[test]
fn conformance_templates_backstage_rejects_get_an_error_at_the_right_place() {
    for (name, code, file, line) in LOAD_TIME_ERRORS {
        let case = root().join("tests/conformance/cases").join(name);
        let (status, report) = json_report(&case, &["template"]);
        assert_eq!(status, 1, "{name}: {report}");
        let hit = report["diagnostics"].as_array().unwrap().iter().find(|d| {
            d["severity"] == "error"
                && d["code"] == *code
                && d["file"] == *file
                && d["line"] == *line
        });
        let Some(hit) = hit else {
            panic!("{name}: expected `{code}` at {file}:{line}, got {report:#}")
        };
        // where Backstage's message has a line and column, golden points at the same place
        if let Some((l, c)) = backstage_position(&case) {
            assert_eq!(
                (
                    hit["line"].as_u64().unwrap(),
                    hit["column"].as_u64().unwrap()
                ),
                (l, c),
                "{name}: {hit}"
            );
        }
    }
}

#[test]
fn schema_command_prints_a_self_contained_template_schema() {
    let out = golden().arg("schema").output().unwrap();
    assert!(out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["definitions"]["Entity"].is_object());
    let validator = jsonschema::draft7::new(&v).expect("compiles on its own");
    let template = golden::template::yaml::parse_value(
        &std::fs::read_to_string(fixtures().join("clean/template.yaml")).unwrap(),
    )
    .unwrap();
    assert!(validator.is_valid(&template));
}

/// Valid nunjucks that Backstage runs without complaint gives no finding at all: loops and
/// locals, macros, globals, status functions, object-literal keys, regex literals, `===`,
/// bare page `when`, `each`, bracketed step ids with dashes, copyWithoutTemplating of workflows.
#[test]
fn valid_nunjucks_gives_no_finding() {
    let dir = tempfile::tempdir().unwrap();
    let t = dir.path().join("t");
    std::fs::create_dir_all(t.join("skeleton/.github/workflows")).unwrap();
    std::fs::write(
        t.join("template.yaml"),
        r#"apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata:
  name: valid
spec:
  type: service
  parameters:
    - title: One
      properties:
        name: { type: string, pattern: '^[a-z](?:[a-z0-9-]*[a-z0-9])?$' }
        kind: { type: string, enum: [web, worker], default: web }
        owner: { type: string }
        topics: { type: array, items: { type: string } }
    - title: Two
      when: parameters.kind === 'web'
      properties:
        port: { type: integer, default: 8080 }
  steps:
    - id: fetch-base
      action: fetch:template
      input:
        url: ./skeleton
        copyWithoutTemplating: [.github/workflows/*]
        values:
          name: ${{ parameters.name | replace(r/[^a-z]/g, '') }}
          owner: "${{ parameters.owner | parseEntityRef({ defaultKind: 'group', defaultNamespace: 'default' }) | pick('name') }}"
          port: ${{ parameters.port if parameters.kind === 'web' else none }}
    - id: topics
      action: debug:log
      each: ${{ parameters.topics }}
      if: ${{ each.value != 'skip' }}
      input:
        message: '${{ each.key }}: ${{ each.value | upper }} after ${{ steps["fetch-base"].output | dump }}'
    - id: always
      action: debug:log
      if: ${{ always() or failure() }}
      input:
        message: |
          {% set names = [] %}{% for t in parameters.topics %}{% if loop.first %}${{ t }}{% endif %}{% endfor %}
          {% macro shout(x) %}${{ x | upper }}{% endmacro %}${{ shout(parameters.name) }} ${{ range(3) | join(',') }}
          {% macro box() %}[${{ caller() }}]{% endmacro %}{% call box() %}${{ parameters.name }}{% endcall %}
  output:
    links:
      - title: Repo
        url: https://example.com/${{ parameters.name }}
"#,
    )
    .unwrap();
    std::fs::write(t.join("skeleton/README.md"), "# ${{ values.name }}\n{% for i in range(2) %}${{ loop.index }}{% endfor %}\n{% raw %}${{ not.rendered }}{% endraw %}\n${{ values.port }} ${{ values.owner }}\n").unwrap();
    std::fs::write(t.join("skeleton/.github/workflows/ci.yml"), "on: push\njobs:\n  b:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.sha }} ${{ hashFiles('x') }}\n").unwrap();
    let (status, report) = json_report(dir.path(), &["t"]);
    assert_eq!(report["diagnostics"], serde_json::json!([]), "{report:#}");
    assert_eq!(status, 0);
}

/// Grammar only golden's nunjucks front-end reads (`elseif`, `switch`, `===`, regex literals,
/// `verbatim`) has its uses checked like any other, and every finding points at its own use,
/// also when the same text is used twice in one string or the string is a block scalar.
#[test]
fn nunjucks_only_grammar_is_checked_at_exact_places() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("template.yaml"),
        r#"apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata:
  name: nunjucks-only
spec:
  type: service
  parameters:
    - title: One
      properties:
        kind: { type: string }
    - title: Two
      when: parameters.kind === 'a' and parameters.nope1 !== 'b'
  steps:
    - id: log
      action: debug:log
      input:
        message: "{% if parameters.kind == 'x' %}x{% elseif parameters.nope2 %}y{% endif %}"
        extra:
          - "{% switch parameters.kind %}{% case 'a' %}${{ parameters.nope3 }}{% endswitch %}"
          - ${{ parameters.kind | replace(r/a\/b/g, 'nope') | nope }}
          - "{% verbatim %}${{ x }}{% endverbatim %}${{ parameters.nope4 }}"
          - |
            ${{ parameters.nope5 }}
              ${{ parameters.nope5 }}
"#,
    )
    .unwrap();
    let (_, report) = json_report(dir.path(), &["template.yaml"]);
    let found: Vec<(String, u64, u64)> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] != "step-input-unknown")
        .map(|d| {
            (
                d["code"].as_str().unwrap().to_string(),
                d["line"].as_u64().unwrap(),
                d["column"].as_u64().unwrap(),
            )
        })
        .collect();
    let p = |line, column| ("expr-unknown-parameter".to_string(), line, column);
    assert_eq!(
        found,
        [
            p(12, 41),
            p(17, 61),
            p(19, 60),
            ("expr-unknown-filter".to_string(), 20, 63),
            p(21, 57),
            p(23, 17),
            p(24, 19),
        ],
        "{report:#}"
    );
}

#[test]
fn secrets_in_the_if_of_a_plain_step_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("template.yaml"),
        "apiVersion: scaffolder.backstage.io/v1beta3\nkind: Template\nmetadata:\n  name: s\nspec:\n  type: service\n  steps:\n    - action: debug:log\n      if: ${{ secrets.token }}\n      input:\n        message: ${{ secrets.token }}\n",
    )
    .unwrap();
    let (status, report) = json_report(dir.path(), &["template.yaml"]);
    assert_eq!(status, 0, "a warning");
    let d = report["diagnostics"].as_array().unwrap();
    assert_eq!(d.len(), 1, "{report:#}");
    assert_eq!(d[0]["code"], "expr-unknown-variable");
    assert_eq!(d[0]["line"], 9);
}

/// A template that creates templates has `kind: Template` files in its skeleton; searching a
/// folder does not report them as templates of the repository (naming one explicitly does).
#[test]
fn templates_inside_a_skeleton_are_data_not_templates() {
    let dir = tempfile::tempdir().unwrap();
    let t = dir.path().join("template-of-templates");
    std::fs::create_dir_all(t.join("skeleton")).unwrap();
    let clean = std::fs::read_to_string(fixtures().join("clean/template.yaml")).unwrap();
    std::fs::write(t.join("template.yaml"), &clean).unwrap();
    std::fs::write(t.join("skeleton/README.md"), "# ${{ values.name }}\n").unwrap();
    std::fs::write(
        t.join("skeleton/template.yaml"),
        "apiVersion: scaffolder.backstage.io/v1beta3\nkind: Template\nmetadata:\n  name: ${{ values.name }}\nspec:\n  type: service\n  steps: []\n",
    )
    .unwrap();
    let (status, report) = json_report(dir.path(), &["."]);
    assert_eq!(report["files"], 1, "{report:#}");
    assert_eq!(status, 0, "{report:#}");
    let (_, report) = json_report(
        dir.path(),
        &["template-of-templates/skeleton/template.yaml"],
    );
    assert_eq!(report["files"], 1, "{report:#}");
}

/// An action golden does not know is a warning with "did you mean"; `actions.strict: true` makes
/// it an error; Backstage's and the community's modules are known and their inputs checked.
#[test]
fn unknown_actions_warn_unless_strict_and_ecosystem_inputs_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let t = dir.path().join("t");
    std::fs::create_dir_all(&t).unwrap();
    std::fs::write(
        t.join("template.yaml"),
        "apiVersion: scaffolder.backstage.io/v1beta3\nkind: Template\nmetadata:\n  name: t\nspec:\n  owner: o\n  type: service\n  steps:\n    - id: a\n      action: acme:deploy\n    - id: b\n      action: roadiehq:utils:fs:write\n      input:\n        path: x.txt\n        contnt: hi\n    - id: c\n      action: publish:gitlab\n      input:\n        repoUrl: gitlab.com?owner=a&repo=b\n    - id: d\n      action: roadiehq:utils:fs:wrte\n      input: {}\n",
    )
    .unwrap();
    let (status, report) = json_report(dir.path(), &["t"]);
    let ds = report["diagnostics"].as_array().unwrap();
    let find = |code: &str, line: u64| {
        ds.iter()
            .find(|d| d["code"] == code && d["line"] == line)
            .unwrap_or_else(|| panic!("no {code} at line {line}: {report}"))
    };
    let unknown = find("step-unknown-action", 10);
    assert_eq!(unknown["severity"], "warning");
    // roadiehq:utils:fs:write's input schema, from its npm package
    let typo = find("step-input-unknown", 15);
    assert_eq!(typo["severity"], "error");
    assert!(
        typo["hint"].as_str().unwrap().contains("`content`"),
        "{typo}"
    );
    find("step-input-required", 13);
    let near = find("step-unknown-action", 21);
    assert!(
        near["hint"]
            .as_str()
            .unwrap()
            .contains("roadiehq:utils:fs:write"),
        "{near}"
    );
    assert!(
        !ds.iter().any(|d| d["line"] == 17),
        "publish:gitlab is known: {report}"
    );
    assert_eq!(status, 1);
    // strict: unknown actions are errors
    std::fs::write(dir.path().join("strict.yaml"), "actions:\n  strict: true\n").unwrap();
    let (_, report) = json_report(dir.path(), &["--config", "strict.yaml", "t"]);
    let unknown = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "step-unknown-action" && d["line"] == 10)
        .unwrap()
        .clone();
    assert_eq!(unknown["severity"], "error");
    // known ids from the config: no finding
    std::fs::write(
        dir.path().join("known.yaml"),
        "actions:\n  strict: true\n  known: [acme:deploy]\n",
    )
    .unwrap();
    let (_, report) = json_report(dir.path(), &["--config", "known.yaml", "t"]);
    assert!(
        !report["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["line"] == 10),
        "{report}"
    );
}

/// `--allow`, `--deny`, the config's `validate.allow`/`deny`, and `# golden-allow: CODE`.
#[test]
fn rules_are_allowed_and_denied_per_code() {
    let f = fixtures();
    // the fixture has one error (param-required-unknown)
    assert_eq!(validate_in(&f, &["param-required-unknown"]).0, 1);
    let (status, _, stderr) = validate_in(
        &f,
        &[
            "--allow",
            "param-required-unknown",
            "param-required-unknown",
        ],
    );
    assert_eq!(status, 0, "{stderr}");
    assert!(!stderr.contains("param-required-unknown]"), "{stderr}");
    // a warning made an error
    let (status, _, stderr) = validate_in(&f, &["--deny", "param-ui-field", "param-ui-field"]);
    assert_eq!(status, 1, "{stderr}");
    assert!(stderr.contains("error[param-ui-field]"), "{stderr}");
    // an unknown code is a usage error with did-you-mean
    let (status, _, stderr) = validate_in(&f, &["--allow", "step-duplicate", "step-duplicate-id"]);
    assert_eq!(status, 2);
    assert!(
        stderr.contains("did you mean `step-duplicate-id`?"),
        "{stderr}"
    );
    // the config, and an inline comment
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("c.yaml"),
        "validate:\n  deny: [param-ui-field]\n",
    )
    .unwrap();
    let cfg = dir.path().join("c.yaml");
    let (status, _, stderr) =
        validate_in(&f, &["--config", cfg.to_str().unwrap(), "param-ui-field"]);
    assert_eq!(status, 1, "{stderr}");
    let t = dir.path().join("t");
    std::fs::create_dir_all(&t).unwrap();
    std::fs::write(
        t.join("template.yaml"),
        "apiVersion: scaffolder.backstage.io/v1beta3\nkind: Template\nmetadata:\n  name: t\nspec:\n  owner: o\n  type: service\n  steps:\n    - id: a\n      action: debug:log\n      input:\n        message: ${{ parameters.x | uper }} # golden-allow: expr-unknown-filter\n    - id: b\n      action: debug:log\n      input:\n        # golden-allow: expr-unknown-filter, expr-unknown-parameter\n        message: ${{ parameters.y | lowr }}\n    - id: c\n      action: debug:log\n      input:\n        message: ${{ parameters.z | uper }}\n",
    )
    .unwrap();
    let (_, report) = json_report(dir.path(), &["t"]);
    let lines: Vec<u64> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == "expr-unknown-filter")
        .map(|d| d["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, vec![21], "{report}");
    let d = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "expr-unknown-filter")
        .unwrap()
        .clone();
    assert_eq!(
        d["severity"], "error",
        "a filter kept as written in an input mis-renders"
    );
    assert!(
        d["hint"]
            .as_str()
            .unwrap()
            .contains("did you mean `upper`?"),
        "{d}"
    );
}

/// The false errors of real templates: conditional duplicate ids, a page-level `if:` with an
/// expression, an output link to a step that may not run.
#[test]
fn conditional_idioms_are_not_errors() {
    let (status, report) = json_report(&fixtures(), &["step-duplicate-id-conditional"]);
    assert_eq!(status, 0, "{report}");
    let codes = codes(&report);
    assert_eq!(codes, vec!["step-duplicate-id-conditional"], "{report}");
}

/// Shapes of public templates from npm packages that Backstage renders (tools/corpus/, checked
/// with the oracle): a list where a property's schema belongs, and two steps with one id.
#[test]
fn templates_backstage_renders_from_npm_packages_have_no_errors() {
    let dir = crate::support::root().join("tests/fixtures/backstage-renders");
    for t in ["array-schema", "duplicate-ids"] {
        let (status, report) = json_report(&dir, &[t]);
        assert_eq!(status, 0, "{t}: {report}");
        assert_eq!(report["errors"], 0, "{t}: {report}");
    }
    let (_, report) = json_report(&dir, &["duplicate-ids"]);
    assert_eq!(codes(&report), vec!["step-duplicate-id"], "still a warning");
}
