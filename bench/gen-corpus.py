#!/usr/bin/env python3
"""A deterministic corpus of N generated troubleshooting articles, for checking that kb build scales linearly.

Usage: python3 bench/gen-corpus.py N OUT_DIR   (OUT_DIR is replaced; then: kb build --root OUT_DIR)
"""
import os, sys, random, shutil
n = int(sys.argv[1]); out = sys.argv[2]
random.seed(42)
shutil.rmtree(out, ignore_errors=True)
os.makedirs(out + "/content")
open(out + "/kb.toml", "w").write('title = "Bench"\nbase_url = "https://bench.test"\n')
sections = ["workflows", "api", "oauth", "oidc", "aam"] + [f"topic-{i}" for i in range(15)]
words = "okta token scope admin app assignment error request header grant client issuer redirect policy user group role limit reset".split()
codes = ["E0000011", "E0000015", "E0000047", "E0000006", "E0000007"]
for s in sections:
    os.makedirs(f"{out}/content/{s}", exist_ok=True)
    open(f"{out}/content/{s}/_index.md", "w").write(f'+++\ntitle = "{s.title()}"\n+++\nIntro for {s}.\n')
for i in range(n):
    s = sections[i % len(sections)]
    para = lambda: " ".join(random.choice(words) for _ in range(90)) + "."
    other = f"../{sections[(i+1) % len(sections)]}/article-{(i+1)}.md" if i + 1 < n else "#cause"
    body = f"""## Symptom

{para()} See [the next one]({other}).

## Error

```json
{{"errorCode": "{codes[i%5]}", "errorSummary": "Article {i} failure", "errorId": "oae{i}"}}
```

## Cause

{para()}

| a | b |
|---|---|
| {i} | {codes[i%5]} |

## Solution

1. {para()}
2. Run:

   ```sh
   curl -H "Authorization: SSWS $TOKEN" "https://acme.okta.com/api/v1/apps/{i}"
   ```

```yaml
article: {i}
retries: 3
```

{para()} {para()} {para()} {para()} {para()}
"""
    fm = f'+++\ntitle = "Problem {i}: {random.choice(words)} {random.choice(words)} fails"\ndate = 2026-{1+i%12:02d}-{1+i%28:02d}\nproducts = ["{["Workflows","Management API","OAuth 2.0"][i%3]}"]\napplies_to = ["Okta Identity Engine"]\nerrors = ["{codes[i%5]}", "Article {i} failure"]\ntags = ["t{i%50}"]\n+++\n'
    open(f"{out}/content/{s}/article-{i}.md", "w").write(fm + body)
