#!/usr/bin/env bash
# The sink's standard output closes under it (`pp-sink | head -n 1`):
# the sink says it cannot write and why, exits 1, and asks the ventilator
# to abort, which says who asked (it used to exit 3 without a word, even
# at -v); the worker exits 3. Nothing hangs.
. "$(dirname "$0")/lib.sh"
use_transport ipc

fifo=$(out_of sink)
mkfifo "$fifo"
head -n 1 <"$fifo" >"$TEST_DIR/first" &
reader=$!
start_sink sink
sink=$LAST_PID
start_worker w --job square --threads 2
w=$LAST_PID
start_ventilator vent --generate 200000
vent=$LAST_PID

expect_exit "$sink" 30 1
rm -f "$fifo" # a failed test's log dump reads each stdout: not a fifo
expect_exit "$vent" 30 3
expect_exit "$w" 30 3
wait "$reader"
assert_eq 1 "$(wc -l <"$TEST_DIR/first")" "the one line head read"
assert_contains "$(err_of sink)" "cannot write results to stdout: Broken pipe" \
    "the sink says why it stops"
assert_contains "$(err_of sink)" "the ventilator is asked to abort it" \
    "the sink says what it asks"
assert_contains "$(err_of vent)" "abort asked over --acks (by the sink, or an operator)" \
    "the ventilator says who asked"
