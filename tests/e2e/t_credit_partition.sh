#!/usr/bin/env bash
# Credit flow, a worker that vanishes and comes back (SIGSTOP for longer
# than the liveness, then SIGCONT -- a partition without the network): the
# ventilator declares it dead and sends its items to the other worker; on
# its return it is told it was written off, joins again, and its late
# results are deduplicated. Output exact, every exit 0.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ctl_lib.sh"
use_transport tcp

N=600
seq 1 $N | awk '{ print 5 + $1 % 11 }' >"$TEST_DIR/sleeps.txt"
want=$(awk '{ s += $1 } END { print s }' "$TEST_DIR/sleeps.txt")
stats=$TEST_DIR/stats.json

start_sink sink --sum --stats-json "$stats"
sink=$LAST_PID
start_worker w1 -v --flow credit --job sleep --threads 2
w1=$LAST_PID
start_worker w2 --flow credit --job sleep --threads 2
w2=$LAST_PID
start_ventilator vent --flow credit --batch 2 --heartbeat 100ms \
    --liveness 3 --wait-workers 2 "$TEST_DIR/sleeps.txt"
vent=$LAST_PID

# w1 vanishes holding items, which go to w2 and come late from w1 too.
wait_for_line "$(err_of w1)" "the first tasks arrived" 10
victim=$(bin_pid "$w1") || die "w1 is not running"
kill -STOP "$victim"
wait_for_line "$(err_of vent)" "went silent" 10
kill -CONT "$victim"
wait_for_line "$(err_of w1)" "written us off" 10

expect_exit "$vent" 40 0
expect_exit "$sink" 10 0
expect_exit "$w1" 10 0
expect_exit "$w2" 10 0
assert_eq "$want" "$(cat "$(out_of sink)")" "sum after the partition"
assert_counts "$stats" "$N" "$N" 0 0
log "redelivered $(json_get "$stats" redelivered)," \
    "duplicates $(json_get "$stats" duplicates)"
