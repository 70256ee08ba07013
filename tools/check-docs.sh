#!/bin/sh
# Fails when an option that `memwatch --help` lists is missing from the man page or the README, or when the
# man page renders with troff warnings.
# Usage: check-docs.sh MEMWATCH MANPAGE README
set -eu
memwatch=$1 man=$2 readme=$3
missing=0
for opt in $("$memwatch" --help | grep -o -- '--[a-z][a-z-]*' | sort -u); do
    case $opt in --help | --version) continue ;; esac
    # troff escapes dashes as \-: compare with them removed.
    if ! sed 's/\\-/-/g' "$man" | grep -q -- "$opt"; then
        echo "check-docs: $opt is not in $man"
        missing=1
    fi
    if ! grep -q -- "$opt" "$readme"; then
        echo "check-docs: $opt is not in $readme"
        missing=1
    fi
done
for code in 125 126 127 128+N; do
    grep -q -- "$code" "$readme" || { echo "check-docs: exit code $code is not in $readme"; missing=1; }
done
# The page must render without a troff warning (as `man --warnings` shows them) at 80 columns.
if command -v man >/dev/null 2>&1; then
    warnings=$(MANWIDTH=80 man --warnings -E UTF-8 -l "$man" 2>&1 >/dev/null || true)
elif command -v groff >/dev/null 2>&1; then
    warnings=$(groff -man -Tutf8 -ww -z -rLL=80n "$man" 2>&1 || true)
else
    warnings=
    echo "check-docs: neither man nor groff is installed: the page's rendering is not checked"
fi
if [ -n "$warnings" ]; then
    echo "check-docs: $man renders with warnings:"
    echo "$warnings"
    missing=1
fi
[ "$missing" -eq 0 ] && echo "check-docs: every option and exit code is documented; the man page renders cleanly"
exit "$missing"
