//! Writes the deterministic generated corpus the benchmarks use, as a kb site (`kb.toml`, `checks/`, `content/`),
//! so that it can be built, served or checked by hand:
//!
//! ```sh
//! cargo run --release --example corpus -- /tmp/c10k                       # 10,000 articles, 50 apps
//! cargo run --release --example corpus -- /tmp/c1k --articles 1000 --apps 50 --words 1000
//! ./target/release/kb build --root /tmp/c10k
//! ```
//!
//! Each article has ~1,000 words of prose, JSON, shell, YAML and PowerShell blocks unique to it, a table, links to
//! two other articles and three check blocks (`app-active`, `app-user-assigned`, `app-scope-granted`) about one of
//! `--apps` distinct apps. The folder is emptied first.

#[allow(dead_code)]
#[path = "../tests/support/corpus.rs"]
mod corpus;

use std::path::PathBuf;

fn main() {
    let Some(out) = std::env::args().nth(1).filter(|a| !a.starts_with("--")) else {
        eprintln!("usage: cargo run --release --example corpus -- OUT_DIR [--articles N] [--words N] [--apps N]");
        std::process::exit(2);
    };
    let out = PathBuf::from(out);
    let opts = corpus::Options::from_args();
    if out.exists() {
        for part in ["kb.toml", "checks", "content", "site"] {
            let path = out.join(part);
            let removed = if path.is_dir() {
                std::fs::remove_dir_all(&path)
            } else {
                std::fs::remove_file(&path)
            };
            if let Err(e) = removed.or_else(|e| {
                if e.kind() == std::io::ErrorKind::NotFound {
                    Ok(())
                } else {
                    Err(e)
                }
            }) {
                eprintln!("error: cannot empty {}: {e}", path.display());
                std::process::exit(1);
            }
        }
    }
    if let Err(e) = corpus::write_site(&out, &opts) {
        eprintln!("error: cannot write the corpus to {}: {e}", out.display());
        std::process::exit(1);
    }
    println!(
        "Wrote {} articles ({} apps, ~{} words each) to {}",
        opts.articles,
        opts.apps,
        opts.words,
        out.display()
    );
}
