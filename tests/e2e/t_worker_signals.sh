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
start_worker w1 --flow credit --job sleep --threads 2
w1=$LAST_PID
start_worker w2 --flow credit --job sleep --threads 4
w2=$LAST_PID
start_ventilator vent --flow credit --batch 1 --wait-workers 2 \
    "$TEST_DIR/short.txt"
vent=$LAST_PID
sleep 0.5
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
start_sink sink2
sink2=$LAST_PID
start_worker w3 --job sleep --threads 2
w3=$LAST_PID
start_ventilator vent2 -v --batch 1 "$TEST_DIR/long.txt"
vent2=$LAST_PID
wait_for_line "$(err_of vent2)" "said hello" 10
sleep 0.3
signal_bin INT "$w3"
wait_for_line "$(err_of w3)" "leaving" 5
t0=$(now_ms)
signal_bin INT "$w3"
expect_exit "$w3" 2 3
log "w3 exited $(($(now_ms) - t0)) ms after its second signal"
signal_bin INT "$vent2"; sleep 0.2; signal_bin INT "$vent2"
expect_exit "$vent2" 5 3
expect_exit "$sink2" 5 3

# The same with the channel full (--capacity 2, two jobs running, a task
# waiting for room): leaving used to wait for room for that task -- until
# a 20 s job ended -- and the second signal went unheard meanwhile.
start_sink sink3
sink3=$LAST_PID
start_worker w4 --job sleep --threads 2 --capacity 2
w4=$LAST_PID
start_ventilator vent3 -v --batch 1 "$TEST_DIR/long.txt"
vent3=$LAST_PID
wait_for_line "$(err_of vent3)" "said hello" 10
sleep 0.3
signal_bin INT "$w4"
wait_for_line "$(err_of w4)" "leaving" 5
t0=$(now_ms)
signal_bin INT "$w4"
expect_exit "$w4" 2 3
log "w4 (full channel) exited $(($(now_ms) - t0)) ms after its second signal"
signal_bin INT "$vent3"; sleep 0.2; signal_bin INT "$vent3"
expect_exit "$vent3" 5 3
expect_exit "$sink3" 5 3
