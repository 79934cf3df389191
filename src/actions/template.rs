//! `fetch:template`: renders a skeleton directory into the workspace the way Backstage 4.3.0's
//! `createTemplateActionHandler` does. Every entry's path is rendered as a whole (a path that
//! renders empty, starts with `/` or contains `//` is skipped); file contents are rendered unless
//! they match `copyWithoutTemplating` or, with `templateFileExtension`, lack the extension;
//! binary files and symlinks are copied as they are; file modes are kept; existing files are
//! skipped unless `replace`. Paths are decided in skeleton order, then files are rendered and
//! written in parallel.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde_json::{Map, Value};

use super::file_io::{
    copy_exact, read_skeleton_file, write_file_as, write_file_in, Contents, Folder,
};
use super::glob::Patterns;
use super::source::{self, Expect};
use super::{opt_bool, opt_str, schemas};
use crate::render::{self, Engine, SkeletonOptions};
use crate::runner::{Action, ActionContext, ActionError, Outputs};
use crate::workspace;

/// The hasher of the per-entry maps: paths are hashed once or twice per skeleton entry, where
/// std's SipHash cost more than the look-up itself.
type Fast = foldhash::fast::RandomState;

pub struct FetchTemplate;

impl Action for FetchTemplate {
    fn id(&self) -> &'static str {
        "fetch:template"
    }
    fn description(&self) -> &'static str {
        "Renders a skeleton directory (names and contents) into the workspace or a targetPath"
    }
    fn input_schema(&self) -> Value {
        schemas::input(self.id())
    }
    fn run(
        &self,
        ctx: &mut ActionContext<'_>,
        input: &Map<String, Value>,
    ) -> Result<Outputs, ActionError> {
        let url = opt_str(input, "url").unwrap_or(".");
        let settings = Settings::from_input(input)?;
        ctx.info("Fetching template content from remote URL");
        let src = source::resolve(ctx, url, Expect::Dir)?;
        render_tree(ctx, input, &src, settings)
    }
}

/// `workspace:template`: `fetch:template` with a skeleton already in the workspace
/// (`sourcePath`), rendered into `targetPath` (which must not lie within it).
pub struct WorkspaceTemplate;

impl Action for WorkspaceTemplate {
    fn id(&self) -> &'static str {
        "workspace:template"
    }
    fn description(&self) -> &'static str {
        "Renders a directory of the workspace (names and contents) into another one"
    }
    fn input_schema(&self) -> Value {
        schemas::input(self.id())
    }
    fn run(
        &self,
        ctx: &mut ActionContext<'_>,
        input: &Map<String, Value>,
    ) -> Result<Outputs, ActionError> {
        let settings = Settings::from_input(input)?;
        let source = opt_str(input, "sourcePath").unwrap_or_default();
        let src = workspace::safe_join(ctx.workspace, source)?;
        let target = opt_str(input, "targetPath").unwrap_or("./");
        let out_dir = workspace::safe_join(ctx.workspace, target)?;
        // backend-plugin-api's isChildPath: the same path counts as a child
        if out_dir.starts_with(&src) {
            return Err(ActionError::new(
                "targetPath must not be within template path",
            ));
        }
        let src = std::fs::canonicalize(&src).map_err(|e| {
            ActionError::new(format!("cannot read the workspace folder `{source}`: {e}"))
        })?;
        render_tree(ctx, input, &src, settings)
    }
}

