//! A fake GitHub for the publish tests, on 127.0.0.1 inside the test process: a wiremock server
//! whose one responder answers the REST calls golden makes (recording each with its JSON body)
//! and serves `/git/OWNER/REPO.git` as a real smart-HTTP remote through `git http-backend`, so
//! pushes land in bare repositories the tests read back with git2.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use serde_json::{json, Value};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// One REST call golden made.
#[derive(Debug, Clone)]
pub struct Call {
    pub method: String,
    /// The path under the API base (`/orgs/acme/repos`).
    pub path: String,
    pub body: Value,
}

#[derive(Default)]
struct State {
    token: String,
    /// The token's user (owner of `POST /user/repos`).
    login: String,
    /// Known accounts: login → `User` | `Organization`.
    accounts: HashMap<String, String>,
    /// Known teams: `org/slug`.
    teams: Vec<String>,
    /// Repositories by `owner/name`.
    repos: BTreeMap<String, Value>,
    calls: Vec<Call>,
    /// Failures to answer first: (method, path, status, how many times).
    failures: Vec<(String, String, u16, u32)>,
    pulls: u64,
    /// Open pull requests: (`owner/repo`, head branch, number).
    open_pulls: Vec<(String, String, u64)>,
    /// Repositories get a `pre-receive` hook that declines every push.
    decline_pushes: bool,
    /// New repositories' `clone_url` points at a closed port (git's smart HTTP is blocked).
    git_unreachable: bool,

    /// The key repositories seal Actions secrets with.
    secret_key: Option<crypto_box::SecretKey>,
    /// Forks made through the API: (`owner/repo` forked, the fork's owner).
    forks: Vec<(String, String)>,
    /// A GitHub App: its id, the public key its JWTs are checked with, and its installations.
    app: Option<App>,
    /// Installation access tokens handed out (accepted like `token`).
    issued: Vec<String>,
    /// Numbers handed out for rulesets.
    rulesets: u64,
}

/// The GitHub App the fake knows: JWTs must be RS256, signed by the key pair's private half.
struct App {
    id: u64,
    public_pem: Vec<u8>,
    /// (installation id, account login, repository names when only some are selected,
    /// suspended).
    installations: Vec<(u64, String, Option<Vec<String>>, bool)>,
}

/// The fake server and its state.
pub struct FakeGithub {
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

impl FakeGithub {
    /// A fake GitHub accepting `token`, whose authenticated user is `login`.
    pub fn start(token: &str, login: &str) -> FakeGithub {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let server = rt.block_on(MockServer::start());
        let root = tempfile::tempdir().unwrap();
        let secret_key = Some(crypto_box::SecretKey::generate(
            &mut crypto_box::aead::OsRng,
        ));
        let state = Arc::new(Mutex::new(State {
            token: token.into(),
            login: login.into(),
            secret_key,
            ..Default::default()
        }));
        state
            .lock()
            .unwrap()
            .accounts
            .insert(login.into(), "User".into());
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
        FakeGithub {
            server,
            state,
            root,
            _rt: rt,
        }
    }

    /// The API base URL (`http://127.0.0.1:PORT/api/v3`).
    pub fn api_base_url(&self) -> String {
        format!("{}/api/v3", self.server.uri())
    }

    /// The token the fake accepts from now on.
    pub fn set_token(&self, token: &str) {
        self.state.lock().unwrap().token = token.into();
    }

    pub fn add_user(&self, login: &str) {
        self.state
            .lock()
            .unwrap()
            .accounts
            .insert(login.into(), "User".into());
    }

    pub fn add_org(&self, org: &str, teams: &[&str]) {
        let mut s = self.state.lock().unwrap();
        s.accounts.insert(org.into(), "Organization".into());
        s.teams.extend(teams.iter().map(|t| format!("{org}/{t}")));
    }

    /// Deletes a repository (as `gh repo delete` does).
    pub fn remove_repo(&self, owner: &str, name: &str) {
        self.state
            .lock()
            .unwrap()
            .repos
            .remove(&format!("{owner}/{name}"));
        std::fs::remove_dir_all(self.repo_path(owner, name)).unwrap();
    }

    /// Makes an existing repository with one commit holding `README.md`.
    pub fn add_repo(&self, owner: &str, name: &str) {
        self.add_repo_files(owner, name, &[("README.md", "existing\n")]);
    }

    /// Makes an existing repository with one commit on `main` holding `files`.
    pub fn add_repo_files(&self, owner: &str, name: &str, files: &[(&str, &str)]) {
        let path = self.create_bare(owner, name);
        let repo = git2::Repository::open_bare(&path).unwrap();
        let mut index = git2::Index::new().unwrap();
        for (p, content) in files {
            let id = repo.blob(content.as_bytes()).unwrap();
            let entry = git2::IndexEntry {
                ctime: git2::IndexTime::new(0, 0),
                mtime: git2::IndexTime::new(0, 0),
                dev: 0,
                ino: 0,
                mode: 0o100644,
                uid: 0,
                gid: 0,
                file_size: 0,
                id,
                flags: 0,
                flags_extended: 0,
                path: p.as_bytes().to_vec(),
            };
            index.add(&entry).unwrap();
        }
        let tree = repo.find_tree(index.write_tree_to(&repo).unwrap()).unwrap();
        let sig = git2::Signature::new("someone", "someone@example.com", &fixed_time()).unwrap();
        repo.commit(Some("refs/heads/main"), &sig, &sig, "existing", &tree, &[])
            .unwrap();
        repo.set_head("refs/heads/main").unwrap();
        let json = repo_json(&self.server.uri(), owner, name);
        self.state
            .lock()
            .unwrap()
            .repos
            .insert(format!("{owner}/{name}"), json);
    }

