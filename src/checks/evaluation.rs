//! One run of a check, step by step: [`Evaluation::step`] says what to fetch or gives the verdict, and
//! [`Evaluation::answer`] hands it the org's response. A `for_each` step asks once per item of its list and joins
//! each item's captures to it; what fails per item becomes a finding, named by the check's `[finding]`.

use serde_json::{Map, Value};
use url::Url;

use super::eval::{self, Bindings, Error, Failure, Observed, Outcome, Reason, judge};
use super::model::Check;
use super::path::{self, Request};
use super::template::to_text;

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
    /// The org has the problem.
    Fail(Failed),
    Error(Error),
    /// Not run, and why.
    Skip(Skipped),
}

/// A failure: the message for the report, and the items that fail, when the check judges items.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Failed {
    pub message: String,
    /// Every failing item (reports show the first ones and the count).
    pub findings: Vec<Finding>,
}

/// One failing item: what names it, what was read, and its page in the Admin Console.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Finding {
    pub label: String,
    pub detail: Option<String>,
    pub url: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Skipped {
    pub reason: SkipReason,
    pub message: String,
}

/// Why a check did not run (DESIGN.md's skip reasons).
#[derive(Debug, Clone, PartialEq)]
pub enum SkipReason {
    /// The org answered, and the article does not apply to it.
    Precondition,
    /// These `vars` have no value.
    NeedsVar(Vec<String>),
    /// Left out by `--min-severity`.
    Filtered,
    /// Not run: a waiver with `run = false`.
    Waived,
}

/// The flags that would give these variables: `--var client_id=... --var redirect_uri=...`.
pub fn var_flags(vars: &[impl AsRef<str>]) -> String {
    let flags: Vec<String> = vars.iter().map(|v| format!("--var {}=...", v.as_ref())).collect();
    flags.join(" ")
}

impl SkipReason {
    pub fn as_str(&self) -> &'static str {
        match self {
            SkipReason::Precondition => "precondition",
            SkipReason::NeedsVar(_) => "needs_var",
            SkipReason::Filtered => "filtered",
            SkipReason::Waived => "waived",
        }
    }
}

impl Verdict {
    pub fn fail(message: impl Into<String>) -> Verdict {
        Verdict::Fail(Failed {
            message: message.into(),
            findings: Vec::new(),
        })
    }
}

/// What an evaluation needs next.
#[derive(Debug)]
pub enum Next {
    Fetch(Request),
    Done(Verdict),
}

/// A `for_each` step under way: its items (each item's captures joined as they come), the next to ask for, and
/// those that failed.
struct Items {
    list: Vec<Value>,
    /// The org's clock when the step began: every item's request is built on it (a `{ now = ... }` value is the
    /// same for all).
    clock: Option<eval::Clock>,
    /// Whether each item answered was judged (a precondition not met leaves it out of the list afterwards).
    kept: Vec<bool>,
    /// The clock of each item's answer, for facts about time judged on the joined items later.
    clocks: Vec<eval::Clock>,
    next: usize,
    judged: usize,
    failed: Vec<(Value, String)>,
    message: Option<String>,
}

pub struct Evaluation<'c> {
    check: &'c Check,
    org: Url,
    admin: Option<Url>,
    b: Bindings,
    step: usize,
    items: Option<Items>,
    verdict: Option<Verdict>,
}

