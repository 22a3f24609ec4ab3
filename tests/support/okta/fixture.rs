//! Org fixtures: TOML data files under `tests/fixtures/orgs/`. A file may extend another (`extends = "healthy"`):
//! tables merge key by key, other values replace, and `remove = ["apps.portal", ...]` deletes dotted keys after
//! the merge. An article's broken org is `tests/fixtures/orgs/broken/<slug>.toml`. Endpoints without a typed table
//! are served from `[resources.KEY]` (see `resources.rs`), validated against Okta's spec by `okta_spec.rs`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

pub fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/orgs")
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fixture {
    #[serde(default)]
    pub org: OrgSettings,
    /// The `--var` values a run against this org uses.
    #[serde(default)]
    pub vars: BTreeMap<String, String>,
    #[serde(default)]
    pub users: BTreeMap<String, User>,
    #[serde(default)]
    pub groups: BTreeMap<String, Group>,
    #[serde(default)]
    pub apps: BTreeMap<String, App>,
    #[serde(default)]
    pub api_tokens: BTreeMap<String, ApiToken>,
    #[serde(default)]
    pub event_hooks: BTreeMap<String, EventHook>,
    #[serde(default)]
    pub group_rules: BTreeMap<String, GroupRule>,
    #[serde(default)]
    pub domains: BTreeMap<String, Domain>,
    #[serde(default)]
    pub log_streams: BTreeMap<String, LogStream>,
    #[serde(default)]
    pub authenticators: BTreeMap<String, Authenticator>,
    #[serde(default)]
    pub idp_keys: BTreeMap<String, IdpKey>,
    /// Articles that do not apply to this org (the orgs harness expects `skip` of them, not `pass`): an org
    /// without a feature that other articles' checks read.
    #[serde(default)]
    pub skips: Vec<String>,
    /// Objects of the endpoints without a table of their own (see `resources.rs`).
    #[serde(default)]
    pub resources: BTreeMap<String, Resource>,
}

impl Fixture {
    /// Every person's value the org serves: its users' logins (and their local parts), names, display names and
    /// phone numbers, and its resources' people (a log event's actor: `alternateId`, `displayName`, and every
    /// `ipAddress`). What a redacted snapshot must not hold.
    pub fn people(&self) -> Vec<String> {
        let mut out = Vec::new();
        for u in self.users.values() {
            out.extend([u.login.clone(), u.first_name.clone(), u.last_name.clone()]);
            out.push(format!("{} {}", u.first_name, u.last_name));
            out.extend(u.mobile_phone.clone());
            out.push(u.login.split('@').next().unwrap_or_default().to_string());
        }
        fn walk(v: &toml::Value, out: &mut Vec<String>) {
            match v {
                toml::Value::Table(t) => {
                    let person = t.get("type").and_then(|t| t.as_str()) == Some("User");
                    for (k, v) in t {
                        match (k.as_str(), v.as_str()) {
                            ("ipAddress", Some(s)) => out.push(s.to_string()),
                            ("alternateId" | "displayName", Some(s)) if person => out.push(s.to_string()),
                            _ => walk(v, out),
                        }
                    }
                }
                toml::Value::Array(a) => a.iter().for_each(|v| walk(v, out)),
                _ => {}
            }
        }
        for r in self.resources.values() {
            walk(&toml::Value::Table(r.body.clone()), &mut out);
        }
        out.sort();
        out.dedup();
        out
    }
}

/// A generic resource: an item of the list endpoint `list`, in the spec's shape.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Resource {
    /// The list endpoint's path (`/api/v1/agentPools`).
    pub list: String,
    /// Query values a list request must carry for it to be listed (`type = "PASSWORD"`).
    #[serde(default)]
    pub query: BTreeMap<String, String>,
    /// The object, as the spec shapes it.
    pub body: toml::Table,
}

