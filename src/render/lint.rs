//! Checks of the parsed tree that need no values: expressions Backstage is sure to fail on when
//! it renders them. Today one: a slice of a literal that has no length (`{}[1:]`, `5[1:]`,
//! `true[0:]`) never reaches its end, so nunjitsu stops the render at its work limit.

use super::syntax::{Arg, Expr, Lit, Node};

/// The first problem found in `nodes`, as a message.
pub fn problem(nodes: &[Node]) -> Option<String> {
    let mut found = None;
    walk_nodes(nodes, &mut |e| {
        if found.is_none() {
            found = endless_slice(e);
        }
    });
    found
}

/// `target[start:stop:step]` where `target` is a truthy literal without a length and the bounds
/// let the loop run on (nunjitsu's `#evaluateSlice`: the length is `undefined`).
fn endless_slice(e: &Expr) -> Option<String> {
    let Expr::Lookup(target, key, _) = e else {
        return None;
    };
    let Expr::Slice(start, stop, step) = &**key else {
        return None;
    };
    let what = match &**target {
        Expr::Dict(_) => "an object",
        Expr::Lit(Lit::Num(n)) if *n != 0.0 && !n.is_nan() => "a number",
        Expr::Lit(Lit::Bool(true)) => "`true`",
        Expr::Regex(..) => "a regular expression",
        _ => return None,
    };
    let num = |x: &Option<Box<Expr>>| match x.as_deref() {
        None => Some(None),
        Some(Expr::Lit(Lit::Num(n))) => Some(Some(*n)),
        Some(Expr::Neg(inner)) => match &**inner {
            Expr::Lit(Lit::Num(n)) => Some(Some(-n)),
            _ => None,
        },
        _ => None,
    };
    let endless = num(step)?.is_none_or(|s| s > 0.0)
        && num(start)?.is_none_or(|s| s >= 0.0)
        && num(stop)?.is_none_or(|s| s < 0.0);
    endless.then(|| {
        format!(
            "slicing {what} never ends (it has no length): Backstage stops such a render with \
             \"Template evaluation exceeded the work unit limit of {}\"",
            super::ops::WORK_LIMIT
        )
    })
}

fn walk_nodes(nodes: &[Node], f: &mut impl FnMut(&Expr)) {
    for n in nodes {
        match n {
            Node::Text(_) => {}
            Node::Output(e, ..) => walk_expr(e, f),
            Node::If {
                cond, body, else_, ..
            } => {
                walk_expr(cond, f);
                walk_nodes(body, f);
                walk_nodes(else_.as_deref().unwrap_or_default(), f);
            }
            Node::For {
                arr, body, else_, ..
            } => {
                walk_expr(arr, f);
                walk_nodes(body, f);
                walk_nodes(else_.as_deref().unwrap_or_default(), f);
            }
            Node::Set { value, body, .. } => {
                if let Some(v) = value {
                    walk_expr(v, f);
                }
                walk_nodes(body, f);
            }
            Node::Macro { args, body, .. } | Node::FilterBlock { args, body, .. } => {
                walk_args(args, f);
                walk_nodes(body, f);
            }
            Node::CallBlock {
                call,
                caller_args,
                body,
                ..
            } => {
                walk_expr(call, f);
                walk_args(caller_args, f);
                walk_nodes(body, f);
            }
            Node::Switch {
                expr,
                cases,
                default,
                ..
            } => {
                walk_expr(expr, f);
                for (c, _, body) in cases {
                    walk_expr(c, f);
                    walk_nodes(body, f);
                }
                walk_nodes(default.as_deref().unwrap_or_default(), f);
            }
            Node::Block(body) => walk_nodes(body, f),
        }
    }
}

fn walk_args(args: &[Arg], f: &mut impl FnMut(&Expr)) {
    for a in args {
        match a {
            Arg::Pos(e) | Arg::Kw(_, e) => walk_expr(e, f),
        }
    }
}

/// Calls `f` on `e` and every expression inside it.
fn walk_expr(e: &Expr, f: &mut impl FnMut(&Expr)) {
    f(e);
    match e {
        Expr::Lit(_) | Expr::Regex(..) | Expr::Sym(..) => {}
        Expr::Lookup(a, b, _)
        | Expr::Bin(_, a, b)
        | Expr::In(a, b)
        | Expr::And(a, b)
        | Expr::Or(a, b)
        | Expr::Is(a, b) => {
            walk_expr(a, f);
            walk_expr(b, f);
        }
        Expr::Slice(a, b, c) => {
            for x in [a, b, c].into_iter().flatten() {
                walk_expr(x, f);
            }
        }
        Expr::Call(callee, args) => {
            walk_expr(callee, f);
            walk_args(args, f);
        }
        Expr::Filter(_, input, args, _) => {
            walk_expr(input, f);
            walk_args(args, f);
        }
        Expr::Neg(x) | Expr::Pos(x) | Expr::Floor(x) | Expr::Not(x) => walk_expr(x, f),
        Expr::Compare(first, rest) => {
            walk_expr(first, f);
            for (_, r) in rest {
                walk_expr(r, f);
            }
        }
        Expr::If(c, b, e) => {
            walk_expr(c, f);
            walk_expr(b, f);
            if let Some(e) = e {
                walk_expr(e, f);
            }
        }
        Expr::Array(items) | Expr::Group(items) => {
            for x in items {
                walk_expr(x, f);
            }
        }
        Expr::Dict(pairs) => {
            for (_, x) in pairs {
                walk_expr(x, f);
            }
        }
    }
}
