//! Why a check could not observe: the kinds of `error` (DESIGN.md's reasons) and the message in words.

/// Why a check could not observe: a reason a report can group by, and the message in words.
#[derive(Debug, Clone, PartialEq)]
pub struct Error {
    pub reason: Reason,
    pub message: String,
    /// With [`Reason::MissingScope`]: the scopes the credential lacks.
    pub missing_scopes: Vec<String>,
}

/// The kinds of `error`, as the JSON report names them (`reason`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// A scope the check needs is not granted (403 `insufficient_scope`, or the token endpoint's `invalid_scope`).
    MissingScope,
    /// Any other 403: the credential's admin role is too weak (E0000006) or access is denied.
    AccessDenied,
    /// 401 E0000011.
    InvalidToken,
    /// The token endpoint rejected the credentials.
    Credentials,
    /// 429 not recovered by waiting for the reset.
    RateLimited,
    /// A 5xx, or a status no expectation names.
    HttpStatus,
    /// A capture that must name one thing matched several.
    Ambiguous,
    /// A list longer than the page cap.
    Truncated,
    /// Connection refused or reset, DNS, TLS.
    Network,
    Timeout,
    /// A redirect off the org's origin, which is not followed.
    Redirect,
    /// A value the check needs is missing or cannot be used (an unset var, a bad template value).
    Input,
    /// An answer kb could not read as the endpoint's JSON (not JSON, the wrong shape, not Okta's error JSON where a
    /// status is judged), or one over a cap (`--max-body`, `--max-total`): kb saw nothing it may judge. Also an
    /// answer without a readable `Date` where a fact about time needs the org's clock (kb never uses its own).
    Body,
    /// A replay of a snapshot (`kb check --snapshot`) that holds no answer to a request the check makes.
    NotRecorded,
}

impl Reason {
    /// The reason as the JSON report names it (`missing_scope`).
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::MissingScope => "missing_scope",
            Reason::AccessDenied => "access_denied",
            Reason::InvalidToken => "invalid_token",
            Reason::Credentials => "credentials",
            Reason::RateLimited => "rate_limited",
            Reason::HttpStatus => "http_status",
            Reason::Ambiguous => "ambiguous",
            Reason::Truncated => "truncated",
            Reason::Network => "network",
            Reason::Timeout => "timeout",
            Reason::Redirect => "redirect",
            Reason::Input => "input",
            Reason::Body => "body",
            Reason::NotRecorded => "not_recorded",
        }
    }
}

impl Error {
    pub fn new(reason: Reason, message: impl Into<String>) -> Error {
        Error {
            reason,
            message: message.into(),
            missing_scopes: Vec::new(),
        }
    }

    pub fn missing_scope(scope: &str) -> Error {
        Error {
            reason: Reason::MissingScope,
            message: format!("scope {scope} not granted"),
            missing_scopes: vec![scope.to_string()],
        }
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_reason_reads_as_the_json_names_it() {
        use Reason::*;
        for r in [
            MissingScope,
            AccessDenied,
            InvalidToken,
            Credentials,
            RateLimited,
            HttpStatus,
            Ambiguous,
            Truncated,
            Network,
            Timeout,
            Redirect,
            Input,
            Body,
            NotRecorded,
        ] {
            assert_eq!(serde_json::to_value(r).unwrap(), r.as_str());
        }
    }
}
