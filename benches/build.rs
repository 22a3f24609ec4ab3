//! Build benchmark: kb against Hugo and the Pagefind CLI on the same generated corpus, in one run.
//!
//! ```sh
//! cargo bench --bench build                          # 1,000 and 10,000 articles
//! cargo bench --bench build -- --sizes 2000,20000    # any sizes; --words N and --apps N shape the corpus
//! cargo bench --bench build -- --sizes 1000,10000,100000 --runs 1   # kb alone above 10,000 (see PEERS_MAX)
//! cargo bench --bench build -- --runs 5              # runs per tool and size (3): the median is reported
//! cargo bench --bench build -- --baseline OLD_KB     # this kb against another kb binary only, runs interleaved
//! cargo bench --bench build -- --baseline OLD_KB --work /dev/shm   # …with corpus and output in memory
//! cargo bench --bench build -- --sizes 10000,100000 --runs 1 --work /dev/shm   # any run, with the disk left out
//! cargo bench --bench build -- --warm --sizes 10000  # kb build --cache after a one-article edit, against cold
//! ```
//!
//! `--warm`: for each size and run, a build with search and a fresh `--cache` into an output folder; then one
//! article's body edited; then a cold build (no cache) and a warm one (with the cache, into the first build's folder,
//! whose old site it sets aside) of the edited corpus, timed and compared byte for byte. Written to
//! `target/bench/build-warm.md`; the smoke run (`cargo test --benches`) runs it at 300 articles too.
//!
//! For each size: `kb build --no-search`, `kb build` (with its search index), Hugo building the same Markdown with
//! `bench/hugo/` (highlighting, tables of contents, taxonomies, paginated lists), and the Pagefind CLI indexing
//! Hugo's output. Each runs `--runs` times under `/usr/bin/time -v`, each run into a new folder after a `sync`,
//! and the run of median time is reported, with the highest peak memory of the runs. Reported: wall time,
//! time per article, peak memory, output and index sizes, kb's phases (`KB_TIMINGS=1`), and the ratios the
//! performance targets are about. Hugo (Debian's `hugo`) and Pagefind (npm's `pagefind`, into
//! `target/bench-tools/`) are installed when missing. The table is also written to `target/bench/build.md`.
//! Under `cargo test --benches` it is a smoke run of 300 articles.
//!
//! Above [`PEERS_MAX`] articles only kb runs: Hugo and the Pagefind CLI would need ~28 and ~37 GB of memory at
//! 100,000. Disk: nothing is deleted until a size is done, and each kb run at 100,000 writes ~4 GB (so
//! `--runs 3` needs ~24 GB free under the temporary folder; `--work DIR` is not needed for that).

#[allow(dead_code)]
#[path = "../tests/support/corpus.rs"]
mod corpus;
#[allow(dead_code)]
#[path = "../tests/support/measure.rs"]
mod measure;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use measure::{Measured, dir_size, mb};

/// The largest size Hugo and the Pagefind CLI are run at: their memory grows ~0.3 GB per 1,000 articles.
const PEERS_MAX: usize = 10_000;

/// The Pagefind CLI the benchmark installs: the version of the library kb is built with.
const PAGEFIND_VERSION: &str = "1.6.0";

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn sudo() -> Vec<&'static str> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        vec![]
    } else {
        vec!["sudo"]
    }
}

fn run_ok(cmd: &[&str]) {
    let status = Command::new(cmd[0]).args(&cmd[1..]).status();
    assert!(
        status.as_ref().is_ok_and(|s| s.success()),
        "{} failed: {status:?}",
        cmd.join(" ")
    );
}

