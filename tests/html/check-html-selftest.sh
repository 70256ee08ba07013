#!/bin/sh
# The HTML report in headless Chromium: pages made by `run --html`, by `view` from memwatch's JSON and from
# the original tool's schema each run their self-test (#selftest: draw, zoom, pan, search, sort) and mark
# the DOM; any console message, error or CSP violation fails. A command line holding markup must stay text.
# The tree's node over the whole job must show the total's interval, with --group-by tree and without.
# Usage: check-html-selftest.sh MEMWATCH WORKLOADS_DIR [SCREENSHOT.png]
set -u
memwatch=$1 workloads=$2 shot=${3:-}
browser=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
[ -n "$browser" ] || { echo "check-html-selftest: chromium is not installed (apt-get install chromium)"; exit 77; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/memwatch-html.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
fail=0

# A small job with a spike, short-lived children and a command line that tries to close the script element.
if ! "$memwatch" run -q -i 50ms --json="$tmp/run.json" --html="$tmp/run.html" -- sh -c \
    '"$1"/alloc_hold 24 700 & "$1"/alloc_hold 8 300; for i in 1 2 3; do "$1"/tiny; done; "$1"/alloc_hold 12 200 & wait' \
    '</script><b id=pwned>x</b>' "$workloads" >/dev/null; then
    echo "check-html-selftest: memwatch run --html failed"
    exit 1
fi
"$memwatch" view "$tmp/run.json" --html "$tmp/view.html" || { echo "check-html-selftest: view failed"; exit 1; }
# The page builds its own tree unless the report was grouped by tree: this one was.
if ! "$memwatch" run -q -i 50ms --group-by tree --html="$tmp/tree.html" -- sh -c \
    '"$1"/alloc_hold 8 200 & "$1"/tiny; wait' sh "$workloads" >/dev/null; then
    echo "check-html-selftest: memwatch run --group-by tree --html failed"
    exit 1
fi
cp "$(dirname "$0")/seed-report.json" "$tmp/seed.json" # a report in the original tool's schema
"$memwatch" view "$tmp/seed.json" --html "$tmp/seed.html" || { echo "check-html-selftest: view of a seed report failed"; exit 1; }

# chrome PAGE: its DOM after the self-test, and what the browser logged.
chrome() {
    timeout 120 "$browser" --headless=new --no-sandbox --disable-gpu --no-first-run --user-data-dir="$tmp/profile" \
        --enable-logging=stderr --v=0 --virtual-time-budget=15000 --window-size=1280,1800 \
        --dump-dom "file://$tmp/$1#selftest" >"$tmp/$1.dom" 2>"$tmp/$1.log"
}
for page in run.html view.html tree.html seed.html; do
    chrome "$page"
    result=$(grep -o 'data-selftest="[a-z]*"' "$tmp/$page.dom" | head -n 1)
    if [ "$result" != 'data-selftest="pass"' ]; then
        echo "check-html-selftest: $page: self-test ${result:-did not finish}"
        grep -o 'id="mw-selftest"[^<]*' "$tmp/$page.dom"
        fail=1
    fi
    # The page logs nothing when all is well: any console line, script error or CSP report is a failure.
    if grep -E 'CONSOLE|Uncaught|Content Security Policy|Refused to' "$tmp/$page.log"; then
        echo "check-html-selftest: $page: the browser logged the lines above"
        fail=1
    fi
    # The tree's node over the whole job shows the total's interval (the self-test compares them).
    root=$(grep -o 'data-tree-root="[a-z]*"' "$tmp/$page.dom" | head -n 1)
    case $root in
    'data-tree-root="match"') ;;
    *) echo "check-html-selftest: $page: the tree's root was not checked against the total (${root:-no mark})"; fail=1 ;;
    esac
    grep -q '<b id="pwned">' "$tmp/$page.dom" && { echo "check-html-selftest: $page: a command line became markup"; fail=1; }
    ms=$(grep -o 'data-first-frame-ms="[0-9.]*"' "$tmp/$page.dom" | grep -o '[0-9.]*')
    echo "check-html-selftest: $page: $(wc -c <"$tmp/$page") bytes, first frame ${ms:-?} ms, self-test ${result#*=}, tree root ${root#*=}"
done
grep -q 'pwned' "$tmp/run.html.dom" || { echo "check-html-selftest: the markup-holding command line is not shown"; fail=1; }

if [ -n "$shot" ]; then
    timeout 120 "$browser" --headless=new --no-sandbox --disable-gpu --hide-scrollbars --user-data-dir="$tmp/profile" \
        --virtual-time-budget=15000 --window-size=1280,1400 --screenshot="$shot" "file://$tmp/run.html" 2>/dev/null
fi
exit "$fail"
