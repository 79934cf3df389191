//! `fetch:plain`, `fetch:plain:file` and `fetch:template:file`, as Backstage 4.3.0 runs them for a
//! template read from disk: plain copies always overwrite and keep modes (fs-extra `copy`,
//! `fs.copyFile`); `fetch:template:file` skips an existing target unless `replace`.

use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde_json::{Map, Value};

use super::source::{self, rel_string, Expect};
use super::template::{copy_link, skeleton_context, DirMaker};
use super::{opt_bool, opt_str, schemas};
use crate::render::{Engine, SkeletonOptions};
use crate::runner::{Action, ActionContext, ActionError, Outputs};
use crate::workspace;

pub fn actions() -> Vec<Box<dyn Action>> {
    vec![
        Box::new(Plain),
        Box::new(PlainFile),
        Box::new(TemplateFile),
        Box::new(WorkspaceTemplateFile),
    ]
}

fn io_err(what: &str, p: &Path, e: std::io::Error) -> ActionError {
    ActionError::new(format!("{what} `{}`: {e}", p.display()))
}

fn ws_real(ctx: &ActionContext<'_>) -> Result<PathBuf, ActionError> {
    std::fs::canonicalize(ctx.workspace)
        .map_err(|e| io_err("cannot resolve the workspace", ctx.workspace, e))
}

/// Where `fetch:plain` and `fetch:plain:file` write (`targetPath`, else `default_target`), what
/// they read (`url`), and the workspace's real path.
fn plain_paths(
    ctx: &mut ActionContext<'_>,
    input: &Map<String, Value>,
    default_target: &str,
    expect: Expect,
) -> Result<(PathBuf, PathBuf, PathBuf), ActionError> {
    ctx.info("Fetching plain content from remote URL");
    let target = opt_str(input, "targetPath").unwrap_or(default_target);
    let out = workspace::safe_join(ctx.workspace, target)?;
    let src = source::resolve(ctx, opt_str(input, "url").unwrap_or("."), expect)?;
    Ok((out, src, ws_real(ctx)?))
}

struct Plain;

impl Action for Plain {
    fn id(&self) -> &'static str {
        "fetch:plain"
    }
    fn description(&self) -> &'static str {
        "Copies a directory into the workspace or a targetPath as it is (existing files are overwritten)"
    }
    fn input_schema(&self) -> Value {
        schemas::input(self.id())
    }
    fn run(
        &self,
        ctx: &mut ActionContext<'_>,
        input: &Map<String, Value>,
    ) -> Result<Outputs, ActionError> {
        let (out_dir, src, root) = plain_paths(ctx, input, "./", Expect::Dir)?;
        copy_tree(&src, &out_dir, &root)?;
        Ok(Map::new())
    }
}

/// fs-extra `copy(src, dest)`: directories merged (new ones get the source's mode), files
/// overwritten with the source's mode, symlinks copied as links. Files are copied in parallel.
pub fn copy_tree(src: &Path, out_dir: &Path, root: &Path) -> Result<(), ActionError> {
    let mut dirs = DirMaker::new(root);
    dirs.ensure(out_dir, &rel_string(out_dir, root))?;
    let mut files = Vec::new();
    super::walk::each_entry(src, root, "cannot list", |e| {
        let rel = e.rel;
        let out = workspace::join_lexical(out_dir, &rel)?;
        let from = src.join(&rel);
        if e.file_type.is_symlink() {
            if let Some(parent) = out.parent() {
                dirs.ensure(parent, &rel)?;
            }
            copy_link(&from, &out, root, &rel)?;
        } else if e.file_type.is_dir() {
            let existed = out.is_dir();
            dirs.ensure(&out, &rel)?;
            if !existed {
                if let Ok(m) = std::fs::symlink_metadata(&from) {
                    let _ = std::fs::set_permissions(&out, m.permissions());
                }
            }
        } else {
            if let Some(parent) = out.parent() {
                dirs.ensure(parent, &rel)?;
            }
            files.push((from, out, rel));
        }
        Ok(())
    })?;
    files
        .par_iter()
        .map(|(from, to, rel)| copy_file(from, to, root, rel))
        .collect::<Result<Vec<()>, ActionError>>()?;
    Ok(())
}