    fn create_bare(&self, owner: &str, name: &str) -> PathBuf {
        create_bare(self.root.path(), owner, name)
    }

    /// New repositories' `clone_url` points at a closed port, so git pushes are refused a
    /// connection (what a proxy blocking git's smart HTTP looks like).
    pub fn block_git(&self) {
        self.state.lock().unwrap().git_unreachable = true;
    }

    /// New repositories decline pushes (a server-side `pre-receive` hook).
    pub fn decline_pushes(&self) {
        self.state.lock().unwrap().decline_pushes = true;
    }

    /// Answers the next `times` calls of `method path` with `status`.
    pub fn fail(&self, method: &str, path: &str, status: u16, times: u32) {
        self.state
            .lock()
            .unwrap()
            .failures
            .push((method.into(), path.into(), status, times));
    }

    /// Makes the fake know GitHub App `id`, whose JWTs verify with `public_pem`.
    pub fn add_app(&self, id: u64, public_pem: &[u8]) {
        self.state.lock().unwrap().app = Some(App {
            id,
            public_pem: public_pem.to_vec(),
            installations: Vec::new(),
        });
    }

    /// Installs the app on `account` (all repositories, or only `repos`).
    pub fn add_installation(
        &self,
        id: u64,
        account: &str,
        repos: Option<&[&str]>,
        suspended: bool,
    ) {
        let mut s = self.state.lock().unwrap();
        let app = s.app.as_mut().expect("add_app first");
        app.installations.push((
            id,
            account.into(),
            repos.map(|r| r.iter().map(|x| x.to_string()).collect()),
            suspended,
        ));
    }

    /// The installation access tokens handed out so far.
    pub fn issued_tokens(&self) -> Vec<String> {
        self.state.lock().unwrap().issued.clone()
    }

    /// Opens a sealed Actions secret sent to the fake.
    pub fn unseal(&self, encrypted_b64: &str) -> String {
        let raw = base64::engine::general_purpose::STANDARD
            .decode(encrypted_b64)
            .unwrap();
        let s = self.state.lock().unwrap();
        String::from_utf8(s.secret_key.as_ref().unwrap().unseal(&raw).unwrap()).unwrap()
    }

    /// Every REST call so far, in order.
    pub fn calls(&self) -> Vec<Call> {
        self.state.lock().unwrap().calls.clone()
    }

    /// `METHOD /path` of every call, in order.
    pub fn call_lines(&self) -> Vec<String> {
        self.calls()
            .iter()
            .map(|c| format!("{} {}", c.method, c.path))
            .collect()
    }

