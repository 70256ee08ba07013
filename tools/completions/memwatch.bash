# bash completion for memwatch: subcommands, options, file arguments, and the job's command after `--`.
# Installed as share/bash-completion/completions/memwatch; works with or without the bash-completion package.

_memwatch_options_run='-i --interval --json --json= --json-file --csv --timeline -q --quiet --include --exclude
    --live --live= --no-live --wait-orphans --no-agent --color --max-total-rss --max-per-proc-rss
    --strict-limits --kill-on-limit --post-run-cmd --post-run-strict --group-by --tree-fold
    --leak-check --leak-check= --leak-min-growth --leak-min-duration --html --series-buckets
    --with-cpu --with-io --help --'
_memwatch_options_gate='--threshold --max-increase --metric --markdown --markdown='
_memwatch_options_compare="--json --json= --json-file -q --quiet --color $_memwatch_options_gate --help"
_memwatch_options_ci_check="$_memwatch_options_run --baseline $_memwatch_options_gate"
_memwatch_options_listen='-i --interval --json --json= --json-file --csv --timeline -q --quiet --include --exclude
    --color --socket --until-idle --group-by --tree-fold --series-buckets --help'
_memwatch_options_view='--html --help'

# Replies with the files matching the word (directories get a slash and no space, to keep going).
_memwatch_files()
{
    local IFS=$'\n'
    compopt -o filenames 2>/dev/null
    COMPREPLY=($(compgen -f -- "$1"))
}

# Completes an option's value; returns 1 when prev takes none.
_memwatch_value()
{
    local opt=$1 cur=$2
    case $opt in
    --json | --json-file | --csv | --timeline | --socket | --baseline | --markdown | --html)
        _memwatch_files "$cur" ;;
    --threshold)
        COMPREPLY=($(compgen -W '5% 10% 20%' -- "$cur")) ;;
    --max-increase)
        COMPREPLY=($(compgen -W '1MiB 10MiB 50MiB 100MiB 1GiB' -- "$cur")) ;;
    --metric)
        COMPREPLY=($(compgen -W 'total total-upper largest duration count groups all' -- "$cur")) ;;
    --series-buckets)
        COMPREPLY=($(compgen -W '256 1024 4096 16384' -- "$cur")) ;;
    -i | --interval)
        COMPREPLY=($(compgen -W '100ms 250ms 500ms 1s 2s 5s' -- "$cur")) ;;
    --max-total-rss | --max-per-proc-rss)
        COMPREPLY=($(compgen -W '512M 1G 2G 4G 8G 16G' -- "$cur")) ;;
    --color | --colour | --live)
        COMPREPLY=($(compgen -W 'auto always never' -- "$cur")) ;;
    --group-by)
        COMPREPLY=($(compgen -W 'command exe ppid tree' -- "$cur")) ;;
    --tree-fold)
        COMPREPLY=($(compgen -W '0 3 5 10 20' -- "$cur")) ;;
    --leak-check)
        COMPREPLY=($(compgen -W 'report fail' -- "$cur")) ;;
    --leak-min-growth)
        COMPREPLY=($(compgen -W '25 50 100 200' -- "$cur")) ;;
    --leak-min-duration)
        COMPREPLY=($(compgen -W '10s 30s 60s 5m' -- "$cur")) ;;
    --include | --exclude)
        COMPREPLY=() ;;
    *)
        return 1 ;;
    esac
    return 0
}

# The job's command and its arguments, starting at word index $1: as the command itself would complete.
_memwatch_job()
{
    local first=$1
    if declare -F _command_offset >/dev/null 2>&1; then
        _command_offset "$first"
    elif [ "$COMP_CWORD" -eq "$first" ]; then
        COMPREPLY=($(compgen -c -- "${COMP_WORDS[COMP_CWORD]}" | sort -u))
    else
        _memwatch_files "${COMP_WORDS[COMP_CWORD]}"
    fi
}

