#!/usr/bin/env bash
# A --flow that conflicts with the ventilator's is a clear error, not a
# hang: a worker given --flow push facing a credit ventilator exits 2
# naming its flag and value and the ventilator's, and the ventilator logs
# which worker it refused and why. A worker given no --flow adopts the
# ventilator's and finishes the run.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ctl_lib.sh"
use_transport ipc

start_sink sink --sum
sink=$LAST_PID
start_ventilator vent --flow credit --generate 100
vent=$LAST_PID
start_worker wrong --flow push --job square
wrong=$LAST_PID
expect_exit "$wrong" 10 2
assert_contains "$(err_of wrong)" \
    "--flow push: the ventilator runs --flow credit" \
    "the worker names its flag, its value and the ventilator's"
wait_for_line "$(err_of vent)" \
    "worker [0-9a-f]{8} \(pid [0-9]+ on .*\) refused this run: it runs --flow push, this run --flow credit" \
    10
start_worker right --job square
right=$LAST_PID
expect_exit "$sink" 30 0
expect_exit "$vent" 10 0
expect_exit "$right" 10 0
assert_eq "$(sum_of_squares 100)" "$(cat "$(out_of sink)")" "sum"
