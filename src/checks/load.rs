//! Parsing and validating definitions (`checks/*.toml`) and check blocks, reporting every problem at its place in
//! the file: for a check block, the line and column in the Markdown file.

use std::collections::{BTreeMap, HashSet};
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use serde_json_path::JsonPath;

use super::model::*;
use super::path::{Method, PathTemplate};
use super::syntax::{self, Entry, Node, Value};
use super::template::{Template, Var, is_ident, is_value_path};
use crate::content::blocks::CheckBlock;
use crate::diag::{Diagnostic, SourceFile, did_you_mean};

pub const CHECKS_DIR: &str = "checks";

const DEFINITION_KEYS: &[&str] = &["description", "params", "scopes", "fail", "step"];
const BLOCK_KEYS: &[&str] = &["id", "title", "description", "use", "with", "fail", "scopes", "step"];
const STEP_KEYS: &[&str] = &["get", "head", "query", "capture", "skip_unless", "expect"];
const CAPTURE_KEYS: &[&str] = &["path", "where", "all"];
const PARAM_KEYS: &[&str] = &["description", "default"];
const SUBJECTS: &[&str] = &["status", "error_code", "header", "capture", "value"];
const PREDICATES: &[&str] = &[
    "equals",
    "not_equals",
    "contains",
    "not_contains",
    "exists",
    "matches",
    "one_of",
    "count",
    "count_at_least",
    "count_at_most",
];
const WRITE_METHODS: &[&str] = &["post", "put", "patch", "delete", "method", "options", "body"];

/// The read scopes a check may declare (Okta's names): a check never needs a `.manage` scope.
pub const SCOPES: &[&str] = &[
    "okta.apps.read",
    "okta.appGrants.read",
    "okta.authenticators.read",
    "okta.authorizationServers.read",
    "okta.domains.read",
    "okta.eventHooks.read",
    "okta.groups.read",
    "okta.idps.read",
    "okta.inlineHooks.read",
    "okta.logs.read",
    "okta.networkZones.read",
    "okta.orgs.read",
    "okta.policies.read",
    "okta.roles.read",
    "okta.schemas.read",
    "okta.trustedOrigins.read",
    "okta.users.read",
];

/// `vars` every org has: `admin` (default `me`, the token's owner) and `org_url`.
pub const BUILTIN_VARS: &[&str] = &["admin", "org_url"];

/// The scope an Okta endpoint needs, from its path: `Ok(None)` for the org's public metadata. A management API
/// path must name its resource literally (`/api/v1/users/...`), and only resources whose scope is known here can be
/// read, so that a definition's `scopes` (and `kb scopes`) can always be checked against its requests.
pub fn required_scope(path: &PathTemplate) -> Result<Option<&'static str>, String> {
    use super::path::Segment;
    let lits: Vec<Option<&str>> = path
        .segments
        .iter()
        .map(|s| match s {
            Segment::Literal(l) => Some(l.as_str()),
            Segment::Value(_) => None,
        })
        .collect();
    if lits.first() != Some(&Some("api")) {
        return Ok(None);
    }
    let rest = &lits[2..];
    // Names of resources and sub-resources (`apps`, `users` in `/apps/{id}/users/{id}`) are written literally.
    if let Some(i) = (0..rest.len()).step_by(2).find(|&i| rest[i].is_none()) {
        let what = if i == 0 {
            "the resource after /api/v1/"
        } else {
            "a sub-resource's name"
        };
        return Err(format!("{what} must be written literally, not as a value"));
    }
    let scope = match rest {
        [Some("apps")] | [Some("apps"), _] => "okta.apps.read",
        [Some("apps"), _, Some("users" | "groups"), ..] => "okta.apps.read",
        [Some("apps"), _, Some("grants"), ..] => "okta.appGrants.read",
        [Some("users")] | [Some("users"), _] => "okta.users.read",
        [Some("users"), _, Some("groups" | "appLinks" | "factors"), ..] => "okta.users.read",
        [Some("users"), _, Some("roles"), ..] => "okta.roles.read",
        [Some("groups")] | [Some("groups"), _] => "okta.groups.read",
        [Some("groups"), _, Some("users" | "apps"), ..] => "okta.groups.read",
        [Some("groups"), _, Some("roles"), ..] => "okta.roles.read",
        [Some("authorizationServers"), ..] => "okta.authorizationServers.read",
        [Some("authenticators"), ..] => "okta.authenticators.read",
        [Some("logs")] => "okta.logs.read",
        [Some("policies"), ..] => "okta.policies.read",
        [Some("idps"), ..] => "okta.idps.read",
        [Some("trustedOrigins"), ..] => "okta.trustedOrigins.read",
        [Some("zones"), ..] => "okta.networkZones.read",
        [Some("eventHooks"), ..] => "okta.eventHooks.read",
        [Some("inlineHooks"), ..] => "okta.inlineHooks.read",
        [Some("domains"), ..] => "okta.domains.read",
        [Some("org")] => "okta.orgs.read",
        [Some("meta"), Some("schemas"), Some("user" | "group" | "apps"), ..] => "okta.schemas.read",
        [] => return Err("the path names no resource".into()),
        _ => {
            let shown: Vec<&str> = rest.iter().map(|s| s.unwrap_or("{id}")).collect();
            return Err(format!(
                "kb does not know which scope /api/v1/{} needs",
                shown.join("/")
            ));
        }
    };
    Ok(Some(scope))
}

