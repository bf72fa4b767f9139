#!/usr/bin/env bash
# A line that is not a number fails under --job square without stopping the
# run: the sum covers the other four (1+4+16+25 = 46), the stats count one
# failure, and every process exits 4 (completed, some items failed).
. "$(dirname "$0")/lib.sh"
use_transport ipc

input=$TEST_DIR/input
printf '1\n2\nbad\n4\n5\n' >"$input"
stats=$TEST_DIR/stats.json

start_sink sink --sum --stats-json "$stats"
sink=$LAST_PID
start_worker worker --job square
worker=$LAST_PID
start_ventilator vent "$input"
vent=$LAST_PID

expect_exit "$sink" 30 4
expect_exit "$worker" 10 4
expect_exit "$vent" 10 4

assert_eq 46 "$(cat "$(out_of sink)")" "sink --sum output"
assert_counts "$stats" 5 4 1 0
