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

    /// The signatures an article may list it by: its key, its code when that is the key, and its message.
    pub fn signatures(&self) -> [&str; 2] {
        [self.key(), self.message.as_str()]
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

/// Loads the catalogues kb.toml names (paths relative to the site's root); every problem at once.
pub fn load_all(root: &Path, paths: &[String]) -> Result<Vec<Catalogue>, Vec<Diagnostic>> {
    let mut out: Vec<Catalogue> = Vec::new();
    let mut diags = Vec::new();
    for path in paths {
        match load(root, path) {
            Ok(c) => {
                if let Some(other) = out.iter().find(|o| o.id == c.id) {
                    diags.push(
                        Diagnostic::error(format!(
                            "two error catalogues are named `{}`: {} and {path}",
                            c.id, other.path
                        ))
                        .at_path(crate::config::CONFIG_FILE)
                        .hint("a catalogue is known by its file name: rename one of the files"),
                    );
                } else {
                    out.push(c);
                }
            }
            Err(mut d) => diags.append(&mut d),
        }
    }
    if diags.is_empty() { Ok(out) } else { Err(diags) }
}

fn load(root: &Path, path: &str) -> Result<Catalogue, Vec<Diagnostic>> {
    let full = root.join(path);
    let text = std::fs::read_to_string(&full).map_err(|e| {
        vec![
            Diagnostic::error(format!("cannot read the error catalogue {path}: {e}"))
                .at_path(crate::config::CONFIG_FILE)
                .hint("[errors] catalogues names files relative to the folder that holds kb.toml"),
        ]
    })?;
    let file = SourceFile::new(path, text.as_str());
    let id = Path::new(path)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let json = path.ends_with(".json");
    let (name, source, release, entries): (String, _, _, Vec<(RawEntry, Range<usize>)>) = if json {
        let raw: JsonCatalogue = serde_json::from_str(&text).map_err(|e| {
            let text = e.to_string();
            let what = text.rsplit_once(" at line ").map_or(text.as_str(), |(w, _)| w);
            vec![
                Diagnostic::error(format!("invalid error catalogue: {what}"))
                    .at_position(path, e.line(), e.column())
                    .hint(HINT),
            ]
        })?;
        let n = raw.error.len();
        (
            raw.name,
            raw.source,
            raw.release,
            raw.error.into_iter().zip(std::iter::repeat_n(0..0, n)).collect(),
        )
    } else {
        let raw: RawCatalogue = toml::from_str(&text).map_err(|e| {
            vec![
                Diagnostic::error(format!("invalid error catalogue: {}", e.message().trim_end()))
                    .at(&file, e.span().unwrap_or(0..0))
                    .hint(HINT),
            ]
        })?;
        let entries = raw.error.into_iter().map(|s| {
            let span = s.span();
            (s.into_inner(), span)
        });
        (raw.name, raw.source, raw.release, entries.collect())
    };
    let mut diags = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut out = Vec::with_capacity(entries.len());
    for (i, (e, span)) in entries.into_iter().enumerate() {
        let at = |d: Diagnostic| {
            if json {
                d.at_path(path)
            } else {
                d.at(&file, span.clone())
            }
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
        if let Some(first) = seen.insert(entry.key().to_string(), i) {
            let d = Diagnostic::error(format!(
                "`{}` is in this catalogue twice (entries {} and {})",
                entry.key(),
                first + 1,
                i + 1
            ))
            .hint("an entry is known by its sub_code, else its code: each must be unique in the file");
            diags.push(at(d));
            continue;
        }
        out.push(entry);
    }
    if !diags.is_empty() {
        return Err(diags);
    }
    Ok(Catalogue {
        id,
        name,
        source,
        release,
        path: path.to_string(),
        entries: out,
    })
}

const HINT: &str = "an error catalogue holds `name` and [[error]] entries with `code`, `status`, `title` and `message` \
                    (and optionally `sub_code`); see README, \"Error catalogues\"";

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> String {
        std::fs::write(dir.join(name), text).unwrap();
        name.to_string()
    }

    #[test]
    fn loads_toml_and_json() {
        let dir = tempfile::tempdir().unwrap();
        let t = write(
            dir.path(),
            "api.toml",
            "name = \"API\"\nrelease = \"1\"\n[[error]]\ncode = \"E1\"\nstatus = 401\ntitle = \"T\"\nmessage = \"M {0}\"\n",
        );
        let j = write(
            dir.path(),
            "oauth.json",
            r#"{"name": "OAuth", "error": [{"code": "invalid_grant", "sub_code": "x", "status": 400, "title": "T", "message": "M"}]}"#,
        );
        let cats = load_all(dir.path(), &[t, j]).unwrap();
        assert_eq!(cats[0].id, "api");
        assert_eq!(cats[0].entries[0].key(), "E1");
        assert_eq!(cats[1].entries[0].key(), "x");
        assert_eq!(cats[1].entries[0].code, "invalid_grant");
    }

    #[test]
    fn every_problem_at_its_place() {
        let dir = tempfile::tempdir().unwrap();
        let t = write(
            dir.path(),
            "api.toml",
            "name = \"API\"\n[[error]]\ncode = \"E1\"\nstatus = 401\ntitle = \"T\"\nmessage = \"M\"\n\
             [[error]]\ncode = \"E1\"\nstatus = 401\ntitle = \"T\"\nmessage = \"M\"\n\
             [[error]]\ncode = \"E2\"\nstatus = 7\ntitle = \"T\"\nmessage = \"M\"\n",
        );
        let diags = load_all(dir.path(), &[t, "missing.toml".into()]).unwrap_err();
        let shown: Vec<String> = diags
            .iter()
            .map(|d| format!("{:?} {}", d.position(), d.message))
            .collect();
        assert_eq!(diags.len(), 3, "{shown:?}");
        assert!(
            shown[0].contains("api.toml:7:1") && shown[0].contains("`E1` is in this catalogue twice"),
            "{shown:?}"
        );
        assert!(
            shown[1].contains("api.toml:12:1") && shown[1].contains("HTTP status 7"),
            "{shown:?}"
        );
        assert!(
            shown[2].contains("cannot read the error catalogue missing.toml"),
            "{shown:?}"
        );
        let bad = write(
            dir.path(),
            "bad.toml",
            "name = \"x\"\n[[error]]\ncode = \"E\"\nstatus = 400\ntitel = \"T\"\n",
        );
        let diags = load_all(dir.path(), &[bad]).unwrap_err();
        assert!(
            diags[0].message.contains("unknown field `titel`"),
            "{}",
            diags[0].message
        );
    }
}
