//! A deterministic corpus of generated troubleshooting articles, for scale tests and benchmarks.
//!
//! Every article looks like a real one: a symptom as title, front matter with products, applies-to, error
//! signatures and tags, sections (Symptom, Cause, Solution), a table, fenced JSON, shell, YAML and PowerShell blocks
//! that differ per article, and links to other generated articles. Each also mentions, in passing, the error codes
//! and signatures the knowledge base's own articles are about (`E0000015`, `403 Not Assigned App`,
//! `insufficient_scope`, …), so that search has to rank the article that lists a code above the many that only
//! name it. The same options always give the same files.

use std::fmt::Write as _;
use std::io;
use std::path::Path;

pub struct Options {
    pub articles: usize,
    /// Roughly how many words of prose each article has.
    pub words: usize,
    /// How many distinct apps the articles' check blocks ask about (article `i` about app `i % apps`).
    pub apps: usize,
    pub seed: u64,
    /// `--v2`: each article also carries two checks of the check language's version 2 (a request per SAML app,
    /// a list judged item by item). Off by default, so that the corpus, and README's figures, stay as they were.
    pub v2: bool,
}

/// A number given on the command line as `NAME N` (benchmarks), or `default`.
pub fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map_or(default, |v| {
            v.parse().unwrap_or_else(|_| panic!("{name} takes a number"))
        })
}

/// Whether `cargo bench` runs this benchmark (it passes `--bench`); under `cargo test --benches` it is a smoke run
/// on a small corpus.
pub fn benchmarking() -> bool {
    std::env::args().any(|a| a == "--bench")
}

impl Options {
    /// `--articles N` (10,000; 300 in a smoke run), `--words N` (1,000) and `--apps N` (50) from the command line,
    /// seed 42: the benchmarks' corpus.
    pub fn from_args() -> Options {
        Options {
            articles: arg("--articles", if benchmarking() { 10_000 } else { 300 }),
            words: arg("--words", 1000),
            apps: arg("--apps", 50),
            seed: 42,
            v2: std::env::args().any(|a| a == "--v2"),
        }
    }

    /// How many check blocks each article has.
    pub fn checks_per_article(&self) -> usize {
        if self.v2 { 5 } else { 3 }
    }
}

impl Default for Options {
    fn default() -> Self {
        Options {
            articles: 1000,
            words: 1000,
            apps: 50,
            seed: 42,
            v2: false,
        }
    }
}

/// The section folders articles are spread over, under `content/<prefix>`.
const SECTIONS: &[&str] = &[
    "sign-in",
    "provisioning",
    "workflows-flows",
    "api-tokens",
    "oauth-apps",
    "mfa",
    "directories",
    "policies",
    "devices",
    "hooks",
];

const PRODUCTS: &[&str] = &[
    "Workflows",
    "API Access Management",
    "Single Sign-On",
    "Lifecycle Management",
    "Multi-Factor Authentication",
    "Universal Directory",
];

const ENGINES: &[&str] = &["Okta Identity Engine", "Okta Classic Engine"];

/// Codes and signatures of the real articles, mentioned in passing.
const MENTIONS: &[&str] = &[
    "E0000015",
    "E0000011",
    "E0000006",
    "E0000007",
    "E0000047",
    "403 Not Assigned App",
    "insufficient_scope",
    "403 Forbidden",
    "invalid_client",
    "invalid_dpop_proof",
];

const SUBJECTS: &[&str] = &[
    "The admin console",
    "A service app",
    "The Okta Workflows console",
    "An OIDC app",
    "The custom authorization server",
    "The SCIM integration",
    "The Okta connector",
    "A scheduled flow",
    "The directory agent",
    "An inline hook",
    "The sign-in widget",
    "A group rule",
    "The event hook",
    "The API token",
    "A device assurance policy",
];

const VERBS: &[&str] = &[
    "stops",
    "fails",
    "times out",
    "returns an empty list",
    "skips some users",
    "loops back to the sign-in page",
    "shows a blank page",
    "keeps the old value",
    "reports a partial import",
    "asks for a factor twice",
];

const TRIGGERS: &[&str] = &[
    "after a certificate rotation",
    "after renaming the app",
    "when the token expires",
    "for users in a nested group",
    "when two rules match",
    "after moving to a new domain",
    "during a bulk import",
    "on the first sign-in of the day",
    "when the agent restarts",
    "for deactivated users",
];

