//! The services golden lends npm action modules, through a real npm module of Backstage's
//! community (`@backstage-community/plugin-scaffolder-backend-module-kubernetes`, which finds its
//! cluster with a `CatalogClient`) and a fixture module written the way Backstage modules are
//! (tests/fixtures/npm/module: `coreServices.urlReader`, the `catalog-client` service, a slow
//! action): the url reader reads with golden's readers (integration allow-list, tokens,
//! retries), the catalog is golden's local catalog, and `actions.timeouts` stops a slow step.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::{json, Value};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::fake_github::FakeGithub;
use crate::support::root;

const KUBE: &str = "@backstage-community/plugin-scaffolder-backend-module-kubernetes@2.21.0";

/// A GitLab files API on 127.0.0.1 that fails once with 503 (golden retries), then serves one
/// file to the integration's token only.
struct GitlabFiles {
    calls: Arc<AtomicUsize>,
}

impl Respond for GitlabFiles {
    fn respond(&self, r: &Request) -> ResponseTemplate {
        if self.calls.fetch_add(1, Ordering::SeqCst) == 0 {
            return ResponseTemplate::new(503);
        }
        let auth = r
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        if auth != "Bearer tok-gl" {
            return ResponseTemplate::new(401);
        }
        if r.url.path() == "/api/v4/projects/acme%2Fdemo/repository/files/docs%2Fhello.txt/raw"
            && r.url.query() == Some("ref=main")
        {
            ResponseTemplate::new(200).set_body_string("hello from gitlab\n")
        } else {
            ResponseTemplate::new(404)
        }
    }
}

/// A Kubernetes API on 127.0.0.1 that records what it is sent.
struct Kube {
    seen: Arc<Mutex<Vec<(String, String, Value)>>>,
}

impl Respond for Kube {
    fn respond(&self, r: &Request) -> ResponseTemplate {
        let auth = r
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let body: Value = serde_json::from_slice(&r.body).unwrap_or(Value::Null);
        self.seen.lock().unwrap().push((
            format!("{} {}", r.method, r.url.path()),
            auth,
            body.clone(),
        ));
        ResponseTemplate::new(201).set_body_json(json!({
            "apiVersion": "v1", "kind": "Namespace", "metadata": body["metadata"].clone()
        }))
    }
}

