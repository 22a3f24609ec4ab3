//! Links and images in a document: source paths (`../x.md#y`) rewritten to page URLs and checked, files beside the
//! article resolved to their published URLs, anchors checked; the same for the relative URLs of raw HTML.

use std::collections::HashSet;
use std::ops::Range;

use pulldown_cmark::{Event, LinkType};

use super::raw::{self, RefKind};
use super::tags::Pieces;
use super::{AnchorRef, Doc, Rendered};
use crate::config::RawHtml;
use crate::content::{Content, Target, Unpublished};
use crate::diag::{Class, Diagnostic, SourceFile};

enum LinkKind {
    /// Leave as written: another host, `mailto:`, a site-absolute path, or a relative non-Markdown file.
    Verbatim,
    /// `#anchor` in the same document.
    Local(String),
    /// A Markdown source path with an optional anchor.
    Source { path: String, anchor: Option<String> },
    /// Another file under `content/` (an image, a download), relative to the document.
    Asset { path: String },
    /// An absolute URL on another host.
    External,
    /// A path on this site written as a URL (`/sso/x/#y`), from the site's root, with or without its base path.
    SiteUrl { path: String, anchor: Option<String> },
}

/// First URL segments of pages kb generates beyond [`crate::content::RESERVED`] (the search page and its index, the
/// home page's further pages): links under them are not checked.
const GENERATED: &[&str] = &["search", "search-index", "page"];

fn classify(dest: &str) -> LinkKind {
    if let Some(anchor) = dest.strip_prefix('#') {
        return LinkKind::Local(anchor.to_string());
    }
    match raw::scheme(dest).as_deref() {
        Some("http" | "https") => return LinkKind::External,
        Some(_) => return LinkKind::Verbatim,
        None if dest.starts_with("//") => return LinkKind::External,
        None if dest.is_empty() => return LinkKind::Verbatim,
        None => {}
    }
    let (path, anchor) = match dest.split_once('#') {
        Some((p, a)) => (p, Some(a.to_string())),
        None => (dest, None),
    };
    let path = path.split_once('?').map_or(path, |(p, _)| p);
    let decoded = percent_encoding::percent_decode_str(path)
        .decode_utf8_lossy()
        .to_string();
    if decoded.to_ascii_lowercase().ends_with(".md") {
        LinkKind::Source { path: decoded, anchor }
    } else if dest.starts_with('/') {
        LinkKind::SiteUrl { path: decoded, anchor }
    } else {
        LinkKind::Asset { path: decoded }
    }
}

#[allow(clippy::too_many_arguments)]
pub(super) fn rewrite_link(
    doc: &Doc<'_>,
    content: &Content,
    link_type: LinkType,
    dest: &str,
    span: Range<usize>,
    out: &mut Rendered,
    local_refs: &mut Vec<(String, Range<usize>)>,
    diags: &mut Vec<Diagnostic>,
) -> Option<String> {
    let dest_span = dest_span(doc, &span, dest);
    if content.raw_html != RawHtml::Trusted
        && let Some(why) = raw::unsafe_link(dest)
    {
        diags.push(raw::unsafe_link_error(doc.file, dest_span, dest, &why));
        return None;
    }
    if matches!(link_type, LinkType::Email | LinkType::Autolink) {
        return None;
    }
    match classify(dest) {
        LinkKind::Verbatim | LinkKind::External => None,
        LinkKind::Asset { path } => asset_url(doc, content, &path, dest, dest_span, "link", diags),
        LinkKind::SiteUrl { path, anchor } => site_url(doc, content, dest, &path, anchor, dest_span, out, diags),
        LinkKind::Local(anchor) => {
            local_refs.push((anchor, dest_span));
            None
        }
        LinkKind::Source { path, anchor } => match content.resolve_source(doc.source, &path) {
            Ok(target) => Some(page_link(doc, content, target, anchor, dest_span, out, diags)),
            Err(resolved) => {
                match content.unpublished.get(&resolved) {
                    // The file has errors of its own, reported where they are.
                    Some(Unpublished::Invalid) => return None,
                    Some(Unpublished::Draft) => {
                        diags.push(
                            Diagnostic::error(format!("link to a draft: content/{resolved} has `draft = true`"))
                                .at(doc.file, dest_span)
                                .label("not published")
                                .hint("publish the draft, remove the link, or build with --drafts to preview"),
                        );
                        return None;
                    }
                    Some(Unpublished::Internal) => {
                        diags.push(internal_link(doc, dest_span, &format!("content/{resolved}")));
                        return None;
                    }
                    None => {}
                }
                let hint = match content.suggest_source(&resolved) {
                    Some(s) => format!("did you mean `{}`?", relative_to(doc.source, s)),
                    None => "link to another article by its path relative to this file, e.g. `../workflows/x.md`"
                        .to_string(),
                };
                diags.push(
                    Diagnostic::error(format!(
                        "broken link: `{dest}` points to content/{resolved}, which does not exist"
                    ))
                    .class(Class::BrokenLink)
                    .at(doc.file, dest_span)
                    .label("no such article")
                    .hint(hint),
                );
                None
            }
        },
    }
}

