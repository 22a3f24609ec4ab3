//! What a check means once the org has answered: captures pulled from a response, and predicates judged. Pure
//! functions of the response and the bindings, so the runner only fetches.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

pub use super::answer::Observed;
pub use super::error::{Error, Reason};
use super::model::{Capture, Cmp, Expected, Predicate, Step, Subject, Test, When};
use super::rules::{forced, unreadable};
use super::shape;
use super::template::{Part, Template, Var, field, to_text};
use super::time;
use crate::text::snippet;

/// The org's clock as an answer told it, or why it did not.
pub type Clock = Result<DateTime<Utc>, String>;

/// The values a check's templates can see: `vars`, its parameters, the captures made so far, and the item being
/// judged; and the org's clock, for facts about time.
#[derive(Debug, Clone, Default)]
pub struct Bindings {
    pub vars: Map<String, Value>,
    pub params: Map<String, Value>,
    pub captures: Map<String, Value>,
    /// The item of a `for_each` step or an `each` expectation.
    pub item: Option<Value>,
    /// The org's clock from the latest answer (`None` before the first).
    pub clock: Option<Clock>,
    /// The clock of the answer each capture came from.
    pub clocks: HashMap<String, Clock>,
    /// The clock of the answer the item came from (and of the answer its `for_each` step read for it).
    pub item_clock: Option<Clock>,
    /// For a list a `for_each` step read item by item: the clock of each item's answer, by index.
    pub item_clocks: HashMap<String, Vec<Clock>>,
}

/// The name under which a query's time relative to now (`{ now = "-24h" }`) is looked up: not a name a check can
/// write, so only [`now_template`] makes it.
pub const NOW: &str = "@now";

/// A query value that is the org's clock moved by `offset` (a duration, already validated).
pub fn now_template(offset: &str) -> Template {
    Template {
        source: format!("{{now {offset}}}"),
        parts: vec![Part::Var(Var {
            path: vec![NOW.to_string(), offset.to_string()],
            filters: Vec::new(),
        })],
    }
}

impl Bindings {
    /// The value at a dotted path (`app.status`, `vars.admin`, `item.label`), copying only that value.
    pub fn get(&self, path: &[String]) -> Option<Value> {
        self.get_with(self.item.as_ref(), path)
    }

    /// [`Bindings::get`] with `item` as the item (one of a list, not the bindings' own): no copy of the bindings.
    pub fn get_with(&self, item: Option<&Value>, path: &[String]) -> Option<Value> {
        let (root, rest) = match path {
            [vars, name, rest @ ..] if vars == "vars" => (self.vars.get(name)?, rest),
            [now, offset] if now == NOW => {
                let now = self.clock.as_ref()?.as_ref().ok()?;
                return Some(Value::from(time::stamp(*now + time::duration(offset).ok()?)));
            }
            [name, rest @ ..] if name == "item" => (item?, rest),
            [name, rest @ ..] => (self.captures.get(name).or_else(|| self.params.get(name))?, rest),
            [] => return None,
        };
        rest.iter().try_fold(root, |v, k| field(v, k)).cloned()
    }

    /// The clock a predicate's subject is compared against: the answer its value came from.
    ///
    /// For a template, the latest answer's, unless a capture it reads came from an answer without a readable clock.
    fn clock_for(&self, subject: &Subject) -> Option<&Clock> {
        match subject {
            Subject::Capture(path) if path[0] == "item" && self.item.is_some() => self.item_clock.as_ref(),
            Subject::Capture(path) => self.clocks.get(&path[0]).or(self.clock.as_ref()),
            Subject::Value(t) if self.item.is_some() && t.vars().any(|v| v.name() == "item") => {
                self.item_clock.as_ref()
            }
            Subject::Value(t) => t
                .vars()
                .filter_map(|v| self.clocks.get(v.name()))
                .find(|c| c.is_err())
                .or(self.clock.as_ref()),
            _ => self.clock.as_ref(),
        }
    }
}

