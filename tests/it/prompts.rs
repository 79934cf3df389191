//! The prompts, driven through the real binary in a pseudo-terminal (expectrl): what is asked,
//! in which order, what typing does, and the values that result (read from `--dry-run --json`).
//! Also the non-interactive side: no terminal, CI, piped stdin.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use expectrl::process::unix::WaitStatus;
use expectrl::{Eof, Expect, Session};
use serde_json::{json, Value};

use crate::support::{golden, root, TestContext};

const DOWN: &str = "\x1b[B";
const UP: &str = "\x1b[A";
const ENTER: &str = "\r";

/// One golden run in a pseudo-terminal; stdout (the JSON) goes to a file.
struct Pty {
    session: expectrl::session::OsSession,
    out: PathBuf,
    transcript: String,
    ctx: TestContext,
}

fn strip_ansi(s: &str) -> String {
    regex::Regex::new(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Z0-9]|\r")
        .unwrap()
        .replace_all(s, "")
        .into_owned()
}

impl Pty {
    fn start(args: &[&str], env: &[(&str, &str)]) -> Pty {
        let ctx = TestContext::new();
        let out = ctx.path().join("stdout.json");
        let mut cmd = Command::new("sh");
        cmd.arg("-c")
            .arg(r#"out="$1"; shift; exec "$@" > "$out""#)
            .arg("sh")
            .arg(&out)
            .arg(env!("CARGO_BIN_EXE_golden"));
        cmd.args(args);
        ctx.apply(&mut cmd);
        cmd.env("TERM", "xterm");
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.current_dir(ctx.path());
        let mut session = Session::spawn(cmd).expect("spawn golden in a pty");
        session.get_process_mut().set_window_size(110, 40).unwrap();
        session.set_expect_timeout(Some(Duration::from_secs(30)));
        Pty {
            session,
            out,
            transcript: String::new(),
            ctx,
        }
    }

    fn dir(&self) -> &Path {
        self.ctx.path()
    }

    /// Waits for `text` on the screen; returns what was printed up to and including it.
    fn expect(&mut self, text: &str) -> String {
        let found = match self.session.expect(text) {
            Ok(c) => c,
            Err(e) => panic!(
                "waiting for {text:?}: {e}\n--- screen so far ---\n{}",
                strip_ansi(&self.transcript)
            ),
        };
        let seen = String::from_utf8_lossy(found.before()).to_string()
            + &String::from_utf8_lossy(found.get(0).unwrap_or_default());
        self.transcript.push_str(&seen);
        strip_ansi(&seen)
    }

    fn send(&mut self, keys: &str) {
        self.session.send(keys).unwrap();
        std::thread::sleep(Duration::from_millis(60));
    }

    /// Answers a question: waits for its label, types the keys.
    fn answer(&mut self, label: &str, keys: &str) -> String {
        let seen = self.expect(label);
        self.send(keys);
        seen
    }

    /// Reads to the end; returns the exit code and the rest of the screen.
    fn finish(&mut self) -> (i32, String, Option<Value>) {
        let rest = match self.session.expect(Eof) {
            Ok(c) => {
                String::from_utf8_lossy(c.before()).to_string()
                    + &String::from_utf8_lossy(c.get(0).unwrap_or_default())
            }
            Err(_) => String::new(),
        };
        self.transcript.push_str(&rest);
        let code = match self.session.get_process().wait().unwrap() {
            WaitStatus::Exited(_, c) => c,
            other => panic!("golden did not exit normally: {other:?}"),
        };
        let json = std::fs::read_to_string(&self.out)
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok());
        (code, strip_ansi(&self.transcript), json)
    }
}

fn case(name: &str) -> String {
    root()
        .join("tests/conformance/cases")
        .join(name)
        .join("template")
        .display()
        .to_string()
}

fn write_template(dir: &Path, text: &str) -> String {
    let t = dir.join("tpl");
    std::fs::create_dir_all(&t).unwrap();
    std::fs::write(t.join("template.yaml"), text).unwrap();
    t.display().to_string()
}

fn params(json: &Option<Value>) -> Value {
    json.as_ref()
        .and_then(|j| j.get("parameters"))
        .cloned()
        .unwrap_or_else(|| panic!("no JSON with parameters on stdout: {json:?}"))
}

/// A pattern failure and retry, a typed entity ref normalised, an arrow-key select with
/// enumNames, the `oneOf` follow-ups it selects, a confirm, and a follow-up of that confirm.
#[test]
fn oneof_case_asks_the_selected_branch() {
    let mut p = Pty::start(
        &[
            "new",
            &case("multipage-oneof-dependencies"),
            "--dry-run",
            "--output",
            "out",
            "--json",
        ],
        &[],
    );
    let first = p.answer("name", "Bad\r");
    assert!(first.contains("Basics (1/3)"), "{first}");
    p.answer(
        "\"Bad\" does not match \"^[a-z][a-z0-9-]+$\"",
        "fraud-scorer\r",
    );
    p.answer("owner", "Risk\r");
    let page2 = p.answer("Deployment target", "");
    assert!(page2.contains("Where does it run? (2/3)"), "{page2}");
    let list = p.expect("Virtual machine");
    assert!(
        list.contains("Kubernetes") && list.contains("AWS Lambda"),
        "enumNames are shown: {list}"
    );
    p.send(DOWN);
    p.send(ENTER);
    p.answer("memoryMb", &format!("{DOWN}{ENTER}"));
    p.answer("runtime", ENTER);
    p.answer("enableAlerts", "y\r");
    p.answer("alertChannel", "risk\r");
    p.answer("does not match", "#risk\r");
    p.answer("pagerduty", "n\r");
    let review = p.answer("Run the template with these values?", "y\r");
    assert!(
        review.contains("owner") && review.contains("group:default/risk"),
        "{review}"
    );
    let (_, screen, json) = p.finish();
    assert!(
        !screen.contains("? namespace") && !screen.contains("? instanceType"),
        "other branches are not asked:\n{screen}"
    );
    assert_eq!(
        params(&json),
        json!({"name": "fraud-scorer", "owner": "group:default/risk", "target": "lambda", "memoryMb": 256, "runtime": "nodejs22.x",
               "enableAlerts": true, "alertChannel": "#risk", "pagerduty": false})
    );
}

