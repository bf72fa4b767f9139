#!/usr/bin/env bash
# An ack the sink cannot send now is not lost: a ventilator (pp_rogue deaf)
# that reads no ack for a while fills the sink's acks queue with ranges of
# one seq each; once it reads again, every one of the N items is acked.
. "$(dirname "$0")/lib.sh"
use_transport ipc

rogue=$BIN_DIR/tests/tools/pp_rogue
[[ -x $rogue ]] || die "no $rogue (make e2e builds it)"

N=1000000
start_sink sink --sum
sink=$LAST_PID
pp_start deaf tests/tools/pp_rogue deaf "$PP_CONTROL" "$PP_ACKS" \
    "$PP_RESULTS" "$N" 2
deaf=$LAST_PID
expect_exit "$deaf" 40 0
expect_exit "$sink" 10 0
assert_eq "$N" "$(cat "$(out_of deaf)")" "items acked"
assert_eq "$N" "$(cat "$(out_of sink)")" "sum"
