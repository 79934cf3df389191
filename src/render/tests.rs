//! Engine unit tests; expected values are what Backstage's engine (the oracle) prints.

use super::*;
use serde_json::json;

fn ctx(v: serde_json::Value) -> Value {
    to_value(&v)
}

#[test]
fn single_expression_keeps_json_type() {
    let e = Engine::workflow();
    let c = ctx(json!({"parameters": {"port": 8013, "flags": ["a", "b"], "name": "x"}}));
    assert_eq!(e.render_value("${{ parameters.port }}", &c).unwrap(), Some(json!(8013)));
    assert_eq!(e.render_value("${{ parameters.port + 1 }}", &c).unwrap(), Some(json!(8014)));
    assert_eq!(e.render_value("${{ parameters.flags }}", &c).unwrap(), Some(json!(["a", "b"])));
    assert_eq!(e.render_value("flags: ${{ parameters.flags }}", &c).unwrap(), Some(json!("flags: a,b")));
    assert_eq!(e.render_value("${{ parameters.nope }}", &c).unwrap(), None);
    assert_eq!(e.render_value("{% if parameters.port %}true{% endif %}", &c).unwrap(), Some(json!(true)));
}

#[test]
fn backstage_filters() {
    let e = Engine::workflow();
    let c = ctx(json!({"u": "github.com?owner=acme&repo=svc"}));
    assert_eq!(e.render("${{ u | parseRepoUrl | dump }}", &c).unwrap(), r#"{"host":"github.com","owner":"acme","repo":"svc"}"#);
    assert_eq!(e.render("${{ u | projectSlug }}", &c).unwrap(), "acme/svc");
    assert_eq!(e.render("${{ ('group:team-a' | parseEntityRef).name }}", &c).unwrap(), "team-a");
}
