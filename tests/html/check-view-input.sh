#!/bin/sh
# memwatch view on bad input: one line naming the file and the problem, exit 125, no page written; and a
# report in the original tool's schema becomes a page. Usage: check-view-input.sh MEMWATCH
set -u
memwatch=$1
tmp=$(mktemp -d "${TMPDIR:-/tmp}/memwatch-view-input.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
fail=0
# refuse FILE WORD: view of FILE fails with exit 125, one line naming FILE and holding WORD, no page.
refuse() {
    "$memwatch" view "$1" --html "$tmp/out.html" >"$tmp/stdout" 2>"$tmp/stderr"
    rc=$?
    lines=$(wc -l <"$tmp/stderr")
    if [ "$rc" -ne 125 ] || [ "$lines" -ne 1 ] || ! grep -qF "'$1'" "$tmp/stderr" || ! grep -qF "$2" "$tmp/stderr" \
        || [ -e "$tmp/out.html" ] || [ -s "$tmp/stdout" ]; then
        echo "check-view-input: view $1: exit $rc, $lines line(s): $(cat "$tmp/stderr")"
        [ -e "$tmp/out.html" ] && echo "check-view-input: view $1 left a page behind"
        fail=1
    fi
    rm -f "$tmp/out.html"
}
refuse "$tmp/missing.json" "No such file or directory (ENOENT)"
printf '{"start_time": ' >"$tmp/truncated.json"
refuse "$tmp/truncated.json" "not valid JSON"
printf 'hello\n' >"$tmp/text.json"
refuse "$tmp/text.json" "not valid JSON"
printf '[1, 2]\n' >"$tmp/array.json"
refuse "$tmp/array.json" "a report is a JSON object"
printf '{"start_time": "2026-01-01T00:00:00Z", "end_time": "2026-01-01T00:00:01Z", "processes": 3}\n' >"$tmp/shape.json"
refuse "$tmp/shape.json" "processes: expected an array"
mkdir "$tmp/dir.json"
refuse "$tmp/dir.json" "Is a directory (EISDIR)"
# An existing page stays as it was when the report is bad.
echo keep >"$tmp/old.html"
"$memwatch" view "$tmp/text.json" --html "$tmp/old.html" 2>/dev/null
[ "$(cat "$tmp/old.html")" = keep ] || { echo "check-view-input: a bad report replaced an existing page"; fail=1; }
# The original tool's schema: no kinds, no series, no exit code: still a page.
cp "$(dirname "$0")/seed-report.json" "$tmp/seed.json" # a report in the original tool's schema
if ! "$memwatch" view "$tmp/seed.json" --html "$tmp/seed.html" || ! grep -q 'id="mw-data"' "$tmp/seed.html"; then
    echo "check-view-input: a report in the original tool's schema did not become a page"
    fail=1
fi
if grep -qiE '<(script|link|img)[^>]* src=|https?://' "$tmp/seed.html"; then
    echo "check-view-input: the page refers to something outside itself"
    fail=1
fi
[ "$fail" -eq 0 ] && echo "check-view-input: bad reports are refused in one line, exit 125, no page"
exit "$fail"