/// Copies one file over `to` (keeping the source's mode), refusing a `to` that is a symlink
/// leading out of the workspace.
fn copy_file(from: &Path, to: &Path, root: &Path, shown: &str) -> Result<(), ActionError> {
    if to
        .symlink_metadata()
        .map(|m| m.file_type().is_symlink())
        .unwrap_or(false)
    {
        workspace::check_within(root, to, shown)?;
    }
    std::fs::copy(from, to).map_err(|e| io_err("cannot copy to", to, e))?;
    Ok(())
}

struct PlainFile;

impl Action for PlainFile {
    fn id(&self) -> &'static str {
        "fetch:plain:file"
    }
    fn description(&self) -> &'static str {
        "Copies one file into the workspace as targetPath (an existing file is overwritten)"
    }
    fn input_schema(&self) -> Value {
        schemas::input(self.id())
    }
    fn run(
        &self,
        ctx: &mut ActionContext<'_>,
        input: &Map<String, Value>,
    ) -> Result<Outputs, ActionError> {
        let (out, src, root) = plain_paths(ctx, input, "", Expect::File)?;
        let target = opt_str(input, "targetPath").unwrap_or_default();
        if let Some(parent) = out.parent() {
            DirMaker::new(&root).ensure(parent, target)?;
        }
        copy_file(&src, &out, &root, target)?;
        Ok(Map::new())
    }
}

struct TemplateFile;

impl Action for TemplateFile {
    fn id(&self) -> &'static str {
        "fetch:template:file"
    }
    fn description(&self) -> &'static str {
        "Renders one file into the workspace as targetPath (an existing file is kept unless replace)"
    }
    fn input_schema(&self) -> Value {
        schemas::input(self.id())
    }
    fn run(
        &self,
        ctx: &mut ActionContext<'_>,
        input: &Map<String, Value>,
    ) -> Result<Outputs, ActionError> {
        render_file(ctx, input, |ctx| {
            ctx.info("Fetching template file content from remote URL");
            let url = opt_str(input, "url").unwrap_or(".");
            source::resolve(ctx, url, Expect::File)
        })
    }
}

/// `workspace:template:file`: `fetch:template:file` with the file already in the workspace
/// (`sourcePath`).
struct WorkspaceTemplateFile;

impl Action for WorkspaceTemplateFile {
    fn id(&self) -> &'static str {
        "workspace:template:file"
    }
    fn description(&self) -> &'static str {
        "Renders one workspace file into another workspace path (an existing file is kept unless replace)"
    }
    fn input_schema(&self) -> Value {
        schemas::input(self.id())
    }
    fn run(
        &self,
        ctx: &mut ActionContext<'_>,
        input: &Map<String, Value>,
    ) -> Result<Outputs, ActionError> {
        let source = opt_str(input, "sourcePath").unwrap_or_default();
        render_file(ctx, input, |ctx| {
            Ok(workspace::safe_join(ctx.workspace, source)?)
        })
    }
}

/// `targetPath` in the workspace; `None` (and a log line, as Backstage writes) when a file is
/// already there and `replace` is not set.
fn target_unless_kept(
    ctx: &mut ActionContext<'_>,
    input: &Map<String, Value>,
) -> Result<Option<PathBuf>, ActionError> {
    let target = opt_str(input, "targetPath").unwrap_or_default();
    let out = workspace::safe_join(ctx.workspace, target)?;
    if std::fs::metadata(&out).is_ok() && !opt_bool(input, "replace", false) {
        ctx.info(format!(
            "File {target} already exists in workspace, not replacing."
        ));
        return Ok(None);
    }
    Ok(Some(out))
}

