//! Front matter: TOML between `+++` lines (the default) or YAML between `---` lines, checked key by key so that every
//! problem is reported with its position, not only the first.

use std::collections::BTreeMap;
use std::ops::Range;

use chrono::NaiveDate;
use serde::Deserialize;

use crate::diag::{Diagnostic, SourceFile, did_you_mean};

pub const ARTICLE_KEYS: &[&str] = &[
    "title",
    "description",
    "date",
    "updated",
    "products",
    "applies_to",
    "errors",
    "tags",
    "related",
    "draft",
    "weight",
    "slug",
    "aliases",
    "audience",
    "owner",
    "reviewed",
    "review_interval_days",
    "extra",
];

pub const SECTION_KEYS: &[&str] = &[
    "title",
    "description",
    "weight",
    "extra",
    "draft",
    "audience",
    "owner",
    "review_interval_days",
];

/// Who an article is for: `public` (the default) or `internal` (a runbook for the support team, never in a public
/// build).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, serde::Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Audience {
    #[default]
    Public,
    Internal,
}

/// What front matter says, once checked.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct FrontMatter {
    pub title: Option<String>,
    pub description: Option<String>,
    pub date: Option<NaiveDate>,
    pub updated: Option<NaiveDate>,
    pub products: Vec<String>,
    pub applies_to: Vec<String>,
    pub errors: Vec<String>,
    pub tags: Vec<String>,
    pub related: Vec<String>,
    pub draft: bool,
    pub weight: i64,
    pub slug: Option<String>,
    pub aliases: Vec<String>,
    /// `audience` as written (an article without it takes its section's, and public at the top).
    pub audience: Option<Audience>,
    /// Who keeps the article true (a name, team or address); reviews are reported to them.
    pub owner: Option<String>,
    /// When someone last checked the article was still right.
    pub reviewed: Option<NaiveDate>,
    /// How often it is to be reviewed, overriding the section's and kb.toml's.
    pub review_interval_days: Option<u32>,
    pub extra: serde_json::Value,
}

/// Where each key and its value stand in the file (byte ranges), for later checks that need to point at them.
#[derive(Debug, Clone, Default)]
pub struct Spans {
    pub keys: BTreeMap<String, (Range<usize>, Range<usize>)>,
    /// The whole front matter block (or the first line of the file when there is none).
    pub block: Range<usize>,
}

impl Spans {
    /// The span of a key's value, or of the front matter block when the key is absent.
    pub fn value(&self, key: &str) -> Range<usize> {
        self.keys.get(key).map_or(self.block.clone(), |(_, v)| v.clone())
    }

    /// The span of the `i`-th element of an array value, found textually; the whole value if not found.
    pub fn element(&self, file: &SourceFile, key: &str, needle: &str) -> Range<usize> {
        let value = self.value(key);
        let Some(text) = file.text.get(value.clone()) else {
            return self.block.clone();
        };
        match text.find(needle) {
            Some(i) => (value.start + i)..(value.start + i + needle.len()),
            None => value,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Toml,
    Yaml,
}

/// The split of a file into front matter and body.
#[derive(Debug, Clone)]
pub struct Split<'a> {
    pub format: Option<Format>,
    /// The front matter text and its byte offset in the file.
    pub front: &'a str,
    pub front_offset: usize,
    /// The Markdown body and its byte offset in the file.
    pub body: &'a str,
    pub body_offset: usize,
}

/// Splits a file into front matter and body. A file that starts with `+++` or `---` must close it.
pub fn split<'a>(file: &SourceFile, text: &'a str) -> Result<Split<'a>, Box<Diagnostic>> {
    let (format, delim) = if starts_with_line(text, "+++") {
        (Format::Toml, "+++")
    } else if starts_with_line(text, "---") {
        (Format::Yaml, "---")
    } else {
        return Ok(Split {
            format: None,
            front: "",
            front_offset: 0,
            body: text,
            body_offset: 0,
        });
    };
    let open_end = text.find('\n').map_or(text.len(), |i| i + 1);
    let mut pos = open_end;
    while pos < text.len() {
        let line_end = text[pos..].find('\n').map_or(text.len(), |i| pos + i + 1);
        let line = text[pos..line_end].trim_end_matches(['\n', '\r']);
        if line.trim_end() == delim {
            return Ok(Split {
                format: Some(format),
                front: &text[open_end..pos],
                front_offset: open_end,
                body: &text[line_end..],
                body_offset: line_end,
            });
        }
        pos = line_end;
    }
    Err(Box::new(
        Diagnostic::error(format!("front matter opened with `{delim}` is never closed"))
            .at(file, 0..delim.len())
            .label("opened here")
            .hint(format!("end the front matter with a line holding only `{delim}`")),
    ))
}

