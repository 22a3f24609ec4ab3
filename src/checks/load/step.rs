//! Steps: the request, its query, and its captures.

use super::*;

impl Ctx<'_> {
    /// The `[[step]]` list, and every capture with the step that makes it.
    pub(super) fn steps(
        &mut self,
        table: &[Entry],
        params: &[String],
        vars: &[String],
        scopes: &[String],
        at: Range<usize>,
    ) -> Option<Steps> {
        let Some(entry) = get(table, "step") else {
            self.error(at, "no `[[step]]`", "add a step: [[step]] then get = \"/api/v1/...\"");
            return None;
        };
        let Some(items) = entry
            .node
            .as_array()
            .filter(|a| a.iter().all(|n| n.as_table().is_some()))
        else {
            self.error(
                entry.node.span.clone(),
                "`step` must be a list of tables",
                "write each step as [[step]] followed by its keys",
            );
            return None;
        };
        if items.is_empty() {
            self.error(
                entry.node.span.clone(),
                "`step` is empty",
                "add a step: [[step]] then get = \"/api/v1/...\"",
            );
            return None;
        }
        // Every capture of every step, so that one used too early is reported as such, not as unknown; and those
        // made once per item.
        let mut every: Vec<(String, usize)> = Vec::new();
        let mut per_item: Vec<String> = Vec::new();
        for (i, n) in items.iter().enumerate() {
            let t = n.as_table().unwrap_or_default();
            let names = get(t, "capture").and_then(|c| c.node.as_table()).unwrap_or_default();
            every.extend(names.iter().map(|e| (e.key.clone(), i)));
            if get(t, "for_each").is_some() {
                per_item.extend(names.iter().map(|e| e.key.clone()));
            }
        }
        let mut state = Steps {
            steps: Vec::new(),
            captures: Vec::new(),
            used: Vec::new(),
            per_item,
            items: Vec::new(),
        };
        let known = Known {
            params,
            vars,
            scopes,
            every: &every,
        };
        for (i, node) in items.iter().enumerate() {
            if let Some(step) = self.step(i, node, &known, &mut state) {
                state.steps.push(step);
            }
        }
        Some(state)
    }

    /// Step `i`: its request, its query, its captures, then its preconditions and expectations.
    fn step(&mut self, i: usize, node: &Node, known: &Known<'_>, state: &mut Steps) -> Option<Step> {
        let t = node.as_table().unwrap_or_default();
        self.unknown_keys(t, STEP_KEYS, "a step");
        let for_each = self.for_each(t, i, state);
        // In a `for_each` step, `item` has the fields of the list's items; its expectations see this step's captures
        // joined too.
        let before = for_each
            .as_ref()
            .and_then(|f| state.items.iter().find(|it| it.list == f.list))
            .cloned();
        let item = before.clone().map(|mut it| {
            if let Some(fields) = &mut it.fields {
                let made = get(t, "capture").and_then(|c| c.node.as_table()).unwrap_or_default();
                fields.extend(made.iter().map(|e| e.key.clone()));
            }
            it
        });
        let names = known.names(&state.per_item, before.as_ref(), &state.items);
        let path = self.request_path(t, node, i, &names, known.scopes, &mut state.used);
        let query = self.query(t, i, &names);
        self.bounded_log_query(t, &query);
        let mut made = Vec::new();
        if let Some(e) = get(t, "capture")
            && let Some(c) = self.table(&e.node, "`capture`", "capture = { user_id = \"$.id\" }")
        {
            for entry in c {
                if let Some(capture) = self.capture(entry, &names, known.params, &state.captures, &made, i) {
                    made.push(capture);
                }
            }
        }
        state.captures.extend(made.iter().map(|c| (c.name.clone(), i)));
        let (method, path) = path?;
        let endpoint = crate::checks::shape::endpoint(&path.segments);
        match &for_each {
            // The captures join the list's items.
            Some(f) => {
                if let Some(Item {
                    fields: Some(fields), ..
                }) = state.items.iter_mut().find(|it| it.list == f.list)
                {
                    fields.extend(made.iter().map(|c| c.name.clone()));
                }
            }
            None => state.items.extend(made.iter().map(|c| list_item(c, endpoint))),
        }
        let names = known.names(&state.per_item, item.as_ref(), &state.items);
        let skip_unless = get(t, "skip_unless")
            .map(|e| self.predicates(&e.node, &names, i, true))
            .unwrap_or_default();
        let expect = get(t, "expect")
            .map(|e| self.predicates(&e.node, &names, i, false))
            .unwrap_or_default();
        if for_each.is_some() && expect.iter().chain(&skip_unless).any(|p| p.each.is_some()) {
            let e = get(t, "expect")
                .or_else(|| get(t, "skip_unless"))
                .map_or(node.span.clone(), |e| e.key_span.clone());
            self.error(
                e,
                "the expectations of a `for_each` step are judged per item already",
                "remove `each`: `item` is the step's item",
            );
        }
        Some(Step {
            method,
            endpoint,
            path,
            query,
            for_each,
            captures: made,
            skip_unless,
            expect,
        })
    }

    /// `get = "..."` (or `head`): the path, checked against the scopes the check declares.
    fn request_path(
        &mut self,
        t: &[Entry],
        node: &Node,
        i: usize,
        names: &Names<'_>,
        scopes: &[String],
        used: &mut Vec<String>,
    ) -> Option<(Method, PathTemplate)> {
        let methods: Vec<&Entry> = t.iter().filter(|e| e.key == "get" || e.key == "head").collect();
        // A write method was already reported as such.
        let quiet = t.iter().any(|e| WRITE_METHODS.contains(&e.key.as_str()));
        let e = self.single(
            &methods,
            node.span.start..node.span.start,
            quiet,
            (
                format!("step {} has no request", i + 1),
                "add `get = \"/api/v1/...\"`".into(),
            ),
            (
                format!("step {} makes two requests", i + 1),
                "a step is one request: split it into two [[step]]s",
            ),
        )?;
        let s = self.string(&e.node, &format!("`{}`", e.key))?;
        let p = match PathTemplate::parse(&s) {
            Ok(p) => p,
            Err(err) => {
                let span = self.inside(&e.node, err.at);
                self.error(span, err.message, err.hint);
                return None;
            }
        };
        let vars_ok = self.template_vars(&e.node, p.vars(), names, Visible::Before(i));
        match required_scope(&p) {
            Err(why) => self.error(
                e.node.span.clone(),
                why,
                format!("a check can read: {RESOURCES}, and /.well-known/"),
            ),
            Ok(Some(scope)) if !scopes.iter().any(|s| s == scope) => self.error(
                e.node.span.clone(),
                format!(
                    "{} {} needs the scope `{scope}`, which `scopes` does not declare",
                    e.key.to_uppercase(),
                    s
                ),
                format!("add \"{scope}\" to `scopes`"),
            ),
            Ok(Some(scope)) => used.push(scope.to_string()),
            Ok(None) => {}
        }
        vars_ok?;
        let method = if e.key == "head" { Method::Head } else { Method::Get };
        Some((method, p))
    }

    /// A System Log query (`GET /api/v1/logs`) in ascending order (the default) without `until` is a *polling* query: Okta
    /// answers it as a stream whose `next` link is always there, so the check could only end at kb's page cap.
    fn bounded_log_query(&mut self, t: &[Entry], query: &[(String, Template)]) {
        let logs = get(t, "get")
            .and_then(|e| e.node.as_str())
            .is_some_and(|p| p.trim_end_matches('/') == "/api/v1/logs");
        let has = |k: &str| query.iter().any(|(n, _)| n == k);
        // Newest first is no stream; ASCENDING, the default, is.
        let descending = query
            .iter()
            .any(|(n, v)| n == "sortOrder" && v.literal_text().as_deref() == Some("DESCENDING"));
        if logs && !has("until") && !descending {
            let span = get(t, "query").map_or_else(
                || get(t, "get").map(|e| e.node.span.clone()),
                |e| Some(e.node.span.clone()),
            );
            self.error(
                span.unwrap_or_default(),
                "a System Log query without `until` never ends: Okta answers it as a stream whose `next` link is always \
                 there (a polling query)",
                "bound it: `query = { since = { now = \"-24h\" }, until = { now = \"0m\" } }`",
            );
        }
    }

    /// `query = { ... }`: each value a template, a number, a boolean, or a time relative to the org's clock
    /// (`{ now = "-24h" }`).
    fn query(&mut self, t: &[Entry], i: usize, names: &Names<'_>) -> Vec<(String, Template)> {
        let mut query = Vec::new();
        let Some(e) = get(t, "query") else {
            return query;
        };
        let Some(q) = self.table(&e.node, "`query`", "query = { q = \"{{ app_name }}\" }") else {
            return query;
        };
        for p in q {
            if !p
                .key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
                || p.key.is_empty()
            {
                self.error(
                    p.key_span.clone(),
                    format!("`{}` is not a query parameter name", p.key),
                    "use letters, digits, `_`, `-` and `.`",
                );
                continue;
            }
            let value = match p.node.as_table() {
                Some(table) => self.relative_time(&p.node, table, i),
                None => self.value_template(&p.node, "a query value", names, Visible::Before(i)),
            };
            if let Some(v) = value {
                query.push((p.key.clone(), v));
            }
        }
        query
    }

    /// `{ now = "-24h" }`: the org's clock (the `Date` of the previous step's answer) moved by a duration, as an
    /// RFC 3339 time. Validated here; rendered by the bindings (see [`crate::checks::eval::NOW`]).
    fn relative_time(&mut self, node: &Node, table: &[Entry], i: usize) -> Option<Template> {
        self.unknown_keys(table, &["now"], "a time relative to now");
        let e = get(table, "now").or_else(|| {
            self.error(
                node.span.clone(),
                "a query value given as a table is a time relative to now: `{ now = \"-24h\" }`",
                "write `since = { now = \"-24h\" }`, or give the value as a string",
            );
            None
        })?;
        let text = self.string(&e.node, "`now`")?;
        if let Err(why) = crate::checks::time::duration(&text) {
            self.error(e.node.span.clone(), why, "such as `now = \"-24h\"` for a day ago");
            return None;
        }
        if i == 0 {
            self.error(
                e.key_span.clone(),
                "a time relative to now needs the org's clock, which the first step does not have yet",
                "the clock is the `Date` of the previous step's answer: add a step before this one, such as \
                 get = \"/.well-known/openid-configuration\" (no scope, read once per run)",
            );
            return None;
        }
        Some(crate::checks::eval::now_template(&text))
    }

    /// `for_each = "list"` (with `max_items`): a list capture of an earlier step, not one made per item.
    fn for_each(&mut self, t: &[Entry], i: usize, state: &Steps) -> Option<ForEach> {
        if let Some(m) = get(t, "max_items")
            && get(t, "for_each").is_none()
        {
            self.error(
                m.key_span.clone(),
                "`max_items` bounds a `for_each` step, and this step has none",
                "remove it, or add `for_each = \"list\"`",
            );
        }
        let e = get(t, "for_each")?;
        let list = self.string(&e.node, "`for_each`")?;
        let max = match get(t, "max_items").map(|m| &m.node) {
            None => MAX_ITEMS,
            Some(Node {
                value: Value::Int(n), ..
            }) if (1..=10_000).contains(n) => *n as usize,
            Some(n) => {
                self.error(
                    n.span.clone(),
                    "`max_items` must be a whole number from 1 to 10000",
                    format!(
                        "the default is {MAX_ITEMS}: past it the check is an error, never judged on part of the list"
                    ),
                );
                MAX_ITEMS
            }
        };
        if state.per_item.contains(&list) {
            self.error(
                e.node.span.clone(),
                format!("`{list}` is made once per item of another list: `for_each` reads a list of the answers"),
                "iterate the list itself, and read this capture as `item.NAME`",
            );
            return None;
        }
        match state.captures.iter().find(|(c, _)| *c == list) {
            Some(_) if state.items.iter().any(|it| it.list == list && !it.is_list) => {
                self.error(
                    e.node.span.clone(),
                    format!("`for_each` reads a list, and the capture `{list}` names one value"),
                    "capture every match as a list: `{ path = \"$[*]\", all = true }`",
                );
                None
            }
            Some(_) => Some(ForEach { list, max }),
            None => {
                let earlier: Vec<&str> = state.captures.iter().map(|(c, _)| c.as_str()).collect();
                let hint = match did_you_mean(&list, earlier.iter().copied()) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None if earlier.is_empty() => {
                        "capture a list in an earlier step: `apps = { path = \"$[*]\", all = true }`".into()
                    }
                    None => format!("the captures of earlier steps are: {}", earlier.join(", ")),
                };
                let _ = i;
                self.error(
                    e.node.span.clone(),
                    format!("`for_each` names `{list}`, which no earlier step captures"),
                    hint,
                );
                None
            }
        }
    }

    pub(super) fn capture(
        &mut self,
        entry: &Entry,
        names: &Names<'_>,
        params: &[String],
        before: &[(String, usize)],
        same_step: &[Capture],
        step: usize,
    ) -> Option<Capture> {
        let name = &entry.key;
        if !is_ident(name) || name == "vars" || name == "item" {
            self.error(
                entry.key_span.clone(),
                format!("`{name}` cannot be a capture name"),
                "use letters, digits and `_`, and not `vars` or `item`",
            );
            return None;
        }
        if params.contains(name) {
            self.error(
                entry.key_span.clone(),
                format!("the capture `{name}` has the name of a parameter"),
                "give the capture another name",
            );
            return None;
        }
        if let Some((_, s)) = before.iter().find(|(c, _)| c == name) {
            self.error(
                entry.key_span.clone(),
                format!("the capture `{name}` is already made by step {}", s + 1),
                "give the capture another name",
            );
            return None;
        }
        if same_step.iter().any(|c| &c.name == name) {
            self.error(
                entry.key_span.clone(),
                format!("the capture `{name}` is made twice"),
                "give the capture another name",
            );
            return None;
        }
        let (path_node, filter_node, all) = match &entry.node.value {
            Value::Str(_) => (&entry.node, None, false),
            Value::Table(t) => {
                self.unknown_keys(t, CAPTURE_KEYS, "a capture");
                let Some(p) = get(t, "path") else {
                    self.error(
                        entry.node.span.clone(),
                        format!("the capture `{name}` has no `path`"),
                        "add `path = \"$[*]\"`: an RFC 9535 JSONPath",
                    );
                    return None;
                };
                let all = match get(t, "all").map(|e| &e.node) {
                    None => false,
                    Some(Node {
                        value: Value::Bool(b), ..
                    }) => *b,
                    Some(n) => {
                        self.error(
                            n.span.clone(),
                            "`all` must be true or false",
                            "write `all = true` to capture every match as a list",
                        );
                        false
                    }
                };
                (&p.node, get(t, "where").map(|e| &e.node), all)
            }
            _ => {
                self.error(
                    entry.node.span.clone(),
                    format!("the capture `{name}` must be a JSONPath or a table"),
                    "write `user_id = \"$.id\"` or `app = { path = \"$[*]\", where = { name = \"...\" } }`",
                );
                return None;
            }
        };
        let (source, path) = self.jsonpath(path_node)?;
        let mut filter = Vec::new();
        if let Some(w) = filter_node
            && let Some(t) = self.table(
                w,
                "`where`",
                "where = { name = \"{{ app_name }}\", status = \"ACTIVE\" }",
            )
        {
            for f in t {
                let field: Vec<String> = f.key.split('.').map(str::to_string).collect();
                if !field.iter().all(|p| is_ident(p)) {
                    self.error(
                        f.key_span.clone(),
                        format!("`{}` is not a field name", f.key),
                        "write a field or a dotted path to one: `settings.oauthClient.application_type` in quotes",
                    );
                    continue;
                }
                let value = self.value_template(&f.node, "a `where` value", names, Visible::Before(step));
                if let Some(v) = value {
                    filter.push((field, v));
                }
            }
        }
        Some(Capture {
            name: name.clone(),
            plain: crate::checks::shape::plain(&source),
            source,
            path,
            filter,
            all,
        })
    }

    /// A capture's JSONPath: written literally, and RFC 9535.
    fn jsonpath(&mut self, node: &Node) -> Option<(String, JsonPath)> {
        let source = self.string(node, "a JSONPath")?;
        if let Some(at) = source.find("{{") {
            let end = source[at..].find("}}").map_or(source.len(), |e| at + e + 2);
            let span = self.inside(node, at..end);
            self.error(
                span,
                "a JSONPath is written literally: `{{ ... }}` inside it is never filled in",
                "compare with a value through `where`: app = { path = \"$[*]\", where = { name = \"{{ app_name }}\" } }",
            );
            return None;
        }
        match JsonPath::parse(&source) {
            Ok(p) => Some((source, p)),
            Err(e) => {
                let span = self.inside(node, e.position()..e.position() + 1);
                let hint = "JSONPath is RFC 9535: `$.id`, `$[*]`, `$[?@.status == 'ACTIVE']`";
                let rest: String = source
                    .get(e.position()..)
                    .unwrap_or_default()
                    .chars()
                    .take(20)
                    .collect();
                let message = match e.message() {
                    "parser error" if rest.is_empty() => "invalid JSONPath: it ends too early".to_string(),
                    "parser error" => format!("invalid JSONPath: cannot read it from `{rest}`"),
                    m => format!("invalid JSONPath: {m}"),
                };
                self.error(span, message, hint);
                None
            }
        }
    }
}

