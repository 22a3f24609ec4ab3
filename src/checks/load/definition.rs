//! Definitions (`checks/NAME.toml`), their parameters, and check blocks.

use super::finding::needed_vars;
use super::*;

impl Ctx<'_> {
    pub(super) fn params(&mut self, node: &Node, vars: &[String]) -> Vec<Param> {
        let Some(table) = self.table(node, "`params`", "params = { user = \"User login or ID\" }") else {
            return Vec::new();
        };
        let names = Names {
            vars,
            ..Names::default()
        };
        let mut out = Vec::new();
        for e in table {
            if !is_ident(&e.key) || e.key == "vars" || e.key == "item" {
                self.error(
                    e.key_span.clone(),
                    format!("`{}` cannot be a parameter name", e.key),
                    "use letters, digits and `_`, and not `vars` or `item`",
                );
                continue;
            }
            let (description, default) = match &e.node.value {
                Value::Str(s) => (s.clone(), None),
                Value::Table(t) => {
                    self.unknown_keys(t, PARAM_KEYS, "a parameter");
                    let description = match get(t, "description") {
                        Some(d) => self.string(&d.node, "`description`").unwrap_or_default(),
                        None => {
                            self.error(
                                e.node.span.clone(),
                                format!("the parameter `{}` has no `description`", e.key),
                                "add `description = \"...\"`: the card and `kb scopes` show it",
                            );
                            String::new()
                        }
                    };
                    let default = get(t, "default")
                        .and_then(|d| self.value_template(&d.node, "`default`", &names, Visible::VarsOnly));
                    (description, default)
                }
                _ => {
                    self.error(e.node.span.clone(), format!("the parameter `{}` must be a description or a table", e.key), "write `user = \"User login or ID\"` or `user = { description = \"...\", default = \"{{ vars.admin }}\" }`");
                    continue;
                }
            };
            out.push(Param {
                name: e.key.clone(),
                description,
                default,
            });
        }
        out
    }

    pub(super) fn definition(&mut self, path: &str, vars: &[String]) -> Option<Definition> {
        let root = self.parse()?;
        let table = root.as_table().unwrap_or_default();
        self.unknown_keys(table, DEFINITION_KEYS, "a definition");
        let at = 0..0;
        let description = self
            .required_string(
                table,
                "description",
                at.clone(),
                "this definition",
                "\"what it looks at\"",
            )
            .map(|d| d.0);
        let params = get(table, "params")
            .map(|e| self.params(&e.node, vars))
            .unwrap_or_default();
        if get(table, "scopes").is_none() {
            self.error(
                at.clone(),
                "this definition has no `scopes`",
                "add `scopes = [...]`: the OAuth scopes its requests need (`[]` for /.well-known/ only)",
            );
        }
        let param_names: Vec<String> = params.iter().map(|p| p.name.clone()).collect();
        let body = self.body(table, &param_names, vars, at)?;
        self.durations_defaulted(table, &params, &body.steps);
        Some(Definition {
            path: path.into(),
            text: self.text.into(),
            description: description?,
            params,
            scopes: body.scopes,
            fail: body.fail,
            steps: body.steps,
            severity: body.severity.unwrap_or_default(),
            finding: body.finding,
        })
    }

    /// What a definition and a check with its own steps share: scopes, steps, the failure message, severity and
    /// `[finding]`, each checked against the others.
    fn body(&mut self, table: &[Entry], params: &[String], vars: &[String], at: Range<usize>) -> Option<Body> {
        let scopes_entry = get(table, "scopes");
        let scopes = scopes_entry.map(|e| self.scopes(&e.node)).unwrap_or_default();
        let before = self.errors;
        let Steps {
            steps,
            captures,
            used,
            per_item,
            items,
        } = self.steps(table, params, vars, &scopes, at.clone())?;
        if self.errors == before {
            self.unused_scopes(scopes_entry.map(|e| &e.node), &used);
        }
        let names = Names {
            params,
            vars,
            captures: &captures,
            per_item: &per_item,
            ..Names::default()
        };
        let fail = self.fail_message(table, &names, Visible::All);
        let severity = self.severity(table);
        // The lists judged item by item: a `for_each` step's with expectations, and those `each` names.
        let mut judged: Vec<&str> = Vec::new();
        for s in &steps {
            if let Some(f) = s.for_each.as_ref().filter(|_| !s.expect.is_empty()) {
                judged.push(&f.list);
            }
            judged.extend(s.expect.iter().filter_map(|p| p.each.as_deref()));
        }
        let judged: Vec<Item> = items
            .into_iter()
            .filter(|it| judged.contains(&it.list.as_str()))
            .collect();
        let finding = self.finding(table, &names, &judged, at);
        Some(Body {
            scopes,
            steps,
            fail,
            severity,
            finding,
        })
    }

    pub(super) fn parse(&mut self) -> Option<Node> {
        match syntax::parse(self.text) {
            Ok(n) => Some(n),
            Err(errors) => {
                for e in errors {
                    self.error(
                        e.span,
                        format!("invalid TOML: {}", e.message),
                        "strings need quotes; steps are written [[step]]",
                    );
                }
                None
            }
        }
    }

    /// A check block.
    pub(super) fn block(&mut self, lib: &Library, vars: &[String]) -> Option<Check> {
        let root = self.parse()?;
        let table = root.as_table().unwrap_or_default();
        self.unknown_keys(table, BLOCK_KEYS, "a check block");
        let start = 0..0;
        let id = self.required_string(
            table,
            "id",
            start.clone(),
            "this check block",
            "\"admin-assigned-to-app\"",
        );
        if let Some((id, span)) = &id {
            if !is_id(id) {
                self.error(
                    span.clone(),
                    format!("`{id}` is not a check id"),
                    "use lowercase letters, digits and dashes, such as \"admin-assigned-to-app\"",
                );
            }
            self.id = Some((id.clone(), span.clone()));
        }
        let title = self.required_string(
            table,
            "title",
            start.clone(),
            "this check block",
            "\"The admin is assigned to the app\"",
        );
        let description = get(table, "description").and_then(|e| self.string(&e.node, "`description`"));
        let (definition, uses, args, fail) = match get(table, "use") {
            Some(u) => self.uses(table, u, lib, vars)?,
            None => self.own_steps(table, vars, description.clone())?,
        };
        let severity = match uses {
            Some(_) => self.severity(table),
            None => None,
        };
        let (id, _) = id?;
        let description = description.unwrap_or_else(|| definition.description.clone());
        let fail = fail.or_else(|| definition.fail.clone());
        let needs = needed_vars(&definition, &args);
        Some(Check {
            id,
            title: title?.0,
            description,
            severity: severity.unwrap_or(definition.severity),
            definition,
            uses,
            args,
            fail,
            needs,
            block: self.text.to_string(),
            fence: self.block.map_or(0, |b| b.fence.start),
        })
    }

    /// A block that calls a definition: the definition, its name, the parameters' values, and the block's `fail`.
    fn uses(&mut self, table: &[Entry], u: &Entry, lib: &Library, vars: &[String]) -> Option<Resolved> {
        for key in ["step", "scopes", "finding"] {
            if let Some(e) = get(table, key) {
                self.error(
                    e.key_span.clone(),
                    format!("a check that uses a definition cannot have `{key}`"),
                    "its steps, scopes and findings come from the definition: remove them, or remove `use`",
                );
            }
        }
        let name = self.string(&u.node, "`use`")?;
        let Some(def) = lib.definitions.get(&name) else {
            if !lib.broken.contains(&name) {
                let hint = match did_you_mean(&name, lib.definitions.keys().map(String::as_str)) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None if lib.definitions.is_empty() => {
                        format!("there is no definition in {CHECKS_DIR}/: add {CHECKS_DIR}/{name}.toml")
                    }
                    None => format!(
                        "the definitions are in {CHECKS_DIR}/: {}",
                        lib.definitions.keys().cloned().collect::<Vec<_>>().join(", ")
                    ),
                };
                self.error(u.node.span.clone(), format!("unknown definition `{name}`"), hint);
            } else {
                self.errors += 1;
            }
            return None;
        };
        let args = self.args(table, u, def, &name, vars);
        self.durations_given(table, def, &args);
        let params: Vec<String> = def.params.iter().map(|p| p.name.clone()).collect();
        let captures: Vec<(String, usize)> = def
            .steps
            .iter()
            .enumerate()
            .flat_map(|(i, s)| s.captures.iter().map(move |c| (c.name.clone(), i)))
            .collect();
        let per_item: Vec<String> = def
            .steps
            .iter()
            .filter(|s| s.for_each.is_some())
            .flat_map(|s| s.captures.iter().map(|c| c.name.clone()))
            .collect();
        let names = Names {
            params: &params,
            vars,
            captures: &captures,
            per_item: &per_item,
            ..Names::default()
        };
        let fail = self.fail_message(table, &names, Visible::All);
        Some((def.clone(), Some(name), args, fail))
    }

    /// `with`: a value for each parameter the definition takes, then the defaults, in the definition's order.
    fn args(
        &mut self,
        table: &[Entry],
        u: &Entry,
        def: &Definition,
        name: &str,
        vars: &[String],
    ) -> Vec<(String, Template)> {
        let vars_only = Names {
            vars,
            ..Names::default()
        };
        let mut args: Vec<(String, Template)> = Vec::new();
        if let Some(w) = get(table, "with")
            && let Some(t) = self.table(&w.node, "`with`", "with = { user = \"{{ vars.admin }}\" }")
        {
            for e in t {
                if !def.params.iter().any(|p| p.name == e.key) {
                    let hint = match did_you_mean(&e.key, def.params.iter().map(|p| p.name.as_str())) {
                        Some(s) => format!("did you mean `{s}`?"),
                        None => format!(
                            "`{name}` takes: {}",
                            def.params
                                .iter()
                                .map(|p| p.name.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    };
                    self.error(
                        e.key_span.clone(),
                        format!("unknown parameter `{}` for `{name}`", e.key),
                        hint,
                    );
                    if e.node.as_str().is_some() {
                        self.template(&e.node, &vars_only, Visible::VarsOnly);
                    }
                    continue;
                }
                let value = self.value_template(&e.node, "a parameter value", &vars_only, Visible::VarsOnly);
                if let Some(v) = value {
                    args.push((e.key.clone(), v));
                }
            }
        }
        for p in &def.params {
            if args.iter().any(|(k, _)| *k == p.name) {
                continue;
            }
            match &p.default {
                Some(d) => args.push((p.name.clone(), d.clone())),
                None if get(table, "with")
                    .is_some_and(|w| get(w.node.as_table().unwrap_or_default(), &p.name).is_some()) => {}
                None => {
                    let at = get(table, "with").map_or(u.node.span.clone(), |w| w.key_span.clone());
                    self.error(
                        at,
                        format!("missing parameter `{}` for `{name}`", p.name),
                        format!("add `{} = \"...\"` to `with`: {}", p.name, p.description),
                    );
                }
            }
        }
        args.sort_by_key(|(k, _)| def.params.iter().position(|p| p.name == *k));
        args
    }

    /// A block with its own steps: a definition of its own, with no parameters.
    fn own_steps(&mut self, table: &[Entry], vars: &[String], description: Option<String>) -> Option<Resolved> {
        let start = 0..0;
        if let Some(w) = get(table, "with") {
            self.error(
                w.key_span.clone(),
                "`with` gives parameters to a definition, but this check has no `use`",
                "add `use = \"definition-name\"`, or remove `with`",
            );
        }
        if get(table, "step").is_none() {
            self.error(
                start,
                "this check has neither `use` nor `[[step]]`",
                "call a definition with `use = \"...\"` and `with = { ... }`, or write its steps",
            );
            return None;
        }
        if get(table, "scopes").is_none() {
            self.error(
                start.clone(),
                "this check has steps but no `scopes`",
                "add `scopes = [...]`: the OAuth scopes its requests need",
            );
        }
        let body = self.body(table, &[], vars, start)?;
        let def = Definition {
            path: self.file.path.as_str().into(),
            text: self.text.into(),
            description: description.unwrap_or_default(),
            params: Vec::new(),
            scopes: body.scopes,
            fail: body.fail,
            steps: body.steps,
            severity: body.severity.unwrap_or_default(),
            finding: body.finding,
        };
        Some((Arc::new(def), None, Vec::new(), None))
    }
}

/// A check block resolved: its definition, the definition's name (for `use`), the parameters, the block's `fail`.
type Resolved = (
    Arc<Definition>,
    Option<String>,
    Vec<(String, Template)>,
    Option<Template>,
);

/// What [`Ctx::body`] reads.
struct Body {
    scopes: Vec<String>,
    steps: Vec<Step>,
    fail: Option<Template>,
    severity: Option<Severity>,
    finding: Option<FindingTemplate>,
}