/// An IdP key credential (`GET /api/v1/idps/credentials/keys`): a certificate Okta verifies an IdP's signatures with.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdpKey {
    pub kid: String,
    /// When it expires, in days from the org's now.
    pub expires_in_days: i64,
}

/// An event hook (`GET /api/v1/eventHooks`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventHook {
    pub id: String,
    pub name: String,
    #[serde(default = "active")]
    pub status: String,
    /// `VERIFIED` or `UNVERIFIED`.
    pub verification_status: String,
    pub uri: String,
}

/// A group rule (`GET /api/v1/groups/rules`): `ACTIVE`, `INACTIVE` or `INVALID`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupRule {
    pub id: String,
    pub name: String,
    #[serde(default = "active")]
    pub status: String,
    pub expression: String,
    /// Group keys the rule assigns users to.
    pub groups: Vec<String>,
}

/// A custom URL domain (`GET /api/v1/domains`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Domain {
    pub id: String,
    pub domain: String,
    /// `NOT_STARTED`, `IN_PROGRESS`, `VERIFIED`, `COMPLETED`.
    pub validation_status: String,
    /// When its TLS certificate expires, in days from the org's now.
    #[serde(default = "domain_cert_days")]
    pub cert_expires_in_days: i64,
    /// `OKTA_MANAGED` or `MANUAL`.
    #[serde(default = "okta_managed")]
    pub certificate_source_type: String,
}

fn domain_cert_days() -> i64 {
    300
}
fn okta_managed() -> String {
    "OKTA_MANAGED".into()
}

/// A log stream (`GET /api/v1/logStreams`), to AWS EventBridge.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogStream {
    pub id: String,
    pub name: String,
    #[serde(default = "active")]
    pub status: String,
}

/// An authenticator (`GET /api/v1/authenticators`), by its key (`phone_number`, `okta_verify`, ...).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Authenticator {
    pub id: String,
    pub key: String,
    pub name: String,
    #[serde(default = "active")]
    pub status: String,
}

/// An API token's metadata (`GET /api/v1/api-tokens`); its secret is never part of it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiToken {
    pub id: String,
    pub name: String,
    /// The owner's user key.
    pub user: String,
    /// When it expires, in days from the org's now (a token lasts 30 days from its last use).
    #[serde(default = "token_days")]
    pub expires_in_days: i64,
}

