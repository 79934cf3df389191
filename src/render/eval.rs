//! Direct evaluation of the common templates: text, `${{ }}` outputs and `{% if %}` blocks whose
//! expressions are literals, variable and member lookups, slices, comparisons, `in`, `is` tests,
//! arithmetic and `and`/`or`/`not`. It gives exactly what the minijinja translation of `emit.rs`
//! gives (it calls the same `ops.rs` helpers in the same order), without translating and
//! compiling every skeleton file. Anything else (filters, calls, loops, `set`, macros, ...) and
//! every failure is left to minijinja: [`render`] and [`expr`] return [`Fallback`] and the engine
//! renders the template the general way, which then also gives the error message.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use minijinja::value::Value;

use super::ops;
use super::syntax::{Arg, Expr, Lit, Node};
use super::text::js_string;

/// Not handled here: render through minijinja instead.
#[derive(Debug)]
pub struct Fallback;

type Res<T> = Result<T, Fallback>;

/// Deeper expressions are left to minijinja (and its limits).
const MAX_DEPTH: usize = 48;

/// Whether every node is one this evaluator handles (checked before rendering anything).
pub fn supported(nodes: &[Node]) -> bool {
    nodes.iter().all(|n| match n {
        Node::Text(_) => true,
        Node::Output(e, ..) => supported_expr(e, 0),
        Node::If {
            cond, body, else_, ..
        } => supported_expr(cond, 0) && supported(body) && else_.as_deref().is_none_or(supported),
        Node::Block(body) => supported(body),
        _ => false,
    })
}

fn supported_expr(e: &Expr, depth: usize) -> bool {
    if depth > MAX_DEPTH {
        return false;
    }
    let sub = |x: &Expr| supported_expr(x, depth + 1);
    match e {
        Expr::Lit(Lit::Num(n)) => n.is_finite(),
        Expr::Lit(_) | Expr::Sym(..) => true,
        Expr::Lookup(t, k, _) => {
            sub(t)
                && match &**k {
                    Expr::Slice(a, b, c) => [a, b, c].into_iter().flatten().all(|p| sub(p)),
                    k => sub(k),
                }
        }
        Expr::Neg(t) | Expr::Pos(t) | Expr::Floor(t) | Expr::Not(t) => sub(t),
        Expr::Bin(_, l, r) | Expr::In(l, r) | Expr::And(l, r) | Expr::Or(l, r) => sub(l) && sub(r),
        Expr::Compare(first, rest) => sub(first) && rest.iter().all(|(_, r)| sub(r)),
        Expr::If(c, b, e) => sub(c) && sub(b) && e.as_deref().is_none_or(sub),
        Expr::Is(l, test) => {
            sub(l)
                && match &**test {
                    Expr::Sym(..) | Expr::Lit(Lit::Null) => true,
                    Expr::Call(callee, args) => {
                        matches!(&**callee, Expr::Sym(..) | Expr::Lit(Lit::Null))
                            && args
                                .iter()
                                .all(|a| matches!(a, Arg::Pos(x) if supported_expr(x, depth + 1)))
                    }
                    _ => false,
                }
        }
        Expr::Group(items) => items.last().is_some_and(sub),
        _ => false,
    }
}

/// The values of tags' expressions evaluated against one context, by the parsed expression
/// (shared by every template that holds it, see `syntax::ExprCache`; kept alive here, so its
/// address names it). Evaluating a supported expression has no side effects, so its value only
/// depends on the context: a file writes the same `${{ values.name }}` several times, and a
/// skeleton's files share most of their expressions.
#[derive(Default)]
pub struct Memo(HashMap<usize, (Arc<Expr>, Value), foldhash::fast::RandomState>);

impl Memo {
    /// A memo of a run with many distinct expressions is emptied when full.
    const MAX_ENTRIES: usize = 1024;
}

/// Renders `nodes` into `out`, or answers [`Fallback`] when not all of them are [`supported`]
/// (checked as it goes: each distinct expression once, before it is evaluated, and the branch
/// an `if` does not take as a whole), or when evaluating fails. `memo` must only ever have seen
/// `ctx`.
pub fn render(
    nodes: &[Node],
    ctx: &Value,
    cookiecutter: bool,
    memo: &RefCell<Memo>,
    out: &mut String,
) -> Res<()> {
    let ev = Eval::new(ctx, cookiecutter, memo);
    ev.nodes(nodes, out)
}

