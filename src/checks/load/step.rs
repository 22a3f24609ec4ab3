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
        let mut steps = Vec::new();
        let mut captures: Vec<(String, usize)> = Vec::new();
        let mut used: Vec<String> = Vec::new();
        // Every capture of every step, so that one used too early is reported as such, not as unknown.
        let every: Vec<(String, usize)> = items
            .iter()
            .enumerate()
            .flat_map(|(i, n)| {
                let t = n.as_table().unwrap_or_default();
                get(t, "capture")
                    .and_then(|c| c.node.as_table())
                    .unwrap_or_default()
                    .iter()
                    .map(move |e| (e.key.clone(), i))
            })
            .collect();
        for (i, node) in items.iter().enumerate() {
            let t = node.as_table().unwrap_or_default();
            self.unknown_keys(t, STEP_KEYS, "a step");
            let methods: Vec<&Entry> = t.iter().filter(|e| e.key == "get" || e.key == "head").collect();
            // A write method was already reported as such.
            let quiet = t.iter().any(|e| WRITE_METHODS.contains(&e.key.as_str()));
            let path_entry = self.single(
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
            );
            let names = Names {
                params,
                vars,
                captures: &every,
            };
            let mut path = None;
            if let Some(e) = path_entry
                && let Some(s) = self.string(&e.node, &format!("`{}`", e.key))
            {
                match PathTemplate::parse(&s) {
                    Ok(p) => {
                        let vars_ok = self.template_vars(&e.node, p.vars(), &names, Visible::Before(i));
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
                        if vars_ok.is_some() {
                            let method = if e.key == "head" { Method::Head } else { Method::Get };
                            path = Some((method, p));
                        }
                    }
                    Err(err) => {
                        let span = self.inside(&e.node, err.at);
                        self.error(span, err.message, err.hint);
                    }
                }
            }
            let mut query = Vec::new();
            if let Some(e) = get(t, "query")
                && let Some(q) = self.table(&e.node, "`query`", "query = { q = \"{{ app_name }}\" }")
            {
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
                    let value = self.value_template(&p.node, "a query value", &names, Visible::Before(i));
                    if let Some(v) = value {
                        query.push((p.key.clone(), v));
                    }
                }
            }
            let mut made = Vec::new();
            if let Some(e) = get(t, "capture")
                && let Some(c) = self.table(&e.node, "`capture`", "capture = { user_id = \"$.id\" }")
            {
                for entry in c {
                    if let Some(capture) = self.capture(entry, &names, params, &captures, &made, i) {
                        made.push(capture);
                    }
                }
            }
            captures.extend(made.iter().map(|c| (c.name.clone(), i)));
            let skip_unless = get(t, "skip_unless")
                .map(|e| self.predicates(&e.node, &names, i, true))
                .unwrap_or_default();
            let expect = get(t, "expect")
                .map(|e| self.predicates(&e.node, &names, i, false))
                .unwrap_or_default();
            if let Some((method, path)) = path {
                steps.push(Step {
                    method,
                    endpoint: crate::checks::shape::endpoint(&path.segments),
                    path,
                    query,
                    captures: made,
                    skip_unless,
                    expect,
                });
            }
        }
        Some(Steps { steps, captures, used })
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
        if !is_ident(name) || name == "vars" {
            self.error(
                entry.key_span.clone(),
                format!("`{name}` cannot be a capture name"),
                "use letters, digits and `_`, and not `vars`",
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
        let source = self.string(path_node, "a JSONPath")?;
        if let Some(at) = source.find("{{") {
            let end = source[at..].find("}}").map_or(source.len(), |e| at + e + 2);
            let span = self.inside(path_node, at..end);
            self.error(
                span,
                "a JSONPath is written literally: `{{ ... }}` inside it is never filled in",
                "compare with a value through `where`: app = { path = \"$[*]\", where = { name = \"{{ app_name }}\" } }",
            );
            return None;
        }
        let path = match JsonPath::parse(&source) {
            Ok(p) => p,
            Err(e) => {
                let span = self.inside(path_node, e.position()..e.position() + 1);
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
                return None;
            }
        };
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
}
