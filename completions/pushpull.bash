# bash completion for pp-ventilator, pp-worker and pp-sink.
#
# Installed as $(PREFIX)/share/bash-completion/completions/pp-ventilator
# (and pp-worker, pp-sink: links to this file), where bash-completion
# loads it the first time one of the three is completed; or source it.
# Needs nothing from bash-completion itself.
#
# The long options come from the program's own --help (read once per
# program and shell), so a new flag completes without touching this file:
# an option is a --help line indented by at most 4 spaces that starts with
# '-'; of its columns (split at 2 or more spaces) those starting with '-'
# name options, "--window N" one that takes a value. Values completed:
# --flow, --overflow, --job, --halt (WHEN, then WHEN,WHAT=), files and
# directories for the flags that take them, and after pp-worker's "--" a
# command, then files.

# _pp_help_options PROGRAM: "--flag" or "--flag=" (takes a value) a line,
# from PROGRAM --help.
_pp_help_options() {
    "$1" --help 2>/dev/null | awk '
        /^Examples:/ { exit }
        match($0, /^ *-/) && RLENGTH <= 5 {
            n = split($0, col, /  +/)
            for (i = 1; i <= n; i++) {
                sub(/^ +/, "", col[i])
                if (col[i] !~ /^-/) continue
                m = split(col[i], part, /, */)
                for (j = 1; j <= m; j++) {
                    if (part[j] !~ /^--[a-z]/) continue
                    split(part[j], w, / +/)
                    print w[1] (w[2] ~ /^[A-Z]/ ? "=" : "")
                }
            }
        }'
}

declare -gA _pp_options_of=()

# _pp_options PROGRAM: the cached result of _pp_help_options.
_pp_options() {
    local key=$1
    if [[ -z ${_pp_options_of[$key]+set} ]]; then
        _pp_options_of[$key]=$(_pp_help_options "$1")
    fi
    printf '%s\n' "${_pp_options_of[$key]}"
}

# _pp_reply WORDS... CUR: COMPREPLY = the WORDS that start with CUR.
_pp_reply() {
    local cur=${*: -1} word
    COMPREPLY=()
    for word in "${@:1:$#-1}"; do
        [[ $word == "$cur"* ]] && COMPREPLY+=("$word")
    done
}

_pp_nospace() { compopt -o nospace 2>/dev/null; }

# _pp_value PROGRAM OPTION CUR: COMPREPLY for OPTION's value. Returns 1
# if OPTION takes no value.
_pp_value() {
    local prog=$1 opt=$2 cur=$3
    case $opt in
    --flow) _pp_reply push credit "$cur" ;;
    --overflow) _pp_reply block drop spill "$cur" ;;
    --job) _pp_reply square sleep echo "$cur" ;;
    --halt)
        if [[ $cur == *,* ]]; then
            _pp_reply "${cur%%,*},fail=" "${cur%%,*},success=" \
                "${cur%%,*},done=" "$cur"
        else
            _pp_reply now, soon, never "$cur"
        fi
        [[ ${COMPREPLY[0]-} == *[,=] ]] && _pp_nospace
        ;;
    -o | --output | --stats-json | --joblog | --failed | --journal | \
        --keygen | --curve-secret | --curve-server)
        mapfile -t COMPREPLY < <(compgen -f -- "$cur")
        compopt -o filenames 2>/dev/null
        ;;
    --spill-dir | --curve-allow)
        mapfile -t COMPREPLY < <(compgen -d -- "$cur")
        compopt -o filenames 2>/dev/null
        ;;
    *)
        # Any other option with a value (a number, a duration, an
        # endpoint): nothing to offer.
        _pp_options "$prog" | grep -qx -- "$opt=" || return 1
        COMPREPLY=()
        ;;
    esac
    return 0
}

# The completion function of the three programs (complete -F).
_pp_complete() {
    local prog=${COMP_WORDS[0]} cur=${COMP_WORDS[COMP_CWORD]-} i word
    COMPREPLY=()
    # pp-worker ... -- CMD ARGS: a command, then files; elsewhere "--"
    # ends the options (the ventilator's FILE may follow).
    for ((i = 1; i < COMP_CWORD; i++)); do
        [[ ${COMP_WORDS[i]} == -- ]] || continue
        if ((i == COMP_CWORD - 1)) && [[ ${prog##*/} == pp-worker ]]; then
            mapfile -t COMPREPLY < <(compgen -c -- "$cur" | sort -u)
        else
            mapfile -t COMPREPLY < <(compgen -f -- "$cur")
            compopt -o filenames 2>/dev/null
        fi
        return 0
    done
    # --flag=VALUE in one word (when '=' does not break words)...
    if [[ $cur == --*=* ]]; then
        _pp_value "$prog" "${cur%%=*}" "${cur#*=}" || return 0
        for i in "${!COMPREPLY[@]}"; do
            COMPREPLY[i]=${cur%%=*}=${COMPREPLY[i]}
        done
        return 0
    fi
    # ... or split by it: "--flag" "=" "VALUE".
    word=${COMP_WORDS[COMP_CWORD - 1]-}
    if [[ $cur == = ]]; then
        word=${COMP_WORDS[COMP_CWORD - 1]-}
        cur=
    elif [[ $word == = ]] && ((COMP_CWORD >= 2)); then
        word=${COMP_WORDS[COMP_CWORD - 2]}
    fi
    if ((COMP_CWORD > 1)) && [[ $word == -* ]]; then
        _pp_value "$prog" "$word" "$cur" && return 0
    fi
    if [[ $cur == -* ]]; then
        local -a opts
        mapfile -t opts < <(_pp_options "$prog" | sed 's/=$//')
        _pp_reply "${opts[@]}" "$cur"
        return 0
    fi
    # The ventilator's input FILE.
    if [[ ${prog##*/} == pp-ventilator ]]; then
        mapfile -t COMPREPLY < <(compgen -f -- "$cur")
        compopt -o filenames 2>/dev/null
    fi
    return 0
}

complete -F _pp_complete pp-ventilator pp-worker pp-sink
