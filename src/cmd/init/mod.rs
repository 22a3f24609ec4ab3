//! `kb init [DIR]`: a new knowledge base that validates, builds and serves at once: kb.toml with comments, a
//! section with two sample articles (one with a check block), the standard check definitions, `.gitignore`, and a
//! CI workflow that validates and builds on every push. It writes only into an empty folder (or one holding only
//! `.git`), so nothing of anyone's is ever replaced.

mod checks;

use std::path::Path;

use super::exit;

/// What `kb init` writes, by path under DIR; `{{TITLE}}` and `{{TODAY}}` are filled in.
const FILES: &[(&str, &str)] = &[
    ("kb.toml", include_str!("template/kb.toml")),
    ("content/_index.md", include_str!("template/content/_index.md")),
    (
        "content/sign-in/_index.md",
        include_str!("template/content/sign-in/_index.md"),
    ),
    (
        "content/sign-in/user-locked-out.md",
        include_str!("template/content/sign-in/user-locked-out.md"),
    ),
    (
        "content/sign-in/writing-articles.md",
        include_str!("template/content/sign-in/writing-articles.md"),
    ),
    (".gitignore", include_str!("template/gitignore")),
    (".github/workflows/kb.yml", include_str!("template/github/kb.yml")),
    ("ci/install-kb.sh", include_str!("../../../examples/ci/install-kb.sh")),
];

pub fn run(dir: &Path, title: Option<&str>) -> i32 {
    match std::fs::read_dir(dir) {
        Ok(entries) => {
            let mut there: Vec<String> = entries
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|name| name != ".git")
                .collect();
            if !there.is_empty() {
                there.sort();
                let shown: Vec<&str> = there.iter().take(5).map(String::as_str).collect();
                let more = if there.len() > 5 { ", …" } else { "" };
                eprintln!(
                    "error: {} is not empty (it holds {}{more}); kb init writes only into an empty folder\n  \
                     = hint: run `kb init NEW-FOLDER`, or move the files away first",
                    dir.display(),
                    shown.join(", ")
                );
                return exit::INVALID;
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => {
            eprintln!("error: cannot read {}: {e}", dir.display());
            return exit::INVALID;
        }
    }
    let title = title.map_or_else(|| "Help Center".to_string(), str::to_string);
    // The inside of a TOML basic string ("…"): JSON's escapes are TOML's.
    let quoted = serde_json::to_string(&title).expect("a string");
    let inner = &quoted[1..quoted.len() - 1];
    let today = chrono::Local::now().date_naive().to_string();
    let mut written = Vec::new();
    let files = FILES
        .iter()
        .map(|&(path, text)| {
            (
                path.to_string(),
                text.replace("{{TITLE}}", inner).replace("{{TODAY}}", &today),
            )
        })
        .chain(
            checks::STANDARD_CHECKS
                .iter()
                .map(|&(name, text)| (format!("checks/{name}"), text.to_string())),
        );
    for (rel, text) in files {
        let path = dir.join(&rel);
        let made = path
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|()| std::fs::write(&path, text));
        if let Err(e) = made {
            eprintln!("error: cannot write {}: {e}", path.display());
            return exit::INVALID;
        }
        written.push(rel);
    }
    println!(
        "Created a knowledge base in {} ({} files). Next:\n  cd {}\n  kb serve      # preview at http://127.0.0.1:1111/\n  kb validate   # what CI runs on every push (.github/workflows/kb.yml)\n  kb new sign-in/my-first-article",
        dir.display(),
        written.len(),
        dir.display()
    );
    exit::OK
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_standard_check_definition_is_written() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("checks");
        let mut on_disk: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        on_disk.sort();
        let mut listed: Vec<String> = super::checks::STANDARD_CHECKS
            .iter()
            .map(|(n, _)| n.to_string())
            .collect();
        listed.sort();
        assert_eq!(listed, on_disk, "src/cmd/init/checks.rs lists checks/ as it is");
    }
}
