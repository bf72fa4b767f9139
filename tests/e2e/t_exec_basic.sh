#!/usr/bin/env bash
# Any command as the job: {} substitution through sh -c gives 3 x item,
# summed 60300 for 1..200; a command failing for one item makes the run
# exit 4 with exactly that item failed and its exit status as the reason;
# stdin mode, PP_* environment and --stderr-reason.
. "$(dirname "$0")/lib.sh"
use_transport ipc

stats=$TEST_DIR/stats.json
start_sink sink --sum --stats-json "$stats"
sink=$LAST_PID
start_worker worker --threads 2 -- sh -c 'echo $(( {} * 3 ))'
worker=$LAST_PID
start_ventilator vent --generate 200
vent=$LAST_PID
expect_exit "$sink" 30 0
expect_exit "$worker" 10 0
expect_exit "$vent" 10 0
assert_eq 60300 "$(cat "$(out_of sink)")" "sum of 3 x 1..200"
assert_counts "$stats" 200 200 0 0

stats2=$TEST_DIR/stats2.json
use_transport ipc   # fresh endpoints for the second run
start_sink sink2 --stats-json "$stats2"
sink2=$LAST_PID
start_worker worker2 --stderr-reason -- sh -c \
    'test {} -eq 77 && { echo "no 77" >&2; exit 3; }; echo "$PP_SEQ"'
worker2=$LAST_PID
start_ventilator vent2 --generate 100
vent2=$LAST_PID
expect_exit "$sink2" 30 4
expect_exit "$worker2" 10 4
expect_exit "$vent2" 10 4
assert_counts "$stats2" 100 99 1 0
assert_contains "$stats2" '"reason": "exit status 3: no 77"' "failure reason"
assert_eq 99 "$(sort -un "$(out_of sink2)" | wc -l)" "PP_SEQ of each ok item"
assert_contains "$stats2" '"seq": 76' "the failed item's sequence number"
assert_contains "$stats2" '"input": "77"' "the failed item's input"
