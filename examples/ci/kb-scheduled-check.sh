#!/usr/bin/env bash
# A scheduled `kb check`, as the CI recipes beside this script run it:
#   kb-scheduled-check.sh STATE_DIR OUT_DIR [kb check arguments...]
# STATE_DIR keeps the previous run's JSON report between runs (the CI's cache restores and saves it); OUT_DIR gets
# this run's reports: report.json, junit.xml, report.html and summary.md. With a previous report, the run is
# compared with it (--compare), so every report leads with what changed. The summary is appended to
# $GITHUB_STEP_SUMMARY when that is set. The exit status is kb check's: 0 nothing counted failed or erred, 1 a
# failure, 3 an error, 2 the run could not start (then the previous report is kept as it was).
set -u
if [ $# -lt 2 ]; then
  echo "usage: $0 STATE_DIR OUT_DIR [kb check arguments...]" >&2
  exit 2
fi
state=$1
out=$2
shift 2
mkdir -p "$state" "$out"
rm -f "$out/report.json" "$out/junit.xml" "$out/report.html" "$out/summary.md"
args=(
  --reporter "json:$out/report.json"
  --reporter "junit:$out/junit.xml"
  --reporter "html:$out/report.html"
  --reporter "summary:$out/summary.md"
)
if [ -f "$state/previous.json" ]; then
  args+=(--compare "$state/previous.json")
fi
"${KB:-kb}" check "$@" "${args[@]}"
status=$?
if [ "$status" -ne 2 ] && [ -f "$out/report.json" ]; then
  cp "$out/report.json" "$state/previous.json"
fi
if [ -n "${GITHUB_STEP_SUMMARY:-}" ] && [ -f "$out/summary.md" ]; then
  cat "$out/summary.md" >> "$GITHUB_STEP_SUMMARY"
fi
exit "$status"
