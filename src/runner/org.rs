//! Which org a run talks to and with which credential: a `[orgs.NAME]` profile of kb.toml, or `--org-url`, plus
//! `--var` values. Secrets are read from the environment or a key file, never from kb.toml, and are held in
//! [`Secret`], whose `Debug` prints nothing.

use std::fmt;
use std::path::PathBuf;

use serde_json::{Map, Value};
use url::Url;

use crate::config::{CONFIG_FILE, Config};
use crate::diag::{Diagnostic, did_you_mean};

/// The environment variable an SSWS token is read from unless a profile names another.
pub const TOKEN_ENV: &str = "OKTA_API_TOKEN";

/// A secret value: it can be used, never shown.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Secret {
        Secret(s.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(..)")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dpop {
    /// Use DPoP when the token endpoint asks for it.
    Auto,
    Always,
    Never,
}

#[derive(Debug, Clone)]
pub enum Credential {
    /// `Authorization: SSWS <token>`.
    Ssws(Secret),
    /// An OAuth 2.0 service app: client credentials with `private_key_jwt`.
    OAuth {
        client_id: String,
        /// The PEM of the app's private key.
        key: Secret,
        key_id: Option<String>,
        dpop: Dpop,
        /// Scopes to ask for; by default those the selected checks declare.
        scopes: Option<Vec<String>>,
    },
}

/// The org a run reads.
#[derive(Debug, Clone)]
pub struct Org {
    /// The profile's name, or the host for `--org-url`.
    pub name: String,
    /// The org's origin.
    pub url: Url,
    /// `None` only for a plan (`--plan`), which needs no secret.
    pub credential: Option<Credential>,
    /// The profile's `vars`, then `--var` values.
    pub vars: Map<String, Value>,
    /// The Admin Console's origin, for findings' links (see [`Profile::admin_url`]).
    pub admin_url: Option<Url>,
    /// Said before the run (e.g. an `-admin` host).
    pub warnings: Vec<String>,
    /// The credential in words, without its secret: for the plan.
    pub credential_kind: String,
}

/// What the command line says about the org.
#[derive(Debug, Default, Clone)]
pub struct OrgArgs {
    pub org: Option<String>,
    pub org_url: Option<String>,
    /// `NAME=VALUE` pairs, in order.
    pub vars: Vec<String>,
    /// `--admin-url`: the Admin Console's origin, over the profile's `admin_url`.
    pub admin_url: Option<String>,
    /// Whether the secret must be at hand (not for `--plan`).
    pub need_secret: bool,
}

const PROFILE_KEYS: &[&str] = &[
    "url",
    "token_env",
    "client_id",
    "private_key_file",
    "private_key_env",
    "key_id",
    "dpop",
    "scopes",
    "vars",
    "admin_url",
];

/// Keys that would put a secret in kb.toml: refused, with the way to give it instead.
const SECRET_KEYS: &[(&str, &str)] = &[
    ("token", "token_env = \"OKTA_API_TOKEN\" and set that variable"),
    ("api_token", "token_env = \"OKTA_API_TOKEN\" and set that variable"),
    (
        "private_key",
        "private_key_file = \"path/to/key.pem\" or private_key_env = \"VAR\"",
    ),
    (
        "client_secret",
        "a service app with private_key_jwt (client_id, private_key_file, key_id)",
    ),
];

fn problem(message: impl Into<String>, hint: impl Into<String>) -> Diagnostic {
    Diagnostic::error(message).at_path(CONFIG_FILE).hint(hint)
}

