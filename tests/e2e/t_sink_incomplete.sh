#!/usr/bin/env bash
# A run the sink gives up on is reported as incomplete, never completed:
# the ventilator (total known: 10 items) dies while 2 items are still in
# jobs; the sink gives up after --ventilator-timeout, exits 1 (the run
# failed at run time: a lost peer, not an abort anyone asked for), and its
# summary and --stats-json say INCOMPLETE and exactly what is missing.
# The bug: "run ... completed" and "aborted": false, nothing missing.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ctl_lib.sh"
use_transport ipc

printf '%s\n' 8000 8000 1 1 1 1 1 1 1 1 >"$TEST_DIR/sleeps.txt"
out=$TEST_DIR/results.txt
stats=$TEST_DIR/stats.json
start_ventilator vent "$TEST_DIR/sleeps.txt"
vent=$LAST_PID
start_sink sink -v --output "$out" --stats-json "$stats" \
    --ventilator-timeout 1s
sink=$LAST_PID
# The run is known to the sink before any worker exists; the ventilator
# read the 10 lines at once, and its STATEs (several a second) carry the
# total long before the worker started next returns anything.
wait_for_line "$(err_of sink)" "run [0-9a-f]+, window" 10
# The worker gives up later than the sink: its jobs cut short must not
# reach the sink as outcomes before the sink has given up.
start_worker w --job sleep --threads 4 --ventilator-timeout 3s
w=$LAST_PID
wait_for_lines "$out" 8 20
signal_bin KILL "$vent"
wait_pid "$vent" 5 >/dev/null

expect_exit "$sink" 10 1
expect_exit "$w" 10 1
assert_matches "$(err_of sink)" "^run [0-9a-f]{16} INCOMPLETE$" "summary header"
assert_contains "$(err_of sink)" \
    "missing: 2 items without an outcome (seqs 0-1)" "what is missing"
grep -q " completed" "$(err_of sink)" && fail "the summary says completed"
assert_json "$stats" complete false
assert_json "$stats" total_known true
assert_json "$stats" missing 2
assert_json "$stats" aborted false
assert_json "$stats" total 8
assert_eq '[{"n":2,"seq":0}]' \
    "$(python3 -c 'import json, sys
print(json.dumps(json.load(open(sys.argv[1]))["missing_ranges"],
                 sort_keys=True, separators=(",", ":")))' "$stats")" \
    "missing_ranges"
python3 "$E2E_DIR/validate_schema.py" "$ROOT/docs/stats.schema.json" \
    "$stats" >"$TEST_DIR/schema.txt" ||
    fail "stats json breaks the schema: $(cat "$TEST_DIR/schema.txt")"
assert_eq 8 "$(wc -l <"$out")" "results written"
[[ -s $out.journal ]] || fail "the journal should stay for an incomplete run"
true
