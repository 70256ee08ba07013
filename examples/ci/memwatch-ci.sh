#!/bin/sh
# memwatch-ci.sh: a memory regression check for any CI system (what memwatch.yml does, as a shell script).
#
#   memwatch-ci.sh [--baseline FILE] [--report FILE] [--summary FILE] [--] BUILD-COMMAND [ARGS...]
#
# Profiles BUILD-COMMAND with memwatch and keeps its JSON report (--report, default memwatch-report.json:
# keep it as an artifact; the main branch's is the next baseline). With a baseline that exists, the run is
# compared with it (memwatch ci-check) and a regression fails the step; --summary writes the comparison as
# Markdown (for a pull-request comment). Without one (the first run, or a run on the main branch), the
# build is only profiled.
#
# Environment: MEMWATCH, the memwatch to use (default: memwatch on PATH); MEMWATCH_OPTIONS, more options for
# memwatch, split on spaces (e.g. "--threshold 5% --max-total-rss 6G").
#
# Exit status: the build's own when it failed; else memwatch's: 0 passed, 10/11 a memory limit, 13 a
# regression against the baseline, 125 memwatch could not run or read the baseline; 2 bad usage.
set -eu

usage() {
    echo "usage: memwatch-ci.sh [--baseline FILE] [--report FILE] [--summary FILE] [--] BUILD-COMMAND [ARGS...]" >&2
    exit 2
}

baseline=
report=memwatch-report.json
summary=
while [ $# -gt 0 ]; do
    case $1 in
    --baseline | --report | --summary)
        [ $# -ge 2 ] || usage
        eval "${1#--}=\$2"
        shift 2
        ;;
    --baseline=* | --report=* | --summary=*)
        name=${1%%=*}
        value=${1#*=}
        eval "${name#--}=\$value"
        shift
        ;;
    --)
        shift
        break
        ;;
    -*)
        echo "memwatch-ci.sh: unknown option '$1'" >&2
        usage
        ;;
    *) break ;;
    esac
done
[ $# -gt 0 ] || usage
[ -n "$report" ] || usage

memwatch=${MEMWATCH:-memwatch}
if ! command -v "$memwatch" >/dev/null 2>&1; then
    echo "memwatch-ci.sh: '$memwatch' not found: install memwatch or set MEMWATCH" >&2
    exit 125
fi

# shellcheck disable=SC2086 # MEMWATCH_OPTIONS is a list of words
if [ -z "$baseline" ] || [ ! -e "$baseline" ]; then
    echo "memwatch-ci.sh: no baseline${baseline:+ at '$baseline'}: profiling only; keep '$report' as the next baseline" >&2
    exec "$memwatch" run --json="$report" ${MEMWATCH_OPTIONS:-} -- "$@"
fi
exec "$memwatch" ci-check --baseline="$baseline" --json="$report" ${summary:+--markdown="$summary"} \
    ${MEMWATCH_OPTIONS:-} -- "$@"