/// Debian's `hugo`, installed with apt-get if missing.
fn hugo() -> PathBuf {
    let found = || {
        Command::new("hugo")
            .arg("version")
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if !found() {
        eprintln!("installing Hugo (Debian package hugo)");
        let sudo = sudo();
        let apt = |args: &[&str]| {
            let mut cmd: Vec<&str> = sudo.clone();
            cmd.push("apt-get");
            cmd.extend(args);
            run_ok(&cmd);
        };
        apt(&["update", "-qq"]);
        apt(&["install", "-y", "-qq", "--no-install-recommends", "hugo"]);
    }
    assert!(found(), "hugo is not installed");
    PathBuf::from("hugo")
}

/// The Pagefind CLI from npm, installed under `target/bench-tools/` if missing.
fn pagefind() -> PathBuf {
    let tools = repo().join("target/bench-tools");
    let bin = tools.join("node_modules/.bin/pagefind");
    let version = || {
        Command::new(&bin)
            .arg("--version")
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .unwrap_or_default()
    };
    if version() != format!("pagefind {PAGEFIND_VERSION}") {
        eprintln!(
            "installing the Pagefind CLI {PAGEFIND_VERSION} (npm) into {}",
            tools.display()
        );
        std::fs::create_dir_all(&tools).unwrap();
        let prefix = tools.to_string_lossy().into_owned();
        let package = format!("pagefind@{PAGEFIND_VERSION}");
        run_ok(&[
            "npm",
            "install",
            "--no-audit",
            "--no-fund",
            "--silent",
            "--prefix",
            &prefix,
            &package,
        ]);
    }
    assert_eq!(version(), format!("pagefind {PAGEFIND_VERSION}"));
    bin
}

struct Row {
    tool: &'static str,
    articles: usize,
    run: Measured,
    /// Bytes and files of the output, and of its search index.
    output: (u64, usize),
    index: Option<(u64, usize)>,
}

impl Row {
    fn per_article(&self) -> Duration {
        self.run.wall / self.articles.max(1) as u32
    }
}

fn size(bytes: u64, files: usize) -> String {
    format!("{:.0} MB, {files} files", bytes as f64 / 1e6)
}

fn secs(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

fn ratio(a: Duration, b: Duration) -> f64 {
    a.as_secs_f64() / b.as_secs_f64()
}

/// Runs `run(i)` for `i` in `0..runs`, each writing into a folder of its own (deleting a large output right before
/// a run slows the run's own writes down on a disk mounted with `discard`; everything is deleted at the end): the
/// run of median wall time, with the highest peak memory of all.
fn repeat(runs: usize, run: impl Fn(usize) -> Measured) -> Measured {
    let mut all: Vec<Measured> = (0..runs.max(1)).map(run).collect();
    let peak = all.iter().map(|r| r.peak_rss_kb).max().unwrap_or(0);
    all.sort_by_key(|r| r.wall);
    let mut median = all.swap_remove(all.len() / 2);
    median.peak_rss_kb = peak;
    median
}

/// A new folder for a size's corpus and outputs: under `--work DIR` (e.g. `/dev/shm`, to leave the disk out), else
/// the system's temporary folder.
fn work_dir() -> tempfile::TempDir {
    match std::env::args().skip_while(|a| a != "--work").nth(1) {
        Some(dir) => tempfile::tempdir_in(dir).unwrap(),
        None => tempfile::tempdir().unwrap(),
    }
}

fn measure_size(
    opts: &corpus::Options,
    runs: usize,
    (hugo, pagefind): (&Path, &Path),
    rows: &mut Vec<Row>,
    notes: &mut String,
) {
    let work = work_dir();
    let site = work.path().join("corpus");
    corpus::write_site(&site, opts).unwrap();
    let kb = Path::new(env!("CARGO_BIN_EXE_kb"));
    let n = opts.articles;

    // kb, without and with its search index, each into a fresh folder.
    for (tool, extra) in [("kb build --no-search", Some("--no-search")), ("kb build", None)] {
        let name = if extra.is_some() { "kb-plain" } else { "kb-search" };
        let out_of = |i: usize| work.path().join(format!("{name}-{i}"));
        let run = repeat(runs, |i| {
            let out_arg = out_of(i).to_string_lossy().into_owned();
            let mut args = vec!["build", "--output", &out_arg];
            args.extend(extra);
            measure::run(&site, kb, &args, &[("KB_TIMINGS", "1")], 0)
        });
        let out = out_of(0);
        let _ = writeln!(notes, "- {tool}, {n} articles: {}", phase_list(&run.stderr));
        let index = extra.is_none().then(|| dir_size(&out.join("search-index")));
        rows.push(Row {
            tool,
            articles: n,
            output: dir_size(&out),
            index,
            run,
        });
    }

    if n > PEERS_MAX {
        return;
    }
    // Hugo with the committed config, copied beside the corpus so that nothing is written into the repository.
    let hugo_src = work.path().join("hugo");
    for entry in walkdir::WalkDir::new(repo().join("bench/hugo")) {
        let entry = entry.unwrap();
        let to = hugo_src.join(entry.path().strip_prefix(repo().join("bench/hugo")).unwrap());
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&to).unwrap();
        } else {
            std::fs::copy(entry.path(), &to).unwrap();
        }
    }
    let hugo_out = |i: usize| work.path().join(format!("hugo-out-{i}"));
    let content = site.join("content").to_string_lossy().into_owned();
    let run = repeat(runs, |i| {
        let dest = hugo_out(i).to_string_lossy().into_owned();
        let cache = work
            .path()
            .join(format!("hugo-cache-{i}"))
            .to_string_lossy()
            .into_owned();
        let args = [
            "--quiet",
            "--contentDir",
            &content,
            "--destination",
            &dest,
            "--cacheDir",
            &cache,
        ];
        measure::run(&hugo_src, hugo, &args, &[], 0)
    });
    rows.push(Row {
        tool: "hugo",
        articles: n,
        output: dir_size(&hugo_out(0)),
        index: None,
        run,
    });

    // Pagefind's CLI over Hugo's outputs, one each.
    let run = repeat(runs, |i| {
        let dest = hugo_out(i).to_string_lossy().into_owned();
        measure::run(work.path(), pagefind, &["--site", &dest], &[], 0)
    });
    rows.push(Row {
        tool: "pagefind (Hugo's output)",
        articles: n,
        output: dir_size(&hugo_out(0).join("pagefind")),
        index: Some(dir_size(&hugo_out(0).join("pagefind"))),
        run,
    });
}

