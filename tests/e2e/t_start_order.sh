#!/usr/bin/env bash
# Start order never matters: workers first, then the ventilator, the sink
# last, each after a short gap.  The run still completes exactly.
. "$(dirname "$0")/lib.sh"
use_transport tcp

N=20000
stats=$TEST_DIR/stats.json

start_worker worker1 --job square
worker1=$LAST_PID
start_worker worker2 --job square
worker2=$LAST_PID
# The gaps only make the order likely to be seen as such by the peers;
# nothing waits on them for correctness.  A worker with nobody to reach
# shows nothing to wait for: its gap is a sleep.  The ventilator is up
# once it listens.
sleep 0.3
start_ventilator vent --generate "$N"
vent=$LAST_PID
wait_for_bind "$PP_ACKS" 10
start_sink sink --sum --stats-json "$stats"
sink=$LAST_PID

expect_exit "$sink" 40 0
expect_exit "$worker1" 10 0
expect_exit "$worker2" 10 0
expect_exit "$vent" 10 0

assert_eq "$(sum_of_squares "$N")" "$(cat "$(out_of sink)")" "sink --sum output"
assert_counts "$stats" "$N" "$N" 0 0
