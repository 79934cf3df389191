//! `github:environment:create` and `github:repo:rulesets:create` of Backstage's GitHub module
//! (0.10.4): the same calls, bodies, order and error behaviour (the tests compare them with the
//! module's recorded calls). Environment reviewers are entity refs resolved through golden's
//! catalog, as Backstage resolves them through its own. In the local forge each is recorded
//! under `REPO.git/golden/` (secret values as `***`), and the log says so.

use serde_json::{json, Map, Value};

use super::{record_local, warn, Input};
use crate::github::{seg, Method, RepoUrl};
use crate::runner::{ActionContext, ActionError, Outputs};
use crate::scm::github::Github;

/// `github:environment:create`: the environment, its branch and tag policies, variables and
/// sealed secrets.
pub fn environment(ctx: &mut ActionContext<'_>, i: &Input<'_>) -> Result<Outputs, ActionError> {
    let url = RepoUrl::parse(i.required("repoUrl")?)?;
    let name = i.required("name")?.to_string();
    if ctx.services.local {
        let mut rec = i.0.clone();
        rec.remove("token");
        if let Some(Value::Object(s)) = rec.get_mut("secrets") {
            s.values_mut().for_each(|v| *v = json!("***"));
        }
        record_local(
            ctx,
            &url,
            "environments",
            Value::Object(rec),
            &format!("the environment {name}"),
        )?;
        return Ok(Map::new());
    }
    let github = super::target(ctx, &url, i.nonempty("token"))?;
    let env = EnvCalls {
        github: &github,
        url: &url,
        name: &name,
    };
    let repository_id = env.call(
        Method::Get,
        &env.repo_path(),
        None,
        &format!("cannot find the repository {}", url.full_name()),
    )?["id"]
        .clone();
    let reviewers = match i.strings("reviewers") {
        Some(refs) => env.reviewers(ctx, &refs)?,
        None => Vec::new(),
    };
    env.create(i, reviewers)?;
    ctx.note_created(format!(
        "the environment {name} of the GitHub repository {}",
        url.full_name()
    ));
    for (kind, key) in [
        ("branch", "customBranchPolicyNames"),
        ("tag", "customTagPolicyNames"),
    ] {
        for pattern in i.strings(key).unwrap_or_default() {
            env.call(
                Method::Post,
                &format!("{}/deployment-branch-policies", env.path()),
                Some(&json!({"type": kind, "name": pattern})),
                &format!("cannot add the {kind} policy `{pattern}` to the environment {name}"),
            )?;
        }
    }
    if let Some(vars) = i.value("environmentVariables").and_then(Value::as_object) {
        for (key, value) in vars {
            env.call(
                Method::Post,
                &format!("{}/variables", env.path()),
                Some(&json!({"repository_id": repository_id, "name": key, "value": value})),
                &format!("cannot set the environment variable {key}"),
            )?;
        }
    }
    if let Some(secrets) = i.value("secrets").and_then(Value::as_object) {
        env.secrets(secrets, &repository_id)?;
    }
    ctx.info(format!(
        "created the environment {name} of {}",
        url.full_name()
    ));
    Ok(Map::new())
}

/// The calls of one environment.
struct EnvCalls<'a> {
    github: &'a Github,
    url: &'a RepoUrl,
    name: &'a str,
}