fn starts_with_line(text: &str, delim: &str) -> bool {
    text.strip_prefix(delim).is_some_and(|rest| {
        let rest = rest.trim_start_matches([' ', '\t']);
        rest.is_empty() || rest.starts_with('\n') || rest.starts_with("\r\n")
    })
}

/// Serde shape shared by both formats. Unknown keys are caught before this is used, key by key, with positions.
#[derive(Deserialize, Default)]
#[serde(default)]
struct Raw {
    title: Option<String>,
    description: Option<String>,
    date: Option<DateValue>,
    updated: Option<DateValue>,
    products: Vec<String>,
    applies_to: Vec<String>,
    errors: Vec<String>,
    tags: Vec<String>,
    related: Vec<String>,
    draft: bool,
    weight: i64,
    slug: Option<String>,
    aliases: Vec<String>,
    audience: Option<String>,
    owner: Option<String>,
    reviewed: Option<DateValue>,
    review_interval_days: Option<i64>,
    extra: Option<serde_json::Value>,
}

/// A date written as a TOML date, a TOML datetime or a string.
#[derive(Debug, Clone)]
struct DateValue(String);

impl<'de> Deserialize<'de> for DateValue {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match toml::Value::deserialize(d)? {
            toml::Value::String(s) => Ok(DateValue(s)),
            toml::Value::Datetime(dt) => Ok(DateValue(dt.to_string())),
            other => Err(serde::de::Error::custom(format!(
                "expected a date like 2026-11-21, found a {}",
                other.type_str()
            ))),
        }
    }
}

/// Parses front matter, reporting every problem it can find. `keys` are the keys allowed here.
pub fn parse(
    file: &SourceFile,
    split: &Split<'_>,
    keys: &[&str],
    diags: &mut Vec<Diagnostic>,
) -> Option<(FrontMatter, Spans)> {
    let block_end = split.body_offset.max(1).min(file.text.len());
    let mut spans = Spans {
        keys: BTreeMap::new(),
        block: 0..block_end.min(3),
    };
    let Some(format) = split.format else {
        return Some((FrontMatter::default(), spans));
    };
    let base = split.front_offset;
    let raw: Option<Raw> = match format {
        Format::Toml => parse_toml(file, split.front, base, keys, &mut spans, diags),
        Format::Yaml => parse_yaml(file, split.front, base, keys, &mut spans, diags),
    };
    let raw = raw?;
    let mut fm = FrontMatter {
        title: raw.title,
        description: raw.description.filter(|d| !d.trim().is_empty()),
        date: None,
        updated: None,
        products: raw.products,
        applies_to: raw.applies_to,
        errors: raw.errors,
        tags: raw.tags,
        related: raw.related,
        draft: raw.draft,
        weight: raw.weight,
        slug: raw.slug,
        aliases: raw.aliases,
        audience: None,
        owner: raw.owner.filter(|o| !o.trim().is_empty()),
        reviewed: None,
        review_interval_days: None,
        extra: raw.extra.unwrap_or(serde_json::Value::Object(Default::default())),
    };
    fm.date = check_date(file, &spans, "date", raw.date, diags);
    fm.updated = check_date(file, &spans, "updated", raw.updated, diags);
    fm.reviewed = check_date(file, &spans, "reviewed", raw.reviewed, diags);
    fm.audience = raw.audience.and_then(|a| check_audience(file, &spans, &a, diags));
    fm.review_interval_days = raw
        .review_interval_days
        .and_then(|n| check_interval(file, &spans, n, diags));
    if let Some(title) = &fm.title
        && title.trim().is_empty()
    {
        diags.push(
            Diagnostic::error("`title` is empty")
                .at(file, spans.value("title"))
                .hint("give the symptom as a reader would search for it"),
        );
    }
    for (key, list) in [
        ("products", &fm.products),
        ("applies_to", &fm.applies_to),
        ("tags", &fm.tags),
        ("errors", &fm.errors),
    ] {
        if let Some(bad) = list.iter().find(|v| crate::content::slug::slugify(v).is_empty()) {
            diags.push(
                Diagnostic::error(format!(
                    "`{key}` value {bad:?} has no letters or digits to make a URL from"
                ))
                .at(file, spans.element(file, key, bad))
                .hint("use a name with at least one ASCII letter or digit"),
            );
        }
    }
    // Problems with values are reported but do not drop the file, so that its other problems are found too.
    Some((fm, spans))
}

