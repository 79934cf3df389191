//! A fake Gitea for the publish tests, on 127.0.0.1: a wiremock server answering the calls
//! Backstage's Gitea module and golden make (`/api/v1/orgs/...`, the branch page), recording
//! each with its body and whether its credentials were right, and serving `/OWNER/REPO.git`
//! through `git http-backend` (Basic auth with the integration's username and password).

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use serde_json::{json, Value};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

#[derive(Debug, Clone)]
pub struct Call {
    pub method: String,
    pub path: String,
    pub body: Value,
}

#[derive(Default)]
struct State {
    user: String,
    password: String,
    orgs: Vec<String>,
    repos: Vec<String>,
    calls: Vec<Call>,
}

pub struct FakeGitea {
    server: MockServer,
    state: Arc<Mutex<State>>,
    root: tempfile::TempDir,
    _rt: tokio::runtime::Runtime,
}

struct Responder {
    state: Arc<Mutex<State>>,
    root: PathBuf,
}

impl FakeGitea {
    pub fn start(user: &str, password: &str) -> FakeGitea {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let server = rt.block_on(MockServer::start());
        let root = tempfile::tempdir().unwrap();
        let state = Arc::new(Mutex::new(State {
            user: user.into(),
            password: password.into(),
            ..Default::default()
        }));
        let responder = Responder {
            state: state.clone(),
            root: root.path().to_path_buf(),
        };
        rt.block_on(
            Mock::given(wiremock::matchers::any())
                .respond_with(responder)
                .mount(&server),
        );
        FakeGitea {
            server,
            state,
            root,
            _rt: rt,
        }
    }

    pub fn base_url(&self) -> String {
        self.server.uri()
    }

    pub fn host(&self) -> String {
        self.server.uri().trim_start_matches("http://").to_string()
    }

    pub fn add_org(&self, org: &str) {
        self.state.lock().unwrap().orgs.push(org.into());
    }

    /// Every call but git's, in order.
    pub fn calls(&self) -> Vec<Call> {
        self.state.lock().unwrap().calls.clone()
    }

    /// An existing repository `owner/name` with one commit on `main` holding `files`.
    pub fn add_repo(&self, owner: &str, name: &str, files: &[(&str, &str)]) {
        let full = format!("{owner}/{name}");
        let repo = git2::Repository::init_bare(self.repo_path(&full)).unwrap();
        let changes: Vec<(String, Option<Vec<u8>>)> = files
            .iter()
            .map(|(p, c)| (p.to_string(), Some(c.as_bytes().to_vec())))
            .collect();
        crate::fake_github::commit_changes(&repo, "main", None, &changes, "existing");
        self.state.lock().unwrap().repos.push(full);
    }

    pub fn repo_path(&self, full: &str) -> PathBuf {
        self.root.path().join(format!("{full}.git"))
    }
}

impl Responder {
    fn authorized(&self, req: &Request, s: &State) -> bool {
        req.headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|a| a.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("basic"))
            .and_then(|(_, b)| base64::engine::general_purpose::STANDARD.decode(b).ok())
            .and_then(|b| String::from_utf8(b).ok())
            .is_some_and(|up| up == format!("{}:{}", s.user, s.password))
            || req
                .headers
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|a| a == format!("token {}", s.password))
    }
}