fn run(home: &Path, cache: &Path, args: &[&str], config: Option<&Path>) -> (bool, Value, String) {
    let mut cmd = crate::npm_actions::golden_with(home, cache);
    cmd.current_dir(home.parent().unwrap()).args(args);
    if let Some(c) = config {
        cmd.arg("--config").arg(c);
    }
    let out = cmd.output().unwrap();
    let report = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (
        out.status.success(),
        report,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[cfg(unix)]
#[test]
fn npm_modules_read_urls_and_the_catalog_through_golden_and_time_out() {
    let Some(cache) = crate::npm_actions::npm_cache() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    // the same set .ci/run seeds the cache with, so npm resolves offline what it cached
    let fixture = root().join("tests/fixtures/npm/module");
    let mut add = crate::npm_actions::golden_with(&home, &cache);
    add.args([
        "actions",
        "add",
        crate::npm_actions::UTILS,
        crate::npm_actions::NOTIFY,
        KUBE,
    ])
    .arg(&fixture);
    let out = add.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // the outside world: GitLab (files API), GitHub (git, for trees), Kubernetes
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let gitlab = rt.block_on(MockServer::start());
    let calls = Arc::new(AtomicUsize::new(0));
    rt.block_on(
        Mock::given(wiremock::matchers::any())
            .respond_with(GitlabFiles {
                calls: calls.clone(),
            })
            .mount(&gitlab),
    );
    let kube = rt.block_on(MockServer::start());
    let seen = Arc::new(Mutex::new(Vec::new()));
    rt.block_on(
        Mock::given(wiremock::matchers::any())
            .respond_with(Kube { seen: seen.clone() })
            .mount(&kube),
    );
    let github = FakeGithub::start("tok-gh", "octo");
    github.add_repo_files(
        "acme",
        "skeletons",
        &[
            ("svc/README.md", "# svc\n"),
            ("svc/src/main.go", "package main\n"),
        ],
    );
    let gh_base = github
        .api_base_url()
        .trim_end_matches("/api/v3")
        .to_string();
    let gh_host = gh_base.trim_start_matches("http://").to_string();
    let gl_base = gitlab.uri();
    let gl_host = gl_base.trim_start_matches("http://").to_string();
    let config = tmp.path().join("golden.yaml");
    std::fs::write(
        &config,
        format!(
            "integrations:\n  github:\n    - host: {gh_host}\n      apiBaseUrl: {gh_base}/api/v3\n      token: tok-gh\n  gitlab:\n    - host: {gl_host}\n      baseUrl: {gl_base}\n      apiBaseUrl: {gl_base}/api/v4\n      token: tok-gl\nactions:\n  timeouts:\n    fixture:slow: 1s\n"
        ),
    )
    .unwrap();

    // golden's local catalog holds the entities the modules look up
    let entities = tmp.path().join("entities.yaml");
    std::fs::write(
        &entities,
        format!(
            "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {{name: a-svc}}\nspec: {{type: service, lifecycle: production, owner: team-a}}\n---\napiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {{name: b-svc}}\nspec: {{type: service, lifecycle: production, owner: team-b}}\n---\napiVersion: backstage.io/v1alpha1\nkind: Resource\nmetadata:\n  name: cluster\n  annotations:\n    kubernetes.io/api-server: {}\nspec: {{type: kubernetes-cluster, owner: team-a}}\n",
            kube.uri()
        ),
    )
    .unwrap();
    let (ok, _, err) = run(
        &home,
        &cache,
        &["catalog", "register", entities.to_str().unwrap()],
        None,
    );
    assert!(ok, "{err}");

    // url reader (blob through GitLab's files API with its token after a retry; tree through
    // the template fetcher) and the catalog service, in a dry run
    let out = tmp.path().join("out");
    let blob = format!("{gl_base}/acme/demo/-/blob/main/docs/hello.txt");
    let tree = format!("{gh_base}/acme/skeletons/tree/main/svc");
    let (ok, report, err) = run(
        &home,
        &cache,
        &[
            "new",
            root()
                .join("tests/fixtures/npm/services/read")
                .to_str()
                .unwrap(),
            "--dry-run",
            "--json",
            "--no-input",
            "--set",
            &format!("blobUrl={blob}"),
            "--set",
            &format!("treeUrl={tree}"),
            "--set",
            "entityRef=component:default/a-svc",
            "--output",
            out.to_str().unwrap(),
        ],
        Some(&config),
    );
    assert!(ok, "{err}\n{report}");
    assert_eq!(
        std::fs::read_to_string(out.join("blob.txt")).unwrap(),
        "hello from gitlab\n"
    );
    assert_eq!(calls.load(Ordering::SeqCst), 2, "one 503, retried");
    assert_eq!(
        std::fs::read_to_string(out.join("tree/src/main.go")).unwrap(),
        "package main\n"
    );
    assert_eq!(
        report["steps"][1]["output"]["files"],
        json!(["README.md", "src/main.go"])
    );
    let c = &report["steps"][2]["output"];
    assert_eq!(c["owner"], "team-a", "{report}");
    assert_eq!(c["missing"], true);
    assert_eq!(
        c["names"],
        json!(["b-svc", "a-svc"]),
        "filter, fields, order desc"
    );
    assert_eq!(c["total"], 2);
    assert_eq!(
        c["pages"],
        json!(["a-svc", "b-svc"]),
        "queryEntities pages by cursor"
    );
    assert_eq!(c["byRefs"], json!(["a-svc", null]));

    // a host without an integration: Backstage's NotAllowedError, nothing fetched
    let other = format!("{}/x.txt", kube.uri().replace("127.0.0.1", "localhost"));
    let (ok, _, err) = run(
        &home,
        &cache,
        &[
            "new",
            root()
                .join("tests/fixtures/npm/services/read")
                .to_str()
                .unwrap(),
            "--dry-run",
            "--no-input",
            "--set",
            &format!("blobUrl={other}"),
            "--set",
            &format!("treeUrl={tree}"),
            "--set",
            "entityRef=component:default/a-svc",
            "--output",
            tmp.path().join("out2").to_str().unwrap(),
        ],
        Some(&config),
    );
    assert!(!ok);
    assert!(
        err.contains(&format!("NotAllowedError: Reading from '{other}' is not allowed. You may need to configure an integration for the target host, or add it to the configured list of allowed hosts at 'backend.reading.allow'")),
        "{err}"
    );
    assert!(
        seen.lock().unwrap().is_empty(),
        "nothing read from the host"
    );

    // a catalog method golden's catalog service lacks fails naming it
    let (ok, _, err) = run(
        &home,
        &cache,
        &[
            "new",
            root()
                .join("tests/fixtures/npm/services/facets")
                .to_str()
                .unwrap(),
            "--dry-run",
            "--no-input",
            "--output",
            tmp.path().join("out3").to_str().unwrap(),
        ],
        Some(&config),
    );
    assert!(!ok);
    assert!(
        err.contains("needs `catalog.getEntityFacets`, which golden does not provide"),
        "{err}"
    );

    // the real Kubernetes module: its CatalogClient (made with the discovery service) finds the
    // cluster in golden's catalog, then it calls the cluster's API
    let more = tmp.path().join("more.yaml");
    std::fs::write(
        &more,
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: c-svc}\nspec: {type: service, lifecycle: production, owner: team-c}\n",
    )
    .unwrap();
    let (ok, report, err) = run(
        &home,
        &cache,
        &[
            "new",
            root()
                .join("tests/fixtures/npm/services/k8s")
                .to_str()
                .unwrap(),
            "--no-input",
            "--yes",
            "--no-checkout",
            "--json",
            "--set",
            "token=k8s-tok",
            "--set",
            &format!("location={}", more.display()),
        ],
        Some(&config),
    );
    assert!(ok, "{err}");
    // and the fixture module registered a file location in golden's catalog (addLocation)
    assert_eq!(
        report["steps"][1]["output"]["added"],
        json!(["c-svc"]),
        "{report}"
    );
    let listed = crate::npm_actions::golden_with(&home, &cache)
        .args(["catalog", "list"])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&listed.stdout).contains("component:default/c-svc"),
        "{}",
        String::from_utf8_lossy(&listed.stdout)
    );
    // a dry run registers nothing
    let (ok, _, err) = run(
        &home,
        &cache,
        &[
            "new",
            root()
                .join("tests/fixtures/npm/services/register")
                .to_str()
                .unwrap(),
            "--dry-run",
            "--no-input",
            "--set",
            &format!("location={}", more.display()),
            "--output",
            tmp.path().join("out-register").to_str().unwrap(),
        ],
        Some(&config),
    );
    assert!(!ok);
    assert!(
        err.contains("golden's --dry-run registers nothing"),
        "{err}"
    );
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(seen[0].0, "POST /api/v1/namespaces");
    assert_eq!(seen[0].1, "Bearer k8s-tok");
    assert_eq!(seen[0].2["metadata"]["name"], "demo");
    assert_eq!(seen[0].2["metadata"]["labels"]["team"], "a");

    // actions.timeouts: the slow step is stopped after 1s, naming the action and the timeout
    let started = std::time::Instant::now();
    let (ok, _, err) = run(
        &home,
        &cache,
        &[
            "new",
            root()
                .join("tests/fixtures/npm/services/slow")
                .to_str()
                .unwrap(),
            "--dry-run",
            "--no-input",
            "--output",
            tmp.path().join("out4").to_str().unwrap(),
        ],
        Some(&config),
    );
    assert!(!ok);
    assert!(
        err.contains("`fixture:slow` did not finish within 1s and was stopped"),
        "{err}"
    );
    assert!(err.contains("actions.timeouts"), "{err}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );

    // a timeout that is not a duration is refused, naming the key
    std::fs::write(&config, "actions:\n  timeouts:\n    default: soon\n").unwrap();
    let (ok, _, err) = run(
        &home,
        &cache,
        &[
            "new",
            root()
                .join("tests/fixtures/npm/services/slow")
                .to_str()
                .unwrap(),
            "--dry-run",
            "--no-input",
            "--output",
            tmp.path().join("out5").to_str().unwrap(),
        ],
        Some(&config),
    );
    assert!(!ok);
    assert!(err.contains("`actions.timeouts.default`"), "{err}");
}
