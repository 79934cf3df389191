//! The template engine: the one place templates are rendered the way Backstage 4.3 renders them
//! (nunjitsu 0.7: `${{ }}` variables, `{% %}` blocks, `{# #}` comments, no autoescape, undefined
//! renders empty, Backstage's filters, JavaScript value semantics).
//!
//! How: `syntax.rs` reads the source exactly as nunjitsu does (scanner with whitespace control,
//! `trimBlocks`/`lstripBlocks`, `raw`/`verbatim`; tag and expression parsers with `===`, regex
//! literals, JS comparison chains); `emit.rs` translates that AST into minijinja source in which
//! every operator, lookup and test goes through a JavaScript-semantics helper (`ops.rs`); minijinja
//! runs it with only nunjucks' filters (`filters.rs`), Backstage's (`backstage.rs`) and the
//! whitelisted JS methods (`js.rs`). `value.rs` does the workflow coercion of SPEC §4.3.
//!
//! Two renderers exist, as in Backstage: [`Engine::workflow`] for step inputs, `if`, `each` and
//! `spec.output` (values keep their JSON type, see [`Engine::render_value`]), and
//! [`Engine::skeleton`] for skeleton files and names. Nothing here touches the disk.
//!
//! Known differences from nunjitsu: arrays that come from the context are not mutated by
//! `push`/`pop`/... (arrays written in the template are); objects compare by value, not identity,
//! under `===`.

mod backstage;
mod convert;
mod emit;
mod eval;
mod failure;
mod filters;
mod inspect;
mod js;
mod lint;
mod ops;
mod regex;
mod syntax;
mod text;
mod value;

use std::cell::RefCell;

use minijinja::syntax::SyntaxConfig;
use minijinja::{Environment, UndefinedBehavior, Value};

pub use convert::{is_truthy, to_json, to_value};
pub use syntax::{has_delimiter, Arg, Expr, Lit, Node, SyntaxError};
pub use value::FAILED_FLAG;

/// The filters of Backstage 4's engine, in nunjitsu's order: nunjucks' built-ins, then
/// Backstage's own (what "did you mean" picks from, here and in `golden validate`).
pub fn filter_names() -> impl Iterator<Item = &'static str> {
    failure::BUILTIN_FILTERS
        .iter()
        .chain(failure::BACKSTAGE_FILTERS)
        .copied()
}

/// Options of a skeleton renderer (inputs of `fetch:template`).
#[derive(Debug, Clone, Copy, Default)]
pub struct SkeletonOptions {
    /// `{{ }}` variables and the `cookiecutter` context instead of `${{ }}` and `values`.
    pub cookiecutter: bool,
    pub trim_blocks: bool,
    pub lstrip_blocks: bool,
}

/// A render failure with the line and column in the template's source (1-based, when known):
/// of the failing tag (`${{` or `{%`) for a failure while rendering, of the token for a syntax
/// error. Whitespace control does not move them.
#[derive(Debug, Clone)]
pub struct RenderError {
    pub message: String,
    pub line: Option<usize>,
    /// The column (for a syntax error also written at the end of the message, as nunjucks does).
    pub column: Option<usize>,
}

impl RenderError {
    /// The message without the ` (column N)` a syntax error ends with (for a caller that shows
    /// the column itself).
    pub fn reason(&self) -> &str {
        self.column
            .and_then(|c| self.message.strip_suffix(&format!(" (column {c})")))
            .unwrap_or(&self.message)
    }
}

impl std::fmt::Display for RenderError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(line) => write!(f, "line {line}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl From<minijinja::Error> for RenderError {
    fn from(e: minijinja::Error) -> Self {
        let mut message = e
            .detail()
            .map(str::to_string)
            .unwrap_or_else(|| e.kind().to_string());
        if e.detail().is_some() && e.kind() != minijinja::ErrorKind::InvalidOperation {
            message = format!("{}: {message}", e.kind());
        }
        RenderError {
            message,
            line: e.line(),
            column: None,
        }
    }
}

