//! The theme: Tera templates and static files. The default theme is embedded in the binary; a site overrides any of
//! its files by putting a file of the same name in `themes/<theme>/templates/` or `themes/<theme>/static/`.
//!
//! Tera 1 (not 2): its syntax is what Zola themes use, and its AST is public, which the check language needs to
//! validate template variables statically. One major version serves both the theme and the check language.

use std::collections::BTreeMap;
use std::path::Path;

use include_dir::{Dir, include_dir};
use tera::Tera;

use crate::diag::Diagnostic;

static DEFAULT_THEME: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/themes/default");

pub struct Theme {
    pub tera: Tera,
    /// Static files by path relative to the site root.
    pub statics: BTreeMap<String, Vec<u8>>,
    /// Whether a template other than the home page's and the section pages' may show the article counts of
    /// `site.sections` and `site.products` (the default theme's do not): then a new or a deleted article, which
    /// changes them, re-renders every page in `kb serve`.
    pub counts_everywhere: bool,
    /// A hash of every template (name and text): part of each page's key in `kb build --cache`.
    pub digest: super::cache::Key,
}

/// The full text of a Tera error and its causes (Tera puts the useful part in the source chain).
pub fn tera_error(e: &tera::Error) -> String {
    let mut msg = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        source = s.source();
    }
    msg
}

impl Theme {
    pub fn load(root: &Path, name: &str) -> Result<Theme, Vec<Diagnostic>> {
        let mut templates: BTreeMap<String, String> = BTreeMap::new();
        let mut statics: BTreeMap<String, Vec<u8>> = BTreeMap::new();
        collect_embedded(&DEFAULT_THEME, &mut templates, &mut statics);
        let dir = root.join("themes").join(name);
        if dir.is_dir() {
            collect_disk(&dir, &mut templates, &mut statics).map_err(|e| {
                vec![Diagnostic::error(format!("cannot read theme folder: {e}")).at_path(format!("themes/{name}"))]
            })?;
        } else if name != "default" {
            return Err(vec![
                Diagnostic::error(format!("theme `{name}` not found"))
                    .at_path("kb.toml")
                    .hint(format!(
                        "create themes/{name}/templates/, or remove `theme` to use the default theme"
                    )),
            ]);
        }
        let mut tera = Tera::default();
        tera.autoescape_on(vec![".html", ".xml"]);
        tera.set_escape_fn(crate::text::escape);
        let mut diags = Vec::new();
        // Templates are added together so that inheritance resolves in one pass; a parse error names its file.
        let list: Vec<(&str, &str)> = templates.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        if let Err(e) = tera.add_raw_templates(list) {
            diags.push(
                Diagnostic::error(format!("theme template error: {}", tera_error(&e)))
                    .at_path(format!("themes/{name}/templates"))
                    .hint("fix the template, or delete it to fall back to the default theme's"),
            );
            return Err(diags);
        }
        let counts_everywhere = templates.iter().any(|(name, text)| {
            !matches!(name.as_str(), "index.html" | "section.html")
                && text.contains("count")
                && (text.contains("site.sections") || text.contains("site.products"))
        });
        let mut digest = super::cache::Hasher::new("theme");
        for (name, text) in &templates {
            digest.str(name).str(text);
        }
        Ok(Theme {
            tera,
            statics,
            counts_everywhere,
            digest: digest.finish(),
        })
    }
}

fn collect_embedded(dir: &Dir<'_>, templates: &mut BTreeMap<String, String>, statics: &mut BTreeMap<String, Vec<u8>>) {
    for file in dir.files() {
        let path = file.path().to_string_lossy().replace('\\', "/");
        if let Some(name) = path.strip_prefix("templates/") {
            templates.insert(name.to_string(), String::from_utf8_lossy(file.contents()).into_owned());
        } else if let Some(name) = path.strip_prefix("static/") {
            statics.insert(name.to_string(), file.contents().to_vec());
        }
    }
    for sub in dir.dirs() {
        collect_embedded(sub, templates, statics);
    }
}

fn collect_disk(
    dir: &Path,
    templates: &mut BTreeMap<String, String>,
    statics: &mut BTreeMap<String, Vec<u8>>,
) -> std::io::Result<()> {
    for (name, bytes) in read_tree(&dir.join("templates"))? {
        templates.insert(name, String::from_utf8_lossy(&bytes).into_owned());
    }
    statics.extend(read_tree(&dir.join("static"))?);
    Ok(())
}

/// A site's own `static/` folder: files served as they are, at the site root.
pub fn site_statics(root: &Path) -> std::io::Result<BTreeMap<String, Vec<u8>>> {
    read_tree(&root.join("static"))
}

/// Every file under `base` by its path relative to `base` (with `/`); nothing if the folder does not exist.
fn read_tree(base: &Path) -> std::io::Result<BTreeMap<String, Vec<u8>>> {
    let mut out = BTreeMap::new();
    if !base.is_dir() {
        return Ok(out);
    }
    for entry in walkdir::WalkDir::new(base).sort_by_file_name() {
        let entry = entry.map_err(std::io::Error::other)?;
        if entry.file_type().is_file() {
            let rel = entry.path().strip_prefix(base).unwrap_or(entry.path());
            out.insert(rel.to_string_lossy().replace('\\', "/"), std::fs::read(entry.path())?);
        }
    }
    Ok(out)
}