/// The clock of an item: both the answer that listed it and the one read for it must carry one (the item's own
/// answer's is used); either unreadable, and so is the item's.
pub fn item_clock(list: Option<&Clock>, own: Option<&Clock>) -> Option<Clock> {
    match (list, own) {
        (Some(Err(e)), _) | (_, Some(Err(e))) => Some(Err(e.clone())),
        (_, Some(c)) => Some(c.clone()),
        (l, None) => l.cloned(),
    }
}

/// The items of a list capture, for `each` and `for_each`: an absent capture is an empty list only when it is
/// absent (`all = true` always captures a list); a value that is not a list is the answer's fault.
pub fn list_value(v: Option<Value>, list: &str, what: &str) -> Result<Vec<Value>, Error> {
    match v {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(a)) => Ok(a),
        Some(other) => Err(Error::new(
            Reason::Body,
            format!(
                "{what} reads the list `{list}`, and the answer gave {}",
                super::answer::kind(&other)
            ),
        )),
    }
}

/// Applies a capture to a response body. `Ok(None)`: nothing matched. An ambiguous match is an error, and so is a
/// selected value whose `where` fields are not what a `where` can compare (see [`shape::field`]).
pub fn capture(c: &Capture, body: &Value, b: &Bindings) -> Result<Option<Value>, Error> {
    let lookup = |p: &[String]| b.get(p);
    let mut wanted = Vec::with_capacity(c.filter.len());
    for (field, t) in &c.filter {
        wanted.push((field, t.render(&lookup).map_err(|e| Error::new(Reason::Input, e))?));
    }
    let mut matches: Vec<&Value> = Vec::new();
    'nodes: for node in c.path.query(body).all() {
        for (field, value) in &wanted {
            let found = shape::field(node, field).map_err(|e| {
                Error::new(
                    Reason::Body,
                    format!("the answer is not what the capture `{}` reads: {e}", c.name),
                )
            })?;
            if !found.is_some_and(|v| field_matches(v, value)) {
                continue 'nodes;
            }
        }
        matches.push(node);
    }
    if c.all {
        return Ok(Some(Value::Array(matches.into_iter().cloned().collect())));
    }
    match matches.as_slice() {
        [] => Ok(None),
        [one] => Ok(Some((*one).clone())),
        many => Err(Error::new(
            Reason::Ambiguous,
            format!(
                "ambiguous: the capture `{}` ({}) matched {} values where one was expected",
                c.name,
                c.source,
                many.len()
            ),
        )),
    }
}

/// A field's value equals the wanted one; a list field matches when one of its items does.
fn field_matches(v: &Value, wanted: &str) -> bool {
    let scalar = |v: &Value| match v {
        Value::String(s) => s == wanted,
        Value::Number(n) => n.to_string() == wanted,
        Value::Bool(b) => wanted == if *b { "true" } else { "false" },
        _ => false,
    };
    match v {
        Value::Array(items) => items.iter().any(scalar),
        other => scalar(other),
    }
}

/// Whether a predicate holds for a response (or, for captures and values, for the bindings alone).
pub fn holds(p: &Predicate, obs: Option<&Observed<'_>>, b: &Bindings) -> Result<bool, Error> {
    let subject = subject(p, obs, b);
    let input = |e: String| Error::new(Reason::Input, e);
    let expect = |e: &Expected| -> Result<Value, Error> {
        Ok(match e {
            Expected::Str(t) => Value::from(t.render(&|p| b.get(p)).map_err(input)?),
            Expected::Int(i) => Value::from(*i),
            Expected::Bool(v) => Value::from(*v),
        })
    };
    Ok(match &p.test {
        Test::Time(when, t) => return on_time(p, *when, t, subject.as_ref(), b),
        other => test(other, subject.as_ref(), &expect)?,
    })
}

