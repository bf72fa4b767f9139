#!/usr/bin/env bash
# -0: NUL-separated items may hold spaces, tabs and newlines; through
# --job echo and pp-sink -0 each comes back byte for byte, once.
. "$(dirname "$0")/lib.sh"
use_transport tcp

input=$TEST_DIR/input
{
    printf '%s\0' 'hello world' '  leading spaces' 'trailing space ' \
        $'tab\tinside' $'two\nlines' $'three\nlines\nhere\n' 'plain' \
        $'caf\xc3\xa9 \xe2\x82\xac'
    for i in $(seq 1 500); do
        printf 'item %d\nsecond line of %d\0' "$i" "$i"
    done
} >"$input"
count=508
stats=$TEST_DIR/stats.json

start_sink sink -0 --stats-json "$stats"
sink=$LAST_PID
start_worker worker --job echo
worker=$LAST_PID
start_ventilator vent -0 "$input"
vent=$LAST_PID

expect_exit "$sink" 30 0
expect_exit "$worker" 10 0
expect_exit "$vent" 10 0

sort -z "$input" >"$TEST_DIR/expected"
sort -z "$(out_of sink)" >"$TEST_DIR/got"
assert_same_file "$TEST_DIR/expected" "$TEST_DIR/got" "sorted sink -0 output"
assert_counts "$stats" "$count" "$count" 0 0