impl Org {
    /// Resolves the org from kb.toml's profiles and the flags. `env` reads an environment variable (a parameter, so
    /// tests need not touch the process environment). Every problem is returned at once.
    pub fn resolve(
        config: &Config,
        args: &OrgArgs,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Org, Vec<Diagnostic>> {
        let empty = toml::Table::new();
        let (name, table) = choose(config, args)?.unwrap_or(("", &empty));
        let p = Profile { name, table };
        let mut diags = Vec::new();
        p.check_keys(&mut diags);
        let mut warnings = Vec::new();
        let url = p.url(args, &mut diags, &mut warnings);
        let credential = p.credential(config, args, env, &mut diags);
        let vars = p.vars(args, &mut diags);
        let admin_url = url.as_ref().and_then(|u| p.admin_url(args, u, &mut diags));
        let credential_kind = match table.get("client_id").and_then(|v| v.as_str()) {
            Some(id) => format!("the service app {id} (OAuth 2.0, private_key_jwt)"),
            None => format!(
                "an SSWS API token from {}",
                table.get("token_env").and_then(|v| v.as_str()).unwrap_or(TOKEN_ENV)
            ),
        };
        match url {
            Some(url) if diags.is_empty() => Ok(Org {
                credential_kind,
                name: if name.is_empty() {
                    url.host_str().unwrap_or_default().to_string()
                } else {
                    name.to_string()
                },
                admin_url,
                url,
                credential,
                vars,
                warnings,
            }),
            _ => Err(diags),
        }
    }
}

/// The profile the flags pick (`None` for `--org-url`): its name and table.
fn choose<'c>(config: &'c Config, args: &OrgArgs) -> Result<Option<(&'c str, &'c toml::Table)>, Vec<Diagnostic>> {
    let names: Vec<&String> = config.orgs.keys().collect();
    let listed = |names: &[&String]| names.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ");
    let chosen: Option<&str> = match (&args.org, &args.org_url) {
        (Some(_), Some(_)) => {
            return Err(vec![
                Diagnostic::error("--org and --org-url cannot be used together")
                    .hint("--org NAME picks a profile of kb.toml; --org-url URL reads an org without one"),
            ]);
        }
        (Some(name), None) => match config.orgs.get_key_value(name) {
            Some((k, _)) => Some(k.as_str()),
            None => {
                let hint = match did_you_mean(name, names.iter().map(|s| s.as_str())) {
                    Some(n) => format!("did you mean `{n}`?"),
                    None if names.is_empty() => "kb.toml defines no [orgs.NAME]; use --org-url URL".into(),
                    None => format!("kb.toml defines: {}", listed(&names)),
                };
                return Err(vec![Diagnostic::error(format!("no org named `{name}`")).hint(hint)]);
            }
        },
        (None, Some(_)) => None,
        (None, None) => match names.as_slice() {
            [one] => Some(one.as_str()),
            [] => {
                return Err(vec![Diagnostic::error("no org to check").hint(
                    "pass --org-url https://YOUR-ORG.okta.com (the token comes from OKTA_API_TOKEN), or add \
                     [orgs.NAME] with url = ... to kb.toml",
                )]);
            }
            many => {
                return Err(vec![
                    Diagnostic::error("several orgs are defined: say which one")
                        .hint(format!("pass --org NAME, one of: {}", listed(many))),
                ]);
            }
        },
    };
    match chosen {
        None => Ok(None),
        Some(n) => match config.orgs.get(n) {
            Some(toml::Value::Table(t)) => Ok(Some((n, t))),
            _ => Err(vec![problem(format!("[orgs.{n}] is not a table"), "write [orgs.NAME]")]),
        },
    }
}

/// A profile of kb.toml (empty for `--org-url`), read key by key.
struct Profile<'t> {
    name: &'t str,
    table: &'t toml::Table,
}

