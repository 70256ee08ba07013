#!/bin/sh
# Smoke tests of the preloaded agent: runs agent_probe scenarios under agent_sink and checks what the
# agent reported. Usage: agent_smoke.sh AGENT_SINK AGENT_PROBE LIBMEMWATCH_AGENT_SO
set -u
SINK=$1 PROBE=$2 AGENT=$3
TMP=$(mktemp -d /tmp/agent_smoke.XXXXXX) || exit 1
trap 'rm -rf "$TMP"' EXIT
failures=0

fail() {
    echo "FAIL [$scenario]: $*"
    sed 's/^/    | /' "$TMP/out"
    failures=$((failures + 1))
}

# run SCENARIO EXPECTED_RC CMD...: runs CMD under the agent, output in $TMP/out.
run() {
    scenario=$1 want_rc=$2
    shift 2
    "$SINK" --run "$AGENT" -- "$@" > "$TMP/out" 2> "$TMP/err"
    rc=$?
    [ "$rc" = "$want_rc" ] || fail "exit code $rc, expected $want_rc"
    [ -s "$TMP/err" ] && fail "stderr not empty: $(cat "$TMP/err")"
    grep -q '^bad ' "$TMP/out" && fail "malformed message"
    grep -q '^end messages=' "$TMP/out" || fail "the sink did not finish"
}

expect() {
    grep -Eq -- "$1" "$TMP/out" || fail "no line matching: $1"
}

expect_none() {
    grep -Eq -- "$1" "$TMP/out" && fail "unexpected line matching: $1"
}

run execle-empty 0 "$PROBE" execle-empty
expect '^start .* argv=\[true\]$'
expect '^peak .* reason=exec '

run execvpe-empty 0 "$PROBE" execvpe-empty
expect '^start .* argv=\[true,x\]$'

run execlp-scrubbed 0 "$PROBE" execlp-scrubbed
expect '^start .* argv=\[true,y\]$'

run execv-scrubbed 0 "$PROBE" execv-scrubbed
expect '^start .* argv=\[true,z\]$'

run eacces 0 "$PROBE" eacces
expect '^probe errno-intact=EACCES errno-scrubbed=EACCES$'

run script 6 "$PROBE" script
expect '^start .* argv=\[/bin/sh,/tmp/agent_probe\.[^/]*/mwscript,arg1\]$'

for s in system popen; do
    run $s 0 "$PROBE" $s
    expect '^start .* argv=\[sh,-c,/bin/true\]$'
    expect '^start .* argv=\[/bin/true\]$'
    expect '^probe rc=0 env-restored=yes$'
done

run spawn-empty 0 "$PROBE" spawn-empty
expect '^start .* argv=\[true\]$'
expect '^child_end .* exited=0 .* rusage=yes$'

# The vfork child shares its parent's memory: it must send nothing before its exec.
run vfork 0 "$PROBE" vfork
expect '^start .* argv=\[true\]$'
expect_none 'reason=exec'

run fork-exit 0 "$PROBE" fork-exit
expect '^start .* flags=forked, '
expect '^peak .* reason=exit .* exit=7$'
expect '^child_end .* exited=7 maxrss_kib=0 rusage=no$'
expect '^probe errno-kept=yes$'

# After closefrom(3) the agent makes a new socket: every datagram names its image, so the start is not
# repeated; the exit peak (>= 64 MiB) still arrives.
run closefrom 5 "$PROBE" closefrom
[ "$(grep -c '^start ' "$TMP/out")" = 1 ] || fail "expected the start message once"
awk '/^peak .* reason=exit/ { for (i = 1; i <= NF; i++) if ($i ~ /^hwm_kib=/) { split($i, a, "="); if (a[2] >= 65536) ok = 1 } }
     END { exit !ok }' "$TMP/out" ||
    fail "no exit peak of at least 65536 KiB"

run shell-pipeline 0 sh -c 'echo x | cat >/dev/null; env -i /bin/true'
expect '^start .* exe=[^ ]*/env argv=\[env,-i,/bin/true\]$'
expect '^start .* argv=\[/bin/true\]$'
expect '^start .* argv=\[cat\]$'

# No collector at all: same exit code, nothing printed.
scenario=no-collector
LD_PRELOAD=$AGENT MEMWATCH_SOCKET=$TMP/none/sock sh -c 'exit 3' > "$TMP/out" 2>&1
rc=$?
[ "$rc" = 3 ] || fail "exit code $rc, expected 3"
[ -s "$TMP/out" ] && fail "output with no collector"

# The collector dies while the job runs: the job keeps its own exit code (the probe exits 4) and prints
# nothing. (A datagram to an unbound socket fails with ECONNREFUSED; MSG_NOSIGNAL covers the rest.)
scenario=collector-killed
"$SINK" "$TMP/sock" > "$TMP/sink" 2>&1 &
sink_pid=$!
mkfifo "$TMP/go"
i=0
while [ ! -S "$TMP/sock" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
LD_PRELOAD=$AGENT MEMWATCH_SOCKET=$TMP/sock "$PROBE" no-sigpipe < "$TMP/go" > "$TMP/out" 2>&1 &
probe_pid=$!
exec 3> "$TMP/go"
i=0
while ! grep -q '^start ' "$TMP/sink" && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
kill -9 $sink_pid
wait $sink_pid 2>/dev/null
printf x >&3
exec 3>&-
wait $probe_pid
rc=$?
[ "$rc" = 4 ] || fail "exit code $rc, expected 4"
[ -s "$TMP/out" ] && fail "output after the collector died"

if [ $failures -ne 0 ]; then
    echo "$failures failure(s)"
    exit 1
fi
echo "all agent smoke scenarios passed"
