//! axe-core, the accessibility engine Starlight and GOV.UK run in CI, from npm (installed under
//! `target/test-tools/` when missing), injected into a page of the real Chromium and run there.

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

use super::browser::Browser;

pub const AXE_VERSION: &str = "4.14.1";

/// The rules run: WCAG 2.0, 2.1 and 2.2, levels A and AA.
pub const TAGS: &[&str] = &["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"];

/// axe.min.js, installed with npm if missing: once per test process, so that two tests never read it while the
/// other's npm is still writing it.
pub fn source() -> String {
    static SOURCE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    SOURCE.get_or_init(install).clone()
}

fn install() -> String {
    let tools = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/test-tools");
    let dir = tools.join("node_modules/axe-core");
    let installed = || {
        std::fs::read_to_string(dir.join("package.json"))
            .ok()
            .and_then(|t| serde_json::from_str::<Value>(&t).ok())
            .is_some_and(|p| p["version"] == AXE_VERSION)
    };
    if !installed() {
        std::fs::create_dir_all(&tools).unwrap();
        let status = Command::new("npm")
            .args(["install", "--no-audit", "--no-fund", "--silent", "--prefix"])
            .arg(&tools)
            .arg(format!("axe-core@{AXE_VERSION}"))
            .status()
            .expect("npm runs (scripts/test installs it)");
        assert!(status.success(), "npm install axe-core@{AXE_VERSION} failed");
    }
    assert!(installed(), "axe-core {AXE_VERSION} is not in {}", dir.display());
    std::fs::read_to_string(dir.join("axe.min.js")).unwrap()
}

/// What axe found on one page.
#[derive(Debug)]
pub struct Audit {
    pub version: String,
    pub passes: usize,
    /// Each violation: rule, impact, and the first nodes' selectors with axe's summary.
    pub violations: Vec<String>,
    /// Rules axe could not decide (listed for a person to look at).
    pub incomplete: Vec<String>,
}

/// Injects axe into the current page (through WebDriver, which the page's content security policy does not
/// govern) and runs the WCAG A and AA rules on the whole document.
pub async fn audit(b: &Browser, axe: &str) -> Audit {
    b.client
        .execute(&format!("{axe}\n;return typeof axe"), vec![])
        .await
        .expect("axe loads into the page");
    let script = format!(
        "const done = arguments[arguments.length - 1];
         axe.run(document, {{ runOnly: {{ type: 'tag', values: {tags} }}, resultTypes: ['violations', 'incomplete'] }})
           .then(r => done({{
             version: r.testEngine.version,
             passes: r.passes.length,
             violations: r.violations.map(v => v.id + ' (' + v.impact + '): ' + v.nodes.slice(0, 5)
               .map(n => n.target.join(' ') + ' — ' + (n.failureSummary || '').replace(/\\s+/g, ' ')).join(' | ')),
             incomplete: r.incomplete.map(v => v.id + ' on ' + v.nodes.length + ' node(s), e.g. ' + v.nodes[0].target.join(' ')),
           }}))
           .catch(e => done({{ error: String(e) }}));",
        tags = serde_json::to_string(TAGS).unwrap()
    );
    let r = b.client.execute_async(&script, vec![]).await.expect("axe runs");
    assert!(r.get("error").is_none(), "axe failed: {r}");
    let strings = |v: &Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap().to_string())
            .collect()
    };
    Audit {
        version: r["version"].as_str().unwrap_or_default().to_string(),
        passes: r["passes"].as_u64().unwrap_or_default() as usize,
        violations: strings(&r["violations"]),
        incomplete: strings(&r["incomplete"]),
    }
}
