//! What of an answer the selected checks can read: everything else is left out of a snapshot.
//!
//! Each check is read as a whole: its captures' JSONPaths (with the fields their filters and `where` compare),
//! the fields of captures and items its expectations, preconditions and templates name (labels, details, links,
//! messages, request paths), `count` on an object (its keys), and every field the rules shared by all checks read
//! (the fields Okta's spec says the endpoint always carries, which a wrong-shape check looks for; an error body's
//! `errorCode`, `errorSummary` and `errorCauses`; an OAuth error's `error` and `error_description`).
//!
//! The result is a [`Node`] tree per step: a field it names is kept (what under it, the tree says), a list keeps
//! all its items (its length is something a check can count), and a value read whole is kept whole. A JSONPath kb
//! cannot follow (a descendant segment, a filter reading the root) keeps the whole of what it starts from: a
//! snapshot may hold more than a check reads, never less.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde_json::{Map, Value};

use crate::checks::Check;
use crate::checks::model::{Expected, Predicate, Subject, Test};
use crate::checks::path::{Method, PathTemplate, Segment};
use crate::checks::shape::Form;
use crate::checks::template::Template;

/// What of a value is kept.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Node {
    /// The value as it is.
    whole: bool,
    /// Every member of an object (its keys are read), each pruned by `every`.
    keys: bool,
    fields: BTreeMap<String, Node>,
    /// What is kept of every item of a list or member of an object.
    every: Option<Box<Node>>,
}

/// A step down a value.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    Field(String),
    Every,
}

/// How a value at the end of a path is read.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Leaf {
    Whole,
    /// Its keys or items are counted.
    Keys,
    /// Only whether it is there.
    Present,
}

impl Node {
    pub fn insert(&mut self, path: &[Step], leaf: Leaf) {
        if self.whole {
            return;
        }
        match path.split_first() {
            None => match leaf {
                Leaf::Whole => {
                    *self = Node {
                        whole: true,
                        ..Node::default()
                    }
                }
                Leaf::Keys => self.keys = true,
                Leaf::Present => {}
            },
            Some((Step::Field(f), rest)) => self.fields.entry(f.clone()).or_default().insert(rest, leaf),
            Some((Step::Every, rest)) => self.every.get_or_insert_with(Box::default).insert(rest, leaf),
        }
    }

    pub fn merge(&mut self, other: &Node) {
        if self.whole {
            return;
        }
        if other.whole {
            *self = other.clone();
            return;
        }
        self.keys |= other.keys;
        for (k, n) in &other.fields {
            self.fields.entry(k.clone()).or_default().merge(n);
        }
        if let Some(e) = &other.every {
            self.every.get_or_insert_with(Box::default).merge(e);
        }
    }

    /// `v` with only what the tree keeps.
    pub fn prune(&self, v: &Value) -> Value {
        prune(&[self], v)
    }
}