    /// The bare repository behind `owner/name`.
    pub fn repo_path(&self, owner: &str, name: &str) -> PathBuf {
        self.root.path().join(owner).join(format!("{name}.git"))
    }
}

/// Commits the fake makes carry this time, so their hashes are the same on every run.
fn fixed_time() -> git2::Time {
    git2::Time::new(1_700_000_000, 0)
}

fn create_bare(root: &Path, owner: &str, name: &str) -> PathBuf {
    let path = root.join(owner).join(format!("{name}.git"));
    let repo = git2::Repository::init_bare(&path).unwrap();
    repo.config()
        .unwrap()
        .set_bool("http.receivepack", true)
        .unwrap();
    path
}

fn repo_json(base: &str, owner: &str, name: &str) -> Value {
    json!({
        "id": 1_000 + name.len() as u64 * 7 + owner.len() as u64,
        "name": name,
        "full_name": format!("{owner}/{name}"),
        "owner": {"login": owner},
        "clone_url": format!("{base}/git/{owner}/{name}.git"),
        "html_url": format!("{base}/{owner}/{name}"),
        "default_branch": "main",
        "size": 0,
        "permissions": {"admin": true, "push": true, "pull": true},
    })
}

fn gh_error(status: u16, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(
        json!({"message": message, "documentation_url": "https://docs.github.com/rest"}),
    )
}

impl Respond for Responder {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let path = req.url.path().to_string();
        if let Some(git_path) = path.strip_prefix("/git") {
            return self.git(req, git_path);
        }
        // `https://HOST/OWNER/REPO.git/...`, the clone URL of a `…/tree/REF/PATH` web URL.
        if path.split('/').nth(2).is_some_and(|r| r.ends_with(".git")) {
            return self.git(req, &path);
        }
        let method = req.method.as_str().to_string();
        let body: Value = if req.body.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&req.body).unwrap_or(Value::Null)
        };
        if path == "/api/graphql" {
            let mut s = self.state.lock().unwrap();
            s.calls.push(Call {
                method: method.clone(),
                path: "/graphql".into(),
                body: body.clone(),
            });
            return self.graphql(&s, &body);
        }
        let Some(api) = path.strip_prefix("/api/v3") else {
            return gh_error(404, "Not Found");
        };
        let recorded_path = match req.url.query() {
            Some(q) => format!("{api}?{q}"),
            None => api.to_string(),
        };
        let mut s = self.state.lock().unwrap();
        s.calls.push(Call {
            method: method.clone(),
            path: recorded_path,
            body: body.clone(),
        });
        let auth = req
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let bearer = auth
            .strip_prefix("Bearer ")
            .or_else(|| auth.strip_prefix("token "))
            .unwrap_or_default()
            .to_string();
        if api.starts_with("/app/") {
            // The app's own endpoints take a JWT signed with the app's private key.
            if let Err(e) = check_jwt(&s, &bearer) {
                return gh_error(401, &e);
            }
            return self.app_call(&mut s, &method, api);
        }
        if bearer != s.token && !s.issued.contains(&bearer) {
            return gh_error(401, "Bad credentials");
        }
        if api == "/installation/repositories" {
            return installation_repos(&s, &bearer);
        }
        if let Some(f) = s
            .failures
            .iter_mut()
            .find(|f| f.0 == method && f.1 == api && f.3 > 0)
        {
            f.3 -= 1;
            if f.2 == 403 {
                // GitHub's secondary rate limit: 403 with a Retry-After header.
                return gh_error(403, "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.").insert_header("retry-after", "1");
            }
            return gh_error(f.2, "Server Error");
        }
        let parts: Vec<&str> = api.trim_start_matches('/').split('/').collect();
        match (method.as_str(), parts.as_slice()) {
            ("GET", ["users", login]) => match s.accounts.get(*login) {
                Some(kind) => ResponseTemplate::new(200)
                    .set_body_json(json!({"login": login, "type": kind, "id": id_of(login)})),
                None => gh_error(404, "Not Found"),
            },
            ("GET", ["orgs", org, "teams", team]) => {
                if s.teams.contains(&format!("{org}/{team}")) {
                    ResponseTemplate::new(200)
                        .set_body_json(json!({"slug": team, "id": id_of(&format!("{org}/{team}"))}))
                } else {
                    gh_error(404, "Not Found")
                }
            }
            ("POST", ["orgs", org, "repos"]) => {
                let org = org.to_string();
                self.create_repo(&mut s, &org, &body)
            }
            ("POST", ["user", "repos"]) => {
                let login = s.login.clone();
                self.create_repo(&mut s, &login, &body)
            }
            ("GET", ["repos", owner, name]) => match s.repos.get(&format!("{owner}/{name}")) {
                Some(r) => ResponseTemplate::new(200).set_body_json(r.clone()),
                None => gh_error(404, "Not Found"),
            },
            ("POST", ["repos", owner, name, "pulls"]) => {
                s.pulls += 1;
                let base = body.get("base").cloned().unwrap_or(json!("main"));
                let head = body["head"].as_str().unwrap_or_default();
                let head = head
                    .split_once(':')
                    .map(|(_, b)| b)
                    .unwrap_or(head)
                    .to_string();
                let number = s.pulls;
                s.open_pulls.push((format!("{owner}/{name}"), head, number));
                ResponseTemplate::new(201).set_body_json(json!({"number": number, "html_url": format!("{}/pull/{}", self.base, number), "base": {"ref": base}}))
            }
            ("PATCH", ["repos", _, _, "pulls", n]) => {
                let base = body.get("base").cloned().unwrap_or(json!("main"));
                ResponseTemplate::new(200).set_body_json(json!({"number": n.parse::<u64>().unwrap_or(0), "html_url": format!("{}/pull/{n}", self.base), "base": {"ref": base}}))
            }
            ("GET", ["repos", owner, name, "commits"]) => {
                let repo =
                    git2::Repository::open_bare(self.root.join(owner).join(format!("{name}.git")))
                        .unwrap();
                let sha = req
                    .url
                    .query_pairs()
                    .find(|(k, _)| k == "sha")
                    .map(|(_, v)| v.to_string())
                    .unwrap_or("main".into());
                let found = repo
                    .revparse_single(&sha)
                    .and_then(|o| o.peel_to_commit())
                    .map(|c| (c.id().to_string(), c.tree_id().to_string()));
                match found {
                    Ok((id, tree)) => ResponseTemplate::new(200)
                        .set_body_json(json!([{"sha": id, "commit": {"tree": {"sha": tree}}}])),
                    Err(_) => gh_error(404, "Not Found"),
                }
            }
            ("HEAD", ["repos", owner, name, "contents", rest @ ..]) => {
                let repo =
                    git2::Repository::open_bare(self.root.join(owner).join(format!("{name}.git")))
                        .unwrap();
                let reference = req
                    .url
                    .query_pairs()
                    .find(|(k, _)| k == "ref")
                    .map(|(_, v)| v.to_string())
                    .unwrap_or("HEAD".into());
                let path = percent_encoding::percent_decode_str(&rest.join("/"))
                    .decode_utf8_lossy()
                    .to_string();
                let found = repo
                    .revparse_single(&reference)
                    .and_then(|o| o.peel_to_tree())
                    .map(|t| t.get_path(Path::new(&path)).is_ok())
                    .unwrap_or(false);
                ResponseTemplate::new(if found { 200 } else { 404 })
            }
            ("GET", ["repos", owner, name, "contents", rest @ ..]) => {
                // The raw media type (what golden's catalog reads ask for), else JSON with the
                // base64 content.
                let repo =
                    git2::Repository::open_bare(self.root.join(owner).join(format!("{name}.git")))
                        .unwrap();
                let reference = req
                    .url
                    .query_pairs()
                    .find(|(k, _)| k == "ref")
                    .map(|(_, v)| v.to_string())
                    .unwrap_or("HEAD".into());
                let path = percent_encoding::percent_decode_str(&rest.join("/"))
                    .decode_utf8_lossy()
                    .to_string();
                let blob = repo
                    .revparse_single(&format!("{reference}:{path}"))
                    .and_then(|o| o.peel_to_blob())
                    .map(|b| b.content().to_vec());
                let raw = req
                    .headers
                    .get("accept")
                    .and_then(|v| v.to_str().ok())
                    .is_some_and(|a| a.contains("vnd.github.raw"));
                match blob {
                    Ok(bytes) if raw => ResponseTemplate::new(200).set_body_raw(bytes, "application/vnd.github.raw"),
                    Ok(bytes) => ResponseTemplate::new(200).set_body_json(json!({"encoding": "base64", "content": base64::engine::general_purpose::STANDARD.encode(bytes)})),
                    Err(_) => gh_error(404, "Not Found"),
                }
            }
            ("GET", ["repos", owner, name, "branches", branch]) => {
                let found = s.repos.contains_key(&format!("{owner}/{name}")).then(|| {
                    git2::Repository::open_bare(self.root.join(owner).join(format!("{name}.git")))
                        .ok()?
                        .refname_to_id(&format!("refs/heads/{branch}"))
                        .ok()
                });
                match found.flatten() {
                    Some(id) => ResponseTemplate::new(200).set_body_json(
                        json!({"name": branch, "commit": {"sha": id.to_string()}, "protected": false}),
                    ),
                    None => gh_error(404, "Branch not found"),
                }
            }
            ("GET", ["repos", owner, name, "git", "ref", rest @ ..]) => {
                let repo =
                    git2::Repository::open_bare(self.root.join(owner).join(format!("{name}.git")))
                        .unwrap();
                let refname = format!(
                    "refs/{}",
                    percent_encoding::percent_decode_str(&rest.join("/")).decode_utf8_lossy()
                );
                if repo.references().unwrap().next().is_none() {
                    return gh_error(409, "Git Repository is empty.");
                }
                match repo.refname_to_id(&refname) {
                    Ok(id) => ResponseTemplate::new(200).set_body_json(json!({"ref": refname, "object": {"sha": id.to_string(), "type": "commit"}})),
                    Err(_) => gh_error(404, "Not Found"),
                }
            }
            ("PUT", ["repos", owner, name, "contents", rest @ ..]) => {
                let repo =
                    git2::Repository::open_bare(self.root.join(owner).join(format!("{name}.git")))
                        .unwrap();
                let path = percent_encoding::percent_decode_str(&rest.join("/"))
                    .decode_utf8_lossy()
                    .to_string();
                let branch = body["branch"].as_str().unwrap_or("main");
                let content = base64::engine::general_purpose::STANDARD
                    .decode(body["content"].as_str().unwrap_or_default())
                    .unwrap();
                let id = commit_changes(
                    &repo,
                    branch,
                    None,
                    &[(path, Some(content))],
                    body["message"].as_str().unwrap_or_default(),
                );
                ResponseTemplate::new(201).set_body_json(json!({"commit": {"sha": id}}))
            }
            ("POST", ["repos", owner, name, "git", "blobs"]) => {
                let repo =
                    git2::Repository::open_bare(self.root.join(owner).join(format!("{name}.git")))
                        .unwrap();
                let content = body["content"].as_str().unwrap_or_default();
                let bytes = if body["encoding"] == "base64" {
                    base64::engine::general_purpose::STANDARD
                        .decode(content)
                        .unwrap()
                } else {
                    content.as_bytes().to_vec()
                };
                ResponseTemplate::new(201)
                    .set_body_json(json!({"sha": repo.blob(&bytes).unwrap().to_string()}))
            }
            ("POST", ["repos", owner, name, "git", "trees"]) => {
                let repo =
                    git2::Repository::open_bare(self.root.join(owner).join(format!("{name}.git")))
                        .unwrap();
                let mut index = git2::Index::new().unwrap();
                if let Some(base) = body["base_tree"].as_str() {
                    index
                        .read_tree(&repo.find_tree(git2::Oid::from_str(base).unwrap()).unwrap())
                        .unwrap();
                }
                for e in body["tree"].as_array().cloned().unwrap_or_default() {
                    let path = e["path"].as_str().unwrap().to_string();
                    let mode =
                        u32::from_str_radix(e["mode"].as_str().unwrap_or("100644"), 8).unwrap();
                    let id = match (&e["sha"], e.get("content")) {
                        (Value::Null, None) => {
                            index.remove_path(Path::new(&path)).unwrap();
                            continue;
                        }
                        (Value::String(sha), _) => git2::Oid::from_str(sha).unwrap(),
                        (_, Some(c)) => repo
                            .blob(c.as_str().unwrap_or_default().as_bytes())
                            .unwrap(),
                        _ => unreachable!(),
                    };
                    let entry = git2::IndexEntry {
                        ctime: git2::IndexTime::new(0, 0),
                        mtime: git2::IndexTime::new(0, 0),
                        dev: 0,
                        ino: 0,
                        mode,
                        uid: 0,
                        gid: 0,
                        file_size: 0,
                        id,
                        flags: 0,
                        flags_extended: 0,
                        path: path.into_bytes(),
                    };
                    index.add(&entry).unwrap();
                }
                ResponseTemplate::new(201)
                    .set_body_json(json!({"sha": index.write_tree_to(&repo).unwrap().to_string()}))
            }
            ("POST", ["repos", owner, name, "git", "commits"]) => {
                let repo =
                    git2::Repository::open_bare(self.root.join(owner).join(format!("{name}.git")))
                        .unwrap();
                let tree = repo
                    .find_tree(git2::Oid::from_str(body["tree"].as_str().unwrap()).unwrap())
                    .unwrap();
                let parents: Vec<git2::Commit<'_>> = body["parents"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|p| {
                        repo.find_commit(git2::Oid::from_str(p.as_str().unwrap()).unwrap())
                            .unwrap()
                    })
                    .collect();
                let parents: Vec<&git2::Commit<'_>> = parents.iter().collect();
                let sig = match body.get("author") {
                    Some(a) => git2::Signature::new(
                        a["name"].as_str().unwrap(),
                        a["email"].as_str().unwrap(),
                        &fixed_time(),
                    )
                    .unwrap(),
                    None => {
                        git2::Signature::new("token user", "token-user@example.com", &fixed_time())
                            .unwrap()
                    }
                };
                let id = repo
                    .commit(
                        None,
                        &sig,
                        &sig,
                        body["message"].as_str().unwrap_or_default(),
                        &tree,
                        &parents,
                    )
                    .unwrap();
                ResponseTemplate::new(201).set_body_json(json!({"sha": id.to_string()}))
            }
            ("POST", ["repos", owner, name, "git", "refs"]) => {
                let repo =
                    git2::Repository::open_bare(self.root.join(owner).join(format!("{name}.git")))
                        .unwrap();
                let refname = body["ref"].as_str().unwrap().to_string();
                if repo.find_reference(&refname).is_ok() {
                    return gh_error(422, "Reference already exists");
                }
                repo.reference(
                    &refname,
                    git2::Oid::from_str(body["sha"].as_str().unwrap()).unwrap(),
                    false,
                    "api",
                )
                .unwrap();
                ResponseTemplate::new(201).set_body_json(json!({"ref": refname}))
            }
            ("PATCH", ["repos", owner, name, "git", "refs", rest @ ..]) => {
                let repo =
                    git2::Repository::open_bare(self.root.join(owner).join(format!("{name}.git")))
                        .unwrap();
                let refname = format!(
                    "refs/{}",
                    percent_encoding::percent_decode_str(&rest.join("/")).decode_utf8_lossy()
                );
                repo.reference(
                    &refname,
                    git2::Oid::from_str(body["sha"].as_str().unwrap()).unwrap(),
                    true,
                    "api",
                )
                .unwrap();
                ResponseTemplate::new(200).set_body_json(json!({"ref": refname}))
            }
            ("POST", ["repos", owner, name, "issues"]) => {
                s.pulls += 1;
                let n = s.pulls;
                ResponseTemplate::new(201).set_body_json(json!({"number": n, "html_url": format!("{}/{owner}/{name}/issues/{n}", self.base)}))
            }
            ("POST", ["repos", _, _, "issues", _, "labels"]) => {
                ResponseTemplate::new(200).set_body_json(body["labels"].clone())
            }
            ("POST", ["repos", _, _, "autolinks"]) => ResponseTemplate::new(201)
                .set_body_json(json!({"id": 1, "key_prefix": body["key_prefix"]})),
            ("POST", ["repos", _, _, "pages"]) => {
                ResponseTemplate::new(201).set_body_json(json!({"status": "queued"}))
            }
            ("POST", ["repos", _, _, "keys"]) => {
                ResponseTemplate::new(201).set_body_json(json!({"id": 9, "title": body["title"]}))
            }
            ("POST", ["repos", _, _, "hooks"]) => {
                ResponseTemplate::new(201).set_body_json(json!({"id": 1}))
            }
            ("POST", ["repos", _, _, "actions", "workflows", _, "dispatches"]) => {
                ResponseTemplate::new(204)
            }
            ("PUT", ["repos", _, _, "branches", _, "protection"]) => {
                ResponseTemplate::new(200).set_body_json(json!({}))
            }
            ("POST", ["repos", _, _, "branches", _, "protection", "required_signatures"]) => {
                ResponseTemplate::new(200).set_body_json(json!({"enabled": true}))
            }
            ("PUT", ["repos", _, _, "actions", "permissions", "access"]) => {
                ResponseTemplate::new(204)
            }
            ("PUT", ["repos", _, _, "actions", "oidc", "customization", "sub"]) => {
                ResponseTemplate::new(201).set_body_json(json!({}))
            }
            ("PUT", ["repos", _, _, "subscription"]) => {
                ResponseTemplate::new(200).set_body_json(json!({"subscribed": true}))
            }
            ("PUT", ["repos", _, _, "topics"]) => {
                ResponseTemplate::new(200).set_body_json(json!({"names": body["names"]}))
            }
            ("PUT", ["repos", _, _, "collaborators", _]) => {
                ResponseTemplate::new(201).set_body_json(json!({}))
            }
            ("PUT", ["orgs", org, "teams", team, "repos", _, _]) => {
                if s.teams.contains(&format!("{org}/{team}")) {
                    ResponseTemplate::new(204)
                } else {
                    gh_error(404, "Not Found")
                }
            }
            ("POST", ["repos", _, _, "actions", "variables"]) => {
                ResponseTemplate::new(201).set_body_json(json!({}))
            }
            ("GET", ["repos", _, _, "actions", "secrets", "public-key"]) => {
                let pk = s.secret_key.as_ref().unwrap().public_key();
                let key = base64::engine::general_purpose::STANDARD.encode(pk.as_bytes());
                ResponseTemplate::new(200)
                    .set_body_json(json!({"key_id": "568250167242549743", "key": key}))
            }
            ("PUT", ["repos", _, _, "actions", "secrets", _]) => {
                ResponseTemplate::new(201).set_body_json(json!({}))
            }
            ("POST", ["repos", _, _, "pulls", _, "requested_reviewers"]) => {
                ResponseTemplate::new(201).set_body_json(json!({}))
            }
            ("POST", ["repos", _, _, "issues", _, "assignees"]) => {
                ResponseTemplate::new(201).set_body_json(json!({}))
            }
            ("PUT", ["repos", _, _, "environments", env]) => {
                ResponseTemplate::new(200).set_body_json(json!({"id": 161088068, "name": env}))
            }
            ("POST", ["repos", _, _, "environments", _, "deployment-branch-policies"]) => {
                ResponseTemplate::new(200).set_body_json(
                    json!({"id": 361471, "name": body["name"], "type": body["type"]}),
                )
            }
            ("POST", ["repos", _, _, "environments", _, "variables"]) => {
                ResponseTemplate::new(201).set_body_json(json!({}))
            }
            ("GET", ["repos", _, _, "environments", _, "secrets", "public-key"]) => {
                let pk = s.secret_key.as_ref().unwrap().public_key();
                let key = base64::engine::general_purpose::STANDARD.encode(pk.as_bytes());
                ResponseTemplate::new(200)
                    .set_body_json(json!({"key_id": "012345678912345678", "key": key}))
            }
            ("PUT", ["repos", _, _, "environments", _, "secrets", _]) => {
                ResponseTemplate::new(201).set_body_json(json!({}))
            }
            ("POST", ["repos", owner, name, "rulesets"]) => {
                if !s.repos.contains_key(&format!("{owner}/{name}")) {
                    return gh_error(404, "Not Found");
                }
                s.rulesets += 1;
                let id = 42 + s.rulesets;
                ResponseTemplate::new(201).set_body_json(json!({"id": id, "name": body["name"]}))
            }
            ("GET", ["user"]) => {
                ResponseTemplate::new(200).set_body_json(json!({"login": s.login, "type": "User"}))
            }
            ("GET", ["repos", owner, name, "forks"]) => {
                let full = format!("{owner}/{name}");
                let forks: Vec<Value> = s
                    .forks
                    .iter()
                    .filter(|(r, _)| *r == full)
                    .map(
                        |(_, o)| json!({"full_name": format!("{o}/{name}"), "owner": {"login": o}}),
                    )
                    .collect();
                ResponseTemplate::new(200).set_body_json(Value::Array(forks))
            }
            ("POST", ["repos", owner, name, "forks"]) => {
                let (owner, name) = (owner.to_string(), name.to_string());
                self.fork(&mut s, &owner, &name)
            }
            _ => gh_error(404, "Not Found"),
        }
    }
}

