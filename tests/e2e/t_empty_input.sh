#!/usr/bin/env bash
# An empty input file is a complete run of zero items: --sum prints 0 and
# every process exits 0.
. "$(dirname "$0")/lib.sh"
use_transport tcp

input=$TEST_DIR/empty
: >"$input"
stats=$TEST_DIR/stats.json

start_sink sink --sum --stats-json "$stats"
sink=$LAST_PID
start_worker worker --job square
worker=$LAST_PID
start_ventilator vent "$input"
vent=$LAST_PID

expect_exit "$sink" 30 0
expect_exit "$worker" 10 0
expect_exit "$vent" 10 0

assert_eq 0 "$(cat "$(out_of sink)")" "sink --sum output"
assert_counts "$stats" 0 0 0 0