/// Pages whose `when` is false are never shown; an integer is parsed as typed.
#[test]
fn conditional_pages_follow_when() {
    let mut p = Pty::start(
        &[
            "new",
            &case("conditional-pages-when"),
            "--dry-run",
            "--output",
            "out",
            "--json",
        ],
        &[],
    );
    p.answer("name", "ledger\r");
    // An optional enum without default starts on "(none)"; up once is the last entry.
    p.answer("tier", &format!("{UP}{ENTER}"));
    p.answer("Needs a database", "y\r");
    let db = p.answer("dbEngine", &format!("{DOWN}{ENTER}"));
    assert!(db.contains("Database (2/4)"), "{db}");
    p.answer("dbSizeGb", "fifty\r");
    p.answer("not an integer", "50\r");
    let gold = p.answer("supportHours", &format!("{DOWN}{ENTER}")); // from "(none)" to the first
    assert!(gold.contains("Gold support (3/4)"), "{gold}");
    p.answer("Run the template with these values?", "y\r");
    let (_, screen, json) = p.finish();
    assert!(
        !screen.contains("Never shown") && !screen.contains("legacyFlag"),
        "{screen}"
    );
    assert_eq!(
        params(&json),
        json!({"name": "ledger", "tier": "gold", "needsDatabase": true, "dbEngine": "mysql", "dbSizeGb": 50, "supportHours": "24x7"})
    );
}

/// When the first page says no database, the database page is skipped.
#[test]
fn a_false_when_skips_the_page() {
    let mut p = Pty::start(
        &[
            "new",
            &case("conditional-pages-when"),
            "--dry-run",
            "--output",
            "out",
            "--json",
        ],
        &[],
    );
    p.answer("name", "ledger\r");
    p.answer("tier", ENTER); // optional, no default: Enter leaves it unset, as --no-input
    p.answer("Needs a database", "n\r");
    p.answer("Run the template with these values?", "y\r");
    let (_, screen, json) = p.finish();
    assert!(
        !screen.contains("dbEngine") && !screen.contains("supportHours"),
        "{screen}"
    );
    assert_eq!(
        params(&json),
        json!({"name": "ledger", "needsDatabase": false})
    );
}

/// The review screen lets the user go back: "Change an answer…" asks that question again (its
/// old answer as the default) and whatever depends on it, then shows the review again. Saying
/// no database drops the database page's answers; changing the tier to gold asks the gold page.
#[test]
fn the_review_changes_an_answer_and_what_depends_on_it() {
    let mut p = Pty::start(
        &[
            "new",
            &case("conditional-pages-when"),
            "--dry-run",
            "--output",
            "out",
            "--json",
        ],
        &[],
    );
    p.answer("name", "ledger\r");
    p.answer("tier", &format!("{UP}{UP}{ENTER}")); // from "(none)" up to silver
    p.answer("Needs a database", "y\r");
    p.answer("dbEngine", &format!("{DOWN}{ENTER}"));
    p.answer("dbSizeGb", "50\r");
    p.expect("Run the template with these values?");
    let choices = p.expect("Cancel");
    assert!(choices.contains("Change an answer"), "{choices}");
    p.send(&format!("{DOWN}{ENTER}"));
    p.expect("Which answer?");
    p.expect("dbSizeGb");
    p.send(&format!("{DOWN}{DOWN}{ENTER}")); // name, tier, Needs a database
    p.answer("Needs a database (y/n)", "n\r");
    let review = p.expect("Run the template with these values?");
    assert!(
        review.contains("Needs a database  false") && !review.contains("dbSizeGb"),
        "the database answers are gone with the database page:\n{review}"
    );
    p.send(&format!("{DOWN}{ENTER}"));
    p.expect("Which answer?");
    p.expect("Needs a database  false");
    p.send(&format!("{DOWN}{ENTER}")); // tier
    p.answer("tier (optional) ›", &format!("{DOWN}{ENTER}")); // from silver to gold
    p.answer("supportHours", &format!("{DOWN}{ENTER}")); // from "(none)" to the first
    p.answer("Run the template with these values?", ENTER);
    let (code, screen, json) = p.finish();
    assert_eq!(code, 0, "{screen}");
    assert_eq!(
        screen.matches("name ›").count(),
        1,
        "an answer that was not changed is not asked again:\n{screen}"
    );
    assert_eq!(
        params(&json),
        json!({"name": "ledger", "tier": "gold", "needsDatabase": false, "supportHours": "24x7"})
    );
}

/// Optional questions left unset ("(none)") are offered under "Which answer?" as not set;
/// changing one asks it again (and no other unset one) and shows the review again.
#[test]
fn the_review_changes_an_answer_left_unset() {
    let mut p = Pty::start(
        &[
            "new",
            &case("conditional-pages-when"),
            "--dry-run",
            "--output",
            "out",
            "--json",
        ],
        &[],
    );
    p.answer("name", "ledger\r");
    p.answer("tier", ENTER); // "(none)"
    p.answer("Needs a database", ENTER); // left unset
    p.expect("Run the template with these values?");
    let choices = p.expect("Cancel");
    assert!(choices.contains("Change an answer"), "{choices}");
    p.send(&format!("{DOWN}{ENTER}"));
    p.expect("Which answer?");
    let items = p.expect("(not set)");
    assert!(
        items.contains("tier"),
        "the unset tier is offered:\n{items}"
    );
    p.expect("Needs a database  (not set)");
    p.send(&format!("{DOWN}{ENTER}")); // name, tier
    p.answer("tier (optional) ›", &format!("{UP}{UP}{ENTER}")); // from "(none)" up to silver
    let review = p.expect("Run the template with these values?");
    assert!(review.contains("silver"), "{review}");
    p.send(ENTER);
    let (code, screen, json) = p.finish();
    assert_eq!(code, 0, "{screen}");
    assert_eq!(
        screen.matches("✔ Needs a database").count(),
        1,
        "another answer left unset is not asked again:\n{screen}"
    );
    assert_eq!(params(&json), json!({"name": "ledger", "tier": "silver"}));
}

