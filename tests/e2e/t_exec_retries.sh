#!/usr/bin/env bash
# --retries: a command that fails the first time it meets an item on a
# given worker. With --retries 2 every item succeeds (each was sent again,
# to the other worker first, then back), and the run exits 0; without
# retries every item fails and the run exits 4 with the inputs listed.
. "$(dirname "$0")/lib.sh"
use_transport ipc

cmd='f='"$TEST_DIR"'/seen-$PP_WORKER-{}; if [ -e $f ]; then echo {}; else touch $f; exit 1; fi'
stats=$TEST_DIR/stats.json
start_sink sink --sum --stats-json "$stats"
sink=$LAST_PID
for i in 1 2; do
    start_worker w$i --flow credit --threads 2 -- sh -c "$cmd"
done
start_ventilator vent --flow credit --generate 50 --retries 2 --wait-workers 2
vent=$LAST_PID
expect_exit "$sink" 30 0
expect_exit "$vent" 10 0
for i in 1 2; do expect_exit "${PP_PID_OF[w$i]}" 10 0; done
assert_eq 1275 "$(cat "$(out_of sink)")" "sum of 1..50, every item retried"
assert_counts "$stats" 50 50 0 0
assert_json "$stats" redelivered 50

rm -f "$TEST_DIR"/seen-*
use_transport ipc
stats=$TEST_DIR/stats0.json
start_sink sink0 --stats-json "$stats"
sink0=$LAST_PID
start_worker w0 --threads 2 -- sh -c "$cmd"
w0=$LAST_PID
start_ventilator vent0 --generate 5
vent0=$LAST_PID
expect_exit "$sink0" 30 4
expect_exit "$vent0" 10 4
expect_exit "$w0" 10 4
assert_counts "$stats" 5 0 5 0
assert_contains "$stats" '"input": "3"' "inputs listed with the failures"