/// A stable numeric id for a login or `org/team`.
pub fn id_of(name: &str) -> u64 {
    name.bytes()
        .fold(7u64, |h, b| h * 31 % 1_000_003 + u64::from(b))
}

/// Checks an app JWT as GitHub does: RS256, signed by the app's key, `iss` the app id, not
/// expired, lifetime at most 10 minutes.
fn check_jwt(s: &State, jwt: &str) -> Result<(), String> {
    let app = s.app.as_ref().ok_or("this fake GitHub has no app")?;
    let key =
        jsonwebtoken::DecodingKey::from_rsa_pem(&app.public_pem).map_err(|e| e.to_string())?;
    let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    // `iss` is the app id as a number, which the crate does not take as a string claim: it is
    // checked below.
    v.set_required_spec_claims(&["exp", "iat"]);
    let data = jsonwebtoken::decode::<Value>(jwt, &key, &v)
        .map_err(|e| format!("A JSON web token could not be decoded ({e})"))?;
    let c = data.claims;
    if c["iss"] != json!(app.id) && c["iss"] != json!(app.id.to_string()) {
        return Err(format!(
            "'Issuer' claim ('iss') must be the app id, not {}",
            c["iss"]
        ));
    }
    let (iat, exp) = (
        c["iat"].as_i64().unwrap_or(0),
        c["exp"].as_i64().unwrap_or(0),
    );
    if exp - iat > 600 {
        return Err("'Expiration time' claim ('exp') is too far in the future".into());
    }
    Ok(())
}

