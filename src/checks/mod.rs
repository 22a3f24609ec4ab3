//! The check language: check blocks in articles and definitions in `checks/`, parsed, validated and resolved.
//!
//! `syntax` reads TOML with spans, `template` and `path` are the two safe template forms (text, and request
//! paths), `load` validates and resolves into `model`, and `eval` judges responses. The runner (`kb check`) only
//! fetches what [`Check::request`] builds and hands responses to `eval`.

pub mod answer;
pub mod error;
pub mod eval;
mod evaluation;
pub mod load;
pub mod model;
pub mod path;
mod rules;
pub mod shape;
pub mod syntax;
pub mod template;
pub mod time;

use rayon::prelude::*;

use crate::config::Config;
use crate::content::Content;
use crate::content::blocks::CheckCard;
use crate::diag::Diagnostic;
pub use answer::{Body, Response};
pub use eval::{Bindings, Observed, Outcome};
pub use evaluation::{Evaluation, Failed, Finding, Next, SkipReason, Skipped, Verdict, var_flags, with_defaults};
pub use load::{BUILTIN_VARS, CHECKS_DIR, Library};
pub use model::Check;
use path::Segment;

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
    let (library, by_article) = per_article(config, content, diags, |_, checks| checks);
    Checks { library, by_article }
}

/// The cards the site shows, by article index, each article's checks dropped as soon as its cards are made (a
/// build needs nothing else of them, and at 100,000 articles they are hundreds of megabytes). Problems go to
/// `diags` as with [`load`].
pub fn cards(config: &Config, content: &Content, diags: &mut Vec<Diagnostic>) -> Vec<Vec<CheckCard>> {
    per_article(config, content, diags, |a, checks| {
        checks.iter().map(|c| c.card(&a.slug)).collect()
    })
    .1
}

/// Each article's checks, resolved against the library, made into what `keep` keeps of them.
fn per_article<T: Send>(
    config: &Config,
    content: &Content,
    diags: &mut Vec<Diagnostic>,
    keep: impl Fn(&crate::content::Article, Vec<Check>) -> T + Sync,
) -> (Library, Vec<T>) {
    let vars = known_vars(config);
    let library = Library::load(&config.root, &vars, diags);
    let results: Vec<(T, Vec<Diagnostic>)> = content
        .articles
        .par_iter()
        .map(|a| {
            let mut d = Vec::new();
            let checks = library.checks(&a.file, &a.checks, &vars, &mut d);
            (keep(a, checks), d)
        })
        .collect();
    let mut kept = Vec::with_capacity(results.len());
    for (k, d) in results {
        diags.extend(d);
        kept.push(k);
    }
    (library, kept)
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

/// The first value of a header, by lowercase name, in a response's header list.
pub fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

impl Check {
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
            Some(v) if v.name() == eval::NOW => t.source.clone(),
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
                if let Some(f) = &s.for_each {
                    line.push_str(&format!(" (once per item of `{}`, at most {})", f.list, f.max));
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
            severity: self.severity.as_str().to_string(),
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
