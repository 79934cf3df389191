//! `--help` of every command, snapshotted (insta): a change to the command-line surface shows
//! up in review as a snapshot diff. Regenerate with `INSTA_UPDATE=always cargo test --test it help`.

use crate::support::golden;

fn help(args: &[&str]) -> String {
    let out = golden()
        .args(args)
        .arg("--help")
        .env("COLUMNS", "100")
        .output()
        .unwrap();
    assert!(out.status.success(), "{args:?} --help failed");
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn help_of_every_command() {
    for args in [
        &[][..],
        &["new"],
        &["list"],
        &["actions"],
        &["catalog"],
        &["catalog", "register"],
        &["validate"],
        &["schema"],
        &["update"],
        &["check"],
        &["link"],
        &["test"],
    ] {
        let name = if args.is_empty() {
            "golden".to_string()
        } else {
            format!("golden {}", args.join(" "))
        };
        insta::assert_snapshot!(name.replace(' ', "_"), help(args), &name);
    }
}