/// The value a predicate tests, if present (a `null` is absent).
fn subject(p: &Predicate, obs: Option<&Observed<'_>>, b: &Bindings) -> Option<Value> {
    let subject: Option<Value> = match &p.subject {
        Subject::Status => obs.map(|o| Value::from(o.status)),
        Subject::ErrorCode => obs.and_then(|o| o.body.get("errorCode").cloned()),
        Subject::Header(h) => obs.and_then(|o| {
            let values: Vec<&str> = o
                .headers
                .iter()
                .filter(|(k, _)| k == h)
                .map(|(_, v)| v.as_str())
                .collect();
            (!values.is_empty()).then(|| Value::from(values.join(", ")))
        }),
        Subject::Capture(path) => b.get(path),
        Subject::Value(t) => t.render(&|p| b.get(p)).ok().map(Value::from),
    };
    subject.filter(|v| !v.is_null())
}

/// A predicate other than one of time, on the subject's value.
fn test(t: &Test, subject: Option<&Value>, expect: &dyn Fn(&Expected) -> Result<Value, Error>) -> Result<bool, Error> {
    let subject = subject.cloned();
    Ok(match t {
        Test::Time(..) => false,
        Test::Equals(e) => {
            let e = expect(e)?;
            subject.is_some_and(|s| same(&s, &e))
        }
        Test::NotEquals(e) => {
            let e = expect(e)?;
            !subject.is_some_and(|s| same(&s, &e))
        }
        Test::Contains(e) => contains(subject.as_ref(), &expect(e)?),
        Test::NotContains(e) => !contains(subject.as_ref(), &expect(e)?),
        Test::Exists(want) => {
            let exists = match &subject {
                None => false,
                Some(Value::Array(a)) => !a.is_empty(),
                Some(_) => true,
            };
            exists == *want
        }
        Test::Matches(re) => subject.is_some_and(|s| re.is_match(&to_text(&s))),
        Test::OneOf(list) => {
            let mut any = false;
            for e in list {
                if subject
                    .as_ref()
                    .is_some_and(|s| same(s, &expect(e).unwrap_or_default()))
                {
                    any = true;
                }
            }
            any
        }
        Test::Count(cmp, n) => {
            let count = match &subject {
                None => 0,
                Some(Value::Array(a)) => a.len(),
                Some(Value::Object(o)) => o.len(),
                Some(_) => 1,
            };
            match cmp {
                Cmp::Eq => count == *n,
                Cmp::AtLeast => count >= *n,
                Cmp::AtMost => count <= *n,
            }
        }
    })
}

/// `before`/`after`: the subject, an RFC 3339 date, against the org's clock of the answer it came from, moved by
/// the duration. An absent date does not hold; one that is not a date, or an answer without a readable `Date`,
/// is an error: kb never falls back on its own clock.
fn on_time(p: &Predicate, when: When, offset: &Template, subject: Option<&Value>, b: &Bindings) -> Result<bool, Error> {
    let text = offset.render(&|p| b.get(p)).map_err(|e| Error::new(Reason::Input, e))?;
    let d = time::duration(&text).map_err(|e| Error::new(Reason::Input, e))?;
    let Some(v) = subject else {
        return Ok(false);
    };
    let name = subject_name(&p.subject);
    let at = time::date(v).ok_or_else(|| {
        Error::new(
            Reason::Body,
            format!(
                "{name} is `{}`, not a date (RFC 3339)",
                snippet(to_text(v).as_bytes(), 60)
            ),
        )
    })?;
    let now = match b.clock_for(&p.subject) {
        Some(Ok(now)) => *now,
        Some(Err(why)) => return Err(no_clock(why, &name)),
        None => return Err(no_clock("no answer has been read", &name)),
    };
    let moment = now + d;
    Ok(match when {
        When::Before => at < moment,
        When::After => at > moment,
    })
}

fn no_clock(why: &str, name: &str) -> Error {
    Error::new(
        Reason::Body,
        format!("{why}, so kb has no \"now\" to compare {name} with (the org's clock is the only one kb uses)"),
    )
}