/// `GET /installation/repositories` for an installation token.
fn installation_repos(s: &State, token: &str) -> ResponseTemplate {
    let Some(id) = token
        .strip_prefix("ghs_fake_")
        .and_then(|t| t.split('_').next())
        .and_then(|n| n.parse::<u64>().ok())
    else {
        return gh_error(403, "Resource not accessible by personal access token");
    };
    let app = s.app.as_ref().unwrap();
    let (_, account, repos, _) = app.installations.iter().find(|i| i.0 == id).unwrap();
    let names: Vec<String> = match repos {
        Some(r) => r.clone(),
        None => s
            .repos
            .keys()
            .filter_map(|k| k.strip_prefix(&format!("{account}/")).map(str::to_string))
            .collect(),
    };
    let list: Vec<Value> = names.iter().map(|n| json!({"name": n})).collect();
    ResponseTemplate::new(200)
        .set_body_json(json!({"total_count": list.len(), "repositories": list}))
}

impl Responder {
    /// `GET /app/installations` and `POST /app/installations/ID/access_tokens`.
    fn app_call(&self, s: &mut State, method: &str, api: &str) -> ResponseTemplate {
        let app = s.app.as_ref().unwrap();
        if method == "GET" && api == "/app/installations" {
            let list: Vec<Value> = app
                .installations
                .iter()
                .map(|(id, login, repos, suspended)| {
                    json!({
                        "id": id,
                        "account": {"login": login},
                        "repository_selection": if repos.is_some() { "selected" } else { "all" },
                        "suspended_by": if *suspended { json!({"login": "admin"}) } else { Value::Null },
                    })
                })
                .collect();
            return ResponseTemplate::new(200).set_body_json(Value::Array(list));
        }
        let parts: Vec<&str> = api.trim_start_matches('/').split('/').collect();
        if let ("POST", ["app", "installations", id, "access_tokens"]) = (method, parts.as_slice())
        {
            let Some(inst) = id
                .parse::<u64>()
                .ok()
                .and_then(|id| app.installations.iter().find(|i| i.0 == id))
            else {
                return gh_error(404, "Not Found");
            };
            let selection = if inst.2.is_some() { "selected" } else { "all" };
            let token = format!("ghs_fake_{}_{}", inst.0, s.issued.len() + 1);
            s.issued.push(token.clone());
            return ResponseTemplate::new(201).set_body_json(json!({
                "token": token,
                "expires_at": "2099-01-01T00:00:00Z",
                "repository_selection": selection,
            }));
        }
        gh_error(404, "Not Found")
    }