fn find<'a>(rows: &'a [Row], tool: &str, n: usize) -> &'a Row {
    try_find(rows, tool, n).unwrap()
}

fn try_find<'a>(rows: &'a [Row], tool: &str, n: usize) -> Option<&'a Row> {
    rows.iter().find(|r| r.tool == tool && r.articles == n)
}

/// `--baseline BIN`: this kb and another kb binary (e.g. the previous commit's, built with `cargo build --release`)
/// build the same corpus, without and with search, their runs interleaved (baseline, this, baseline, …) so that the
/// disk's mood hits both alike; the median of each is compared. `--work DIR` puts the corpus and the outputs there
/// (e.g. `/dev/shm`, where this machine's disk, whose write times vary threefold from one minute to the next, is
/// out of the measurement).
fn compare(baseline: &Path, sizes: &[usize], runs: usize) {
    let work_in = std::env::args().skip_while(|a| a != "--work").nth(1);
    let kb = Path::new(env!("CARGO_BIN_EXE_kb"));
    let mut md = format!(
        "This kb against `{}`, median of {runs} interleaved runs, in {}.\n\n\
         | articles | build | baseline | this | wall per article | change | CPU per article | change |\n\
         |---|---|---|---|---|---|---|---|\n",
        baseline.display(),
        work_in.as_deref().unwrap_or("the system's temporary folder")
    );
    for &n in sizes {
        let (work, site) = corpus_of(n);
        for extra in [Some("--no-search"), None] {
            // (wall, CPU) of each run, per binary.
            let mut times: [Vec<(Duration, Duration)>; 2] = [Vec::new(), Vec::new()];
            for i in 0..runs.max(1) {
                for (which, bin) in [baseline, kb].iter().enumerate() {
                    let out = work.path().join(format!("out-{which}-{i}"));
                    let out_arg = out.to_string_lossy().into_owned();
                    let mut args = vec!["build", "--output", &out_arg];
                    args.extend(extra);
                    let run = measure::run(&site, bin, &args, &[], 0);
                    times[which].push((run.wall, run.cpu));
                    let _ = std::fs::remove_dir_all(&out);
                }
            }
            let median = |t: &[(Duration, Duration)], pick: fn(&(Duration, Duration)) -> Duration| {
                let mut v: Vec<Duration> = t.iter().map(pick).collect();
                v.sort();
                v[v.len() / 2]
            };
            let per = |d: Duration| d.as_secs_f64() * 1000.0 / n as f64;
            let change = |new: Duration, old: Duration| (ratio(new, old) - 1.0) * 100.0;
            let (old, new) = (median(&times[0], |t| t.0), median(&times[1], |t| t.0));
            let (old_cpu, new_cpu) = (median(&times[0], |t| t.1), median(&times[1], |t| t.1));
            let _ = writeln!(
                md,
                "| {n} | {} | {} | {} | {:.2} → {:.2} ms | {:+.1}% | {:.2} → {:.2} ms | {:+.1}% |",
                extra.map_or("kb build", |_| "kb build --no-search"),
                secs(old),
                secs(new),
                per(old),
                per(new),
                change(new, old),
                per(old_cpu),
                per(new_cpu),
                change(new_cpu, old_cpu),
            );
        }
    }
    println!("{md}");
    let out = repo().join("target/bench");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("build-baseline.md"), &md).unwrap();
}

