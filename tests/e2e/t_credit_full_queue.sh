#!/usr/bin/env bash
# Credit flow with small batches: a worker's credit (thousands of items for
# a fast job) spans more messages than a default HWM. A full queue toward a
# worker is not a dead worker: nothing may be redelivered or duplicated,
# and the run may not stall. (It was taken for "cannot be reached": the
# worker was dropped, its items resent, and runs sometimes stalled.)
. "$(dirname "$0")/lib.sh"
use_transport tcp

N=200000
stats=$TEST_DIR/stats.json
start_sink sink --sum --stats-json "$stats"
sink=$LAST_PID
start_worker w --flow credit --job square --threads 1
w=$LAST_PID
start_ventilator vent --flow credit --generate $N --batch 16 --wait-workers 1
vent=$LAST_PID
expect_exit "$sink" 60 0
expect_exit "$vent" 10 0
expect_exit "$w" 10 0
assert_eq "$(sum_of_squares $N)" "$(cat "$(out_of sink)")" "sum"
assert_counts "$stats" $N $N 0 0
assert_json "$stats" redelivered 0
assert_json "$stats" duplicates 0
assert_contains "$(err_of vent)" "0 sent again" "nothing sent twice"
