#!/usr/bin/env bash
# A scheduled `kb check`, as the CI recipes beside this script run it:
#   kb-scheduled-check.sh STATE_DIR OUT_DIR [kb check arguments...]
# STATE_DIR keeps the previous run's JSON report between runs (the CI's cache restores and saves it); OUT_DIR gets
# this run's reports: report.json, junit.xml, report.html and summary.md. With a previous report, the run is
# compared with it (--compare), so every report leads with what changed. The summary is appended to
# $GITHUB_STEP_SUMMARY when that is set. The exit status is kb check's: 0 nothing counted failed or erred, 1 a
# failure, 3 an error, 2 the run could not start, 130 interrupted. Only a finished run (0, 1 or 3) becomes the next
# run's previous report. A previous report kb refuses (unreadable, another org, an unknown version) is set aside as
# previous.json.refused and the run made again without it, so one bad file cannot stop every later run.
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
status=0
if [ -f "$state/previous.json" ]; then
  "${KB:-kb}" check "$@" "${args[@]}" --compare "$state/previous.json" || status=$?
  if [ "$status" -eq 2 ]; then
    # Could not start: run again without the previous report. If that starts, the previous report was the cause.
    status=0
    "${KB:-kb}" check "$@" "${args[@]}" || status=$?
    if [ "$status" -ne 2 ]; then
      echo "kb-scheduled-check: kb refused $state/previous.json; set aside as previous.json.refused" >&2
      mv "$state/previous.json" "$state/previous.json.refused"
    fi
  fi
else
  "${KB:-kb}" check "$@" "${args[@]}" || status=$?
fi
case "$status" in
  0 | 1 | 3)
    if [ -f "$out/report.json" ]; then
      cp "$out/report.json" "$state/previous.json"
    fi
    ;;
esac
if [ -n "${GITHUB_STEP_SUMMARY:-}" ] && [ -f "$out/summary.md" ]; then
  cat "$out/summary.md" >> "$GITHUB_STEP_SUMMARY"
fi
exit "$status"