/// A public page may not point at an internal one: the public site does not have it.
pub(crate) fn internal_link(doc: &Doc<'_>, span: Range<usize>, what: &str) -> Diagnostic {
    Diagnostic::error(format!("link to internal content: {what} is for the support team only"))
        .at(doc.file, span)
        .label("not in a public build")
        .hint("link a public article instead, or make this article internal too (`audience = \"internal\"`)")
}

/// Images must be files of this site: a page loads nothing from another host.
pub(super) fn rewrite_image(
    doc: &Doc<'_>,
    content: &Content,
    dest: &str,
    span: Range<usize>,
    diags: &mut Vec<Diagnostic>,
) -> Option<String> {
    let dest_span = dest_span(doc, &span, dest);
    match classify(dest) {
        LinkKind::External => {
            diags.push(
                Diagnostic::error(format!("image from another host: `{dest}`"))
                    .at(doc.file, dest_span)
                    .label("pages load nothing from other hosts")
                    .hint("save the image next to the article and link it by file name, e.g. `![…](screenshot.png)`"),
            );
            None
        }
        LinkKind::Asset { path } | LinkKind::Source { path, .. } => {
            asset_url(doc, content, &path, dest, dest_span, "image", diags)
        }
        // A file on this site, by its URL: it carries the base path like every other link.
        LinkKind::SiteUrl { path, .. } => match internal_prefix(content, site_rel(content, &path)) {
            Some(prefix) => {
                diags.push(internal_link(doc, dest_span, &format!("`/{prefix}/`")));
                None
            }
            None => Some(with_base(content, dest)),
        },
        LinkKind::Verbatim => {
            if content.raw_html != RawHtml::Trusted
                && let Some(from) = raw::from_elsewhere(dest)
            {
                diags.push(
                    Diagnostic::error(format!("image {from}: `{dest}`"))
                        .at(doc.file, dest_span)
                        .label("pages load nothing from other hosts")
                        .hint(
                            "save the image next to the article and link it by file name, e.g. `![…](screenshot.png)`",
                        ),
                );
            }
            None
        }
        LinkKind::Local(_) => None,
    }
}

/// `dest`, a URL path from the site's root, carrying the site's base path (unless it already does).
fn with_base(content: &Content, dest: &str) -> String {
    let base = content.base_path();
    if base == "/" || dest.starts_with(base) {
        dest.to_string()
    } else {
        format!("{base}{}", &dest[1..])
    }
}

/// A site URL's path from the site's root, without the base path if it was written with it: `/help/sso/x/` and
/// `/sso/x/` are both `sso/x/` under `base_url = "https://acme.com/help"`.
fn site_rel<'p>(content: &Content, path: &'p str) -> &'p str {
    let base = content.base_path();
    match path.strip_prefix(base) {
        Some(rest) if base != "/" => rest,
        _ if base != "/" && path == base.trim_end_matches('/') => "",
        _ => path.trim_start_matches('/'),
    }
}

/// The internal article's, section's or alias's URL path (in a public build) that `rel` is at or under.
fn internal_prefix<'p>(content: &Content, rel: &'p str) -> Option<&'p str> {
    let mut prefix = rel.trim_end_matches('/');
    loop {
        if !prefix.is_empty() && content.internal_paths.contains(prefix) {
            return Some(prefix);
        }
        prefix = prefix.rsplit_once('/')?.0;
    }
}