/// Evaluates one [`supported_expr`] expression.
pub fn expr(e: &Expr, ctx: &Value, cookiecutter: bool) -> Res<Value> {
    if !supported_expr(e, 0) {
        return Err(Fallback);
    }
    Eval::new(ctx, cookiecutter, &RefCell::default()).expr(e)
}

struct Eval<'a> {
    ctx: &'a Value,
    cookiecutter: bool,
    /// The values of the tags' expressions met so far with this context.
    memo: &'a RefCell<Memo>,
    /// The last name looked up in the context and its value (`values`, in nearly every tag).
    last_name: RefCell<Option<(&'a str, Value)>>,
}

/// Names `emit.rs` renames (`__kw_...`): never in a context, so minijinja's lookup decides.
const MJ_KEYWORDS: &[&str] = &[
    "true", "false", "none", "True", "False", "None", "and", "or", "not", "in", "is", "if", "else",
];

fn is_ident(s: &str) -> bool {
    let mut c = s.chars();
    c.next()
        .is_some_and(|f| f == '_' || f.is_ascii_alphabetic())
        && c.all(|x| x == '_' || x.is_ascii_alphanumeric())
}

impl<'a> Eval<'a> {
    fn new(ctx: &'a Value, cookiecutter: bool, memo: &'a RefCell<Memo>) -> Self {
        Eval {
            ctx,
            cookiecutter,
            memo,
            last_name: RefCell::new(None),
        }
    }

    /// [`Eval::expr`] of a tag's expression, once per expression and context.
    fn tag_expr(&self, e: &'a Arc<Expr>) -> Res<Value> {
        let key = Arc::as_ptr(e) as usize;
        if let Some((_, v)) = self.memo.borrow().0.get(&key) {
            return Ok(v.clone());
        }
        if !supported_expr(e, 0) {
            return Err(Fallback);
        }
        let v = self.expr(e)?;
        // Only shared trees (held by the expression cache too): a long expression that is not
        // cached is parsed anew for every file and would only fill the memo.
        if Arc::strong_count(e) < 2 {
            return Ok(v);
        }
        let mut memo = self.memo.borrow_mut();
        if memo.0.len() >= Memo::MAX_ENTRIES {
            memo.0.clear();
        }
        memo.0.insert(key, (e.clone(), v.clone()));
        Ok(v)
    }

    /// A name's value in the context (`None` when it has none).
    fn context_name(&self, n: &'a str) -> Option<Value> {
        if let Some((name, v)) = &*self.last_name.borrow() {
            if *name == n {
                return Some(v.clone());
            }
        }
        let v = self.ctx.get_attr(n).ok().filter(|v| !v.is_undefined())?;
        *self.last_name.borrow_mut() = Some((n, v.clone()));
        Some(v)
    }

    fn nodes(&self, nodes: &'a [Node], out: &mut String) -> Res<()> {
        for n in nodes {
            match n {
                Node::Text(t) => out.push_str(t),
                Node::Output(e, ..) => {
                    let v = self.tag_expr(e)?;
                    match v.as_str() {
                        Some(s) if matches!(v.kind(), minijinja::value::ValueKind::String) => {
                            out.push_str(s)
                        }
                        _ => out.push_str(&js_string(&v)),
                    }
                }
                Node::If {
                    cond, body, else_, ..
                } => {
                    // The branch not taken is checked too: minijinja compiles all of it.
                    if ops::truthy(&self.tag_expr(cond)?) {
                        self.nodes(body, out)?;
                        if !else_.as_deref().is_none_or(supported) {
                            return Err(Fallback);
                        }
                    } else {
                        if !supported(body) {
                            return Err(Fallback);
                        }
                        if let Some(e) = else_ {
                            self.nodes(e, out)?;
                        }
                    }
                }
                Node::Block(body) => self.nodes(body, out)?,
                _ => return Err(Fallback),
            }
        }
        Ok(())
    }

