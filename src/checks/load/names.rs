//! Which names a template may use where it is written, and the hint when it names another.

use super::*;

/// Which names a template may use where it is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Visible {
    /// `with` values and parameter defaults: `vars` only.
    VarsOnly,
    /// A step's request: parameters, and captures of earlier steps.
    Before(usize),
    /// A step's expectations: parameters, and captures up to this step's.
    UpTo(usize),
    /// The check's failure message: everything.
    All,
}

#[derive(Default)]
pub(super) struct Names<'n> {
    pub(super) params: &'n [String],
    pub(super) vars: &'n [String],
    /// Each capture and the step that makes it.
    pub(super) captures: &'n [(String, usize)],
    /// The captures made once per item (by a `for_each` step): they join the item, as `item.NAME`.
    pub(super) per_item: &'n [String],
    /// The item, where one is judged: in a `for_each` step, an `each` expectation, `[finding]`.
    pub(super) item: Option<&'n Item>,
    /// The list captures so far, for `each`.
    pub(super) lists: &'n [Item],
}

/// The item a template sees as `item`: of which list, and the fields its items may carry.
#[derive(Debug, Clone)]
pub(super) struct Item {
    pub(super) list: String,
    /// The fields Okta's spec gives the list's items, and the captures joined to them; `None` when not known.
    pub(super) fields: Option<Vec<String>>,
    /// The endpoint the list comes from, for messages (`GET /api/v1/apps`).
    pub(super) source: String,
    /// Whether the capture is a list for certain (`all = true`, or a list endpoint's whole answer).
    pub(super) is_list: bool,
}

impl<'n> Names<'n> {
    /// The same names, with this item as `item`.
    pub(super) fn with_item(&self, item: Option<&'n Item>) -> Names<'n> {
        Names {
            params: self.params,
            vars: self.vars,
            captures: self.captures,
            per_item: self.per_item,
            item,
            lists: self.lists,
        }
    }

    pub(super) fn check(&self, v: &Var, visible: Visible) -> Result<(), (String, String)> {
        let name = v.name();
        if name == "item" && !self.captures.iter().any(|(c, _)| c == "item") {
            return self.check_item(v);
        }
        if let Some(c) = self.per_item.iter().find(|c| *c == name)
            && self.made_before(name, visible)
        {
            return Err((
                format!("the capture `{c}` is made once per item: it joins its item"),
                format!("read it as `item.{c}` in an `each` expectation over that list, or in `[finding]`"),
            ));
        }
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

    fn made_before(&self, name: &str, visible: Visible) -> bool {
        let Some((_, step)) = self.captures.iter().find(|(c, _)| c == name) else {
            return false;
        };
        // In its own step's expectations a per-item capture is the item's; anywhere later it is not a capture.
        match visible {
            Visible::Before(i) => *step < i,
            Visible::UpTo(i) => *step < i,
            Visible::All => true,
            Visible::VarsOnly => false,
        }
    }

    /// `item` or `item.FIELD`: known where an item is judged, with a field its items may carry.
    fn check_item(&self, v: &Var) -> Result<(), (String, String)> {
        let Some(item) = self.item else {
            return Err((
                "`item` is not known here".into(),
                "`item` is an item of a list: in a `for_each` step, an expectation with `each`, and `[finding]`".into(),
            ));
        };
        let (Some(field), Some(fields)) = (v.path.get(1), &item.fields) else {
            return Ok(());
        };
        if fields.iter().any(|f| f == field) {
            return Ok(());
        }
        let hint = match did_you_mean(field, fields.iter().map(String::as_str)) {
            Some(s) => format!("did you mean `item.{s}`?"),
            None => format!("its items carry: {}", fields.join(", ")),
        };
        Err((
            format!(
                "`item.{field}`: the items of `{}` ({}) have no field `{field}`",
                item.list, item.source
            ),
            hint,
        ))
    }
}
