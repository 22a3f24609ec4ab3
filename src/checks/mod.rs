//! The check language: check blocks in articles and definitions in `checks/`, parsed, validated and resolved.
//!
//! `syntax` reads TOML with spans, `template` and `path` are the two safe template forms (text, and request
//! paths), `load` validates and resolves into `model`, and `eval` judges responses. The runner (`kb check`) only
//! fetches what [`Check::request`] builds and hands responses to `eval`.

pub mod answer;
pub mod eval;
pub mod load;
pub mod model;
pub mod path;
pub mod shape;
pub mod syntax;
pub mod template;

use rayon::prelude::*;
use serde_json::{Map, Value};
use url::Url;

use crate::config::Config;
use crate::content::Content;
use crate::content::blocks::CheckCard;
use crate::diag::Diagnostic;
pub use answer::{Body, Response};
pub use eval::{Bindings, Observed, Outcome};
pub use load::{BUILTIN_VARS, CHECKS_DIR, Library};
pub use model::Check;
use path::{Request, Segment};

/// Every article's checks, resolved against the library.
#[derive(Debug, Default)]
pub struct Checks {
    pub library: Library,
    /// By article index, in the order the blocks appear.
    pub by_article: Vec<Vec<Check>>,
}

/// The `vars` names checks may use: the built-in ones, kb.toml's `[vars]`, and those any org profile declares.
pub fn known_vars(config: &Config) -> Vec<String> {
    let mut vars: Vec<String> = BUILTIN_VARS.iter().map(|s| s.to_string()).collect();
    vars.extend(config.vars.keys().cloned());
    for org in config.orgs.values() {
        if let Some(t) = org.get("vars").and_then(|v| v.as_table()) {
            vars.extend(t.keys().cloned());
        }
    }
    vars.sort();
    vars.dedup();
    vars
}

/// Loads `checks/` and validates every check block of the content; problems go to `diags`.
pub fn load(config: &Config, content: &Content, diags: &mut Vec<Diagnostic>) -> Checks {
    let vars = known_vars(config);
    let library = Library::load(&config.root, &vars, diags);
    let results: Vec<(Vec<Check>, Vec<Diagnostic>)> = content
        .articles
        .par_iter()
        .map(|a| {
            let mut d = Vec::new();
            let checks = library.checks(&a.file, &a.checks, &vars, &mut d);
            (checks, d)
        })
        .collect();
    let mut by_article = Vec::with_capacity(results.len());
    for (checks, d) in results {
        diags.extend(d);
        by_article.push(checks);
    }
    Checks { library, by_article }
}

impl Checks {
    /// The cards the site shows, by article index.
    pub fn cards(&self, content: &Content) -> Vec<Vec<CheckCard>> {
        self.by_article
            .iter()
            .zip(&content.articles)
            .map(|(checks, a)| checks.iter().map(|c| c.card(&a.slug)).collect())
            .collect()
    }
}

/// `vars` with the built-ins filled in: `org_url` is the org's origin (no trailing slash), and `admin` is `me`, the
/// token's owner, unless set (the runner refuses a missing `admin` with OAuth credentials, which have no owner).
pub fn with_defaults(vars: &Map<String, Value>, org: &Url) -> Map<String, Value> {
    let mut vars = vars.clone();
    vars.entry("admin").or_insert_with(|| Value::from("me"));
    vars.insert("org_url".into(), Value::from(org.origin().ascii_serialization()));
    vars
}

/// A check's result.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    Pass,
    /// The org has the problem: the message for the report.
    Fail(String),
    Error(eval::Error),
    Skip(String),
}

/// The first value of a header, by lowercase name, in a response's header list.
pub fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// One run of a check, step by step: [`Evaluation::step`] says what to fetch or gives the verdict, and
/// [`Evaluation::answer`] hands it the org's response. The runner drives it over the network; [`Check::evaluate`]
/// drives it with a closure.
pub struct Evaluation<'c> {
    check: &'c Check,
    org: Url,
    b: Bindings,
    step: usize,
    verdict: Option<Verdict>,
}

/// What an evaluation needs next.
#[derive(Debug)]
pub enum Next {
    Fetch(Request),
    Done(Verdict),
}