_memwatch()
{
    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
    COMPREPLY=()
    if [ "$COMP_CWORD" -eq 1 ]; then
        COMPREPLY=($(compgen -W 'run listen compare ci-check view help --help --version' -- "$cur"))
        return
    fi
    local sub=${COMP_WORDS[1]} i=2 word
    if [ "$sub" = view ]; then # view REPORT.json --html OUT.html: files, and its two options
        if [[ $cur == -* ]]; then
            COMPREPLY=($(compgen -W "$_memwatch_options_view" -- "$cur"))
        else
            _memwatch_files "$cur"
        fi
        return
    fi
    if [ "$sub" = compare ]; then
        # Options, and the two reports.
        if [[ $cur == -* ]]; then
            COMPREPLY=($(compgen -W "$_memwatch_options_compare" -- "$cur"))
            [[ ${COMPREPLY[*]} == *= ]] && compopt -o nospace 2>/dev/null
        elif [[ $prev != --json && $prev != --markdown ]] && _memwatch_value "$prev" "$cur"; then
            :
        else
            _memwatch_files "$cur"
        fi
        return 0
    fi
    [ "$sub" = ci-check ] && sub=run_ci
    [ "$sub" = run ] || [ "$sub" = listen ] || [ "$sub" = run_ci ] || return
    # Find where the job's words start: after `--`, or at the first word that is neither an option nor
    # an option's value.
    while [ "$i" -lt "$COMP_CWORD" ]; do
        word=${COMP_WORDS[i]}
        case $word in
        --)
            [ "$sub" != listen ] && _memwatch_job $((i + 1))
            return ;;
        -i | --interval | --json-file | --csv | --timeline | --include | --exclude | --color | --colour | --socket | \
            --baseline | --threshold | --max-increase | --metric | --max-total-rss | --max-per-proc-rss | --post-run-cmd | \
            --group-by | --tree-fold | --leak-min-growth | --leak-min-duration | --html | --series-buckets)
            i=$((i + 2)) ;;
        --json | --*)
            # COMP_WORDBREAKS splits `--json=FILE` into `--json`, `=`, `FILE`.
            if [ "${COMP_WORDS[i + 1]}" = "=" ]; then i=$((i + 3)); else i=$((i + 1)); fi ;;
        -*)
            i=$((i + 1)) ;;
        *)
            [ "$sub" != listen ] && _memwatch_job "$i"
            return ;;
        esac
    done
    # The value of --opt=VALUE, split or not by COMP_WORDBREAKS.
    if [ "$cur" = "=" ]; then
        _memwatch_value "$prev" "" && return
    elif [ "$prev" = "=" ] && [ "$COMP_CWORD" -ge 3 ]; then
        _memwatch_value "${COMP_WORDS[COMP_CWORD-2]}" "$cur" && return
    elif [[ $cur == --*=* ]]; then
        _memwatch_value "${cur%%=*}" "${cur#*=}" && COMPREPLY=("${COMPREPLY[@]/#/${cur%%=*}=}") && return
    fi
    # --json, --markdown and --live take a value only after `=`: the next word is the job's command.
    if [[ $cur != -* && $prev != --json && $prev != --live && $prev != --markdown ]] && _memwatch_value "$prev" "$cur"; then
        return
    fi
    if [[ $cur == -* ]]; then
        local options=$_memwatch_options_run
        [ "$sub" = listen ] && options=$_memwatch_options_listen
        [ "$sub" = run_ci ] && options=$_memwatch_options_ci_check
        COMPREPLY=($(compgen -W "$options" -- "$cur"))
        # `--json=` waits for its file: no space after it.
        [[ ${COMPREPLY[*]} == *= ]] && compopt -o nospace 2>/dev/null
        return
    fi
    [ "$sub" != listen ] && _memwatch_job "$COMP_CWORD"
    return 0
}

complete -F _memwatch memwatch
