//! A crawler over a built site: every `href`, `src` and `#anchor` in every HTML file must resolve to a file of the
//! site (and an `id` in it), and nothing may load from another host: not through `src`, `srcset`, `poster`, `data`,
//! `<link href>`, nor CSS (`url()` and `@import` in style attributes, `<style>` and the site's `.css` files). A link
//! (`<a href>`) to another host is not a load, and is not followed.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use regex::Regex;

pub struct Page {
    pub ids: HashSet<String>,
    /// (attribute, value, tag name)
    pub refs: Vec<(String, String, String)>,
}

pub fn parse(html: &str) -> Page {
    let tag = Regex::new(r"<([a-zA-Z][a-zA-Z0-9]*)\b([^>]*)>").unwrap();
    let attr = Regex::new(r#"\s([a-zA-Z-]+)=(?:"([^"]*)"|'([^']*)')"#).unwrap();
    let style = Regex::new(r"(?is)<style\b[^>]*>(.*?)</style>").unwrap();
    let mut ids = HashSet::new();
    let mut refs = Vec::new();
    for t in tag.captures_iter(html) {
        let name = t[1].to_ascii_lowercase();
        for a in attr.captures_iter(&t[2]) {
            let value = kb::text::unescape(a.get(2).or(a.get(3)).map_or("", |m| m.as_str()));
            match &a[1] {
                "id" => {
                    ids.insert(value);
                }
                "href" if name == "a" && (value.contains("://") || value.starts_with("//")) => {}
                "href" | "src" | "poster" | "data" => refs.push((a[1].to_string(), value, name.clone())),
                "srcset" => {
                    for url in value.split(',').filter_map(|c| c.split_whitespace().next()) {
                        refs.push(("srcset".into(), url.to_string(), name.clone()));
                    }
                }
                "style" => refs.extend(css_urls(&value).map(|u| ("style".into(), u, name.clone()))),
                _ => {}
            }
        }
    }
    for s in style.captures_iter(html) {
        refs.extend(css_urls(&s[1]).map(|u| ("url".into(), u, "style".into())));
    }
    Page { ids, refs }
}

/// The URLs CSS loads: `url(…)` and `@import "…"`.
fn css_urls(css: &str) -> impl Iterator<Item = String> + '_ {
    let url = Regex::new(r#"(?i)url\(\s*["']?([^"')]*)["']?\s*\)|@import\s+["']([^"']*)["']"#).unwrap();
    url.captures_iter(css)
        .filter_map(|c| c.get(1).or(c.get(2)).map(|m| m.as_str().trim().to_string()))
        .filter(|u| !u.is_empty())
        .collect::<Vec<_>>()
        .into_iter()
}

/// Problems found crawling `site`, whose pages live under `base_path` at `origin` (e.g. `https://help.test`).
pub fn crawl(site: &Path, origin: &str, base_path: &str) -> Vec<String> {
    let mut pages: BTreeMap<String, Page> = BTreeMap::new();
    let mut css_files: Vec<(String, Page)> = Vec::new();
    let rel = |p: &Path| p.strip_prefix(site).unwrap().to_string_lossy().replace('\\', "/");
    for e in walkdir::WalkDir::new(site).into_iter().map(Result::unwrap) {
        if e.path().extension().is_some_and(|x| x == "html") {
            pages.insert(rel(e.path()), parse(&std::fs::read_to_string(e.path()).unwrap()));
        } else if e.path().extension().is_some_and(|x| x == "css") {
            let rel = e
                .path()
                .strip_prefix(site)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            let css = std::fs::read_to_string(e.path()).unwrap();
            let refs = css_urls(&css)
                .map(|u| ("url".to_string(), u, "css".to_string()))
                .collect();
            css_files.push((
                rel,
                Page {
                    ids: HashSet::new(),
                    refs,
                },
            ));
        }
    }
    assert!(!pages.is_empty(), "no HTML in {}", site.display());
    let mut problems = Vec::new();
    for (file, page) in pages.iter().chain(css_files.iter().map(|(f, p)| (f, p))) {
        let dir = file.rsplit_once('/').map_or("", |(d, _)| d);
        for (attr, value, tag) in &page.refs {
            let mut url = value.as_str();
            if let Some(rest) = url.strip_prefix(origin) {
                url = rest;
                if url.is_empty() {
                    url = "/";
                }
            }
            if url.starts_with("mailto:") {
                continue;
            }
            if url.contains("://") || url.starts_with("//") || url.starts_with("data:") {
                problems.push(format!("{file}: <{tag} {attr}=\"{value}\"> points to another host"));
                continue;
            }
            let decoded = percent_encoding::percent_decode_str(url)
                .decode_utf8_lossy()
                .into_owned();
            let url = decoded.as_str();
            let (path, fragment) = match url.split_once('#') {
                Some((p, f)) => (p, Some(f)),
                None => (url, None),
            };
            let target = if path.is_empty() {
                file.clone()
            } else if let Some(abs) = path.strip_prefix('/') {
                let Some(local) = format!("/{abs}").strip_prefix(base_path).map(str::to_string) else {
                    problems.push(format!(
                        "{file}: {attr}=\"{value}\" is outside the base path {base_path}"
                    ));
                    continue;
                };
                resolve(&local)
            } else {
                resolve(&normalize(dir, path))
            };
            let full = site.join(&target);
            if !full.is_file() {
                problems.push(format!(
                    "{file}: {attr}=\"{value}\" is broken ({target} does not exist)"
                ));
                continue;
            }
            if let Some(f) = fragment.filter(|f| !f.is_empty()) {
                let ids = match pages.get(&target) {
                    Some(p) => &p.ids,
                    None => {
                        problems.push(format!("{file}: {attr}=\"{value}\" has an anchor into a non-HTML file"));
                        continue;
                    }
                };
                if !ids.contains(f) {
                    problems.push(format!("{file}: {attr}=\"{value}\": no id=\"{f}\" in {target}"));
                }
            }
        }
    }
    problems
}

fn resolve(path: &str) -> String {
    let p = path.trim_start_matches('/');
    if p.is_empty() || p.ends_with('/') {
        format!("{p}index.html")
    } else {
        p.to_string()
    }
}

fn normalize(dir: &str, rel: &str) -> String {
    let mut parts: Vec<&str> = if dir.is_empty() {
        vec![]
    } else {
        dir.split('/').collect()
    };
    for seg in rel.split('/') {
        match seg {
            "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    parts.join("/")
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_crawler_finds_broken_links() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("index.html"),
            r##"<a href="/missing/">x</a><a href="#nope">y</a><img src="https://cdn.example/x.png"><p id="here"></p><a href="#here">ok</a>"##,
        )
        .unwrap();
        let problems = super::crawl(dir.path(), "https://help.test", "/");
        assert_eq!(problems.len(), 3, "{problems:#?}");
    }
}