const FILLER: &[&str] = &[
    "Check the system log for the request and note its time.",
    "Compare the app's settings with those of an app that works.",
    "The change can take a few minutes to reach every cell of the org.",
    "Sign out of every session before you try again, so that no cached token hides the fix.",
    "Ask the reporter for the exact time, the user's login and a screenshot of the error.",
    "A read-only admin can see the settings but cannot save them.",
    "Export the current configuration first, so that you can roll back.",
    "If several users report it, look for a change made to a shared group or policy.",
    "The preview org behaves the same way, which makes it a safe place to test.",
    "Keep the request ID from the response: support asks for it.",
    "Retry once after the rate-limit window resets, then stop.",
    "The attribute mapping runs before the profile is pushed, so a bad mapping shows up here.",
];

/// splitmix64: small, fast and stable across versions, so a seed always gives the same corpus.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, list: &[&'a str]) -> &'a str {
        list[self.below(list.len())]
    }
}

/// The name of app `k` (its `name`, which checks look apps up by).
pub fn app_name(k: usize) -> String {
    format!("bench_app_{k:03}")
}

/// The login of user `k` of the five the checks ask about.
pub fn user_login(k: usize) -> String {
    format!("user{k}@acme.test")
}

/// The Okta API scope the checks of articles about app `k` look for.
pub fn scope_of(k: usize) -> &'static str {
    ["okta.logs.read", "okta.users.read", "okta.groups.read"][k % 3]
}

/// Where article `i` goes, relative to `content/`, without `.md` (also its slug).
pub fn path_of(prefix: &str, i: usize) -> String {
    format!("{prefix}{}/problem-{i:05}", SECTIONS[i % SECTIONS.len()])
}

fn paragraph(rng: &mut Rng, words: usize, mention: Option<&str>) -> String {
    let mut p = String::new();
    let mut n = 0;
    if let Some(code) = mention {
        let _ = write!(
            p,
            "This is not the {code} problem, although the two are often confused; if the response says {code}, \
             read that article instead. "
        );
        n += 24;
    }
    while n < words {
        let s = match rng.below(3) {
            0 => format!("{} {} {}.", rng.pick(SUBJECTS), rng.pick(VERBS), rng.pick(TRIGGERS)),
            _ => rng.pick(FILLER).to_string(),
        };
        n += s.split_whitespace().count();
        p.push_str(&s);
        p.push(' ');
    }
    p.trim_end().to_string()
}