impl From<SyntaxError> for RenderError {
    fn from(e: SyntaxError) -> Self {
        RenderError {
            message: format!("{} (column {})", e.message, e.column),
            line: Some(e.line),
            column: Some(e.column),
        }
    }
}

/// A configured template environment: nunjucks source is parsed by `syntax.rs`, translated to
/// minijinja source by `emit.rs` and run by minijinja with JavaScript value semantics.
pub struct Engine {
    env: Environment<'static>,
    options: SkeletonOptions,
    /// Expressions this engine parsed lately (per thread).
    parsed: syntax::ExprCache,
}

impl Engine {
    /// The renderer for step inputs, `if`, `each`, `spec.output` and page `when`.
    pub fn workflow() -> Engine {
        let options = SkeletonOptions::default();
        Engine {
            env: environment(options, true),
            options,
            parsed: Default::default(),
        }
    }

    /// Declares the configured integrations' hosts (GitHub Enterprise, self-managed GitLab,
    /// Gitea), so `parseRepoUrl` and `projectSlug` accept them as Backstage's integrations do.
    pub fn with_integration_hosts(mut self, hosts: crate::backstage::repo_url::Hosts) -> Engine {
        backstage::register_with_hosts(&mut self.env, hosts);
        self
    }

    /// The renderer for skeleton files and paths of one `fetch:template*` step.
    pub fn skeleton(options: SkeletonOptions) -> Engine {
        Engine {
            env: environment(options, false),
            options,
            parsed: Default::default(),
        }
    }

    /// Renders `source` as text.
    pub fn render(&self, source: &str, ctx: &Value) -> Result<String, RenderError> {
        self.render_remembering(source, ctx, &RefCell::default())
    }

    /// This engine rendering every template against `ctx` (the files and names of one
    /// `fetch:template` step), remembering the values of expressions from one template to the
    /// next.
    pub fn bind<'a>(&'a self, ctx: &'a Value) -> Bound<'a> {
        Bound {
            engine: self,
            ctx,
            memo: Default::default(),
        }
    }

    fn render_remembering(
        &self,
        source: &str,
        ctx: &Value,
        memo: &RefCell<eval::Memo>,
    ) -> Result<String, RenderError> {
        let mut out = String::new();
        self.render_remembering_into(source, ctx, memo, &mut out)?;
        Ok(out)
    }

    /// [`Engine::render_remembering`] into `out` (emptied first), so a caller rendering many
    /// files reuses one buffer.
    fn render_remembering_into(
        &self,
        source: &str,
        ctx: &Value,
        memo: &RefCell<eval::Memo>,
        out: &mut String,
    ) -> Result<(), RenderError> {
        out.clear();
        if !self.may_contain_syntax(source) {
            out.push_str(source);
            return Ok(());
        }
        let nodes = self.parse_nodes(source)?;
        self.render_text_into(&nodes, ctx, Some(source), memo, out)
    }

    /// Renders parsed `nodes` as text into the empty `out`: by the direct evaluator when it
    /// handles them, else through minijinja.
    fn render_text_into(
        &self,
        nodes: &[syntax::Node],
        ctx: &Value,
        source: Option<&str>,
        memo: &RefCell<eval::Memo>,
        out: &mut String,
    ) -> Result<(), RenderError> {
        // Output is usually about as long as its source (values take the place of tags); a
        // workflow string (no source here) is short enough to grow as it goes.
        if let Some(s) = source {
            out.reserve(s.len() + s.len() / 8 + 256);
        }
        if eval::render(nodes, ctx, self.options.cookiecutter, memo, out).is_err() {
            *out = self.render_general_in(nodes, ctx, false, source)?;
        }
        Ok(())
    }