/// Renders the skeleton `src` into `targetPath` (the part shared by `fetch:template` and
/// `workspace:template`, Backstage's `createTemplateActionHandler`).
fn render_tree(
    ctx: &mut ActionContext<'_>,
    input: &Map<String, Value>,
    src: &Path,
    settings: Settings,
) -> Result<Outputs, ActionError> {
    {
        let src = src.to_path_buf();
        let target = opt_str(input, "targetPath").unwrap_or("./");
        let out_dir = workspace::safe_join(ctx.workspace, target)?;
        let ws_real = std::fs::canonicalize(ctx.workspace)
            .map_err(|e| ActionError::new(format!("cannot resolve the workspace: {e}")))?;
        if input.contains_key("copyWithoutRender") {
            ctx.info("warning: copyWithoutRender is ignored by Backstage 4 (use copyWithoutTemplating); contents are rendered");
        }
        ctx.info("Listing files and directories in template");
        let entries = list_entries(&src, &ws_real)?;
        let copy_only = Patterns::new(&settings.copy_only, &src).map_err(ActionError::new)?;
        let values = input.get("values").cloned();
        let masked = values.as_ref().map(|v| crate::runner::mask(v, ctx.secrets));
        ctx.info(match &masked {
            Some(v) => format!(
                "Processing {} template files/directories with input values {v}",
                entries.len()
            ),
            None => format!(
                "Processing {} template files/directories with input values",
                entries.len()
            ),
        });
        let engine = Engine::skeleton(SkeletonOptions {
            cookiecutter: settings.cookiecutter,
            trim_blocks: opt_bool(input, "trimBlocks", false),
            lstrip_blocks: opt_bool(input, "lstripBlocks", false),
        })
        .with_integration_hosts(ctx.services.config.integration_hosts());
        let context = skeleton_context(values, settings.cookiecutter);
        let job = Job {
            renderer: &engine.bind(&context),
            buffers: Default::default(),
            src: &src,
            out_dir: &out_dir,
            ws_real: &ws_real,
        };
        let plan = job.plan(&entries, &copy_only, &settings)?;
        job.write(&entries, plan, ctx)?;
        ctx.info(format!("Template result written to {}", out_dir.display()));
        Ok(Map::new())
    }
}

/// The `{values}` (or `{cookiecutter}`) context of skeleton rendering.
pub fn skeleton_context(values: Option<Value>, cookiecutter: bool) -> minijinja::Value {
    let mut m = Map::new();
    if let Some(v) = values {
        m.insert(
            if cookiecutter {
                "cookiecutter"
            } else {
                "values"
            }
            .to_string(),
            v,
        );
    }
    render::to_value(&Value::Object(m))
}

struct Settings {
    copy_only: Vec<String>,
    cookiecutter: bool,
    extension: Option<String>,
    replace: bool,
}

