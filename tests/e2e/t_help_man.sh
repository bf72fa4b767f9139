#!/usr/bin/env bash
# Each binary's --help and its man page (docs/man/BINARY.1) name the same
# options: every --flag (and -x) --help lists is an entry (.TP) of the man
# page, and every one a man page entry names is in --help. A failure
# says which flag is missing where. The man pages render without a
# warning, and have the sections a Unix tool's page has (ENVIRONMENT, EXIT
# STATUS, FILES, EXAMPLES), ENVIRONMENT naming every PP_* variable the
# code reads (but the PP_TEST_* hooks of the tests).
. "$(dirname "$0")/lib.sh"

# An awk function: prints the options TEXT names, --long and -x (a short
# one stands alone: "-o FILE", "-v, --verbose", not "pushpull-spill").
FLAGS_AWK='
    function flags(text,    s) {
        s = text
        while (match(s, /--[a-z][a-z0-9-]*/)) {
            print substr(s, RSTART, RLENGTH)
            s = substr(s, RSTART + RLENGTH)
        }
        s = " " text " "
        while (match(s, /[ ",]-[a-zA-Z0-9][ ",]/)) {
            print substr(s, RSTART + 1, 2)
            s = substr(s, RSTART + 2)
        }
    }'

# help_flags BINARY: the options --help lists, one a line, sorted.
# An option line is indented by at most 4 spaces and starts with '-';
# split into columns at 2 or more spaces, the columns that start with '-'
# are options ("-v, --verbose      log more     -q, --quiet   ..."), the
# others are descriptions, whose flags are not this line's options.
help_flags() {
    "$BIN_DIR/$1" --help | awk '
        /^Examples:/ { exit }
        match($0, /^ *-/) && RLENGTH <= 5 {
            n = split($0, col, /  +/)
            for (i = 1; i <= n; i++) {
                sub(/^ +/, "", col[i])
                if (col[i] !~ /^-/) continue
                flags(col[i])
            }
        }'"$FLAGS_AWK" | sort -u
}

# man_flags PAGE: the options the page's entries name (the tag line
# after each .TP, groff's \- unescaped), one a line, sorted.
man_flags() {
    awk '
        tag { tag = 0
              s = $0
              gsub(/\\-/, "-", s)
              flags(s)
        }
        /^\.TP/ { tag = 1 }'"$FLAGS_AWK" "$1" | sort -u
}

# The PP_* variables the programs read: the names given to getenv(), or in
# the endpoint table that pp_config reads them by.
code_env=$(cd "$ROOT" &&
    grep -ohE '"PP_[A-Z_]+"' common/*.c cli/*.c ventilator/*.c worker/*.c \
        sink/*.c | grep -v 'PP_\(SEQ\|RECORD\|RUN\|WORKER\)"' |
        grep -v '"PP_TEST_' | # hooks for the tests, not for users
        tr -d '"' | sort -u)
[[ -n $code_env ]] || fail "no PP_* variable found in the code"

for bin in pp-ventilator pp-worker pp-sink; do
    page=$ROOT/docs/man/$bin.1
    [[ -f $page ]] || {
        fail "docs/man/$bin.1 does not exist"
        continue
    }
    help=$(help_flags "$bin")
    man=$(man_flags "$page")
    [[ $(wc -l <<<"$help") -ge 10 ]] ||
        fail "$bin --help: only $(wc -l <<<"$help") options found"
    for flag in $(comm -23 <(echo "$help") <(echo "$man")); do
        fail "$bin: $flag is in '$bin --help' but not in docs/man/$bin.1" \
            "(add a .TP entry naming it)"
    done
    for flag in $(comm -13 <(echo "$help") <(echo "$man")); do
        fail "$bin: $flag has an entry in docs/man/$bin.1 but is not in" \
            "'$bin --help' (an option line, indented at most 4 spaces)"
    done

    for section in SYNOPSIS DESCRIPTION OPTIONS ENVIRONMENT "EXIT STATUS" \
        FILES EXAMPLES "SEE ALSO"; do
        grep -qE "^\.SH \"?$section\"?\$" "$page" ||
            fail "docs/man/$bin.1 has no $section section"
    done
    environment=$(awk '/^\.SH/ { on = ($2 == "ENVIRONMENT") } on' "$page" |
        sed 's/\\-/-/g')
    for var in $code_env; do
        grep -qF "$var" <<<"$environment" ||
            fail "docs/man/$bin.1: ENVIRONMENT does not name $var"
    done

    # Rendered with every groff warning on: none.
    MANWIDTH=80 man --warnings=w -l "$page" >"$TEST_DIR/$bin.txt" \
        2>"$TEST_DIR/$bin.warn" || fail "man -l docs/man/$bin.1 failed"
    if [[ -s $TEST_DIR/$bin.warn ]]; then
        fail "docs/man/$bin.1 renders with warnings:" \
            "$(head -n 5 "$TEST_DIR/$bin.warn")"
    fi
done