    /// The parsed nunjucks tree of `source` (what the engine renders; the linter walks it), once
    /// it is checked to hold nothing Backstage is sure to fail on whatever the values (see
    /// `lint.rs`). Text without any delimiter is one text node.
    pub fn parse_tree<'s>(&self, source: &'s str) -> Result<Vec<Node<'s>>, RenderError> {
        if !self.may_contain_syntax(source) {
            return Ok(vec![Node::Text(source.into())]);
        }
        let nodes = self.parse_nodes(source)?;
        if let Some(message) = lint::problem(&nodes) {
            return Err(RenderError {
                message,
                line: None,
                column: None,
            });
        }
        let emitted = emit::template(&nodes, self.options.cookiecutter, false);
        self.env
            .template_from_str(&emitted)
            .map_err(RenderError::from)?;
        Ok(nodes)
    }

    /// Renders one workflow string the way Backstage's runner does (SPEC §4.3):
    /// `Ok(Some(v))` is the value (JSON-typed when the string is a single expression or block),
    /// `Ok(None)` means undefined or empty (the key is dropped), and `Err` means rendering threw
    /// (the caller keeps the literal string).
    pub fn render_value(
        &self,
        source: &str,
        ctx: &Value,
    ) -> Result<Option<serde_json::Value>, RenderError> {
        value::render_value(self, source, ctx)
    }

    /// Renders every string in a JSON tree (object keys are never rendered). Keys whose value is
    /// undefined are dropped; strings whose rendering throws are kept as written.
    pub fn render_tree(&self, tree: &serde_json::Value, ctx: &Value) -> Option<serde_json::Value> {
        value::render_tree(self, tree, ctx)
    }

    /// False when `source` has no delimiter at all, so it renders to itself.
    fn may_contain_syntax(&self, source: &str) -> bool {
        syntax::has_delimiter(source, self.options.cookiecutter)
    }

    fn parse_nodes<'s>(&self, source: &'s str) -> Result<Vec<syntax::Node<'s>>, RenderError> {
        let opts = syntax::ScanOptions {
            cookiecutter: self.options.cookiecutter,
            trim_blocks: self.options.trim_blocks,
            lstrip_blocks: self.options.lstrip_blocks,
        };
        Ok(syntax::parse_template(source, opts, &self.parsed)?)
    }

    /// Renders parsed workflow `nodes` (as JSON text when `json`).
    fn render_nodes(
        &self,
        nodes: &[syntax::Node],
        ctx: &Value,
        json: bool,
    ) -> Result<String, RenderError> {
        if json {
            return self.render_general_in(nodes, ctx, true, None);
        }
        let mut out = String::new();
        self.render_text_into(nodes, ctx, None, &RefCell::default(), &mut out)?;
        Ok(out)
    }

    /// Renders `nodes` through minijinja (what the direct evaluator does not handle, and every
    /// failure, with its message and place).
    fn render_general_in(
        &self,
        nodes: &[syntax::Node],
        ctx: &Value,
        json: bool,
        source: Option<&str>,
    ) -> Result<String, RenderError> {
        let (emitted, spans) = emit::template_with_spans(nodes, self.options.cookiecutter, json);
        self.env
            .render_str(&emitted, ctx.clone())
            .map_err(|e| failure::located(e, &emitted, &spans, source, self.options.cookiecutter))
    }

    /// [`Engine::render`] always through minijinja (tests compare it with the direct evaluator).
    #[cfg(test)]
    fn render_general(&self, source: &str, ctx: &Value) -> Result<String, RenderError> {
        let nodes = self.parse_nodes(source)?;
        let emitted = emit::template(&nodes, self.options.cookiecutter, false);
        Ok(self.env.render_str(&emitted, ctx.clone())?)
    }

    fn eval_expr(&self, expr: &syntax::Expr, ctx: &Value) -> Result<Value, RenderError> {
        if let Ok(v) = eval::expr(expr, ctx, self.options.cookiecutter) {
            return Ok(v);
        }
        let emitted = emit::expression(expr, self.options.cookiecutter);
        let compiled = self.env.compile_expression(&emitted)?;
        Ok(compiled.eval(ctx.clone())?)
    }
}

