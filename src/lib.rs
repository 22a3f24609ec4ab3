//! kb: Markdown troubleshooting articles into a static help site, and the same articles' checks run against an
//! Okta org. The binary is a thin layer over these parts.

pub mod catalogue;
pub mod checks;
pub mod cli;
pub mod cmd;
pub mod config;
pub mod content;
pub mod diag;
pub mod exit;
pub mod markdown;
pub mod report;
pub mod reviews;
pub mod runner;
pub mod site;
pub mod snapshot;
pub mod text;
pub mod timing;
pub mod waivers;