/// Renders the file `source` gives to `targetPath`, unless a file is there and `replace` is not
/// set (shared by `fetch:template:file` and `workspace:template:file`, Backstage's
/// `createTemplateFileActionHandler`).
fn render_file(
    ctx: &mut ActionContext<'_>,
    input: &Map<String, Value>,
    source: impl FnOnce(&mut ActionContext<'_>) -> Result<PathBuf, ActionError>,
) -> Result<Outputs, ActionError> {
    let Some(out) = target_unless_kept(ctx, input)? else {
        return Ok(Map::new());
    };
    let (src, out) = (&source(ctx)?, &out);
    let target = opt_str(input, "targetPath").unwrap_or_default();
    {
        let cookiecutter = opt_bool(input, "cookiecutterCompat", false);
        let values = input.get("values").cloned();
        ctx.info(
            match values.as_ref().map(|v| crate::runner::mask(v, ctx.secrets)) {
                Some(v) => format!("Processing template file with input values {v}"),
                None => "Processing template file with input values".to_string(),
            },
        );
        let engine = Engine::skeleton(SkeletonOptions {
            cookiecutter,
            trim_blocks: opt_bool(input, "trimBlocks", false),
            lstrip_blocks: opt_bool(input, "lstripBlocks", false),
        })
        .with_integration_hosts(ctx.services.config.integration_hosts());
        let bytes = crate::limits::read_file(src).map_err(|e| io_err("cannot read", src, e))?;
        let text = String::from_utf8_lossy(&bytes);
        let rendered = engine.render(&text, &skeleton_context(values, cookiecutter));
        let root = ws_real(ctx)?;
        let workspace = if src.starts_with(ctx.workspace) {
            ctx.workspace
        } else {
            &root
        };
        let rendered = rendered.map_err(|e| super::template::render_failed(e, src, workspace))?;
        if let Some(parent) = out.parent() {
            DirMaker::new(&root).ensure(parent, target)?;
        }
        if out
            .symlink_metadata()
            .map(|m| m.file_type().is_symlink())
            .unwrap_or(false)
        {
            workspace::check_within(&root, out, target)?;
        }
        // `fs.outputFile` without a mode: a new file gets 0666 minus the umask.
        super::file_io::write_with_mode(out, rendered.as_bytes(), 0o666)
            .map_err(|e| io_err("cannot write", out, e))?;
        ctx.info(format!(
            "Template file has been written to {}",
            out.display()
        ));
        Ok(Map::new())
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use serde_json::json;

    use super::{Plain, PlainFile, TemplateFile};
    use crate::actions::template::FetchTemplate;
    use crate::actions::testing::run;
    use crate::runner::Action;

    fn put(base: &Path, rel: &str, contents: &str) {
        let p = base.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, contents).unwrap();
    }

    fn setup() -> (tempfile::TempDir, std::path::PathBuf, std::path::PathBuf) {
        let d = tempfile::tempdir().unwrap();
        let tpl = d.path().join("tpl");
        let ws = d.path().join("ws");
        std::fs::create_dir_all(&tpl).unwrap();
        std::fs::create_dir_all(&ws).unwrap();
        (d, tpl, ws)
    }

    /// Runs `action` with `input`, which must succeed; returns the log.
    fn ok(action: &dyn Action, tpl: &Path, ws: &Path, input: serde_json::Value) -> Vec<String> {
        let (r, log) = run(action, ws, tpl, input);
        r.unwrap();
        log
    }

    fn text(ws: &Path, rel: &str) -> String {
        std::fs::read_to_string(ws.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
    }

    #[cfg(unix)]
    fn mode(p: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(p).unwrap().permissions().mode() & 0o7777
    }

    #[test]
    fn plain_copies_verbatim_and_overwrites() {
        let (_d, tpl, ws) = setup();
        put(&tpl, "files/a/${{ values.x }}.txt", "${{ values.x }}");
        put(&tpl, "files/run.sh", "#!/bin/sh\n");
        std::fs::create_dir_all(tpl.join("files/empty")).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let run_sh = tpl.join("files/run.sh");
            std::fs::set_permissions(run_sh, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        put(&ws, "out/run.sh", "old");
        ok(
            &Plain,
            &tpl,
            &ws,
            json!({"url": "./files", "targetPath": "out"}),
        );
        assert_eq!(text(&ws, "out/a/${{ values.x }}.txt"), "${{ values.x }}");
        assert_eq!(text(&ws, "out/run.sh"), "#!/bin/sh\n", "always overwrites");
        assert!(ws.join("out/empty").is_dir());
        #[cfg(unix)]
        assert_ne!(mode(&ws.join("out/run.sh")) & 0o111, 0);
        let (r, _) = run(
            &Plain,
            &ws,
            &tpl,
            json!({"url": "./files", "targetPath": "../escape"}),
        );
        assert!(r.is_err());
    }

    #[test]
    fn plain_file_copies_one_file_creating_folders() {
        let (_d, tpl, ws) = setup();
        put(&tpl, "LICENSE", "MIT ${{ x }}");
        let input = json!({"url": "./LICENSE", "targetPath": "legal/LICENSE.txt"});
        ok(&PlainFile, &tpl, &ws, input);
        assert_eq!(text(&ws, "legal/LICENSE.txt"), "MIT ${{ x }}");
        let (r, _) = run(
            &PlainFile,
            &ws,
            &tpl,
            json!({"url": ".", "targetPath": "x"}),
        );
        assert!(r.unwrap_err().message.contains("is a directory"));
    }

    #[test]
    fn template_file_renders_and_keeps_existing_files_unless_replace() {
        let (_d, tpl, ws) = setup();
        put(&tpl, "docs/index.md", "# ${{ values.title }}\n");
        let input = |title: &str, replace: bool| json!({"url": "./docs/index.md", "targetPath": "docs/index.md", "values": {"title": title}, "replace": replace});
        ok(&TemplateFile, &tpl, &ws, input("Hi", false));
        assert_eq!(text(&ws, "docs/index.md"), "# Hi\n");
        let log = ok(&TemplateFile, &tpl, &ws, input("Again", false));
        assert_eq!(text(&ws, "docs/index.md"), "# Hi\n");
        assert!(log
            .iter()
            .any(|l| l == "File docs/index.md already exists in workspace, not replacing."));
        ok(&TemplateFile, &tpl, &ws, input("Again", true));
        assert_eq!(text(&ws, "docs/index.md"), "# Again\n");
    }

    /// A binary larger than golden's read limit is copied (by the kernel, not through memory)
    /// byte for byte, with the source's mode exactly, as fs-extra `copy` does; it used to fail
    /// with the read limit's error.
    #[cfg(unix)]
    #[test]
    fn a_large_binary_is_copied_whole_with_its_exact_mode() {
        use std::io::{Read, Seek, SeekFrom, Write};
        use std::os::unix::fs::PermissionsExt;
        let (_d, tpl, ws) = setup();
        let len = crate::limits::MAX_READ_BYTES + 4096 + 7;
        let big = tpl.join("skeleton/assets/big.bin");
        std::fs::create_dir_all(big.parent().unwrap()).unwrap();
        let mut f = std::fs::File::create(&big).unwrap();
        f.write_all(b"\x89PNG\r\n\x1a\n\x00${{ values.x }}")
            .unwrap();
        f.set_len(len).unwrap(); // sparse: zeros between the marks
        for (at, mark) in [(len / 2, &b"middle"[..]), (len - 3, &b"end"[..])] {
            f.seek(SeekFrom::Start(at)).unwrap();
            f.write_all(mark).unwrap();
        }
        drop(f);
        std::fs::set_permissions(&big, std::fs::Permissions::from_mode(0o766)).unwrap();
        let input = json!({"url": "./skeleton", "values": {"x": 1}, "copyWithoutTemplating": ["assets/**"]});
        let (r, _) = run(&FetchTemplate, &ws, &tpl, input);
        r.unwrap();
        let out = ws.join("assets/big.bin");
        let meta = std::fs::metadata(&out).unwrap();
        assert_eq!(meta.len(), len);
        assert_eq!(
            meta.permissions().mode() & 0o7777,
            0o766,
            "the mode, umask or not"
        );
        let (mut a, mut b) = (
            std::fs::File::open(&big).unwrap(),
            std::fs::File::open(&out).unwrap(),
        );
        let (mut x, mut y) = (vec![0u8; 1 << 20], vec![0u8; 1 << 20]);
        loop {
            let n = a.read(&mut x).unwrap();
            b.read_exact(&mut y[..n]).unwrap();
            assert!(x[..n] == y[..n], "same bytes");
            if n == 0 {
                break;
            }
        }
    }
}
