#!/usr/bin/env bash
# Build time of the knowledge base, per article, by this checkout's kb and by another commit's kb on that commit's
# knowledge base, and by this checkout's kb without the error catalogues (kb.toml's [errors] left out): runs
# interleaved, medians, with the KB_TIMINGS phases.
#
#   bash bench/previous.sh REV [RUNS]      # e.g. bash bench/previous.sh HEAD~3 5
#
# Each side builds into a fresh folder under /dev/shm (memory), so the disk's varying write times stay out of it.
set -euo pipefail
rev=${1:?usage: bash bench/previous.sh REV [RUNS]}
runs=${2:-3}
here=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'git -C "$here" worktree remove --force "$work/old" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

git -C "$here" worktree add -q --detach "$work/old" "$rev"
echo "building kb at $rev and at this checkout (release)..." >&2
(cd "$work/old" && CARGO_TARGET_DIR="${KB_OLD_TARGET:-$work/old-target}" cargo build --release -q)
(cd "$here" && cargo build --release -q)
old_bin="${KB_OLD_TARGET:-$work/old-target}/release/kb"
new_bin="$here/target/release/kb"

# This checkout's knowledge base without its catalogues.
mkdir -p "$work/bare"
for part in content checks themes; do
  [ -e "$here/$part" ] && cp -r "$here/$part" "$work/bare/"
done
python3 - "$here/kb.toml" "$work/bare/kb.toml" <<'EOF'
import re, sys
text = open(sys.argv[1]).read()
open(sys.argv[2], "w").write(re.sub(r"(?ms)^\[errors\].*?(?=^\[|\Z)", "", text))
EOF

out=/dev/shm/kb-previous-$$
logs="$work/logs"
mkdir -p "$logs"
for i in $(seq "$runs"); do
  for side in old new bare; do
    case $side in
      old) bin=$old_bin root=$work/old ;;
      new) bin=$new_bin root=$here ;;
      bare) bin=$new_bin root=$work/bare ;;
    esac
    rm -rf "$out"
    KB_TIMINGS=1 "$bin" build --root "$root" --output "$out" 2> "$logs/$side-$i.txt"
  done
done
rm -rf "$out"

python3 - "$logs" "$runs" "$rev" <<'EOF'
import os, re, statistics, sys
logs, runs, rev = sys.argv[1], int(sys.argv[2]), sys.argv[3]
units = {"ns": 1e-6, "µs": 1e-3, "us": 1e-3, "ms": 1.0, "s": 1000.0}
def ms(v):
    m = re.fullmatch(r"([\d.]+)(ns|µs|us|ms|s)", v)
    return float(m.group(1)) * units[m.group(2)]
rows = {}
for side in ("old", "new", "bare"):
    walls, phases, articles, pages = [], {}, 0, 0
    for i in range(1, runs + 1):
        text = open(os.path.join(logs, f"{side}-{i}.txt")).read()
        m = re.search(r"Built (\d+) articles into (\d+) pages in .* in (\S+)", text)
        articles, pages = int(m.group(1)), int(m.group(2))
        walls.append(ms(m.group(3)))
        for name, v in re.findall(r"^\s+(\S[\w+ -]*?)\s{2,}(\S+)$", text, re.M):
            phases.setdefault(name.strip(), []).append(ms(v))
    rows[side] = (articles, pages, statistics.median(walls), {k: statistics.median(v) for k, v in phases.items()})
names = {"old": f"kb at {rev}, its knowledge base", "new": "this checkout, with catalogues", "bare": "this checkout, without catalogues"}
print(f"medians of {runs} interleaved runs")
print("| build | articles | pages | wall | per article | markdown | templates+write | search |")
print("|---|---|---|---|---|---|---|---|")
for side, (a, p, wall, ph) in rows.items():
    print(f"| {names[side]} | {a} | {p} | {wall:.0f} ms | {wall / a:.2f} ms | {ph.get('markdown', 0):.0f} ms | "
          f"{ph.get('templates+write', 0):.0f} ms | {ph.get('search', 0):.0f} ms |")
old, new = rows["old"][2] / rows["old"][0], rows["new"][2] / rows["new"][0]
print(f"per article, with catalogues against {rev}: {100 * (new / old - 1):+.1f}%")
EOF