impl Settings {
    fn from_input(input: &Map<String, Value>) -> Result<Settings, ActionError> {
        let copy_only: Vec<String> = match input.get("copyWithoutTemplating") {
            None => Vec::new(),
            Some(Value::Array(a)) => a
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect(),
            Some(_) => {
                return Err(ActionError::new(
                    "Fetch action input copyWithoutTemplating must be an Array",
                ))
            }
        };
        let cookiecutter = opt_bool(input, "cookiecutterCompat", false);
        let extension = file_extension(input);
        if extension.is_some() && (input.contains_key("copyWithoutTemplating") || cookiecutter) {
            return Err(ActionError::new(
                "Fetch action input extension incompatible with copyWithoutTemplating and cookiecutterCompat",
            ));
        }
        Ok(Settings {
            copy_only,
            cookiecutter,
            extension,
            replace: opt_bool(input, "replace", false),
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Dir,
    File,
    Symlink,
}

/// One skeleton entry: globby's `location`, its path relative to the skeleton (directories end
/// with `/`), and its kind.
struct Entry {
    location: String,
    kind: Kind,
}

impl Entry {
    /// The path relative to the skeleton, without the trailing slash of directories.
    fn rel(&self) -> &str {
        if self.kind == Kind::Dir {
            &self.location[..self.location.len() - 1]
        } else {
            &self.location
        }
    }
}

/// Every entry under `src`, breadth first (globby's order), symlinks not followed. The workspace
/// itself is left out when it lies inside the skeleton.
fn list_entries(src: &Path, ws_real: &Path) -> Result<Vec<Entry>, ActionError> {
    // The walk lists depth first in name order; globby's order is that order stably sorted by
    // depth: one list per depth, joined.
    let mut levels: Vec<Vec<Entry>> = Vec::new();
    super::walk::each_entry(src, ws_real, "cannot list the skeleton", |e| {
        let mut location = e.rel;
        let kind = if e.file_type.is_symlink() {
            Kind::Symlink
        } else if e.file_type.is_dir() {
            location.push('/');
            Kind::Dir
        } else {
            Kind::File
        };
        if levels.len() < e.depth {
            levels.resize_with(e.depth, Vec::new);
        }
        levels[e.depth - 1].push(Entry { location, kind });
        Ok(())
    })?;
    let mut entries = Vec::with_capacity(levels.iter().map(Vec::len).sum());
    for level in levels {
        entries.extend(level);
    }
    Ok(entries)
}

/// Where an entry goes, and what is there now.
struct Target {
    out: PathBuf,
    render_contents: bool,
    on_disk: bool,
    is_link: bool,
}

/// One planned write: the skeleton entry (an index into the listing) and where it goes.
/// `verbatim`: matched by `copyWithoutTemplating` (logged as such); `is_link`: the output path
/// is an existing symlink (checked before writing through it).
struct Op {
    entry: usize,
    out: PathBuf,
    render: bool,
    verbatim: bool,
    is_link: bool,
}

/// The log line of a file copied as it is.
fn binary_line(location: &str) -> String {
    format!("Copying file binary or symbolic link at {location}, to template output path.")
}

/// A log line, or the place of a file's line (known once the file is written).
enum Log {
    Line(String),
    File(usize),
}

/// A skeleton file (or name) that failed to render: Backstage's message, at the file's line and
/// column (a file in the workspace is named relative to it, as the workspace is temporary).
pub fn render_failed(e: render::RenderError, file: &Path, ws_real: &Path) -> ActionError {
    let location = match file.strip_prefix(ws_real) {
        Ok(rel) => crate::error::Location::Other(match (e.line, e.column) {
            (Some(l), Some(c)) => format!("{}:{l}:{c} (in the workspace)", rel.display()),
            _ => format!("{} (in the workspace)", rel.display()),
        }),
        Err(_) => crate::error::Location::File {
            path: file.to_path_buf(),
            line: e.line,
            column: e.column,
        },
    };
    // The column is in the location; nunjucks' ` (column N)` suffix of a syntax error goes.
    let suffix = e
        .column
        .map(|c| format!(" (column {c})"))
        .unwrap_or_default();
    let message = match e.message.strip_suffix(&suffix) {
        Some(m) if !suffix.is_empty() => m.to_string(),
        _ => e.message,
    };
    ActionError::new(message).at(location)
}

struct Job<'a> {
    /// The step's engine bound to its `{values}` context.
    renderer: &'a render::Bound<'a>,
    /// Each thread's buffers, reused from file to file.
    buffers: thread_local::ThreadLocal<RefCell<Buffers>>,
    src: &'a Path,
    out_dir: &'a Path,
    ws_real: &'a Path,
}

/// A file's bytes as read, and its rendered text.
#[derive(Default)]
struct Buffers {
    input: Vec<u8>,
    output: String,
}

/// Whether `text` needs the engine: a tag opens with `{`, and a stray `#}` is nunjitsu's
/// "Unexpected end of comment" even in text without any `{`.
fn may_hold_syntax(text: &str) -> bool {
    text.contains('{') || text.contains("#}")
}

impl Job<'_> {
    fn render_path<'t>(&self, location: &'t str) -> Result<Cow<'t, str>, ActionError> {
        if !may_hold_syntax(location) {
            return Ok(Cow::Borrowed(location));
        }
        self.renderer
            .render(location)
            .map(Cow::Owned)
            .map_err(|e| render_failed(e, &self.src.join(location), self.ws_real))
    }

    /// Where one entry goes (`None`: its path renders to nothing usable and it is skipped).
    fn target(
        &self,
        e: &Entry,
        copy_only: &Patterns,
        settings: &Settings,
        fresh: bool,
    ) -> Result<Option<Target>, ActionError> {
        let mut out = e.location.as_str();
        let render_contents;
        if let Some(ext) = &settings.extension {
            render_contents = extname(out) == ext.as_str();
            if render_contents {
                out = &out[..out.len() - ext.len()];
            }
        } else {
            render_contents = copy_only.is_empty() || !copy_only.is_match(e.rel());
        }
        let out_rel = self.render_path(out)?;
        if out_rel.is_empty() || out_rel.starts_with('/') || out_rel.contains("//") {
            return Ok(None);
        }
        let out = workspace::join_lexical(self.out_dir, &out_rel)?;
        // `fs.existsSync` follows links: a dangling link does not exist (it is checked before
        // anything is written through it).
        let (on_disk, is_link) = if fresh {
            (false, false)
        } else {
            match out.symlink_metadata() {
                Ok(m) if m.file_type().is_symlink() => (std::fs::metadata(&out).is_ok(), true),
                Ok(_) => (true, false),
                Err(_) => (false, false),
            }
        };
        Ok(Some(Target {
            out,
            render_contents,
            on_disk,
            is_link,
        }))
    }

    /// Decides, in skeleton order, where each entry goes and whether it is written at all.
    fn plan(
        &self,
        entries: &[Entry],
        copy_only: &Patterns,
        settings: &Settings,
    ) -> Result<Vec<Op>, ActionError> {
        // Rendering names and looking at the target paths is independent per entry (nothing is
        // written while planning): do it in parallel, then decide in skeleton order. Into an
        // empty (or missing) output directory nothing exists yet: no need to look.
        let fresh = std::fs::read_dir(self.out_dir).map_or(true, |mut d| d.next().is_none());
        // Errors boxed: one slot per entry stays small (100,000 entries in a large skeleton).
        let prepared: Vec<Result<Option<Target>, Box<ActionError>>> = entries
            .par_iter()
            .map(|e| self.target(e, copy_only, settings, fresh).map_err(Box::new))
            .collect();
        // The first failure in skeleton order, as a sequential run would give.
        let mut targets = prepared
            .into_iter()
            .collect::<Result<Vec<Option<Target>>, Box<ActionError>>>()
            .map_err(|e| *e)?;
        // Output path -> slot of the op writing it (with `replace`, a later entry wins). Keys
        // borrow the targets (join_lexical's paths are normalised, so bytes compare as paths).
        let mut slots: Vec<Option<usize>> = Vec::new();
        {
            let mut planned: HashMap<&std::ffi::OsStr, usize, Fast> =
                HashMap::with_capacity_and_hasher(targets.len(), Fast::default());
            for (i, t) in targets.iter().enumerate() {
                let Some(t) = t else { continue };
                let earlier = planned.get(t.out.as_os_str()).copied();
                if (earlier.is_some() || t.on_disk) && !settings.replace {
                    continue;
                }
                if let Some(slot) = earlier {
                    // Overwritten by this entry, as Backstage's sequential writes do.
                    if entries[i].kind != Kind::Dir
                        && slots[slot].is_some_and(|j| entries[j].kind != Kind::Dir)
                    {
                        slots[slot] = None;
                    }
                }
                planned.insert(t.out.as_os_str(), slots.len());
                slots.push(Some(i));
            }
        }
        Ok(slots
            .into_iter()
            .flatten()
            .filter_map(|i| {
                let t = targets[i].take()?;
                Some(Op {
                    entry: i,
                    out: t.out,
                    render: t.render_contents,
                    verbatim: !t.render_contents && settings.extension.is_none(),
                    is_link: t.is_link,
                })
            })
            .collect())
    }

    /// Creates directories and links in order, then renders and writes files in parallel. Log
    /// lines come out in skeleton order, as Backstage writes them (only when the step keeps its
    /// log: see [`ActionContext::keep_log`]).
    fn write(
        &self,
        entries: &[Entry],
        ops: Vec<Op>,
        ctx: &mut ActionContext<'_>,
    ) -> Result<(), ActionError> {
        let keep = ctx.keep_log;
        let mut dirs = DirMaker::new(self.ws_real);
        let mut files = Vec::new();
        let mut log = Vec::new();
        for op in ops {
            let entry = &entries[op.entry];
            let location = entry.location.as_str();
            if op.verbatim && keep {
                log.push(Log::Line(format!(
                    "Copying file/directory {location} without processing."
                )));
            }
            match entry.kind {
                Kind::Dir => {
                    if keep {
                        log.push(Log::Line(format!(
                            "Writing directory {location} to template output path."
                        )));
                    }
                    dirs.ensure(&op.out, location)?;
                }
                Kind::Symlink => {
                    if keep {
                        log.push(Log::Line(binary_line(location)));
                    }
                    if let Some(parent) = op.out.parent() {
                        dirs.ensure(parent, location)?;
                    }
                    let src = self.src.join(entry.rel());
                    copy_link(&src, &op.out, self.ws_real, location)?;
                }
                Kind::File => {
                    if let Some(parent) = op.out.parent() {
                        dirs.ensure(parent, location)?;
                    }
                    if keep {
                        log.push(Log::File(files.len()));
                    }
                    files.push(op);
                }
            }
        }
        // Opened now that the output folder exists.
        let (src, out) = (Folder::open(self.src), Folder::open(self.out_dir));
        let folders = Folders {
            src: &src,
            out: &out,
        };
        // Errors boxed, as in the plan: one small slot per file.
        let results: Vec<Result<Option<String>, Box<ActionError>>> = files
            .par_iter()
            .map(|op| {
                let entry = &entries[op.entry];
                self.write_file(entry.rel(), op, keep, &folders)
                    .map_err(Box::new)
            })
            .collect();
        drop(files);
        // The first failure in skeleton order.
        let mut lines = results
            .into_iter()
            .collect::<Result<Vec<Option<String>>, Box<ActionError>>>()
            .map_err(|e| *e)?;
        for l in log {
            match l {
                Log::Line(s) => ctx.info(s),
                Log::File(i) => ctx.info(lines[i].take().unwrap_or_default()),
            }
        }
        Ok(())
    }

    /// Writes one file and returns its log line (when `keep`).
    fn write_file(
        &self,
        location: &str,
        op: &Op,
        keep: bool,
        folders: &Folders,
    ) -> Result<Option<String>, ActionError> {
        let io = |what: &str, p: &Path, e: std::io::Error| {
            ActionError::new(format!("{what} `{}`: {e}", p.display()))
        };
        let out = op.out.as_path();
        // The final component may be an existing symlink: it must not lead out of the workspace.
        if op.is_link {
            workspace::check_within(self.ws_real, out, location)?;
        }
        // The whole source path, only for messages.
        let src = || self.src.join(location);
        let mut buffers = self.buffers.get_or_default().borrow_mut();
        let Buffers {
            input: bytes,
            output,
        } = &mut *buffers;
        let (contents, mode) = read_skeleton_file(folders.src, location, bytes)
            .map_err(|e| io("cannot read", &src(), e))?;
        // Written through the output folder when `out` lies in it (it always does, spelled
        // the way join_lexical spells it), else by its whole path.
        let write = |data: &[u8], exact: bool| {
            match rel_under(self.out_dir, out) {
                Some(rel) => write_file_in(folders.out, rel, data, mode, exact),
                None => write_file_as(out, data, mode, exact),
            }
            .map_err(|e| io("cannot write", out, e))
        };
        match contents {
            Contents::Text => {}
            // fs-extra `copy`: the bytes as they are, and the source's mode.
            Contents::Binary => {
                write(bytes, true)?;
                return Ok(keep.then(|| binary_line(location)));
            }
            Contents::LargeBinary(file, len) => {
                copy_exact(&file, len, out, mode).map_err(|e| io("cannot write", out, e))?;
                return Ok(keep.then(|| binary_line(location)));
            }
        };
        // `fs.readFile(.., 'utf-8')`: invalid sequences become U+FFFD. Validating first (SIMD)
        // is much faster than the lossy decoder on the usual valid file.
        let text = match simdutf8::basic::from_utf8(bytes) {
            Ok(s) => Cow::Borrowed(s),
            Err(_) => String::from_utf8_lossy(bytes),
        };
        let contents = if op.render && may_hold_syntax(&text) {
            self.renderer
                .render_into(&text, output)
                .map_err(|e| render_failed(e, &src(), self.ws_real))?;
            output.as_str()
        } else {
            &text
        };
        write(contents.as_bytes(), false)?;
        Ok(keep
            .then(|| format!("Writing file {location} to template output path with mode {mode}.")))
    }
}

