//! Error catalogues: the error codes a product publishes, each with its HTTP status, title and verbatim message,
//! in kb's own format (TOML or JSON), named in kb.toml:
//!
//! ```toml
//! [errors]
//! catalogues = ["catalogues/okta-management.toml", "catalogues/okta-oauth.toml"]
//! ```
//!
//! A catalogue file:
//!
//! ```toml
//! name = "Okta Management API"          # required: how pages and the error index name it
//! source = "https://..."                # optional: where it was taken from
//! release = "2026.08.1"                 # optional: which release of it
//!
//! [[error]]
//! code = "E0000015"                     # required
//! status = 401                          # required: the HTTP status
//! title = "Feature not enabled"         # required
//! message = "You do not have permission to access the feature you are requesting"   # required, verbatim
//! sub_code = "..."                      # optional: a finer code under `code` (OAuth's internal codes)
//! ```
//!
//! The same keys make a JSON file (`{"name": ..., "error": [{...}]}`). An entry is known by its sub-code when it has
//! one, else by its code: that key is unique within a catalogue. Every entry gets a page under `/errors/` (merged
//! with the page an article's own error signature makes when they are the same), and `kb gaps` lists the entries no
//! article lists. An entry never changes what an article says.

use std::collections::HashMap;
use std::ops::Range;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::diag::{Diagnostic, SourceFile};

