#!/usr/bin/env bash
# A ventilator of another pushpull release (wire version 2, played by
# pp_rogue old) is said, not waited on in silence: a worker and a sink
# that know no run yet exit 1 naming both wire versions and the endpoint.
# A --serve worker says it once and waits for a run it can join.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ctl_lib.sh"
use_transport ipc
rogue=$BIN_DIR/tests/tools/pp_rogue
[[ -x $rogue ]] || die "no $rogue (make $BUILD/tests/tools/pp_rogue)"

"$rogue" old "$PP_CONTROL" 20 &
old=$!
start_worker worker --job echo
expect_exit "$LAST_PID" 10 1
assert_contains "$(err_of worker)" \
    "the ventilator at --control $PP_CONTROL speaks pushpull wire version 2, this worker version 3" \
    "the worker names both versions"
start_sink sink
expect_exit "$LAST_PID" 10 1
assert_contains "$(err_of sink)" \
    "the ventilator at --control $PP_CONTROL speaks pushpull wire version 2, this sink version 3" \
    "the sink names both versions"
start_worker serve --serve --job echo
serve=$LAST_PID
wait_for_line "$(err_of serve)" "speaks pushpull wire version 2.*--serve: waiting" 10
kill -0 "$serve" 2>/dev/null || fail "the --serve worker did not wait"
signal_bin INT "$serve"
expect_exit "$serve" 5 0
assert_eq 1 "$(grep -c 'wire version' "$(err_of serve)")" "said once"
kill "$old" 2>/dev/null
wait "$old" 2>/dev/null
true
