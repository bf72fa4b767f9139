#!/usr/bin/env bash
# A worker and then the sink, each stopped (SIGSTOP, then SIGCONT) for
# longer than its --ventilator-timeout (1s): on waking, the ventilator's
# STATE waits unread in its socket, so it must not judge the ventilator
# lost by the time it lost itself (the worker left the run, exit 1; the
# sink wrote an incomplete run). The run completes exactly, nothing sent
# again, every exit 0.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ctl_lib.sh"
use_transport tcp

N=800
seq 1 $N | awk '{ print 5 + $1 % 11 }' >"$TEST_DIR/sleeps.txt"
want=$(awk '{ s += $1 } END { print s }' "$TEST_DIR/sleeps.txt")
stats=$TEST_DIR/stats.json

start_sink sink --sum --stats-json "$stats" --ventilator-timeout 1s
sink=$LAST_PID
start_worker worker --job sleep --threads 4 --ventilator-timeout 1s
worker=$LAST_PID
start_ventilator vent -v --wait-workers 1 "$TEST_DIR/sleeps.txt"
vent=$LAST_PID

# stop NAME PID: the process stopped for 2 s (under the 3 s after which
# ZMTP heartbeats drop its connections), then awake: it says so, or, on
# the time it lost, gives up on the ventilator.
stop() {
    local victim
    victim=$(bin_pid "$2") || die "$1 is not running"
    kill -STOP "$victim"
    sleep 2 # the stop itself is what is tested: no event to await
    kill -CONT "$victim"
    wait_for_line "$(err_of "$1")" "did not run for|no word from" 10
}

wait_for_line "$(err_of vent)" "said hello" 10
stop worker "$worker"
stop sink "$sink"

expect_exit "$vent" 30 0
expect_exit "$sink" 10 0
expect_exit "$worker" 10 0
assert_eq "$want" "$(cat "$(out_of sink)")" "sum after the stops"
assert_counts "$stats" "$N" "$N" 0 0
assert_eq 0 "$(json_get "$stats" redelivered)" "items sent again"
assert_contains "$(err_of worker)" "did not run for" "the worker noticed"
assert_contains "$(err_of sink)" "did not run for" "the sink noticed"
if grep "no word from the ventilator" "$(err_of worker)" "$(err_of sink)" >&2
then
    fail "a stopped process gave up on a live ventilator"
fi
