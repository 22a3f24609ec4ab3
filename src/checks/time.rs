//! Facts about time: durations (`30d`, `-12h`, `90m`), RFC 3339 dates in answers, and "now", which is always the
//! org's clock, the `Date` header of the answer a value came from. The local clock is never read here.

use chrono::{DateTime, Duration, Utc};
use serde_json::Value;

use super::header;

/// The largest duration a check can write: a hundred years, so that `now + d` never overflows.
const MAX_DAYS: i64 = 36_500;

/// Parses `30d`, `12h`, `90m`, or one of these negated (`-90d`: in the past).
pub fn duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let (negative, rest) = match t.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let unit = rest.chars().last().unwrap_or(' ');
    let digits = &rest[..rest.len() - unit.len_utf8().min(rest.len())];
    let hint = "write a whole number and a unit: `30d` (days), `12h` (hours), `90m` (minutes), `-90d` for the past";
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) || !matches!(unit, 'd' | 'h' | 'm') {
        return Err(format!("`{text}` is not a duration: {hint}"));
    }
    let n: i64 = digits.parse().map_err(|_| format!("`{text}` is too long a duration"))?;
    let minutes = match unit {
        'd' => n.checked_mul(1440),
        'h' => n.checked_mul(60),
        _ => Some(n),
    }
    .filter(|m| *m <= MAX_DAYS * 1440)
    .ok_or_else(|| format!("`{text}` is longer than {MAX_DAYS} days"))?;
    let d = Duration::minutes(minutes);
    Ok(if negative { -d } else { d })
}

/// The org's clock as one answer tells it: its `Date` header, or why there is no reading.
pub fn clock(headers: &[(String, String)]) -> Result<DateTime<Utc>, String> {
    match header(headers, "date") {
        None => Err("the answer has no `Date` header".into()),
        Some(v) => DateTime::parse_from_rfc2822(v)
            .map(|d| d.with_timezone(&Utc))
            .map_err(|_| {
                format!(
                    "the answer's `Date` header is not a date: {}",
                    crate::text::snippet(v.as_bytes(), 60)
                )
            }),
    }
}

/// A date in an answer: RFC 3339, as Okta writes them in bodies (`2026-12-09T10:00:00.000Z`), or an HTTP date, as
/// in headers (`Wed, 09 Dec 2026 10:00:00 GMT`).
pub fn date(v: &Value) -> Option<DateTime<Utc>> {
    let s = v.as_str()?;
    DateTime::parse_from_rfc3339(s)
        .or_else(|_| DateTime::parse_from_rfc2822(s))
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

/// How far a moment is from now, in words, to the nearest unit: `in 8 days`, `3 hours ago`, `now`.
pub fn from_now(when: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let d = when - now;
    let (future, secs) = if d < Duration::zero() {
        (false, -d.num_seconds())
    } else {
        (true, d.num_seconds())
    };
    let nearest = |unit: i64| ((secs + unit / 2) / unit) as usize;
    let amount = if secs >= 86_400 - 1800 {
        crate::text::count(nearest(86_400), "day")
    } else if secs >= 3600 - 30 {
        crate::text::count(nearest(3600), "hour")
    } else if secs >= 60 {
        crate::text::count(nearest(60), "minute")
    } else {
        return "now".into();
    };
    if future {
        format!("in {amount}")
    } else {
        format!("{amount} ago")
    }
}

/// A duration from now in words, for messages: `30 days from now`, `90 days ago`.
pub fn offset_words(d: Duration) -> String {
    let minutes = d.num_minutes().abs();
    let amount = if minutes % 1440 == 0 {
        crate::text::count((minutes / 1440) as usize, "day")
    } else if minutes % 60 == 0 {
        crate::text::count((minutes / 60) as usize, "hour")
    } else {
        crate::text::count(minutes as usize, "minute")
    };
    match d.num_minutes() {
        0 => "now".into(),
        m if m > 0 => format!("{amount} from now"),
        _ => format!("{amount} ago"),
    }
}

/// An RFC 3339 timestamp to the second, for query values (`since=2026-12-01T10:20:00Z`).
pub fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(duration("30d").unwrap(), Duration::days(30));
        assert_eq!(duration("-90d").unwrap(), -Duration::days(90));
        assert_eq!(duration("12h").unwrap(), Duration::hours(12));
        assert_eq!(duration("90m").unwrap(), Duration::minutes(90));
        assert_eq!(duration("0d").unwrap(), Duration::zero());
        for bad in [
            "",
            "d",
            "30",
            "30 d",
            "30D",
            "1.5d",
            "30s",
            "3w",
            "--1d",
            "99999999999999999999d",
            "40000d",
            "٣d",
        ] {
            assert!(duration(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_clock_is_the_date_header_only() {
        let h = |v: &str| vec![("date".to_string(), v.to_string())];
        let t = clock(&h("Wed, 02 Dec 2026 08:00:00 GMT")).unwrap();
        assert_eq!(stamp(t), "2026-12-02T08:00:00Z");
        assert!(clock(&h("yesterday")).unwrap_err().contains("not a date"));
        assert!(clock(&[]).unwrap_err().contains("no `Date`"));
    }

    #[test]
    fn moments_in_words() {
        let now = DateTime::parse_from_rfc3339("2026-12-01T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let at = |s: &str| date(&Value::from(s)).unwrap();
        assert_eq!(from_now(at("2026-12-09T10:00:00.000Z"), now), "in 8 days");
        assert_eq!(from_now(at("2026-11-30T21:00:00Z"), now), "3 hours ago");
        assert_eq!(from_now(at("2026-12-01T00:00:20Z"), now), "now");
        // A second either side of a whole day is that day.
        assert_eq!(from_now(at("2026-12-08T23:59:59Z"), now), "in 8 days");
        assert_eq!(from_now(at("2026-11-28T00:00:01Z"), now), "3 days ago");
        assert_eq!(offset_words(Duration::days(30)), "30 days from now");
        assert_eq!(offset_words(-Duration::days(1)), "1 day ago");
        assert!(date(&Value::from("2026-13-01T00:00:00Z")).is_none());
        assert_eq!(
            date(&Value::from("Wed, 09 Dec 2026 10:00:00 GMT")),
            date(&Value::from("2026-12-09T10:00:00Z"))
        );
        assert!(date(&Value::from(12)).is_none());
    }
}
