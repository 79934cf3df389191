//! The template engine: the one place a minijinja `Environment` is configured the way Backstage
//! configures nunjucks/nunjitsu (`${{ }}` variables, `{% %}` blocks, `{# #}` comments, no
//! autoescape, undefined renders empty, Backstage's filters, JavaScript value semantics).
//!
//! Two renderers exist, as in Backstage: [`Engine::workflow`] for step inputs, `if`, `each` and
//! `spec.output` (values keep their JSON type, see [`Engine::render_value`]), and
//! [`Engine::skeleton`] for skeleton files and names. Nothing here touches the disk.

mod filters;
mod inspect;
mod js;
mod value;

use minijinja::syntax::SyntaxConfig;
use minijinja::{Environment, UndefinedBehavior, Value};

pub use value::{is_truthy, to_json, to_value, FAILED_FLAG};

/// Options of a skeleton renderer (inputs of `fetch:template`).
#[derive(Debug, Clone, Copy, Default)]
pub struct SkeletonOptions {
    /// `{{ }}` variables and the `cookiecutter` context instead of `${{ }}` and `values`.
    pub cookiecutter: bool,
    pub trim_blocks: bool,
    pub lstrip_blocks: bool,
}

/// A render failure with the line and column in the rendered text (1-based, when known).
#[derive(Debug, Clone)]
pub struct RenderError {
    pub message: String,
    pub line: Option<usize>,
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
        let mut message = e.detail().map(str::to_string).unwrap_or_else(|| e.kind().to_string());
        if e.detail().is_some() {
            message = format!("{}: {message}", e.kind());
        }
        RenderError { message, line: e.line() }
    }
}

/// A configured template environment.
pub struct Engine {
    env: Environment<'static>,
}

impl Engine {
    /// The renderer for step inputs, `if`, `each`, `spec.output` and page `when`.
    pub fn workflow() -> Engine {
        Engine { env: environment(SkeletonOptions::default(), true) }
    }

    /// The renderer for skeleton files and paths of one `fetch:template*` step.
    pub fn skeleton(options: SkeletonOptions) -> Engine {
        Engine { env: environment(options, false) }
    }

    /// Renders `source` as text.
    pub fn render(&self, source: &str, ctx: &Value) -> Result<String, RenderError> {
        Ok(self.env.render_str(source, ctx.clone())?)
    }

    /// Checks that `source` parses, without rendering it.
    pub fn parse(&self, source: &str) -> Result<(), RenderError> {
        self.env.template_from_str(source).map(|_| ()).map_err(RenderError::from)
    }

    /// Renders one workflow string the way Backstage's runner does (SPEC §4.3):
    /// `Ok(Some(v))` is the value (JSON-typed when the string is a single expression or block),
    /// `Ok(None)` means undefined or empty (the key is dropped), and `Err` means rendering threw
    /// (the caller keeps the literal string).
    pub fn render_value(&self, source: &str, ctx: &Value) -> Result<Option<serde_json::Value>, RenderError> {
        value::render_value(&self.env, source, ctx)
    }

    /// Renders every string in a JSON tree (object keys are never rendered). Keys whose value is
    /// undefined are dropped; strings whose rendering throws are kept as written.
    pub fn render_tree(&self, tree: &serde_json::Value, ctx: &Value) -> Option<serde_json::Value> {
        value::render_tree(&self.env, tree, ctx)
    }
}

fn environment(options: SkeletonOptions, workflow: bool) -> Environment<'static> {
    let mut env = Environment::new();
    let mut syntax = SyntaxConfig::builder();
    if options.cookiecutter {
        syntax.variable_delimiters("{{", "}}");
    } else {
        syntax.variable_delimiters("${{", "}}");
    }
    syntax.block_delimiters("{%", "%}").comment_delimiters("{#", "#}");
    syntax.keep_trailing_newline(true);
    syntax.trim_blocks(options.trim_blocks).lstrip_blocks(options.lstrip_blocks);
    env.set_syntax(syntax.build().expect("valid delimiters"));
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
    env.set_undefined_behavior(UndefinedBehavior::Chainable);
    env.set_recursion_limit(500);
    env.set_formatter(js::format);
    env.set_unknown_method_callback(js::call_method);
    filters::register(&mut env, options.cookiecutter);
    if workflow {
        value::register_status_functions(&mut env);
    }
    env
}

#[cfg(test)]
mod tests;
