//! The read scopes a check may declare, the scope each endpoint needs, and the check of one against the other.

use super::*;

/// The read scopes a check may declare (Okta's names): a check never needs a `.manage` scope.
pub const SCOPES: &[&str] = &[
    "okta.agentPools.read",
    "okta.apiTokens.read",
    "okta.apps.read",
    "okta.appGrants.read",
    "okta.authenticators.read",
    "okta.authorizationServers.read",
    "okta.domains.read",
    "okta.emailDomains.read",
    "okta.eventHooks.read",
    "okta.groups.read",
    "okta.idps.read",
    "okta.inlineHooks.read",
    "okta.linkedObjects.read",
    "okta.logStreams.read",
    "okta.logs.read",
    "okta.networkZones.read",
    "okta.orgs.read",
    "okta.policies.read",
    "okta.roles.read",
    "okta.schemas.read",
    "okta.threatInsights.read",
    "okta.trustedOrigins.read",
    "okta.users.read",
];

/// The endpoints a check may read and the scope each needs, after `/api/v1/`: `{id}` is a value, a trailing `...`
/// any further segments (none included). The table is checked against the `security` blocks of Okta's spec
/// (`tests/fixtures/okta-spec/scopes.json`), endpoint by endpoint.
pub const ENDPOINT_SCOPES: &[(&str, &str)] = &[
    ("apps", "okta.apps.read"),
    ("apps/{id}", "okta.apps.read"),
    ("apps/{id}/users...", "okta.apps.read"),
    ("apps/{id}/groups...", "okta.apps.read"),
    ("apps/{id}/credentials/keys", "okta.apps.read"),
    ("apps/{id}/connections/default", "okta.apps.read"),
    ("apps/{id}/features...", "okta.apps.read"),
    ("apps/{id}/grants...", "okta.appGrants.read"),
    ("api-tokens...", "okta.apiTokens.read"),
    ("users", "okta.users.read"),
    ("users/{id}", "okta.users.read"),
    ("users/{id}/groups", "okta.users.read"),
    ("users/{id}/appLinks", "okta.users.read"),
    ("users/{id}/factors", "okta.users.read"),
    // Okta's spec gives this one no OAuth scope: an SSWS token only, so no check can read it.
    ("users/{id}/factors/questions", ""),
    ("users/{id}/factors/{id}", "okta.users.read"),
    ("users/{id}/roles...", "okta.roles.read"),
    ("groups", "okta.groups.read"),
    ("groups/{id}", "okta.groups.read"),
    ("groups/{id}/users", "okta.groups.read"),
    ("groups/{id}/apps", "okta.groups.read"),
    ("groups/{id}/roles...", "okta.roles.read"),
    ("authorizationServers...", "okta.authorizationServers.read"),
    ("authenticators...", "okta.authenticators.read"),
    ("logs", "okta.logs.read"),
    ("policies...", "okta.policies.read"),
    ("idps...", "okta.idps.read"),
    ("trustedOrigins...", "okta.trustedOrigins.read"),
    ("zones...", "okta.networkZones.read"),
    ("eventHooks...", "okta.eventHooks.read"),
    ("logStreams...", "okta.logStreams.read"),
    ("inlineHooks...", "okta.inlineHooks.read"),
    ("domains...", "okta.domains.read"),
    ("email-domains...", "okta.emailDomains.read"),
    ("agentPools...", "okta.agentPools.read"),
    ("threats/configuration", "okta.threatInsights.read"),
    ("iam/assignees/users", "okta.roles.read"),
    ("org", "okta.orgs.read"),
    ("meta/schemas/user/linkedObjects...", "okta.linkedObjects.read"),
    ("meta/schemas/user...", "okta.schemas.read"),
    ("meta/schemas/group...", "okta.schemas.read"),
    ("meta/schemas/apps...", "okta.schemas.read"),
];

/// Whether the segments after `/api/v1/` (`None` for a value) fit a pattern of [`ENDPOINT_SCOPES`].
fn fits(pattern: &str, segments: &[Option<&str>]) -> bool {
    let (pattern, open) = match pattern.strip_suffix("...") {
        Some(p) => (p, true),
        None => (pattern, false),
    };
    let parts: Vec<&str> = pattern.split('/').collect();
    if segments.len() < parts.len() || (!open && segments.len() != parts.len()) {
        return false;
    }
    parts.iter().zip(segments).all(|(p, s)| match (*p, s) {
        ("{id}", _) => true,
        (lit, Some(s)) => lit == *s,
        (_, None) => false,
    })
}