/// The skeleton folder and the output folder, opened for the files of one step.
struct Folders<'a> {
    src: &'a Folder<'a>,
    out: &'a Folder<'a>,
}

/// `path` relative to `base`, when `path` is `base` followed by `/` and a UTF-8 rest.
fn rel_under<'p>(base: &Path, path: &'p Path) -> Option<&'p str> {
    let base = base.as_os_str().as_encoded_bytes();
    let rest = path.as_os_str().as_encoded_bytes().strip_prefix(base)?;
    let rest = if base.ends_with(b"/") {
        rest
    } else {
        rest.strip_prefix(b"/")?
    };
    std::str::from_utf8(rest).ok().filter(|r| !r.is_empty())
}

/// `path.extname`: the extension of the last component, with its dot (`""` for dotfiles).
fn extname(p: &str) -> &str {
    let name = p.trim_end_matches('/');
    let base = name.rsplit('/').next().unwrap_or(name);
    match base.rfind('.') {
        Some(0) | None => "",
        Some(i) => &base[i..],
    }
}

/// Creates directories inside the workspace, checking each new one once.
pub struct DirMaker<'a> {
    root: &'a Path,
    /// Directories known to be real directories inside the root (checked, or created here),
    /// by their bytes (hashing a `Path` walks its components; a path spelled another way is
    /// only a miss, checked the long way).
    done: HashSet<OsString, Fast>,
    /// The directory ensured last (files come folder by folder: usually the same one again).
    last: OsString,
}

