#!/usr/bin/env bash
# An output without a journal (here /dev/full: not a regular file; stdout
# is the same) that cannot be written: the sink stops with exit 1 and,
# since such a run can never be resumed, asks the ventilator to abort it:
# every process exits 3 instead of the ventilator waiting forever. The
# bug: results acked unwritten, the sink's exit 0 (or 1 for --sum, whose
# line was written after COMPLETE let the ventilator exit 0).
. "$(dirname "$0")/lib.sh"
use_transport ipc

# run_case NAME SINK-FLAGS...: one run into /dev/full.
run_case() {
    local name=$1
    shift
    use_transport ipc
    start_sink "$name" --output /dev/full "$@"
    local sink=$LAST_PID
    start_worker "$name-w" --job echo --threads 2
    local w=$LAST_PID
    start_ventilator "$name-vent" --generate 50000
    local vent=$LAST_PID
    expect_exit "$sink" 20 1
    expect_exit "$vent" 10 3
    expect_exit "$w" 10 3
    assert_contains "$(err_of "$name")" \
        "cannot write results to /dev/full: No space left on device" \
        "$name says what failed"
    assert_contains "$(err_of "$name")" "the ventilator is asked to abort" \
        "$name says what it does about it"
}

run_case lines
run_case sum --sum
true