impl Profile<'_> {
    fn at(&self, key: &str) -> String {
        format!("[orgs.{}] {key}", self.name)
    }

    fn text(&self, key: &str, diags: &mut Vec<Diagnostic>) -> Option<String> {
        match self.table.get(key)? {
            toml::Value::String(s) => Some(s.clone()),
            _ => {
                diags.push(problem(
                    format!("{} must be a string", self.at(key)),
                    format!("{key} = \"...\""),
                ));
                None
            }
        }
    }

    /// Unknown keys, and keys that would put a secret in kb.toml.
    fn check_keys(&self, diags: &mut Vec<Diagnostic>) {
        for key in self.table.keys() {
            if let Some((_, instead)) = SECRET_KEYS.iter().find(|(k, _)| k == key) {
                diags.push(problem(
                    format!(
                        "{} would put a secret in kb.toml, which kb never reads secrets from",
                        self.at(key)
                    ),
                    format!("remove it and use {instead}"),
                ));
            } else if !PROFILE_KEYS.contains(&key.as_str()) {
                let hint = did_you_mean(key, PROFILE_KEYS.iter().copied()).map_or_else(
                    || format!("known keys: {}", PROFILE_KEYS.join(", ")),
                    |k| format!("did you mean `{k}`?"),
                );
                diags.push(problem(format!("unknown key {}", self.at(key)), hint));
            }
        }
    }

    fn url(&self, args: &OrgArgs, diags: &mut Vec<Diagnostic>, warnings: &mut Vec<String>) -> Option<Url> {
        let Some(u) = args.org_url.clone().or_else(|| self.text("url", diags)) else {
            if args.org_url.is_none() {
                diags.push(problem(
                    format!("{} is missing", self.at("url")),
                    "url = \"https://YOUR-ORG.okta.com\"",
                ));
            }
            return None;
        };
        match org_url(&u) {
            Ok((url, warning)) => {
                warnings.extend(warning);
                Some(url)
            }
            Err(why) => {
                let d = Diagnostic::error(format!("the org URL {u:?} is not usable: {why}"))
                    .hint("the org's address, e.g. https://acme.okta.com (http only for 127.0.0.1 or localhost)");
                diags.push(if args.org_url.is_some() {
                    d
                } else {
                    d.at_path(CONFIG_FILE)
                });
                None
            }
        }
    }

    /// The Admin Console's origin, for findings' links: `--admin-url`, else the profile's `admin_url`, else derived
    /// from the org's host (`acme.okta.com` → `acme-admin.okta.com`). `None` when it cannot be derived (a custom
    /// domain, a loopback address): findings then carry no link.
    fn admin_url(&self, args: &OrgArgs, org: &Url, diags: &mut Vec<Diagnostic>) -> Option<Url> {
        let given = args.admin_url.clone().or_else(|| self.text("admin_url", diags));
        match given {
            Some(u) => match org_url(&u) {
                Ok((url, _)) => Some(url),
                Err(why) => {
                    let d = Diagnostic::error(format!("the Admin Console URL {u:?} is not usable: {why}"))
                        .hint("the Admin Console's origin, e.g. https://acme-admin.okta.com");
                    diags.push(if args.admin_url.is_some() {
                        d
                    } else {
                        d.at_path(CONFIG_FILE)
                    });
                    None
                }
            },
            None => admin_origin(org),
        }
    }

    fn credential(
        &self,
        config: &Config,
        args: &OrgArgs,
        env: &dyn Fn(&str) -> Option<String>,
        diags: &mut Vec<Diagnostic>,
    ) -> Option<Credential> {
        let client_id = self.text("client_id", diags);
        let token_env = self.text("token_env", diags);
        if let Some(client_id) = client_id {
            if token_env.is_some() {
                diags.push(problem(
                    format!("[orgs.{}] sets both token_env and client_id", self.name),
                    "choose one credential: an SSWS token (token_env) or a service app (client_id, ...)",
                ));
            }
            return self.oauth(client_id, config, args, env, diags);
        }
        let var = token_env.unwrap_or_else(|| TOKEN_ENV.to_string());
        match env(&var) {
            Some(t) if !t.trim().is_empty() => Some(Credential::Ssws(Secret::new(t.trim()))),
            _ if !args.need_secret => None,
            _ => {
                diags.push(
                    Diagnostic::error(format!("the environment variable {var} is not set")).hint(format!(
                        "set {var} to an API token of the org (Security > API > Tokens), or configure a service \
                         app with client_id in [orgs.NAME]"
                    )),
                );
                None
            }
        }
    }

    fn oauth(
        &self,
        client_id: String,
        config: &Config,
        args: &OrgArgs,
        env: &dyn Fn(&str) -> Option<String>,
        diags: &mut Vec<Diagnostic>,
    ) -> Option<Credential> {
        let name = self.name;
        let key = match (
            self.text("private_key_file", diags),
            self.text("private_key_env", diags),
        ) {
            (Some(_), Some(_)) => {
                diags.push(problem(
                    format!("[orgs.{name}] sets both private_key_file and private_key_env"),
                    "choose one place for the key",
                ));
                None
            }
            (Some(_), None) if !args.need_secret => None,
            (Some(file), None) => {
                let path = config.root.join(PathBuf::from(&file));
                match std::fs::read_to_string(&path) {
                    Ok(pem) => Some(Secret::new(pem)),
                    Err(e) => {
                        diags.push(problem(
                            format!("cannot read the private key file {}: {e}", path.display()),
                            "private_key_file is a PEM file, relative to kb.toml's folder",
                        ));
                        None
                    }
                }
            }
            (None, Some(var)) => match env(&var) {
                Some(pem) if !pem.trim().is_empty() => Some(Secret::new(pem)),
                _ if !args.need_secret => None,
                _ => {
                    diags.push(
                        Diagnostic::error(format!("the environment variable {var} is not set")).hint(format!(
                            "[orgs.{name}] reads the service app's private key (PEM) from {var}"
                        )),
                    );
                    None
                }
            },
            (None, None) => {
                diags.push(problem(
                    format!("[orgs.{name}] has client_id but no private key"),
                    "add private_key_file = \"key.pem\" or private_key_env = \"VAR\"",
                ));
                None
            }
        };
        let dpop = match self.table.get("dpop") {
            None => Dpop::Auto,
            Some(toml::Value::Boolean(true)) => Dpop::Always,
            Some(toml::Value::Boolean(false)) => Dpop::Never,
            Some(toml::Value::String(s)) if s == "auto" => Dpop::Auto,
            Some(_) => {
                diags.push(problem(
                    format!("{} must be \"auto\", true or false", self.at("dpop")),
                    "dpop = \"auto\"",
                ));
                Dpop::Auto
            }
        };
        let scopes = match self.table.get("scopes") {
            None => None,
            Some(toml::Value::Array(a)) if a.iter().all(|v| v.is_str()) => {
                Some(a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
            }
            Some(_) => {
                diags.push(problem(
                    format!("{} must be a list of strings", self.at("scopes")),
                    "scopes = [\"okta.apps.read\"]",
                ));
                None
            }
        };
        let key_id = self.text("key_id", diags);
        key.map(|key| Credential::OAuth {
            client_id,
            key,
            key_id,
            dpop,
            scopes,
        })
    }

    /// The profile's `vars`, then the flags'.
    fn vars(&self, args: &OrgArgs, diags: &mut Vec<Diagnostic>) -> Map<String, Value> {
        let name = self.name;
        let mut vars = Map::new();
        match self.table.get("vars") {
            None => {}
            Some(toml::Value::Table(t)) => {
                for (k, v) in t {
                    match v {
                        toml::Value::String(s) => {
                            vars.insert(k.clone(), Value::from(s.as_str()));
                        }
                        _ => diags.push(problem(
                            format!("[orgs.{name}.vars] {k} must be a string"),
                            "k = \"value\"",
                        )),
                    }
                }
            }
            Some(_) => diags.push(problem(
                format!("{} must be a table", self.at("vars")),
                "[orgs.NAME.vars]",
            )),
        }
        for pair in &args.vars {
            match pair.split_once('=') {
                Some((k, v)) if !k.trim().is_empty() => {
                    vars.insert(k.trim().to_string(), Value::from(v));
                }
                _ => diags.push(
                    Diagnostic::error(format!("--var {pair:?} is not NAME=VALUE"))
                        .hint("e.g. --var admin=alice@acme.com"),
                ),
            }
        }
        if self.table.contains_key("client_id") && !vars.contains_key("admin") {
            diags.push(
                Diagnostic::error("a service app has no user, so `vars.admin` must be set").hint(format!(
                    "add admin = \"alice@acme.com\" under [orgs.{name}.vars], or pass --var admin=LOGIN"
                )),
            );
        }
        vars
    }
}

