//! `kb.toml`: site settings at the top level, org profiles under `[orgs.NAME]` (read by `kb check`).

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::diag::{Diagnostic, SourceFile, did_you_mean};

pub const CONFIG_FILE: &str = "kb.toml";

const KEYS: &[&str] = &[
    "title",
    "base_url",
    "description",
    "language",
    "theme",
    "paginate_by",
    "orgs",
    "vars",
    "extra",
    "markdown",
    "csp",
    "errors",
    "search",
    "audience",
    "edit_url",
    "reviews",
    "links",
];

pub use crate::content::front_matter::Audience;

/// How a kind of link problem is reported (`[links]` in kb.toml): as an error that fails the build (the default),
/// or as a warning while a migrated site is being fixed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    #[default]
    Error,
    Warn,
}

/// `[links]`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Links {
    /// Links to pages or files that do not exist.
    #[serde(default)]
    pub broken: Level,
    /// Links to a heading a page does not have.
    #[serde(default)]
    pub anchors: Level,
}

/// `[reviews]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reviews {
    /// Days between an article's reviews, unless its section or the article says otherwise.
    #[serde(default = "default_interval")]
    pub interval_days: u32,
}

fn default_interval() -> u32 {
    365
}

impl Default for Reviews {
    fn default() -> Self {
        Reviews {
            interval_days: default_interval(),
        }
    }
}

/// `[markdown] html`: what becomes of raw HTML in articles.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RawHtml {
    /// Sanitized to an allowlist; what would run script or load from another host is an error.
    #[default]
    Safe,
    /// Shown as text.
    None,
    /// Published as written (a warning at every build).
    Trusted,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMarkdown {
    html: Option<RawHtml>,
}

/// The content security policy of every page: the site's own files only, no inline script, style or handler.
/// `[csp]` in kb.toml adds sources to a directive (see [`CSP_DIRECTIVES`]).
pub const CSP: &[(&str, &str)] = &[
    ("default-src", "'self'"),
    ("script-src", "'self'"),
    ("style-src", "'self'"),
    ("img-src", "'self'"),
    ("font-src", "'self'"),
    ("connect-src", "'self'"),
    ("media-src", "'self'"),
    ("frame-src", "'none'"),
    ("worker-src", "'self'"),
    ("object-src", "'none'"),
    ("base-uri", "'self'"),
    ("form-action", "'self'"),
];

/// The directives `[csp]` may add sources to.
pub const CSP_DIRECTIVES: &[&str] = &[
    "default-src",
    "script-src",
    "style-src",
    "img-src",
    "font-src",
    "connect-src",
    "media-src",
    "frame-src",
    "worker-src",
    "form-action",
];

#[derive(Debug, Clone, serde::Serialize)]
pub struct Config {
    pub title: String,
    /// The site's absolute URL without a trailing slash, e.g. `https://help.acme.com` or `https://acme.io/help`.
    pub base_url: String,
    /// The path part of `base_url` with both slashes, e.g. `/` or `/help/`: every internal URL starts with it.
    pub base_path: String,
    pub description: String,
    pub language: String,
    pub theme: String,
    pub paginate_by: usize,
    pub extra: serde_json::Value,
    /// `[markdown] html`.
    #[serde(skip)]
    pub raw_html: RawHtml,
    /// The pages' content security policy, `[csp]` additions included.
    pub csp: String,
    /// Said at every build while `[markdown] html = "trusted"`.
    #[serde(skip)]
    pub trusted_warning: Option<Diagnostic>,
    #[serde(skip)]
    pub orgs: toml::Table,
    /// `[vars]`: the variables check blocks may use beyond the built-in ones, each with a description.
    #[serde(skip)]
    pub vars: toml::Table,
    /// `[errors] catalogues`: the error catalogues, loaded.
    #[serde(skip)]
    pub catalogues: Vec<crate::catalogue::Catalogue>,
    /// `[search]`.
    #[serde(skip)]
    pub search: SearchSettings,
    /// Who the build is for: kb.toml's `audience`, which a command's `--audience` overrides.
    pub audience: Audience,
    /// `edit_url`: a source file's path under `content/` appended to it gives its "Edit this page" link.
    pub edit_url: Option<String>,
    #[serde(skip)]
    pub reviews: Reviews,
    #[serde(skip)]
    pub links: Links,
    /// Whether articles without `updated` take their last commit's date from git: set by the commands that
    /// publish pages (`kb build`, `kb serve`, `kb validate`), so that the others never run git.
    #[serde(skip)]
    pub git_dates: bool,
    #[serde(skip)]
    pub root: PathBuf,
}