fn main() {
    let sizes: Vec<usize> = match std::env::args().skip_while(|a| a != "--sizes").nth(1) {
        Some(list) => list
            .split(',')
            .map(|s| s.trim().parse().expect("--sizes takes numbers"))
            .collect(),
        None if corpus::benchmarking() => vec![1000, 10_000],
        None => vec![300],
    };
    let runs = corpus::arg("--runs", if corpus::benchmarking() { 3 } else { 1 });
    if let Some(baseline) = std::env::args().skip_while(|a| a != "--baseline").nth(1) {
        return compare(Path::new(&baseline), &sizes, runs);
    }
    if std::env::args().any(|a| a == "--warm") {
        return warm(&sizes, runs);
    }
    if !corpus::benchmarking() {
        warm(&sizes, runs);
    }
    let hugo = hugo();
    let pagefind = pagefind();
    let hugo_version = Command::new(&hugo).arg("version").output().unwrap();
    let mut rows = Vec::new();
    let mut notes = String::new();
    let base = corpus::Options::from_args();
    for &n in &sizes {
        let opts = corpus::Options {
            articles: n,
            ..corpus::Options::from_args()
        };
        eprintln!("{n} articles…");
        measure_size(&opts, runs, (&hugo, &pagefind), &mut rows, &mut notes);
    }

    let mut md = String::new();
    let _ = writeln!(
        md,
        "Corpus: `corpus::Options` seed {}, ~{} words per article, {} apps. {}; pagefind {PAGEFIND_VERSION}. \
         Median of {runs} runs, in {}.\n",
        base.seed,
        base.words,
        base.apps,
        String::from_utf8_lossy(&hugo_version.stdout).trim(),
        std::env::args()
            .skip_while(|a| a != "--work")
            .nth(1)
            .unwrap_or_else(|| "the system's temporary folder".into())
    );
    md.push_str("| articles | tool | wall | per article | peak RSS | output | search index |\n");
    md.push_str("|---|---|---|---|---|---|---|\n");
    for r in &rows {
        let _ = writeln!(
            md,
            "| {} | {} | {} | {:.2} ms | {} | {} | {} |",
            r.articles,
            r.tool,
            secs(r.run.wall),
            r.per_article().as_secs_f64() * 1000.0,
            mb(r.run.peak_rss_kb),
            size(r.output.0, r.output.1),
            r.index.map_or("—".to_string(), |(b, f)| size(b, f)),
        );
    }
    md.push('\n');
    for &n in &sizes {
        let plain = find(&rows, "kb build --no-search", n);
        let search = find(&rows, "kb build", n);
        let (Some(hugo), Some(pf)) = (
            try_find(&rows, "hugo", n),
            try_find(&rows, "pagefind (Hugo's output)", n),
        ) else {
            let _ = writeln!(
                md,
                "- {n} articles: kb only (Hugo and Pagefind run up to {PEERS_MAX} articles)."
            );
            continue;
        };
        let peers = hugo.run.wall + pf.run.wall;
        let _ = writeln!(
            md,
            "- {n} articles: without search kb takes {:.2}× Hugo's time (target ≤ 0.5) and {:.2}× its memory \
             (≤ 0.33); with search {:.2}× Hugo + Pagefind's time (≤ 0.5) and {:.2}× Pagefind's memory (≤ 0.33).",
            ratio(plain.run.wall, hugo.run.wall),
            plain.run.peak_rss_kb as f64 / hugo.run.peak_rss_kb as f64,
            ratio(search.run.wall, peers),
            search.run.peak_rss_kb as f64 / pf.run.peak_rss_kb as f64,
        );
    }
    for pair in sizes.windows(2).filter(|p| p[1] > p[0]) {
        let (small, large) = (pair[0], pair[1]);
        for tool in ["kb build --no-search", "kb build"] {
            let _ = writeln!(
                md,
                "- {tool}: time per article at {large} is {:.2}× that at {small} (target ≤ 1.25).",
                ratio(
                    find(&rows, tool, large).per_article(),
                    find(&rows, tool, small).per_article()
                )
            );
        }
    }
    if !corpus::benchmarking() {
        md.push_str("\nA smoke run (`cargo test`): debug build, so the ratios say nothing.\n");
    }
    md.push_str("\nkb's phases (`KB_TIMINGS=1`; indented parts are summed over threads):\n\n");
    md.push_str(&notes);
    println!("{md}");
    let out = repo().join("target/bench");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("build.md"), &md).unwrap();
}

/// A work folder ([`work_dir`]) with a corpus of `n` articles (shaped by the command line) in `corpus/`.
fn corpus_of(n: usize) -> (tempfile::TempDir, PathBuf) {
    let opts = corpus::Options {
        articles: n,
        ..corpus::Options::from_args()
    };
    let work = work_dir();
    let site = work.path().join("corpus");
    corpus::write_site(&site, &opts).unwrap();
    (work, site)
}

