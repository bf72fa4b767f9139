#!/usr/bin/env bash
# A worker that starts after DRAIN was published still joins, works, and
# exits 0 with the rest; the run completes exactly.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ctl_lib.sh"
use_transport ipc

# 400 items of 5 ms on one single-thread worker: about 2 s of work.
for _ in $(seq 1 400); do echo 5; done >"$TEST_DIR/sleeps.txt"

start_sink sink --sum
sink=$LAST_PID
start_worker w1 --job sleep --threads 1 --capacity 1
w1=$LAST_PID
start_ventilator vent -v --batch 1 --flow push "$TEST_DIR/sleeps.txt"
vent=$LAST_PID
# The whole file fits the window at once, so DRAIN is out as soon as w1
# works; the ventilator says so (-v). Waiting only for w1's hello let w2
# join a RUNNING run under load (CI, 1 run in about 100).
wait_for_line "$(err_of vent)" "the input is all sent \(400 items\): draining" 20
start_worker w2 -v --job sleep --threads 2
w2=$LAST_PID
wait_for_line "$(err_of w2)" "joined run [0-9a-f]+ \((draining|from a task)\)" 20

expect_exit "$vent" 40 0
expect_exit "$sink" 10 0
expect_exit "$w1" 10 0
expect_exit "$w2" 10 0
assert_eq 2000 "$(cat "$(out_of sink)")" "sum of 400 x 5"
