#!/usr/bin/env bash
# SIGINT to the sink asks the ventilator to drain: the run still completes
# exactly, and a second SIGINT is not needed.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ctl_lib.sh"
use_transport ipc

start_sink sink -v
sink=$LAST_PID
start_worker w1 -v --job echo --threads 2
w1=$LAST_PID
start_ventilator vent -v --generate 1000000000 --rate 20000
vent=$LAST_PID

wait_for_lines "$(out_of sink)" 2000 30
signal_bin INT "$sink"

expect_exit "$vent" 30 0
expect_exit "$sink" 10 0
expect_exit "$w1" 10 0
k=$(sed -n 's/.*stopped after record \([0-9]*\).*/\1/p' "$(err_of vent)")
[[ -n $k ]] || die "the ventilator did not say where it stopped"
assert_exact_set "$(out_of sink)" "$k"