/// What a capture's items look like, when it is a list of an endpoint's objects: the fields Okta's spec gives them.
fn list_item(c: &Capture, endpoint: Option<&'static crate::checks::shape::Endpoint>) -> Item {
    use crate::checks::shape::{Form, Plain, properties};
    let whole_list = match c.plain.as_slice() {
        [] => !c.all,
        [Plain::Every] => c.all,
        [Plain::Filter] => c.all && crate::checks::shape::ends_with_first_filter(&c.source),
        _ => false,
    };
    let fields = endpoint
        .filter(|e| whole_list && e.form == Form::List)
        .and_then(properties)
        .map(|f| f.iter().map(|s| s.to_string()).collect());
    // A list for certain: every match (`all = true`), or the whole answer of an endpoint that answers a list.
    let is_list = c.all || (c.plain.is_empty() && endpoint.is_some_and(|e| e.form == Form::List));
    Item {
        list: c.name.clone(),
        fields,
        source: endpoint.map_or_else(|| "the answer".to_string(), |e| format!("GET {}", e.path)),
        is_list,
    }
}

/// What every step of a check may refer to.
pub(super) struct Known<'k> {
    params: &'k [String],
    vars: &'k [String],
    scopes: &'k [String],
    every: &'k [(String, usize)],
}

impl<'k> Known<'k> {
    /// The names a step's templates see, with this item and these lists.
    fn names<'a>(&'a self, per_item: &'a [String], item: Option<&'a Item>, lists: &'a [Item]) -> Names<'a> {
        Names {
            params: self.params,
            vars: self.vars,
            captures: self.every,
            per_item,
            item,
            lists,
        }
    }
}