/// `[search]`: the search index's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchSettings {
    /// Whether a query word the index does not hold is matched against words a typo or two away.
    pub typos: bool,
    /// Groups of words or phrases that mean the same, as written in kb.toml (validated: each member holds a word
    /// the index would hold, and no member is in two groups).
    pub synonyms: Vec<Vec<String>>,
}

impl Default for SearchSettings {
    fn default() -> Self {
        SearchSettings {
            typos: true,
            synonyms: Vec::new(),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSearch {
    typos: Option<bool>,
    #[serde(default)]
    synonyms: Vec<Vec<String>>,
}

/// `[errors]`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawErrors {
    #[serde(default)]
    catalogues: Vec<String>,
}

#[derive(Deserialize)]
struct Raw {
    title: Option<String>,
    base_url: Option<String>,
    description: Option<String>,
    language: Option<String>,
    theme: Option<String>,
    paginate_by: Option<i64>,
    orgs: Option<toml::Table>,
    vars: Option<toml::Table>,
    extra: Option<serde_json::Value>,
    markdown: Option<RawMarkdown>,
    csp: Option<toml::Table>,
    errors: Option<RawErrors>,
    search: Option<RawSearch>,
    audience: Option<Audience>,
    edit_url: Option<String>,
    reviews: Option<Reviews>,
    links: Option<Links>,
}

impl Config {
    /// Loads `kb.toml` from `root`. `base_url` overrides the file's (`--base-url`).
    pub fn load(root: &Path, base_url: Option<&str>) -> Result<Config, Vec<Diagnostic>> {
        let path = root.join(CONFIG_FILE);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) => {
                return Err(vec![
                    Diagnostic::error(format!("cannot read {}: {e}", path.display()))
                        .at_path(CONFIG_FILE)
                        .hint("run kb in the folder that holds kb.toml, or pass --root DIR"),
                ]);
            }
        };
        let file = SourceFile::new(CONFIG_FILE, text.as_str());
        let mut diags = Vec::new();
        let (table, errors) = toml::de::DeTable::parse_recoverable(&text);
        for e in &errors {
            diags.push(
                Diagnostic::error(format!("invalid TOML: {}", e.message().trim_end()))
                    .at(&file, e.span().unwrap_or(0..0))
                    .hint("kb.toml is TOML: strings need quotes; tables are written [orgs.NAME]"),
            );
        }
        if !errors.is_empty() {
            return Err(diags);
        }
        let (url_span, markdown_span) = check_keys(table.get_ref(), &file, &mut diags);
        // Unknown settings are ignored by this pass, so that a wrong type elsewhere is reported with them.
        let raw: Raw = match toml::from_str(&text) {
            Ok(raw) if diags.is_empty() => raw,
            Ok(_) => return Err(diags),
            Err(e) => {
                diags.push(
                    Diagnostic::error(format!("invalid kb.toml: {}", e.message().trim_end()))
                        .at(&file, e.span().unwrap_or(0..0))
                        .hint("see the settings in README.md for each one's type"),
                );
                return Err(diags);
            }
        };
        let base = base_url
            .map(str::to_string)
            .or(raw.base_url)
            .unwrap_or_else(|| "http://localhost".into());
        let (base_url, base_path) = match parse_base_url(&base) {
            Ok(v) => v,
            Err(why) => {
                let d = Diagnostic::error(format!("`base_url` {base:?} is not usable: {why}"))
                    .hint("write the site's absolute address, e.g. base_url = \"https://help.acme.com\"");
                return Err(vec![if base_url.is_some() { d } else { d.at(&file, url_span) }]);
            }
        };
        let paginate_by = match raw.paginate_by {
            None => 20,
            Some(n) if (1..=10_000).contains(&n) => n as usize,
            Some(n) => {
                return Err(vec![
                    Diagnostic::error(format!("`paginate_by` must be between 1 and 10000, not {n}"))
                        .at_path(CONFIG_FILE),
                ]);
            }
        };
        let csp = csp(raw.csp.unwrap_or_default(), &file, table.get_ref())?;
        let raw_html = raw.markdown.unwrap_or_default().html.unwrap_or_default();
        let trusted_warning = (raw_html == RawHtml::Trusted).then(|| {
            Diagnostic::warning("raw HTML in articles is published as written, unsanitized")
                .at(&file, markdown_span)
                .label("`[markdown] html = \"trusted\"`")
                .hint("every author can run script on the site's pages; `\"safe\"` (the default) sanitizes it")
        });
        let named: Vec<crate::catalogue::Named> = raw
            .errors
            .map(|e| e.catalogues)
            .unwrap_or_default()
            .into_iter()
            .enumerate()
            .map(|(i, path)| crate::catalogue::Named {
                path,
                at: (&file, catalogue_span(table.get_ref(), i)),
            })
            .collect();
        let language = raw.language.unwrap_or_else(|| "en".into());
        let search = search_settings(raw.search, &language, &file, table.get_ref());
        let catalogues = crate::catalogue::load_all(root, &named);
        let (search, catalogues) = match (search, catalogues) {
            (Ok(s), Ok(c)) => (s, c),
            (s, c) => return Err(s.err().into_iter().chain(c.err()).flatten().collect()),
        };
        let edit_url = edit_url(raw.edit_url, &file, table.get_ref())?;
        let reviews = reviews(raw.reviews.unwrap_or_default(), &file, table.get_ref())?;
        Ok(Config {
            catalogues,
            search,
            raw_html,
            csp,
            trusted_warning,
            title: raw.title.unwrap_or_else(|| "Help Center".into()),
            base_url,
            base_path,
            description: raw.description.unwrap_or_default(),
            language,
            theme: raw.theme.unwrap_or_else(|| "default".into()),
            paginate_by,
            extra: raw.extra.unwrap_or(serde_json::Value::Object(Default::default())),
            orgs: raw.orgs.unwrap_or_default(),
            vars: raw.vars.unwrap_or_default(),
            audience: raw.audience.unwrap_or_default(),
            edit_url,
            reviews,
            links: raw.links.unwrap_or_default(),
            git_dates: false,
            root: root.to_path_buf(),
        })
    }

