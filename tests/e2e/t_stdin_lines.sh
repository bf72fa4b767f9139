#!/usr/bin/env bash
# Lines piped into the ventilator's stdin come out of the sink once each:
# seq 1 1000 through --job echo, sorted, is seq 1 1000 again.
. "$(dirname "$0")/lib.sh"
use_transport ipc

expected=$TEST_DIR/expected
seq 1 1000 >"$expected"
stats=$TEST_DIR/stats.json

start_sink sink --stats-json "$stats"
sink=$LAST_PID
start_worker worker --job echo
worker=$LAST_PID
# A real pipe, not a file: the ventilator polls it for input.
PP_STDIN=<(seq 1 1000) start_ventilator vent
vent=$LAST_PID

expect_exit "$sink" 30 0
expect_exit "$worker" 10 0
expect_exit "$vent" 10 0

sort -n "$(out_of sink)" >"$TEST_DIR/got"
assert_same_file "$expected" "$TEST_DIR/got" "sorted sink output"
assert_counts "$stats" 1000 1000 0 0
