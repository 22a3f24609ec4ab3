//! Definitions (`checks/NAME.toml`), their parameters, and check blocks.

use super::*;

impl Ctx<'_> {
    pub(super) fn params(&mut self, node: &Node, vars: &[String]) -> Vec<Param> {
        let Some(table) = self.table(node, "`params`", "params = { user = \"User login or ID\" }") else {
            return Vec::new();
        };
        let names = Names {
            params: &[],
            vars,
            captures: &[],
        };
        let mut out = Vec::new();
        for e in table {
            if !is_ident(&e.key) || e.key == "vars" {
                self.error(
                    e.key_span.clone(),
                    format!("`{}` cannot be a parameter name", e.key),
                    "use letters, digits and `_`, and not `vars`",
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
        let scopes_entry = get(table, "scopes");
        let scopes = match scopes_entry {
            Some(e) => self.scopes(&e.node),
            None => {
                self.error(
                    at.clone(),
                    "this definition has no `scopes`",
                    "add `scopes = [...]`: the OAuth scopes its requests need (`[]` for /.well-known/ only)",
                );
                Vec::new()
            }
        };
        let param_names: Vec<String> = params.iter().map(|p| p.name.clone()).collect();
        let before = self.errors;
        let Steps { steps, captures, used } = self.steps(table, &param_names, vars, &scopes, at)?;
        if self.errors == before {
            self.unused_scopes(scopes_entry.map(|e| &e.node), &used);
        }
        let names = Names {
            params: &param_names,
            vars,
            captures: &captures,
        };
        let fail = self.fail_message(table, &names, Visible::All);
        Some(Definition {
            path: path.to_string(),
            text: self.text.to_string(),
            description: description?,
            params,
            scopes,
            fail,
            steps,
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
        let vars_only = Names {
            params: &[],
            vars,
            captures: &[],
        };
        let (definition, uses, args) = match get(table, "use") {
            Some(u) => {
                for key in ["step", "scopes"] {
                    if let Some(e) = get(table, key) {
                        self.error(
                            e.key_span.clone(),
                            format!("a check that uses a definition cannot have `{key}`"),
                            "its steps and scopes come from the definition: remove them, or remove `use`",
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
                (def.clone(), Some(name), args)
            }
            None => {
                if let Some(w) = get(table, "with") {
                    self.error(
                        w.key_span.clone(),
                        "`with` gives parameters to a definition, but this check has no `use`",
                        "add `use = \"definition-name\"`, or remove `with`",
                    );
                }
                let scopes_entry = get(table, "scopes");
                let scopes = match scopes_entry {
                    Some(e) => self.scopes(&e.node),
                    None => {
                        if get(table, "step").is_some() {
                            self.error(
                                start.clone(),
                                "this check has steps but no `scopes`",
                                "add `scopes = [...]`: the OAuth scopes its requests need",
                            );
                        }
                        Vec::new()
                    }
                };
                if get(table, "step").is_none() {
                    self.error(
                        start.clone(),
                        "this check has neither `use` nor `[[step]]`",
                        "call a definition with `use = \"...\"` and `with = { ... }`, or write its steps",
                    );
                    return None;
                }
                let before = self.errors;
                let Steps { steps, captures, used } = self.steps(table, &[], vars, &scopes, start.clone())?;
                if self.errors == before {
                    self.unused_scopes(scopes_entry.map(|e| &e.node), &used);
                }
                let names = Names {
                    params: &[],
                    vars,
                    captures: &captures,
                };
                let fail = self.fail_message(table, &names, Visible::All);
                let def = Definition {
                    path: self.file.path.clone(),
                    text: self.text.to_string(),
                    description: description.clone().unwrap_or_default(),
                    params: Vec::new(),
                    scopes,
                    fail,
                    steps,
                };
                (Arc::new(def), None, Vec::new())
            }
        };
        let fail = if uses.is_some() {
            let params: Vec<String> = definition.params.iter().map(|p| p.name.clone()).collect();
            let captures: Vec<(String, usize)> = definition
                .steps
                .iter()
                .enumerate()
                .flat_map(|(i, s)| s.captures.iter().map(move |c| (c.name.clone(), i)))
                .collect();
            let names = Names {
                params: &params,
                vars,
                captures: &captures,
            };
            self.fail_message(table, &names, Visible::All)
        } else {
            None
        };
        let (id, _) = id?;
        let description = description.unwrap_or_else(|| definition.description.clone());
        let fail = fail.or_else(|| definition.fail.clone());
        Some(Check {
            id,
            title: title?.0,
            description,
            definition,
            uses,
            args,
            fail,
            block: self.text.to_string(),
            fence: self.block.map_or(0, |b| b.fence.start),
        })
    }
}