/// A link written as a site URL (`/sso/x/`, `/sso/x/#y`, or with the base path in front): checked like a source
/// path when it names a page kb makes from content/ (an article, a section, the home page, an alias), and given the
/// base path; a generated page (`/tags/…`) or a file (`/humans.txt`) only gets the base path.
#[allow(clippy::too_many_arguments)]
fn site_url(
    doc: &Doc<'_>,
    content: &Content,
    dest: &str,
    path: &str,
    anchor: Option<String>,
    dest_span: Range<usize>,
    out: &mut Rendered,
    diags: &mut Vec<Diagnostic>,
) -> Option<String> {
    let rel = site_rel(content, path);
    if let Some(prefix) = internal_prefix(content, rel) {
        diags.push(internal_link(doc, dest_span, &format!("`/{prefix}/`")));
        return None;
    }
    let last = rel.rsplit('/').next().unwrap_or_default();
    let first = rel.split('/').next().unwrap_or_default();
    let generated = crate::content::RESERVED.contains(&first) || GENERATED.contains(&first);
    if generated || (last.contains('.') && last != "index.html") {
        return Some(with_base(content, dest));
    }
    let slug = rel.trim_end_matches("index.html").trim_matches('/');
    let target = if slug.is_empty() {
        Some(Target::Section(0)).filter(|_| !content.sections.is_empty())
    } else if let Some(&i) = content.by_slug.get(slug) {
        Some(Target::Article(i))
    } else {
        (1..content.sections.len())
            .find(|&i| content.sections[i].slug == slug)
            .map(Target::Section)
    };
    let Some(target) = target else {
        let alias = |a: &String| a.trim().trim_matches('/') == slug;
        if content.articles.iter().any(|a| a.meta.aliases.iter().any(alias)) {
            return Some(with_base(content, dest));
        }
        let hint = match content.suggest_slug(slug) {
            Some(s) => format!("did you mean `/{s}/`?"),
            None => "a site URL names a page by its slug, e.g. `/workflows/403-not-assigned-app/`".into(),
        };
        diags.push(
            Diagnostic::error(format!("broken link: `{dest}` is not a page of this site"))
                .class(Class::BrokenLink)
                .at(doc.file, dest_span)
                .label("no article or section has this URL")
                .hint(hint),
        );
        return None;
    };
    Some(page_link(doc, content, target, anchor, dest_span, out, diags))
}

/// The URL of a page the link resolved to, with its anchor, which is checked once every page is rendered. In an
/// internal build, a public page's link to an internal one is a warning: the public build fails on it.
fn page_link(
    doc: &Doc<'_>,
    content: &Content,
    target: Target,
    anchor: Option<String>,
    dest_span: Range<usize>,
    out: &mut Rendered,
    diags: &mut Vec<Diagnostic>,
) -> String {
    let (url, internal) = match target {
        Target::Article(i) => (&content.articles[i].url, content.articles[i].internal),
        Target::Section(i) => (&content.sections[i].url, content.sections[i].internal),
    };
    let from_internal = match content.by_source.get(doc.source) {
        Some(Target::Article(i)) => content.articles[*i].internal,
        Some(Target::Section(i)) => content.sections[*i].internal,
        None => false,
    };
    if internal && !from_internal {
        diags.push(
            Diagnostic::warning("a public page links to internal content: a public build fails on this link")
                .at(doc.file, dest_span.clone())
                .label("internal")
                .hint("link a public article instead, or make this article internal too (`audience = \"internal\"`)"),
        );
    }
    match anchor {
        Some(a) if !a.is_empty() => {
            let link = format!("{url}#{a}");
            out.anchor_refs.push(AnchorRef {
                target,
                anchor: a,
                span: dest_span,
            });
            link
        }
        _ => url.clone(),
    }
}

/// The URL of a file beside the document (`what` is "link" or "image"), or a "does not exist" error.
fn asset_url(
    doc: &Doc<'_>,
    content: &Content,
    path: &str,
    dest: &str,
    dest_span: Range<usize>,
    what: &str,
    diags: &mut Vec<Diagnostic>,
) -> Option<String> {
    match content.resolve_asset(doc.source, path) {
        Ok(asset) => Some(asset.url.clone()),
        Err(resolved) if content.unpublished.get(&resolved) == Some(&Unpublished::Internal) => {
            diags.push(internal_link(doc, dest_span, &format!("content/{resolved}")));
            None
        }
        Err(resolved) => {
            diags.push(
                Diagnostic::error(format!(
                    "broken {what}: `{dest}` points to content/{resolved}, which does not exist"
                ))
                .class(Class::BrokenLink)
                .at(doc.file, dest_span)
                .label("no such file")
                .hint("put the file next to the article, or give its path relative to the article"),
            );
            None
        }
    }
}

