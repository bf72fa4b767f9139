#!/usr/bin/env bash
# A worker that starts after the run is over, while the ventilator is still
# announcing DONE, learns that at once and exits 0 within 2 s instead of
# waiting for work that will never come. The ventilator leaves once every
# peer it knows of confirmed the end; a worker that said hello and then
# hangs (pp_rogue mute) keeps it announcing DONE for --linger 3s.
. "$(dirname "$0")/lib.sh"
use_transport ipc

rogue=$BIN_DIR/tests/tools/pp_rogue
[[ -x $rogue ]] || die "no $rogue (make e2e builds it)"

N=100
start_sink sink --sum
sink=$LAST_PID
start_worker worker --job square
worker=$LAST_PID
start_ventilator vent --generate "$N" --linger 3s --wait-workers 2
vent=$LAST_PID
pp_start mute tests/tools/pp_rogue mute "$PP_CONTROL" "$PP_ACKS" 4
mute=$LAST_PID

expect_exit "$sink" 30 0
assert_eq "$(sum_of_squares "$N")" "$(cat "$(out_of sink)")" "sink --sum output"
expect_exit "$worker" 10 0

start_worker late --job square
late=$LAST_PID
expect_exit "$late" 2 0
# Only meaningful if the late worker really met a lingering ventilator.
kill -0 "$vent" 2>/dev/null ||
    fail "the ventilator stopped lingering before the late worker exited"

expect_exit "$vent" 10 0
expect_exit "$mute" 15 0
