//! `kb new SLUG`: an article skeleton with valid front matter and the usual sections.

use std::path::Path;

use super::exit;
use crate::content::{CONTENT_DIR, slug::slugify_path};

pub fn run(root: &Path, slug: &str, title: Option<&str>) -> i32 {
    let clean = slugify_path(slug.trim_end_matches(".md"));
    if clean.is_empty() {
        eprintln!("error: `{slug}` has no letters or digits to make a slug from");
        return exit::INVALID;
    }
    if clean
        .split('/')
        .next()
        .is_some_and(|top| crate::content::RESERVED.contains(&top))
    {
        eprintln!("error: `{clean}` is under a URL kb generates itself; choose another folder");
        return exit::INVALID;
    }
    let path = root.join(CONTENT_DIR).join(format!("{clean}.md"));
    if path.exists() {
        eprintln!(
            "error: {} already exists; kb new never overwrites an article",
            path.display()
        );
        return exit::INVALID;
    }
    let default_title = {
        let last = clean.rsplit('/').next().unwrap_or(&clean).replace('-', " ");
        let mut t = last;
        if let Some(first) = t.get_mut(0..1) {
            first.make_ascii_uppercase();
        }
        t
    };
    let title = title.unwrap_or(&default_title);
    let text = skeleton(title, &chrono::Local::now().date_naive().format("%Y-%m-%d").to_string());
    if let Some(parent) = path.parent()
        && let Err(e) = std::fs::create_dir_all(parent)
    {
        eprintln!("error: cannot create {}: {e}", parent.display());
        return exit::INVALID;
    }
    if let Err(e) = std::fs::write(&path, text) {
        eprintln!("error: cannot write {}: {e}", path.display());
        return exit::INVALID;
    }
    println!("{}", path.display());
    exit::OK
}

fn skeleton(title: &str, date: &str) -> String {
    let title = toml::Value::String(title.to_string()).to_string();
    format!(
        r#"+++
title = {title}
description = ""
date = {date}
updated = {date}
products = []
applies_to = ["Okta Identity Engine", "Okta Classic Engine"]
errors = []
tags = []
related = []
draft = true
+++

## Symptom

What the reader sees, in their words: the screen, the card, the API call that fails.

## Error

Quote the error message exactly as Okta shows it; readers paste it into search.

## Applies to

- Okta Identity Engine
- Okta Classic Engine

## Cause

Why it happens.

## Solution

1. First step.
2. Second step.

## Verify the fix

How the reader confirms the problem is gone.
"#
    )
}