/// Cancel on the review screen runs nothing (exit 130).
#[test]
fn the_review_cancels() {
    let mut p = Pty::start(
        &[
            "new",
            &case("conditional-pages-when"),
            "--dry-run",
            "--output",
            "out",
        ],
        &[],
    );
    p.answer("name", "ledger\r");
    p.answer("tier", ENTER);
    p.answer("Needs a database", ENTER);
    p.answer(
        "Run the template with these values?",
        &format!("{UP}{ENTER}"),
    );
    let (code, screen, _) = p.finish();
    assert_eq!(code, 130, "{screen}");
    assert!(
        screen.contains("cancelled at the confirmation; nothing was run"),
        "{screen}"
    );
    assert!(!p.dir().join("out").exists(), "nothing was written");
}

const KITCHEN: &str = r#"apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata:
  name: prompt-kitchen
  title: Prompt kitchen
spec:
  type: service
  parameters:
    - title: Component
      description: The basics
      required: [name, languages]
      ui:order: [name, languages, '*']
      properties:
        description:
          type: string
          title: Description
          ui:widget: textarea
        name:
          type: string
          title: Name
          description: Unique name of the component
          ui:field: EntityNamePicker
        languages:
          type: array
          title: Languages
          uniqueItems: true
          items: { type: string, enum: [go, rust, java], enumNames: [Go, Rust, Java] }
        replicas: { type: integer, title: Replicas, minimum: 1, maximum: 5, default: 2 }
        tags:
          type: array
          title: Tags
          ui:field: EntityTagsPicker
          items: { type: string }
        version: { type: string, title: Version, const: v1 }
        hiddenOne: { type: string, ui:widget: hidden, default: from-default }
        shown: { type: string, title: Shown, ui:readonly: true, default: fixed }
        db:
          type: object
          title: Database
          properties:
            engine: { type: string, title: Engine, enum: [postgres, mysql] }
            port: { type: integer, title: Port, default: 5432 }
        color:
          type: string
          title: Favourite colour
          ui:field: ColourWheelPicker
    - title: Secrets
      required: [token]
      properties:
        token:
          type: string
          title: API token
          ui:field: Secret
          minLength: 4
    - title: Location
      required: [repoUrl]
      properties:
        repoUrl:
          type: string
          title: Repository location
          ui:field: RepoUrlPicker
          ui:options:
            allowedHosts: [github.com, gitlab.example.com]
            allowedOwners: [acme, widgets]
  steps:
    - id: log
      action: debug:log
      input:
        message: 'hello ${{ parameters.name }}'
"#;

/// Multi-select, textarea, range check, tags, const/hidden/readonly not asked, a nested object,
/// an unknown field, a Secret, a RepoUrlPicker; then `--save-values` fed back asks nothing.
#[test]
fn every_kind_of_question_then_saved_values_replay_without_questions() {
    let dir = tempfile::tempdir().unwrap();
    let tpl = write_template(dir.path(), KITCHEN);
    let saved = dir.path().join("answers.json");
    let saved_s = saved.display().to_string();
    let mut p = Pty::start(
        &[
            "new",
            &tpl,
            "--dry-run",
            "--output",
            "out",
            "--json",
            "--save-values",
            &saved_s,
        ],
        &[],
    );
    let head = p.answer("Name", "bad name\r");
    assert!(
        head.contains("Component (1/3)")
            && head.contains("The basics")
            && head.contains("Unique name of the component"),
        "{head}"
    );
    p.answer(
        "must start and end with an alphanumeric character",
        "my-svc\r",
    );
    p.expect("Languages");
    p.expect("Java");
    p.send(" ");
    p.send(DOWN);
    p.send(DOWN);
    p.send(" ");
    p.send(ENTER);
    p.answer("Description", "line one\r");
    p.answer("…", "line two\r");
    p.answer("…", "\r");
    p.answer("Replicas", "9\r");
    p.answer("maximum of 5", "3\r");
    p.answer("Tags", "Java, backend, java\r");
    p.answer("Database › Engine", &format!("{DOWN}{ENTER}")); // from "(none)" to the first
    p.answer("Database › Port", ENTER);
    let notice = p.answer("Favourite colour", "blue\r");
    assert!(notice.contains("`ColourWheelPicker` (for `color`) is a custom field golden does not know; asking for a plain string"), "{notice}");
    p.answer("API token", "abc\r");
    p.answer("shorter than 4 characters", "s3cr3t\r");
    p.answer("Host", &format!("{DOWN}{ENTER}"));
    p.answer("Owner", &format!("{DOWN}{ENTER}"));
    p.answer("Repository", "my-svc\r");
    let review = p.answer("Run the template with these values?", "y\r");
    assert!(
        review.contains("API token") && review.contains("******") && !review.contains("s3cr3t"),
        "secret masked in the review:\n{review}"
    );
    let (code, screen, json) = p.finish();
    assert!(
        !screen.contains("? Version")
            && !screen.contains("? hiddenOne")
            && !screen.contains("? Shown"),
        "const, hidden and readonly are not asked:\n{screen}"
    );
    assert_eq!(code, 0, "{screen}");
    let expected = json!({
        "name": "my-svc", "languages": ["go", "java"], "description": "line one\nline two", "replicas": 3,
        "tags": ["java", "backend"], "version": "v1", "hiddenOne": "from-default", "shown": "fixed",
        "db": {"engine": "postgres", "port": 5432}, "color": "blue", "token": "******",
        "repoUrl": "gitlab.example.com?owner=widgets&repo=my-svc"
    });
    assert_eq!(params(&json), expected);

    let saved_values: Value =
        serde_json::from_str(&std::fs::read_to_string(&saved).unwrap()).unwrap();
    assert!(
        saved_values.get("token").is_none(),
        "no secret in --save-values: {saved_values}"
    );
    assert_eq!(saved_values["repoUrl"], expected["repoUrl"]);

    // Fed back (with the secret from a secrets file): not one question.
    let secrets = dir.path().join("secrets.json");
    std::fs::write(&secrets, r#"{"token": "s3cr3t"}"#).unwrap();
    let mut p = Pty::start(
        &[
            "new",
            &tpl,
            "--values",
            &saved_s,
            "--secrets",
            &secrets.display().to_string(),
            "--dry-run",
            "--output",
            "out",
            "--json",
            "--yes",
        ],
        &[],
    );
    let (code, screen, json) = p.finish();
    assert_eq!(code, 0, "{screen}");
    assert!(
        !screen.contains('?') && !screen.contains('›'),
        "nothing asked:\n{screen}"
    );
    assert_eq!(params(&json), expected);
}

/// A tiny catalog: answers every request with `entities`, records the request lines.
fn catalog(entities: Value) -> (String, Arc<Mutex<Vec<String>>>) {
    slow_catalog(entities, Duration::ZERO)
}

/// [`catalog`], answering each request after `delay`.
fn slow_catalog(entities: Value, delay: Duration) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { continue };
            let mut reader = BufReader::new(s.try_clone().unwrap());
            let mut first = String::new();
            let _ = reader.read_line(&mut first);
            loop {
                let mut h = String::new();
                if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
                    break;
                }
            }
            log.lock().unwrap().push(first.trim().to_string());
            std::thread::sleep(delay);
            let body = json!({"items": entities}).to_string();
            let _ = write!(s, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len());
        }
    });
    (format!("http://{addr}"), seen)
}