    /// `POST /repos/OWNER/NAME/forks`: a copy of the repository in the token user's account.
    fn fork(&self, s: &mut State, owner: &str, name: &str) -> ResponseTemplate {
        let login = s.login.clone();
        if !s.repos.contains_key(&format!("{owner}/{name}")) {
            return gh_error(404, "Not Found");
        }
        let path = create_bare(&self.root, &login, name);
        let fork = git2::Repository::open_bare(&path).unwrap();
        let upstream = self.root.join(owner).join(format!("{name}.git"));
        fork.remote_anonymous(upstream.to_str().unwrap())
            .unwrap()
            .fetch(&["+refs/heads/*:refs/heads/*"], None, None)
            .unwrap();
        fork.set_head("refs/heads/main").unwrap();
        let json = repo_json(&self.base, &login, name);
        s.repos.insert(format!("{login}/{name}"), json.clone());
        s.forks.push((format!("{owner}/{name}"), login));
        ResponseTemplate::new(202).set_body_json(json)
    }

    /// The one GraphQL query golden and Backstage send: does branch `head` exist, and its open
    /// pull request.
    fn graphql(&self, s: &State, body: &Value) -> ResponseTemplate {
        if body["query"]
            .as_str()
            .unwrap_or_default()
            .contains("createCommitOnBranch")
        {
            let input = &body["variables"]["input"];
            let full = input
                .pointer("/branch/repositoryNameWithOwner")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let branch = input
                .pointer("/branch/branchName")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let repo = git2::Repository::open_bare(self.root.join(format!("{full}.git"))).unwrap();
            let mut changes: Vec<(String, Option<Vec<u8>>)> = Vec::new();
            for a in input
                .pointer("/fileChanges/additions")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default()
            {
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(a["contents"].as_str().unwrap_or_default())
                    .unwrap();
                changes.push((a["path"].as_str().unwrap().to_string(), Some(bytes)));
            }
            for d in input
                .pointer("/fileChanges/deletions")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default()
            {
                changes.push((d["path"].as_str().unwrap().to_string(), None));
            }
            let expected = input["expectedHeadOid"].as_str();
            let id = commit_changes(
                &repo,
                branch,
                expected,
                &changes,
                input
                    .pointer("/message/headline")
                    .and_then(Value::as_str)
                    .unwrap_or_default(),
            );
            return ResponseTemplate::new(200)
                .set_body_json(json!({"data": {"createCommitOnBranch": {"commit": {"oid": id}}}}));
        }
        let v = &body["variables"];
        let (owner, repo, head) = (
            v["owner"].as_str().unwrap_or_default(),
            v["repo"].as_str().unwrap_or_default(),
            v["head"].as_str().unwrap_or_default(),
        );
        let exists = git2::Repository::open_bare(self.root.join(owner).join(format!("{repo}.git")))
            .map(|r| r.find_reference(&format!("refs/heads/{head}")).is_ok())
            .unwrap_or(false);
        let edges: Vec<Value> = s
            .open_pulls
            .iter()
            .filter(|(r, h, _)| *r == format!("{owner}/{repo}") && h == head)
            .map(|(_, _, n)| json!({"node": {"id": format!("PR_{n}"), "number": n, "url": format!("{}/pull/{n}", self.base)}}))
            .collect();
        let reference = if exists {
            json!({"associatedPullRequests": {"edges": edges}})
        } else {
            Value::Null
        };
        ResponseTemplate::new(200)
            .set_body_json(json!({"data": {"repository": {"ref": reference}}}))
    }

