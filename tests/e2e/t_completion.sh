#!/usr/bin/env bash
# completions/pushpull.bash, sourced in a plain bash (no bash-completion):
# each program's long options complete from its own --help -- all of them
# from "--" --, and the values of --flow, --overflow, --job and --halt,
# files and directories, a command after pp-worker's "--", --flag=VALUE
# in one word and split at '='; an option taking a number offers nothing.
. "$(dirname "$0")/lib.sh"

script=$ROOT/completions/pushpull.bash
[[ -f $script ]] || die "completions/pushpull.bash does not exist"
cd "$TEST_DIR" || die "cd $TEST_DIR"
mkdir -p dir.d/sub
touch data.txt dir.d/file.txt

# complete WORD... : COMPREPLY for the last WORD, sorted, space-separated.
complete_words() {
    PATH=$BIN_DIR:$PATH bash -c '
        source "$1"
        shift
        COMP_WORDS=("$@")
        COMP_CWORD=$(($# - 1))
        _pp_complete || exit 1
        printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " "' _ "$script" "$@" |
        sed 's/ $//'
}

# expect WANT WORD...: completing WORD... gives exactly WANT.
expect() {
    local want=$1
    shift
    assert_eq "$want" "$(complete_words "$@")" "completing '$*'"
}

# Every long option --help lists, from "--": as many as the option lines
# of --help name, and each of them.
for bin in pp-ventilator pp-worker pp-sink; do
    got=$(complete_words "$bin" --)
    [[ $(wc -w <<<"$got") -ge 20 ]] ||
        fail "$bin --: only $(wc -w <<<"$got") options: $got"
    for flag in --tasks --results --control --acks --flow --hwm \
        --max-item-size --insecure --keygen --curve-secret --curve-allow \
        --curve-server --verbose --quiet --help --version; do
        [[ " $got " == *" $flag "* ]] || fail "$bin --: $flag not offered"
    done
    for flag in $got; do
        "$BIN_DIR/$bin" --help | grep -qe "$flag" ||
            fail "$bin --: offers $flag, which --help does not name"
    done
done

expect "--flow" pp-sink --fl
expect "--no-progress" pp-sink --no
expect "--curve-allow --curve-secret --curve-server" pp-ventilator --curve
expect "--stderr-reason --stderr-tag" pp-worker --stderr
expect "credit push" pp-sink --flow ""
expect "credit" pp-ventilator --flow = c
expect "--flow=credit" pp-worker --flow=cr
expect "block drop spill" pp-worker --overflow ""
expect "sleep square" pp-worker --job s
expect "never now, soon," pp-sink --halt ""
expect "soon," pp-sink --halt so
expect "now,done= now,fail= now,success=" pp-sink --halt now,
expect "soon,fail=" pp-sink --halt soon,f
expect "" pp-ventilator --window ""
expect "" pp-worker --threads ""
expect "data.txt dir.d" pp-sink -o d
expect "dir.d/file.txt dir.d/sub" pp-sink --joblog dir.d/
expect "dir.d" pp-ventilator --spill-dir d
expect "dir.d/sub" pp-worker --curve-allow dir.d/
expect "data.txt dir.d" pp-ventilator --window 4 d
expect "data.txt dir.d" pp-ventilator -v d
expect "" pp-sink d
# After "--": a command, then its arguments (files), never our options.
got=$(complete_words pp-worker --job echo -- ech)
[[ " $got " == *" echo "* ]] || fail "pp-worker -- ech: no echo in '$got'"
expect "data.txt dir.d" pp-worker -- cat d
expect "" pp-worker -- sh --fl
expect "data.txt dir.d" pp-ventilator -- d
