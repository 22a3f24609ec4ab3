//! Integration tests: the real `kb` binary on real sites (the knowledge base itself, fixtures, generated odd input).

#[path = "../support/mod.rs"]
mod support;

mod a11y;
mod answer_properties;
mod audiences;
mod authoring;
mod cache;
mod catalogue;
mod check_run;
mod check_semantics;
mod checks;
mod commands;
mod csp;
mod diagnose;
mod findings_properties;
mod init;
mod invalid;
mod knowledge_base;
mod language_v2;
mod odd_input;
mod okta_spec;
mod properties;
mod raw_html;
mod relevance;
mod replay;
mod report_site;
mod reviews;
mod schedule;
mod search;
mod serve;
mod site_urls;
mod snapshots;
mod unreadable;
mod waivers;
