//! Rate limits per endpoint group, from `X-Rate-Limit-Limit`, `-Remaining` and `-Reset`. The reset is an epoch
//! second on the org's clock, so the wait is computed against the response's `Date`, not the local clock.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::time::Instant;

use crate::checks::header;

/// The org's clock, from an answer's `Date` header (RFC 2822, whole seconds): what rate-limit resets (epoch
/// seconds on that clock) are measured against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clock {
    /// Epoch seconds.
    Read(u64),
    Missing,
    Unreadable,
}

impl Clock {
    pub fn of(headers: &[(String, String)]) -> Clock {
        match header(headers, "date") {
            None => Clock::Missing,
            Some(v) => chrono::DateTime::parse_from_rfc2822(v)
                .map_or(Clock::Unreadable, |d| Clock::Read(d.timestamp().max(0) as u64)),
        }
    }

    /// What the request log notes of it: nothing for a clock read.
    pub fn note(self) -> Option<&'static str> {
        match self {
            Clock::Read(_) => None,
            Clock::Missing => Some("missing"),
            Clock::Unreadable => Some("unreadable"),
        }
    }
}

/// How long a request waits for its group's first answer before it goes without knowing the limit.
pub const PROBE_WAIT: Duration = Duration::from_secs(1);

#[derive(Debug)]
struct Group {
    /// `None` until a response has said; `Some(u64::MAX)` once a response came without limits.
    limit: Option<u64>,
    /// While the limit is unknown, one request goes first to learn it; the others wait for its answer.
    probing: bool,
    remaining: u64,
    /// When the window resets, on the local clock.
    reset: Instant,
    in_flight: u64,
}

enum Wait<'a> {
    Probe(tokio::sync::futures::Notified<'a>),
    For(Duration),
}

pub struct RateLimits {
    share: f64,
    groups: Mutex<HashMap<String, Group>>,
    /// How many times a request waited for a window to reset.
    waits: AtomicU64,
    learned: tokio::sync::Notify,
}

impl RateLimits {
    pub fn new(share: f64) -> RateLimits {
        RateLimits {
            share: share.clamp(0.01, 1.0),
            groups: Mutex::new(HashMap::new()),
            waits: AtomicU64::new(0),
            learned: tokio::sync::Notify::new(),
        }
    }

    /// Waits until a request of `group` fits in its share of the window, and counts it as in flight. While a
    /// group's first request (the probe) is out, the others wait for its answer, but no longer than
    /// [`PROBE_WAIT`]: an org that answers slowly, or not at all, must not make every request wait for the one
    /// before it to time out.
    pub async fn acquire(&self, group: &str) {
        let mut waited_for_probe = false;
        loop {
            let wait = {
                let mut groups = self.groups.lock().unwrap();
                let g = groups.entry(group.to_string()).or_insert_with(|| Group {
                    limit: None,
                    probing: false,
                    remaining: 0,
                    reset: Instant::now(),
                    in_flight: 0,
                });
                match g.limit {
                    None if !g.probing => {
                        g.probing = true;
                        g.in_flight += 1;
                        return;
                    }
                    None if waited_for_probe => {
                        g.in_flight += 1;
                        return;
                    }
                    // Registered before the lock is released, so the probe's answer cannot be missed.
                    None => Wait::Probe(self.learned.notified()),
                    Some(u64::MAX) => {
                        g.in_flight += 1;
                        return;
                    }
                    Some(limit) => {
                        let now = Instant::now();
                        if now >= g.reset {
                            // A new window: assume it is full again until a response says otherwise.
                            g.remaining = limit;
                            g.reset = now + Duration::from_secs(60);
                        }
                        let budget = ((limit as f64 * self.share).floor() as u64).max(1);
                        let used = limit.saturating_sub(g.remaining) + g.in_flight;
                        if used < budget {
                            g.in_flight += 1;
                            return;
                        }
                        Wait::For(g.reset - now)
                    }
                }
            };
            match wait {
                Wait::Probe(learned) => {
                    if tokio::time::timeout(PROBE_WAIT, learned).await.is_err() {
                        waited_for_probe = true;
                    }
                }
                Wait::For(d) => {
                    self.waits.fetch_add(1, Ordering::Relaxed);
                    tokio::time::sleep(d).await;
                }
            }
        }
    }

