//! What one templated string uses: variables with their constant attribute path
//! (`parameters.name`, `steps['fetch'].output.url`), filters, tests, function calls and method
//! calls, each with its byte range in the string. Read from the engine's own parse tree
//! ([`Engine::parse_tree`]), whose names, lookups and filters carry their offsets, so the grammar
//! is exactly the engine's (`===`, regex literals, `verbatim`, JavaScript methods included).

use std::collections::HashSet;

use crate::render::{Arg, Engine, Expr, Lit, Node};

/// What is used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// A variable and the constant attribute/item path read from it.
    Var {
        root: String,
        path: Vec<String>,
    },
    Filter(String),
    Test(String),
    Function(String),
    Method(String),
}

/// One use, with its byte range in the analysed string.
#[derive(Debug, Clone)]
pub struct Use {
    pub kind: Kind,
    pub start: usize,
    pub end: usize,
}

/// Everything a string uses. Names bound inside the string (`set`, `for`, macro arguments) are
/// not reported as variables.
#[derive(Debug, Default, Clone)]
pub struct Analysis {
    pub uses: Vec<Use>,
}

/// Whether a string holds template syntax at all (plain strings are not compiled).
pub fn is_templated(s: &str, cookiecutter: bool) -> bool {
    crate::render::has_delimiter(s, cookiecutter)
}

/// A syntax error: the message and the byte range in the string, when known.
#[derive(Debug, Clone)]
pub struct SyntaxError {
    pub message: String,
    pub range: Option<std::ops::Range<usize>>,
    pub line: Option<usize>,
}

/// Byte offset of 1-based `line` and `column` (in characters) in `source`.
fn offset_of(source: &str, line: usize, column: usize) -> Option<usize> {
    let start = if line <= 1 {
        0
    } else {
        source.match_indices('\n').nth(line - 2)?.0 + 1
    };
    let rest = &source[start..];
    let end = rest.find('\n').unwrap_or(rest.len());
    let within = rest[..end]
        .char_indices()
        .nth(column.saturating_sub(1))
        .map(|(i, _)| i)
        .unwrap_or(end);
    Some(start + within)
}

/// Checks `source` with the engine (which decides what Backstage's grammar accepts) and lists
/// what it uses, walking the tree the engine parsed.
pub fn analyze(engine: &Engine, source: &str, cookiecutter: bool) -> Result<Analysis, SyntaxError> {
    let nodes = engine.parse_tree(source).map_err(|e| {
        // the error's line and column become a byte range
        let range = match (e.line, e.column) {
            (Some(l), Some(c)) => offset_of(source, l, c)
                .map(|o| o..o + source[o..].chars().next().map_or(0, char::len_utf8)),
            _ => None,
        };
        SyntaxError {
            message: e.reason().to_string(),
            range,
            line: e.line,
        }
    })?;
    let mut locals = HashSet::new();
    bound_names(&nodes, &mut locals);
    let mut walker = Walker {
        source,
        locals,
        cookiecutter,
        uses: Vec::new(),
    };
    walker.nodes(&nodes);
    Ok(Analysis { uses: walker.uses })
}

/// Every name a template binds (`set` and `for` targets, macros and their parameters, a call
/// block's parameters), wherever it stands: such a name is not a context variable.
fn bound_names<'t>(nodes: &'t [Node], out: &mut HashSet<&'t str>) {
    let params = |args: &'t [Arg], out: &mut HashSet<&'t str>| {
        for a in args {
            if let Arg::Pos(Expr::Sym(n, _)) | Arg::Kw(n, _) = a {
                out.insert(n.as_str());
            }
        }
    };
    for n in nodes {
        match n {
            Node::For { targets, .. } | Node::Set { targets, .. } => {
                out.extend(targets.iter().map(String::as_str))
            }
            Node::Macro { name, args, .. } => {
                out.insert(name.as_str());
                params(args, out);
            }
            Node::CallBlock { caller_args, .. } => params(caller_args, out),
            _ => {}
        }
        bodies(n, &mut |b| bound_names(b, out));
    }
}

