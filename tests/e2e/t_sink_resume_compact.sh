#!/usr/bin/env bash
# --resume rewrites the journal as one checkpoint of everything known. The
# sink is killed while its window is full of outcomes above a hole (item 1
# still in a 3 s job, items 2..16 done): compacting them must neither send
# acks (the bug: it acked through a socket not made yet, and the sink died
# on an assertion) nor replace the old journal piecemeal. The resumed run
# completes with every item exactly once.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ctl_lib.sh"
use_transport ipc

{
    echo 3000
    seq 1 40
} >"$TEST_DIR/sleeps.txt"
out=$TEST_DIR/results.txt
start_worker w --job sleep --threads 2
w=$LAST_PID
start_ventilator vent --window 16 --ack-timeout 1s "$TEST_DIR/sleeps.txt"
vent=$LAST_PID
start_sink sink1 --output "$out"
sink1=$LAST_PID
wait_for_lines "$out" 15 20 # items 2..16: the window, but for item 1
signal_bin KILL "$sink1"
wait_pid "$sink1" 5 >/dev/null

start_sink sink2 --output "$out" --resume
sink2=$LAST_PID
expect_exit "$sink2" 30 0
expect_exit "$vent" 10 0
expect_exit "$w" 10 0
assert_contains "$(err_of sink2)" "resuming run" "the sink resumed"
sort -n "$TEST_DIR/sleeps.txt" >"$TEST_DIR/want.txt"
sort -n "$out" >"$TEST_DIR/got.txt"
assert_same_file "$TEST_DIR/want.txt" "$TEST_DIR/got.txt" \
    "every item exactly once"
true