fn check_date(
    file: &SourceFile,
    spans: &Spans,
    key: &str,
    value: Option<DateValue>,
    diags: &mut Vec<Diagnostic>,
) -> Option<NaiveDate> {
    let text = value?.0;
    match parse_date(&text) {
        Some(date) => Some(date),
        None => {
            diags.push(
                Diagnostic::error(format!("`{key}` is not a valid date: {text:?}"))
                    .at(file, spans.value(key))
                    .label("expected an ISO date")
                    .hint(format!("write it as `{key} = 2026-11-21` (year-month-day)")),
            );
            None
        }
    }
}

fn check_audience(file: &SourceFile, spans: &Spans, value: &str, diags: &mut Vec<Diagnostic>) -> Option<Audience> {
    match value {
        "public" => Some(Audience::Public),
        "internal" => Some(Audience::Internal),
        _ => {
            diags.push(
                Diagnostic::error(format!("`audience` is {value:?}, which is not an audience"))
                    .at(file, spans.value("audience"))
                    .label("expected \"public\" or \"internal\"")
                    .hint("write `audience = \"internal\"` for a support-team runbook; public is the default"),
            );
            None
        }
    }
}

/// The longest review interval kb takes: ten years.
pub const MAX_INTERVAL_DAYS: i64 = 3650;

/// Whether `n` days is a review interval kb takes: 1 to [`MAX_INTERVAL_DAYS`].
pub fn interval_ok(n: i64) -> bool {
    (1..=MAX_INTERVAL_DAYS).contains(&n)
}

/// A review interval in days, or an error at the key.
fn check_interval(file: &SourceFile, spans: &Spans, n: i64, diags: &mut Vec<Diagnostic>) -> Option<u32> {
    if interval_ok(n) {
        return Some(n as u32);
    }
    diags.push(
        Diagnostic::error(format!(
            "`review_interval_days` is {n}, not a number of days from 1 to {MAX_INTERVAL_DAYS}"
        ))
        .at(file, spans.value("review_interval_days"))
        .hint("write how many days may pass between reviews, e.g. `review_interval_days = 180`"),
    );
    None
}

/// An ISO date, or the date part of an RFC 3339 date-time.
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    let text = text.trim();
    if let Ok(d) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Some(d);
    }
    if let Ok(dt) = chrono::DateTime::parse_from_rfc3339(text) {
        return Some(dt.date_naive());
    }
    for fmt in ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S%.f"] {
        if let Ok(dt) = chrono::NaiveDateTime::parse_from_str(text, fmt) {
            return Some(dt.date());
        }
    }
    None
}

