//! Parsing and validating definitions (`checks/*.toml`) and check blocks, reporting every problem at its place in
//! the file: for a check block, the line and column in the Markdown file.

mod definition;
mod finding;
mod names;
mod predicate;
mod scopes;
mod step;

use names::{Item, Names, Visible};
use scopes::RESOURCES;
pub use scopes::{SCOPES, required_scope};

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

const DEFINITION_KEYS: &[&str] = &["description", "params", "scopes", "severity", "fail", "finding", "step"];
const BLOCK_KEYS: &[&str] = &[
    "id",
    "title",
    "description",
    "use",
    "with",
    "severity",
    "fail",
    "finding",
    "scopes",
    "step",
];
const STEP_KEYS: &[&str] = &[
    "get",
    "head",
    "for_each",
    "max_items",
    "query",
    "capture",
    "skip_unless",
    "expect",
];
const FINDING_KEYS: &[&str] = &["label", "detail", "link"];
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
    "before",
    "after",
];
const WRITE_METHODS: &[&str] = &["post", "put", "patch", "delete", "method", "options", "body"];

/// `vars` every org has: `admin` (default `me`, the token's owner) and `org_url`.
pub const BUILTIN_VARS: &[&str] = &["admin", "org_url"];

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
                let needle = if v.name() == "vars" || v.name() == "item" {
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
}

/// What `Ctx::steps` found: the steps, each capture with its step, the scopes the requests need, the captures
/// made once per item, and what each list capture's items look like.
struct Steps {
    steps: Vec<Step>,
    captures: Vec<(String, usize)>,
    used: Vec<String>,
    per_item: Vec<String>,
    items: Vec<Item>,
}

fn get<'t>(table: &'t [Entry], key: &str) -> Option<&'t Entry> {
    table.iter().find(|e| e.key == key)
}