/// A predicate's subject in words: `` `key.expiresAt` ``, `the status`.
fn subject_name(s: &Subject) -> String {
    match s {
        Subject::Capture(path) => format!("`{}`", path.join(".")),
        Subject::Status => "the status".into(),
        Subject::ErrorCode => "the error code".into(),
        Subject::Header(h) => format!("the header {h}"),
        Subject::Value(t) => format!("`{}`", t.source),
    }
}

/// What a failing predicate read, for a finding's detail: `` `key.expiresAt` is 2026-12-09T10:00:00.000Z, in 8
/// days (expected after 30 days from now) ``. The org's words are quoted with control characters escaped.
pub fn detail(p: &Predicate, obs: Option<&Observed<'_>>, b: &Bindings) -> String {
    let name = subject_name(&p.subject);
    let Some(v) = subject(p, obs, b) else {
        return format!("{name} is absent");
    };
    let shown = snippet(to_text(&v).as_bytes(), 120);
    if let Test::Time(when, t) = &p.test {
        let now = b.clock_for(&p.subject).and_then(|c| c.as_ref().ok());
        let text = t.render_lenient(&|p| b.get(p));
        if let (Some(now), Some(at), Ok(d)) = (now, time::date(&v), time::duration(&text)) {
            let word = if *when == When::Before { "before" } else { "after" };
            return format!(
                "{name} is {shown}, {} (expected {word} {})",
                time::from_now(at, *now),
                time::offset_words(d)
            );
        }
    }
    format!("{name} is {shown}")
}

/// Values compare as JSON when both are numbers or booleans, else as text (so `200` equals `"200"`).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        _ => to_text(a) == to_text(b),
    }
}

fn contains(subject: Option<&Value>, item: &Value) -> bool {
    match subject {
        Some(Value::Array(a)) => a.iter().any(|v| same(v, item)),
        Some(Value::Object(o)) => o.contains_key(&to_text(item)),
        Some(Value::String(s)) => s.contains(&to_text(item)),
        Some(other) => same(other, item),
        None => false,
    }
}

/// What one step's response means for its check.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Everything held: go on to the next step (or `pass` after the last).
    Continue,
    /// A precondition does not hold: the article does not apply to this org.
    Skip(String),
    /// Observed, and an expectation does not hold: the org has the problem.
    Fail(Failure),
    /// Could not observe.
    Error(Error),
}

/// Why an expectation did not hold.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Failure {
    /// The expectation's own message, if it has one.
    pub message: Option<String>,
    /// What the failing expectation read (`` `user.status` is LOCKED_OUT ``).
    pub detail: String,
    /// For expectations judged per item: the items that fail, each with what it read.
    pub items: Vec<(Value, String)>,
    /// How many items were judged.
    pub judged: usize,
}