/// The resources `required_scope` knows, for hints.
const RESOURCES: &str = "apps (with users, groups, grants), users (with roles, groups, appLinks, factors), groups \
                         (with users, apps, roles), authorizationServers, authenticators, logs, policies, idps, \
                         trustedOrigins, zones, eventHooks, inlineHooks, domains, org, meta/schemas/{user,group,apps}";

/// The definitions of `checks/`, by name.
#[derive(Debug, Default)]
pub struct Library {
    pub definitions: BTreeMap<String, Arc<Definition>>,
    /// Definitions that exist but have errors of their own: a `use` of one is not reported again.
    broken: HashSet<String>,
}

impl Library {
    /// Loads every `checks/*.toml` under `root`. A site without `checks/` has an empty library.
    pub fn load(root: &Path, vars: &[String], diags: &mut Vec<Diagnostic>) -> Library {
        let mut lib = Library::default();
        let dir = root.join(CHECKS_DIR);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            return lib;
        };
        let mut files: Vec<_> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "toml"))
            .collect();
        files.sort();
        for path in files {
            let stem = path
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or_default()
                .to_string();
            let display = format!(
                "{CHECKS_DIR}/{}",
                path.file_name().and_then(|s| s.to_str()).unwrap_or_default()
            );
            if !is_id(&stem) {
                diags.push(
                    Diagnostic::error(format!(
                        "`{display}`: a definition's name is lowercase letters, digits and dashes"
                    ))
                    .at_path(display)
                    .hint("rename the file, such as checks/app-user-assigned.toml"),
                );
                continue;
            }
            let text = match std::fs::read_to_string(&path) {
                Ok(t) => t,
                Err(e) => {
                    diags.push(Diagnostic::error(format!("cannot read {display}: {e}")).at_path(display));
                    lib.broken.insert(stem);
                    continue;
                }
            };
            let file = SourceFile::new(display.clone(), text.as_str());
            let mut ctx = Ctx::new(&file, None, &text, diags);
            match ctx.definition(&display, vars) {
                Some(d) if ctx.errors == 0 => {
                    lib.definitions.insert(stem, Arc::new(d));
                }
                _ => {
                    lib.broken.insert(stem);
                }
            }
        }
        lib
    }

    /// Resolves the check blocks of an article; problems go to `diags` at their place in the Markdown file.
    pub fn checks(
        &self,
        file: &SourceFile,
        blocks: &[CheckBlock],
        vars: &[String],
        diags: &mut Vec<Diagnostic>,
    ) -> Vec<Check> {
        let mut checks: Vec<Check> = Vec::new();
        let mut ids: Vec<(String, usize)> = Vec::new();
        for block in blocks {
            let mut ctx = Ctx::new(file, Some(block), &block.text, diags);
            let check = ctx.block(self, vars);
            let (line, _) = file.line_col(block.fence.start);
            let mut duplicate = false;
            if let Some((id, id_span)) = ctx.id.take() {
                if let Some((_, first)) = ids.iter().find(|(seen, _)| *seen == id) {
                    let span = ctx.span(id_span);
                    ctx.diags.push(
                        Diagnostic::error(format!("duplicate check id `{id}` in this article"))
                            .at(file, span)
                            .label(format!("already used by the check on line {first}"))
                            .hint("give each check of an article its own id"),
                    );
                    duplicate = true;
                } else {
                    ids.push((id, line));
                }
            }
            if let Some(check) = check
                && ctx.errors == 0
                && !duplicate
            {
                checks.push(check);
            }
        }
        checks
    }
}