impl Respond for Responder {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let path = req.url.path().to_string();
        if path.contains(".git/") {
            return self.git(req, &path);
        }
        let body: Value = if req.body.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&req.body).unwrap_or(Value::Null)
        };
        let mut s = self.state.lock().unwrap();
        s.calls.push(Call {
            method: req.method.as_str().to_string(),
            path: path.clone(),
            body: body.clone(),
        });
        let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        match (req.method.as_str(), parts.as_slice()) {
            ("GET", [owner, repo, "src", "branch", branch]) => {
                let found =
                    git2::Repository::open_bare(self.root.join(owner).join(format!("{repo}.git")))
                        .map(|r| r.find_reference(&format!("refs/heads/{branch}")).is_ok())
                        .unwrap_or(false);
                ResponseTemplate::new(if found { 200 } else { 404 })
            }
            _ if !self.authorized(req, &s) => ResponseTemplate::new(401)
                .set_body_json(json!({"message": "user does not exist [uid: 0, name: ]"})),
            ("GET", ["api", "v1", "orgs", org]) => {
                if s.orgs.iter().any(|o| o == org) {
                    ResponseTemplate::new(200).set_body_json(json!({"id": 3, "username": org}))
                } else {
                    ResponseTemplate::new(404).set_body_json(json!({"message": "GetOrgByName"}))
                }
            }
            ("POST", ["api", "v1", "orgs", org, "repos"]) => {
                let name = body["name"].as_str().unwrap_or_default().to_string();
                let full = format!("{org}/{name}");
                if s.repos.contains(&full) {
                    return ResponseTemplate::new(409).set_body_json(
                        json!({"message": "The repository with the same name already exists."}),
                    );
                }
                let p = self.root.join(format!("{full}.git"));
                let r = git2::Repository::init_bare(&p).unwrap();
                r.config()
                    .unwrap()
                    .set_bool("http.receivepack", true)
                    .unwrap();
                s.repos.push(full.clone());
                ResponseTemplate::new(201).set_body_json(json!({"full_name": full}))
            }
            ("GET", ["api", "v1", "repos", owner, repo, "contents", file @ ..]) => {
                let reference = req
                    .url
                    .query_pairs()
                    .find(|(k, _)| k == "ref")
                    .map(|(_, v)| v.to_string())
                    .unwrap_or_else(|| "main".into());
                let file = percent_encoding::percent_decode_str(&file.join("/"))
                    .decode_utf8_lossy()
                    .to_string();
                let blob =
                    git2::Repository::open_bare(self.root.join(owner).join(format!("{repo}.git")))
                        .ok()
                        .and_then(|r| {
                            let b = r
                                .revparse_single(&reference)
                                .and_then(|o| o.peel_to_tree())
                                .and_then(|t| t.get_path(std::path::Path::new(&file)))
                                .and_then(|e| e.to_object(&r))
                                .and_then(|o| o.peel_to_blob())
                                .ok()?;
                            Some(b.content().to_vec())
                        });
                match blob {
                    // A line break inside the base64, which Backstage's decoder (Buffer.from) ignores.
                    Some(b) => {
                        let text = base64::engine::general_purpose::STANDARD.encode(b);
                        let (a, z) = text.split_at(text.len() / 2);
                        ResponseTemplate::new(200).set_body_json(json!({"type": "file", "encoding": "base64", "content": format!("{a}\n{z}"), "path": file}))
                    }
                    None => ResponseTemplate::new(404)
                        .set_body_json(json!({"message": "GetContentsOrList"})),
                }
            }
            _ => ResponseTemplate::new(404).set_body_json(json!({"message": "Not Found"})),
        }
    }
}

impl Responder {
    fn git(&self, req: &Request, path_info: &str) -> ResponseTemplate {
        if !self.authorized(req, &self.state.lock().unwrap()) {
            return ResponseTemplate::new(401)
                .insert_header("WWW-Authenticate", "Basic realm=\"Gitea\"");
        }
        let header = |n: &str| {
            req.headers
                .get(n)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string()
        };
        let mut child = Command::new("git")
            .arg("http-backend")
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("GIT_PROJECT_ROOT", &self.root)
            .env("GIT_HTTP_EXPORT_ALL", "1")
            .env("REMOTE_USER", "gitea")
            .env("REQUEST_METHOD", req.method.as_str())
            .env("PATH_INFO", path_info)
            .env("QUERY_STRING", req.url.query().unwrap_or_default())
            .env("CONTENT_TYPE", header("content-type"))
            .env("CONTENT_LENGTH", req.body.len().to_string())
            .env("HTTP_CONTENT_ENCODING", header("content-encoding"))
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("git is on PATH");
        child.stdin.take().unwrap().write_all(&req.body).unwrap();
        let raw = child.wait_with_output().unwrap().stdout;
        let Some(at) = raw.windows(4).position(|w| w == b"\r\n\r\n") else {
            return ResponseTemplate::new(500);
        };
        let head = String::from_utf8_lossy(&raw[..at]).to_string();
        let mut status = 200;
        let mut content_type = "text/plain".to_string();
        for line in head.lines() {
            if let Some((k, v)) = line.split_once(':') {
                match k.trim().to_ascii_lowercase().as_str() {
                    "status" => {
                        status = v
                            .trim()
                            .split(' ')
                            .next()
                            .and_then(|c| c.parse().ok())
                            .unwrap_or(200)
                    }
                    "content-type" => content_type = v.trim().to_string(),
                    _ => {}
                }
            }
        }
        ResponseTemplate::new(status).set_body_raw(raw[at + 4..].to_vec(), &content_type)
    }
}
