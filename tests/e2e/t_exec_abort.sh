#!/usr/bin/env bash
# Abort while `sleep 60` children run: every process exits 3 within about
# a second and no child is left (children live in their own process
# groups, so lib.sh's group check cannot see them: the test records them).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ctl_lib.sh"
use_transport ipc

pids=$TEST_DIR/child.pids
start_sink sink
sink=$LAST_PID
start_worker w1 --threads 3 -- sh -c "echo \$\$ >>$pids; exec sleep 60"
w1=$LAST_PID
start_worker w2 --threads 3 --pipe -- \
    sh -c "echo \$\$ >>$pids; while read x; do sleep 60; done"
w2=$LAST_PID
start_ventilator vent -v --batch 1 --wait-workers 2 --generate 40
vent=$LAST_PID
touch "$pids"
wait_for_lines "$pids" 6 20
signal_bin INT "$vent"
wait_signal_taken INT "$vent" 5 # else the two may arrive as one: a drain
t0=$(now_ms)
signal_bin INT "$vent"
for pid in "$vent" "$sink" "$w1" "$w2"; do
    expect_exit "$pid" 3 3
done
elapsed=$(($(now_ms) - t0))
((elapsed <= 1500)) || fail "exits took $elapsed ms (bound: 1 s + slack)"
for pid in $(cat "$pids"); do
    if kill -0 "$pid" 2>/dev/null; then
        fail "child $pid outlived the abort"
    fi
done