/// An [`Engine`] rendering against one context ([`Engine::bind`]); the values of expressions
/// are remembered per thread, files rendering in parallel.
pub struct Bound<'a> {
    engine: &'a Engine,
    ctx: &'a Value,
    memo: thread_local::ThreadLocal<RefCell<eval::Memo>>,
}

impl Bound<'_> {
    /// [`Engine::render`] against the bound context.
    pub fn render(&self, source: &str) -> Result<String, RenderError> {
        let memo = self.memo.get_or_default();
        self.engine.render_remembering(source, self.ctx, memo)
    }

    /// [`Bound::render`] into `out` (emptied first; a buffer reused from file to file).
    pub fn render_into(&self, source: &str, out: &mut String) -> Result<(), RenderError> {
        let memo = self.memo.get_or_default();
        self.engine
            .render_remembering_into(source, self.ctx, memo, out)
    }
}

fn environment(options: SkeletonOptions, workflow: bool) -> Environment<'static> {
    let mut env = Environment::empty();
    let mut syntax = SyntaxConfig::builder();
    syntax
        .variable_delimiters(emit::VAR_START, emit::VAR_END)
        .block_delimiters(emit::BLOCK_START, emit::BLOCK_END)
        .comment_delimiters(emit::COMMENT_START, emit::COMMENT_END);
    syntax.keep_trailing_newline(true);
    env.set_syntax(syntax.build().expect("valid delimiters"));
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
    env.set_undefined_behavior(UndefinedBehavior::Chainable);
    env.set_recursion_limit(500);
    env.set_formatter(js::format);
    let cookiecutter = options.cookiecutter;
    env.set_unknown_method_callback(move |_state, value, method, args| {
        js::call_method(value, method, args, cookiecutter)
    });
    js::register(&mut env, options.cookiecutter);
    ops::register(&mut env);
    filters::register(&mut env);
    backstage::register(&mut env);
    env.add_function("range", globals_range);
    if workflow {
        value::register_status_functions(&mut env);
    }
    env
}

/// nunjucks' `range(start, stop, step)`. More than 100,000 items fail as in Backstage (nunjitsu's
/// container limit, or its work limit past 1,000,000).
fn globals_range(args: minijinja::value::Rest<Value>) -> Result<Value, minijinja::Error> {
    let n: Vec<f64> = args.iter().map(ops::to_number).collect();
    let (start, stop, step) = match n.as_slice() {
        [stop] => (0.0, *stop, 1.0),
        [start, stop] => (*start, *stop, 1.0),
        [start, stop, step, ..] => (
            *start,
            *stop,
            if *step == 0.0 || step.is_nan() {
                1.0
            } else {
                *step
            },
        ),
        [] => (0.0, 0.0, 1.0),
    };
    let mut i = start;
    ops::bounded_array(|| {
        let more = (step > 0.0 && i < stop) || (step < 0.0 && i > stop);
        let item = more.then(|| ops::num(i));
        i += step;
        item
    })
}

/// Evaluates an `if:` (literal boolean, or a string rendered as a workflow value).
pub fn condition_holds(
    engine: &Engine,
    cond: &serde_json::Value,
    ctx: &serde_json::Map<String, serde_json::Value>,
) -> bool {
    match cond {
        serde_json::Value::String(_) => condition_holds_in(
            engine,
            cond,
            &to_value(&serde_json::Value::Object(ctx.clone())),
        ),
        other => is_truthy(Some(other)),
    }
}

/// [`condition_holds`] with a context already converted for the engine.
pub fn condition_holds_in(engine: &Engine, cond: &serde_json::Value, ctx: &Value) -> bool {
    match cond {
        serde_json::Value::String(s) => match engine.render_value(s, ctx) {
            Ok(v) => is_truthy(v.as_ref()),
            Err(_) => !s.is_empty(),
        },
        other => is_truthy(Some(other)),
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod conformance_check;

#[cfg(test)]
mod location_tests;
