#!/usr/bin/env bash
# The search benchmark against another commit's kb: builds REV's release binary in a worktree, then runs
# `cargo bench --bench search -- --against THAT_BINARY` with the other arguments (e.g. --runs 5, --articles N).
#
#   bash bench/search-previous.sh REV [BENCH ARGS...]      # e.g. bash bench/search-previous.sh HEAD~1 --runs 5
#
# KB_OLD_TARGET=DIR reuses (or keeps) the other commit's build folder.
set -euo pipefail
rev=${1:?usage: bash bench/search-previous.sh REV [BENCH ARGS...]}
shift
here=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'git -C "$here" worktree remove --force "$work/old" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
git -C "$here" worktree add -q --detach "$work/old" "$rev"
target="${KB_OLD_TARGET:-$work/old-target}"
echo "building kb at $rev (release)..." >&2
(cd "$work/old" && CARGO_TARGET_DIR="$target" cargo build --release -q)
cd "$here"
cargo bench --bench search -- --against "$target/release/kb" "$@"