/// `v` with what any of `nodes` keeps.
fn prune(nodes: &[&Node], v: &Value) -> Value {
    if nodes.iter().any(|n| n.whole) {
        return v.clone();
    }
    let every: Vec<&Node> = nodes.iter().filter_map(|n| n.every.as_deref()).collect();
    match v {
        Value::Object(o) => {
            let keys = nodes.iter().any(|n| n.keys);
            let mut out = Map::new();
            for (k, val) in o {
                let mut under: Vec<&Node> = nodes.iter().filter_map(|n| n.fields.get(k)).collect();
                under.extend(&every);
                if under.is_empty() && !keys {
                    continue;
                }
                out.insert(k.clone(), prune(&under, val));
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(|i| prune(&every, i)).collect()),
        scalar => scalar.clone(),
    }
}

/// The fields an error answer's rules read.
const ERROR_FIELDS: &[&str] = &["errorCode", "errorSummary", "errorCauses", "error", "error_description"];

/// What the selected checks read, per step they make.
#[derive(Debug, Default)]
pub struct Plan {
    steps: Vec<(Method, PathTemplate, Node)>,
    /// Headers the checks name, besides [`super::HEADERS`].
    pub headers: BTreeSet<String>,
}

impl Plan {
    pub fn new<'c>(checks: impl IntoIterator<Item = &'c Check>) -> Plan {
        let mut plan = Plan::default();
        for check in checks {
            for (i, node) in read_by(check).into_iter().enumerate() {
                let step = &check.steps()[i];
                plan.steps.push((step.method, step.path.clone(), node));
            }
            for s in check.steps() {
                for p in s.expect.iter().chain(&s.skip_unless) {
                    if let Subject::Header(h) = &p.subject {
                        plan.headers.insert(h.to_ascii_lowercase());
                    }
                }
            }
        }
        plan
    }

    /// What is kept of the answer to `method` `url` (its path's segments, decoded) with `status`. An error answer
    /// (not 2xx) gives captures nothing (they read `null`), so only what the rules read of it is kept.
    pub fn keep(&self, method: Method, segments: &[String], status: u16, body: &Value) -> Value {
        if !(200..300).contains(&status) {
            let mut error = Node::default();
            for f in ERROR_FIELDS {
                error.insert(&[Step::Field(f.to_string())], Leaf::Whole);
            }
            return error.prune(body);
        }
        let nodes: Vec<&Node> = self
            .steps
            .iter()
            .filter(|(m, p, _)| *m == method && fits(p, segments))
            .map(|(_, _, n)| n)
            .collect();
        // A request no step makes (kb's bug if so): kept whole rather than judged on less than was read.
        if nodes.is_empty() {
            return body.clone();
        }
        prune(&nodes, body)
    }
}

/// Whether a step's path template makes this path.
fn fits(p: &PathTemplate, segments: &[String]) -> bool {
    p.segments.len() == segments.len()
        && p.segments.iter().zip(segments).all(|(t, s)| match t {
            Segment::Literal(l) => l == s,
            Segment::Value(_) => true,
        })
}

/// For each step of `check`, what of its answer the check reads.
fn read_by(check: &Check) -> Vec<Node> {
    let steps = check.steps();
    let mut uses = Uses::new(check);
    uses.collect();
    let mut nodes = vec![Node::default(); steps.len()];
    for (i, step) in steps.iter().enumerate() {
        let node = &mut nodes[i];
        node.insert(&[Step::Field("errorCode".into())], Leaf::Whole);
        if let Some(e) = step.endpoint {
            let required: &[Step] = match e.form {
                Form::List => &[Step::Every],
                Form::Object => &[],
                _ => continue,
            };
            for f in &e.fields {
                let mut path = required.to_vec();
                path.push(Step::Field(f.to_string()));
                node.insert(&path, Leaf::Present);
            }
        }
    }
    for (s, step) in steps.iter().enumerate() {
        for c in &step.captures {
            let (base, filters) = match jsonpath(&c.source) {
                Ok(found) => found,
                Err(prefix) => {
                    nodes[s].insert(&prefix, Leaf::Whole);
                    continue;
                }
            };
            for f in filters {
                nodes[s].insert(&f, Leaf::Whole);
            }
            let mut at = |rel: &[Step], leaf: Leaf| {
                let mut path = base.clone();
                path.extend_from_slice(rel);
                nodes[s].insert(&path, leaf);
            };
            at(&[], Leaf::Present);
            for (field, _) in &c.filter {
                at(&steps_of(field), Leaf::Whole);
            }
            for (rel, leaf) in uses.of(&c.name) {
                if !c.all {
                    at(rel, *leaf);
                    continue;
                }
                // The capture is the list of the nodes matched: an item of it is a node.
                match rel.split_first() {
                    None if *leaf == Leaf::Whole => at(&[], Leaf::Whole),
                    None => at(&[], Leaf::Present),
                    Some((_, rest)) => at(rest, *leaf),
                }
            }
        }
    }
    nodes
}