    /// The absolute URL of a site path that already starts with `base_path`.
    pub fn permalink(&self, url: &str) -> String {
        let origin_end = self.base_url.len() - (self.base_path.len() - 1);
        format!("{}{}", &self.base_url[..origin_end], url)
    }

    /// A site URL for a path relative to the site root (`"workflows/x/"` → `"/help/workflows/x/"`).
    pub fn url(&self, rel: &str) -> String {
        format!("{}{}", self.base_path, rel.trim_start_matches('/'))
    }
}

/// `[search]`, validated: every synonym group has two members or more, every member holds a word the index would
/// hold, and no member (after word cutting and stemming) is in two groups or twice in one. Each problem is reported
/// at its place in kb.toml.
fn search_settings(
    raw: Option<RawSearch>,
    language: &str,
    file: &SourceFile,
    table: &toml::de::DeTable<'_>,
) -> Result<SearchSettings, Vec<Diagnostic>> {
    let Some(raw) = raw else {
        return Ok(SearchSettings::default());
    };
    let synonyms = table
        .iter()
        .find(|(k, _)| k.get_ref() == "search")
        .and_then(|(_, v)| v.get_ref().as_table())
        .and_then(|t| t.iter().find(|(k, _)| k.get_ref() == "synonyms"));
    let group_span = |i: usize| {
        let list = synonyms.and_then(|(_, v)| v.get_ref().as_array());
        list.and_then(|a| a.get(i)).map_or(0..0, |v| v.span())
    };
    let member_span = |i: usize, j: usize| {
        let list = synonyms.and_then(|(_, v)| v.get_ref().as_array());
        let group = list.and_then(|a| a.get(i)).and_then(|g| g.get_ref().as_array());
        group.and_then(|g| g.get(j)).map_or_else(|| group_span(i), |v| v.span())
    };
    let stemmer = crate::site::search::words::stemmer(language);
    let mut diags = Vec::new();
    // Each member's stems, and where it was first seen.
    let mut seen: Vec<(Vec<String>, usize, usize)> = Vec::new();
    for (i, group) in raw.synonyms.iter().enumerate() {
        if group.len() < 2 {
            diags.push(
                Diagnostic::error("a synonym group needs two members or more")
                    .at(file, group_span(i))
                    .label("one member")
                    .hint("list the words or phrases that mean the same together, e.g. [\"mfa\", \"2fa\", \"multifactor\"]"),
            );
        }
        for (j, member) in group.iter().enumerate() {
            let stems = crate::site::search::words::member_stems(stemmer.as_ref(), member);
            if stems.is_empty() {
                diags.push(
                    Diagnostic::error(format!("synonym {member:?} holds no word search could match"))
                        .at(file, member_span(i, j))
                        .label("no word")
                        .hint("a member is a word or a phrase of letters and digits, e.g. \"single sign-on\""),
                );
                continue;
            }
            if let Some(&(_, gi, gj)) = seen.iter().find(|(s, _, _)| *s == stems) {
                let first = &raw.synonyms[gi][gj];
                let line = file.line_col(member_span(gi, gj).start).0;
                let hint = if gi == i {
                    "the same words once stemmed: keep one of them"
                } else {
                    "a word belongs to one group: merge the groups, as synonyms apply in both directions"
                };
                diags.push(
                    Diagnostic::error(format!(
                        "synonym {member:?} is already a member, as {first:?} (line {line})"
                    ))
                    .at(file, member_span(i, j))
                    .label("a second time")
                    .hint(hint),
                );
                continue;
            }
            seen.push((stems, i, j));
        }
    }
    if diags.is_empty() {
        Ok(SearchSettings {
            typos: raw.typos.unwrap_or(true),
            synonyms: raw.synonyms,
        })
    } else {
        Err(diags)
    }
}

