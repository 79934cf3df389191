//! A fake GitLab for the publish tests, on 127.0.0.1 inside the test process: a wiremock server
//! whose one responder answers the REST calls of `/api/v4` that golden and Backstage's GitLab
//! module make (recording each with its JSON body and its token header) and serves
//! `/GROUP/SUB/REPO.git` as a real smart-HTTP remote through `git http-backend`, so pushes land in
//! bare repositories the tests read back with git2.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use serde_json::{json, Value};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// One REST call.
#[derive(Debug, Clone)]
pub struct Call {
    pub method: String,
    /// The path under `/api/v4`, with its query (`/groups/acme%2Fbackend/projects?search=demo`).
    pub path: String,
    pub body: Value,
}

#[derive(Default)]
struct State {
    token: String,
    /// The token's user: (id, username).
    user: (u64, String),
    /// Namespaces by full path: (id, `group` | `user`).
    namespaces: BTreeMap<String, (u64, String)>,
    /// Users by username: id.
    users: BTreeMap<String, u64>,
    /// Projects by `path_with_namespace`.
    projects: BTreeMap<String, Value>,
    next_id: u64,
    calls: Vec<Call>,
    /// Failures to answer first: (method, path without query, status, how many times).
    failures: Vec<(String, String, u16, u32)>,
    merge_requests: Vec<Value>,
    decline_pushes: bool,
    /// Epics (`id`, `iid`, `group_id`, `title`) of every group.
    epics: Vec<Value>,
    /// The `detailed_merge_status` of the next merge-request reads, then `mergeable`.
    merge_statuses: Vec<String>,
    /// The approval rules of every merge request.
    approval_rules: Value,
    /// The user names git authenticated with (GitLab takes any with a personal access token;
    /// Backstage sends `oauth2`).
    git_users: Vec<String>,
}

/// The fake server and its state.
pub struct FakeGitlab {
    server: MockServer,
    state: Arc<Mutex<State>>,
    root: tempfile::TempDir,
    _rt: tokio::runtime::Runtime,
}

struct Responder {
    state: Arc<Mutex<State>>,
    root: PathBuf,
    base: String,
}

impl FakeGitlab {
    /// A fake GitLab accepting `token` (as `PRIVATE-TOKEN` or a bearer token), whose user is
    /// `username` (id 7).
    pub fn start(token: &str, username: &str) -> FakeGitlab {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let server = rt.block_on(MockServer::start());
        let root = tempfile::tempdir().unwrap();
        let state = Arc::new(Mutex::new(State {
            token: token.into(),
            user: (7, username.into()),
            next_id: 100,
            ..Default::default()
        }));
        {
            let mut s = state.lock().unwrap();
            s.namespaces.insert(username.into(), (7, "user".into()));
            s.users.insert(username.into(), 7);
        }
        let responder = Responder {
            state: state.clone(),
            root: root.path().to_path_buf(),
            base: server.uri(),
        };
        rt.block_on(
            Mock::given(wiremock::matchers::any())
                .respond_with(responder)
                .mount(&server),
        );
        FakeGitlab {
            server,
            state,
            root,
            _rt: rt,
        }
    }

    /// The web address (`http://127.0.0.1:PORT`): Backstage's `baseUrl`.
    pub fn base_url(&self) -> String {
        self.server.uri()
    }

    /// `host:port`, what a repoUrl names.
    pub fn host(&self) -> String {
        self.server.uri().trim_start_matches("http://").to_string()
    }

    pub fn set_token(&self, token: &str) {
        self.state.lock().unwrap().token = token.into();
    }

    /// A group (nested groups as `a/b`) with id `id`.
    pub fn add_group(&self, path: &str, id: u64) {
        self.state
            .lock()
            .unwrap()
            .namespaces
            .insert(path.into(), (id, "group".into()));
    }

    pub fn add_user(&self, username: &str, id: u64) {
        let mut s = self.state.lock().unwrap();
        s.users.insert(username.into(), id);
        s.namespaces.insert(username.into(), (id, "user".into()));
    }

