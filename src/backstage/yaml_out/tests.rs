//! `stringify` against what the oracle's npm `yaml` 2.8.1 wrote for the same inputs
//! (`oracle_cases.json`, regenerated with `gen_cases.cjs`).

use serde_json::Value;

#[test]
fn matches_npm_yaml_stringify() {
    let cases: Vec<Value> = serde_json::from_str(include_str!("oracle_cases.json")).unwrap();
    assert!(cases.len() > 400);
    let mut failures = Vec::new();
    for c in &cases {
        let got = super::stringify(&c["input"]);
        let want = c["yaml"].as_str().unwrap();
        if got != want {
            failures.push(format!("input {}\nwant {want:?}\ngot  {got:?}", c["input"]));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} differ:\n{}",
        failures.len(),
        cases.len(),
        failures
            .iter()
            .take(8)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n\n")
    );
}

#[test]
fn js_numbers() {
    use super::js_f64;
    assert_eq!(js_f64(1.5), "1.5");
    assert_eq!(js_f64(1e21), "1e+21");
    assert_eq!(js_f64(1e-7), "1e-7");
    assert_eq!(js_f64(1.5e-7), "1.5e-7");
    assert_eq!(js_f64(0.000001), "0.000001");
    assert_eq!(js_f64(123456789012345680000.0), "123456789012345680000");
    assert_eq!(js_f64(-2.0), "-2");
}