fn is_id(s: &str) -> bool {
    !s.is_empty()
        && s.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// Which names a template may use where it is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Visible {
    /// `with` values and parameter defaults: `vars` only.
    VarsOnly,
    /// A step's request: parameters, and captures of earlier steps.
    Before(usize),
    /// A step's expectations: parameters, and captures up to this step's.
    UpTo(usize),
    /// The check's failure message: everything.
    All,
}

struct Names<'n> {
    params: &'n [String],
    vars: &'n [String],
    /// Each capture and the step that makes it.
    captures: &'n [(String, usize)],
}

impl Names<'_> {
    fn check(&self, v: &Var, visible: Visible) -> Result<(), (String, String)> {
        let name = v.name();
        if name == "vars" {
            let Some(var) = v.path.get(1) else {
                return Err((
                    "`vars` is a table: name one of its values".into(),
                    format!("write `{{{{ vars.admin }}}}`; the vars are: {}", self.vars.join(", ")),
                ));
            };
            if !self.vars.iter().any(|k| k == var) {
                let hint = match did_you_mean(var, self.vars.iter().map(String::as_str)) {
                    Some(s) => format!("did you mean `vars.{s}`?"),
                    None => format!(
                        "the vars are: {}; declare others under [orgs.NAME.vars] in kb.toml",
                        self.vars.join(", ")
                    ),
                };
                return Err((format!("unknown variable `vars.{var}`"), hint));
            }
            return Ok(());
        }
        if visible != Visible::VarsOnly && self.params.iter().any(|p| p == name) {
            return Ok(());
        }
        if let Some((_, step)) = self.captures.iter().find(|(c, _)| c == name) {
            let ok = match visible {
                Visible::VarsOnly => false,
                Visible::Before(i) => *step < i,
                Visible::UpTo(i) => *step <= i,
                Visible::All => true,
            };
            if ok {
                return Ok(());
            }
            if visible != Visible::VarsOnly {
                return Err((
                    format!("the capture `{name}` is used before it is made"),
                    format!(
                        "step {} makes it: use it in that step's checks or in a later step",
                        step + 1
                    ),
                ));
            }
        }
        if visible == Visible::VarsOnly {
            let hint = if self.params.iter().any(|p| p == name) || self.captures.iter().any(|(c, _)| c == name) {
                format!("here only `vars` can be used, such as `{{{{ vars.admin }}}}`; `{name}` is not known yet")
            } else {
                format!(
                    "here only `vars` can be used: {}",
                    self.vars
                        .iter()
                        .map(|v| format!("vars.{v}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            return Err((format!("unknown variable `{name}`"), hint));
        }
        let mut candidates: Vec<&str> = self.params.iter().map(String::as_str).collect();
        candidates.extend(self.captures.iter().map(|(c, _)| c.as_str()));
        candidates.push("vars");
        let hint = match did_you_mean(name, candidates.iter().copied()) {
            Some(s) => format!("did you mean `{s}`?"),
            None if candidates.len() > 1 => format!(
                "the names here are: {}",
                candidates
                    .iter()
                    .filter(|c| **c != "vars")
                    .copied()
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            None => "templates see parameters, captures and `vars`".into(),
        };
        Err((format!("unknown variable `{name}`"), hint))
    }
}

/// One TOML text being validated (a definition, or a check block inside a Markdown file).
struct Ctx<'a> {
    file: &'a SourceFile,
    block: Option<&'a CheckBlock>,
    text: &'a str,
    diags: &'a mut Vec<Diagnostic>,
    errors: usize,
    /// A check block's id and its span, once read (even if the block has other problems).
    id: Option<(String, Range<usize>)>,
}

impl<'a> Ctx<'a> {
    fn new(file: &'a SourceFile, block: Option<&'a CheckBlock>, text: &'a str, diags: &'a mut Vec<Diagnostic>) -> Self {
        Ctx {
            file,
            block,
            text,
            diags,
            errors: 0,
            id: None,
        }
    }

    /// A span of the TOML text as a span of the file.
    fn span(&self, r: Range<usize>) -> Range<usize> {
        match self.block {
            None => r,
            Some(b) if r.end > r.start => b.file_offset(r.start)..b.file_offset(r.end - 1) + 1,
            Some(b) => {
                let at = b.file_offset(r.start);
                at..at
            }
        }
    }

    fn error(&mut self, span: Range<usize>, message: impl Into<String>, hint: impl Into<String>) {
        let span = self.span(span);
        let hint: String = hint.into();
        let d = Diagnostic::error(message).at(self.file, span);
        self.diags.push(if hint.is_empty() { d } else { d.hint(hint) });
        self.errors += 1;
    }

    /// The span of `needle` inside a string value's text, else the whole value.
    fn within(&self, node: &Node, needle: Option<&str>) -> Range<usize> {
        let Some(n) = needle.filter(|n| !n.is_empty()) else {
            return node.span.clone();
        };
        let Some(raw) = self.text.get(node.span.clone()) else {
            return node.span.clone();
        };
        // Inside a `{{ ... }}` or `{% ... %}` first, so that `{{ user }}` in `/api/v1/users/{{ user }}` is found,
        // not the word `users`; then anywhere.
        let mut from = 0;
        while let Some(open) = raw[from..].find('{').map(|i| from + i) {
            let close = raw[open..].find(['}']).map_or(raw.len(), |i| open + i);
            if let Some(i) = raw[open..close].find(n) {
                let start = node.span.start + open + i;
                return start..start + n.len();
            }
            from = close.max(open + 1);
        }
        match raw.find(n) {
            Some(i) => node.span.start + i..node.span.start + i + n.len(),
            None => node.span.clone(),
        }
    }

    /// The span of a byte range of a string value, when the value is written without escapes; else the value.
    fn inside(&self, node: &Node, range: Range<usize>) -> Range<usize> {
        let Some(s) = node.as_str() else {
            return node.span.clone();
        };
        let raw = self.text.get(node.span.clone()).unwrap_or_default();
        let quote = if raw.starts_with("'''") || raw.starts_with("\"\"\"") {
            3
        } else {
            1
        };
        if raw.len() == s.len() + 2 * quote && &raw[quote..raw.len() - quote] == s {
            let start = node.span.start + quote;
            return start + range.start..start + range.end.max(range.start);
        }
        node.span.clone()
    }

    fn unknown_keys(&mut self, table: &[Entry], known: &[&str], what: &str) {
        for e in table {
            if known.contains(&e.key.as_str()) {
                continue;
            }
            let hint = if WRITE_METHODS.contains(&e.key.as_str()) && known.contains(&"get") {
                "checks are read-only: a step is `get = \"/api/v1/...\"` (or `head = ...`)".to_string()
            } else {
                match did_you_mean(&e.key, known.iter().copied()) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => format!("{what} takes: {}", known.join(", ")),
                }
            };
            self.error(e.key_span.clone(), format!("unknown key `{}` in {what}", e.key), hint);
        }
    }

    fn string(&mut self, node: &Node, what: &str) -> Option<String> {
        match node.as_str() {
            Some(s) => Some(s.to_string()),
            None => {
                self.error(
                    node.span.clone(),
                    format!("{what} must be a string, not {}", node.type_name()),
                    "write it in quotes",
                );
                None
            }
        }
    }

    fn table<'n>(&mut self, node: &'n Node, what: &str, example: &str) -> Option<&'n [Entry]> {
        match node.as_table() {
            Some(t) => Some(t),
            None => {
                self.error(
                    node.span.clone(),
                    format!("{what} must be a table, not {}", node.type_name()),
                    format!("write it as {example}"),
                );
                None
            }
        }
    }

    /// A table's `fail` message, a template; `None` when absent or wrong (the problem is reported).
    fn fail_message(&mut self, table: &[Entry], names: &Names<'_>, visible: Visible) -> Option<Template> {
        let e = get(table, "fail")?;
        self.string(&e.node, "`fail`")?;
        self.template(&e.node, names, visible)
    }

    fn template(&mut self, node: &Node, names: &Names<'_>, visible: Visible) -> Option<Template> {
        let s = node.as_str()?;
        let t = match Template::parse(s) {
            Ok(t) => t,
            Err(e) => {
                let span = self.within(node, e.needle.as_deref());
                self.error(span, e.message, e.hint.unwrap_or_default());
                return None;
            }
        };
        self.template_vars(node, t.vars(), names, visible)?;
        Some(t)
    }

    fn template_vars<'v>(
        &mut self,
        node: &Node,
        vars: impl Iterator<Item = &'v Var>,
        names: &Names<'_>,
        visible: Visible,
    ) -> Option<()> {
        let mut ok = true;
        for v in vars {
            if let Err((message, hint)) = names.check(v, visible) {
                let needle = if v.name() == "vars" {
                    v.path.iter().take(2).cloned().collect::<Vec<_>>().join(".")
                } else {
                    v.name().to_string()
                };
                let span = self.within(node, Some(&needle));
                self.error(span, message, hint);
                ok = false;
            }
        }
        ok.then_some(())
    }

    /// A value given to a request, a filter or a parameter: a template string, or a number or boolean as text.
    fn value_template(&mut self, node: &Node, what: &str, names: &Names<'_>, visible: Visible) -> Option<Template> {
        match &node.value {
            Value::Int(n) => Some(Template::literal(&n.to_string())),
            Value::Bool(b) => Some(Template::literal(&b.to_string())),
            _ => {
                self.string(node, what)?;
                self.template(node, names, visible)
            }
        }
    }

    fn required_string(
        &mut self,
        table: &[Entry],
        key: &str,
        at: Range<usize>,
        what: &str,
        example: &str,
    ) -> Option<(String, Range<usize>)> {
        match get(table, key) {
            Some(e) => self
                .string(&e.node, &format!("`{key}`"))
                .map(|s| (s, e.node.span.clone())),
            None => {
                self.error(at, format!("{what} has no `{key}`"), format!("add `{key} = {example}`"));
                None
            }
        }
    }

    fn scopes(&mut self, node: &Node) -> Vec<String> {
        let Some(items) = node.as_array() else {
            self.error(
                node.span.clone(),
                format!("`scopes` must be an array, not {}", node.type_name()),
                "write `scopes = [\"okta.apps.read\"]`",
            );
            return Vec::new();
        };
        let mut out = Vec::new();
        for item in items {
            let Some(s) = self.string(item, "a scope") else {
                continue;
            };
            if SCOPES.contains(&s.as_str()) {
                out.push(s);
                continue;
            }
            let hint = if s.ends_with(".manage") {
                format!(
                    "checks are read-only: ask for `{}`",
                    s.trim_end_matches(".manage").to_string() + ".read"
                )
            } else {
                match did_you_mean(&s, SCOPES.iter().copied()) {
                    Some(m) => format!("did you mean `{m}`?"),
                    None => format!("the read scopes are: {}", SCOPES.join(", ")),
                }
            };
            let message = if s.ends_with(".manage") {
                format!("`{s}` is a write scope")
            } else {
                format!("unknown scope `{s}`")
            };
            self.error(item.span.clone(), message, hint);
        }
        out
    }

    fn params(&mut self, node: &Node, vars: &[String]) -> Vec<Param> {
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

    fn definition(&mut self, path: &str, vars: &[String]) -> Option<Definition> {
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

    fn parse(&mut self) -> Option<Node> {
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

    /// Declared scopes that no request needs are errors too: `kb scopes` must not ask for more than is read.
    fn unused_scopes(&mut self, node: Option<&Node>, used: &[String]) {
        for item in node.and_then(Node::as_array).unwrap_or_default() {
            if let Some(s) = item.as_str()
                && SCOPES.contains(&s)
                && !used.iter().any(|u| u == s)
            {
                self.error(
                    item.span.clone(),
                    format!("`{s}` is declared but no request needs it"),
                    "remove it: `kb scopes` asks admins to grant exactly what the checks read",
                );
            }
        }
    }

    /// The `[[step]]` list, and every capture with the step that makes it.
    fn steps(
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
                    endpoint: super::shape::endpoint(&path.segments),
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

    fn capture(
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
            plain: super::shape::plain(&source),
            source,
            path,
            filter,
            all,
        })
    }

    /// A capture named in a predicate (`"app"`, `"app.status"`, `"roles.0.type"`), made by this step or an earlier one.
    fn capture_subject(&mut self, node: &Node, names: &Names<'_>, visible: Visible) -> Option<Vec<String>> {
        let s = self.string(node, "a capture name")?;
        let path: Vec<String> = s.split('.').map(str::to_string).collect();
        if !is_value_path(&path) {
            self.error(
                node.span.clone(),
                format!("`{s}` is not a capture name"),
                "write a capture's name, or a field of it: `app.status`",
            );
            return None;
        }
        let is_capture = names.captures.iter().any(|(c, _)| *c == path[0]);
        if !is_capture && (names.params.contains(&path[0]) || path[0] == "vars") {
            self.error(
                node.span.clone(),
                format!("`{}` is not a capture", path[0]),
                format!("test a parameter or a var with `value = \"{{{{ {s} }}}}\"`"),
            );
            return None;
        }
        let var = Var {
            path,
            filters: Vec::new(),
        };
        if let Err((message, hint)) = names.check(&var, visible) {
            self.error(node.span.clone(), message, hint);
            return None;
        }
        Some(var.path)
    }

    /// `expect = [...]` or `skip_unless = ...`: a list of predicate tables; `skip_unless` also takes a capture name.
    fn predicates(&mut self, node: &Node, names: &Names<'_>, step: usize, precondition: bool) -> Vec<Predicate> {
        let visible = Visible::UpTo(step);
        if precondition && node.as_str().is_some() {
            let Some(path) = self.capture_subject(node, names, visible) else {
                return Vec::new();
            };
            return vec![Predicate {
                subject: Subject::Capture(path),
                test: Test::Exists(true),
                fail: None,
            }];
        }
        let items: Vec<&Node> = match &node.value {
            Value::Array(a) => a.iter().collect(),
            Value::Table(_) => vec![node],
            _ => {
                self.error(
                    node.span.clone(),
                    format!("expectations must be a list of tables, not {}", node.type_name()),
                    "write `expect = [{ status = 200 }]`",
                );
                return Vec::new();
            }
        };
        let mut out = Vec::new();
        for item in items {
            let Some(t) = self.table(
                item,
                "an expectation",
                "{ capture = \"app.status\", equals = \"ACTIVE\" }",
            ) else {
                continue;
            };
            if precondition && let Some(f) = get(t, "fail") {
                self.error(
                    f.key_span.clone(),
                    "a precondition has no failure message",
                    "when a precondition does not hold the check is `skip`, not `fail`: remove `fail`",
                );
                continue;
            }
            out.extend(self.predicate(item, t, names, visible));
        }
        out
    }

    fn predicate(&mut self, node: &Node, t: &[Entry], names: &Names<'_>, visible: Visible) -> Vec<Predicate> {
        let mut known: Vec<&str> = SUBJECTS.to_vec();
        known.extend(PREDICATES);
        known.push("fail");
        let mut unknown = 0;
        for e in t {
            if !known.contains(&e.key.as_str()) {
                unknown += 1;
                let hint = match did_you_mean(&e.key, known.iter().copied()) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => format!("the predicates are: {}", PREDICATES.join(", ")),
                };
                self.error(e.key_span.clone(), format!("unknown predicate `{}`", e.key), hint);
            }
        }
        let fail = self.fail_message(t, names, visible);
        let preds: Vec<&Entry> = t.iter().filter(|e| PREDICATES.contains(&e.key.as_str())).collect();
        let subjects: Vec<&Entry> = t.iter().filter(|e| SUBJECTS.contains(&e.key.as_str())).collect();
        let status = get(t, "status");
        let code = get(t, "error_code");
        if status.is_some() || code.is_some() {
            let mut out = Vec::new();
            if let Some(other) = subjects.iter().find(|e| e.key != "status" && e.key != "error_code") {
                self.error(
                    other.key_span.clone(),
                    format!(
                        "`{}` cannot share an expectation with `status` or `error_code`",
                        other.key
                    ),
                    "write it as an expectation of its own",
                );
            }
            if let Some(p) = preds.first() {
                self.error(
                    p.key_span.clone(),
                    format!(
                        "`{}` has nothing to test: `status` and `error_code` carry their value",
                        p.key
                    ),
                    "write `{ status = 200 }` or `{ status = [200, 404] }`",
                );
            }
            let status_code = |n: &Node| match n.value {
                Value::Int(c) if (100..=599).contains(&c) => Some(Expected::Int(c)),
                _ => None,
            };
            let error_code = |n: &Node| match n.as_str() {
                Some(s) if s.len() == 8 && s.starts_with('E') && s[1..].chars().all(|c| c.is_ascii_digit()) => {
                    Some(Expected::Str(Template::literal(s)))
                }
                _ => None,
            };
            if let Some(s) = status {
                let bad = (
                    "a status is an HTTP status code, 100 to 599",
                    "write `status = 200`, or `status = [200, 404]` for one of several",
                );
                out.extend(self.one_or_many(&s.node, Subject::Status, fail.clone(), status_code, bad));
            }
            if let Some(c) = code {
                let bad = (
                    "an `error_code` is an Okta error code such as \"E0000015\"",
                    "write `error_code = \"E0000007\"`",
                );
                out.extend(self.one_or_many(&c.node, Subject::ErrorCode, fail, error_code, bad));
            }
            return out;
        }
        let Some(subject) = self.single(
            &subjects,
            node.span.clone(),
            unknown > 0,
            (
                "this expectation tests nothing".into(),
                "name what it tests: status, error_code, header, capture or value".into(),
            ),
            (
                "an expectation tests one thing".into(),
                "split it into two expectations",
            ),
        ) else {
            return Vec::new();
        };
        let subject = match subject.key.as_str() {
            "header" => {
                let name = self.string(&subject.node, "`header`");
                match name {
                    Some(h) if !h.is_empty() && h.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') => {
                        Subject::Header(h.to_ascii_lowercase())
                    }
                    Some(_) => {
                        self.error(
                            subject.node.span.clone(),
                            "not a header name",
                            "write a name such as `header = \"content-type\"`",
                        );
                        return Vec::new();
                    }
                    None => return Vec::new(),
                }
            }
            "capture" => match self.capture_subject(&subject.node, names, visible) {
                Some(path) => Subject::Capture(path),
                None => return Vec::new(),
            },
            _ => {
                if self.string(&subject.node, "`value`").is_none() {
                    return Vec::new();
                }
                match self.template(&subject.node, names, visible) {
                    Some(t) => Subject::Value(t),
                    None => return Vec::new(),
                }
            }
        };
        let Some(pred) = self.single(
            &preds,
            node.span.clone(),
            unknown > 0,
            (
                "this expectation has no predicate".into(),
                format!("add one of: {}", PREDICATES.join(", ")),
            ),
            (
                "an expectation has one predicate".into(),
                "split it into two expectations",
            ),
        ) else {
            return Vec::new();
        };
        let n = &pred.node;
        let test = match pred.key.as_str() {
            "equals" => self.expected(n, names, visible).map(Test::Equals),
            "not_equals" => self.expected(n, names, visible).map(Test::NotEquals),
            "contains" => self.expected(n, names, visible).map(Test::Contains),
            "not_contains" => self.expected(n, names, visible).map(Test::NotContains),
            "exists" => match n.value {
                Value::Bool(b) => Some(Test::Exists(b)),
                _ => {
                    self.error(
                        n.span.clone(),
                        "`exists` must be true or false",
                        "write `exists = true`",
                    );
                    None
                }
            },
            "matches" => self.string(n, "`matches`").and_then(|re| match regex::Regex::new(&re) {
                Ok(r) => Some(Test::Matches(r)),
                Err(e) => {
                    let detail = e.to_string();
                    let last = detail
                        .lines()
                        .rev()
                        .find(|l| !l.trim().is_empty())
                        .unwrap_or("invalid")
                        .trim()
                        .trim_start_matches("error: ")
                        .to_string();
                    self.error(
                        n.span.clone(),
                        format!("invalid regex: {last}"),
                        "`matches` takes a Rust regex, e.g. \"^https://\"",
                    );
                    None
                }
            }),
            "one_of" => match n.as_array() {
                Some(items) if !items.is_empty() => {
                    let values: Vec<Expected> = items.iter().filter_map(|i| self.expected(i, names, visible)).collect();
                    (values.len() == items.len()).then_some(Test::OneOf(values))
                }
                _ => {
                    self.error(
                        n.span.clone(),
                        "`one_of` must be a non-empty array",
                        "write `one_of = [\"ACTIVE\", \"STAGED\"]`",
                    );
                    None
                }
            },
            key => {
                let cmp = match key {
                    "count" => Cmp::Eq,
                    "count_at_least" => Cmp::AtLeast,
                    _ => Cmp::AtMost,
                };
                match n.value {
                    Value::Int(c) if c >= 0 => Some(Test::Count(cmp, c as usize)),
                    _ => {
                        self.error(
                            n.span.clone(),
                            format!("`{key}` must be a whole number, 0 or more"),
                            format!("write `{key} = 1`"),
                        );
                        None
                    }
                }
            }
        };
        match test {
            Some(test) => vec![Predicate { subject, test, fail }],
            None => Vec::new(),
        }
    }

    /// The one entry of `found`. None is reported at `at` unless `quiet` (another error already explains it);
    /// several are reported at the second.
    fn single<'e>(
        &mut self,
        found: &[&'e Entry],
        at: Range<usize>,
        quiet: bool,
        (none, none_hint): (String, String),
        (several, several_hint): (String, &str),
    ) -> Option<&'e Entry> {
        match found {
            [one] => Some(*one),
            [] => {
                if !quiet {
                    self.error(at, none, none_hint);
                }
                None
            }
            [_, second, ..] => {
                self.error(second.key_span.clone(), several, several_hint);
                None
            }
        }
    }

    /// `status = 200` or `status = [200, 404]` (and the same for `error_code`): equals, or one of.
    fn one_or_many(
        &mut self,
        node: &Node,
        subject: Subject,
        fail: Option<Template>,
        parse: impl Fn(&Node) -> Option<Expected>,
        (message, hint): (&str, &str),
    ) -> Option<Predicate> {
        let items: Vec<&Node> = match &node.value {
            Value::Array(a) if !a.is_empty() => a.iter().collect(),
            _ => vec![node],
        };
        let mut values = Vec::new();
        for n in items {
            match parse(n) {
                Some(v) => values.push(v),
                None => self.error(n.span.clone(), message, hint),
            }
        }
        if values.is_empty() || matches!(&node.value, Value::Array(a) if a.len() != values.len()) {
            return None;
        }
        let test = if values.len() == 1 {
            Test::Equals(values.remove(0))
        } else {
            Test::OneOf(values)
        };
        Some(Predicate { subject, test, fail })
    }

    fn expected(&mut self, n: &Node, names: &Names<'_>, visible: Visible) -> Option<Expected> {
        match &n.value {
            Value::Int(i) => Some(Expected::Int(*i)),
            Value::Bool(b) => Some(Expected::Bool(*b)),
            Value::Str(_) => self.template(n, names, visible).map(Expected::Str),
            _ => {
                self.error(
                    n.span.clone(),
                    format!(
                        "a value to compare with must be a string, a number or a boolean, not {}",
                        n.type_name()
                    ),
                    "",
                );
                None
            }
        }
    }

    /// A check block.
    fn block(&mut self, lib: &Library, vars: &[String]) -> Option<Check> {
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

/// What `Ctx::steps` found: the steps, each capture with its step, and the scopes the requests need.
struct Steps {
    steps: Vec<Step>,
    captures: Vec<(String, usize)>,
    used: Vec<String>,
}

fn get<'t>(table: &'t [Entry], key: &str) -> Option<&'t Entry> {
    table.iter().find(|e| e.key == key)
}