fn unknown_key(file: &SourceFile, key: &str, span: Range<usize>, keys: &[&str]) -> Diagnostic {
    let hint = match did_you_mean(key, keys.iter().copied()) {
        Some(k) => format!("did you mean `{k}`? Free-form fields go under `[extra]`"),
        None => format!("known keys: {}; free-form fields go under `[extra]`", keys.join(", ")),
    };
    Diagnostic::error(format!("unknown front-matter key `{key}`"))
        .at(file, span)
        .label("not a known key")
        .hint(hint)
}

fn parse_toml(
    file: &SourceFile,
    text: &str,
    base: usize,
    keys: &[&str],
    spans: &mut Spans,
    diags: &mut Vec<Diagnostic>,
) -> Option<Raw> {
    let (table, errors) = toml::de::DeTable::parse_recoverable(text);
    if !errors.is_empty() {
        for e in errors {
            let span = e.span().map_or(base..base, |s| (base + s.start)..(base + s.end));
            diags.push(
                Diagnostic::error(format!("invalid TOML in front matter: {}", e.message().trim_end()))
                    .at(file, span)
                    .hint("front matter between `+++` lines is TOML: strings need quotes, arrays use [\"a\", \"b\"]"),
            );
        }
        return None;
    }
    let mut bad = false;
    for (k, v) in table.get_ref().iter() {
        let key_span = (base + k.span().start)..(base + k.span().end);
        let value_span = (base + v.span().start)..(base + v.span().end);
        if !keys.contains(&k.get_ref().as_ref()) {
            diags.push(unknown_key(file, k.get_ref(), key_span.clone(), keys));
            bad = true;
        }
        spans.keys.insert(k.get_ref().to_string(), (key_span, value_span));
    }
    if bad {
        return None;
    }
    match toml::from_str::<Raw>(text) {
        Ok(raw) => Some(raw),
        Err(e) => {
            let span = e.span().map_or(base..base, |s| (base + s.start)..(base + s.end));
            diags.push(
                Diagnostic::error(format!("invalid front matter: {}", e.message().trim_end()))
                    .at(file, span)
                    .hint(type_hint(e.message())),
            );
            None
        }
    }
}

fn type_hint(message: &str) -> String {
    if message.contains("sequence") || message.contains("array") {
        "lists are written as arrays: `tags = [\"a\", \"b\"]`".into()
    } else if message.contains("bool") {
        "write `true` or `false` without quotes".into()
    } else if message.contains("integer") {
        "write a whole number without quotes".into()
    } else {
        "see docs/ARTICLE-FORMAT.md for the type of each key".into()
    }
}

fn parse_yaml(
    file: &SourceFile,
    text: &str,
    base: usize,
    keys: &[&str],
    spans: &mut Spans,
    diags: &mut Vec<Diagnostic>,
) -> Option<Raw> {
    let yaml_error = |e: serde_norway::Error, diags: &mut Vec<Diagnostic>| {
        let span = e
            .location()
            .map_or(base..base, |l| (base + l.index())..(base + l.index()));
        diags.push(
            Diagnostic::error(format!("invalid YAML in front matter: {e}"))
                .at(file, span)
                .hint("front matter between `---` lines is YAML: `key: value`, lists as `[a, b]`"),
        );
    };
    if text.trim().is_empty() {
        return Some(Raw::default());
    }
    let map: serde_norway::Mapping = match serde_norway::from_str(text) {
        Ok(m) => m,
        Err(e) => {
            yaml_error(e, diags);
            return None;
        }
    };
    // YAML gives no spans for keys: find each top-level key at the start of a line.
    let mut bad = false;
    for key in map.keys() {
        let Some(key) = key.as_str() else { continue };
        let Some(offset) = yaml_key_offset(text, key) else {
            // A quoted or flow-style key: known, but without a precise position.
            if !keys.contains(&key) {
                diags.push(unknown_key(file, key, base..base, keys));
                bad = true;
            }
            continue;
        };
        let start = base + offset;
        let key_span = start..start + key.len();
        let line_end = text[offset..].find('\n').map_or(text.len(), |i| offset + i);
        let value_span = key_span.end.min(base + line_end)..base + line_end;
        if !keys.contains(&key) {
            diags.push(unknown_key(file, key, key_span.clone(), keys));
            bad = true;
        }
        spans.keys.insert(key.to_string(), (key_span, value_span));
    }
    if bad {
        return None;
    }
    match serde_norway::from_value::<Raw>(serde_norway::Value::Mapping(map)) {
        Ok(raw) => Some(raw),
        Err(e) => {
            yaml_error(e, diags);
            None
        }
    }
}