    /// An existing project `ns/name` with one commit on `main` holding `files`.
    pub fn add_project(&self, ns: &str, name: &str, files: &[(&str, &str)]) {
        let full = format!("{ns}/{name}");
        let path = create_bare(self.root.path(), &full, false);
        let repo = git2::Repository::open_bare(&path).unwrap();
        let changes: Vec<(String, Option<Vec<u8>>)> = files
            .iter()
            .map(|(p, c)| (p.to_string(), Some(c.as_bytes().to_vec())))
            .collect();
        crate::fake_github::commit_changes(&repo, "main", None, &changes, "existing");
        repo.set_head("refs/heads/main").unwrap();
        let mut s = self.state.lock().unwrap();
        let id = s.next_id;
        s.next_id += 1;
        let ns_id = s.namespaces.get(ns).map(|n| n.0).unwrap_or(0);
        let json = project_json(&self.base_url(), id, ns_id, ns, name, "main");
        s.projects.insert(full, json);
    }

    /// An epic with global id `id` in the group at `group`.
    pub fn add_epic(&self, group: &str, id: u64, iid: u64) {
        let mut s = self.state.lock().unwrap();
        let group_id = s.namespaces.get(group).map(|n| n.0).unwrap_or(0);
        s.epics.push(
            json!({"id": id, "iid": iid, "group_id": group_id, "title": format!("Epic {iid}")}),
        );
    }

    /// Merge requests report these `detailed_merge_status`es first (GitLab computes them a
    /// moment after creation), then `mergeable`.
    pub fn merge_statuses(&self, statuses: &[&str]) {
        self.state.lock().unwrap().merge_statuses =
            statuses.iter().map(|s| s.to_string()).collect();
    }

    /// The approval rules every merge request has.
    pub fn approval_rules(&self, rules: Value) {
        self.state.lock().unwrap().approval_rules = rules;
    }

    /// New projects decline pushes (a server-side `pre-receive` hook).
    pub fn decline_pushes(&self) {
        self.state.lock().unwrap().decline_pushes = true;
    }

    /// Answers the next `times` calls of `method path` (path without its query) with `status`;
    /// 403 and 429 carry `Retry-After: 1`.
    pub fn fail(&self, method: &str, path: &str, status: u16, times: u32) {
        self.state
            .lock()
            .unwrap()
            .failures
            .push((method.into(), path.into(), status, times));
    }

    pub fn calls(&self) -> Vec<Call> {
        self.state.lock().unwrap().calls.clone()
    }

    #[allow(dead_code)]
    pub fn call_lines(&self) -> Vec<String> {
        self.calls()
            .iter()
            .map(|c| format!("{} {}", c.method, c.path))
            .collect()
    }

    /// The user names git authenticated with, in order.
    pub fn git_users(&self) -> Vec<String> {
        self.state.lock().unwrap().git_users.clone()
    }

    /// The merge requests opened so far.
    pub fn merge_requests(&self) -> Vec<Value> {
        self.state.lock().unwrap().merge_requests.clone()
    }

    /// The bare repository behind `ns/name`.
    pub fn repo_path(&self, full: &str) -> PathBuf {
        self.root.path().join(format!("{full}.git"))
    }
}

fn create_bare(root: &Path, full: &str, decline: bool) -> PathBuf {
    let path = root.join(format!("{full}.git"));
    let repo = git2::Repository::init_bare(&path).unwrap();
    repo.config()
        .unwrap()
        .set_bool("http.receivepack", true)
        .unwrap();
    if decline {
        use std::os::unix::fs::PermissionsExt;
        let hook = path.join("hooks/pre-receive");
        std::fs::write(&hook, "#!/bin/sh\necho 'pushes are frozen' >&2\nexit 1\n").unwrap();
        std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    path
}

fn project_json(base: &str, id: u64, ns_id: u64, ns: &str, name: &str, branch: &str) -> Value {
    json!({
        "id": id,
        "name": name,
        "path": name,
        "path_with_namespace": format!("{ns}/{name}"),
        "namespace": {"id": ns_id, "full_path": ns},
        "http_url_to_repo": format!("{base}/{ns}/{name}.git"),
        "web_url": format!("{base}/{ns}/{name}"),
        "default_branch": branch,
    })
}

fn gl_error(status: u16, message: Value) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(json!({ "message": message }))
}