/// The Admin Console's origin of an Okta-hosted org: the first label of the host with `-admin`
/// (`https://acme.okta.com` → `https://acme-admin.okta.com`, also on `oktapreview.com` and `okta-emea.com`). Other
/// hosts (custom domains, loopback) have no derivable Admin Console.
pub fn admin_origin(org: &Url) -> Option<Url> {
    const OKTA_DOMAINS: &[&str] = &[
        "okta.com",
        "oktapreview.com",
        "okta-emea.com",
        "okta-gov.com",
        "okta.mil",
    ];
    let host = org.host_str()?;
    let (first, rest) = host.split_once('.')?;
    if org.scheme() != "https" || first.ends_with("-admin") || !OKTA_DOMAINS.contains(&rest) {
        return None;
    }
    Url::parse(&format!("https://{first}-admin.{rest}")).ok()
}

/// Parses an org URL into its origin: https, or http on loopback. An `-admin` host gets a warning naming the right
/// one.
pub fn org_url(text: &str) -> Result<(Url, Option<String>), String> {
    let url = Url::parse(text.trim()).map_err(|e| e.to_string())?;
    let host = url.host_str().ok_or("it has no host")?.to_string();
    let loopback = matches!(host.as_str(), "localhost" | "127.0.0.1" | "[::1]");
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        "http" => return Err("http is accepted for loopback addresses only; use https".into()),
        s => return Err(format!("the scheme must be https, not {s}")),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("it must not carry a user name or password".into());
    }
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
        return Err("give the org's origin only, without a path, query or fragment".into());
    }
    let origin = Url::parse(&url.origin().ascii_serialization()).map_err(|e| e.to_string())?;
    let warning = host.split_once('.').and_then(|(first, rest)| {
        first.strip_suffix("-admin").map(|org| {
            format!("{host} is the Admin Console's host; the API is served on {org}.{rest}: use https://{org}.{rest}")
        })
    });
    Ok((origin, warning))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn org_urls() {
        assert_eq!(
            org_url("https://acme.okta.com/").unwrap().0.as_str(),
            "https://acme.okta.com/"
        );
        assert!(org_url("http://acme.okta.com").is_err());
        assert!(org_url("http://127.0.0.1:8080").is_ok());
        assert!(org_url("https://acme.okta.com/api/v1").is_err());
        assert!(org_url("https://u:p@acme.okta.com").is_err());
        let (_, w) = org_url("https://acme-admin.okta.com").unwrap();
        assert!(w.unwrap().contains("https://acme.okta.com"));
    }

    #[test]
    fn admin_console_origins() {
        let admin = |u: &str| admin_origin(&Url::parse(u).unwrap()).map(|u| u.origin().ascii_serialization());
        assert_eq!(
            admin("https://acme.okta.com").as_deref(),
            Some("https://acme-admin.okta.com")
        );
        assert_eq!(
            admin("https://dev-123.oktapreview.com").as_deref(),
            Some("https://dev-123-admin.oktapreview.com")
        );
        assert_eq!(admin("https://login.acme.com"), None);
        assert_eq!(admin("https://acme.okta.com.evil.test"), None);
        assert_eq!(admin("https://acme-admin.okta.com"), None);
        assert_eq!(admin("http://127.0.0.1:8080"), None);
    }

    #[test]
    fn secrets_are_not_shown_by_debug() {
        let s = Secret::new("00abcSECRET");
        assert_eq!(format!("{s:?}"), "Secret(..)");
        let c = Credential::Ssws(s);
        assert!(!format!("{c:?}").contains("SECRET"));
    }
}
