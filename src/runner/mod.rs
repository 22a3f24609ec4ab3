//! `kb check`'s engine: runs the selected checks against an org, concurrently, through one [`client::Client`]
//! (auth, cache, paging, rate limits), or against a snapshot ([`Source`]). Each check is an [`Evaluation`] of the check language; the runner only
//! fetches what it asks for and records the verdict.

pub mod auth;
pub mod client;
pub mod http;
pub mod org;
pub mod ratelimit;
pub mod source;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Map, Value};
use tokio::task::JoinSet;
use url::Url;

use crate::checks::eval::{Error, Reason};
use crate::checks::{Checks, Evaluation, Next, Verdict};
pub use source::Source;

/// A check to run: the article's index and the check's index among the article's checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Job {
    pub article: usize,
    pub index: usize,
}

/// A check that has run.
#[derive(Debug, Clone)]
pub struct Finished {
    pub job: Job,
    pub verdict: Verdict,
    pub duration: Duration,
}

/// The org a run reads: its URL, its Admin Console (for findings' links) and the checks' `vars`.
#[derive(Debug, Clone)]
pub struct Target {
    pub org: Url,
    pub admin: Option<Url>,
    pub vars: Map<String, Value>,
}

/// Where finished checks go as they finish, so an interrupted run can still report them.
pub type Sink = Arc<Mutex<Vec<Finished>>>;

/// What makes two checks the same evaluation: one definition with the same parameter values, title and failure
/// message. Every request is cached for the run, so such checks would read the same answers to the same verdict:
/// they are evaluated once (an org-wide check in 1,000 articles is one evaluation, not 1,000 copies of its lists).
/// A check whose parameters cannot be bound is never merged (its error names what it lacks).
fn same_evaluation(check: &crate::checks::Check, job: Job, vars: &Map<String, Value>, org: &Url) -> EvaluationKey {
    let params = check
        .bind(crate::checks::with_defaults(vars, org))
        .map(|b| serde_json::to_string(&b.params).unwrap_or_default())
        .map_err(|_| job);
    EvaluationKey {
        definition: Arc::as_ptr(&check.definition) as usize,
        params,
        title: check.title.clone(),
        fail: check.fail.as_ref().map(|t| t.source.clone()),
    }
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct EvaluationKey {
    definition: usize,
    /// The parameters' values, or the job itself when they cannot be bound.
    params: Result<String, Job>,
    title: String,
    fail: Option<String>,
}

/// How many of a `for_each` step's next items are asked for ahead of the one being judged.
const AHEAD: usize = 16;

/// The requests an evaluation's `for_each` step will make next, fetched in the background into the client's cache
/// (each within its concurrency and rate limits): at most [`AHEAD`] beyond the item being judged, each once. When
/// the evaluation ends early (an item's error ends the check), the rest are cancelled with it.
#[derive(Default)]
struct Ahead {
    tasks: JoinSet<()>,
    sent: std::collections::HashSet<String>,
}

impl Ahead {
    fn fetch(&mut self, client: &Arc<Source>, upcoming: Vec<crate::checks::path::Request>, scopes: &[String]) {
        for r in upcoming.into_iter().take(AHEAD) {
            if !self.sent.insert(r.url.to_string()) {
                continue;
            }
            let (client, scopes) = (client.clone(), scopes.to_vec());
            self.tasks.spawn(async move {
                let _ = client.fetch(&r, &scopes).await;
            });
        }
    }
}

/// Runs every job; each finished check goes to `sink` and `on_done`. Jobs that are the same evaluation (see
/// [`same_evaluation`]) run once and share the verdict.
pub async fn run(
    client: Arc<Source>,
    checks: Arc<Checks>,
    jobs: &[Job],
    target: Arc<Target>,
    sink: Sink,
    on_done: Arc<dyn Fn(&Finished) + Send + Sync>,
) {
    let mut groups: Vec<Vec<Job>> = Vec::new();
    let mut by_key: std::collections::HashMap<EvaluationKey, usize> = std::collections::HashMap::new();
    for &job in jobs {
        let key = same_evaluation(
            &checks.by_article[job.article][job.index],
            job,
            &target.vars,
            &target.org,
        );
        match by_key.get(&key) {
            Some(&g) => groups[g].push(job),
            None => {
                by_key.insert(key, groups.len());
                groups.push(vec![job]);
            }
        }
    }
    let mut set = JoinSet::new();
    let mut ids = std::collections::HashMap::new();
    for group in groups {
        let job = group[0];
        let (client, checks, target, sink, on_done) = (
            client.clone(),
            checks.clone(),
            target.clone(),
            sink.clone(),
            on_done.clone(),
        );
        let group_jobs = group.clone();
        let handle = set.spawn(async move {
            let check = &checks.by_article[job.article][job.index];
            let started = Instant::now();
            let mut evaluation = Evaluation::new(check, &target.vars, &target.org).admin(target.admin.clone());
            let mut ahead = Ahead::default();
            let verdict = loop {
                match evaluation.step() {
                    Next::Fetch(request) => {
                        // A step asking once per item: the next items' requests go out meanwhile, a few at a time,
                        // and their answers wait in the run's cache. Dropped with the evaluation when it ends.
                        ahead.fetch(&client, evaluation.upcoming(), check.scopes());
                        match client.fetch(&request, check.scopes()).await {
                            Ok(response) => evaluation.answer(&response),
                            Err(e) => evaluation.abort(e),
                        }
                    }
                    Next::Done(v) => break v,
                }
            };
            let duration = started.elapsed();
            for &job in &group {
                let finished = Finished {
                    job,
                    verdict: verdict.clone(),
                    duration,
                };
                on_done(&finished);
                sink.lock().unwrap().push(finished);
            }
        });
        ids.insert(handle.id(), group_jobs);
    }
    while let Some(joined) = set.join_next().await {
        // A check whose task panicked is an error in the report, never a silent gap.
        if let Err(e) = joined
            && let Some(group) = ids.get(&e.id())
        {
            for &job in group {
                let finished = Finished {
                    job,
                    verdict: Verdict::Error(Error::new(
                        Reason::Input,
                        "kb stopped on this check because of a bug in kb; please report it",
                    )),
                    duration: Duration::ZERO,
                };
                on_done(&finished);
                sink.lock().unwrap().push(finished);
            }
        }
    }
}