impl<'c> Evaluation<'c> {
    pub fn new(check: &'c Check, vars: &Map<String, Value>, org: &Url) -> Evaluation<'c> {
        let (b, verdict) = match check.bind(with_defaults(vars, org)) {
            Ok(b) => (b, None),
            Err(e) => (
                Bindings::default(),
                Some(Verdict::Error(eval::Error::new(eval::Reason::Input, e))),
            ),
        };
        Evaluation {
            check,
            org: org.clone(),
            b,
            step: 0,
            verdict,
        }
    }

    /// The next request, or the verdict once one is reached.
    pub fn step(&mut self) -> Next {
        if let Some(v) = &self.verdict {
            return Next::Done(v.clone());
        }
        if self.step == self.check.steps().len() {
            return Next::Done(Verdict::Pass);
        }
        match self.check.request(self.step, &self.b, &self.org) {
            Ok(r) => Next::Fetch(r),
            Err(e) => {
                let v = Verdict::Error(eval::Error::new(eval::Reason::Input, e));
                self.verdict = Some(v.clone());
                Next::Done(v)
            }
        }
    }

    /// The response to the request [`Evaluation::step`] gave.
    pub fn answer(&mut self, response: &Response) {
        let step = &self.check.steps()[self.step];
        let obs = Observed {
            method: step.method,
            status: response.status,
            headers: &response.headers,
            body: &response.body,
        };
        self.step += 1;
        self.verdict = match eval::judge(step, &obs, &mut self.b) {
            Outcome::Continue => None,
            Outcome::Skip(why) => Some(Verdict::Skip(why)),
            Outcome::Error(e) => Some(Verdict::Error(e)),
            Outcome::Fail(message) => {
                let b = &self.b;
                let message = message
                    .or_else(|| self.check.fail.as_ref().map(|t| t.render_lenient(&|p| b.get(p))))
                    .unwrap_or_else(|| format!("{}: does not hold", self.check.title));
                Some(Verdict::Fail(message))
            }
        };
    }

    /// Ends the run without an answer: the request could not be made or answered.
    pub fn abort(&mut self, e: eval::Error) {
        self.verdict = Some(Verdict::Error(e));
    }
}

impl Check {
    /// Runs the check's steps in order, fetching each request with `fetch`: the whole meaning of a check, with the
    /// network left to the caller.
    pub fn evaluate(
        &self,
        vars: &Map<String, Value>,
        org: &Url,
        fetch: &mut dyn FnMut(&Request) -> Response,
    ) -> Verdict {
        let mut run = Evaluation::new(self, vars, org);
        loop {
            match run.step() {
                Next::Fetch(request) => run.answer(&fetch(&request)),
                Next::Done(v) => return v,
            }
        }
    }

    /// The bindings a run starts from: `vars` (see [`with_defaults`]) and the parameters' values, which may use
    /// only `vars`.
    pub fn bind(&self, vars: Map<String, Value>) -> Result<Bindings, String> {
        let mut b = Bindings {
            vars,
            ..Bindings::default()
        };
        for (name, t) in &self.args {
            let value = t
                .render(&|p| b.get(p))
                .map_err(|e| format!("parameter `{name}`: {e}"))?;
            b.params.insert(name.clone(), Value::from(value));
        }
        Ok(b)
    }

    /// The request of step `i` for these bindings, on the org's origin: the only way a check reaches the network.
    pub fn request(&self, i: usize, b: &Bindings, org: &Url) -> Result<Request, String> {
        let step = &self.steps()[i];
        let url = path::build_url(org, &step.path, &step.query, &|p| b.get(p))?;
        Ok(Request {
            method: step.method,
            url,
        })
    }

    /// The requests in words, for readers: known values filled in, others shown as `{name}`.
    pub fn describe_requests(&self) -> Vec<String> {
        // A parameter shows its value when the block gives a literal, or the var it comes from.
        let literal = |name: &str| {
            let (_, t) = self.args.iter().find(|(k, _)| k == name)?;
            if t.is_literal() {
                Some(t.source.clone())
            } else {
                t.single_var().map(|v| format!("{{{}}}", v.dotted()))
            }
        };
        let show = |t: &template::Template| match t.single_var() {
            Some(v) if v.path.len() == 1 && v.filters.is_empty() => {
                literal(v.name()).unwrap_or_else(|| format!("{{{}}}", v.dotted()))
            }
            Some(v) => format!("{{{}}}", v.dotted()),
            None => t.source.clone(),
        };
        self.steps()
            .iter()
            .map(|s| {
                let mut line = format!("{} ", s.method.as_str());
                for seg in &s.path.segments {
                    line.push('/');
                    match seg {
                        Segment::Literal(l) => line.push_str(l),
                        Segment::Value(t) => line.push_str(&show(t)),
                    }
                }
                for (i, (k, v)) in s.query.iter().enumerate() {
                    line.push(if i == 0 { '?' } else { '&' });
                    line.push_str(&format!("{k}={}", show(v)));
                }
                line
            })
            .collect()
    }

    pub fn card(&self, slug: &str) -> CheckCard {
        CheckCard {
            id: self.id.clone(),
            title: self.title.clone(),
            description: self.description.clone(),
            requests: self.describe_requests(),
            scopes: self.scopes().to_vec(),
            command: format!("kb check {slug}"),
            fence: self.fence,
            block: self.block.clone(),
            definition: self
                .uses
                .as_ref()
                .map(|_| (self.definition.path.clone(), self.definition.text.clone())),
        }
    }
}
