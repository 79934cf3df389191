//! Turns the nunjucks AST of `syntax.rs` into minijinja source that behaves like nunjitsu: every
//! operator goes through a JavaScript-semantics helper filter (`__add`, `__cmp`, `__t` for
//! truthiness, ...), lookups that minijinja does differently go through `__get`, and text is
//! emitted between delimiters that cannot occur in a template (`\x01{ }\x01`, `\x01% %\x01`).

use super::syntax::{Arg, Expr, Lit, Node};

pub const VAR_START: &str = "\u{1}{";
pub const VAR_END: &str = "}\u{1}";
pub const BLOCK_START: &str = "\u{1}%";
pub const BLOCK_END: &str = "%\u{1}";
pub const COMMENT_START: &str = "\u{1}#";
pub const COMMENT_END: &str = "#\u{1}";

/// Emits a whole template.
/// With `json`, outputs written directly by the template (not by macros or captures) are
/// JSON-encoded, as nunjitsu's `coercion: 'json'` does.
pub fn template(nodes: &[Node], cookiecutter: bool, json: bool) -> String {
    template_with_spans(nodes, cookiecutter, json).0
}

/// [`template`], with the spans of the result: `(offset in the emitted source, offset in the
/// nunjucks source)` for every tag whose expressions can fail, in emitted order (see
/// [`source_offset`]).
pub fn template_with_spans(
    nodes: &[Node],
    cookiecutter: bool,
    json: bool,
) -> (String, Vec<(usize, usize)>) {
    let mut e = Emitter::new(cookiecutter, json);
    collect_loop_assigned(nodes, false, &mut e.loop_assigned);
    if !e.loop_assigned.is_empty() {
        e.tag("set __nj = __store()");
    }
    e.nodes(nodes);
    (e.out, e.spans)
}

/// The nunjucks source offset of the tag that emitted byte `emitted` (the last span at or
/// before it).
pub fn source_offset(spans: &[(usize, usize)], emitted: usize) -> Option<usize> {
    let i = spans.partition_point(|(e, _)| *e <= emitted);
    i.checked_sub(1).map(|i| spans[i].1)
}

/// Names assigned by `set` inside `for` bodies (outside macros).
fn collect_loop_assigned(nodes: &[Node], in_loop: bool, out: &mut Vec<String>) {
    for n in nodes {
        match n {
            Node::Set { targets, body, .. } => {
                if in_loop {
                    for t in targets {
                        if !out.contains(t) {
                            out.push(t.clone());
                        }
                    }
                }
                collect_loop_assigned(body, in_loop, out);
            }
            Node::For { body, else_, .. } => {
                collect_loop_assigned(body, true, out);
                if let Some(e) = else_ {
                    collect_loop_assigned(e, in_loop, out);
                }
            }
            Node::If { body, else_, .. } => {
                collect_loop_assigned(body, in_loop, out);
                if let Some(e) = else_ {
                    collect_loop_assigned(e, in_loop, out);
                }
            }
            Node::Switch { cases, default, .. } => {
                for (_, _, b) in cases {
                    collect_loop_assigned(b, in_loop, out);
                }
                if let Some(d) = default {
                    collect_loop_assigned(d, in_loop, out);
                }
            }
            Node::Block(b)
            | Node::FilterBlock { body: b, .. }
            | Node::CallBlock { body: b, .. } => collect_loop_assigned(b, in_loop, out),
            Node::Macro { .. } | Node::Text(_) | Node::Output(..) => {}
        }
    }
}

/// Emits one expression.
pub fn expression(expr: &Expr, cookiecutter: bool) -> String {
    Emitter::new(cookiecutter, false).sub_expr(expr)
}

struct Emitter {
    out: String,
    cookiecutter: bool,
    counter: usize,
    json: bool,
    /// Names needing nunjucks loop scoping (see `ops::Store`).
    loop_assigned: Vec<String>,
    /// `(emitted offset, source offset)` of each tag, see [`template_with_spans`].
    spans: Vec<(usize, usize)>,
}