/// Calls `f` on every list of nodes `n` holds: bodies, `else` branches, cases.
fn bodies<'t>(n: &'t Node, f: &mut impl FnMut(&'t [Node])) {
    match n {
        Node::Text(_) | Node::Output(..) => {}
        Node::If { body, else_, .. } | Node::For { body, else_, .. } => {
            f(body);
            f(else_.as_deref().unwrap_or_default());
        }
        Node::Set { body, .. }
        | Node::Macro { body, .. }
        | Node::CallBlock { body, .. }
        | Node::FilterBlock { body, .. }
        | Node::Block(body) => f(body),
        Node::Switch { cases, default, .. } => {
            for (_, _, body) in cases {
                f(body);
            }
            f(default.as_deref().unwrap_or_default());
        }
    }
}

/// Collects the uses of a parsed template; each expression is walked with the offset its text
/// starts at in the source (the tree's offsets are relative to it).
struct Walker<'t> {
    source: &'t str,
    locals: HashSet<&'t str>,
    cookiecutter: bool,
    uses: Vec<Use>,
}

impl Walker<'_> {
    fn push(&mut self, kind: Kind, start: usize, end: usize) {
        self.uses.push(Use { kind, start, end });
    }

    fn nodes(&mut self, nodes: &[Node]) {
        for n in nodes {
            self.node(n);
            bodies(n, &mut |b| self.nodes(b));
        }
    }

    /// The expressions `n` holds itself, each read from where its text starts.
    fn node(&mut self, n: &Node) {
        let at = |offset: &u32| *offset as usize;
        match n {
            Node::Text(_) | Node::Block(_) => {}
            Node::Output(e, _, offset) => self.expr(e, at(offset)),
            Node::If { cond, cond_at, .. } => self.expr(cond, at(cond_at)),
            Node::For { arr, arr_at, .. } => self.expr(arr, at(arr_at)),
            Node::Set {
                value, value_at, ..
            } => self.exprs(value.as_deref(), at(value_at)),
            Node::Macro { args, args_at, .. } => self.defaults(args, at(args_at)),
            Node::CallBlock {
                call,
                call_at,
                caller_args,
                caller_args_at,
                ..
            } => {
                self.expr(call, at(call_at));
                self.defaults(caller_args, at(caller_args_at));
            }
            Node::FilterBlock {
                name,
                name_at,
                args,
                ..
            } => {
                self.push(
                    Kind::Filter(name.clone()),
                    at(name_at),
                    at(name_at) + name.len(),
                );
                self.args(args, at(name_at));
            }
            Node::Switch {
                expr,
                expr_at,
                cases,
                ..
            } => {
                self.expr(expr, at(expr_at));
                for (value, offset, _) in cases {
                    self.expr(value, at(offset));
                }
            }
        }
    }

    /// The default values of a macro's (or call block's) parameters; the names are bindings.
    fn defaults(&mut self, args: &[Arg], base: usize) {
        for a in args {
            if let Arg::Kw(_, e) = a {
                self.expr(e, base);
            }
        }
    }

    fn args(&mut self, args: &[Arg], base: usize) {
        for a in args {
            let (Arg::Pos(e) | Arg::Kw(_, e)) = a;
            self.expr(e, base);
        }
    }

    fn exprs<'e>(&mut self, items: impl IntoIterator<Item = &'e Expr>, base: usize) {
        for e in items {
            self.expr(e, base);
        }
    }

    fn expr(&mut self, e: &Expr, base: usize) {
        match e {
            Expr::Lit(_) | Expr::Regex(..) => {}
            Expr::Sym(..) | Expr::Lookup(..) => self.reference(e, base),
            Expr::Call(callee, args) => {
                self.call(callee, base);
                self.args(args, base);
            }
            Expr::Filter(name, input, args, at) => {
                self.expr(input, base);
                self.args(args, base);
                let at = base + *at as usize;
                self.push(Kind::Filter(name.clone()), at, at + name.len());
            }
            Expr::Is(value, test) => {
                self.expr(value, base);
                self.test(test, base);
            }
            Expr::Slice(a, b, c) => self.exprs([a, b, c].into_iter().flatten().map(|x| &**x), base),
            Expr::Neg(x) | Expr::Pos(x) | Expr::Floor(x) | Expr::Not(x) => self.expr(x, base),
            Expr::Bin(_, a, b) | Expr::In(a, b) | Expr::And(a, b) | Expr::Or(a, b) => {
                self.exprs([&**a, &**b], base)
            }
            Expr::Compare(first, rest) => {
                self.expr(first, base);
                self.exprs(rest.iter().map(|(_, r)| r), base);
            }
            Expr::If(cond, then, else_) => {
                self.exprs([&**cond, &**then], base);
                self.exprs(else_.as_deref(), base);
            }
            Expr::Array(items) | Expr::Group(items) => self.exprs(items, base),
            Expr::Dict(pairs) => self.exprs(pairs.iter().map(|(_, v)| v), base),
        }
    }

    /// A variable and the constant path read from it (`steps['x'].output.url`), from the name to
    /// the end of the last constant key; computed keys are walked as expressions of their own.
    fn reference(&mut self, e: &Expr, base: usize) {
        let mut keys = Vec::new();
        let mut target = e;
        while let Expr::Lookup(t, k, end) = target {
            keys.push((&**k, *end as usize));
            target = t;
        }
        keys.reverse();
        match target {
            Expr::Sym(name, at) if !self.is_local(name) => {
                let start = base + *at as usize;
                let mut end = start + name.len();
                let mut path = Vec::new();
                for (k, k_end) in &keys {
                    let Some(segment) = constant(k) else {
                        break;
                    };
                    path.push(segment);
                    end = base + k_end;
                }
                let root = name.clone();
                self.push(Kind::Var { root, path }, start, end);
            }
            Expr::Sym(..) => {}
            other => self.expr(other, base),
        }
        self.exprs(keys.into_iter().map(|(k, _)| k), base);
    }

    /// What is called: a function (`range(3)`), a method (`x.trim()`), or anything else.
    fn call(&mut self, callee: &Expr, base: usize) {
        match callee {
            Expr::Sym(name, at) => {
                if !self.is_local(name) {
                    let at = base + *at as usize;
                    self.push(Kind::Function(name.clone()), at, at + name.len());
                }
            }
            Expr::Lookup(target, key, end) if matches!(&**key, Expr::Lit(Lit::Str(_))) => {
                let Expr::Lit(Lit::Str(method)) = &**key else {
                    return;
                };
                let (start, end) = self.key_range(method, base + *end as usize);
                self.push(Kind::Method(method.clone()), start, end);
                self.reference(target, base);
            }
            other => self.expr(other, base),
        }
    }

    /// The test of `x is name` or `x is name(args)`.
    fn test(&mut self, test: &Expr, base: usize) {
        let (name, at, args): (&str, u32, &[Arg]) = match test {
            Expr::Sym(n, at) => (n, *at, &[]),
            Expr::Call(callee, args) => match &**callee {
                Expr::Sym(n, at) => (n, *at, args),
                other => return self.expr(other, base),
            },
            // `is null` / `is none`: a test the engine always has
            Expr::Lit(Lit::Null) => return,
            other => return self.expr(other, base),
        };
        let at = base + at as usize;
        self.push(Kind::Test(name.to_string()), at, at + name.len());
        self.args(args, base);
    }

    /// Where the key `name` of a lookup ending at `end` is written: `.name`, or `['name']` (the
    /// `]` itself when the brackets hold more than the quoted name).
    fn key_range(&self, name: &str, end: usize) -> (usize, usize) {
        let bracket = end
            .checked_sub(1)
            .filter(|&c| self.source.as_bytes().get(c) == Some(&b']'));
        let Some(close) = bracket else {
            return (end.saturating_sub(name.len()), end);
        };
        let quote = close.saturating_sub(1);
        let start = quote.saturating_sub(name.len());
        if self.source.get(start..quote) == Some(name) {
            (start, quote)
        } else {
            (close, end)
        }
    }

    fn is_local(&self, name: &str) -> bool {
        self.locals.contains(name)
            || (self.cookiecutter && matches!(name, "True" | "False" | "None"))
    }
}