/// One catalogue, as loaded.
#[derive(Debug, Clone, Serialize)]
pub struct Catalogue {
    /// The file's name without its extension (`okta-management`): unique among the catalogues.
    pub id: String,
    pub name: String,
    pub source: Option<String>,
    pub release: Option<String>,
    /// As kb.toml names it.
    pub path: String,
    pub entries: Vec<Entry>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Entry {
    pub code: String,
    pub sub_code: Option<String>,
    pub status: u16,
    pub title: String,
    pub message: String,
}

impl Entry {
    /// What the entry is known by: its sub-code, else its code.
    pub fn key(&self) -> &str {
        self.sub_code.as_deref().unwrap_or(&self.code)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCatalogue {
    name: String,
    source: Option<String>,
    release: Option<String>,
    #[serde(default)]
    error: Vec<toml::Spanned<RawEntry>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    code: String,
    sub_code: Option<String>,
    status: u16,
    title: String,
    message: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonCatalogue {
    name: String,
    source: Option<String>,
    release: Option<String>,
    #[serde(default)]
    error: Vec<RawEntry>,
}

/// The catalogue and entry at `(catalogue, entry)` of `catalogues` (as a taxonomy term's `entry` holds it).
pub fn entry_at(catalogues: &[Catalogue], (c, e): (usize, usize)) -> (&Catalogue, &Entry) {
    let cat = &catalogues[c];
    (cat, &cat.entries[e])
}

/// A catalogue as kb.toml names it: its path (relative to the site's root) and where kb.toml says so.
pub struct Named<'a> {
    pub path: String,
    pub at: (&'a SourceFile, Range<usize>),
}

/// Loads the catalogues kb.toml names; every problem at once.
pub fn load_all(root: &Path, named: &[Named<'_>]) -> Result<Vec<Catalogue>, Vec<Diagnostic>> {
    let mut out: Vec<Catalogue> = Vec::new();
    let mut diags = Vec::new();
    for n in named {
        let (config, span) = (n.at.0, n.at.1.clone());
        match load(root, &n.path) {
            Ok(c) => match out.iter().find(|o| o.id == c.id) {
                Some(other) => diags.push(
                    Diagnostic::error(format!(
                        "two error catalogues are named `{}`: {} and {}",
                        c.id, other.path, n.path
                    ))
                    .at(config, span)
                    .hint("a catalogue is known by its file name: rename one of the files"),
                ),
                None => out.push(c),
            },
            Err(Unread(e)) => diags.push(
                Diagnostic::error(format!("cannot read the error catalogue {}: {e}", n.path))
                    .at(config, span)
                    .hint("[errors] catalogues names files relative to the folder that holds kb.toml"),
            ),
            Err(Invalid(mut d)) => diags.append(&mut d),
        }
    }
    if diags.is_empty() { Ok(out) } else { Err(diags) }
}

/// Why a catalogue did not load.
enum Failure {
    Unread(std::io::Error),
    Invalid(Vec<Diagnostic>),
}
use Failure::{Invalid, Unread};

/// A catalogue file's fields, its entries with their spans (none in JSON, which has no spans to give).
type Parsed = (
    String,
    Option<String>,
    Option<String>,
    Vec<(RawEntry, Option<Range<usize>>)>,
);

fn load(root: &Path, path: &str) -> Result<Catalogue, Failure> {
    let text = std::fs::read_to_string(root.join(path)).map_err(Unread)?;
    let file = SourceFile::new(path, text.as_str());
    let (name, source, release, entries) = parse(&file, path.ends_with(".json")).map_err(Invalid)?;
    let mut diags = Vec::new();
    if let Some(s) = &source
        && !(s.starts_with("https://") || s.starts_with("http://"))
    {
        diags.push(
            Diagnostic::error(format!("the catalogue's `source` {s:?} is not an http(s) URL"))
                .at_path(path)
                .hint("`source` is where the catalogue was taken from, e.g. \"https://example.com/errors.json\""),
        );
    }
    let out = entries_of(&file, entries, &mut diags);
    if !diags.is_empty() {
        return Err(Invalid(diags));
    }
    Ok(Catalogue {
        id: Path::new(path)
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default(),
        name,
        source,
        release,
        path: path.to_string(),
        entries: out,
    })
}

fn parse(file: &SourceFile, json: bool) -> Result<Parsed, Vec<Diagnostic>> {
    if json {
        let raw: JsonCatalogue = serde_json::from_str(&file.text).map_err(|e| {
            let text = e.to_string();
            let what = text.rsplit_once(" at line ").map_or(text.as_str(), |(w, _)| w);
            vec![
                Diagnostic::error(format!("invalid error catalogue: {what}"))
                    .at_position(file.path.clone(), e.line(), e.column())
                    .hint(HINT),
            ]
        })?;
        let entries = raw.error.into_iter().map(|e| (e, None)).collect();
        return Ok((raw.name, raw.source, raw.release, entries));
    }
    let raw: RawCatalogue = toml::from_str(&file.text).map_err(|e| {
        vec![
            Diagnostic::error(format!("invalid error catalogue: {}", e.message().trim_end()))
                .at(file, e.span().unwrap_or(0..0))
                .hint(HINT),
        ]
    })?;
    let entries = raw.error.into_iter().map(|s| {
        let span = s.span();
        (s.into_inner(), Some(span))
    });
    Ok((raw.name, raw.source, raw.release, entries.collect()))
}

/// The entries, checked: fields not blank, a real HTTP status, and keys unique, also as the page each makes
/// (`E1` and `e1` would share `/errors/e1/`).
fn entries_of(
    file: &SourceFile,
    raw: Vec<(RawEntry, Option<Range<usize>>)>,
    diags: &mut Vec<Diagnostic>,
) -> Vec<Entry> {
    let mut pages: HashMap<String, (usize, String)> = HashMap::new();
    let mut out = Vec::with_capacity(raw.len());
    for (i, (e, span)) in raw.into_iter().enumerate() {
        let at = |d: Diagnostic| match &span {
            Some(span) => d.at(file, span.clone()),
            None => d
                .at_path(file.path.clone())
                .note(format!("in the catalogue's error entry {}", i + 1)),
        };
        let blank = [("code", &e.code), ("title", &e.title), ("message", &e.message)]
            .into_iter()
            .find(|(_, v)| v.trim().is_empty());
        if let Some((field, _)) = blank {
            diags.push(at(Diagnostic::error(format!(
                "error entry {} has an empty `{field}`",
                i + 1
            ))
            .hint(HINT)));
            continue;
        }
        if !(100..=599).contains(&e.status) {
            let d = Diagnostic::error(format!(
                "`{}` has the HTTP status {}, not one of 100 to 599",
                e.code, e.status
            ))
            .hint("`status` is the HTTP status the error comes with, e.g. 401");
            diags.push(at(d));
            continue;
        }
        let entry = Entry {
            code: e.code.trim().to_string(),
            sub_code: e.sub_code.map(|s| s.trim().to_string()).filter(|s| !s.is_empty()),
            status: e.status,
            title: e.title.trim().to_string(),
            message: e.message,
        };
        let page = crate::content::slug::error_slug(entry.key());
        if page.is_empty() {
            let d = Diagnostic::error(format!(
                "`{}` makes no page name: it has no ASCII letter or digit",
                entry.key()
            ))
            .hint("give the entry a `code` (or `sub_code`) with letters or digits");
            diags.push(at(d));
            continue;
        }
        if let Some((first, key)) = pages.get(&page) {
            let what = if *key == entry.key() {
                format!(
                    "`{key}` is in this catalogue twice (entries {} and {})",
                    first + 1,
                    i + 1
                )
            } else {
                format!(
                    "`{}` and `{key}` (entry {}) would share the page /errors/{page}/",
                    entry.key(),
                    first + 1
                )
            };
            let d = Diagnostic::error(what)
                .hint("an entry is known by its sub_code, else its code: each must be unique in the file, in any case");
            diags.push(at(d));
            continue;
        }
        pages.insert(page, (i, entry.key().to_string()));
        out.push(entry);
    }
    out
}

const HINT: &str = "an error catalogue holds `name` and [[error]] entries with `code`, `status`, `title` and `message` \
                    (and optionally `sub_code`); see README, \"Error catalogues\"";

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) {
        std::fs::write(dir.join(name), text).unwrap();
    }

    /// Loads `names` as kb.toml would name them (`catalogues = [...]`, one per line).
    fn load_named(dir: &Path, names: &[&str]) -> Result<Vec<Catalogue>, Vec<Diagnostic>> {
        let text: String = names.iter().map(|n| format!("\"{n}\",\n")).collect();
        let config = SourceFile::new("kb.toml", text.as_str());
        let mut at = 0;
        let named: Vec<Named> = names
            .iter()
            .map(|n| {
                let span = at..at + n.len() + 2;
                at += n.len() + 4;
                Named {
                    path: n.to_string(),
                    at: (&config, span),
                }
            })
            .collect();
        load_all(dir, &named)
    }

    fn shown(diags: &[Diagnostic]) -> Vec<String> {
        diags
            .iter()
            .map(|d| format!("{} {}", d.position().unwrap_or_default(), d.message))
            .collect()
    }

    #[test]
    fn loads_toml_and_json() {
        let dir = tempfile::tempdir().unwrap();
        let entry = "[[error]]\ncode = \"E1\"\nstatus = 401\ntitle = \"T\"\nmessage = \"M {0}\"\n";
        write(
            dir.path(),
            "api.toml",
            &format!("name = \"API\"\nrelease = \"1\"\n{entry}"),
        );
        let json = r#"{"name": "OAuth", "error": [{"code": "invalid_grant", "sub_code": "x", "status": 400, "title": "T", "message": "M"}]}"#;
        write(dir.path(), "oauth.json", json);
        let cats = load_named(dir.path(), &["api.toml", "oauth.json"]).unwrap();
        assert_eq!(cats[0].id, "api");
        assert_eq!(cats[0].entries[0].key(), "E1");
        assert_eq!(cats[1].entries[0].key(), "x");
        assert_eq!(cats[1].entries[0].code, "invalid_grant");
    }

    #[test]
    fn every_problem_at_its_place() {
        let dir = tempfile::tempdir().unwrap();
        let e = |code: &str, status: u16, message: &str| {
            format!("[[error]]\ncode = \"{code}\"\nstatus = {status}\ntitle = \"T\"\nmessage = \"{message}\"\n")
        };
        let text = format!(
            "name = \"API\"\n{}{}{}{}{}{}",
            e("E1", 401, "M"),
            e("E1", 401, "M"),
            e("D2", 7, "M"),
            e("e1", 400, "M"),
            e("???", 400, "M"),
            e("E5", 400, " ")
        );
        write(dir.path(), "api.toml", &text);
        let diags = load_named(dir.path(), &["api.toml", "missing.toml"]).unwrap_err();
        let shown = shown(&diags);
        let expected = [
            "api.toml:7:1 `E1` is in this catalogue twice (entries 1 and 2)",
            "api.toml:12:1 `D2` has the HTTP status 7",
            "api.toml:17:1 `e1` and `E1` (entry 1) would share the page /errors/e1/",
            "api.toml:22:1 `???` makes no page name",
            "api.toml:27:1 error entry 6 has an empty `message`",
            "kb.toml:2:1 cannot read the error catalogue missing.toml",
        ];
        assert_eq!(diags.len(), expected.len(), "{shown:#?}");
        for (got, want) in shown.iter().zip(expected) {
            assert!(got.starts_with(want), "{want:?} in {shown:#?}");
        }
    }

    #[test]
    fn a_bad_field_a_bad_source_and_a_second_catalogue_of_one_name() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "bad.toml",
            "name = \"x\"\n[[error]]\ncode = \"E\"\nstatus = 400\ntitel = \"T\"\n",
        );
        write(
            dir.path(),
            "src.toml",
            "name = \"x\"\nsource = \"javascript:alert(1)\"\n",
        );
        std::fs::create_dir(dir.path().join("b")).unwrap();
        write(dir.path(), "a.toml", "name = \"a\"\n");
        write(dir.path(), "b/a.json", r#"{"name": "y"}"#);
        let diags = load_named(dir.path(), &["bad.toml", "src.toml", "a.toml", "b/a.json"]).unwrap_err();
        let shown = shown(&diags);
        assert_eq!(diags.len(), 3, "{shown:#?}");
        assert!(shown[0].contains("unknown field `titel`"), "{shown:#?}");
        assert!(
            shown[1].starts_with("src.toml the catalogue's `source` \"javascript:alert(1)\" is not an http(s) URL"),
            "{shown:#?}"
        );
        assert!(
            shown[2].starts_with("kb.toml:4:1 two error catalogues are named `a`: a.toml and b/a.json"),
            "{shown:#?}"
        );
    }
}