/// A multipart or URL-encoded form body as `{"form": {name: value}}` (multipart boundaries
/// differ on every run, so the fields are what is compared).
fn form_fields(body: &[u8]) -> Value {
    let text = String::from_utf8_lossy(body).to_string();
    let mut fields = serde_json::Map::new();
    if text.starts_with("--") {
        let re = regex::Regex::new(r#"name="([^"]*)"\r\n\r\n([^\r]*)\r\n"#).unwrap();
        for c in re.captures_iter(&text) {
            fields.insert(c[1].to_string(), json!(c[2].to_string()));
        }
    } else {
        for (k, v) in url::form_urlencoded::parse(text.as_bytes()) {
            fields.insert(k.to_string(), json!(v.to_string()));
        }
    }
    json!({ "form": fields })
}

fn decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .to_string()
}

impl Respond for Responder {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let raw_path = req.url.path().to_string();
        let Some(api) = raw_path.strip_prefix("/api/v4") else {
            return self.git(req, &raw_path);
        };
        let method = req.method.as_str().to_string();
        let body: Value = if req.body.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&req.body).unwrap_or_else(|_| form_fields(&req.body))
        };
        let mut s = self.state.lock().unwrap();
        s.calls.push(Call {
            method: method.clone(),
            path: match req.url.query() {
                Some(q) => format!("{api}?{q}"),
                None => api.to_string(),
            },
            body: body.clone(),
        });
        let header = |n: &str| {
            req.headers
                .get(n)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string()
        };
        if header("private-token") != s.token
            && header("authorization") != format!("Bearer {}", s.token)
        {
            return gl_error(401, json!("401 Unauthorized"));
        }
        if let Some(f) = s
            .failures
            .iter_mut()
            .find(|f| f.0 == method && f.1 == api && f.3 > 0)
        {
            f.3 -= 1;
            return match f.2 {
                403 | 429 => gl_error(f.2, json!("Rate limit exceeded; retry later"))
                    .insert_header("retry-after", "1"),
                status => gl_error(status, json!(format!("{status} Server Error"))),
            };
        }
        let query = |k: &str| {
            req.url
                .query_pairs()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.to_string())
        };
        let parts: Vec<String> = api.trim_start_matches('/').split('/').map(decode).collect();
        let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
        match (method.as_str(), parts.as_slice()) {
            ("GET", ["groups", key]) => match group(&s, key) {
                Some(g) => ResponseTemplate::new(200).set_body_json(g),
                None => gl_error(404, json!("404 Group Not Found")),
            },
            ("GET", ["groups", key, "epics"]) => match group(&s, key) {
                Some(g) => {
                    let path = g["full_path"].as_str().unwrap_or_default().to_string();
                    // A group's epics include those of its subgroups.
                    let found: Vec<Value> = s
                        .epics
                        .iter()
                        .filter(|e| {
                            s.namespaces.iter().any(|(p, (id, _))| {
                                e["group_id"] == json!(id)
                                    && (*p == path || p.starts_with(&format!("{path}/")))
                            })
                        })
                        .cloned()
                        .collect();
                    ResponseTemplate::new(200).set_body_json(found)
                }
                None => gl_error(404, json!("404 Group Not Found")),
            },
            ("GET", ["projects", id, "merge_requests", iid]) => {
                match merge_request(&s, id, iid) {
                    Some(i) => {
                        let status = if s.merge_statuses.is_empty() {
                            "mergeable".to_string()
                        } else {
                            s.merge_statuses.remove(0)
                        };
                        let mut mr = s.merge_requests[i].clone();
                        mr["detailed_merge_status"] = json!(status);
                        ResponseTemplate::new(200).set_body_json(mr)
                    }
                    None => gl_error(404, json!("404 Not found")),
                }
            }
            ("GET", ["projects", id, "merge_requests", iid, "approval_rules"]) => {
                match merge_request(&s, id, iid) {
                    Some(_) => ResponseTemplate::new(200).set_body_json(if s.approval_rules.is_null() { json!([]) } else { s.approval_rules.clone() }),
                    None => gl_error(404, json!("404 Not found")),
                }
            }
            ("PUT", ["projects", id, "merge_requests", iid]) => match merge_request(&s, id, iid) {
                Some(i) => {
                    if let (Some(mr), Some(b)) = (s.merge_requests[i].as_object_mut(), body.as_object()) {
                        for (k, v) in b {
                            mr.insert(k.clone(), v.clone());
                        }
                    }
                    ResponseTemplate::new(200).set_body_json(s.merge_requests[i].clone())
                }
                None => gl_error(404, json!("404 Not found")),
            },
            ("POST", ["groups"]) => {
                let parent = body["parent_id"].as_u64();
                let prefix = parent.and_then(|p| {
                    s.namespaces
                        .iter()
                        .find(|(_, (id, _))| *id == p)
                        .map(|(k, _)| k.clone())
                });
                let path = match prefix {
                    Some(pre) => format!("{pre}/{}", body["path"].as_str().unwrap_or_default()),
                    None => body["path"].as_str().unwrap_or_default().to_string(),
                };
                let id = s.next_id;
                s.next_id += 1;
                s.namespaces.insert(path.clone(), (id, "group".into()));
                ResponseTemplate::new(201).set_body_json(json!({"id": id, "full_path": path}))
            }
            ("GET", ["users", id]) if id.parse::<u64>().is_ok() => {
                match s.users.iter().find(|(_, v)| v.to_string() == *id) {
                    Some((name, uid)) => ResponseTemplate::new(200).set_body_json(json!({"id": uid, "username": name, "name": format!("User {name}"), "state": "active", "web_url": format!("{}/{name}", self.base), "created_at": "2024-01-02T03:04:05.000Z"})),
                    None => gl_error(404, json!("404 User Not Found")),
                }
            }
            ("POST", ["projects", _, "access_tokens"]) => ResponseTemplate::new(201)
                .set_body_json(json!({"id": 5, "name": body["name"], "token": "glpat-project-access-token"})),
            ("POST", ["projects", _, "deploy_tokens"]) => ResponseTemplate::new(201)
                .set_body_json(json!({"id": 6, "name": body["name"], "username": body["username"].as_str().unwrap_or("gitlab+deploy-token-6"), "token": "gldt-deploy-token"})),
            ("POST", ["projects", _, "triggers"]) => ResponseTemplate::new(201)
                .set_body_json(json!({"id": 11, "description": body["description"], "token": "glptt-trigger"})),
            ("POST", ["projects", _, "trigger", "pipeline"]) => ResponseTemplate::new(201)
                .set_body_json(json!({"id": 77, "web_url": format!("{}/acme/svc/-/pipelines/77", self.base)})),
            ("DELETE", ["projects", _, "triggers", _]) => ResponseTemplate::new(204),
            ("POST", ["projects", id, "issues"]) => ResponseTemplate::new(201).set_body_json(json!({
                "id": 501, "iid": 3, "project_id": id,
                "web_url": format!("{}/acme/svc/-/issues/3", self.base),
            })),
            ("PUT", ["projects", id, "issues", iid]) => ResponseTemplate::new(200).set_body_json(json!({
                "id": 501, "iid": iid.parse::<u64>().unwrap_or(0), "project_id": id.parse::<u64>().ok(),
                "web_url": format!("{}/acme/svc/-/issues/{iid}", self.base),
                "title": body["title"].as_str().unwrap_or("Issue"), "state": "closed",
                "updated_at": "2025-01-01T00:00:00.000Z",
            })),
            ("GET", ["user"]) => {
                ResponseTemplate::new(200).set_body_json(json!({"id": s.user.0, "username": s.user.1}))
            }
            ("GET", ["users"]) => {
                let name = query("username").unwrap_or_default();
                let found: Vec<Value> = s
                    .users
                    .get(&name)
                    .map(|id| json!({"id": id, "username": name}))
                    .into_iter()
                    .collect();
                ResponseTemplate::new(200).set_body_json(found)
            }
            ("GET", ["namespaces", ns]) => match s.namespaces.get(*ns) {
                Some((id, kind)) => ResponseTemplate::new(200)
                    .set_body_json(json!({"id": id, "kind": kind, "full_path": ns})),
                None => gl_error(404, json!("404 Namespace Not Found")),
            },
            ("GET", ["groups" | "users", ns, "projects"]) => {
                let search = query("search").unwrap_or_default();
                let found: Vec<Value> = s
                    .projects
                    .iter()
                    .filter(|(k, v)| {
                        k.rsplit_once('/').map(|(n, _)| n) == Some(*ns)
                            && v["path"].as_str().unwrap_or_default().contains(&search)
                    })
                    .map(|(_, v)| v.clone())
                    .collect();
                ResponseTemplate::new(200).set_body_json(found)
            }
            ("POST", ["projects"]) => self.create_project(&mut s, &body),
            ("GET", ["projects", id]) => match find_project(&s, id) {
                Some(p) => ResponseTemplate::new(200).set_body_json(p),
                None => gl_error(404, json!("404 Project Not Found")),
            },
            ("POST", ["projects", _, "members"]) => {
                ResponseTemplate::new(201).set_body_json(json!({"id": body["user_id"], "access_level": body["access_level"]}))
            }
            ("POST", ["projects", _, "variables"]) => {
                ResponseTemplate::new(201).set_body_json(body.clone())
            }
            ("POST", ["projects", _, "protected_branches"]) => {
                ResponseTemplate::new(201).set_body_json(json!({"name": body["name"].as_str().or(query("name").as_deref()).unwrap_or_default()}))
            }
            ("POST", ["projects", id, "repository", "branches"]) => {
                let Some(p) = find_project(&s, id) else {
                    return gl_error(404, json!("404 Project Not Found"));
                };
                let repo = self.open(&p);
                let branch = body["branch"]
                    .as_str()
                    .map(str::to_string)
                    .or(query("branch"))
                    .unwrap_or_default();
                let reference = body["ref"]
                    .as_str()
                    .map(str::to_string)
                    .or(query("ref"))
                    .unwrap_or_default();
                let Ok(commit) = repo
                    .revparse_single(&reference)
                    .and_then(|o| o.peel_to_commit())
                else {
                    return gl_error(400, json!("Invalid reference name"));
                };
                if repo.find_branch(&branch, git2::BranchType::Local).is_ok() {
                    return gl_error(400, json!("Branch already exists"));
                }
                repo.branch(&branch, &commit, false).unwrap();
                ResponseTemplate::new(201).set_body_json(json!({"name": branch, "web_url": format!("{}/-/tree/{branch}", p["web_url"].as_str().unwrap_or_default())}))
            }
            ("GET", ["projects", id, "repository", "branches", branch]) => {
                let Some(p) = find_project(&s, id) else {
                    return gl_error(404, json!("404 Project Not Found"));
                };
                let repo = self.open(&p);
                if repo.find_branch(branch, git2::BranchType::Local).is_ok() {
                    ResponseTemplate::new(200).set_body_json(json!({"name": branch, "web_url": format!("{}/-/tree/{branch}", p["web_url"].as_str().unwrap_or_default())}))
                } else {
                    gl_error(404, json!("404 Branch Not Found"))
                }
            }
            ("GET", ["projects", id, "repository", "tree"]) => {
                let Some(p) = find_project(&s, id) else {
                    return gl_error(404, json!("404 Project Not Found"));
                };
                let repo = self.open(&p);
                let reference = query("ref").unwrap_or("HEAD".into());
                let Ok(tree) = repo.revparse_single(&reference).and_then(|o| o.peel_to_tree()) else {
                    return gl_error(404, json!("404 Tree Not Found"));
                };
                let mut entries = Vec::new();
                tree.walk(git2::TreeWalkMode::PreOrder, |dir, e| {
                    let kind = if e.kind() == Some(git2::ObjectType::Tree) { "tree" } else { "blob" };
                    let path = format!("{dir}{}", e.name().unwrap_or_default());
                    entries.push(json!({"id": e.id().to_string(), "name": e.name().unwrap_or_default(), "type": kind, "path": path, "mode": format!("{:06o}", e.filemode())}));
                    git2::TreeWalkResult::Ok
                })
                .unwrap();
                ResponseTemplate::new(200).set_body_json(entries)
            }
            ("GET", ["projects", id, "repository", "files", file, "raw"]) => {
                let Some(p) = find_project(&s, id) else {
                    return gl_error(404, json!("404 Project Not Found"));
                };
                let repo = self.open(&p);
                let reference = query("ref").unwrap_or("HEAD".into());
                let blob = repo
                    .revparse_single(&reference)
                    .and_then(|o| o.peel_to_tree())
                    .and_then(|t| t.get_path(Path::new(file)))
                    .and_then(|e| e.to_object(&repo))
                    .and_then(|o| o.peel_to_blob());
                match blob {
                    Ok(b) => ResponseTemplate::new(200).set_body_raw(b.content().to_vec(), "text/plain"),
                    Err(_) => gl_error(404, json!("404 File Not Found")),
                }
            }
            ("GET", ["projects", _, "merge_requests"]) | ("GET", ["merge_requests"]) => {
                let branch = query("source_branch").unwrap_or_default();
                let found: Vec<Value> = s
                    .merge_requests
                    .iter()
                    .filter(|m| m["source_branch"] == branch.as_str())
                    .cloned()
                    .collect();
                ResponseTemplate::new(200).set_body_json(found)
            }
            ("POST", ["projects", id, "repository", "commits"]) => {
                let Some(p) = find_project(&s, id) else {
                    return gl_error(404, json!("404 Project Not Found"));
                };
                let repo = self.open(&p);
                let mut changes: Vec<(String, Option<Vec<u8>>)> = Vec::new();
                for a in body["actions"].as_array().cloned().unwrap_or_default() {
                    let path = a["file_path"].as_str().unwrap_or_default().to_string();
                    let content = a["content"].as_str().unwrap_or_default();
                    let bytes = if a["encoding"] == "base64" {
                        base64::engine::general_purpose::STANDARD.decode(content).unwrap()
                    } else {
                        content.as_bytes().to_vec()
                    };
                    match a["action"].as_str() {
                        Some("delete") => changes.push((path, None)),
                        _ => changes.push((path, Some(bytes))),
                    }
                }
                let branch = body["branch"].as_str().unwrap_or_default();
                let id = crate::fake_github::commit_changes(
                    &repo,
                    branch,
                    None,
                    &changes,
                    body["commit_message"].as_str().unwrap_or_default(),
                );
                ResponseTemplate::new(201).set_body_json(json!({"id": id}))
            }
            ("POST", ["projects", id, "merge_requests"]) => {
                let Some(p) = find_project(&s, id) else {
                    return gl_error(404, json!("404 Project Not Found"));
                };
                let iid = s.merge_requests.len() as u64 + 1;
                let mut mr = body.clone();
                mr["iid"] = json!(iid);
                mr["project_id"] = p["id"].clone();
                mr["web_url"] = json!(format!(
                    "{}/-/merge_requests/{iid}",
                    p["web_url"].as_str().unwrap_or_default()
                ));
                s.merge_requests.push(mr.clone());
                ResponseTemplate::new(201).set_body_json(mr)
            }
            _ => gl_error(404, json!("404 Not Found")),
        }
    }
}

