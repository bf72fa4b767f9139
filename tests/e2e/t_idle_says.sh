#!/usr/bin/env bash
# Never silent while waiting for a peer (issue 17): a worker and a sink
# started before any ventilator, and a ventilator before any worker, each
# say within a few seconds what they wait for, where and since when
# (they used to say nothing, even with -v). A --serve worker logs each run
# it joins and leaves, with the run's counts and what it received.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ctl_lib.sh"
use_transport tcp

since='since [0-9]{2}:[0-9]{2}:[0-9]{2} \([0-9]+ s\)'
nobody='nothing accepts connections there yet'
start_worker w --serve --job square --threads 1
w=$LAST_PID
start_sink sink --sum
sink=$LAST_PID
wait_for_line "$(err_of w)" "waiting for a ventilator $since: no run heard on --control \(from PP_CONTROL\) $PP_CONTROL \($nobody" 20
wait_for_line "$(err_of sink)" "waiting for a ventilator $since: no run heard on --control \(from PP_CONTROL\) $PP_CONTROL \($nobody" 20

start_ventilator vent --generate 10
vent=$LAST_PID
expect_exit "$sink" 30 0
expect_exit "$vent" 15 0
assert_eq 385 "$(cat "$(out_of sink)")" "sum of squares 1..10"
wait_for_line "$(err_of w)" "joined run [0-9a-f]{16}" 10
wait_for_line "$(err_of w)" "left run [0-9a-f]{16} \(done: ok 10, failed 0, dropped 0; 10 items received here\)" 10
# Between runs the --serve worker still says it waits (for the next run;
# the ventilator is gone, so nothing accepts there again).
wait_for_line "$(err_of w)" "waiting for the next run $since: no run heard" 45
signal_bin INT "$w"
expect_exit "$w" 10 0

# A ventilator before any worker says it waits for workers, naming the
# endpoints to give them; it goes on when one comes.
use_transport tcp
start_ventilator vent2 --generate 5
vent2=$LAST_PID
wait_for_line "$(err_of vent2)" "waiting for workers $since: none has joined \(start pp-worker with --tasks $PP_TASKS --results $PP_RESULTS --control $PP_CONTROL --acks $PP_ACKS\)" 20
start_sink sink2 --sum
sink2=$LAST_PID
start_worker w2 --job square --threads 1
w2=$LAST_PID
expect_exit "$sink2" 30 0
expect_exit "$vent2" 15 0
expect_exit "$w2" 15 0
assert_eq 55 "$(cat "$(out_of sink2)")" "sum of squares 1..5"
# A worker not in --serve logs no run joined or left at default verbosity.
if grep -qE "joined run|left run" "$(err_of w2)"; then
    fail "a worker without --serve logged its run at default verbosity"
fi
