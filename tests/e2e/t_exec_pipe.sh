#!/usr/bin/env bash
# --pipe: one cat per job thread streams 100000 items back, each exactly
# once; a pipe command that dies fails its item and is restarted.
. "$(dirname "$0")/lib.sh"
use_transport ipc

start_sink sink
sink=$LAST_PID
start_worker worker --threads 2 --pipe -- cat
worker=$LAST_PID
start_ventilator vent --generate 100000
vent=$LAST_PID
expect_exit "$sink" 60 0
expect_exit "$worker" 10 0
expect_exit "$vent" 10 0
assert_eq 100000 "$(sort -un "$(out_of sink)" | wc -l)" "distinct results"
assert_eq 100000 "$(wc -l <"$(out_of sink)")" "results"

use_transport ipc
stats=$TEST_DIR/stats.json
start_sink sink2 --sum --stats-json "$stats"
sink2=$LAST_PID
start_worker worker2 --threads 1 --pipe -- \
    sh -c 'while read x; do [ "$x" = 5 ] && exit 7; echo "$x"; done'
worker2=$LAST_PID
start_ventilator vent2 --generate 10
vent2=$LAST_PID
expect_exit "$sink2" 30 4
expect_exit "$worker2" 10 4
expect_exit "$vent2" 10 4
assert_eq 50 "$(cat "$(out_of sink2)")" "sum of 1..10 without 5"
assert_contains "$stats" '"reason": "pipe command exited with status 7"' \
    "reason"

# The same inside a batch (cheap items go to the pipe 32 at a time): the
# rest of the batch starts afresh on a new child, only item 500 fails.
use_transport ipc
stats3=$TEST_DIR/stats3.json
start_sink sink3 --sum --stats-json "$stats3"
sink3=$LAST_PID
start_worker worker3 --threads 1 --pipe -- \
    sh -c 'while read x; do [ "$x" = 500 ] && exit 7; echo "$x"; done'
worker3=$LAST_PID
start_ventilator vent3 --generate 2000
vent3=$LAST_PID
expect_exit "$sink3" 30 4
expect_exit "$worker3" 10 4
expect_exit "$vent3" 10 4
assert_eq 2000500 "$(cat "$(out_of sink3)")" "sum of 1..2000 without 500"
assert_counts "$stats3" 2000 1999 1 0
