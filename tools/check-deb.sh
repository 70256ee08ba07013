#!/bin/sh
# Builds the Debian package into a temporary folder and inspects it without installing it: its files (the
# agent where the binary looks for it), its control fields, and a run of the packaged memwatch that finds
# its packaged agent. Usage: check-deb.sh CPACK BUILD_DIR  (exit 77: dpkg-deb is not installed)
set -eu
cpack=$1 build=$2
command -v dpkg-deb >/dev/null 2>&1 || { echo "check-deb: dpkg-deb is not installed: skipped"; exit 77; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/memwatch-deb.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
if ! "$cpack" -G DEB -B "$tmp/out" --config "$build/CPackConfig.cmake" >"$tmp/cpack.log" 2>&1; then
    echo "check-deb: cpack failed:"
    cat "$tmp/cpack.log"
    exit 1
fi
set -- "$tmp"/out/memwatch_*.deb
[ -f "$1" ] || { echo "check-deb: cpack made no memwatch_*.deb:"; ls "$tmp/out"; exit 1; }
deb=$1
fail=0
contents=$(dpkg-deb -c "$deb")
for f in ./usr/bin/memwatch ./usr/share/man/man1/memwatch.1 \
    ./usr/share/bash-completion/completions/memwatch ./usr/share/zsh/vendor-completions/_memwatch \
    ./usr/share/doc/memwatch/copyright; do
    echo "$contents" | grep -q " $f\$" || { echo "check-deb: $f is not in the package"; fail=1; }
done
# The agent's folder under lib/memwatch may be split by ELF class ($LIB): the run below proves it is found.
echo "$contents" | grep -q ' \./usr/lib/.*memwatch/.*libmemwatch_agent\.so$' ||
    { echo "check-deb: no libmemwatch_agent.so under /usr/lib/.../memwatch in the package"; fail=1; }
info=$(dpkg-deb -I "$deb")
arch=$(dpkg --print-architecture 2>/dev/null || echo "")
for field in "Package: memwatch" "Section: devel" "Maintainer: " "Description: " "Depends: .*libcjson1" \
    "Architecture: $arch"; do
    echo "$info" | grep -q "^ $field" || { echo "check-deb: no '$field' in the control file"; fail=1; }
done
# The packaged binary finds the packaged agent through its relative path, wherever the tree is unpacked.
dpkg-deb -x "$deb" "$tmp/root"
if env -u MEMWATCH_AGENT "$tmp/root/usr/bin/memwatch" run -q --json="$tmp/r.json" -- true 2>"$tmp/run.err"; then
    grep -q '"agent":[[:space:]]*true' "$tmp/r.json" || { echo "check-deb: the packaged memwatch ran without its agent"; fail=1; }
else
    echo "check-deb: the packaged memwatch failed: $(cat "$tmp/run.err")"
    fail=1
fi
[ "$fail" -eq 0 ] && echo "check-deb: $(basename "$deb") holds memwatch, its agent, man page and completions"
exit "$fail"