fn is_ident(s: &str) -> bool {
    let mut c = s.chars();
    c.next()
        .is_some_and(|f| f == '_' || f.is_ascii_alphabetic())
        && c.all(|x| x == '_' || x.is_ascii_alphanumeric())
}

const MJ_KEYWORDS: &[&str] = &[
    "true", "false", "none", "True", "False", "None", "and", "or", "not", "in", "is", "if", "else",
];

impl Emitter {
    fn new(cookiecutter: bool, json: bool) -> Emitter {
        Emitter {
            out: String::new(),
            cookiecutter,
            counter: 0,
            json,
            loop_assigned: Vec::new(),
            spans: Vec::new(),
        }
    }

    /// `e` emitted on its own, for the caller to wrap (numbering captures on from this emitter).
    fn sub_expr(&mut self, e: &Expr) -> String {
        let mut inner = Emitter::new(self.cookiecutter, false);
        inner.counter = self.counter;
        inner.expr(e);
        self.counter = inner.counter;
        inner.out
    }

    /// Notes that what is emitted next comes from the tag at source offset `at`.
    fn mark(&mut self, at: usize) {
        self.spans.push((self.out.len(), at));
    }

    fn w(&mut self, s: &str) {
        self.out.push_str(s);
    }

    fn tag(&mut self, body: &str) {
        self.out.push_str(BLOCK_START);
        self.out.push(' ');
        self.out.push_str(body);
        self.out.push(' ');
        self.out.push_str(BLOCK_END);
    }

    fn open_tag(&mut self, head: &str) {
        self.out.push_str(BLOCK_START);
        self.out.push(' ');
        self.out.push_str(head);
    }

    fn close_tag(&mut self) {
        self.out.push(' ');
        self.out.push_str(BLOCK_END);
    }

    fn nodes(&mut self, nodes: &[Node]) {
        for n in nodes {
            self.node(n);
        }
    }

    /// Emits a body whose output is captured (macro, set block, filter block, caller).
    fn captured(&mut self, nodes: &[Node]) {
        let json = std::mem::replace(&mut self.json, false);
        self.nodes(nodes);
        self.json = json;
    }

