#!/bin/sh
# Fails when an option that `memwatch --help` lists is missing from the man page or the README.
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
[ "$missing" -eq 0 ] && echo "check-docs: every option and exit code is documented"
exit "$missing"