/// The scope an Okta endpoint needs, from its path: `Ok(None)` for the org's public metadata. A management API
/// path must name its resource literally (`/api/v1/users/...`), and only endpoints whose scope is known here can be
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
    if rest.is_empty() {
        return Err("the path names no resource".into());
    }
    match ENDPOINT_SCOPES.iter().find(|(p, _)| fits(p, rest)) {
        Some((p, "")) => Err(format!(
            "/api/v1/{p} has no OAuth scope in Okta's spec (SSWS tokens only), and a check must run with either \
             credential"
        )),
        Some((_, scope)) => Ok(Some(scope)),
        None => {
            let shown: Vec<&str> = rest.iter().map(|s| s.unwrap_or("{id}")).collect();
            Err(format!(
                "kb does not know which scope /api/v1/{} needs",
                shown.join("/")
            ))
        }
    }
}

/// The resources `required_scope` knows, for hints.
pub(super) const RESOURCES: &str = "apps (with users, groups, grants, credentials/keys), api-tokens, users (with \
                         roles, groups, appLinks, factors), groups (with users, apps, roles), authorizationServers, \
                         authenticators, logs, policies, idps, trustedOrigins, zones, eventHooks, inlineHooks, logStreams, \
                         domains, email-domains, agentPools, threats/configuration, iam/assignees/users, org, meta/schemas/{user,group,apps}";

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

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    /// What Okta's spec says each GET needs (`security`: the `oauth2` scopes), extracted by
    /// `tests/fixtures/okta-spec/extract.py`.
    fn spec() -> BTreeMap<String, Vec<String>> {
        serde_json::from_str(include_str!("../../../tests/fixtures/okta-spec/scopes.json")).unwrap()
    }

    /// A spec path as a check would write it: `{appId}` a value.
    fn as_path(spec_path: &str) -> PathTemplate {
        let written: Vec<String> = spec_path
            .split('/')
            .map(|s| {
                if s.starts_with('{') {
                    "{{ x }}".to_string()
                } else {
                    s.to_string()
                }
            })
            .collect();
        PathTemplate::parse(&written.join("/")).unwrap()
    }

    #[test]
    fn every_endpoint_kb_reads_needs_the_scope_okta_s_spec_names() {
        let spec = spec();
        let mut wrong = Vec::new();
        let mut read = 0;
        for (key, scopes) in &spec {
            let path = key.strip_prefix("GET ").unwrap();
            if PathTemplate::parse(
                &path
                    .split('/')
                    .map(|s| if s.starts_with('{') { "{{ x }}" } else { s })
                    .collect::<Vec<_>>()
                    .join("/"),
            )
            .is_err()
            {
                continue;
            }
            match required_scope(&as_path(path)) {
                Ok(Some(scope)) => {
                    read += 1;
                    if !scopes.iter().any(|s| s == scope) {
                        wrong.push(format!("{key}: kb asks for {scope}, the spec for {scopes:?}"));
                    }
                }
                Ok(None) if !scopes.is_empty() => {
                    wrong.push(format!("{key}: kb asks for no scope, the spec {scopes:?}"))
                }
                Ok(None) | Err(_) => {}
            }
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
        assert!(read > 50, "only {read} endpoints of the spec are readable");
    }

    #[test]
    fn every_pattern_of_the_table_is_an_endpoint_of_the_spec() {
        let spec = spec();
        for (pattern, scope) in ENDPOINT_SCOPES {
            let matched: Vec<&String> = spec
                .keys()
                .filter(|k| {
                    let rest: Vec<Option<&str>> = k
                        .trim_start_matches("GET /api/v1/")
                        .split('/')
                        .map(|s| (!s.starts_with('{')).then_some(s))
                        .collect();
                    k.starts_with("GET /api/v1/") && fits(pattern, &rest)
                })
                .collect();
            assert!(!matched.is_empty(), "{pattern} is no GET endpoint of Okta's spec");
            assert!(scope.is_empty() || SCOPES.contains(scope), "{scope}");
        }
    }
}