impl<'a> DirMaker<'a> {
    pub fn new(root: &'a Path) -> Self {
        DirMaker {
            root,
            done: HashSet::default(),
            last: OsString::new(),
        }
    }
    /// Creates `dir` and its parents after checking that no symlink leads them outside the root.
    pub fn ensure(&mut self, dir: &Path, shown: &str) -> Result<(), ActionError> {
        if self.last == dir.as_os_str() {
            return Ok(());
        }
        if self.done.contains(dir.as_os_str()) {
            self.last.clear();
            self.last.push(dir);
            return Ok(());
        }
        // Under a directory already known to be real and inside, a directory that `mkdir`
        // creates is one too: no path resolution needed. Anything already there is checked.
        if dir
            .parent()
            .is_some_and(|p| self.done.contains(p.as_os_str()))
            && std::fs::create_dir(dir).is_ok()
        {
            self.done.insert(dir.as_os_str().to_owned());
            return Ok(());
        }
        workspace::check_within(self.root, dir, shown)?;
        std::fs::create_dir_all(dir)
            .map_err(|e| ActionError::new(format!("cannot create `{}`: {e}", dir.display())))?;
        // Its ancestors inside the root resolve inside it too.
        for a in dir.ancestors().take_while(|a| a.starts_with(self.root)) {
            if !self.done.insert(a.as_os_str().to_owned()) {
                break;
            }
        }
        Ok(())
    }
}

