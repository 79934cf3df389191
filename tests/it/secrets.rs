//! Secrets never leave golden in clear: runs that put known secret strings (task secrets as
//! strings, numbers and nested objects, a password widget, tokens in the environment and the
//! config file) into every place golden writes text, then a grep of everything golden wrote.

use std::path::{Path, PathBuf};

use crate::support::golden;

const TOKEN: &str = "S3CRET_TOKEN_q7x";
const PIN: &str = "987654321";
const NESTED: &str = "N3STED_pw_z4";
const PASSWORD: &str = "hunter2_PASS_w9";
const GITHUB_TOKEN: &str = "ghp_ENVTOKEN_k2";
const BACKSTAGE_TOKEN: &str = "BACKSTAGE_TOKEN_m5";
const CONFIG_TOKEN: &str = "CONFIG_TOKEN_v8";
const ALL: [&str; 7] = [
    TOKEN,
    PIN,
    NESTED,
    PASSWORD,
    GITHUB_TOKEN,
    BACKSTAGE_TOKEN,
    CONFIG_TOKEN,
];

const TEMPLATE: &str = r#"apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata:
  name: leaky
  title: Leaky
spec:
  type: service
  parameters:
    - title: Basics
      required: [name]
      properties:
        name: { type: string }
        pw: { type: string, ui:widget: password, maxLength: 40 }
        broken: { type: boolean, default: false }
  steps:
    - id: log
      action: debug:log
      input:
        message: 'token ${{ secrets.apiToken }} pin ${{ secrets.pin }} nested ${{ secrets.nested.pw }} pw ${{ parameters.pw }}'
    - id: fetch
      action: fetch:template
      input:
        url: ./skeleton
        values:
          name: ${{ parameters.name }}
          pw: ${{ parameters.pw }}
    - id: rename
      if: ${{ parameters.broken }}
      action: fs:rename
      input:
        files:
          - from: 'missing-${{ secrets.apiToken }}-${{ secrets.pin }}'
            to: 'x-${{ secrets.nested.pw }}'
    - id: publish
      action: publish:github
      input:
        repoUrl: github.com?owner=acme&repo=${{ parameters.name }}
        description: 'made with ${{ secrets.apiToken }}'
        secrets:
          API_KEY: ${{ secrets.apiToken }}
    - id: hook
      action: github:webhook
      input:
        repoUrl: github.com?owner=acme&repo=${{ parameters.name }}
        webhookUrl: 'https://hooks.example.com/${{ secrets.pin }}'
        webhookSecret: ${{ secrets.nested.pw }}
    - id: register
      action: catalog:register
      input:
        repoContentsUrl: ${{ steps['publish'].output.repoContentsUrl }}
        catalogInfoPath: /catalog-info.yaml
  output:
    text:
      - title: Password
        content: 'the password is ${{ parameters.pw }}'
"#;

const CATALOG_INFO: &str = r#"apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: ${{ values.name }}
  annotations:
    example.com/pw: ${{ values.pw }}
spec:
  type: service
  lifecycle: experimental
  owner: group:default/team-a
"#;

struct Attack {
    dir: tempfile::TempDir,
    template: PathBuf,
    /// stdout and stderr of every run.
    printed: Vec<(String, String)>,
}

impl Attack {
    fn new() -> Attack {
        let dir = tempfile::tempdir().unwrap();
        let t = dir.path().join("template");
        std::fs::create_dir_all(t.join("skeleton")).unwrap();
        std::fs::write(t.join("template.yaml"), TEMPLATE).unwrap();
        std::fs::write(t.join("skeleton/catalog-info.yaml"), CATALOG_INFO).unwrap();
        std::fs::write(t.join("skeleton/README.md"), "# ${{ values.name }}\n").unwrap();
        std::fs::write(
            dir.path().join("secrets.yaml"),
            format!("apiToken: {TOKEN}\npin: {PIN}\nnested:\n  pw: {NESTED}\n"),
        )
        .unwrap();
        std::fs::write(
            dir.path().join("config.yaml"),
            format!(
                "integrations:\n  github:\n    - host: ghe.test\n      token: {CONFIG_TOKEN}\n"
            ),
        )
        .unwrap();
        for d in ["work", "tmp", "home"] {
            std::fs::create_dir_all(dir.path().join(d)).unwrap();
        }
        Attack {
            template: t,
            dir,
            printed: Vec::new(),
        }
    }