/// The Markdown of article `i` of `n`.
pub fn article(opts: &Options, prefix: &str, i: usize) -> String {
    let mut rng = Rng(opts.seed ^ (i as u64).wrapping_mul(0x2545_F491_4F6C_DD1D));
    let n = opts.articles;
    let subject = rng.pick(SUBJECTS);
    let verb = rng.pick(VERBS);
    let trigger = rng.pick(TRIGGERS);
    let product = PRODUCTS[i % PRODUCTS.len()];
    let engines = if i.is_multiple_of(3) {
        format!("\"{}\"", ENGINES[i % 2])
    } else {
        format!("\"{}\", \"{}\"", ENGINES[0], ENGINES[1])
    };
    let status = [400, 401, 403, 404, 409, 429, 500][rng.below(7)];
    // Its own code, above the codes Okta uses (E0000001 to E0000300 or so), so that no generated article claims a
    // code the knowledge base explains: they only mention those.
    let code = format!("E{:07}", 100_000 + i % 900_000);
    let id = format!("{:016x}", rng.next());
    let mention = MENTIONS[i % MENTIONS.len()];
    let other = MENTIONS[(i / MENTIONS.len() + 3) % MENTIONS.len()];
    let per = opts.words / 6;
    let next = path_of(prefix, (i + 1) % n);
    let far = path_of(prefix, (i * 7 + 3) % n);
    let depth = prefix.matches('/').count() + 1;
    let up = "../".repeat(depth);
    let mut md = String::with_capacity(opts.words * 8 + 2048);
    let _ = write!(
        md,
        r#"+++
title = "{subject} {verb} {trigger} (case {i})"
description = "{subject} {verb} {trigger}; {status} {code} in the response."
date = 2026-{month:02}-{day:02}
products = ["{product}"]
applies_to = [{engines}]
errors = ["{status} {code}", "Request {id} failed with {code}"]
tags = ["generated", "t{tag}"]
+++

## Symptom

{p1}

The response body looks like this:

```json
{{"errorCode": "{code}", "errorSummary": "Request {id} failed with {code}", "errorId": "oae{id}", "case": {i}}}
```

## Cause

{p2}

| setting | expected | found |
|---|---|---|
| status | {status} | {status} |
| case | {i} | {id} |

See [a similar case]({up}{next}.md) and [an older one]({up}{far}.md).

Press <kbd>Ctrl</kbd>+<kbd>Shift</kbd>+<kbd>R</kbd> to reload the console without its cache.

<details>
<summary>Console details for case {i}</summary>

The console lists request `{id}` under **Reports**, with status {status}.

</details>

<table>
<thead><tr><th>Field</th><th>Value</th></tr></thead>
<tbody>
<tr><td><code>status</code></td><td>{status}</td></tr>
<tr><td><code>case</code></td><td>{i}</td></tr>
</tbody>
</table>

## Solution

1. {p3}
2. Confirm the app with:

   ```sh
   curl -s -H "Authorization: SSWS $OKTA_API_TOKEN" "https://acme.okta.com/api/v1/apps?q=case-{i}"
   ```

3. Update the settings:

   ```yaml
   case: {i}
   request: {id}
   retries: {retries}
   ```

```powershell
Get-OktaApp -Filter 'label eq "case-{i}"' | Select-Object id, status # {id}
```

{p4}

## Check your org

`kb check` runs these against your org:

```check
id = "app-active"
title = "The app {app} is active"
use = "app-active"
with = {{ app_name = "{app}" }}
```

```check
id = "user-assigned"
title = "{user} is assigned to {app}"
use = "app-user-assigned"
with = {{ app_name = "{app}", user = "{user}" }}
```

```check
id = "scope-granted"
title = "{app} holds {scope}"
use = "app-scope-granted"
with = {{ app_name = "{app}", scope = "{scope}" }}
```

{v2}## Related errors

{p5}
"#,
        v2 = if opts.v2 { V2_CHECKS } else { "" },
        month = 1 + i % 12,
        day = 1 + i % 28,
        tag = i % 50,
        retries = 1 + i % 5,
        app = app_name(i % opts.apps.max(1)),
        user = user_login(i % 5),
        scope = scope_of(i % opts.apps.max(1)),
        p1 = paragraph(&mut rng, per, Some(mention)),
        p2 = paragraph(&mut rng, per, None),
        p3 = paragraph(&mut rng, per, None),
        p4 = paragraph(&mut rng, per * 2, None),
        p5 = paragraph(&mut rng, per, Some(other)),
    );
    md
}

/// The checks `--v2` adds to every article: the same for all, so a run fetches their URLs once.
const V2_CHECKS: &str = r#"```check
id = "saml-certificates"
title = "No SAML app's certificate expires within 30 days"
use = "saml-signing-cert-expiry"
```

```check
id = "no-user-locked-out"
title = "No user is locked out"
use = "users-locked-out"
```

"#;

/// Writes the articles under `content/<prefix>` of `root` (with an `_index.md` per section).
pub fn write_articles(root: &Path, prefix: &str, opts: &Options) -> io::Result<()> {
    let content = root.join("content");
    for s in SECTIONS {
        let dir = content.join(format!("{prefix}{s}"));
        std::fs::create_dir_all(&dir)?;
        std::fs::write(
            dir.join("_index.md"),
            format!("+++\ntitle = \"{s}\"\ndescription = \"Generated problems about {s}.\"\n+++\n"),
        )?;
    }
    for i in 0..opts.articles {
        std::fs::write(
            content.join(format!("{}.md", path_of(prefix, i))),
            article(opts, prefix, i),
        )?;
    }
    Ok(())
}

/// Writes a whole site: `kb.toml`, the knowledge base's `checks/` (which the articles' check blocks call) and the
/// articles.
pub fn write_site(root: &Path, opts: &Options) -> io::Result<()> {
    std::fs::create_dir_all(root.join("checks"))?;
    let checks = Path::new(env!("CARGO_MANIFEST_DIR")).join("checks");
    for entry in std::fs::read_dir(checks)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "toml") {
            std::fs::copy(&path, root.join("checks").join(path.file_name().unwrap()))?;
        }
    }
    // The variables the definitions' defaults name, as the knowledge base declares them.
    let repo_config: toml::Table = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("kb.toml"))?
        .parse()
        .map_err(io::Error::other)?;
    let vars = toml::Table::from_iter(repo_config.get("vars").cloned().map(|v| ("vars".to_string(), v)));
    std::fs::write(
        root.join("kb.toml"),
        format!(
            "title = \"Generated help center\"\nbase_url = \"https://help.example.com\"\n\n{}",
            toml::to_string(&vars).map_err(io::Error::other)?
        ),
    )?;
    write_articles(root, "", opts)
}