/// Copies a symlink as a symlink (fs-extra `copy`), refusing links that lead out of the workspace.
pub fn copy_link(src: &Path, out: &Path, ws_real: &Path, shown: &str) -> Result<(), ActionError> {
    let target = std::fs::read_link(src)
        .map_err(|e| ActionError::new(format!("cannot read the link `{}`: {e}", src.display())))?;
    let parent = out.parent().unwrap_or(ws_real);
    let resolved = workspace::join_lexical(Path::new("/"), &parent.join(&target).to_string_lossy())
        .unwrap_or_default();
    if target.is_absolute() || !resolved.starts_with(ws_real) {
        return Err(ActionError::new(format!(
            "the symlink `{shown}` points outside the workspace (to `{}`); golden does not write links that lead out of the project",
            target.display()
        ))
        .with_hint("make the link relative and pointing inside the skeleton, or replace it by the file it points to"));
    }
    if let Ok(m) = out.symlink_metadata() {
        if m.is_dir() {
            return Err(ActionError::new(format!(
                "cannot copy the symlink `{shown}`: `{}` is a directory",
                out.display()
            )));
        }
        std::fs::remove_file(out)
            .map_err(|e| ActionError::new(format!("cannot replace `{}`: {e}", out.display())))?;
    }
    #[cfg(unix)]
    std::os::unix::fs::symlink(&target, out).map_err(|e| {
        ActionError::new(format!("cannot create the link `{}`: {e}", out.display()))
    })?;
    #[cfg(not(unix))]
    std::fs::copy(src, out)
        .map_err(|e| ActionError::new(format!("cannot copy `{}`: {e}", src.display())))?;
    if let Err(e) = workspace::check_within(ws_real, out, shown) {
        let _ = std::fs::remove_file(out);
        return Err(e.into());
    }
    Ok(())
}

/// `templateFileExtension`: `true` is `.njk`, a string gets a leading `.`; `None` when files are
/// rendered whatever their name (`fetch:template` and `golden validate` read it the same way).
pub(crate) fn file_extension(input: &serde_json::Map<String, Value>) -> Option<String> {
    match input.get("templateFileExtension") {
        Some(Value::Bool(true)) => Some(".njk".to_string()),
        Some(Value::String(s)) if !s.is_empty() => Some(if s.starts_with('.') {
            s.clone()
        } else {
            format!(".{s}")
        }),
        _ => None,
    }
}

#[cfg(test)]
#[path = "template_tests.rs"]
mod tests;
