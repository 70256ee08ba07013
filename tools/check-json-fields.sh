#!/bin/sh
# Fails when a key of a real JSON report is not in the man page: every field memwatch emits is documented.
# Usage: check-json-fields.sh MEMWATCH MANPAGE
set -eu
memwatch=$1 man=$2
tmp=$(mktemp -d "${TMPDIR:-/tmp}/memwatch-json-fields.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
# A filter makes "filter" an object; the job forks and execs, so processes carry images and a series; an
# argument and a program name that are not UTF-8 bring the *_hex fields.
odd=$(printf 'odd\377')
cp /bin/true "$tmp/$odd"
if ! "$memwatch" run -q -i 50ms --include . --json="$tmp/report.json" -- sh -c 'sleep 0.2; "$1"' "$odd" \
    "$tmp/$odd" >/dev/null; then
    echo "check-json-fields: memwatch run failed"
    exit 1
fi
# Every key is written as "name": (a space or a value follows); values here never look like that.
keys=$(grep -o '"[A-Za-z_][A-Za-z0-9_]*":' "$tmp/report.json" | tr -d '":' | sort -u)
[ -n "$keys" ] || { echo "check-json-fields: no keys found in the report"; exit 1; }
sed 's/\\-/-/g; s/\\f[BIRP]//g' "$man" >"$tmp/man.txt"
missing=0
for key in $keys; do
    if ! grep -qw -- "$key" "$tmp/man.txt"; then
        echo "check-json-fields: JSON field '$key' is not in $man"
        missing=1
    fi
done
[ "$missing" -eq 0 ] && echo "check-json-fields: all $(echo "$keys" | wc -l) JSON fields are in $man"
exit "$missing"
