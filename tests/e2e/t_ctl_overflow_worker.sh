#!/usr/bin/env bash
# Worker-side overflow policies. drop: a worker that cannot keep up reports
# each item it drops, so ok + dropped == total exactly and the run exits 4.
# spill: the same flood goes to disk and comes back; every item ok.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ctl_lib.sh"
use_transport ipc

N=300
for i in $(seq 1 $N); do echo 2; done >"$TEST_DIR/sleeps.txt"

# --- drop ---
stats=$TEST_DIR/drop.json
start_sink sink1 --stats-json "$stats"
sink1=$LAST_PID
start_worker w1 --job sleep --threads 1 --capacity 2 --overflow drop
w1=$LAST_PID
start_ventilator vent1 --batch 50 "$TEST_DIR/sleeps.txt"
vent1=$LAST_PID
expect_exit "$sink1" 40 4
expect_exit "$vent1" 10 4
expect_exit "$w1" 10 4
ok=$(json_get "$stats" ok)
dropped=$(json_get "$stats" dropped)
log "drop: ok $ok, dropped $dropped"
assert_eq "$N" "$((ok + dropped))" "ok + dropped"
assert_json "$stats" total "$N"
assert_json "$stats" failed 0
((dropped > 0)) || fail "nothing was dropped: the test did not overflow"
assert_eq "$ok" "$(wc -l <"$(out_of sink1)")" "results written for ok items"

# --- spill ---
mkdir -p "$TEST_DIR/spill"
stats=$TEST_DIR/spill.json
start_sink sink2 --stats-json "$stats"
sink2=$LAST_PID
start_worker w2 --job sleep --threads 1 --capacity 2 --overflow spill \
    --spill-dir "$TEST_DIR/spill"
w2=$LAST_PID
start_ventilator vent2 --batch 50 "$TEST_DIR/sleeps.txt"
vent2=$LAST_PID
expect_exit "$sink2" 40 0
expect_exit "$vent2" 10 0
expect_exit "$w2" 10 0
assert_counts "$stats" "$N" "$N" 0 0
assert_eq "$N" "$(wc -l <"$(out_of sink2)")" "results written"
assert_eq "" "$(ls -A "$TEST_DIR/spill")" "spill directory left empty"
