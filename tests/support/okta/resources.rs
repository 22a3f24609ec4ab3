//! Generic resources of an org fixture (`[resources.KEY]`): objects in the spec's shapes for the endpoints the fake
//! has no typed table for. Each is an item of its `list` endpoint, listed in key order and in pages, only when the
//! request carries the resource's `query` values, and served alone at `list/{id}` when it has an `id`. A string
//! `"{now+20d}"` (`d`, `h` or `m`, signed) anywhere in a body is a date on the org's clock.

use axum::response::Response;
use serde_json::Value;

use super::routes::{limit, paged};
use super::{Req, State, json_response};

/// The answer of the org's resources to `req`, if its path is one of theirs.
pub(super) fn answer(state: &State, req: &Req) -> Option<Response> {
    let resources = &state.org.resources;
    let path = req.path.as_str();
    if resources.values().any(|r| r.list == path) {
        let limit = match limit(req) {
            Ok(n) => n,
            Err(r) => return Some(*r),
        };
        let items: Vec<(String, Value)> = resources
            .iter()
            .filter(|(_, r)| r.list == path && r.query.iter().all(|(k, v)| req.q(k) == Some(v.as_str())))
            .map(|(key, r)| (key.clone(), body(state, &r.body)))
            .collect();
        return Some(paged(state, req, path, limit, items));
    }
    let (parent, id) = path.rsplit_once('/')?;
    let r = resources
        .values()
        .find(|r| r.list == parent && r.body.get("id").and_then(|v| v.as_str()) == Some(id))?;
    Some(json_response(200, &body(state, &r.body)))
}

/// A resource's body as JSON, its `{now...}` strings replaced by dates.
pub fn body(state: &State, table: &toml::Table) -> Value {
    let mut v = serde_json::to_value(table).expect("a TOML table is JSON");
    dates(state, &mut v);
    v
}

fn dates(state: &State, v: &mut Value) {
    match v {
        Value::String(s) => {
            if let Some(secs) = offset(s) {
                *s = state.seconds_from_now(secs);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|x| dates(state, x)),
        Value::Object(map) => map.values_mut().for_each(|x| dates(state, x)),
        _ => {}
    }
}

/// `{now+20d}` → seconds from now.
fn offset(s: &str) -> Option<i64> {
    let inner = s.strip_prefix("{now")?.strip_suffix('}')?;
    let unit = match inner.chars().last()? {
        'd' => 86_400,
        'h' => 3_600,
        'm' => 60,
        _ => return None,
    };
    let n: i64 = inner[..inner.len() - 1].parse().ok()?;
    Some(n * unit)
}

#[cfg(test)]
mod tests {
    #[test]
    fn offsets() {
        assert_eq!(super::offset("{now+20d}"), Some(20 * 86_400));
        assert_eq!(super::offset("{now-3h}"), Some(-3 * 3_600));
        assert_eq!(super::offset("{now-10m}"), Some(-600));
        assert_eq!(super::offset("{now}"), None);
        assert_eq!(super::offset("now+2d"), None);
    }
}