/// A key known without the values: a string or a number (`items[0]`).
fn constant(key: &Expr) -> Option<String> {
    match key {
        Expr::Lit(Lit::Str(s)) => Some(s.clone()),
        Expr::Lit(Lit::Num(n)) if n.fract() == 0.0 && n.abs() < 1e15 => {
            Some(format!("{}", *n as i64))
        }
        Expr::Lit(Lit::Num(n)) => Some(n.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<Kind> {
        analyze(&Engine::workflow(), src, false)
            .unwrap()
            .uses
            .into_iter()
            .map(|u| u.kind)
            .collect()
    }

    fn var(root: &str, path: &[&str]) -> Kind {
        Kind::Var {
            root: root.into(),
            path: path.iter().map(|s| s.to_string()).collect(),
        }
    }

    /// Every use with the text its range covers.
    fn spans(src: &str) -> Vec<(Kind, &str)> {
        analyze(&Engine::workflow(), src, false)
            .unwrap()
            .uses
            .into_iter()
            .map(|u| (u.kind, &src[u.start..u.end]))
            .collect()
    }

    #[test]
    fn finds_variables_with_their_paths() {
        let k = kinds("${{ parameters.name }}-${{ steps['fetch-base'].output.url }}");
        assert!(k.contains(&var("parameters", &["name"])), "{k:?}");
        assert!(
            k.contains(&var("steps", &["fetch-base", "output", "url"])),
            "{k:?}"
        );
        let k = kinds("${{ parameters.list[0].name }}${{ parameters.map[parameters.key].x }}");
        assert!(
            k.contains(&var("parameters", &["list", "0", "name"])),
            "{k:?}"
        );
        assert!(k.contains(&var("parameters", &["map"])), "{k:?}");
        assert!(k.contains(&var("parameters", &["key"])), "{k:?}");
    }

    #[test]
    fn finds_filters_methods_and_functions() {
        let k = kinds("${{ parameters.name | upper | nope }}${{ parameters.x.replaceAll('a', 'b') }}${{ hashFiles('x') }}");
        assert!(k.contains(&Kind::Filter("nope".into())));
        assert!(k.contains(&Kind::Method("replaceAll".into())));
        assert!(k.contains(&Kind::Function("hashFiles".into())));
        assert!(k.contains(&var("parameters", &["x"])), "{k:?}");
        let k = kinds("{% filter nope %}x{% endfilter %}${{ x is nada(parameters.n) }}");
        assert!(k.contains(&Kind::Filter("nope".into())));
        assert!(k.contains(&Kind::Test("nada".into())));
        assert!(k.contains(&var("parameters", &["n"])), "{k:?}");
    }

    #[test]
    fn locals_are_not_context_variables() {
        let k = kinds(
            "{% for item in parameters.list %}${{ item.name }}{% endfor %}{% set x = 1 %}${{ x }}\
             {% macro m(a, b=parameters.d) %}${{ a }}{% endmacro %}${{ m(1) }}",
        );
        assert!(k.contains(&var("parameters", &["list"])));
        assert!(k.contains(&var("parameters", &["d"])));
        assert!(
            !k.iter().any(
                |k| matches!(k, Kind::Var { root, .. } | Kind::Function(root)
                if ["item", "x", "a", "m"].contains(&root.as_str()))
            ),
            "{k:?}"
        );
    }

    #[test]
    fn object_keys_are_not_variables() {
        let k = kinds("${{ parameters.ref | parseEntityRef({ defaultKind: 'group' }) }}");
        assert_eq!(
            k,
            [
                var("parameters", &["ref"]),
                Kind::Filter("parseEntityRef".into())
            ]
        );
    }

    /// nunjucks-only grammar (`===`, regex literals, `verbatim`) is read by the engine's own
    /// parser, so its uses are found too (minijinja's grammar could not read such a text).
    #[test]
    fn nunjucks_only_grammar_is_analysed() {
        let k = kinds("${{ parameters.kind === 'a' and parameters.nope !== 'b' }}");
        assert!(k.contains(&var("parameters", &["nope"])), "{k:?}");
        let k = kinds("${{ parameters.name | replace(r/a+/g, 'b') | nope }}");
        assert!(k.contains(&Kind::Filter("nope".into())), "{k:?}");
        let k = kinds("{% verbatim %}${{ nope }}{% endverbatim %}${{ parameters.x }}");
        assert_eq!(k, [var("parameters", &["x"])]);
    }

    #[test]
    fn positions_point_at_the_use() {
        let src = "x ${{ parameters.kind == 'a' }} ${{ v | nope }}";
        assert_eq!(
            spans(src),
            [
                (var("parameters", &["kind"]), "parameters.kind"),
                (var("v", &[]), "v"),
                (Kind::Filter("nope".into()), "nope"),
            ]
        );
        // the same name twice: each use points at itself
        let src = "${{ nope(1) }} ${{ a.nope() }} ${{ a['nope']() }} ${{ steps['s'].output.x }}";
        let s = spans(src);
        let at = |k: &Kind| {
            let u = analyze(&Engine::workflow(), src, false).unwrap().uses;
            u.iter().find(|u| &u.kind == k).map(|u| u.start).unwrap()
        };
        assert_eq!(at(&Kind::Function("nope".into())), 4);
        let methods: Vec<_> = s
            .iter()
            .filter(|(k, _)| matches!(k, Kind::Method(_)))
            .map(|(_, t)| *t)
            .collect();
        assert_eq!(methods, ["nope", "nope"]);
        assert!(s.contains(&(var("steps", &["s", "output", "x"]), "steps['s'].output.x")));
    }

    /// Whatever the grammar around it, a use's range covers its own name (a variable's range
    /// starts with its root), in the engines of skeleton files and cookiecutter too.
    #[test]
    fn every_use_points_at_its_name() {
        let sources = [
            "é ${{- parameters.a | nope(x, y=z) -}} ${{ a.b['c'][0].d(e) }}",
            "{%- if x === 1 and y is divisibleby( 3 ) %}\n{% elif  r/é+/g.test(w) %}{% endif %}",
            "{% for k, v in dict | dictsort %}${{ k ~ v | f }}{% else %}${{ z[1:2] }}{% endfor %}",
            "{% set s = { a: b, 'c': [d, e | g] } %}${{ s.a if t else u }}",
            "{% switch  q %}{% case\tr %}${{ not m.n }}{% default %}${{ -o ** 2 }}{% endswitch %}",
            "{% filter  replace( 'a' , b ) %}x{% endfilter %}{% call(i) mc( j ) %}${{ i }}{% endcall %}",
            "{% macro mc(p, q=qq.r) %}${{ caller(p) }}{% endmacro %}{% set w %}${{ w2 }}{% endset %}",
            "${{ x['y-z'].w }}${{ fn()['k'] }}${{ (a, b) }}${{ [1][0] | h }}${{ a[ 'b' ]() }}",
        ];
        let engines = [
            (Engine::workflow(), false),
            (Engine::skeleton(Default::default()), false),
        ];
        for (engine, cookiecutter) in &engines {
            for src in sources {
                let analysis = analyze(engine, src, *cookiecutter).unwrap();
                assert!(!analysis.uses.is_empty(), "{src}");
                for u in analysis.uses {
                    let text = src
                        .get(u.start..u.end)
                        .unwrap_or_else(|| panic!("{src}: {u:?}"));
                    let ok = match &u.kind {
                        Kind::Var { root, .. } => text.starts_with(root.as_str()),
                        Kind::Filter(n) | Kind::Test(n) | Kind::Function(n) => text == n,
                        Kind::Method(n) => text == n || text == "]",
                    };
                    assert!(ok, "{src}: {u:?} covers `{text}`");
                }
            }
        }
        let cc = Engine::skeleton(crate::render::SkeletonOptions {
            cookiecutter: true,
            ..Default::default()
        });
        let a = analyze(&cc, "{{ cookiecutter.x | f }} {{ True }}", true).unwrap();
        let found: Vec<_> = a
            .uses
            .iter()
            .map(|u| &"{{ cookiecutter.x | f }} {{ True }}"[u.start..u.end])
            .collect();
        assert_eq!(found, ["cookiecutter.x", "f"]);
    }

    #[test]
    fn strict_equality_is_accepted() {
        assert!(analyze(&Engine::workflow(), "${{ parameters.kind === 'a' }}", false).is_ok());
    }

    #[test]
    fn syntax_errors_are_errors() {
        let e = analyze(&Engine::workflow(), "${{ a ? b : c }}", false).unwrap_err();
        assert!(!e.message.contains("(column"), "{}", e.message);
        assert_eq!(e.range, Some(6..7));
    }
}
