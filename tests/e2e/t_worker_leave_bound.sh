#!/usr/bin/env bash
# issue 13: a worker's graceful leave obeys the drain's bound. Sent
# SIGTERM while its one job runs for a minute, it stops the job after 25 s
# (inside Slurm's 30 s before SIGKILL) and exits 3, saying so -- it does not
# wait for the job. The run is then aborted (two signals to the ventilator).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ctl_lib.sh"
use_transport ipc

printf '60\n' >"$TEST_DIR/in.txt"
start_sink sink --output "$TEST_DIR/out.txt"
sink=$LAST_PID
start_worker w1 --threads 1 -v -- sleep {}
w1=$LAST_PID
start_ventilator vent "$TEST_DIR/in.txt"
vent=$LAST_PID
wait_for_line "$(err_of w1)" "the first tasks arrived" 10
t0=$(now_ms)
signal_bin TERM "$w1"
expect_exit "$w1" 30 3
took=$(($(now_ms) - t0))
log "the worker left after $took ms (bound 25 s)"
((took >= 24000 && took < 27500)) || fail "left after $took ms, not about 25 s"
assert_contains "$(err_of w1)" "did not finish within 25 s: stopping them" \
    "the worker says why"
signal_bin TERM "$vent"
wait_signal_taken TERM "$vent" 5
signal_bin TERM "$vent"
expect_exit "$vent" 5 3
expect_exit "$sink" 5 3