/// A group by numeric id or full path, as GitLab shows it (with `parent_id`).
fn group(s: &State, key: &str) -> Option<Value> {
    let (path, id) = s
        .namespaces
        .iter()
        .find(|(p, (id, kind))| kind == "group" && (p.as_str() == key || id.to_string() == key))
        .map(|(p, (id, _))| (p.clone(), *id))?;
    let parent = path
        .rsplit_once('/')
        .and_then(|(parent, _)| s.namespaces.get(parent))
        .map(|(id, _)| *id);
    let name = path.rsplit('/').next().unwrap_or_default().to_string();
    Some(json!({"id": id, "name": name, "path": name, "full_path": path, "parent_id": parent}))
}

/// The index of merge request `iid` of project `id` (numeric or full path).
fn merge_request(s: &State, id: &str, iid: &str) -> Option<usize> {
    let p = find_project(s, id)?;
    s.merge_requests.iter().position(|m| {
        m["iid"].as_u64().is_some_and(|n| iid.parse() == Ok(n)) && m["project_id"] == p["id"]
    })
}

/// A project by numeric id or (URL-decoded) full path.
fn find_project(s: &State, id: &str) -> Option<Value> {
    s.projects.get(id).cloned().or_else(|| {
        s.projects
            .values()
            .find(|p| p["id"].as_u64().map(|n| n.to_string()).as_deref() == Some(id))
            .cloned()
    })
}

