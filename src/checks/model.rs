//! The check language's syntax tree, once parsed and validated: definitions, checks, steps, captures, predicates.

use std::sync::Arc;

use serde_json_path::JsonPath;

use super::path::{Method, PathTemplate};
use super::shape::{Endpoint, Plain};
use super::template::Template;

/// A reusable definition from `checks/NAME.toml`, or the body of a check block that carries its own steps.
#[derive(Debug)]
pub struct Definition {
    /// Where it was written: `checks/app-user-assigned.toml`, or the article's path.
    pub path: std::sync::Arc<str>,
    /// The definition's TOML as written (shared with every card that shows it).
    pub text: std::sync::Arc<str>,
    pub description: String,
    pub params: Vec<Param>,
    pub scopes: Vec<String>,
    pub fail: Option<Template>,
    pub steps: Vec<Step>,
    /// How much a failure matters (`severity = "high"`); a check block may override it.
    pub severity: Severity,
    /// What names each failing item (`[finding]`): required when an expectation is judged per item.
    pub finding: Option<FindingTemplate>,
}

/// How much a failing check matters, as Maester and Steampipe rate them. Ordered: `Info` < ... < `Critical`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    #[default]
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 5] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Low => "low",
            Severity::Info => "info",
        }
    }

    pub fn parse(s: &str) -> Option<Severity> {
        Severity::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `[finding]`: how a failing item is named in reports. Templates over `item`, the parameters and `vars`.
#[derive(Debug, Clone)]
pub struct FindingTemplate {
    /// `"{{ item.label }} ({{ item.name }})"`.
    pub label: Template,
    /// Said after the label; by default, what the failing expectation read (`expires 2026-12-09, in 8 days`).
    pub detail: Option<Template>,
    /// A page of the Admin Console, a path under `/admin/` opened on the org's Admin Console origin.
    pub link: Option<PathTemplate>,
}

#[derive(Debug, Clone)]
pub struct Param {
    pub name: String,
    pub description: String,
    /// A default, which may use `vars` (`"{{ vars.admin }}"`); without one the parameter is required.
    pub default: Option<Template>,
}

#[derive(Debug)]
pub struct Step {
    pub method: Method,
    pub path: PathTemplate,
    /// The endpoint of Okta's spec the path is, found once when the step is loaded: what its answer must look like.
    pub endpoint: Option<&'static Endpoint>,
    pub query: Vec<(String, Template)>,
    /// `for_each = "apps"`: the request is made once per item of that list capture, with the item as `item`; the
    /// step's captures join its item (`item.key`), and its expectations are judged per item.
    pub for_each: Option<ForEach>,
    pub captures: Vec<Capture>,
    /// Preconditions, tested after the captures: if one does not hold, the check is `skip`.
    pub skip_unless: Vec<Predicate>,
    pub expect: Vec<Predicate>,
}

impl Step {
    /// Whether an expectation names the status: then a non-2xx answer is judged by the expectations, not an error.
    pub fn names_status(&self) -> bool {
        self.expect
            .iter()
            .chain(&self.skip_unless)
            .any(|p| matches!(p.subject, Subject::Status))
    }

    /// Whether an expectation or precondition names this very status code (`status = 401`, `status = [200, 404]`).
    pub fn names_code(&self, code: u16) -> bool {
        let is = |e: &Expected| matches!(e, Expected::Int(n) if *n == i64::from(code));
        self.expect.iter().chain(&self.skip_unless).any(|p| {
            matches!(p.subject, Subject::Status)
                && match &p.test {
                    Test::Equals(e) | Test::NotEquals(e) => is(e),
                    Test::OneOf(list) => list.iter().any(is),
                    _ => false,
                }
        })
    }
}

#[derive(Debug, Clone)]
pub struct ForEach {
    /// The list capture, made by an earlier step.
    pub list: String,
    /// Items at most (`max_items`): a longer list is an `error` (`truncated`), never judged in part.
    pub max: usize,
}

/// Items a `for_each` step reads at most unless it says (`max_items`).
pub const MAX_ITEMS: usize = 500;

#[derive(Debug)]
pub struct Capture {
    pub name: String,
    /// The JSONPath as written (RFC 9535, static).
    pub source: String,
    pub path: JsonPath,
    /// Its plain first segments (see [`super::shape::plain`]): what the answer must hold along it.
    pub plain: Vec<Plain>,
    /// Keeps only the nodes whose fields equal these values (`where = { name = "{{ app_name }}" }`): values are
    /// compared, never spliced into the JSONPath.
    pub filter: Vec<(Vec<String>, Template)>,
    /// `all = true`: the list of every match. Otherwise exactly one match is expected and several are ambiguous.
    pub all: bool,
}

#[derive(Debug)]
pub struct Predicate {
    pub subject: Subject,
    pub test: Test,
    pub fail: Option<Template>,
    /// `each = "users"`: judged for every item of that list capture, with the item as `item`; it holds when every
    /// item passes (so on an empty list), and each item that does not is a finding.
    pub each: Option<String>,
}

#[derive(Debug, Clone)]
pub enum Subject {
    Status,
    /// The error body's `errorCode`.
    ErrorCode,
    Header(String),
    /// A capture, or a field of one: `app.status`.
    Capture(Vec<String>),
    Value(Template),
}

#[derive(Debug)]
pub enum Test {
    Equals(Expected),
    NotEquals(Expected),
    Contains(Expected),
    NotContains(Expected),
    Exists(bool),
    Matches(regex::Regex),
    OneOf(Vec<Expected>),
    Count(Cmp, usize),
    /// `before = "30d"` / `after = "-90d"`: an RFC 3339 date compared with the org's clock moved by a duration.
    Time(When, Template),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    Before,
    After,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmp {
    Eq,
    AtLeast,
    AtMost,
}

#[derive(Debug, Clone)]
pub enum Expected {
    Str(Template),
    Int(i64),
    Bool(bool),
}

/// A check block of an article, resolved against the library.
#[derive(Debug)]
pub struct Check {
    pub id: String,
    pub title: String,
    /// What the check looks at: the block's `description`, else the definition's.
    pub description: String,
    pub definition: Arc<Definition>,
    /// `use = "..."`: the definition's name. `None` for a block with its own steps.
    pub uses: Option<String>,
    /// Parameter values: the block's `with`, then the definition's defaults. They may use `vars` only.
    pub args: Vec<(String, Template)>,
    /// The block's own `fail`, else the definition's.
    pub fail: Option<Template>,
    /// The block's `severity`, else the definition's.
    pub severity: Severity,
    /// The `vars` the check reads that have no default: without one of them it is `skip` (`needs_var`).
    pub needs: Vec<String>,
    /// The block's TOML as written.
    pub block: String,
    /// Byte offset of the block's fence in the article: the page matches its card by it, and its line is
    /// `article.file.line_col(fence)`.
    pub fence: usize,
}

impl Check {
    pub fn scopes(&self) -> &[String] {
        &self.definition.scopes
    }

    pub fn steps(&self) -> &[Step] {
        &self.definition.steps
    }
}
