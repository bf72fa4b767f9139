#!/usr/bin/env bash
# Drain mid-stream: an endless --generate run gets SIGINT on the ventilator.
# It stops reading, says where (record K), and the run completes with the
# items 1..K exactly -- none missing, none twice -- and every exit code 0.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ctl_lib.sh"
use_transport tcp

start_sink sink
sink=$LAST_PID
start_worker w1 --job echo --threads 1
w1=$LAST_PID
start_worker w2 --job echo --threads 1
w2=$LAST_PID
start_ventilator vent --generate 1000000000 --wait-workers 2
vent=$LAST_PID

wait_for_lines "$(out_of sink)" 20000 30
signal_bin INT "$vent"

expect_exit "$vent" 30 0
expect_exit "$sink" 10 0
expect_exit "$w1" 10 0
expect_exit "$w2" 10 0

k=$(sed -n 's/.*stopped after record \([0-9]*\).*/\1/p' "$(err_of vent)")
[[ -n $k ]] || die "the ventilator did not say where it stopped"
log "drained after $k records"
assert_exact_set "$(out_of sink)" "$k"
assert_contains "$(err_of vent)" "--skip $k" "resume hint"