/// What a check reads of each capture: paths relative to the capture's value, and how.
struct Uses<'c> {
    check: &'c Check,
    /// The captures of `for_each` steps, by name, with the list they join the items of.
    joins: HashMap<&'c str, &'c str>,
    found: HashMap<String, Vec<(Vec<Step>, Leaf)>>,
}

impl<'c> Uses<'c> {
    fn new(check: &'c Check) -> Uses<'c> {
        let mut joins = HashMap::new();
        for s in check.steps() {
            if let Some(f) = &s.for_each {
                for c in &s.captures {
                    joins.insert(c.name.as_str(), f.list.as_str());
                }
            }
        }
        Uses {
            check,
            joins,
            found: HashMap::new(),
        }
    }

    fn of(&self, capture: &str) -> &[(Vec<Step>, Leaf)] {
        self.found.get(capture).map_or(&[], Vec::as_slice)
    }

    fn collect(&mut self) {
        let check = self.check;
        let def = &check.definition;
        // The lists whose items a finding can be: those judged `each`, and those read `for_each`.
        let mut lists: Vec<&str> = Vec::new();
        for s in check.steps() {
            lists.extend(s.for_each.as_ref().map(|f| f.list.as_str()));
            lists.extend(s.expect.iter().filter_map(|p| p.each.as_deref()));
        }
        for t in check.fail.iter().chain(&def.fail) {
            self.template(t, &lists);
        }
        for (_, t) in &check.args {
            self.template(t, &[]);
        }
        match &def.finding {
            Some(f) => {
                for t in std::iter::once(&f.label).chain(&f.detail) {
                    self.template(t, &lists);
                }
                if let Some(link) = &f.link {
                    self.path(link, &lists);
                }
            }
            // A finding without a template is labelled by its item's `id`.
            None => self.var(&["item".into(), "id".into()], &lists, Leaf::Whole),
        }
        for s in check.steps() {
            let items: Vec<&str> = s.for_each.iter().map(|f| f.list.as_str()).collect();
            if let Some(f) = &s.for_each {
                self.var(std::slice::from_ref(&f.list), &[], Leaf::Present);
            }
            self.path(&s.path, &items);
            for (_, t) in &s.query {
                self.template(t, &items);
            }
            for c in &s.captures {
                for (_, t) in &c.filter {
                    self.template(t, &items);
                }
            }
            for p in s.expect.iter().chain(&s.skip_unless) {
                let each: Vec<&str> = p.each.as_deref().map_or(items.clone(), |l| vec![l]);
                self.predicate(p, &each);
            }
        }
    }

    fn predicate(&mut self, p: &Predicate, items: &[&str]) {
        let leaf = match p.test {
            Test::Count(..) => Leaf::Keys,
            Test::Exists(_) => Leaf::Present,
            _ => Leaf::Whole,
        };
        if let Some(list) = &p.each {
            self.var(std::slice::from_ref(list), &[], Leaf::Present);
        }
        match &p.subject {
            Subject::Capture(path) => self.var(path, items, leaf),
            Subject::Value(t) => self.template(t, items),
            Subject::Status | Subject::ErrorCode | Subject::Header(_) => {}
        }
        let expected: Vec<&Expected> = match &p.test {
            Test::Equals(e) | Test::NotEquals(e) | Test::Contains(e) | Test::NotContains(e) => vec![e],
            Test::OneOf(list) => list.iter().collect(),
            Test::Time(_, t) => {
                self.template(t, items);
                Vec::new()
            }
            Test::Exists(_) | Test::Matches(_) | Test::Count(..) => Vec::new(),
        };
        for e in expected {
            if let Expected::Str(t) = e {
                self.template(t, items);
            }
        }
        if let Some(t) = &p.fail {
            self.template(t, items);
        }
    }

    fn path(&mut self, p: &PathTemplate, items: &[&str]) {
        for seg in &p.segments {
            if let Segment::Value(t) = seg {
                self.template(t, items);
            }
        }
    }

    fn template(&mut self, t: &Template, items: &[&str]) {
        for v in t.vars() {
            self.var(&v.path, items, Leaf::Whole);
        }
    }

    /// A dotted name read: a capture's field, or (`item.…`) a field of an item of each list in `items`.
    fn var(&mut self, path: &[String], items: &[&str], leaf: Leaf) {
        let Some((name, rest)) = path.split_first() else {
            return;
        };
        if name == "item" {
            for list in items {
                let mut rel = vec![Step::Every];
                rel.extend(steps_of(rest));
                self.add(list, rel, leaf);
                // `item.user` where `user` is a capture the `for_each` step joined to the item.
                if let Some((joined, under)) = rest.split_first()
                    && self.joins.get(joined.as_str()) == Some(list)
                {
                    self.add(joined, steps_of(under), leaf);
                }
            }
            return;
        }
        self.add(name, steps_of(rest), leaf);
        // A list whose items a `for_each` step joined captures to, read through its own name: `apps.0.users.id`
        // reads the joined `users`; the whole list reads every joined capture whole.
        let joined: Vec<&str> = self
            .joins
            .iter()
            .filter(|(_, l)| **l == name.as_str())
            .map(|(c, _)| *c)
            .collect();
        for j in joined {
            match rest {
                [] => self.add(j, Vec::new(), leaf),
                [_, field, under @ ..] if field == j => self.add(j, steps_of(under), leaf),
                _ => {}
            }
        }
    }

    fn add(&mut self, capture: &str, rel: Vec<Step>, leaf: Leaf) {
        self.found.entry(capture.to_string()).or_default().push((rel, leaf));
    }
}

/// A dotted path's steps: a number is an item of a list (any item: kb keeps them all).
fn steps_of(path: &[String]) -> Vec<Step> {
    path.iter()
        .map(|p| {
            if p.parse::<usize>().is_ok() {
                Step::Every
            } else {
                Step::Field(p.clone())
            }
        })
        .collect()
}

/// A JSONPath's way to the nodes it selects, and the paths its filters read.
pub type Way = (Vec<Step>, Vec<Vec<Step>>);

/// A JSONPath's way to the nodes it selects, and the paths its filters read (each from the root): `Err` with the
/// path up to the first segment kb does not follow, from which everything is kept.
pub fn jsonpath(source: &str) -> Result<Way, Vec<Step>> {
    let mut path = Vec::new();
    let mut filters = Vec::new();
    let Some(mut rest) = source.trim().strip_prefix('$') else {
        return Err(path);
    };
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix(".*").or_else(|| rest.strip_prefix("[*]")) {
            path.push(Step::Every);
            rest = r;
        } else if rest.starts_with("..") {
            return Err(path);
        } else if let Some(r) = rest.strip_prefix('.') {
            let end = r.find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap_or(r.len());
            if end == 0 {
                return Err(path);
            }
            path.push(Step::Field(r[..end].to_string()));
            rest = &r[end..];
        } else if rest.starts_with("[?") {
            let Some(end) = crate::checks::shape::bracket_end(rest) else {
                return Err(path);
            };
            path.push(Step::Every);
            let reads = relative_paths(&rest[2..end]).ok_or_else(|| path[..path.len() - 1].to_vec())?;
            for r in reads {
                let mut p = path.clone();
                p.extend(r);
                filters.push(p);
            }
            rest = &rest[end + 1..];
        } else if let Some(r) = rest.strip_prefix('[') {
            let close = r.find(']').ok_or_else(|| path.clone())?;
            let inner = r[..close].trim();
            let quoted = |q: char| inner.strip_prefix(q).and_then(|s| s.strip_suffix(q));
            match (quoted('\''), quoted('"')) {
                (Some(n), _) | (_, Some(n)) if !n.contains(['\\', '\'', '"']) => path.push(Step::Field(n.into())),
                _ if inner.parse::<i64>().is_ok() => path.push(Step::Every),
                _ => return Err(path),
            }
            rest = &r[close + 1..];
        } else {
            return Err(path);
        }
    }
    Ok((path, filters))
}

