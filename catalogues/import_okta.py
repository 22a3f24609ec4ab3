#!/usr/bin/env python3
"""Imports Okta's two published error catalogues into kb's error catalogue format (README, "Error catalogues").

    python3 catalogues/import_okta.py ERROR_CODES.json OAUTH2_ERROR_CODES.json

The inputs are packages/@okta/vuepress-site/data/error-codes.json and oauth2-error-codes.json of
github.com/okta/okta-developer-docs. It writes catalogues/okta-management.toml and catalogues/okta-oauth.toml
beside this script, keeping what a user sees and nothing else:

- Management API: `errorCode`, `statusCode`, `title` and `errorSummary` (the message, verbatim). The
  `errorDescription` paragraphs are Okta's explanatory prose and are left out.
- OAuth 2.0: `errorCode` (the `error` a client receives) as the code, `internalErrorCode` as the sub-code (476
  entries share 56 codes; the internal code tells them apart), `statusCode`, `title`, and `errorDescription` (the
  `error_description` a client receives, verbatim).
- Where Okta substitutes a value at run time, its published file prints the word `en` (`Configured grant types:
  [en].`); it is written `{0}`, as the Management catalogue writes its first placeholder.
"""
import json, os, re, sys

HERE = os.path.dirname(os.path.abspath(__file__))
DOCS = "https://github.com/okta/okta-developer-docs/blob/master/packages/@okta/vuepress-site/data/"
PLACEHOLDER = re.compile(r"\ben\b")


def toml_str(s):
    return json.dumps(s, ensure_ascii=False)


def write(name, title, source, release, entries):
    lines = [
        f"# {title}: imported by catalogues/import_okta.py from Okta's published {source.rsplit('/', 1)[-1]}.",
        "# Codes, statuses, titles and messages only; regenerate rather than edit.",
        f"name = {toml_str(title)}",
        f"source = {toml_str(source)}",
        f"release = {toml_str(release)}",
        "",
    ]
    for e in entries:
        lines.append("[[error]]")
        for k in ("code", "sub_code", "status", "title", "message"):
            if e.get(k) is None:
                continue
            v = e[k]
            lines.append(f"{k} = {v}" if isinstance(v, int) else f"{k} = {toml_str(v)}")
        lines.append("")
    with open(os.path.join(HERE, name), "w") as f:
        f.write("\n".join(lines))


def main(management, oauth):
    m = json.load(open(management))
    write(
        "okta-management.toml",
        "Okta Management API",
        DOCS + "error-codes.json",
        m["release"],
        [
            {"code": e["errorCode"], "status": e["statusCode"], "title": e["title"].strip(),
             "message": e["errorSummary"]}
            for e in m["errors"]
        ],
    )
    o = json.load(open(oauth))
    write(
        "okta-oauth.toml",
        "Okta OAuth 2.0 and OpenID Connect",
        DOCS + "oauth2-error-codes.json",
        o["release"],
        [
            {"code": e["errorCode"], "sub_code": e["internalErrorCode"], "status": e["statusCode"],
             "title": e["title"].strip(), "message": PLACEHOLDER.sub("{0}", e["errorDescription"])}
            for e in o["errors"]
        ],
    )


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
