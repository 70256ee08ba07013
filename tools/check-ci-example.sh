#!/bin/sh
# Runs examples/ci/memwatch-ci.sh as a CI system would, three times in a scratch folder: the first run (no
# baseline) only profiles and keeps its report; a like run compared with that report passes and writes the
# Markdown summary; a heavier run fails with memwatch's regression code. The workflow must call the script.
# Usage: check-ci-example.sh MEMWATCH ALLOC_HOLD EXAMPLES_CI_DIR
set -eu
memwatch=$1 alloc=$2 dir=$3
script=$dir/memwatch-ci.sh
work=$(mktemp -d "${TMPDIR:-/tmp}/memwatch-ci-example.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
fail=0
say() { echo "check-ci-example: $*"; }

run() { # EXPECTED-CODE WHAT ARGS...: runs the script with ARGS
    want=$1 what=$2
    shift 2
    set +e
    MEMWATCH=$memwatch MEMWATCH_OPTIONS="--no-live --color never" sh "$script" "$@" >out.txt 2>err.txt
    got=$?
    set -e
    if [ "$got" -ne "$want" ]; then
        say "$what: exit $got, expected $want"
        sed 's/^/  | /' err.txt
        fail=1
    fi
}

# On the main branch: no baseline yet; the report is kept for the next runs.
mkdir -p main
run 0 "first run" --baseline main/memwatch-report.json --report main/memwatch-report.json -- "$alloc" 32 100
[ -s main/memwatch-report.json ] || { say "the first run kept no report"; fail=1; }
grep -q "profiling only" err.txt || { say "the first run did not say it only profiled"; fail=1; }

# A pull request like main: passes, with the comparison in Markdown.
run 0 "like run" --baseline main/memwatch-report.json --report pr.json --summary summary.md -- "$alloc" 32 100
grep -q "memory within the gate" summary.md 2>/dev/null || { say "no Markdown summary of a passing run"; fail=1; }
[ -s pr.json ] || { say "the like run kept no report"; fail=1; }

# A pull request that doubles the memory: fails with 13, and says why.
run 13 "heavier run" --baseline main/memwatch-report.json --report pr.json --summary summary.md -- "$alloc" 64 100
grep -q "REGRESSED" summary.md 2>/dev/null || { say "the summary of a regression does not show it"; fail=1; }
grep -q "Verdict: REGRESSION" err.txt || { say "the log of a regression does not show it"; fail=1; }

# The build's own failure is the step's.
run 3 "failing build" --baseline main/memwatch-report.json --report pr.json -- sh -c "exit 3"

# Bad usage, and a broken baseline: clear refusals.
run 2 "no command" --baseline main/memwatch-report.json
echo '{ not json' >broken.json
run 125 "broken baseline" --baseline broken.json -- "$alloc" 8 10
grep -q "broken.json' is not a memwatch report: not valid JSON" err.txt || { say "a broken baseline is not named"; fail=1; }

grep -q "memwatch-ci.sh" "$dir/memwatch.yml" || { say "the workflow does not run memwatch-ci.sh"; fail=1; }
[ "$fail" -eq 0 ] && say "the CI example profiles, passes a like run and fails a heavier one"
exit "$fail"
