#!/usr/bin/env bash
# The ventilator dies (-9) mid-run: nobody waits forever. Workers leave
# after --ventilator-timeout (exit 1: they cannot know how the run ended);
# the sink writes what it has, no item twice, keeps its journal for a
# later look, exits 1, and says the run is incomplete (summary and JSON;
# the total was never heard, so what is missing is a lower bound). (A
# worker that missed DONE behind a cut link leaves the same way:
# tests/netns covers the flap.)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ctl_lib.sh"
use_transport ipc

out=$TEST_DIR/results.txt
stats=$TEST_DIR/stats.json
start_sink sink --output "$out" --ventilator-timeout 2s --stats-json "$stats"
sink=$LAST_PID
start_worker w1 --job echo --threads 1 --ventilator-timeout 1s
w1=$LAST_PID
start_ventilator vent --generate 1000000 --rate 5000
vent=$LAST_PID
wait_for_lines "$out" 1000 20
signal_bin KILL "$vent"
wait_pid "$vent" 5 >/dev/null
t0=$(now_ms)
expect_exit "$w1" 5 1
assert_contains "$(err_of w1)" "no word from the ventilator" "worker says why"
expect_exit "$sink" 6 1
log "worker and sink gave up $(($(now_ms) - t0)) ms after the kill"
assert_contains "$(err_of sink)" "the run is incomplete" "sink says why"
assert_matches "$(err_of sink)" "^run [0-9a-f]{16} INCOMPLETE$" "summary header"
assert_matches "$(err_of sink)" "^  missing: at least [0-9]+ items" \
    "summary says what is missing"
assert_json "$stats" complete false
assert_json "$stats" total_known false
assert_json "$stats" aborted false
lines=$(wc -l <"$out")
assert_eq "$lines" "$(sort -u "$out" | wc -l)" "no result written twice"
[[ -s $out.journal ]] || fail "the journal should stay for an incomplete run"
true