const PICKERS: &str = r#"apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata: { name: pickers }
spec:
  type: service
  parameters:
    - title: Ownership
      required: [owner, system]
      properties:
        owner: { type: string, title: Owner, ui:field: OwnerPicker }
        system:
          type: string
          title: System
          ui:field: EntityPicker
          ui:options:
            catalogFilter: { kind: System }
            defaultKind: System
  steps:
    - action: debug:log
      input: { message: hi }
"#;

/// OwnerPicker and EntityPicker offer the catalog's entities (fuzzy filter as typed) and
/// produce full refs; catalogFilter narrows the list.
#[test]
fn owner_picker_fed_by_a_catalog() {
    let (url, seen) = catalog(json!([
        {"apiVersion": "backstage.io/v1alpha1", "kind": "Group", "metadata": {"name": "platform", "title": "Platform team"}},
        {"apiVersion": "backstage.io/v1alpha1", "kind": "Group", "metadata": {"name": "payments"}},
        {"apiVersion": "backstage.io/v1alpha1", "kind": "User", "metadata": {"name": "jane"}},
        {"apiVersion": "backstage.io/v1alpha1", "kind": "System", "metadata": {"name": "ledger", "namespace": "finance"}},
        {"apiVersion": "backstage.io/v1alpha1", "kind": "System", "metadata": {"name": "billing"}},
        {"apiVersion": "backstage.io/v1alpha1", "kind": "Component", "metadata": {"name": "web"}}
    ]));
    let dir = tempfile::tempdir().unwrap();
    let tpl = write_template(dir.path(), PICKERS);
    let config = dir.path().join("golden.yaml");
    std::fs::write(
        &config,
        format!("catalog:\n  backstage:\n    baseUrl: {url}\n"),
    )
    .unwrap();
    let cfg = config.display().to_string();
    let mut p = Pty::start(
        &["new", &tpl, "--dry-run", "--output", "out", "--json"],
        &[("GOLDEN_CONFIG", &cfg)],
    );
    let owners = p.expect("type another entity ref");
    assert!(
        owners.contains("platform — Platform team")
            && owners.contains("payments")
            && owners.contains("user:jane"),
        "{owners}"
    );
    assert!(
        !owners.contains("ledger") && !owners.contains("web"),
        "only groups and users: {owners}"
    );
    p.send("plat");
    p.send(ENTER);
    p.expect("System");
    let systems = p.expect("type another entity ref");
    assert!(
        systems.contains("billing")
            && systems.contains("finance/ledger")
            && !systems.contains("payments"),
        "{systems}"
    );
    p.send(DOWN);
    p.send(ENTER);
    p.answer("Run the template with these values?", "y\r");
    let (code, screen, json) = p.finish();
    assert_eq!(code, 0, "{screen}");
    assert_eq!(
        params(&json),
        json!({"owner": "group:default/platform", "system": "system:finance/ledger"})
    );
    let requests = seen.lock().unwrap().clone();
    assert!(
        requests
            .iter()
            .any(|r| r
                .starts_with("GET /api/catalog/entities/by-query?limit=500&filter=kind%3Dsystem")),
        "the catalog is asked for systems only: {requests:?}"
    );
}

/// Text that matches none of the catalog's entities is taken as the ref on Enter, once it parses
/// as one (an invalid one is asked again with the reason); choosing "type another entity ref…"
/// asks for a ref without showing that choice as the answer.
#[test]
fn entity_pickers_take_typed_text_that_matches_nothing() {
    let (url, _) = catalog(json!([
        {"apiVersion": "backstage.io/v1alpha1", "kind": "Group", "metadata": {"name": "platform", "title": "Platform team"}},
        {"apiVersion": "backstage.io/v1alpha1", "kind": "Group", "metadata": {"name": "payments"}},
        {"apiVersion": "backstage.io/v1alpha1", "kind": "User", "metadata": {"name": "jane"}},
        {"apiVersion": "backstage.io/v1alpha1", "kind": "System", "metadata": {"name": "billing"}},
        {"apiVersion": "backstage.io/v1alpha1", "kind": "System", "metadata": {"name": "ledger", "namespace": "finance"}}
    ]));
    let dir = tempfile::tempdir().unwrap();
    let tpl = write_template(dir.path(), PICKERS);
    let config = dir.path().join("golden.yaml");
    std::fs::write(
        &config,
        format!("catalog:\n  backstage:\n    baseUrl: {url}\n"),
    )
    .unwrap();
    let cfg = config.display().to_string();
    let mut p = Pty::start(
        &["new", &tpl, "--dry-run", "--output", "out", "--json"],
        &[("GOLDEN_CONFIG", &cfg)],
    );
    p.expect("type another entity ref");
    p.send("team:");
    p.expect("no match: Enter takes the text as typed");
    p.send(ENTER);
    p.expect("`team:` is not an entity ref: Entity reference \"team:\" was not on the form [<kind>:][<namespace>/]<name>");
    // The text stays for editing: rub out "team:" and type another ref.
    p.send(&"\x7f".repeat(5));
    p.send("zeta");
    p.expect("no match");
    p.send(ENTER);
    p.expect("zeta → group:default/zeta");
    // The system picker: "type another entity ref…" leads to a typed ref.
    p.expect("type another entity ref");
    p.send("another");
    p.send(ENTER);
    p.answer("an entity ref, such as group:default/team-a", "ledger2\r");
    p.answer("Run the template with these values?", ENTER);
    let (code, screen, json) = p.finish();
    assert_eq!(code, 0, "{screen}");
    assert!(
        !screen.contains("· type another entity ref"),
        "the choice to type is not shown as the answer:\n{screen}"
    );
    assert_eq!(
        params(&json),
        json!({"owner": "group:default/zeta", "system": "system:default/ledger2"})
    );
}