fn yaml_key_offset(text: &str, key: &str) -> Option<usize> {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if let Some(rest) = line.strip_prefix(key)
            && rest.trim_start().starts_with(':')
        {
            return Some(offset);
        }
        offset += line.len();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str) -> (Option<(FrontMatter, Spans)>, Vec<Diagnostic>) {
        let file = SourceFile::new("a.md", text);
        let mut diags = Vec::new();
        let s = split(&file, text).unwrap();
        let r = parse(&file, &s, ARTICLE_KEYS, &mut diags);
        (r, diags)
    }

    #[test]
    fn toml_front_matter_with_dates() {
        let (r, d) = run("+++\ntitle = \"T\"\ndate = 2026-11-21\nupdated = \"2026-11-22\"\ntags = [\"a\"]\n+++\nbody");
        assert!(d.is_empty(), "{d:?}");
        let (fm, _) = r.unwrap();
        assert_eq!(fm.title.as_deref(), Some("T"));
        assert_eq!(fm.date, NaiveDate::from_ymd_opt(2026, 11, 21));
        assert_eq!(fm.updated, NaiveDate::from_ymd_opt(2026, 11, 22));
        assert_eq!(fm.tags, vec!["a"]);
    }

    #[test]
    fn every_unknown_key_is_reported_with_its_position() {
        let (r, mut d) = run("+++\ntitel = \"T\"\ntagz = []\n+++\n");
        assert!(r.is_none());
        crate::diag::sort(&mut d);
        assert_eq!(d.len(), 2);
        assert_eq!(d[0].position().unwrap(), "a.md:2:1");
        assert_eq!(
            d[0].hint.as_deref().unwrap(),
            "did you mean `title`? Free-form fields go under `[extra]`"
        );
        assert_eq!(d[1].position().unwrap(), "a.md:3:1");
    }

    #[test]
    fn bad_date_points_at_the_value() {
        let (_, d) = run("+++\ntitle = \"T\"\ndate = \"2026-13-45\"\n+++\n");
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].position().unwrap(), "a.md:3:8");
    }

    #[test]
    fn yaml_front_matter_is_accepted() {
        let (r, d) = run("---\ntitle: Hello\ndate: 2026-11-21\ntags: [a, b]\n---\nbody");
        assert!(d.is_empty(), "{d:?}");
        let (fm, _) = r.unwrap();
        assert_eq!(fm.title.as_deref(), Some("Hello"));
        assert_eq!(fm.tags, vec!["a", "b"]);
        assert_eq!(fm.date, NaiveDate::from_ymd_opt(2026, 11, 21));
    }

    #[test]
    fn crlf_front_matter_splits() {
        let text = "+++\r\ntitle = \"T\"\r\n+++\r\nbody\r\n";
        let file = SourceFile::new("a.md", text);
        let s = split(&file, text).unwrap();
        assert_eq!(s.body, "body\r\n");
        let (r, d) = run(text);
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(r.unwrap().0.title.as_deref(), Some("T"));
    }

    #[test]
    fn unclosed_front_matter_is_an_error() {
        let file = SourceFile::new("a.md", "+++\ntitle = 1\n");
        let e = split(&file, &file.text.clone()).unwrap_err();
        assert!(e.message.contains("never closed"));
    }
}
