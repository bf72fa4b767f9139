#!/usr/bin/env bash
# --stats-json follows docs/stats.schema.json (same names, same types),
# with a failure recorded, and the per-worker items add up to the total.
. "$(dirname "$0")/lib.sh"
use_transport ipc

{ seq 1 500; echo bad; seq 501 999; } >"$TEST_DIR/input.txt"
stats=$TEST_DIR/stats.json
start_sink sink --sum --stats-json "$stats"
sink=$LAST_PID
for i in 1 2 3; do
    start_worker w$i --job square --threads 1
done
start_ventilator vent --wait-workers 3 --batch 8 "$TEST_DIR/input.txt"
vent=$LAST_PID
expect_exit "$sink" 30 4
expect_exit "$vent" 10 4
for i in 1 2 3; do expect_exit "${PP_PID_OF[w$i]}" 10 4; done

python3 "$E2E_DIR/validate_schema.py" "$ROOT/docs/stats.schema.json" \
    "$stats" >"$TEST_DIR/schema.txt" ||
    fail "stats json breaks the schema: $(cat "$TEST_DIR/schema.txt")"
assert_counts "$stats" 1000 999 1 0
assert_eq 3 "$(json_worker_items "$stats" | wc -l)" "workers listed"
assert_eq 1000 "$(json_worker_items "$stats" | awk '{ s += $1 } END { print s }')" \
    "per-worker items add up to the total"
assert_eq 500 "$(python3 -c 'import json,sys
print(json.load(open(sys.argv[1]))["failures"][0]["seq"])' "$stats")" \
    "the failed item's sequence number"
assert_contains "$stats" "not an integer: 'bad'" "the failure reason"