    fn node(&mut self, n: &Node) {
        match n {
            Node::Text(t) => {
                if t.contains('\u{1}') {
                    self.w(VAR_START);
                    self.string(t);
                    self.w(VAR_END);
                } else {
                    self.w(t);
                }
            }
            Node::Output(e, at, _) => {
                self.mark(*at);
                self.w(VAR_START);
                self.w(" ");
                if self.json {
                    self.w("(");
                    self.expr(e);
                    self.w(")|__json_enc");
                } else {
                    self.expr(e);
                }
                self.w(" ");
                self.w(VAR_END);
            }
            Node::If {
                at,
                cond,
                body,
                else_,
                ..
            } => {
                self.mark(*at);
                self.open_tag("if ");
                self.truthy(cond);
                self.close_tag();
                self.nodes(body);
                if let Some(e) = else_ {
                    self.tag("else");
                    self.nodes(e);
                }
                self.tag("endif");
            }
            Node::For {
                at,
                targets,
                arr,
                body,
                else_,
                ..
            } => {
                self.mark(*at);
                self.open_tag("for ");
                let names: Vec<String> = targets.iter().map(|t| self.name(t)).collect();
                self.w(&names.join(", "));
                self.w(" in (");
                self.expr(arr);
                self.w(&format!(")|__iter({})", targets.len()));
                self.close_tag();
                let mut mine = Vec::new();
                collect_loop_assigned(body, true, &mut mine);
                mine.retain(|n| !targets.contains(n));
                for n in &mine {
                    let v = self.name(n);
                    self.tag(&format!("if __nj.has(\"{n}\") %\u{1}\u{1}% set {v} = __nj.get(\"{n}\") %\u{1}\u{1}% endif"));
                }
                self.nodes(body);
                if let Some(e) = else_ {
                    self.tag("else");
                    self.nodes(e);
                }
                self.tag("endfor");
                for n in &mine {
                    let v = self.name(n);
                    self.tag(&format!("if ({v})|__test(\"defined\") and __nj.has(\"{n}\") %\u{1}\u{1}% set {v} = __nj.get(\"{n}\") %\u{1}\u{1}% endif"));
                }
            }
            Node::Set {
                at,
                targets,
                value,
                body,
                ..
            } => {
                self.mark(*at);
                let first = self.name(&targets[0]);
                match value {
                    Some(v) => {
                        self.open_tag(&format!("set {first} = "));
                        self.expr(v);
                        self.close_tag();
                    }
                    None => {
                        self.tag(&format!("set {first}"));
                        self.captured(body);
                        self.tag("endset");
                    }
                }
                for t in &targets[1..] {
                    let t = self.name(t);
                    self.tag(&format!("set {t} = {first}"));
                }
                for t in targets {
                    if self.loop_assigned.contains(t) {
                        let v = self.name(t);
                        self.tag(&format!("do __nj.put(\"{t}\", {v})"));
                    }
                }
            }
            Node::Macro {
                name, args, body, ..
            } => {
                let name = self.name(name);
                self.open_tag(&format!("macro {name}("));
                self.signature(args);
                self.w(")");
                self.close_tag();
                let saved = std::mem::take(&mut self.loop_assigned);
                self.captured(body);
                self.loop_assigned = saved;
                self.tag("endmacro");
            }
            Node::CallBlock {
                at,
                call,
                caller_args,
                body,
                ..
            } => {
                self.mark(*at);
                self.open_tag("call");
                if !caller_args.is_empty() {
                    self.w("(");
                    self.signature(caller_args);
                    self.w(")");
                }
                self.w(" ");
                self.expr(call);
                self.close_tag();
                self.captured(body);
                self.tag("endcall");
            }
            Node::FilterBlock {
                at,
                name,
                args,
                body,
                ..
            } => {
                // Capture the body, then output it through the filter (nunjucks semantics).
                self.counter += 1;
                let var = format!("__capture_{}", self.counter);
                self.tag(&format!("set {var}"));
                self.captured(body);
                self.tag("endset");
                self.mark(*at);
                self.w(VAR_START);
                self.w(" ");
                self.filter_call(name, &format!("{var}|__unsafe"), args);
                self.w(" ");
                self.w(VAR_END);
            }
            Node::Switch {
                at,
                expr,
                cases,
                default,
                ..
            } => {
                self.mark(*at);
                self.counter += 1;
                let var = format!("__switch_{}", self.counter);
                self.open_tag(&format!("set {var} = "));
                self.expr(expr);
                self.close_tag();
                // Fallthrough: an empty case body runs the next non-empty one.
                let mut pending: Vec<&Expr> = Vec::new();
                let mut first = true;
                for (cond, _, body) in cases {
                    pending.push(cond);
                    if body.is_empty() {
                        continue;
                    }
                    self.mark(*at);
                    self.open_tag(if first { "if " } else { "elif " });
                    first = false;
                    for (i, c) in pending.iter().enumerate() {
                        if i > 0 {
                            self.w(" or ");
                        }
                        self.w(&format!("({var})|__cmp(\"===\", "));
                        self.expr(c);
                        self.w(")");
                    }
                    pending.clear();
                    self.close_tag();
                    self.nodes(body);
                }
                if let Some(d) = default {
                    if first {
                        self.nodes(d);
                    } else {
                        self.tag("else");
                        self.nodes(d);
                    }
                }
                if !first {
                    self.tag("endif");
                }
            }
            Node::Block(body) => self.nodes(body),
        }
    }

    fn name(&self, n: &str) -> String {
        if MJ_KEYWORDS.contains(&n) {
            format!("__kw_{n}")
        } else {
            n.to_string()
        }
    }

    fn signature(&mut self, args: &[Arg]) {
        for (i, a) in args.iter().enumerate() {
            if i > 0 {
                self.w(", ");
            }
            match a {
                Arg::Pos(Expr::Sym(n, _)) => {
                    let n = self.name(n);
                    self.w(&n);
                }
                Arg::Kw(n, e) => {
                    let n = self.name(n);
                    self.w(&format!("{n}="));
                    self.expr(e);
                }
                Arg::Pos(e) => self.expr(e),
            }
        }
    }