/// `--warm`: a build with the cache after a one-article body edit, against a cold build of the same content, in one
/// run (see the module's documentation).
fn warm(sizes: &[usize], runs: usize) {
    let kb = Path::new(env!("CARGO_BIN_EXE_kb"));
    let mut md = format!(
        "`kb build --cache` after a one-article body edit, against `kb build` without a cache of the same content; \
         median of {runs} runs, in {}.\n\n\
         | articles | cold | filling the cache | warm | warm / cold | from the cache | made |\n\
         |---|---|---|---|---|---|---|\n",
        std::env::args()
            .skip_while(|a| a != "--work")
            .nth(1)
            .unwrap_or_else(|| "the system's temporary folder".into())
    );
    let mut notes = String::new();
    for &n in sizes {
        let (work, site) = corpus_of(n);
        let edited = walkdir::WalkDir::new(site.join("content"))
            .sort_by_file_name()
            .into_iter()
            .map(|e| e.unwrap().into_path())
            .find(|p| p.extension().is_some_and(|x| x == "md") && !p.ends_with("_index.md"))
            .expect("the corpus has articles");
        let arg = |p: PathBuf| p.to_string_lossy().into_owned();
        let mut rows: Vec<[Measured; 3]> = Vec::new();
        for i in 0..runs.max(1) {
            let (out, cold_out) = (
                arg(work.path().join(format!("site-{i}"))),
                arg(work.path().join(format!("cold-{i}"))),
            );
            let cache = arg(work.path().join(format!("cache-{i}")));
            let with_cache = ["build", "--output", &out, "--cache", &cache];
            let filling = measure::run(&site, kb, &with_cache, &[("KB_TIMINGS", "1")], 0);
            let mut text = std::fs::read_to_string(&edited).unwrap();
            text.push_str(&format!("\nOne more sentence, for warm build {i}.\n"));
            std::fs::write(&edited, text).unwrap();
            let cold = measure::run(&site, kb, &["build", "--output", &cold_out], &[("KB_TIMINGS", "1")], 0);
            let warm = measure::run(&site, kb, &with_cache, &[("KB_TIMINGS", "1")], 0);
            assert_same_tree(Path::new(&out), Path::new(&cold_out));
            let _ = std::fs::remove_dir_all(&cold_out);
            rows.push([cold, filling, warm]);
        }
        rows.sort_by_key(|r| r[2].wall);
        let [cold, filling, warm] = rows.swap_remove(rows.len() / 2);
        let line = warm
            .stderr
            .lines()
            .find(|l| l.starts_with("Built "))
            .unwrap_or_default()
            .to_string();
        let numbers: Vec<&str> = line.split(['(', ' ']).filter(|w| w.parse::<usize>().is_ok()).collect();
        let count = |k: usize| numbers.get(numbers.len().saturating_sub(k)).copied().unwrap_or("?");
        let _ = writeln!(
            md,
            "| {n} | {} | {} | {} | {:.2} | {} | {} |",
            secs(cold.wall),
            secs(filling.wall),
            secs(warm.wall),
            ratio(warm.wall, cold.wall),
            count(2),
            count(1),
        );
        for (what, run) in [("cold", &cold), ("warm", &warm)] {
            let _ = writeln!(notes, "- {what}, {n} articles: {}", phase_list(&run.stderr));
        }
    }
    md.push_str("\nThe warm output was the cold output byte for byte in every run.\n\n");
    md.push_str(&notes);
    println!("{md}");
    let out = repo().join("target/bench");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("build-warm.md"), &md).unwrap();
}

/// kb's phases (`KB_TIMINGS=1`) from a run's stderr, on one line.
fn phase_list(stderr: &str) -> String {
    measure::phases(stderr)
        .iter()
        .map(|(p, t)| format!("{} {t}", p.trim()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Asserts that two folders hold the same files with the same bytes.
fn assert_same_tree(a: &Path, b: &Path) {
    let files = |d: &Path| -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> = walkdir::WalkDir::new(d)
            .into_iter()
            .map(|e| e.unwrap())
            .filter(|e| e.file_type().is_file())
            .map(|e| e.path().strip_prefix(d).unwrap().to_path_buf())
            .collect();
        v.sort();
        v
    };
    let (fa, fb) = (files(a), files(b));
    assert_eq!(
        fa.len(),
        fb.len(),
        "{} and {} hold different files",
        a.display(),
        b.display()
    );
    for (x, y) in fa.iter().zip(&fb) {
        assert_eq!(x, y, "{} and {} hold different files", a.display(), b.display());
        assert!(
            std::fs::read(a.join(x)).unwrap() == std::fs::read(b.join(y)).unwrap(),
            "{} differs between the warm and the cold build",
            x.display()
        );
    }
}
