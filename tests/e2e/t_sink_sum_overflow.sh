#!/usr/bin/env bash
# --sum leaves out an ok result that would overflow the int64 sum, and
# says so: 9223372036854775807 (INT64_MAX) twice and a non-number sum to
# INT64_MAX, with "2 ok results ... left out". The bug: the overflowing
# addition was kept, wrapped (the sink printed -2), while the warning
# said the result was left out.
. "$(dirname "$0")/lib.sh"
use_transport ipc

input=$TEST_DIR/input
printf '9223372036854775807\nx\n9223372036854775807\n' >"$input"
stats=$TEST_DIR/stats.json

start_sink sink --sum --stats-json "$stats"
sink=$LAST_PID
start_worker worker --job echo
worker=$LAST_PID
start_ventilator vent "$input"
vent=$LAST_PID

expect_exit "$sink" 30 0
expect_exit "$worker" 10 0
expect_exit "$vent" 10 0

assert_eq 9223372036854775807 "$(cat "$(out_of sink)")" "sink --sum output"
assert_contains "$(err_of sink)" \
    "--sum: 2 ok results were not int64 (or overflowed) and were left out" \
    "the sink says what it left out"
assert_counts "$stats" 3 3 0 0
