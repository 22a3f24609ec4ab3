//! Runs a command under GNU time (`/usr/bin/time -v`) for the benchmarks: its wall time, its peak resident memory
//! (the largest of the process and the children it waited for), and what it printed.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

pub struct Measured {
    /// The command's exit code.
    pub code: i32,
    pub wall: Duration,
    /// User and system time of the process and the children it waited for: the work done, whatever the disk did.
    pub cpu: Duration,
    pub peak_rss_kb: u64,
    pub stdout: String,
    pub stderr: String,
}

/// Where GNU time is; the benchmarks need it.
const TIME: &str = "/usr/bin/time";

/// Runs `program args` in `dir` with `env`, after a `sync` so that writes a previous run left to the kernel do
/// not slow this one down. Panics, with what the command printed, if it exits with another code than `expect`.
pub fn run(dir: &Path, program: &Path, args: &[&str], env: &[(&str, &str)], expect: i32) -> Measured {
    assert!(
        Path::new(TIME).exists(),
        "{TIME} is missing: install GNU time (Debian package `time`)"
    );
    let _ = Command::new("sync").status();
    let started = Instant::now();
    let out = Command::new(TIME)
        .arg("-v")
        .arg(program)
        .args(args)
        .current_dir(dir)
        .envs(env.iter().copied())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", program.display()));
    let wall = started.elapsed();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let code = out.status.code().unwrap_or(-1);
    assert_eq!(
        code,
        expect,
        "{} {} exited with {code}:\n{stdout}\n{stderr}",
        program.display(),
        args.join(" ")
    );
    let peak_rss_kb = stderr
        .lines()
        .find_map(|l| l.trim().strip_prefix("Maximum resident set size (kbytes): "))
        .and_then(|v| v.trim().parse().ok())
        .expect("GNU time reports the peak memory");
    let seconds = |label: &str| {
        stderr
            .lines()
            .find_map(|l| l.trim().strip_prefix(label))
            .and_then(|v| v.trim().parse::<f64>().ok())
            .expect("GNU time reports user and system time")
    };
    let cpu = Duration::from_secs_f64(seconds("User time (seconds): ") + seconds("System time (seconds): "));
    Measured {
        code,
        wall,
        cpu,
        peak_rss_kb,
        stdout,
        stderr,
    }
}

/// `KB_TIMINGS=1` lines from kb's stderr: (phase, time), sub-phases named with a leading `  `.
pub fn phases(stderr: &str) -> Vec<(String, String)> {
    stderr
        .lines()
        .take_while(|l| !l.trim_start().starts_with("Command being timed"))
        .filter(|l| l.starts_with("  "))
        .filter_map(|l| {
            let sub = l.starts_with("    ");
            let mut parts = l.split_whitespace();
            let name = parts.next()?;
            let time = parts.next()?;
            Some((format!("{}{name}", if sub { "  " } else { "" }), time.to_string()))
        })
        .collect()
}

/// Bytes and files under `dir`.
pub fn dir_size(dir: &Path) -> (u64, usize) {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .fold((0, 0), |(bytes, files), e| {
            (bytes + e.metadata().map_or(0, |m| m.len()), files + 1)
        })
}

pub fn mb(kb: u64) -> String {
    format!("{:.0} MB", kb as f64 / 1024.0)
}