    fn expr(&self, e: &'a Expr) -> Res<Value> {
        Ok(match e {
            Expr::Lit(Lit::Str(s)) => Value::from(s.as_str()),
            Expr::Lit(Lit::Num(n)) => {
                if n.fract() == 0.0 && n.abs() < 9.0e15 {
                    Value::from(*n as i64)
                } else if n.is_finite() {
                    Value::from(*n)
                } else {
                    return Err(Fallback);
                }
            }
            Expr::Lit(Lit::Bool(b)) => Value::from(*b),
            Expr::Lit(Lit::Null) => Value::from(()),
            Expr::Sym(n, _) => match n.as_str() {
                "True" if self.cookiecutter => Value::from(true),
                "False" if self.cookiecutter => Value::from(false),
                "None" if self.cookiecutter => Value::from(()),
                n if MJ_KEYWORDS.contains(&n) => return Err(Fallback),
                // A name the context lacks may be a global function: minijinja decides.
                n => self.context_name(n).ok_or(Fallback)?,
            },
            Expr::Lookup(t, k, _) => {
                let target = self.expr(t)?;
                match &**k {
                    // minijinja's `.name`: an object's member, else undefined.
                    Expr::Lit(Lit::Str(s))
                        if is_ident(s) && s != "length" && !MJ_KEYWORDS.contains(&s.as_str()) =>
                    {
                        target.get_attr(s).unwrap_or(Value::UNDEFINED)
                    }
                    Expr::Slice(a, b, c) => {
                        let part = |p: &'a Option<Box<Expr>>| match p {
                            Some(p) => self.expr(p),
                            None => Ok(Value::from(())),
                        };
                        let (a, b, c) = (part(a)?, part(b)?, part(c)?);
                        ops::slice(target, a, b, c).map_err(|_| Fallback)?
                    }
                    k => ops::get(&target, &self.expr(k)?),
                }
            }
            Expr::Neg(t) => ops::num(-ops::to_number(&self.expr(t)?)),
            Expr::Pos(t) => ops::num(ops::to_number(&self.expr(t)?)),
            Expr::Floor(t) => ops::num(ops::to_number(&self.expr(t)?).floor()),
            Expr::Bin(op, l, r) => {
                let (l, r) = (self.expr(l)?, self.expr(r)?);
                ops::binary(op, &l, &r).ok_or(Fallback)?
            }
            Expr::Compare(first, rest) => {
                let mut acc = self.expr(first)?;
                for (op, r) in rest {
                    let r = self.expr(r)?;
                    acc = Value::from(ops::compare(op, &acc, &r).map_err(|_| Fallback)?);
                }
                acc
            }
            Expr::In(l, r) => {
                let (l, r) = (self.expr(l)?, self.expr(r)?);
                Value::from(ops::contains(&l, &r).map_err(|_| Fallback)?)
            }
            Expr::Not(t) => Value::from(!ops::truthy(&self.expr(t)?)),
            Expr::And(l, r) => {
                let left = self.expr(l)?;
                if ops::truthy(&left) {
                    self.expr(r)?
                } else {
                    left
                }
            }
            Expr::Or(l, r) => {
                let left = self.expr(l)?;
                if ops::truthy(&left) {
                    left
                } else {
                    self.expr(r)?
                }
            }
            Expr::If(cond, body, else_) => {
                if ops::truthy(&self.expr(cond)?) {
                    self.expr(body)?
                } else {
                    match else_ {
                        Some(e) => self.expr(e)?,
                        None => Value::UNDEFINED,
                    }
                }
            }
            Expr::Is(l, test) => {
                let input = self.expr(l)?;
                let (name, args): (&str, &[Arg]) = match &**test {
                    Expr::Sym(n, _) => (n, &[]),
                    Expr::Lit(Lit::Null) => ("null", &[]),
                    Expr::Call(callee, args) => match &**callee {
                        Expr::Sym(n, _) => (n, args),
                        Expr::Lit(Lit::Null) => ("null", args),
                        _ => return Err(Fallback),
                    },
                    _ => return Err(Fallback),
                };
                let args = args
                    .iter()
                    .map(|a| match a {
                        Arg::Pos(x) => self.expr(x),
                        Arg::Kw(..) => Err(Fallback),
                    })
                    .collect::<Res<Vec<_>>>()?;
                Value::from(ops::test(name, &input, &args).map_err(|_| Fallback)?)
            }
            Expr::Group(items) => self.expr(items.last().ok_or(Fallback)?)?,
            _ => return Err(Fallback),
        })
    }
}