    fn create_repo(&self, s: &mut State, owner: &str, body: &Value) -> ResponseTemplate {
        let name = body["name"].as_str().unwrap_or_default().to_string();
        let full = format!("{owner}/{name}");
        if s.repos.contains_key(&full) {
            return ResponseTemplate::new(422).set_body_json(json!({
                "message": "Repository creation failed.",
                "errors": [{"resource": "Repository", "code": "custom", "field": "name", "message": "name already exists on this account"}],
                "documentation_url": "https://docs.github.com/rest/repos/repos#create-an-organization-repository",
            }));
        }
        let path = create_bare(&self.root, owner, &name);
        if s.decline_pushes {
            use std::os::unix::fs::PermissionsExt;
            let hook = path.join("hooks/pre-receive");
            std::fs::write(&hook, "#!/bin/sh\necho 'pushes are frozen' >&2\nexit 1\n").unwrap();
            std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        let mut json = repo_json(&self.base, owner, &name);
        if s.git_unreachable {
            json["clone_url"] = json!(format!("http://127.0.0.1:1/git/{owner}/{name}.git"));
        }
        s.repos.insert(full, json.clone());
        ResponseTemplate::new(201).set_body_json(json)
    }

    /// The smart-HTTP bridge: Basic auth with the token as password, then `git http-backend`.
    fn git(&self, req: &Request, path_info: &str) -> ResponseTemplate {
        let (token, issued) = {
            let s = self.state.lock().unwrap();
            (s.token.clone(), s.issued.clone())
        };
        let auth = req
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let ok = auth
            .strip_prefix("Basic ")
            .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
            .and_then(|b| String::from_utf8(b).ok())
            .map(|up| {
                up.split_once(':')
                    .map(|(_, p)| p == token || issued.iter().any(|t| t == p))
                    .unwrap_or(false)
            })
            .unwrap_or(false);
        if !ok {
            return ResponseTemplate::new(401)
                .insert_header("WWW-Authenticate", "Basic realm=\"git\"");
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
            .env("REMOTE_USER", "x-access-token")
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

/// Commits `changes` (path → new bytes, or `None` to delete) on top of `branch` (whose tip must
/// be `expected` when given), as the token's user at a fixed time; returns the commit hash.
pub(crate) fn commit_changes(
    repo: &git2::Repository,
    branch: &str,
    expected: Option<&str>,
    changes: &[(String, Option<Vec<u8>>)],
    message: &str,
) -> String {
    let refname = format!("refs/heads/{branch}");
    let parent = repo
        .find_reference(&refname)
        .ok()
        .and_then(|r| r.peel_to_commit().ok());
    if let Some(e) = expected {
        assert_eq!(
            parent.as_ref().map(|p| p.id().to_string()).as_deref(),
            Some(e),
            "expectedHeadOid is the branch tip"
        );
    }
    let mut index = git2::Index::new().unwrap();
    if let Some(p) = &parent {
        index.read_tree(&p.tree().unwrap()).unwrap();
    }
    for (path, content) in changes {
        match content {
            Some(bytes) => {
                let id = repo.blob(bytes).unwrap();
                let entry = git2::IndexEntry {
                    ctime: git2::IndexTime::new(0, 0),
                    mtime: git2::IndexTime::new(0, 0),
                    dev: 0,
                    ino: 0,
                    mode: 0o100644,
                    uid: 0,
                    gid: 0,
                    file_size: 0,
                    id,
                    flags: 0,
                    flags_extended: 0,
                    path: path.as_bytes().to_vec(),
                };
                index.add(&entry).unwrap();
            }
            None => index.remove_path(Path::new(path)).unwrap(),
        }
    }
    let tree = repo.find_tree(index.write_tree_to(repo).unwrap()).unwrap();
    let sig = git2::Signature::new("token user", "token-user@example.com", &fixed_time()).unwrap();
    let parents: Vec<&git2::Commit<'_>> = parent.iter().collect();
    repo.commit(Some(&refname), &sig, &sig, message, &tree, &parents)
        .unwrap()
        .to_string()
}

/// Every file of a branch of a bare repository: path → bytes.
pub fn branch_files(repo: &Path, branch: &str) -> BTreeMap<String, Vec<u8>> {
    fn walk(
        r: &git2::Repository,
        tree: &git2::Tree<'_>,
        prefix: &str,
        out: &mut BTreeMap<String, Vec<u8>>,
    ) {
        for entry in tree.iter() {
            let name = format!("{prefix}{}", entry.name().unwrap());
            match entry.kind() {
                Some(git2::ObjectType::Blob) => {
                    out.insert(name, r.find_blob(entry.id()).unwrap().content().to_vec());
                }
                Some(git2::ObjectType::Tree) => walk(
                    r,
                    &r.find_tree(entry.id()).unwrap(),
                    &format!("{name}/"),
                    out,
                ),
                _ => {}
            }
        }
    }
    let r = git2::Repository::open_bare(repo).unwrap();
    let tree = r
        .find_reference(&format!("refs/heads/{branch}"))
        .unwrap()
        .peel_to_tree()
        .unwrap();
    let mut files = BTreeMap::new();
    walk(&r, &tree, "", &mut files);
    files
}

/// Every file under a directory (`.git` left out): path → bytes.
pub fn dir_files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_entry(|e| e.file_name() != ".git")
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            (
                e.path()
                    .strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/"),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}
