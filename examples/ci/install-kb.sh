#!/usr/bin/env bash
# Installs kb for a CI job, the same way in every recipe (the scheduled checks in examples/ci/, and the
# validate-and-build workflow `kb init` writes): from this checkout when it holds kb's own sources, else from
# kb's git repository, KB_GIT (and KB_REV, a tag or commit, when set). Installs into DIR/bin (default ~/.cargo) and
# prints that folder, for the job's PATH. It always installs again (--force: a cached binary cargo has no record of
# is never mistaken for the wanted one), building in a target folder the recipe caches (./target for kb's own
# checkout, DIR/kb-target for a git install), so an unchanged kb only links again.
#
#   bash install-kb.sh [DIR]
set -euo pipefail
root="${1:-$HOME/.cargo}"
if [ -f Cargo.toml ] && grep -q '^name = "kb"' Cargo.toml; then
    cargo install --locked --force --path . --root "$root"
elif [ -n "${KB_GIT:-}" ]; then
    CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/kb-target}" \
        cargo install --locked --force --git "$KB_GIT" ${KB_REV:+--rev "$KB_REV"} --root "$root" kb
else
    echo "error: this repository does not hold kb's sources and KB_GIT is not set" >&2
    echo "  = hint: set KB_GIT to kb's git URL (a CI variable), and KB_REV to the tag or commit to build" >&2
    exit 2
fi
echo "$root/bin"
