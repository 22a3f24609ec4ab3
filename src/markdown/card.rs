//! A check block as the page shows it: a card with what it verifies, its severity, what it looks at and how to run
//! it, the TOML behind a disclosure.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use super::{SHARED, code_block_with, html_escape};
use crate::content::blocks::CheckCard;

/// A check block as readers see it: what it verifies, what it looks at, how to run it; the TOML behind a disclosure.
pub(super) fn check_card(
    card: &CheckCard,
    id: &str,
    languages: &mut Vec<String>,
    shared: &mut Vec<Arc<str>>,
) -> String {
    let e = html_escape;
    let mut h = format!(
        "<section class=\"check-card\" id=\"{}\" aria-labelledby=\"{}-title\">\
         <p class=\"check-kicker\">Check</p><p class=\"check-title\" id=\"{}-title\">{}</p>",
        e(id),
        e(id),
        e(id),
        e(&card.title)
    );
    if !card.description.is_empty() {
        h.push_str(&format!("<p class=\"check-desc\">{}</p>", e(&card.description)));
    }
    h.push_str(&format!(
        "<dl class=\"check-facts\"><dt>Severity</dt><dd><span class=\"severity severity-{0}\">{0}</span></dd>\
         <dt>Looks at</dt><dd><ul class=\"check-requests\">",
        e(&card.severity)
    ));
    for r in &card.requests {
        h.push_str(&format!("<li><code>{}</code></li>", e(r)));
    }
    h.push_str("</ul></dd>");
    if !card.scopes.is_empty() {
        h.push_str("<dt>OAuth scopes</dt><dd>");
        let scopes: Vec<String> = card.scopes.iter().map(|s| format!("<code>{}</code>", e(s))).collect();
        h.push_str(&scopes.join(" "));
        h.push_str("</dd>");
    }
    h.push_str(&format!(
        "<dt>Run it</dt><dd><code class=\"check-command\">{}</code></dd></dl>",
        e(&card.command)
    ));
    h.push_str("<details class=\"check-source\" data-search-ignore><summary>Definition</summary>");
    // The block as written and the definition it calls, as raw TOML (not highlighted: see `definition_block`).
    h.push_str(&code_block_with("toml", &card.block, false, languages));
    if let Some((path, text)) = &card.definition {
        h.push_str(&format!("<p class=\"check-def-path\">{}</p>", e(path)));
        shared.push(definition_block(text, languages));
        h.push(SHARED);
    }
    h.push_str("</details></section>\n");
    h
}

/// A check definition's TOML as a plain code block (the raw definition, behind the card's disclosure). Every article
/// calling a definition shows the same block, so it is made once per process and held once: at 10,000 articles
/// with three checks each, highlighting the definitions again and again was most of the build's time, and their
/// copies most of its memory. They are not highlighted: highlighted, the three definitions were two thirds of each
/// article page's bytes (44 of 65 KB), which the build wrote 30,000 times.
fn definition_block(text: &str, languages: &mut Vec<String>) -> Arc<str> {
    static BLOCKS: OnceLock<Mutex<HashMap<String, Arc<str>>>> = OnceLock::new();
    /// More distinct definitions than a knowledge base has: beyond it (edits during a long `kb serve`), start over.
    const MAX: usize = 512;
    let blocks = BLOCKS.get_or_init(Default::default);
    if let Some(html) = blocks.lock().unwrap_or_else(PoisonError::into_inner).get(text) {
        return html.clone();
    }
    let html: Arc<str> = Arc::from(code_block_with("toml", text, false, languages));
    let mut blocks = blocks.lock().unwrap_or_else(PoisonError::into_inner);
    if blocks.len() >= MAX {
        blocks.clear();
    }
    blocks.insert(text.to_string(), html.clone());
    html
}
