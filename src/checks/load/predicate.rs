//! Preconditions and expectations: a subject and one predicate.

use super::*;

impl Ctx<'_> {
    /// A capture named in a predicate (`"app"`, `"app.status"`, `"roles.0.type"`), made by this step or an earlier one.
    pub(super) fn capture_subject(&mut self, node: &Node, names: &Names<'_>, visible: Visible) -> Option<Vec<String>> {
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
    pub(super) fn predicates(
        &mut self,
        node: &Node,
        names: &Names<'_>,
        step: usize,
        precondition: bool,
    ) -> Vec<Predicate> {
        let visible = Visible::UpTo(step);
        if precondition && node.as_str().is_some() {
            let Some(path) = self.capture_subject(node, names, visible) else {
                return Vec::new();
            };
            return vec![Predicate {
                subject: Subject::Capture(path),
                test: Test::Exists(true),
                fail: None,
                each: None,
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
            if precondition && let Some(e) = get(t, "each") {
                self.error(
                    e.key_span.clone(),
                    "a precondition is about the answer, not about each item of a list",
                    "judge items in `expect` with `each`; in a `for_each` step, a precondition applies to each item",
                );
                continue;
            }
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

    pub(super) fn predicate(
        &mut self,
        node: &Node,
        t: &[Entry],
        names: &Names<'_>,
        visible: Visible,
    ) -> Vec<Predicate> {
        let mut known: Vec<&str> = SUBJECTS.to_vec();
        known.extend(PREDICATES);
        known.extend(["fail", "each"]);
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
        let each = get(t, "each");
        let list = match each {
            None => None,
            Some(e) => match self.each_list(e, names) {
                Some(it) => Some(it),
                None => return Vec::new(),
            },
        };
        let with_item = names.with_item(list.or(names.item));
        let names = &with_item;
        let fail = self.fail_message(t, names, visible);
        let preds: Vec<&Entry> = t.iter().filter(|e| PREDICATES.contains(&e.key.as_str())).collect();
        let subjects: Vec<&Entry> = t.iter().filter(|e| SUBJECTS.contains(&e.key.as_str())).collect();
        if get(t, "status").is_some() || get(t, "error_code").is_some() {
            if let Some(e) = each {
                self.error(
                    e.key_span.clone(),
                    "`each` judges the items of a list: a status or an error code is the answer's",
                    "write `each` with `capture = \"item.FIELD\"` or `value = \"{{ item.FIELD }}\"`",
                );
            }
            return self.status_predicates(t, &subjects, &preds, fail);
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
        let Some(subject) = self.subject(subject, names, visible) else {
            return Vec::new();
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
        match self.test(pred, names, visible) {
            Some(test) => vec![Predicate {
                subject,
                test,
                fail,
                each: list.map(|l| l.list.clone()),
            }],
            None => Vec::new(),
        }
    }

    /// `each = "users"`: a list capture made by this step or an earlier one.
    fn each_list<'n>(&mut self, e: &Entry, names: &Names<'n>) -> Option<&'n Item> {
        let list = self.string(&e.node, "`each`")?;
        if let Some(it) = names.lists.iter().find(|it| it.list == list) {
            if !it.is_list {
                self.error(
                    e.node.span.clone(),
                    format!("`each` reads a list, and the capture `{list}` names one value"),
                    "capture every match as a list: `{ path = \"$[*]\", all = true }`",
                );
                return None;
            }
            return Some(it);
        }
        let hint = if names.per_item.contains(&list) {
            "it is made once per item of another list: judge that list, and read this capture as `item.NAME`".into()
        } else {
            match did_you_mean(&list, names.lists.iter().map(|it| it.list.as_str())) {
                Some(s) => format!("did you mean `{s}`?"),
                None => "capture a list first: `users = { path = \"$[*]\", all = true }`".to_string(),
            }
        };
        self.error(
            e.node.span.clone(),
            format!("`each` names `{list}`, which is not a list this step or an earlier one captures"),
            hint,
        );
        None
    }

    /// `status` and `error_code`: they carry their value, and can share one table.
    fn status_predicates(
        &mut self,
        t: &[Entry],
        subjects: &[&Entry],
        preds: &[&Entry],
        fail: Option<Template>,
    ) -> Vec<Predicate> {
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
        if let Some(s) = get(t, "status") {
            let bad = (
                "a status is an HTTP status code, 100 to 599",
                "write `status = 200`, or `status = [200, 404]` for one of several",
            );
            out.extend(self.one_or_many(&s.node, Subject::Status, fail.clone(), status_code, bad));
        }
        if let Some(c) = get(t, "error_code") {
            let bad = (
                "an `error_code` is an Okta error code such as \"E0000015\"",
                "write `error_code = \"E0000007\"`",
            );
            out.extend(self.one_or_many(&c.node, Subject::ErrorCode, fail, error_code, bad));
        }
        out
    }

    /// The subject of an expectation other than a status: a header, a capture, or a value.
    fn subject(&mut self, subject: &Entry, names: &Names<'_>, visible: Visible) -> Option<Subject> {
        match subject.key.as_str() {
            "header" => {
                let h = self.string(&subject.node, "`header`")?;
                if !h.is_empty() && h.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
                    return Some(Subject::Header(h.to_ascii_lowercase()));
                }
                self.error(
                    subject.node.span.clone(),
                    "not a header name",
                    "write a name such as `header = \"content-type\"`",
                );
                None
            }
            "capture" => self
                .capture_subject(&subject.node, names, visible)
                .map(Subject::Capture),
            _ => {
                self.string(&subject.node, "`value`")?;
                self.template(&subject.node, names, visible).map(Subject::Value)
            }
        }
    }

    /// The predicate of an expectation: its key and value.
    fn test(&mut self, pred: &Entry, names: &Names<'_>, visible: Visible) -> Option<Test> {
        let n = &pred.node;
        match pred.key.as_str() {
            "before" | "after" => {
                let when = if pred.key == "before" {
                    When::Before
                } else {
                    When::After
                };
                self.string(n, &format!("`{}`", pred.key))?;
                let t = self.template(n, names, visible)?;
                if t.is_literal()
                    && let Err(why) = crate::checks::time::duration(&t.source)
                {
                    self.error(
                        n.span.clone(),
                        why,
                        "e.g. `after = \"30d\"`: later than 30 days from now",
                    );
                    return None;
                }
                Some(Test::Time(when, t))
            }
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
        }
    }

    /// The one entry of `found`. None is reported at `at` unless `quiet` (another error already explains it);
    /// several are reported at the second.
    pub(super) fn single<'e>(
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
    pub(super) fn one_or_many(
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
        Some(Predicate {
            subject,
            test,
            fail,
            each: None,
        })
    }

    pub(super) fn expected(&mut self, n: &Node, names: &Names<'_>, visible: Visible) -> Option<Expected> {
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
}