    /// Ends a request of `group`, learning from its answer's headers (lowercase names) and the org's clock read
    /// from them. Returns how long until the window resets, when the headers say.
    pub fn release(&self, group: &str, answer: Option<(&[(String, String)], Clock)>) -> Option<Duration> {
        let mut groups = self.groups.lock().unwrap();
        let g = groups.get_mut(group)?;
        g.in_flight = g.in_flight.saturating_sub(1);
        if g.probing {
            g.probing = false;
            if g.limit.is_none() {
                // An answer without rate-limit headers, or none at all: this group is not limited until an answer
                // says otherwise (else every request would probe in turn, each waiting for the one before).
                g.limit = Some(u64::MAX);
            }
            self.learned.notify_waiters();
        }
        let (headers, clock) = answer?;
        let get = |name: &str| header(headers, name).and_then(|v| v.trim().parse::<u64>().ok());
        let (Some(limit), Some(remaining), Some(reset)) = (
            get("x-rate-limit-limit"),
            get("x-rate-limit-remaining"),
            get("x-rate-limit-reset"),
        ) else {
            return None;
        };
        let now = match clock {
            Clock::Read(t) => t,
            Clock::Missing | Clock::Unreadable => chrono::Utc::now().timestamp().max(0) as u64,
        };
        // `Date` has whole seconds: a reset in the same second is up to a second away.
        let wait = Duration::from_secs(reset.saturating_sub(now).max(1));
        let reset_at = Instant::now() + wait;
        let same_window = g.limit.is_some() && reset_at <= g.reset + Duration::from_secs(1);
        g.remaining = if same_window {
            g.remaining.min(remaining)
        } else {
            remaining
        };
        g.limit = Some(limit);
        g.reset = reset_at;
        Some(wait)
    }

    /// How many times a request waited for a window to reset.
    pub fn waits(&self) -> u64 {
        self.waits.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(limit: u64, remaining: u64, reset_in: u64) -> Vec<(String, String)> {
        let now = chrono::Utc::now();
        vec![
            ("x-rate-limit-limit".into(), limit.to_string()),
            ("x-rate-limit-remaining".into(), remaining.to_string()),
            (
                "x-rate-limit-reset".into(),
                (now.timestamp() as u64 + reset_in).to_string(),
            ),
            ("date".into(), now.to_rfc2822()),
        ]
    }

    #[test]
    fn the_orgs_clock_is_read_from_date_or_noted() {
        let date = |v: &str| vec![("date".to_string(), v.to_string())];
        assert_eq!(
            Clock::of(&date("Wed, 02 Dec 2026 08:00:00 GMT")),
            Clock::Read(1_796_198_400)
        );
        assert_eq!(Clock::of(&date("Tuesday-ish")), Clock::Unreadable);
        assert_eq!(Clock::of(&[]), Clock::Missing);
        assert_eq!(Clock::Unreadable.note(), Some("unreadable"));
        assert_eq!(Clock::Read(0).note(), None);
    }

    #[tokio::test(start_paused = true)]
    async fn a_slow_probe_holds_the_others_back_for_a_second_at_most() {
        let limits = RateLimits::new(0.5);
        limits.acquire("/api/v1/apps").await;
        let t = tokio::time::Instant::now();
        // The probe has not answered: the next request waits for it, then goes without it.
        limits.acquire("/api/v1/apps").await;
        assert_eq!(t.elapsed(), PROBE_WAIT);
        // The probe failed without an answer: the group is not held back until an answer says otherwise.
        limits.release("/api/v1/apps", None);
        let t = tokio::time::Instant::now();
        limits.acquire("/api/v1/apps").await;
        assert_eq!(t.elapsed(), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn waits_for_the_reset_once_its_share_is_used() {
        let limits = RateLimits::new(0.5);
        limits.acquire("/api/v1/apps").await;
        // 10 per window, 6 left: 4 used of a budget of 5, so one more may go now and the next waits.
        let h = headers(10, 6, 2);
        assert_eq!(
            limits.release("/api/v1/apps", Some((&h, Clock::of(&h)))),
            Some(Duration::from_secs(2))
        );
        let t = tokio::time::Instant::now();
        limits.acquire("/api/v1/apps").await;
        assert_eq!(t.elapsed(), Duration::ZERO);
        limits.acquire("/api/v1/apps").await;
        assert!(t.elapsed() >= Duration::from_secs(2), "{:?}", t.elapsed());
        assert_eq!(limits.waits(), 1);
        // Another group is not held back.
        let t = tokio::time::Instant::now();
        limits.acquire("/api/v1/users/*").await;
        assert_eq!(t.elapsed(), Duration::ZERO);
    }
}