/// Where `[errors] catalogues` names its `i`-th file (the `[errors]` key when the list cannot be read).
fn catalogue_span(table: &toml::de::DeTable<'_>, i: usize) -> std::ops::Range<usize> {
    let Some((key, errors)) = table.iter().find(|(k, _)| k.get_ref() == "errors") else {
        return 0..0;
    };
    let list = errors
        .get_ref()
        .as_table()
        .and_then(|t| t.iter().find(|(k, _)| k.get_ref() == "catalogues"))
        .and_then(|(_, v)| v.get_ref().as_array());
    list.and_then(|a| a.get(i)).map_or(key.span(), |v| v.span())
}

/// The content security policy with `[csp]`'s additions: each key a directive of [`CSP_DIRECTIVES`], each value a
/// list of sources (`"https://www.youtube-nocookie.com"`, `"'unsafe-inline'"`).
fn csp(extra: toml::Table, file: &SourceFile, table: &toml::de::DeTable<'_>) -> Result<String, Vec<Diagnostic>> {
    let csp = table.iter().find(|(k, _)| k.get_ref() == "csp");
    let csp = csp.and_then(|(_, v)| v.get_ref().as_table());
    let span_of = |key: &str| {
        let found = csp.and_then(|t| t.iter().find(|(k, _)| k.get_ref() == key));
        found.map_or(0..0, |(k, _)| k.span())
    };
    let mut diags = Vec::new();
    let mut added: Vec<(String, Vec<String>)> = Vec::new();
    for (key, value) in extra {
        if !CSP_DIRECTIVES.contains(&key.as_str()) {
            let hint = did_you_mean(&key, CSP_DIRECTIVES.iter().copied()).map_or_else(
                || format!("[csp] adds sources to one of: {}", CSP_DIRECTIVES.join(", ")),
                |k| format!("did you mean `{k}`?"),
            );
            diags.push(
                Diagnostic::error(format!("unknown content security policy directive `{key}` in [csp]"))
                    .at(file, span_of(&key))
                    .label("not a directive [csp] can add to")
                    .hint(hint),
            );
            continue;
        }
        let sources: Option<Vec<String>> = value.as_array().and_then(|a| {
            a.iter()
                .map(|v| v.as_str().map(str::to_string))
                .collect::<Option<Vec<_>>>()
        });
        let valid = |s: &String| !s.is_empty() && s.chars().all(|c| c.is_ascii_graphic() && c != ';' && c != ',');
        match sources {
            Some(list) if list.iter().all(valid) => added.push((key, list)),
            _ => diags.push(
                Diagnostic::error(format!("[csp] `{key}` must be a list of sources"))
                    .at(file, span_of(&key))
                    .label("not a list of sources")
                    .hint(format!(
                        "e.g. {key} = [\"https://www.youtube-nocookie.com\"]: each source one word, \
                         keywords in single quotes (\"'unsafe-inline'\")"
                    )),
            ),
        }
    }
    if !diags.is_empty() {
        return Err(diags);
    }
    let policy: Vec<String> = CSP
        .iter()
        .map(|(directive, default)| {
            let extra = added.iter().find(|(k, _)| k == directive).map(|(_, v)| v.join(" "));
            match extra {
                // `'none'` cannot stand beside a source.
                Some(extra) if *default == "'none'" => format!("{directive} {extra}"),
                Some(extra) => format!("{directive} {default} {extra}"),
                None => format!("{directive} {default}"),
            }
        })
        .collect();
    Ok(policy.join("; "))
}

