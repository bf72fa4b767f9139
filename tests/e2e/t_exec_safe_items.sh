#!/usr/bin/env bash
# Commands users can trust (issue 14): the items of the issue -- $(touch F),
# `id`, a'b, x;y, *, a newline, the empty item -- through the README's
# pattern sh -c 'printf "%s\n" {}' (and bash -ec, dash -c) come back
# literally and nothing of them runs; in stdin mode and with --pipe no
# shell sees them at all. The worker's stderr prefix is --stderr-tag
# ([RECORD], as {#}); --tag on the worker is a usage error (exit 2) that
# points at --stderr-tag and at the sink's --tag.
. "$(dirname "$0")/lib.sh"
use_transport ipc

marker=$TEST_DIR/pwned
cd "$TEST_DIR" || die "no test dir"
touch glob-target # a * that ran as a glob would print this name
items=$TEST_DIR/items
printf '%s\0' "\$(touch $marker)" "\`id\`" "a'b" 'x;y' '*' $'one\ntwo' '' \
    "\"; touch $marker; \"" >"$items"
nitems=8

# run NAME SINK_ARGS -- WORKER_ARGS: one pipeline over $items (-0,
# --ordered); sets OUT to the sink's output.
run() {
    local name=$1 sink_args=() worker_args=()
    shift
    while [[ $1 != -- ]]; do
        sink_args+=("$1")
        shift
    done
    shift
    worker_args=("$@")
    use_transport ipc
    start_sink "$name.sink" --ordered "${sink_args[@]}"
    local sink=$LAST_PID
    start_worker "$name.worker" "${worker_args[@]}"
    local worker=$LAST_PID
    start_ventilator "$name.vent" -0 "$items"
    local vent=$LAST_PID
    expect_exit "$sink" 30 0
    expect_exit "$worker" 10 0
    expect_exit "$vent" 10 0
    OUT=$(cat "$(out_of "$name.sink")")
}

# What every run must print: each item as it is, one result per item.
want=$(while IFS= read -r -d '' item; do printf '%s\n' "$item"; done <"$items")
count=$(tr -cd '\0' <"$items" | wc -c)
assert_eq "$nitems" "$count" "items written"

# 1. The README's pattern, {} bare; the same under bash -ec and dash.
run sh -- -- sh -c 'printf "%s\n" {}'
assert_eq "$want" "$OUT" "sh -c, {} bare"
run bash -- -- bash -ec 'printf "%s\n" {}'
assert_eq "$want" "$OUT" "bash -ec (combined flags), {} bare"
if command -v dash >/dev/null; then
    run dash -- -- dash -c 'printf "%s\n" "{}"'
    assert_eq "$want" "$OUT" "dash -c, {} in double quotes"
fi

# 2. No placeholder: the item goes to stdin; no shell parses it.
run stdin -- -- sh -c 'cat'
assert_eq "$want" "$OUT" "stdin mode"

# 3. --pipe: items are lines on the child's stdin (the one with a newline
#    fails: --pipe sends one line per item); nothing runs.
use_transport ipc
stats=$TEST_DIR/pipe.json
start_sink pipe.sink --ordered --stats-json "$stats"
sink=$LAST_PID
start_worker pipe.worker --pipe -- sh -c 'while IFS= read -r x; do printf "%s\n" "$x"; done'
worker=$LAST_PID
start_ventilator pipe.vent -0 "$items"
vent=$LAST_PID
expect_exit "$sink" 30 4
expect_exit "$worker" 10 4
expect_exit "$vent" 10 4
assert_counts "$stats" "$nitems" $((nitems - 1)) 1 0
want_pipe=$(while IFS= read -r -d '' item; do
    [[ $item == *$'\n'* ]] || printf '%s\n' "$item"
done <"$items")
assert_eq "$want_pipe" "$(cat "$(out_of pipe.sink)")" "--pipe"

if [[ -e $marker ]]; then fail "an item ran: $marker exists"; fi

# 4. --stderr-tag: CMD's stderr lines get [RECORD] (from 1) in front.
printf '%s\n' a b c >"$TEST_DIR/abc"
use_transport ipc
start_sink tag.sink --ordered
sink=$LAST_PID
start_worker tag.worker --threads 1 --stderr-tag -- \
    sh -c 'echo "err {}" >&2; echo {}'
worker=$LAST_PID
start_ventilator tag.vent "$TEST_DIR/abc"
vent=$LAST_PID
expect_exit "$sink" 30 0
expect_exit "$worker" 10 0
expect_exit "$vent" 10 0
assert_eq "a
b
c" "$(cat "$(out_of tag.sink)")" "--stderr-tag results"
assert_eq "[1] err a
[2] err b
[3] err c" "$(grep -E '^\[[0-9]+\] err' "$(err_of tag.worker)" | sort)" \
    "--stderr-tag lines"

# 5. The worker's --tag is gone: a usage error naming --stderr-tag and the
#    sink's --tag, nothing run.
pp_start oldtag pp-worker --tag -- cat
expect_exit "$LAST_PID" 10 2
assert_contains "$(err_of oldtag)" "--tag is now --stderr-tag" "--tag refused"
assert_contains "$(err_of oldtag)" "pp-sink --tag" "--tag points at the sink"
pp_start tagjob pp-worker --job echo --stderr-tag
expect_exit "$LAST_PID" 10 2
assert_contains "$(err_of tagjob)" "--stderr-tag applies to a command" \
    "--stderr-tag with --job"