    fn path(&self, p: &str) -> PathBuf {
        self.dir.path().join(p)
    }

    /// Runs golden with the secrets, the tokens and the password; returns the exit status.
    fn run(&mut self, args: &[&str], password: &str) -> i32 {
        let mut cmd = golden();
        cmd.current_dir(self.path("work"))
            .env("GOLDEN_HOME", self.path("home"))
            .env("GOLDEN_CONFIG", self.path("config.yaml"))
            .env("GITHUB_TOKEN", GITHUB_TOKEN)
            .env("BACKSTAGE_TOKEN", BACKSTAGE_TOKEN)
            .env("TMPDIR", self.path("tmp"))
            .env("PATH", self.path("empty-path"))
            .env("HOME", self.path("user-home"))
            .arg("new")
            .arg(&self.template)
            .args(["--no-input", "-v", "--json", "--set", "name=svc"])
            .arg("--set")
            .arg(format!("pw={password}"))
            .arg("--secrets")
            .arg(self.path("secrets.yaml"))
            .args(args);
        let out = cmd.output().unwrap();
        self.printed.push((
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        ));
        out.status.code().unwrap_or(-1)
    }
}

/// Every file under `dir`, except the git objects of forge repositories (the generated project,
/// which may hold what the template deliberately renders).
fn files(dir: &Path) -> Vec<PathBuf> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .filter(|p| {
            let s = p.to_string_lossy();
            !(s.contains(".git/objects/") || s.contains(".git/refs/"))
        })
        .collect()
}

#[test]
fn no_secret_appears_in_anything_golden_writes() {
    let mut a = Attack::new();
    let saved = a.path("saved.json");
    // 1. A real run into the local forge: log, forge records, catalog, --json, --save-values.
    let ok = a.run(
        &[
            "--local",
            "--no-checkout",
            "--save-values",
            saved.to_str().unwrap(),
        ],
        PASSWORD,
    );
    assert_eq!(ok, 0, "{:?}", a.printed.last());
    // 2. A dry run whose step fails on a file name made of secrets: the error, the reason in
    //    --json and the progress line.
    let out = a.path("out");
    let failed = a.run(
        &[
            "--dry-run",
            "--output",
            out.to_str().unwrap(),
            "--set",
            "broken=true",
        ],
        PASSWORD,
    );
    assert_eq!(failed, 1, "{:?}", a.printed.last());
    // 3. An invalid password (too long): the values error.
    let invalid = a.run(&["--local"], &PASSWORD.repeat(3));
    assert_eq!(invalid, 1, "{:?}", a.printed.last());

    // The runs did carry the secrets where they are masked (so the grep below means something).
    let (stdout1, stderr1) = &a.printed[0];
    assert!(
        stderr1.contains("token *** pin *** nested *** pw ***"),
        "the -v log line masks every kind of secret:\n{stderr1}"
    );
    let plan: serde_json::Value = serde_json::from_str(stdout1).unwrap();
    assert_eq!(plan["parameters"]["pw"], "***", "{plan}");
    assert!(
        a.printed[1].1.contains("missing-***-***"),
        "{}",
        a.printed[1].1
    );
    assert!(a.printed[2].1.contains("maxLength") || a.printed[2].1.contains("longer"));
    let catalog = a.path("home").join("catalog.db");
    assert!(catalog.is_file(), "the run registered in the local catalog");
    let project = a.path("home/forge/github.com/acme/svc.git");
    assert!(project.join("golden/settings.json").is_file());
    assert!(project.join("golden/hooks.json").is_file());
    assert!(saved.is_file());

    let mut leaks = Vec::new();
    for (i, (stdout, stderr)) in a.printed.iter().enumerate() {
        for s in ALL {
            if stdout.contains(s) {
                leaks.push(format!("run {}: stdout holds {s}", i + 1));
            }
            if stderr.contains(s) {
                leaks.push(format!("run {}: stderr holds {s}", i + 1));
            }
        }
    }
    let mut written = files(&a.path("home"));
    written.push(saved);
    assert!(!out.exists(), "the failed dry run wrote nothing");
    for f in written {
        let bytes = std::fs::read(&f).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        for s in ALL {
            if text.contains(s) {
                leaks.push(format!("{} holds {s}", f.display()));
            }
        }
    }
    assert!(leaks.is_empty(), "secrets leaked:\n{}", leaks.join("\n"));
}
