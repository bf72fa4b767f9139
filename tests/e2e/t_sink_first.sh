#!/usr/bin/env bash
# The sink started well before the rest (the usual way to start a pipeline)
# must not lose the first results: a healthy run redelivers nothing and so
# takes far less than one --ack-timeout.  The sink's SUB may hear the run's
# first STATE after the first results arrive; those must be kept, not
# dropped to come back an ack timeout later (a bug this test caught: every
# item redelivered, the run took 11 s instead of 1).
. "$(dirname "$0")/lib.sh"
use_transport ipc

N=200
ACK_TIMEOUT_S=10   # the default, given explicitly: the bound below uses it
input=$TEST_DIR/input
seq 1 "$N" >"$input"
stats=$TEST_DIR/stats.json

start_sink sink --stats-json "$stats"
sink=$LAST_PID
# The sink is up first, as in any tutorial (it listens); the gap lets its
# connection attempts to the not yet bound control endpoint back off, as
# they do when an operator starts the other processes by hand.
wait_for_bind "$PP_RESULTS" 10
sleep 1 # the gap is what is tested
started=$(now_ms)
start_worker worker --job echo
worker=$LAST_PID
start_ventilator vent --ack-timeout "${ACK_TIMEOUT_S}s" "$input"
vent=$LAST_PID

expect_exit "$sink" 30 0
elapsed_ms=$(($(now_ms) - started))
expect_exit "$worker" 10 0
expect_exit "$vent" 10 0

sort -n "$(out_of sink)" >"$TEST_DIR/got"
assert_same_file "$input" "$TEST_DIR/got" "sorted sink output"
assert_counts "$stats" "$N" "$N" 0 0
assert_json "$stats" redelivered 0
assert_json "$stats" duplicates 0
# Half the ack timeout: a run of 200 echoes needs a second or two.
((elapsed_ms < ACK_TIMEOUT_S * 1000 / 2)) ||
    fail "run took ${elapsed_ms} ms, more than half the ${ACK_TIMEOUT_S}s ack timeout"
