#!/usr/bin/env bash
# Killing every worker, then starting fresh ones: the run still completes
# exactly (credit flow requeues on silence, push flow on the ack timeout).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ctl_lib.sh"
use_transport ipc

N=2000
seq 1 $N | awk '{ print 1 + $1 % 3 }' >"$TEST_DIR/sleeps.txt"
want=$(awk '{ s += $1 } END { print s }' "$TEST_DIR/sleeps.txt")

for flow in credit push; do
    start_sink sink.$flow --sum
    sink=$LAST_PID
    old=()
    for i in 1 2; do
        start_worker old.$flow.$i -v --flow $flow --job sleep --threads 4
        old+=("$LAST_PID")
    done
    start_ventilator vent.$flow --flow $flow --batch 4 --ack-timeout 1s \
        --heartbeat 200ms --wait-workers 2 "$TEST_DIR/sleeps.txt"
    vent=$LAST_PID
    # Both die holding items: those must be sent again.
    for i in 1 2; do
        wait_for_line "$(err_of old.$flow.$i)" "the first tasks arrived" 10
    done
    for pid in "${old[@]}"; do
        signal_bin KILL "$pid"
        wait_pid "$pid" 5 >/dev/null
    done
    fresh=()
    for i in 1 2; do
        start_worker new.$flow.$i --flow $flow --job sleep --threads 4
        fresh+=("$LAST_PID")
    done
    expect_exit "$vent" 40 0
    expect_exit "$sink" 10 0
    for pid in "${fresh[@]}"; do expect_exit "$pid" 10 0; done
    assert_eq "$want" "$(cat "$(out_of sink.$flow)")" "sum ($flow)"
done