impl Responder {
    fn open(&self, project: &Value) -> git2::Repository {
        let full = project["path_with_namespace"].as_str().unwrap_or_default();
        git2::Repository::open_bare(self.root.join(format!("{full}.git"))).unwrap()
    }

    fn create_project(&self, s: &mut State, body: &Value) -> ResponseTemplate {
        let ns_id = body["namespace_id"].as_u64().unwrap_or(0);
        let Some(ns) = s
            .namespaces
            .iter()
            .find(|(_, (id, _))| *id == ns_id)
            .map(|(p, _)| p.clone())
        else {
            return gl_error(404, json!("404 Namespace Not Found"));
        };
        let name = body["path"]
            .as_str()
            .or(body["name"].as_str())
            .unwrap_or_default()
            .to_string();
        let full = format!("{ns}/{name}");
        if s.projects.contains_key(&full) {
            return gl_error(
                400,
                json!({"name": ["has already been taken"], "path": ["has already been taken"]}),
            );
        }
        create_bare(&self.root, &full, s.decline_pushes);
        let id = s.next_id;
        s.next_id += 1;
        let json = project_json(&self.base, id, ns_id, &ns, &name, "main");
        s.projects.insert(full, json.clone());
        ResponseTemplate::new(201).set_body_json(json)
    }

