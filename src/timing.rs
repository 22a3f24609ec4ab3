//! Time spent in parts of a build that run on every core at once (highlighting inside the Markdown phase,
//! templates and writes inside the pages phase), summed over threads. `KB_TIMINGS=1` prints them under the phases
//! they belong to, which is how the build benchmark breaks a build down.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

pub struct Counter(AtomicU64);

impl Counter {
    pub const fn new() -> Counter {
        Counter(AtomicU64::new(0))
    }

    /// Runs `f`, adding the time it took.
    pub fn time<T>(&self, f: impl FnOnce() -> T) -> T {
        let t = Instant::now();
        let out = f();
        self.0.fetch_add(t.elapsed().as_nanos() as u64, Ordering::Relaxed);
        out
    }

    /// The time so far, which starts again from zero.
    pub fn take(&self) -> Duration {
        Duration::from_nanos(self.0.swap(0, Ordering::Relaxed))
    }
}

impl Default for Counter {
    fn default() -> Self {
        Counter::new()
    }
}

/// Syntax highlighting of code blocks.
pub static HIGHLIGHTING: Counter = Counter::new();
/// Tera rendering pages.
pub static TEMPLATES: Counter = Counter::new();
/// Writing pages and files to the output.
pub static WRITING: Counter = Counter::new();

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_counter_sums_what_it_timed_and_starts_again() {
        let c = Counter::new();
        let v = c.time(|| {
            std::thread::sleep(Duration::from_millis(5));
            7
        });
        assert_eq!(v, 7);
        c.time(|| std::thread::sleep(Duration::from_millis(5)));
        let t = c.take();
        assert!(t >= Duration::from_millis(10), "{t:?}");
        assert_eq!(c.take(), Duration::ZERO);
    }
}
