#!/usr/bin/env bash
# pp-sink --ordered writes results in input order, though two workers with
# two threads each finish them in any order.
. "$(dirname "$0")/lib.sh"
use_transport ipc

N=20000
input=$TEST_DIR/input
seq 1 "$N" >"$input"
stats=$TEST_DIR/stats.json

start_sink sink --ordered --stats-json "$stats"
sink=$LAST_PID
start_worker worker1 --job echo --threads 2
worker1=$LAST_PID
start_worker worker2 --job echo --threads 2
worker2=$LAST_PID
start_ventilator vent --wait-workers 2 "$input"
vent=$LAST_PID

expect_exit "$sink" 40 0
expect_exit "$worker1" 10 0
expect_exit "$worker2" 10 0
expect_exit "$vent" 10 0

assert_same_file "$input" "$(out_of sink)" "sink --ordered output"
assert_counts "$stats" "$N" "$N" 0 0
