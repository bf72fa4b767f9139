#!/usr/bin/env bash
# Ventilator-side overflow policies, with the window (not the workers) as
# the bottleneck. drop: records read while the window is full are counted
# as dropped, and ok + dropped == total. spill: nothing is lost, and the
# sum is exact.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ctl_lib.sh"
use_transport tcp

N=20000
stats=$TEST_DIR/drop.json
start_sink sink1 --sum --stats-json "$stats"
sink1=$LAST_PID
start_worker w1 --job square --threads 1
w1=$LAST_PID
start_ventilator vent1 --generate $N --window 64 --overflow drop \
    --wait-workers 1
vent1=$LAST_PID
expect_exit "$sink1" 40 4
expect_exit "$vent1" 10 4
expect_exit "$w1" 10 4
ok=$(json_get "$stats" ok)
dropped=$(json_get "$stats" dropped)
log "drop: ok $ok, dropped $dropped"
assert_json "$stats" total "$N"
assert_eq "$N" "$((ok + dropped))" "ok + dropped"
((dropped > 0)) || fail "nothing was dropped: the window never filled"

mkdir -p "$TEST_DIR/spill"
stats=$TEST_DIR/spill.json
start_sink sink2 --sum --stats-json "$stats"
sink2=$LAST_PID
start_worker w2 --job square --threads 1
w2=$LAST_PID
start_ventilator vent2 --generate $N --window 256 --overflow spill \
    --spill-dir "$TEST_DIR/spill" --wait-workers 1
vent2=$LAST_PID
expect_exit "$sink2" 40 0
expect_exit "$vent2" 10 0
expect_exit "$w2" 10 0
assert_eq "$(sum_of_squares $N)" "$(cat "$(out_of sink2)")" "sum with spill"
assert_counts "$stats" "$N" "$N" 0 0
assert_eq "" "$(ls -A "$TEST_DIR/spill")" "spill directory left empty"
