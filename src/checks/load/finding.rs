//! What a failure says beyond its message: its severity, the `[finding]` that names each failing item, and the
//! checks that need to be made on the values a block gives (durations) and the `vars` a check needs.

use super::*;

impl Ctx<'_> {
    /// `severity = "high"`; `None` when absent or wrong (the problem is reported).
    pub(super) fn severity(&mut self, table: &[Entry]) -> Option<Severity> {
        let e = get(table, "severity")?;
        let s = self.string(&e.node, "`severity`")?;
        if let Some(level) = Severity::parse(&s) {
            return Some(level);
        }
        let names: Vec<&str> = Severity::ALL.iter().map(|s| s.as_str()).collect();
        let hint = match did_you_mean(&s.to_lowercase(), names.iter().copied()) {
            Some(m) => format!("did you mean `{m}`?"),
            None => format!("the severities are: {}", names.join(", ")),
        };
        self.error(e.node.span.clone(), format!("unknown severity `{s}`"), hint);
        None
    }

    /// `[finding]`: required when an expectation is judged per item, and only then.
    pub(super) fn finding(
        &mut self,
        table: &[Entry],
        names: &Names<'_>,
        items: &[Item],
        at: Range<usize>,
    ) -> Option<FindingTemplate> {
        let judged_per_item = !items.is_empty();
        let Some(e) = get(table, "finding") else {
            if judged_per_item {
                self.error(
                    at,
                    "this check judges items one by one but has no `[finding]` to name them",
                    "add [finding] with label = \"{{ item.label }}\" (and link = \"/admin/...\"): reports list each \
                     failing item by it",
                );
            }
            return None;
        };
        if !judged_per_item {
            self.error(
                e.key_span.clone(),
                "`[finding]` names failing items, but no expectation is judged per item",
                "add `for_each = \"list\"` to a step, or `each = \"list\"` to an expectation; or remove [finding]",
            );
            return None;
        }
        let t = self.table(&e.node, "`[finding]`", "[finding] with label = \"{{ item.label }}\"")?;
        self.unknown_keys(t, FINDING_KEYS, "`[finding]`");
        let item = finding_item(items);
        let names = names.with_item(Some(&item));
        let text = |ctx: &mut Self, key: &str| -> Option<Template> {
            let e = get(t, key)?;
            ctx.string(&e.node, &format!("`{key}`"))?;
            ctx.template(&e.node, &names, Visible::All)
        };
        let label = match get(t, "label") {
            Some(_) => text(self, "label"),
            None => {
                self.error(
                    e.key_span.clone(),
                    "`[finding]` has no `label`",
                    "add label = \"{{ item.label }}\": what names a failing item in the reports",
                );
                None
            }
        };
        let detail = text(self, "detail");
        let link = get(t, "link").and_then(|l| self.link(&l.node, &names));
        Some(FindingTemplate {
            label: label?,
            detail,
            link,
        })
    }

    /// A finding's link: a page of the Admin Console (a path under `/admin/`), values as whole segments.
    fn link(&mut self, node: &Node, names: &Names<'_>) -> Option<PathTemplate> {
        let s = self.string(node, "`link`")?;
        match PathTemplate::parse_link(&s) {
            Ok(p) => {
                self.template_vars(node, p.vars(), names, Visible::All)?;
                Some(p)
            }
            Err(err) => {
                let span = self.inside(node, err.at);
                let leaves = s.contains("//") || s.contains(':') || !s.starts_with('/');
                let message = if leaves {
                    format!("the link `{s}` could leave the Admin Console: a link is a path, not a URL")
                } else {
                    err.message
                };
                let hint = "write a path under /admin/, such as \"/admin/user/profile/view/{{ item.id }}\": kb opens \
                            it on the org's Admin Console";
                self.error(span, message, hint);
                None
            }
        }
    }

    /// The durations a definition's parameter defaults make in its `before`/`after` (`default = "30"` into
    /// `"{{ days }}d"`): checked at the default.
    pub(super) fn durations_defaulted(&mut self, table: &[Entry], params: &[Param], steps: &[Step]) {
        let entries = get(table, "params").and_then(|p| p.node.as_table()).unwrap_or_default();
        let defaults: Vec<(String, Template)> = params
            .iter()
            .filter_map(|p| p.default.clone().map(|d| (p.name.clone(), d)))
            .collect();
        for (param, text, why) in bad_durations(steps, &defaults) {
            let span = get(entries, &param)
                .and_then(|e| {
                    e.node
                        .as_table()
                        .and_then(|t| get(t, "default"))
                        .map(|d| d.node.span.clone())
                })
                .unwrap_or(0..0);
            self.error(
                span,
                format!("the default of `{param}` makes a duration read `{text}`; {why}"),
                "the default is used where a block gives no value",
            );
        }
    }

    /// The durations a block's `with` values make in the definition's `before`/`after` (`days = 30` into
    /// `"{{ days }}d"`): checked here, at the value, rather than when the check runs.
    pub(super) fn durations_given(&mut self, table: &[Entry], def: &Definition, args: &[(String, Template)]) {
        let with = get(table, "with").and_then(|w| w.node.as_table()).unwrap_or_default();
        for (param, text, why) in bad_durations(&def.steps, args) {
            // A default's mistake is the definition's, reported there.
            let Some(e) = get(with, &param) else { continue };
            self.error(
                e.node.span.clone(),
                format!("the parameter `{param}` makes a duration read `{text}`; {why}"),
                format!("{} reads it as a duration", def.path),
            );
        }
    }
}