    fn string(&mut self, s: &str) {
        let j = serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into());
        self.w(&j);
    }

    fn truthy(&mut self, e: &Expr) {
        self.w("((");
        self.expr(e);
        self.w(")|__t)");
    }

    /// Arguments of a filter, test or method: keyword arguments become a trailing record marked
    /// `__keywords`, as nunjucks passes them.
    fn nj_args(&mut self, args: &[Arg], leading_comma: bool) {
        let mut first = !leading_comma;
        let mut kws = Vec::new();
        for a in args {
            match a {
                Arg::Pos(e) => {
                    if !first {
                        self.w(", ");
                    }
                    first = false;
                    self.expr(e);
                }
                Arg::Kw(n, e) => kws.push((n, e)),
            }
        }
        if !kws.is_empty() {
            if !first {
                self.w(", ");
            }
            self.w("{\"__keywords\": true");
            for (n, e) in kws {
                self.w(", ");
                self.string(n);
                self.w(": ");
                self.expr(e);
            }
            self.w("}");
        }
    }

    fn filter_call(&mut self, name: &str, input: &str, args: &[Arg]) {
        let name = match name {
            "jsonify" if self.cookiecutter => "dump".to_string(),
            n if is_ident(n) => n.to_string(),
            n => format!("__bad_filter_{}", n.replace('.', "_")),
        };
        self.w(&format!("({input})|{name}("));
        self.nj_args(args, false);
        self.w(")");
    }

    fn expr(&mut self, e: &Expr) {
        match e {
            Expr::Lit(Lit::Str(s)) => self.string(s),
            Expr::Lit(Lit::Num(n)) => {
                if n.fract() == 0.0 && n.abs() < 9.0e15 {
                    self.w(&format!("{}", *n as i64));
                } else {
                    self.w(&format!("{n:?}"));
                }
            }
            Expr::Lit(Lit::Bool(b)) => self.w(if *b { "true" } else { "false" }),
            Expr::Lit(Lit::Null) => self.w("none"),
            Expr::Regex(p, f) => {
                self.w("__regex(");
                self.string(p);
                self.w(", ");
                self.string(f);
                self.w(")");
            }
            Expr::Sym(n, _) => match n.as_str() {
                "True" if self.cookiecutter => self.w("true"),
                "False" if self.cookiecutter => self.w("false"),
                "None" if self.cookiecutter => self.w("none"),
                n if MJ_KEYWORDS.contains(&n) => {
                    let n = self.name(n);
                    self.w(&n);
                }
                n => self.w(n),
            },
            Expr::Lookup(t, k, _) => match &**k {
                Expr::Lit(Lit::Str(s))
                    if is_ident(s) && s != "length" && !MJ_KEYWORDS.contains(&s.as_str()) =>
                {
                    self.w("(");
                    self.expr(t);
                    self.w(&format!(").{s}"));
                }
                Expr::Slice(a, b, c) => {
                    self.w("(");
                    self.expr(t);
                    self.w(")|__slice(");
                    for (i, part) in [a, b, c].into_iter().enumerate() {
                        if i > 0 {
                            self.w(", ");
                        }
                        match part {
                            Some(p) => self.expr(p),
                            None => self.w("none"),
                        }
                    }
                    self.w(")");
                }
                k => {
                    self.w("(");
                    self.expr(t);
                    self.w(")|__get(");
                    self.expr(k);
                    self.w(")");
                }
            },
            Expr::Slice(..) => self.w("__invalid_slice()"),
            Expr::Call(callee, args) => match &**callee {
                Expr::Lookup(t, k, _) if matches!(&**k, Expr::Lit(Lit::Str(s)) if is_ident(s)) => {
                    let Expr::Lit(Lit::Str(m)) = &**k else {
                        unreachable!()
                    };
                    self.w("(");
                    self.expr(t);
                    self.w(&format!(").{m}("));
                    self.nj_args(args, false);
                    self.w(")");
                }
                other => {
                    if let Expr::Sym(n, _) = other {
                        let n = match n.as_str() {
                            n if MJ_KEYWORDS.contains(&n) => self.name(n),
                            n => n.to_string(),
                        };
                        self.w(&n);
                        self.w("(");
                    } else {
                        self.w("(");
                        self.expr(other);
                        self.w(")(");
                    }
                    for (i, a) in args.iter().enumerate() {
                        if i > 0 {
                            self.w(", ");
                        }
                        match a {
                            Arg::Pos(e) => self.expr(e),
                            Arg::Kw(n, e) => {
                                let n = self.name(n);
                                self.w(&format!("{n}="));
                                self.expr(e);
                            }
                        }
                    }
                    self.w(")");
                }
            },
            Expr::Filter(name, input, args, _) => {
                let input = self.sub_expr(input);
                self.filter_call(name, &input, args);
            }
            Expr::Neg(t) => self.unary("__neg", t),
            Expr::Pos(t) => self.unary("__pos", t),
            Expr::Floor(t) => self.unary("__floor", t),
            Expr::Bin(op, l, r) => {
                self.w("(");
                self.expr(l);
                self.w(&format!(")|__{op}("));
                self.expr(r);
                self.w(")");
            }
            Expr::Compare(first, ops) => {
                let mut acc = self.sub_expr(first);
                for (op, r) in ops {
                    let r = self.sub_expr(r);
                    acc = format!("({acc})|__cmp(\"{op}\", {r})");
                }
                self.w(&acc);
            }
            Expr::In(l, r) => {
                self.w("(");
                self.expr(l);
                self.w(")|__in(");
                self.expr(r);
                self.w(")");
            }
            Expr::Not(t) => {
                self.w("(not ");
                self.truthy(t);
                self.w(")");
            }
            Expr::And(l, r) => {
                self.w("((");
                self.expr(r);
                self.w(") if ");
                self.truthy(l);
                self.w(" else (");
                self.expr(l);
                self.w("))");
            }
            Expr::Or(l, r) => {
                self.w("((");
                self.expr(l);
                self.w(") if ");
                self.truthy(l);
                self.w(" else (");
                self.expr(r);
                self.w("))");
            }
            Expr::If(cond, body, else_) => {
                self.w("((");
                self.expr(body);
                self.w(") if ");
                self.truthy(cond);
                self.w(" else (");
                match else_ {
                    Some(e) => self.expr(e),
                    None => self.w("__undefined()"),
                }
                self.w("))");
            }
            Expr::Is(l, test) => {
                let (name, args): (String, &[Arg]) = match &**test {
                    Expr::Sym(n, _) => (n.clone(), &[]),
                    Expr::Lit(Lit::Null) => ("null".into(), &[]),
                    Expr::Call(callee, args) => match &**callee {
                        Expr::Sym(n, _) => (n.clone(), args.as_slice()),
                        Expr::Lit(Lit::Null) => ("null".into(), args.as_slice()),
                        _ => ("__invalid".into(), &[]),
                    },
                    _ => ("__invalid".into(), &[]),
                };
                self.w("(");
                self.expr(l);
                self.w(")|__test(");
                self.string(&name);
                self.nj_args(args, true);
                self.w(")");
            }
            Expr::Array(items) => {
                self.w("__arr(");
                for (i, it) in items.iter().enumerate() {
                    if i > 0 {
                        self.w(", ");
                    }
                    self.expr(it);
                }
                self.w(")");
            }
            Expr::Dict(pairs) => {
                self.w("{");
                for (i, (k, v)) in pairs.iter().enumerate() {
                    if i > 0 {
                        self.w(", ");
                    }
                    self.string(k);
                    self.w(": ");
                    self.expr(v);
                }
                self.w("}");
            }
            Expr::Group(items) => {
                // `(a, b)` evaluates to its last item in nunjucks' compiled JS; one item is a group.
                self.w("(");
                self.expr(items.last().expect("non-empty group"));
                self.w(")");
            }
        }
    }

    fn unary(&mut self, f: &str, t: &Expr) {
        self.w("(");
        self.expr(t);
        self.w(&format!(")|{f}"));
    }
}
