//! The read scopes a check may declare, the scope each endpoint needs, and the check of one against the other.

use super::*;

/// The read scopes a check may declare (Okta's names): a check never needs a `.manage` scope.
pub const SCOPES: &[&str] = &[
    "okta.apps.read",
    "okta.appGrants.read",
    "okta.authenticators.read",
    "okta.authorizationServers.read",
    "okta.domains.read",
    "okta.eventHooks.read",
    "okta.groups.read",
    "okta.idps.read",
    "okta.inlineHooks.read",
    "okta.logs.read",
    "okta.networkZones.read",
    "okta.orgs.read",
    "okta.policies.read",
    "okta.roles.read",
    "okta.schemas.read",
    "okta.trustedOrigins.read",
    "okta.users.read",
];

/// The scope an Okta endpoint needs, from its path: `Ok(None)` for the org's public metadata. A management API
/// path must name its resource literally (`/api/v1/users/...`), and only resources whose scope is known here can be
/// read, so that a definition's `scopes` (and `kb scopes`) can always be checked against its requests.
pub fn required_scope(path: &PathTemplate) -> Result<Option<&'static str>, String> {
    use crate::checks::path::Segment;
    let lits: Vec<Option<&str>> = path
        .segments
        .iter()
        .map(|s| match s {
            Segment::Literal(l) => Some(l.as_str()),
            Segment::Value(_) => None,
        })
        .collect();
    if lits.first() != Some(&Some("api")) {
        return Ok(None);
    }
    let rest = &lits[2..];
    // Names of resources and sub-resources (`apps`, `users` in `/apps/{id}/users/{id}`) are written literally.
    if let Some(i) = (0..rest.len()).step_by(2).find(|&i| rest[i].is_none()) {
        let what = if i == 0 {
            "the resource after /api/v1/"
        } else {
            "a sub-resource's name"
        };
        return Err(format!("{what} must be written literally, not as a value"));
    }
    let scope = match rest {
        [Some("apps")] | [Some("apps"), _] => "okta.apps.read",
        [Some("apps"), _, Some("users" | "groups"), ..] => "okta.apps.read",
        [Some("apps"), _, Some("grants"), ..] => "okta.appGrants.read",
        [Some("users")] | [Some("users"), _] => "okta.users.read",
        [Some("users"), _, Some("groups" | "appLinks" | "factors"), ..] => "okta.users.read",
        [Some("users"), _, Some("roles"), ..] => "okta.roles.read",
        [Some("groups")] | [Some("groups"), _] => "okta.groups.read",
        [Some("groups"), _, Some("users" | "apps"), ..] => "okta.groups.read",
        [Some("groups"), _, Some("roles"), ..] => "okta.roles.read",
        [Some("authorizationServers"), ..] => "okta.authorizationServers.read",
        [Some("authenticators"), ..] => "okta.authenticators.read",
        [Some("logs")] => "okta.logs.read",
        [Some("policies"), ..] => "okta.policies.read",
        [Some("idps"), ..] => "okta.idps.read",
        [Some("trustedOrigins"), ..] => "okta.trustedOrigins.read",
        [Some("zones"), ..] => "okta.networkZones.read",
        [Some("eventHooks"), ..] => "okta.eventHooks.read",
        [Some("inlineHooks"), ..] => "okta.inlineHooks.read",
        [Some("domains"), ..] => "okta.domains.read",
        [Some("org")] => "okta.orgs.read",
        [Some("meta"), Some("schemas"), Some("user" | "group" | "apps"), ..] => "okta.schemas.read",
        [] => return Err("the path names no resource".into()),
        _ => {
            let shown: Vec<&str> = rest.iter().map(|s| s.unwrap_or("{id}")).collect();
            return Err(format!(
                "kb does not know which scope /api/v1/{} needs",
                shown.join("/")
            ));
        }
    };
    Ok(Some(scope))
}

/// The resources `required_scope` knows, for hints.
pub(super) const RESOURCES: &str = "apps (with users, groups, grants), users (with roles, groups, appLinks, factors), groups \
                         (with users, apps, roles), authorizationServers, authenticators, logs, policies, idps, \
                         trustedOrigins, zones, eventHooks, inlineHooks, domains, org, meta/schemas/{user,group,apps}";

impl Ctx<'_> {
    pub(super) fn scopes(&mut self, node: &Node) -> Vec<String> {
        let Some(items) = node.as_array() else {
            self.error(
                node.span.clone(),
                format!("`scopes` must be an array, not {}", node.type_name()),
                "write `scopes = [\"okta.apps.read\"]`",
            );
            return Vec::new();
        };
        let mut out = Vec::new();
        for item in items {
            let Some(s) = self.string(item, "a scope") else {
                continue;
            };
            if SCOPES.contains(&s.as_str()) {
                out.push(s);
                continue;
            }
            let hint = if s.ends_with(".manage") {
                format!(
                    "checks are read-only: ask for `{}`",
                    s.trim_end_matches(".manage").to_string() + ".read"
                )
            } else {
                match did_you_mean(&s, SCOPES.iter().copied()) {
                    Some(m) => format!("did you mean `{m}`?"),
                    None => format!("the read scopes are: {}", SCOPES.join(", ")),
                }
            };
            let message = if s.ends_with(".manage") {
                format!("`{s}` is a write scope")
            } else {
                format!("unknown scope `{s}`")
            };
            self.error(item.span.clone(), message, hint);
        }
        out
    }

    /// Declared scopes that no request needs are errors too: `kb scopes` must not ask for more than is read.
    pub(super) fn unused_scopes(&mut self, node: Option<&Node>, used: &[String]) {
        for item in node.and_then(Node::as_array).unwrap_or_default() {
            if let Some(s) = item.as_str()
                && SCOPES.contains(&s)
                && !used.iter().any(|u| u == s)
            {
                self.error(
                    item.span.clone(),
                    format!("`{s}` is declared but no request needs it"),
                    "remove it: `kb scopes` asks admins to grant exactly what the checks read",
                );
            }
        }
    }
}
