#!/usr/bin/env bash
# Acks are never lost to a high-water mark: a sink (and then every
# process) with --hwm 1 still acks every outcome at once, so the run ends
# in a second or two, not one window per --ack-timeout, and nothing is
# sent twice. --ack-timeout is long so a lost ack stalls the run.
. "$(dirname "$0")/lib.sh"
use_transport ipc

N=20000
expected=$TEST_DIR/expected
seq 1 "$N" >"$expected"

# run_small_hwm NAME SINK_HWM OTHERS_HWM FLOW
run_small_hwm() {
    local name=$1 sink_hwm=$2 hwm=$3 flow=$4
    local stats=$TEST_DIR/$name.json
    start_sink sink.$name --hwm "$sink_hwm" --ordered --stats-json "$stats"
    local sink=$LAST_PID
    start_worker w.$name --hwm "$hwm" --flow "$flow" --job echo --threads 2
    local w=$LAST_PID
    start_ventilator vent.$name --hwm "$hwm" --flow "$flow" --window 256 \
        --ack-timeout 60s --generate "$N"
    local vent=$LAST_PID
    expect_exit "$sink" 30 0
    expect_exit "$vent" 10 0
    expect_exit "$w" 10 0
    assert_same_file "$expected" "$(out_of sink.$name)" "ordered output ($name)"
    assert_counts "$stats" "$N" "$N" 0 0
    assert_json "$stats" redelivered 0
}

run_small_hwm sink1 1 100 push
use_transport ipc
run_small_hwm all1 1 1 credit