/// The destination inside `[text](dest)` when it can be found, else the whole link: where a caret should point.
fn dest_span(doc: &Doc<'_>, span: &Range<usize>, dest: &str) -> Range<usize> {
    let text = &doc.file.text[span.clone()];
    text.rfind(dest)
        .map_or(span.clone(), |i| (span.start + i)..(span.start + i + dest.len()))
}

/// The path of `target` relative to the folder of `from` (both under `content/`), for hints.
pub(super) fn relative_to(from: &str, target: &str) -> String {
    let from_dir: Vec<&str> = from.rsplit_once('/').map_or(vec![], |(d, _)| d.split('/').collect());
    let target_parts: Vec<&str> = target.split('/').collect();
    let common = from_dir.iter().zip(&target_parts).take_while(|(a, b)| a == b).count();
    let mut parts = vec![".."; from_dir.len() - common];
    parts.extend(&target_parts[common..]);
    parts.join("/")
}

pub fn missing_anchor(
    file: &SourceFile,
    span: Range<usize>,
    anchor: &str,
    page: &str,
    anchors: &HashSet<String>,
) -> Diagnostic {
    let hint = match crate::diag::did_you_mean(anchor, anchors.iter().map(String::as_str)) {
        Some(a) => format!("did you mean `#{a}`?"),
        None => {
            let mut all: Vec<&str> = anchors.iter().map(String::as_str).collect();
            all.sort_unstable();
            if all.is_empty() {
                "that page has no headings to link to".into()
            } else {
                format!(
                    "anchors on that page: {}",
                    all.iter().map(|a| format!("#{a}")).collect::<Vec<_>>().join(", ")
                )
            }
        }
    };
    Diagnostic::error(format!("missing anchor: {page} has no heading `#{anchor}`"))
        .class(Class::MissingAnchor)
        .at(file, span)
        .label("no such anchor")
        .hint(hint)
}

/// Where resolving a document's links records what it finds.
pub(super) struct To<'a> {
    pub out: &'a mut Rendered,
    pub local_refs: &'a mut Vec<(String, Range<usize>)>,
    pub used_ids: &'a mut HashSet<String>,
}

/// The relative URLs and ids of raw HTML, resolved as Markdown's are: a link to `other.md#x` or to a file beside
/// the article gets its published URL (a broken one is an error at its place), `#x` must be an anchor of the page,
/// and an id on a heading or a `div` becomes an anchor links can use.
pub(super) fn raw_refs(
    doc: &Doc<'_>,
    content: &Content,
    pieces: &Pieces,
    refs: Vec<raw::Ref>,
    events: &mut [Event<'_>],
    to: &mut To<'_>,
    diags: &mut Vec<Diagnostic>,
) {
    let mut edits: Vec<(usize, Range<usize>, String)> = Vec::new();
    for r in refs {
        let span = pieces.source(r.range.clone());
        let url = match r.kind {
            RefKind::Href => rewrite_link(
                doc,
                content,
                LinkType::Inline,
                &r.value,
                span,
                to.out,
                to.local_refs,
                diags,
            ),
            RefKind::Src => rewrite_image(doc, content, &r.value, span, diags),
            // The theme's own ids are removed by the sanitizer, not reported.
            RefKind::Id if super::RESERVED_IDS.contains(&r.value.as_str()) => None,
            RefKind::Id => {
                if !to.used_ids.insert(r.value.clone()) {
                    diags.push(
                        Diagnostic::error(format!("duplicate id `#{}`", r.value))
                            .at(doc.file, span)
                            .label("this id is already used on the page")
                            .hint("give this element another id"),
                    );
                }
                to.out.anchors.insert(r.value);
                None
            }
        };
        if let (Some(url), Some((event, local))) = (url, pieces.locate(&r.range)) {
            edits.push((event, local, super::html_escape(&url)));
        }
    }
    // Later edits first, so that the ranges of earlier ones stay where they are.
    edits.sort_by_key(|e| std::cmp::Reverse((e.0, e.1.start)));
    for (event, range, url) in edits {
        let (Event::Html(text) | Event::InlineHtml(text)) = &events[event] else {
            continue;
        };
        let mut edited = text.to_string();
        edited.replace_range(range, &url);
        events[event] = match events[event] {
            Event::Html(_) => Event::Html(edited.into()),
            _ => Event::InlineHtml(edited.into()),
        };
    }
}