/// The durations that parameters given literally make in `before`/`after`, and are not durations: `(parameter, text,
/// why)`.
fn bad_durations(steps: &[Step], args: &[(String, Template)]) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for p in steps.iter().flat_map(|s| s.expect.iter().chain(&s.skip_unless)) {
        let Test::Time(_, t) = &p.test else { continue };
        if t.is_literal() {
            continue;
        }
        // Only values known now: parameters given literally.
        let value = |path: &[String]| -> Option<serde_json::Value> {
            let (_, a) = args.iter().find(|(k, _)| path.len() == 1 && *k == path[0])?;
            a.is_literal().then(|| serde_json::Value::from(a.source.clone()))
        };
        let Ok(text) = t.render(&value) else { continue };
        if let Err(why) = crate::checks::time::duration(&text) {
            let param = t.vars().next().map(|v| v.name().to_string()).unwrap_or_default();
            out.push((param, text, why));
        }
    }
    out
}

/// The item `[finding]` sees: the list the check judges item by item; with several, the fields they all carry.
fn finding_item(items: &[Item]) -> Item {
    match items {
        [one] => one.clone(),
        [first, rest @ ..] => {
            let fields = first.fields.clone().and_then(|f| {
                rest.iter().try_fold(f, |mut acc, it| {
                    let theirs = it.fields.as_ref()?;
                    acc.retain(|x| theirs.contains(x));
                    Some(acc)
                })
            });
            Item {
                list: items.iter().map(|it| it.list.as_str()).collect::<Vec<_>>().join(", "),
                fields,
                source: "the lists".into(),
                is_list: true,
            }
        }
        [] => Item {
            list: String::new(),
            fields: None,
            source: String::new(),
            is_list: true,
        },
    }
}

/// The `vars` a check reads without a default (`{{ vars.client_id }}`, not `{{ vars.x | default(value="") }}`),
/// built-ins aside: without a value for one of them the check cannot run, and is `skip` (`needs_var`). Messages and
/// findings (`fail`, `[finding]`) print a missing value as `(none)`, so what they read is not needed.
pub(super) fn needed_vars(def: &Definition, args: &[(String, Template)]) -> Vec<String> {
    let mut templates: Vec<&Template> = args.iter().map(|(_, t)| t).collect();
    for s in &def.steps {
        templates.extend(s.path.segments.iter().filter_map(|seg| match seg {
            crate::checks::path::Segment::Value(t) => Some(t),
            _ => None,
        }));
        templates.extend(s.query.iter().map(|(_, t)| t));
        templates.extend(s.captures.iter().flat_map(|c| c.filter.iter().map(|(_, t)| t)));
        for p in s.expect.iter().chain(&s.skip_unless) {
            if let Subject::Value(t) = &p.subject {
                templates.push(t);
            }
            match &p.test {
                Test::Equals(Expected::Str(t))
                | Test::NotEquals(Expected::Str(t))
                | Test::Contains(Expected::Str(t))
                | Test::NotContains(Expected::Str(t))
                | Test::Time(_, t) => templates.push(t),
                Test::OneOf(list) => templates.extend(list.iter().filter_map(|e| match e {
                    Expected::Str(t) => Some(t),
                    _ => None,
                })),
                _ => {}
            }
        }
    }
    let mut needs: Vec<String> = templates
        .iter()
        .flat_map(|t| t.vars())
        .filter(|v| v.path[0] == "vars" && v.path.len() > 1)
        .filter(|v| {
            !v.filters
                .iter()
                .any(|f| matches!(f, crate::checks::template::Filter::Default(_)))
        })
        .map(|v| v.path[1].clone())
        .filter(|name| !BUILTIN_VARS.contains(&name.as_str()))
        .collect();
    needs.sort();
    needs.dedup();
    needs
}