/// Ctrl-C while a step runs (a real run waiting in `debug:wait`, after fetch:template filled the
/// workspace): a message, exit 130, and no workspace left in the temporary folder.
#[test]
fn ctrl_c_during_a_step_exits_130_and_leaves_no_workspace() {
    let dir = tempfile::tempdir().unwrap();
    let tpl = write_template(
        dir.path(),
        r#"apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata: { name: slow }
spec:
  type: service
  parameters:
    - required: [name]
      properties:
        name: { type: string }
  steps:
    - id: fetch
      action: fetch:template
      input: { url: ./skeleton, values: { name: "${{ parameters.name }}" } }
    - id: wait
      name: Wait a while
      action: debug:wait
      input: { seconds: 60 }
"#,
    );
    std::fs::create_dir_all(dir.path().join("tpl/skeleton")).unwrap();
    std::fs::write(
        dir.path().join("tpl/skeleton/README.md"),
        "# ${{ values.name }}\n",
    )
    .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let tmp_s = tmp.path().display().to_string();
    let entries = || -> Vec<String> {
        std::fs::read_dir(tmp.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
            .collect()
    };
    let mut p = Pty::start(&["new", &tpl], &[("TMPDIR", &tmp_s)]);
    p.answer("name", "demo\r");
    p.answer("Run the template with these values?", ENTER);
    p.expect("Wait a while");
    let mut during = entries();
    for _ in 0..100 {
        if during.iter().any(|n| n.starts_with("golden-workspace-")) {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
        during = entries();
    }
    assert!(
        during.iter().any(|n| n.starts_with("golden-workspace-")),
        "the run's workspace is in the temporary folder while the step runs: {during:?}"
    );
    std::thread::sleep(Duration::from_millis(300));
    p.send("\x03");
    let (code, screen, _) = p.finish();
    assert_eq!(code, 130, "{screen}");
    assert!(
        screen.contains("interrupted; the temporary workspace was removed"),
        "{screen}"
    );
    assert!(entries().is_empty(), "left behind: {:?}", entries());
}

/// A slow catalog: the pickers show a spinner naming it while it answers; an unreachable one is
/// one notice line, and the question falls back to a typed ref.
#[test]
fn pickers_show_a_spinner_for_a_slow_catalog_and_one_line_for_an_unreachable_one() {
    let (url, _) = slow_catalog(
        json!([
            {"apiVersion": "backstage.io/v1alpha1", "kind": "Group", "metadata": {"name": "platform"}},
            {"apiVersion": "backstage.io/v1alpha1", "kind": "Group", "metadata": {"name": "payments"}}
        ]),
        Duration::from_millis(1500),
    );
    let dir = tempfile::tempdir().unwrap();
    let tpl = write_template(dir.path(), PICKERS);
    let config = dir.path().join("golden.yaml");
    std::fs::write(
        &config,
        format!("catalog:\n  backstage:\n    baseUrl: {url}\n"),
    )
    .unwrap();
    let cfg = config.display().to_string();
    let mut p = Pty::start(
        &["new", &tpl, "--dry-run", "--output", "out", "--json"],
        &[("GOLDEN_CONFIG", &cfg)],
    );
    p.expect(&format!("asking the Backstage catalog at {url}…"));
    p.expect("type another entity ref");
    p.send(ENTER);
    p.send("\x03");
    let (code, screen, _) = p.finish();
    assert_eq!(code, 130, "{screen}");

    // Nothing listens on port 1.
    std::fs::write(
        &config,
        "catalog:\n  backstage:\n    baseUrl: http://127.0.0.1:1\n",
    )
    .unwrap();
    let mut p = Pty::start(
        &["new", &tpl, "--dry-run", "--output", "out", "--json"],
        &[("GOLDEN_CONFIG", &cfg)],
    );
    let notice = p.expect("type an entity ref");
    let line = notice
        .lines()
        .find(|l| l.contains("127.0.0.1:1"))
        .unwrap_or_else(|| panic!("{notice}"));
    assert!(
        line.ends_with("cannot reach the Backstage catalog at http://127.0.0.1:1: connection refused; type an entity ref"),
        "one line, the cause in a few words: {line:?}"
    );
    p.send("\x03");
    p.finish();
}

/// catalog:fetch against a slow catalog: the step's spinner runs while the catalog answers.
#[test]
fn a_step_waiting_for_a_slow_catalog_shows_a_spinner() {
    let (url, seen) = slow_catalog(json!([]), Duration::from_millis(1500));
    let dir = tempfile::tempdir().unwrap();
    let tpl = write_template(
        dir.path(),
        "apiVersion: scaffolder.backstage.io/v1beta3\nkind: Template\nmetadata: { name: fetch-owner }\nspec:\n  type: service\n  steps:\n    - id: owner\n      name: Fetch the owner\n      action: catalog:fetch\n      input: { entityRef: 'group:default/team-a', optional: true }\n",
    );
    let config = dir.path().join("golden.yaml");
    std::fs::write(
        &config,
        format!("catalog:\n  backstage:\n    baseUrl: {url}\n"),
    )
    .unwrap();
    let cfg = config.display().to_string();
    let mut p = Pty::start(
        &["new", &tpl, "--dry-run", "--output", "out", "--yes"],
        &[("GOLDEN_CONFIG", &cfg)],
    );
    let waiting = p.expect("[1/1] Fetch the owner (catalog:fetch)");
    let (_, screen, _) = p.finish();
    // indicatif's spinner: braille patterns.
    let spinner = |c: char| ('\u{2800}'..='\u{28ff}').contains(&c);
    assert!(
        waiting
            .trim_end_matches("[1/1] Fetch the owner (catalog:fetch)")
            .trim_end()
            .ends_with(spinner),
        "a spinner while the catalog answers: {waiting:?}\n{screen}"
    );
    assert!(
        ["✓", "✗"]
            .iter()
            .any(|m| screen.contains(&format!("{m} [1/1] Fetch the owner (catalog:fetch)"))),
        "then the step's result: {screen}"
    );
    assert!(
        seen.lock()
            .unwrap()
            .iter()
            .any(|r| r.contains("/api/catalog/entities/by-name/group/default/team%2Da")),
        "the catalog was asked: {:?}\n{screen}",
        seen.lock().unwrap()
    );
}

/// Ctrl-C at a question: exit 130, nothing written.
#[test]
fn ctrl_c_exits_130_and_leaves_nothing() {
    let mut p = Pty::start(
        &[
            "new",
            &case("conditional-pages-when"),
            "--dry-run",
            "--output",
            "out",
            "--json",
        ],
        &[],
    );
    p.answer("name", "led");
    p.send("\x03");
    let (code, screen, _) = p.finish();
    let dir = p.dir().to_path_buf();
    assert_eq!(code, 130, "{screen}");
    assert!(screen.contains("interrupted"), "{screen}");
    let left: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    assert!(
        !left.iter().any(|n| n == "out" || n.starts_with(".golden")),
        "{left:?}"
    );
}

/// Ctrl-C at a secret (hidden input) too.
#[test]
fn ctrl_c_at_a_secret() {
    let dir = tempfile::tempdir().unwrap();
    let tpl = write_template(dir.path(), KITCHEN);
    let mut p = Pty::start(
        &[
            "new",
            &tpl,
            "--dry-run",
            "--output",
            "out",
            "--set",
            "name=x",
            "--set",
            "languages=go",
            "--values",
            "/dev/null",
        ],
        &[],
    );
    p.answer("API token", "ab");
    p.send("\x03");
    let (code, screen, _) = p.finish();
    assert_eq!(code, 130, "{screen}");
}

/// With a values file, only what is missing is asked (optional questions are not).
#[test]
fn a_values_file_leaves_only_the_missing_questions() {
    let dir = tempfile::tempdir().unwrap();
    let values = dir.path().join("v.json");
    std::fs::write(
        &values,
        r#"{"name": "fraud-scorer", "owner": "group:default/risk", "target": "kubernetes"}"#,
    )
    .unwrap();
    let mut p = Pty::start(
        &[
            "new",
            &case("multipage-oneof-dependencies"),
            "--values",
            &values.display().to_string(),
            "--dry-run",
            "--output",
            "out",
            "--json",
        ],
        &[],
    );
    let first = p.answer("namespace", "risk-prod\r");
    assert!(
        !first.contains("name ›") && !first.contains("owner"),
        "{first}"
    );
    p.answer("Run the template with these values?", "y\r");
    let (_, screen, json) = p.finish();
    assert!(
        !screen.contains("ingressHost") && !screen.contains("replicas ›"),
        "{screen}"
    );
    assert_eq!(
        params(&json),
        json!({"name": "fraud-scorer", "owner": "group:default/risk", "target": "kubernetes", "namespace": "risk-prod", "replicas": 2, "enableAlerts": false})
    );
}

/// `CI` set: never prompt, even on a terminal.
#[test]
fn ci_never_prompts_even_on_a_terminal() {
    let mut p = Pty::start(
        &[
            "new",
            &case("multipage-oneof-dependencies"),
            "--dry-run",
            "--output",
            "out",
        ],
        &[("CI", "true")],
    );
    let (code, screen, _) = p.finish();
    assert_eq!(code, 1, "{screen}");
    assert!(
        screen.contains("3 values are missing, and golden will not ask for them (CI is set)"),
        "{screen}"
    );
}

/// No terminal, no values: exits with the full list (title, description, allowed, --set).
#[test]
fn no_terminal_lists_every_missing_value() {
    let out = golden()
        .args([
            "new",
            &case("multipage-oneof-dependencies"),
            "--dry-run",
            "--output",
        ])
        .arg(tempfile::tempdir().unwrap().path().join("o"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(
            "3 values are missing, and golden will not ask for them (stdin is not a terminal)"
        ),
        "{err}"
    );
    assert!(
        err.contains(
            "`name` is missing; allowed: text matching ^[a-z][a-z0-9-]+$; pass `--set name=VALUE`"
        ),
        "{err}"
    );
    assert!(err.contains("`owner` is missing; allowed: an entity ref such as group:default/team-a or user:default/jane; pass `--set owner=group:default/NAME`"), "{err}");
    assert!(
        err.contains("`target` (Deployment target) is missing; allowed: kubernetes (Kubernetes), lambda (AWS Lambda), vm (Virtual machine); pass `--set target=kubernetes`"),
        "{err}"
    );
}

/// Given but invalid values are listed too, with the follow-ups the given answers select.
#[test]
fn no_terminal_lists_invalid_values_and_selected_follow_ups() {
    let out = golden()
        .args([
            "new",
            &case("multipage-oneof-dependencies"),
            "--no-input",
            "--set",
            "name=Bad",
            "--set",
            "target=lambda",
            "--set",
            "owner=group:default/a",
            "--dry-run",
            "--output",
        ])
        .arg(tempfile::tempdir().unwrap().path().join("o"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("3 values are missing or invalid, and golden will not ask for them (--no-input was given)"), "{err}");
    assert!(
        err.contains("`name` is invalid: \"Bad\" does not match"),
        "{err}"
    );
    assert!(
        err.contains(
            "`memoryMb` is missing; allowed: 128, 256, 512, 1024; pass `--set memoryMb=128`"
        ),
        "{err}"
    );
    assert!(err.contains("`runtime` is missing"), "{err}");
}

/// Piped stdin that never closes: golden must not read it and must exit on its own.
#[test]
fn piped_stdin_does_not_hang() {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_golden"));
    crate::support::shared().apply(&mut cmd);
    let mut child = cmd
        .args([
            "new",
            &case("multipage-oneof-dependencies"),
            "--dry-run",
            "--output",
            "/nonexistent/never",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdin = child.stdin.take(); // kept open: a read would block forever
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    let status = child.wait().unwrap();
    drop(stdin);
    assert_eq!(status.code(), Some(1), "{err}");
    assert!(err.contains("stdin is not a terminal"), "{err}");
}

/// `GOLDEN_VALUE_<NAME>` and `--set` answer questions before they are asked.
#[test]
fn env_values_and_set_are_not_asked() {
    let out = golden()
        .args([
            "new",
            &case("conditional-pages-when"),
            "--no-input",
            "--set",
            "needsDatabase=true",
            "--set",
            "dbEngine=postgres",
            "--dry-run",
            "--json",
            "--output",
        ])
        .arg(tempfile::tempdir().unwrap().path().join("o"))
        .env("GOLDEN_VALUE_NAME", "ledger")
        .env("GOLDEN_VALUE_DB_SIZE_GB", "20")
        .output()
        .unwrap();
    let stdout: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&out.stderr)));
    assert_eq!(
        stdout["parameters"],
        json!({"name": "ledger", "needsDatabase": true, "dbEngine": "postgres", "dbSizeGb": 20})
    );
}

/// Page 2 of the built-in golden paths: every option has the platform's default, so Enter on each
/// question keeps the golden path.
fn accept_golden_path_defaults(p: &mut Pty) -> String {
    let page = p.answer("Port", "\r");
    for question in [
        "Lifecycle",
        "System",
        "Depends on",
        "Helm chart",
        "CI pipeline",
        "leaves the golden path",
    ] {
        p.answer(question, "\r");
    }
    page
}

/// The built-in golden path, as a newcomer meets it: every question of go-microservice.
#[test]
fn go_microservice_prompts() {
    let mut p = Pty::start(
        &[
            "new",
            "go-microservice",
            "--dry-run",
            "--output",
            "out",
            "--json",
        ],
        &[],
    );
    let head = p.answer("Name", "Demo\r");
    assert!(
        head.contains("Service (1/3)") && head.contains("Unique name of the service"),
        "{head}"
    );
    p.answer("does not match", "demo\r");
    let owner = p.answer("Owner", "team-a\r");
    assert!(
        owner.contains("the catalog has no matching entities; type an entity ref"),
        "an empty local catalog: {owner}"
    );
    p.answer("Description", "Demo service\r");
    let options = accept_golden_path_defaults(&mut p);
    assert!(
        options.contains("Golden path options (2/3)"),
        "the escape hatches have their own page: {options}"
    );
    // Two allowed hosts (github.com, gitlab.com): Enter takes the first.
    let page = p.answer("Host", "\r");
    assert!(page.contains("Repository (3/3)"), "{page}");
    let hosts = p.answer("Owner", "acme\r");
    assert!(
        hosts.contains("github.com") && hosts.contains("gitlab.com"),
        "both allowed hosts are offered: {hosts}"
    );
    p.answer("Repository ›", "demo\r");
    let review = p.answer("Run the template with these values?", "y\r");
    assert!(
        review.contains("group:default/team-a")
            && review.contains("github.com?owner=acme&repo=demo"),
        "{review}"
    );
    // The review says what will happen, with the repository the answers name.
    assert!(
        review.contains("What will happen")
            && review.contains("create the private GitHub repository acme/demo and push the files")
            && review.contains("register the catalog file in the configured catalog")
            && review.contains("dry run: only local steps run"),
        "{review}"
    );
    let (_, screen, json) = p.finish();
    assert_eq!(
        params(&json),
        json!({"name": "demo", "owner": "group:default/team-a", "description": "Demo service", "repoUrl": "github.com?owner=acme&repo=demo",
               "port": 8080, "lifecycle": "experimental", "helm": true, "ci": true}),
        "{screen}"
    );
}

/// OwnerPicker fed by golden's own local catalog, seeded with `golden catalog register`.
#[test]
fn owner_picker_fed_by_the_local_catalog() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    let groups = dir.path().join("groups.yaml");
    std::fs::write(
        &groups,
        "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: team-a\n  title: Team A\nspec:\n  type: team\n  children: []\n---\n\
         apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: team-b\nspec:\n  type: team\n  children: []\n",
    )
    .unwrap();
    let empty = dir.path().join("config.yaml");
    std::fs::write(&empty, "").unwrap();
    golden()
        .env("GOLDEN_HOME", &home)
        .env("GOLDEN_CONFIG", &empty)
        .args(["catalog", "register"])
        .arg(&groups)
        .assert()
        .success();
    let home_s = home.display().to_string();
    let mut p = Pty::start(
        &[
            "new",
            "go-microservice",
            "--dry-run",
            "--output",
            "out",
            "--json",
        ],
        &[("GOLDEN_HOME", &home_s)],
    );
    p.answer("Name", "demo\r");
    let owners = p.expect("type another entity ref");
    assert!(
        owners.contains("team-a — Team A") && owners.contains("team-b"),
        "{owners}"
    );
    p.send(DOWN);
    p.send(ENTER);
    p.answer("Description", "Demo\r");
    accept_golden_path_defaults(&mut p);
    p.answer("Host", "\r");
    p.answer("Owner", "acme\r");
    p.answer("Repository ›", "demo\r");
    p.answer("Run the template with these values?", "y\r");
    let (_, screen, json) = p.finish();
    assert_eq!(params(&json)["owner"], "group:default/team-b", "{screen}");
}

/// Ctrl-C with a built-in template: its extracted copy is removed too.
#[test]
fn ctrl_c_removes_the_extracted_builtin_template() {
    let tmp = tempfile::tempdir().unwrap();
    let tmp_s = tmp.path().display().to_string();
    let mut p = Pty::start(
        &["new", "go-microservice", "--dry-run", "--output", "out"],
        &[("TMPDIR", &tmp_s)],
    );
    p.answer("Name", "demo\r");
    p.expect("Owner");
    let during: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    assert!(
        during.iter().any(|n| n.starts_with("golden-template-")),
        "the built-in is extracted while asking: {during:?}"
    );
    p.send("\x03");
    let (code, screen, _) = p.finish();
    assert_eq!(code, 130, "{screen}");
    let after: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    assert!(after.is_empty(), "left behind: {after:?}");
}

/// Every conformance case's parameters through the non-interactive walk with no values: golden
/// either runs (nothing required) or lists what is missing; never a crash, never a question.
#[test]
fn every_conformance_case_without_values_lists_what_is_missing() {
    let cases = root().join("tests/conformance/cases");
    let (mut checked, mut listed) = (0, 0);
    for entry in std::fs::read_dir(&cases).unwrap() {
        let dir = entry.unwrap().path();
        let values: Value = serde_json::from_str(
            &std::fs::read_to_string(dir.join("values.json")).unwrap_or_else(|_| "{}".into()),
        )
        .unwrap_or(json!({}));
        if dir.join("expected.error.txt").exists() {
            continue;
        }
        let out = tempfile::tempdir().unwrap();
        let result = golden()
            .args(["new"])
            .arg(dir.join("template"))
            .args(["--no-input", "--dry-run", "--output"])
            .arg(out.path().join("o"))
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&result.stderr);
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        match result.status.code() {
            Some(0) => {}
            Some(1)
                if err.contains("missing")
                    && err.contains("golden will not ask for them (--no-input was given)") =>
            {
                // Each listed value is one the case's values.json supplies.
                for line in err.lines().filter(|l| l.starts_with("  - `")) {
                    let key = line[5..]
                        .split('`')
                        .next()
                        .unwrap()
                        .split('.')
                        .next()
                        .unwrap();
                    assert!(
                        values.get(key).is_some(),
                        "{name}: `{key}` is listed as missing but the case never gives it:\n{err}"
                    );
                }
                listed += 1;
            }
            Some(1) => assert!(
                err.contains("step `"),
                "{name}: exit 1 that is neither a values list nor a step failure:\n{err}"
            ),
            other => panic!("{name}: exit {other:?}\n{err}"),
        }
        checked += 1;
    }
    assert!(
        checked >= 25 && listed >= 15,
        "only {checked} cases checked, {listed} with missing values"
    );
}

const CONFIG_ONLY_BY_FLAG: &str = r#"apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata: { name: config-by-flag }
spec:
  type: service
  parameters:
    - title: Where
      required: [owner, repoUrl]
      properties:
        owner: { type: string, title: Owner, ui:field: OwnerPicker }
        repoUrl: { type: string, title: Repository location, ui:field: RepoUrlPicker }
  steps:
    - action: debug:log
      input: { message: hi }
"#;

/// A config named only by `--config` (GOLDEN_CONFIG names an empty one) feeds both the
/// OwnerPicker (its catalog) and the RepoUrlPicker (its `integrations.github` hosts).
#[test]
fn config_named_by_the_flag_feeds_the_owner_and_repo_url_pickers() {
    let (url, seen) = catalog(json!([
        {"apiVersion": "backstage.io/v1alpha1", "kind": "Group", "metadata": {"name": "platform"}}
    ]));
    let dir = tempfile::tempdir().unwrap();
    let tpl = write_template(dir.path(), CONFIG_ONLY_BY_FLAG);
    let config = dir.path().join("by-flag.yaml");
    std::fs::write(
        &config,
        format!("integrations:\n  github:\n    - host: ghe.example.com\n      token: t\ncatalog:\n  backstage:\n    baseUrl: {url}\n"),
    )
    .unwrap();
    let cfg = config.display().to_string();
    let mut p = Pty::start(
        &[
            "new",
            &tpl,
            "--dry-run",
            "--output",
            "out",
            "--json",
            "--config",
            &cfg,
        ],
        &[],
    );
    let owners = p.expect("type another entity ref");
    assert!(owners.contains("platform"), "the flag's catalog: {owners}");
    p.send("plat");
    p.send(ENTER);
    let hosts = p.expect("another host");
    assert!(
        hosts.contains("ghe.example.com"),
        "the flag's hosts: {hosts}"
    );
    p.send(DOWN);
    p.send(ENTER);
    p.answer("Owner", "acme\r");
    p.answer("Repository", "svc\r");
    p.answer("Run the template with these values?", "y\r");
    let (code, screen, json) = p.finish();
    assert_eq!(code, 0, "{screen}");
    assert_eq!(
        params(&json),
        json!({"owner": "group:default/platform", "repoUrl": "ghe.example.com?owner=acme&repo=svc"})
    );
    assert!(
        !seen.lock().unwrap().is_empty(),
        "the flag's catalog was asked"
    );
}

/// Without colour (NO_COLOR, set by `Pty::start`), the multi-select still shows where the cursor
/// is: a `❯` before the active item.
#[test]
fn multi_select_cursor_without_colour() {
    let dir = tempfile::tempdir().unwrap();
    let tpl = write_template(
        dir.path(),
        "apiVersion: scaffolder.backstage.io/v1beta3\nkind: Template\nmetadata:\n  name: langs\nspec:\n  type: service\n  parameters:\n    - required: [langs]\n      properties:\n        langs:\n          type: array\n          title: Languages\n          uniqueItems: true\n          items: { type: string, enum: [go, java, rust] }\n          ui:widget: checkboxes\n  steps:\n    - action: debug:log\n      input: { message: hi }\n",
    );
    let mut p = Pty::start(
        &["new", &tpl, "--dry-run", "--output", "out", "--json"],
        &[],
    );
    let first = p.expect("rust");
    assert!(
        first
            .lines()
            .any(|l| l.trim_start().starts_with("❯") && l.contains("go")),
        "the cursor is on the first item: {first}"
    );
    p.send(DOWN);
    let moved = p.expect("rust");
    assert!(
        moved
            .lines()
            .any(|l| l.trim_start().starts_with("❯") && l.contains("java")),
        "the cursor moved to the second item: {moved}"
    );
    p.send(" ");
    p.send(ENTER);
    p.answer("Run the template with these values?", "y\r");
    let (code, screen, json) = p.finish();
    assert_eq!(code, 0, "{screen}");
    assert_eq!(params(&json)["langs"], json!(["java"]));
}