impl<'c> Evaluation<'c> {
    pub fn new(check: &'c Check, vars: &Map<String, Value>, org: &Url) -> Evaluation<'c> {
        let missing = check.missing_vars(vars);
        let (b, verdict) = if !missing.is_empty() {
            let message = format!("needs {} (or [orgs.NAME.vars])", var_flags(&missing));
            let skip = Skipped {
                reason: SkipReason::NeedsVar(missing),
                message,
            };
            (Bindings::default(), Some(Verdict::Skip(skip)))
        } else {
            match check.bind(with_defaults(vars, org)) {
                Ok(b) => (b, None),
                Err(e) => (Bindings::default(), Some(Verdict::Error(Error::new(Reason::Input, e)))),
            }
        };
        Evaluation {
            check,
            org: org.clone(),
            admin: None,
            b,
            step: 0,
            items: None,
            verdict,
        }
    }

    /// The Admin Console's origin, for findings' links; without one, findings have no link.
    pub fn admin(mut self, admin: Option<Url>) -> Self {
        self.admin = admin;
        self
    }

    /// The requests a `for_each` step under way will make for its items from the next one on: a runner may fetch them
    /// ahead, at once (their answers land in its cache), rather than one after another. Empty otherwise.
    pub fn upcoming(&self) -> Vec<Request> {
        let (Some(items), Some(step)) = (&self.items, self.check.steps().get(self.step)) else {
            return Vec::new();
        };
        // The item being asked for is out of the list (in the bindings): the ones after it.
        items.list[(items.next + 1).min(items.list.len())..]
            .iter()
            .filter_map(|item| {
                let lookup = |p: &[String]| self.b.get_with(Some(item), p);
                let url = path::build_url(&self.org, &step.path, &step.query, &lookup).ok()?;
                Some(Request {
                    method: step.method,
                    url,
                })
            })
            .collect()
    }

    /// The step the next answer is for (a `for_each` step takes several).
    pub fn current_step(&self) -> usize {
        self.step
    }

    /// The next request, or the verdict once one is reached.
    pub fn step(&mut self) -> Next {
        loop {
            if let Some(v) = &self.verdict {
                return Next::Done(v.clone());
            }
            if self.step == self.check.steps().len() {
                return Next::Done(Verdict::Pass);
            }
            let for_each = self.check.steps()[self.step].for_each.clone();
            if let Some(f) = for_each {
                if self.items.is_none() {
                    match self.start_items(&f.list, f.max) {
                        Ok(items) => self.items = Some(items),
                        Err(e) => self.verdict = Some(Verdict::Error(e)),
                    }
                    continue;
                }
                let items = self.items.as_ref().expect("started");
                if items.next == items.list.len() {
                    self.end_items(&f.list);
                    continue;
                }
                // The item is moved out for its request and answer, and back in `answer_item`.
                let items = self.items.as_mut().expect("started");
                self.b.clock = items.clock.clone();
                self.b.item = Some(std::mem::take(&mut items.list[items.next]));
            }
            return match self.check.request(self.step, &self.b, &self.org) {
                Ok(r) => Next::Fetch(r),
                Err(e) => {
                    let v = Verdict::Error(e);
                    self.verdict = Some(v.clone());
                    Next::Done(v)
                }
            };
        }
    }

    /// The list a `for_each` step reads, within its cap.
    fn start_items(&mut self, list: &str, max: usize) -> Result<Items, Error> {
        // A copy the step joins its captures to; the capture itself stays what it was until the step ends.
        let items = eval::list_value(self.b.captures.get(list).cloned(), list, "`for_each`")?;
        if items.len() > max {
            return Err(Error::new(
                Reason::Truncated,
                format!(
                    "the list `{list}` has {} items, more than the {max} this check reads one by one (`max_items`); \
                     kb stopped rather than judge part of it",
                    items.len()
                ),
            ));
        }
        Ok(Items {
            list: items,
            clock: self.b.clock.clone(),
            kept: Vec::new(),
            clocks: Vec::new(),
            next: 0,
            judged: 0,
            failed: Vec::new(),
            message: None,
        })
    }

    /// Every item asked for: the list, its items joined with their captures, replaces the capture; failing items
    /// make the verdict.
    fn end_items(&mut self, list: &str) {
        let items = self.items.take().expect("started");
        self.b.item = None;
        self.b.item_clock = None;
        let total = items.list.len();
        // Items a precondition left out are not part of the list from here on.
        let (list_items, clocks): (Vec<Value>, Vec<eval::Clock>) = items
            .list
            .into_iter()
            .zip(items.clocks)
            .zip(items.kept)
            .filter_map(|((item, clock), kept)| kept.then_some((item, clock)))
            .unzip();
        self.b.captures.insert(list.to_string(), Value::Array(list_items));
        self.b.item_clocks.insert(list.to_string(), clocks);
        self.step += 1;
        if total > 0 && items.judged == 0 {
            // Every item was left out by a precondition: nothing was judged, so the check does not apply.
            self.verdict = Some(Verdict::Skip(Skipped {
                reason: SkipReason::Precondition,
                message: format!(
                    "precondition not met for any of the {} of `{list}`",
                    crate::text::count(total, "item")
                ),
            }));
            return;
        }
        if !items.failed.is_empty() {
            let failure = Failure {
                message: items.message,
                detail: String::new(),
                items: items.failed,
                judged: items.judged,
            };
            self.verdict = Some(self.fail(failure));
        }
    }

    /// The response to the request [`Evaluation::step`] gave.
    pub fn answer(&mut self, response: &super::answer::Response) {
        let step = &self.check.steps()[self.step];
        let obs = Observed {
            method: step.method,
            status: response.status,
            headers: &response.headers,
            body: &response.body,
        };
        let outcome = judge(step, &obs, &mut self.b);
        if step.for_each.is_some() {
            self.answer_item(outcome);
            return;
        }
        self.step += 1;
        self.verdict = match outcome {
            Outcome::Continue => None,
            Outcome::Skip(why) => Some(Verdict::Skip(Skipped {
                reason: SkipReason::Precondition,
                message: why,
            })),
            Outcome::Error(e) => Some(Verdict::Error(e)),
            Outcome::Fail(f) => Some(self.fail(f)),
        };
    }

    /// One item's answer in a `for_each` step: its captures join it; a failure makes it a finding; a precondition
    /// not met leaves it out; an error ends the check.
    fn answer_item(&mut self, outcome: Outcome) {
        let step = &self.check.steps()[self.step];
        let items = self.items.as_mut().expect("a for_each step under way");
        items.clocks.push(
            self.b
                .item_clock
                .clone()
                .unwrap_or_else(|| Err("no answer was read for the item".into())),
        );
        let mut item = self.b.item.take().unwrap_or_default();
        let mut outcome = outcome;
        for c in &step.captures {
            self.b.clocks.remove(&c.name);
            match (self.b.captures.remove(&c.name), &mut item) {
                (Some(v), Value::Object(o)) => {
                    o.insert(c.name.clone(), v);
                }
                (Some(_), other) => {
                    // A capture must join its item: one that is not an object would lose it.
                    outcome = Outcome::Error(Error::new(
                        Reason::Body,
                        format!(
                            "the capture `{}` joins its item, and the item is {}, not an object",
                            c.name,
                            super::answer::kind(other)
                        ),
                    ));
                }
                (None, _) => {}
            }
        }
        items.kept.push(!matches!(outcome, Outcome::Skip(_)));
        match outcome {
            Outcome::Continue => items.judged += 1,
            Outcome::Skip(_) => {}
            Outcome::Fail(f) => {
                items.judged += 1;
                items.failed.push((item.clone(), f.detail));
                if items.message.is_none() {
                    items.message = f.message;
                }
            }
            Outcome::Error(e) => self.verdict = Some(Verdict::Error(e)),
        }
        items.list[items.next] = item;
        items.next += 1;
    }

    /// A failure's verdict: the message (the expectation's, else the check's, else its title), and for items, how
    /// many failed and each one's finding.
    fn fail(&self, f: Failure) -> Verdict {
        let b = &self.b;
        let mut message = f
            .message
            .or_else(|| self.check.fail.as_ref().map(|t| t.render_lenient(&|p| b.get(p))))
            .unwrap_or_else(|| format!("{}: does not hold", self.check.title));
        if f.items.is_empty() {
            return Verdict::fail(message);
        }
        message.push_str(&format!(
            " ({} of {})",
            f.items.len(),
            crate::text::count(f.judged, "item")
        ));
        let findings = f
            .items
            .into_iter()
            .map(|(item, detail)| self.finding(item, detail))
            .collect();
        Verdict::Fail(Failed { message, findings })
    }

    fn finding(&self, item: Value, detail: String) -> Finding {
        // `item` is this one; everything else is the run's bindings (not copied: a list can be large).
        let lookup = |p: &[String]| self.b.get_with(Some(&item), p);
        let Some(t) = &self.check.definition.finding else {
            let label = lookup(&["item".into(), "id".into()]).map_or_else(|| "(an item)".into(), |v| to_text(&v));
            return Finding {
                label,
                detail: Some(detail),
                url: None,
            };
        };
        let url = match (&t.link, &self.admin) {
            (Some(link), Some(admin)) => link_url(link, admin, &lookup),
            _ => None,
        };
        Finding {
            label: t.label.render_lenient(&lookup),
            detail: Some(t.detail.as_ref().map_or(detail, |d| d.render_lenient(&lookup))),
            url,
        }
    }

    /// Ends the run without an answer: the request could not be made or answered.
    pub fn abort(&mut self, e: Error) {
        self.verdict = Some(Verdict::Error(e));
    }
}

/// A finding's link on the Admin Console: each value percent-encoded as one segment, and the result checked to be
/// on the Admin Console's origin, under `/admin/`; otherwise no link.
fn link_url(link: &path::PathTemplate, admin: &Url, lookup: &super::template::Lookup<'_>) -> Option<String> {
    let path = link.render(lookup).ok()?;
    let url = admin.join(&path).ok()?;
    (url.origin() == admin.origin() && url.path().starts_with("/admin/")).then(|| url.to_string())
}

impl Check {
    /// The variables the check needs (see [`Check::needs`]) that `vars` does not give.
    pub fn missing_vars(&self, vars: &Map<String, Value>) -> Vec<String> {
        self.needs.iter().filter(|v| !vars.contains_key(*v)).cloned().collect()
    }

    /// Runs the check's steps in order, fetching each request with `fetch`: the whole meaning of a check, with the
    /// network left to the caller.
    pub fn evaluate(
        &self,
        vars: &Map<String, Value>,
        org: &Url,
        fetch: &mut dyn FnMut(&Request) -> super::answer::Response,
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
    pub fn request(&self, i: usize, b: &Bindings, org: &Url) -> Result<Request, Error> {
        let step = &self.steps()[i];
        let relative = step.query.iter().any(|(_, t)| t.vars().any(|v| v.name() == eval::NOW));
        let no_clock = match &b.clock {
            _ if !relative => None,
            None => Some("no answer has been read yet".to_string()),
            Some(Err(why)) => Some(why.clone()),
            Some(Ok(_)) => None,
        };
        if let Some(why) = no_clock {
            return Err(Error::new(
                Reason::Body,
                format!("{why}, so kb cannot compute a time relative to now (kb uses only the org's clock)"),
            ));
        }
        let url =
            path::build_url(org, &step.path, &step.query, &|p| b.get(p)).map_err(|e| Error::new(Reason::Input, e))?;
        Ok(Request {
            method: step.method,
            url,
        })
    }
}