/// Judges one step's response by the rules every check shares, then by the step's own captures, preconditions and
/// expectations. Captures are added to `b`.
///
/// Any 403, a 401 E0000011, a 429 and a 5xx are errors whatever the expectations say; another status counts only
/// against an expectation that names it; a step that names no status expects 2xx. Then the answer must be one kb
/// read ([`unreadable`]): a verdict is only ever drawn from the endpoint's JSON.
pub fn judge(step: &Step, obs: &Observed<'_>, b: &mut Bindings) -> Outcome {
    if let Some(e) = forced(step, obs).or_else(|| unreadable(step, obs)) {
        return Outcome::Error(e);
    }
    let clock = time::clock(obs.headers);
    b.clock = Some(clock.clone());
    if let Some(f) = &step.for_each {
        b.item_clock = item_clock(b.clocks.get(&f.list), Some(&clock));
    }
    // Captures read the endpoint's data: an error answer a step accepts (a named 404) has none to give.
    let body = match obs.body.json() {
        Some(v) if (200..300).contains(&obs.status) => v,
        _ => &Value::Null,
    };
    for c in &step.captures {
        match capture(c, body, b) {
            Ok(Some(v)) => {
                b.captures.insert(c.name.clone(), v);
                b.clocks.insert(c.name.clone(), clock.clone());
            }
            Ok(None) => {}
            Err(e) => return Outcome::Error(e),
        }
    }
    for p in &step.skip_unless {
        match holds(p, Some(obs), b) {
            Ok(true) => {}
            Ok(false) => return Outcome::Skip(describe(p)),
            Err(e) => return Outcome::Error(e),
        }
    }
    let mut failure: Option<Failure> = None;
    for p in &step.expect {
        if let Some(list) = &p.each {
            match each(p, list, Some(obs), b) {
                Ok(None) => {}
                Ok(Some(f)) => merge(&mut failure, f),
                Err(e) => return Outcome::Error(e),
            }
            continue;
        }
        match holds(p, Some(obs), b) {
            Ok(true) => {}
            Ok(false) => {
                // The items an earlier `each` found stay findings.
                let (items, judged) = failure.map_or((Vec::new(), 0), |f| (f.items, f.judged));
                return Outcome::Fail(Failure {
                    message: p.fail.as_ref().map(|t| t.render_lenient(&|p| b.get(p))),
                    detail: detail(p, Some(obs), b),
                    items,
                    judged,
                });
            }
            Err(e) => return Outcome::Error(e),
        }
    }
    match failure {
        Some(f) => Outcome::Fail(f),
        None => Outcome::Continue,
    }
}

/// An expectation judged for every item of a list capture: `None` when every item holds (so on an empty list).
fn each(p: &Predicate, list: &str, obs: Option<&Observed<'_>>, b: &mut Bindings) -> Result<Option<Failure>, Error> {
    // The list is held here while its items are judged, then put back: not copied.
    // A copy: the list itself stays readable by the expectation (`{{ groups.0.id }}`).
    let mut items = list_value(b.captures.get(list).cloned(), list, "`each`")?;
    let (saved, saved_clock) = (b.item.take(), b.item_clock.take());
    let own = b.item_clocks.remove(list).unwrap_or_default();
    let mut failing = Vec::new();
    let mut outcome = Ok(());
    for (i, slot) in items.iter_mut().enumerate() {
        // Each item is moved into place and back, never copied unless it fails.
        b.item = Some(std::mem::take(slot));
        b.item_clock = item_clock(b.clocks.get(list), own.get(i));
        let held = holds(p, obs, b);
        let item = b.item.take().unwrap_or_default();
        match held {
            Ok(true) => {}
            Ok(false) => {
                b.item = Some(item.clone());
                failing.push((item.clone(), detail(p, obs, b)));
                b.item = None;
            }
            Err(e) => outcome = Err(e),
        }
        *slot = item;
        if outcome.is_err() {
            break;
        }
    }
    let judged = items.len();
    b.item_clocks.insert(list.to_string(), own);
    let message = p.fail.as_ref().map(|t| t.render_lenient(&|p| b.get(p)));
    b.item = saved;
    b.item_clock = saved_clock;
    outcome?;
    Ok((!failing.is_empty()).then(|| Failure {
        message,
        detail: String::new(),
        items: failing,
        judged,
    }))
}

/// Two expectations of a step failing per item: an item failing both is named once, with the first's detail.
fn merge(into: &mut Option<Failure>, f: Failure) {
    match into {
        None => *into = Some(f),
        Some(first) => {
            for (item, detail) in f.items {
                if !first.items.iter().any(|(i, _)| *i == item) {
                    first.items.push((item, detail));
                }
            }
            first.judged = first.judged.max(f.judged);
        }
    }
}

/// A precondition in words, for a skip's reason.
fn describe(p: &Predicate) -> String {
    let what = match &p.subject {
        Subject::Value(t) => t.source.clone(),
        other => subject_name(other),
    };
    format!("precondition not met: {what}")
}

#[cfg(test)]
#[path = "eval_tests.rs"]
mod tests;
