#!/usr/bin/env bash
# A worker's first SIGINT makes it leave gracefully: in credit flow it
# hands back what it did not start, finishes what it did, exits 0, and the
# run still completes exactly. A second SIGINT while it is still finishing
# (long jobs) makes it exit at once, with status 3.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ctl_lib.sh"
use_transport ipc

for _ in $(seq 1 40); do echo 300; done >"$TEST_DIR/short.txt"
start_sink sink --sum
sink=$LAST_PID
start_worker w1 -v --flow credit --job sleep --threads 2
w1=$LAST_PID
start_worker w2 --flow credit --job sleep --threads 4
w2=$LAST_PID
start_ventilator vent --flow credit --batch 1 --wait-workers 2 \
    "$TEST_DIR/short.txt"
vent=$LAST_PID
# w1 holds items when it is told to leave.
wait_for_line "$(err_of w1)" "the first tasks arrived" 10
t0=$(now_ms)
signal_bin INT "$w1"
expect_exit "$w1" 3 0
log "w1 left $(($(now_ms) - t0)) ms after its signal"
expect_exit "$vent" 30 0
expect_exit "$sink" 10 0
expect_exit "$w2" 10 0
assert_eq 12000 "$(cat "$(out_of sink)")" "sum of 40 x 300"
assert_contains "$(err_of vent)" "is leaving" "the ventilator saw the BYE"

# Second signal during long jobs: out at once.
for _ in $(seq 1 20); do echo 20000; done >"$TEST_DIR/long.txt"

# second_signal_exits N WORKER_ARGS...: a run of 20 s sleeps with worker
# wN (sink sinkN, ventilator ventN); the worker's second INT, once it is
# leaving, ends it with 3 within 2 s; then the run is aborted.
second_signal_exits() {
    local n=$1
    shift
    start_sink "sink$n"
    local sink=$LAST_PID
    start_worker "w$n" -v --job sleep "$@"
    local worker=$LAST_PID
    start_ventilator "vent$n" -v --batch 1 "$TEST_DIR/long.txt"
    local vent=$LAST_PID
    wait_for_line "$(err_of "vent$n")" "said hello" 10
    wait_for_line "$(err_of "w$n")" "the first tasks arrived" 10
    signal_bin INT "$worker"
    wait_for_line "$(err_of "w$n")" "leaving" 5
    local t0
    t0=$(now_ms)
    signal_bin INT "$worker"
    expect_exit "$worker" 2 3
    log "w$n ($*) exited $(($(now_ms) - t0)) ms after its second signal"
    signal_bin INT "$vent"
    wait_signal_taken INT "$vent" 5
    signal_bin INT "$vent"
    expect_exit "$vent" 5 3
    expect_exit "$sink" 5 3
}

second_signal_exits 3 --threads 2

# The same with the channel full (--capacity 2, two jobs running, a task
# waiting for room): leaving used to wait for room for that task -- until
# a 20 s job ended -- and the second signal went unheard meanwhile.
second_signal_exits 4 --threads 2 --capacity 2
