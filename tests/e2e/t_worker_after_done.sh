#!/usr/bin/env bash
# A worker that starts after the run is over, while the ventilator is still
# announcing DONE (--linger 3s), learns that at once and exits 0 within 2 s
# instead of waiting for work that will never come.
. "$(dirname "$0")/lib.sh"
use_transport ipc

N=100
start_sink sink --sum
sink=$LAST_PID
start_worker worker --job square
worker=$LAST_PID
start_ventilator vent --generate "$N" --linger 3s
vent=$LAST_PID

expect_exit "$sink" 30 0
assert_eq "$(sum_of_squares "$N")" "$(cat "$(out_of sink)")" "sink --sum output"

start_worker late --job square
late=$LAST_PID
expect_exit "$late" 2 0
# Only meaningful if the late worker really met a lingering ventilator.
kill -0 "$vent" 2>/dev/null ||
    fail "the ventilator stopped lingering before the late worker exited"

expect_exit "$worker" 10 0
expect_exit "$vent" 10 0
