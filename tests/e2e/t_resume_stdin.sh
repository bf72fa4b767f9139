#!/usr/bin/env bash
# issue 13: standard input journaled. Killed -9, resumed with the same
# input piped in again: exactly once, exit 0. Resumed with a different
# stdin: exit 2, saying the input changed and where (records a..b), and
# nothing sent -- the right input then finishes the run exactly once.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ctl_lib.sh"
. "$(dirname "$0")/resume_lib.sh"
use_transport ipc

n=12000
out=$TEST_DIR/out.txt
journal=$TEST_DIR/vent.journal
args=(--rate 4000 --journal "$journal")
start_sink sink --output "$out"
sink=$LAST_PID
start_worker w1 --job echo --threads 2
w1=$LAST_PID
PP_STDIN=<(seq 1 "$n") start_ventilator v1 "${args[@]}"
v1=$LAST_PID
wait_for_lines "$out" 5000 30
kill9 "$v1"

# Another input, same size: record 3 differs.
PP_STDIN=<(seq 1 "$n" | sed 's/^3$/three/') start_ventilator v2 \
    "${args[@]}" --resume
expect_exit "$LAST_PID" 10 2
assert_differs_at "$(err_of v2)" 3
# Shorter than what was numbered: its size.
PP_STDIN=<(seq 1 100) start_ventilator v3 "${args[@]}" --resume
expect_exit "$LAST_PID" 10 2
assert_matches "$(err_of v3)" "the input changed: it has 100 records \(after --skip 0\), but --journal .* numbered [0-9]+" \
    "says the input is shorter"

PP_STDIN=<(seq 1 "$n") start_ventilator v4 "${args[@]}" --resume
v4=$LAST_PID
expect_exit "$v4" 40 0
expect_exit "$w1" 10 0
expect_exit "$sink" 10 0
assert_exact_set "$out" "$n"
[[ ! -e $journal ]] || fail "the journal of a completed run stays"
