#!/bin/sh
# Checks the shell completions: the bash one is sourced in `bash --norc` and asked what a <TAB> offers;
# the zsh one is parsed by `zsh -n` when zsh is installed. Usage: check-completions.sh COMPLETIONS_DIR
set -eu
dir=$1
command -v bash >/dev/null 2>&1 || { echo "check-completions: bash is not installed"; exit 77; }
# reply WORDS...: what COMPREPLY holds when the cursor is at the end of the last word.
out=$(bash --norc --noprofile -c '
    dir=$1
    source "$dir/memwatch.bash"
    reply() {
        COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}; COMPREPLY=()
        _memwatch memwatch "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
        printf "%s|" "${COMPREPLY[@]}"; echo
    }
    complete -p memwatch
    reply memwatch ""
    reply memwatch run --js
    reply memwatch listen --unt
    reply memwatch run --color ""
    reply memwatch run -- memwatch-no-such-command-
    reply memwatch run --csv "$dir/memwatch.ba"
    reply memwatch run --json = "$dir/memwatch.ba"
    reply memwatch run --json memwatch-no-such-command-
    reply memwatch run --live = al
    reply memwatch compare --thr
    reply memwatch compare --metric tot
    reply memwatch ci-check --baseline b.json --max-inc
    reply memwatch ci-check --baseline b.json -- memwatch-no-such-command-
    reply memwatch view --h
' sh "$dir")
expect() {
    line=$(echo "$out" | sed -n "$1p")
    if [ "$line" != "$2" ]; then
        echo "check-completions: $3: got '$line', expected '$2'"
        fail=1
    fi
}
fail=0
expect 1 "complete -F _memwatch memwatch" "registration"
expect 2 "run|listen|compare|ci-check|view|help|--help|--version|" "memwatch <TAB>"
expect 3 "--json|--json=|--json-file|" "memwatch run --js<TAB>"
expect 4 "--until-idle|" "memwatch listen --unt<TAB>"
expect 5 "auto|always|never|" "memwatch run --color <TAB>"
expect 6 "|" "a command after -- that does not exist"
expect 7 "$dir/memwatch.bash|" "memwatch run --csv FILE<TAB>"
expect 8 "$dir/memwatch.bash|" "memwatch run --json=FILE<TAB>"
expect 9 "|" "memwatch run --json WORD<TAB> (a command, not a file)"
expect 10 "always|" "memwatch run --live=al<TAB>"
expect 11 "--threshold|" "memwatch compare --thr<TAB>"
expect 12 "total|total-upper|" "memwatch compare --metric tot<TAB>"
expect 13 "--max-increase|" "memwatch ci-check --baseline b.json --max-inc<TAB>"
expect 14 "|" "a command after ci-check's -- that does not exist"
expect 15 "--html|--help|" "memwatch view --h<TAB>"
if command -v zsh >/dev/null 2>&1; then
    zsh -n "$dir/_memwatch" || { echo "check-completions: $dir/_memwatch does not parse"; fail=1; }
fi
[ "$fail" -eq 0 ] && echo "check-completions: bash completion answers as expected"
exit "$fail"