fn parse_base_url(text: &str) -> Result<(String, String), String> {
    let url = url::Url::parse(text).map_err(|e| e.to_string())?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("the scheme must be http or https, not {}", url.scheme()));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err("it must not have a query or a fragment".into());
    }
    let path = url.path().trim_end_matches('/');
    let base_path = format!("{path}/");
    let origin = url.origin().ascii_serialization();
    Ok((format!("{origin}{path}"), base_path))
}

/// Every top-level key is a known setting (each unknown one an error at its place). Returns where `base_url` and
/// `[markdown] html` are, for later errors about their values.
fn check_keys(
    table: &toml::de::DeTable<'_>,
    file: &SourceFile,
    diags: &mut Vec<Diagnostic>,
) -> (std::ops::Range<usize>, std::ops::Range<usize>) {
    let mut url_span = 0..0;
    let mut markdown_span = 0..0;
    for (k, v) in table.iter() {
        let key: &str = k.get_ref();
        if key == "base_url" {
            url_span = v.span();
        }
        if key == "markdown" {
            let html = v
                .get_ref()
                .as_table()
                .and_then(|t| t.iter().find(|(k, _)| k.get_ref() == "html"));
            markdown_span = html.map_or(k.span(), |(_, v)| v.span());
        }
        if !KEYS.contains(&key) {
            let hint = did_you_mean(key, KEYS.iter().copied()).map_or_else(
                || format!("known keys: {}; free-form settings go under [extra]", KEYS.join(", ")),
                |k| format!("did you mean `{k}`?"),
            );
            diags.push(
                Diagnostic::error(format!("unknown setting `{key}` in kb.toml"))
                    .at(file, k.span())
                    .label("not a known setting")
                    .hint(hint),
            );
        }
    }
    (url_span, markdown_span)
}

