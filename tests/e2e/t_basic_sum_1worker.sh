#!/usr/bin/env bash
# The classic pipeline with one worker, over ipc://: 1..100000 squared and
# summed is exactly 333338333350000, and every process exits 0.
. "$(dirname "$0")/lib.sh"
use_transport ipc

N=100000
stats=$TEST_DIR/stats.json

start_sink sink --sum --stats-json "$stats"
sink=$LAST_PID
start_worker worker --job square
worker=$LAST_PID
start_ventilator vent --generate "$N"
vent=$LAST_PID

expect_exit "$sink" 40 0
expect_exit "$worker" 10 0
expect_exit "$vent" 10 0

assert_eq 333338333350000 "$(cat "$(out_of sink)")" "sink --sum output"
assert_eq "$(sum_of_squares "$N")" 333338333350000 "sum_of_squares helper"
assert_counts "$stats" "$N" "$N" 0 0
assert_eq 1 "$(json_worker_items "$stats" | wc -l)" "workers in stats json"
assert_eq "$N" "$(json_worker_items "$stats" | head -n 1)" \
    "items done by the only worker"