/// The paths a filter expression reads from its candidate (`@.status`, `@['a'].b`): `None` when it reads the root
/// (`$`) or descends (`@..`), which kb does not follow.
fn relative_paths(expr: &str) -> Option<Vec<Vec<Step>>> {
    let mut out = Vec::new();
    let mut quote = None::<char>;
    let mut chars = expr.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match (quote, c) {
            (Some(_), '\\') => {
                chars.next();
            }
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '$') => return None,
            (None, '@') => {
                let tail = &expr[i + 1..];
                if tail.starts_with("..") {
                    return None;
                }
                let mut p = Vec::new();
                let used = member_steps(tail, &mut p);
                out.push(p);
                for _ in 0..tail[..used].chars().count() {
                    chars.next();
                }
            }
            _ => {}
        }
    }
    Some(out)
}

/// Reads `.name`, `['name']`, `[N]` and `[*]` steps from the start of `s` into `p`: the bytes read.
fn member_steps(s: &str, p: &mut Vec<Step>) -> usize {
    let mut at = 0;
    loop {
        let rest = &s[at..];
        if let Some(r) = rest.strip_prefix('.') {
            let end = r.find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap_or(r.len());
            if end == 0 {
                return at;
            }
            p.push(Step::Field(r[..end].to_string()));
            at += 1 + end;
        } else if let Some(r) = rest.strip_prefix('[') {
            let Some(close) = r.find(']') else { return at };
            let inner = r[..close].trim();
            let name = inner
                .strip_prefix('\'')
                .and_then(|n| n.strip_suffix('\''))
                .or_else(|| inner.strip_prefix('"').and_then(|n| n.strip_suffix('"')));
            match name {
                Some(n) => p.push(Step::Field(n.to_string())),
                None if inner == "*" || inner.parse::<i64>().is_ok() => p.push(Step::Every),
                None => return at,
            }
            at += 2 + close;
        } else {
            return at;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn f(s: &str) -> Step {
        Step::Field(s.into())
    }

    #[test]
    fn jsonpaths_give_their_way_and_what_their_filters_read() {
        assert_eq!(jsonpath("$[*]"), Ok((vec![Step::Every], vec![])));
        assert_eq!(
            jsonpath("$.profile.login"),
            Ok((vec![f("profile"), f("login")], vec![]))
        );
        let (path, filters) =
            jsonpath("$.domains[?@.certificateSourceType == 'MANUAL' && @.publicCertificate.expiration]").unwrap();
        assert_eq!(path, vec![f("domains"), Step::Every]);
        assert_eq!(
            filters,
            vec![
                vec![f("domains"), Step::Every, f("certificateSourceType")],
                vec![f("domains"), Step::Every, f("publicCertificate"), f("expiration")],
            ]
        );
        let (path, filters) = jsonpath("$[*].settings.authenticators[?@.enroll.self == 'REQUIRED']").unwrap();
        assert_eq!(path, vec![Step::Every, f("settings"), f("authenticators"), Step::Every]);
        assert_eq!(filters[0].last(), Some(&f("self")));
        // A quoted `@` is text, not a path.
        let (_, filters) = jsonpath("$[?@.name == 'a@b.c']").unwrap();
        assert_eq!(filters, vec![vec![Step::Every, f("name")]]);
        assert_eq!(jsonpath("$..id"), Err(vec![]));
        assert_eq!(jsonpath("$.a[?@.x == $.y]"), Err(vec![f("a")]));
    }

    #[test]
    fn pruning_keeps_what_the_tree_names_and_every_item_of_a_list() {
        let mut n = Node::default();
        n.insert(&[Step::Every, f("id")], Leaf::Whole);
        n.insert(&[Step::Every, f("profile"), f("login")], Leaf::Whole);
        let body = json!([
            {"id": "1", "status": "ACTIVE", "profile": {"login": "a", "firstName": "A"}},
            {"id": "2", "profile": {"login": "b", "mobilePhone": "555"}, "extra": {"x": 1}}
        ]);
        assert_eq!(
            n.prune(&body),
            json!([{"id": "1", "profile": {"login": "a"}}, {"id": "2", "profile": {"login": "b"}}])
        );
        let mut keys = Node::default();
        keys.insert(&[f("grants")], Leaf::Keys);
        assert_eq!(
            keys.prune(&json!({"grants": {"a": {"deep": 1}, "b": 2}, "other": 3})),
            json!({"grants": {"a": {}, "b": 2}})
        );
        let mut whole = Node::default();
        whole.insert(&[f("settings")], Leaf::Whole);
        whole.insert(&[f("settings"), f("x")], Leaf::Present);
        assert_eq!(
            whole.prune(&json!({"settings": {"x": 1, "y": [1]}})),
            json!({"settings": {"x": 1, "y": [1]}})
        );
    }

    /// The checks of one check block, loaded as an article's are.
    fn block(text: &str) -> Vec<Check> {
        let file = crate::diag::SourceFile::new("content/a.md", text);
        let block = crate::content::blocks::CheckBlock {
            text: text.to_string(),
            pieces: vec![(0, 0)],
            fence: 0..text.len(),
        };
        let mut diags = Vec::new();
        let checks = crate::checks::Library::default().checks(&file, &[block], &[], &mut diags);
        assert!(diags.is_empty(), "{diags:?}");
        checks
    }

    #[test]
    fn a_check_keeps_what_its_steps_templates_and_joins_read() {
        let checks = block(
            r#"id = "x"
title = "Apps have no users"
scopes = ["okta.apps.read"]
fail = "{{ apps.0.users.0.profile.login }} and others"

[finding]
label = "{{ item.label }}"

[[step]]
get = "/api/v1/apps"
capture = { apps = { path = "$[?@.status == 'ACTIVE']", all = true } }

[[step]]
get = "/api/v1/apps/{{ item.id }}/users"
for_each = "apps"
capture = { users = { path = "$[*]", all = true } }
expect = [{ capture = "users", count = 0 }]
"#,
        );
        let plan = Plan::new(&checks);
        let seg = |p: &str| p.split('/').map(str::to_string).collect::<Vec<_>>();
        let apps = json!([{"id": "a1", "status": "ACTIVE", "label": "Payroll", "name": "x", "signOnMode": "SAML_2_0",
            "settings": {"deep": 1}}]);
        // Okta's spec says every app carries id, label, signOnMode and status: kept for the shape check.
        assert_eq!(
            plan.keep(Method::Get, &seg("api/v1/apps"), 200, &apps),
            json!([{"id": "a1", "status": "ACTIVE", "label": "Payroll", "signOnMode": "SAML_2_0"}])
        );
        let users = json!([{"id": "u1", "scope": "USER", "profile": {"login": "a@b.c", "mobilePhone": "1"},
            "credentials": {"userName": "a"}}]);
        assert_eq!(
            plan.keep(Method::Get, &seg("api/v1/apps/a1/users"), 200, &users),
            json!([{"id": "u1", "profile": {"login": "a@b.c"}}]),
            "the joined capture read through the list's name (`apps.0.users.0.profile.login`)"
        );
        let error = json!({"errorCode": "E0000007", "errorSummary": "Not found", "errorId": "x", "extra": 1});
        assert_eq!(
            plan.keep(Method::Get, &seg("api/v1/apps/a1/users"), 404, &error),
            json!({"errorCode": "E0000007", "errorSummary": "Not found"})
        );
    }
}