fn token_days() -> i64 {
    29
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrgSettings {
    /// The user key whose SSWS token the tests use (`me`).
    pub owner: String,
    #[serde(default = "yes")]
    pub api_access_management: bool,
    /// The issuer the metadata names; `{origin}` is the fake's own origin.
    #[serde(default = "origin")]
    pub issuer: String,
    /// Items per page of a list, whatever `limit` asks (Okta's pages are up to 200; small pages test paging).
    #[serde(default = "page_size")]
    pub page_size: usize,
    /// Requests per endpoint group per window.
    #[serde(default = "rate_limit")]
    pub rate_limit: u64,
    /// The rate-limit window in seconds (Okta's is a minute).
    #[serde(default = "rate_window")]
    pub rate_window: u64,
    /// The org's clock, in days ahead of the local one (negative: behind): every `Date` and every date in an
    /// answer is on it.
    #[serde(default)]
    pub clock_offset_days: i64,
}

impl Default for OrgSettings {
    fn default() -> OrgSettings {
        OrgSettings {
            owner: String::new(),
            api_access_management: true,
            issuer: origin(),
            page_size: page_size(),
            rate_limit: rate_limit(),
            rate_window: rate_window(),
            clock_offset_days: 0,
        }
    }
}

fn yes() -> bool {
    true
}
fn origin() -> String {
    "{origin}".into()
}
fn page_size() -> usize {
    2
}
fn rate_window() -> u64 {
    60
}
fn rate_limit() -> u64 {
    600
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct User {
    pub id: String,
    pub login: String,
    pub first_name: String,
    pub last_name: String,
    /// `profile.mobilePhone`.
    pub mobile_phone: Option<String>,
    #[serde(default = "active")]
    pub status: String,
    #[serde(default)]
    pub roles: Vec<String>,
    /// When the status last changed, in days before the org's now.
    #[serde(default = "one")]
    pub status_changed_days_ago: i64,
    /// The credential provider's type (`credentials.provider.type`): `OKTA`, `ACTIVE_DIRECTORY`, `LDAP`, ...
    #[serde(default = "okta")]
    pub provider: String,
    /// Its name; the type's by default.
    pub provider_name: Option<String>,
}

fn one() -> i64 {
    1
}
fn okta() -> String {
    "OKTA".into()
}

fn active() -> String {
    "ACTIVE".into()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Group {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub members: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct App {
    pub id: String,
    pub name: String,
    pub label: String,
    #[serde(default = "active")]
    pub status: String,
    /// `OPENID_CONNECT`, `SAML_2_0`, ...
    pub sign_on_mode: String,
    /// User keys assigned directly.
    #[serde(default)]
    pub users: Vec<String>,
    /// Group keys assigned.
    #[serde(default)]
    pub groups: Vec<String>,
    /// Okta API scope grants: scope → ACTIVE or REVOKED.
    #[serde(default)]
    pub grants: BTreeMap<String, String>,
    /// OIDC settings (`settings.oauthClient`).
    pub application_type: Option<String>,
    #[serde(default)]
    pub grant_types: Vec<String>,
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    /// A service app the tests sign in as: its admin roles, and whether its tokens must be DPoP-bound.
    #[serde(default)]
    pub admin_roles: Vec<String>,
    #[serde(default)]
    pub dpop: bool,
    /// When the key the app signs with expires, in days from the org's now.
    #[serde(default = "cert_days")]
    pub cert_expires_in_days: i64,
}

fn cert_days() -> i64 {
    700
}

/// Loads `name` (a path under `tests/fixtures/orgs/` without `.toml`), following `extends`.
pub fn load(name: &str) -> Fixture {
    let table = load_table(&dir(), name);
    table.try_into().unwrap_or_else(|e| panic!("org fixture {name}: {e}"))
}

fn load_table(dir: &Path, name: &str) -> toml::Table {
    let path = dir.join(format!("{name}.toml"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut table: toml::Table = toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let base = table.remove("extends");
    let remove = table.remove("remove");
    if let Some(base) = base {
        let mut merged = load_table(dir, base.as_str().expect("extends is a fixture name"));
        merge(&mut merged, table);
        table = merged;
    }
    for key in remove.iter().flat_map(|r| r.as_array().expect("remove is a list")) {
        let parts: Vec<&str> = key.as_str().expect("remove holds dotted keys").split('.').collect();
        let (last, path) = parts.split_last().unwrap();
        let mut t = &mut table;
        for p in path {
            t = t
                .get_mut(*p)
                .and_then(|v| v.as_table_mut())
                .unwrap_or_else(|| panic!("{name}: no {key}"));
        }
        assert!(t.remove(*last).is_some(), "{name}: remove {key}: no such key");
    }
    table
}

fn merge(into: &mut toml::Table, from: toml::Table) {
    for (k, v) in from {
        match (into.get_mut(&k), v) {
            (Some(toml::Value::Table(a)), toml::Value::Table(b)) => merge(a, b),
            (_, v) => {
                into.insert(k, v);
            }
        }
    }
}

/// Every broken org, by article slug.
pub fn broken() -> Vec<String> {
    let root = dir().join("broken");
    let mut slugs: Vec<String> = walkdir::WalkDir::new(&root)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "toml"))
        .map(|e| {
            let rel = e.path().strip_prefix(&root).unwrap().with_extension("");
            rel.to_string_lossy().replace('\\', "/")
        })
        .collect();
    slugs.sort();
    slugs
}
