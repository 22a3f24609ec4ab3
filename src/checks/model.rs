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
    pub path: String,
    /// The definition's TOML as written.
    pub text: String,
    pub description: String,
    pub params: Vec<Param>,
    pub scopes: Vec<String>,
    pub fail: Option<Template>,
    pub steps: Vec<Step>,
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