/// `[reviews] interval_days` is a number of days from 1 to ten years.
fn reviews(reviews: Reviews, file: &SourceFile, table: &toml::de::DeTable<'_>) -> Result<Reviews, Vec<Diagnostic>> {
    let max = crate::content::front_matter::MAX_INTERVAL_DAYS;
    if crate::content::front_matter::interval_ok(i64::from(reviews.interval_days)) {
        return Ok(reviews);
    }
    Err(vec![
        Diagnostic::error(format!(
            "`[reviews] interval_days` is {}, not a number of days from 1 to {max}",
            reviews.interval_days
        ))
        .at(file, nested_span(table, "reviews", "interval_days"))
        .hint("write how many days may pass between reviews, e.g. `interval_days = 365`"),
    ])
}

/// The span of a top-level key's value in kb.toml (the file's start when absent).
fn key_span(table: &toml::de::DeTable<'_>, key: &str) -> std::ops::Range<usize> {
    table
        .iter()
        .find(|(k, _)| k.get_ref() == key)
        .map_or(0..0, |(_, v)| v.span())
}

/// The span of `key`'s value in the table `table_key` of kb.toml (the table's, or the file's start, when absent).
fn nested_span(table: &toml::de::DeTable<'_>, table_key: &str, key: &str) -> std::ops::Range<usize> {
    let Some((_, t)) = table.iter().find(|(k, _)| k.get_ref() == table_key) else {
        return 0..0;
    };
    t.get_ref()
        .as_table()
        .and_then(|inner| inner.iter().find(|(k, _)| k.get_ref() == key))
        .map_or(t.span(), |(_, v)| v.span())
}

/// `edit_url` must be an http(s) address; a source path is appended to it as written.
fn edit_url(
    url: Option<String>,
    file: &SourceFile,
    table: &toml::de::DeTable<'_>,
) -> Result<Option<String>, Vec<Diagnostic>> {
    let Some(url) = url else { return Ok(None) };
    match url::Url::parse(&url) {
        Ok(u) if matches!(u.scheme(), "https" | "http") && u.host_str().is_some() => Ok(Some(url)),
        _ => Err(vec![
            Diagnostic::error(format!("`edit_url` {url:?} is not an http(s) address"))
                .at(file, key_span(table, "edit_url"))
                .hint("e.g. edit_url = \"https://github.com/acme/help/edit/main/content/\": each page's source path is appended"),
        ]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_url_with_a_path() {
        assert_eq!(
            parse_base_url("https://acme.io/help/").unwrap(),
            ("https://acme.io/help".into(), "/help/".into())
        );
        assert_eq!(
            parse_base_url("https://help.acme.com").unwrap(),
            ("https://help.acme.com".into(), "/".into())
        );
        assert!(parse_base_url("ftp://x").is_err());
        assert!(parse_base_url("not a url").is_err());
    }

    #[test]
    fn permalinks_keep_the_base_path() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("kb.toml"), "base_url = \"https://acme.io/help/\"\n").unwrap();
        let c = Config::load(dir.path(), None).unwrap();
        assert_eq!(c.url("workflows/x/"), "/help/workflows/x/");
        assert_eq!(c.permalink(&c.url("workflows/x/")), "https://acme.io/help/workflows/x/");
    }

    #[test]
    fn unknown_settings_get_a_hint() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("kb.toml"), "titel = \"x\"\n").unwrap();
        let e = Config::load(dir.path(), None).unwrap_err();
        assert_eq!(e[0].hint.as_deref(), Some("did you mean `title`?"));
        assert_eq!(e[0].position().as_deref(), Some("kb.toml:1:1"));
    }
}