impl EnvCalls<'_> {
    fn repo_path(&self) -> String {
        format!("/repos/{}/{}", seg(&self.url.owner), seg(&self.url.repo))
    }

    /// `/repos/OWNER/REPO/environments/NAME`.
    fn path(&self) -> String {
        format!("{}/environments/{}", self.repo_path(), seg(self.name))
    }

    fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        what: &str,
    ) -> Result<Value, ActionError> {
        Ok(self.github.call(method, path, body, what)?)
    }

    /// GitHub's ids of the reviewers: each ref is looked up in the catalog; Users become
    /// `{type: User, id}` from `GET /users/NAME`, Groups `{type: Team, id}` from the owner's
    /// team of that name. Refs the catalog lacks, and accounts GitHub lacks, are left out with a
    /// warning (Backstage leaves them out too).
    fn reviewers(
        &self,
        ctx: &mut ActionContext<'_>,
        refs: &[String],
    ) -> Result<Vec<Value>, ActionError> {
        let entities = catalog_entities(ctx, refs)?;
        let mut out = Vec::new();
        for (r, entity) in refs.iter().zip(entities) {
            let Some(e) = entity else {
                warn(ctx, format!("reviewer {r} is not in the catalog; left out"));
                continue;
            };
            let name = e.pointer("/metadata/name").and_then(Value::as_str);
            let (kind, path) = match (e["kind"].as_str(), name) {
                (Some("User"), Some(n)) => ("User", format!("/users/{}", seg(n))),
                (Some("Group"), Some(n)) => (
                    "Team",
                    format!("/orgs/{}/teams/{}", seg(&self.url.owner), seg(n)),
                ),
                _ => continue,
            };
            match self.github.api().call(Method::Get, &path, None) {
                Ok(v) => out.push(json!({"type": kind, "id": v["id"]})),
                Err(e) => {
                    let what = if kind == "User" { "User" } else { "Team" };
                    warn(ctx, format!("{what} not found: {r} ({})", e.text()))
                }
            }
        }
        Ok(out)
    }

    /// `PUT …/environments/NAME` with the inputs that are set.
    fn create(&self, i: &Input<'_>, reviewers: Vec<Value>) -> Result<(), ActionError> {
        let mut body = Map::new();
        for (key, input) in [
            ("deployment_branch_policy", "deploymentBranchPolicy"),
            ("wait_timer", "waitTimer"),
            ("prevent_self_review", "preventSelfReview"),
        ] {
            if let Some(v) = i.value(input) {
                body.insert(key.into(), v.clone());
            }
        }
        if !reviewers.is_empty() {
            body.insert("reviewers".into(), Value::Array(reviewers));
        }
        // Without any of them the request has no body, as octokit sends it.
        let body = (!body.is_empty()).then_some(Value::Object(body));
        self.call(
            Method::Put,
            &self.path(),
            body.as_ref(),
            &format!("cannot create the environment {}", self.name),
        )?;
        Ok(())
    }

    /// The environment's public key, then each secret sealed with it.
    fn secrets(
        &self,
        secrets: &Map<String, Value>,
        repository_id: &Value,
    ) -> Result<(), ActionError> {
        let key = self.call(
            Method::Get,
            &format!(
                "{}/secrets/public-key?repository_id={}",
                self.path(),
                id_text(repository_id)
            ),
            None,
            "cannot read the environment's public key for secrets",
        )?;
        let sealed = crate::github::seal::seal_each(&key, secrets).map_err(|(name, e)| {
            ActionError::new(format!("cannot encrypt the environment secret {name}: {e}"))
        })?;
        for (name, value) in sealed {
            self.call(
                Method::Put,
                &format!("{}/secrets/{}", self.path(), seg(name)),
                Some(&json!({"repository_id": repository_id, "encrypted_value": value, "key_id": key["key_id"]})),
                &format!("cannot set the environment secret {name}"),
            )?;
        }
        Ok(())
    }
}

/// A JSON id as a query value.
fn id_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The catalog's entities for `refs`, in order (`None` for a ref it lacks or cannot parse), as
/// Backstage's `getEntitiesByRefs`.
fn catalog_entities(
    ctx: &ActionContext<'_>,
    refs: &[String],
) -> Result<Vec<Option<Value>>, ActionError> {
    let s = ctx.services;
    let catalog = crate::catalog::open(&s.config, &s.home, &s.cwd).map_err(|e| {
        ActionError::new(format!(
            "cannot open the catalog to look up the environment's reviewers: {}",
            e.message
        ))
    })?;
    refs.iter()
        .map(|r| {
            let Ok(full) = crate::catalog::full_ref(r, None, Some("default")) else {
                return Ok(None);
            };
            catalog.get(&full).map_err(|e| {
                ActionError::new(format!("cannot look up the reviewer {r}: {}", e.message))
            })
        })
        .collect()
}

/// `github:repo:rulesets:create`: one ruleset; outputs its `id`.
pub fn rulesets(ctx: &mut ActionContext<'_>, i: &Input<'_>) -> Result<Outputs, ActionError> {
    let url = RepoUrl::parse(i.required("repoUrl")?)?;
    let name = i.required("name")?;
    let mut body = Map::new();
    body.insert("name".into(), json!(name));
    body.insert(
        "target".into(),
        json!(i.nonempty("target").unwrap_or("branch")),
    );
    body.insert(
        "enforcement".into(),
        json!(i.nonempty("enforcement").unwrap_or("active")),
    );
    for (key, input) in [
        ("conditions", "conditions"),
        ("rules", "rules"),
        ("bypass_actors", "bypassActors"),
    ] {
        if let Some(v) = i.value(input) {
            body.insert(key.into(), v.clone());
        }
    }
    ctx.info(format!(
        "Creating ruleset \"{name}\" in {}/{}",
        url.owner, url.repo
    ));
    let mut out = Map::new();
    if ctx.services.local {
        let n = record_local(
            ctx,
            &url,
            "rulesets",
            Value::Object(body),
            &format!("the ruleset {name}"),
        )?;
        out.insert("id".into(), json!(n));
        return Ok(out);
    }
    let github = super::target(ctx, &url, i.nonempty("token"))?;
    let created = github.call(
        Method::Post,
        &format!("/repos/{}/{}/rulesets", seg(&url.owner), seg(&url.repo)),
        Some(&Value::Object(body)),
        &format!("cannot create the ruleset \"{name}\""),
    )?;
    ctx.note_created(format!(
        "the ruleset \"{name}\" of the GitHub repository {}",
        url.full_name()
    ));
    out.insert(
        "id".into(),
        created.get("id").cloned().unwrap_or(Value::Null),
    );
    Ok(out)
}
