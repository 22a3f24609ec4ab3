//! Writing pages: a page rendered with its template, or, under `--cache`, linked from the cache's entry for its key;
//! and the files published as they are.

use tera::Context;

use super::file_for_slug;
use crate::diag::Diagnostic;
use crate::markdown::{Highlighter, Rendered};
use crate::site::cache::{Key, Kind as Entry};
use crate::site::theme::{Theme, tera_error};
use crate::site::{Model, Sink};

/// The site's header and footer, the same on every page ([`Model::site_value`]), with its key when pages go to a
/// cache ([`crate::site::cache`]): hashed once for all pages.
pub struct Site {
    pub value: serde_json::Value,
    key: Option<Key>,
}

impl Site {
    pub fn of(model: &Model<'_>, out: Option<&dyn Sink>) -> Site {
        let value = model.site_value();
        let key = out.and_then(Sink::cached).map(|_| crate::site::cache::json_key(&value));
        Site { value, key }
    }
}

/// Renders article `i`'s page from `rendered`, its Markdown, and writes it.
pub fn write_article(
    model: &Model<'_>,
    i: usize,
    rendered: &Rendered,
    theme: &Theme,
    site: &Site,
    out: Option<&dyn Sink>,
) -> Result<(), Box<Diagnostic>> {
    let mut ctx = Context::new();
    ctx.insert("article", &model.article_page(i, rendered));
    let file = file_for_slug(&model.content.articles[i].slug);
    write_page(theme, "article.html", ctx, &file, out, site)
}

/// Renders one page with `template` from `ctx` and `site` and writes it to `file` (nowhere for `None`). With a
/// cache, a page whose key (the theme, the template, the file, `ctx` and `site`) has an entry is linked from it
/// rather than rendered, and a page rendered is kept as one.
pub(super) fn write_page(
    theme: &Theme,
    template: &str,
    mut ctx: Context,
    file: &str,
    out: Option<&dyn Sink>,
    site: &Site,
) -> Result<(), Box<Diagnostic>> {
    let cached = match (out.and_then(Sink::cached), &site.key) {
        (Some(cached), Some(site_key)) => {
            let json = ctx.into_json();
            let mut h = cached.cache.hasher(Entry::Page);
            h.part(&theme.digest).str(template).str(file).part(site_key);
            serde_json::to_writer(&mut h, &json).expect("a JSON value serialises");
            let key = h.finish();
            if let Some(from) = cached.cache.find(Entry::Page, &key)
                && crate::timing::WRITING.time(|| cached.staging.link(file, &from)).is_ok()
            {
                cached.cache.found(Entry::Page, &key);
                return Ok(());
            }
            ctx = Context::from_value(json).expect("a context is an object");
            Some((cached, key))
        }
        _ => None,
    };
    ctx.insert("site", &site.value);
    match crate::timing::TEMPLATES.time(|| theme.tera.render(template, &ctx)) {
        Ok(html) => match out {
            Some(s) => crate::timing::WRITING
                .time(|| s.write(file, html.as_bytes()))
                .map(|()| {
                    if let Some((cached, key)) = cached {
                        cached.cache.keep_page(&key, &cached.staging.dir().join(file));
                    }
                })
                .map_err(|e| Box::new(Diagnostic::error(format!("cannot write {file}: {e}")))),
            None => Ok(()),
        },
        Err(e) => Err(Box::new(
            Diagnostic::error(format!("template `{template}` failed for {file}: {}", tera_error(&e)))
                .hint("fix the theme template (themes/<theme>/templates/) named here"),
        )),
    }
}

/// Writes the files published as they are: the theme's static files, the syntax colours, the site's `static/`
/// and the content's assets.
pub fn write_statics(model: &Model<'_>, theme: &Theme, out: &dyn Sink) -> Result<(), Vec<Diagnostic>> {
    let mut errors = Vec::new();
    let mut statics = theme.statics.clone();
    statics.insert("assets/syntax.css".into(), Highlighter::css().into_bytes());
    match crate::site::theme::site_statics(&model.config.root) {
        Ok(own) => statics.extend(own),
        Err(e) => errors.push(Diagnostic::error(format!("cannot read static/: {e}")).at_path("static")),
    }
    for asset in model.content.assets.values() {
        match std::fs::read(&asset.path) {
            Ok(bytes) => {
                statics.insert(asset.out.clone(), bytes);
            }
            Err(e) => {
                errors.push(Diagnostic::error(format!("cannot read: {e}")).at_path(format!("content/{}", asset.out)))
            }
        }
    }
    for (rel, bytes) in &statics {
        if model.search && crate::site::search::inside_index(rel) {
            errors.push(crate::site::search::inside_index_error("a static file", rel));
            continue;
        }
        if let Err(e) = out.write(rel, bytes) {
            errors.push(Diagnostic::error(format!("cannot write {rel}: {e}")));
        }
    }
    if errors.is_empty() { Ok(()) } else { Err(errors) }
}
