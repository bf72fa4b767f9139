#!/usr/bin/env bash
# issue 13: the ventilator killed -9 after the run completed (the sink has
# every outcome and left, DONE was being announced for --linger): --resume
# finds the run completed in its journal, says so, exits 0 and removes the
# journal -- it does not wait forever for a sink that is gone.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ctl_lib.sh"
. "$(dirname "$0")/resume_lib.sh"
use_transport ipc

out=$TEST_DIR/out.txt
journal=$TEST_DIR/vent.journal
args=(--generate 500 --journal "$journal" --linger 30s)
start_sink sink --output "$out"
sink=$LAST_PID
start_ventilator v1 "${args[@]}"
v1=$LAST_PID
# A worker that joins and never confirms the end keeps the ventilator
# announcing DONE for --linger (the others confirm at once): the window
# to kill it in.
pp_start mute tests/tools/pp_rogue mute "$PP_CONTROL" "$PP_ACKS" 20
mute=$LAST_PID
wait_for_line "$(out_of mute)" "^hello$" 10
start_worker w1 --job echo --threads 2
w1=$LAST_PID
expect_exit "$sink" 20 0
expect_exit "$w1" 10 0
kill9 "$v1"
[[ -s $journal ]] || fail "killed in --linger: the journal is still there"
start_ventilator v2 "${args[@]}" --resume
expect_exit "$LAST_PID" 10 0
assert_contains "$(err_of v2)" "completed already (500 items: 500 ok, 0 failed, 0 dropped): nothing to resume" \
    "says the run completed"
[[ ! -e $journal ]] || fail "the journal of a completed run stays"
assert_exact_set "$out" 500
signal_bin TERM "$mute" # it would wait out its 20 s
wait_pid "$mute" 10 >/dev/null
true