    /// The smart-HTTP bridge: Basic auth with the token as password, then `git http-backend`.
    fn git(&self, req: &Request, path_info: &str) -> ResponseTemplate {
        let token = self.state.lock().unwrap().token.clone();
        let auth = req
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let user_pass = auth
            .strip_prefix("Basic ")
            .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
            .and_then(|b| String::from_utf8(b).ok());
        let ok = match user_pass.as_deref().and_then(|up| up.split_once(':')) {
            Some((user, pass)) if pass == token => {
                let mut s = self.state.lock().unwrap();
                if s.git_users.last().map(String::as_str) != Some(user) {
                    s.git_users.push(user.to_string());
                }
                true
            }
            _ => false,
        };
        if !ok {
            return ResponseTemplate::new(401)
                .insert_header("WWW-Authenticate", "Basic realm=\"GitLab\"");
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
            .env("REMOTE_USER", "oauth2")
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
        let out = child.wait_with_output().unwrap();
        let raw = out.stdout;
        let split = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .map(|i| (i, 4))
            .or_else(|| raw.windows(2).position(|w| w == b"\n\n").map(|i| (i, 2)));
        let Some((at, len)) = split else {
            return ResponseTemplate::new(500);
        };
        let head = String::from_utf8_lossy(&raw[..at]).to_string();
        let body = raw[at + len..].to_vec();
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
        ResponseTemplate::new(status).set_body_raw(body, &content_type)
    }
}
