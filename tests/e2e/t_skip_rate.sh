#!/usr/bin/env bash
# --rate paces what is sent, not what --skip passes over: --skip 100000
# --rate 10 starts at once (the first result within a couple of seconds,
# not the 10000 s that pacing the skipped records would take), then sends
# the five records left, each once.
. "$(dirname "$0")/lib.sh"
use_transport ipc

input=$TEST_DIR/input
seq 1 100005 >"$input"

start_sink sink
sink=$LAST_PID
start_worker worker --job echo
worker=$LAST_PID
start_ventilator vent --skip 100000 --rate 10 "$input"
vent=$LAST_PID

wait_for_line "$(out_of sink)" '^100001$' 3
expect_exit "$vent" 10 0
expect_exit "$sink" 10 0
expect_exit "$worker" 10 0
assert_eq "100001 100002 100003 100004 100005" \
    "$(sort -n "$(out_of sink)" | xargs)" "the records after --skip"
