#!/usr/bin/env bash
# Mismatched flows are a clear error, not a hang: a push worker facing a
# credit ventilator exits 1 naming --flow; a matching worker then finishes
# the run.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ctl_lib.sh"
use_transport ipc

start_sink sink --sum
sink=$LAST_PID
start_ventilator vent --flow credit --generate 100
vent=$LAST_PID
start_worker wrong --flow push --job square
wrong=$LAST_PID
expect_exit "$wrong" 10 1
assert_contains "$(err_of wrong)" "--flow" "the error names the flag"
start_worker right --flow credit --job square
right=$LAST_PID
expect_exit "$sink" 30 0
expect_exit "$vent" 10 0
expect_exit "$right" 10 0
assert_eq "$(sum_of_squares 100)" "$(cat "$(out_of sink)")" "sum"
