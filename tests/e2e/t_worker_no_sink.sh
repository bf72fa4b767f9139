#!/usr/bin/env bash
# A worker with no sink fills up: its job threads wait for room in the
# result channel, its sender for a sink. Every stop path still ends it
# within its bound, with an exit status that says results were withheld
# and a log line that says how many:
#   SIGINT twice, SIGTERM twice    exit 3 at once
#   ABORT from the ventilator      exit 3 within a second (5 runs)
#   --ventilator-timeout 2s        exit 1 (the ventilator killed; 3 runs:
#                                  libzmq asserted here, !_io_error, 134)
#   SIGINT once (leave)            exit 1 once the sink took nothing for 3 s
# lib.sh fails the test for a leftover process or a sanitizer report.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ctl_lib.sh"

WITHHELD='[0-9]+ results were not delivered to the sink'

# start_stuck NAME [WORKER_ARGS...]: ventilator vNAME (a run of a million
# squares) and worker wNAME, no sink; returns once the worker holds
# results it cannot send. Sets VENT and WORKER.
start_stuck() {
    local name=$1
    shift
    use_transport ipc # fresh endpoints: no sink of another case
    start_ventilator "v$name" --generate 1000000
    VENT=$LAST_PID
    start_worker "w$name" --job square --threads 2 "$@"
    WORKER=$LAST_PID
    wait_for_line "$(err_of "w$name")" "the sink takes no results" 20 ||
        die "w$name never filled up"
}

# abort_vent NAME: asks ventilator vNAME to abort (drain, then abort).
abort_vent() {
    signal_bin INT "$VENT"
    wait_for_line "$(err_of "v$1")" "draining" 5
    signal_bin INT "$VENT"
}

# expect_stop NAME SECONDS CODE: worker wNAME exits with CODE within
# SECONDS of now, and logs how many results it withheld.
expect_stop() {
    local t0
    t0=$(now_ms)
    expect_exit "$WORKER" "$2" "$3"
    log "w$1 exited $(($(now_ms) - t0)) ms after its stop"
    assert_matches "$(err_of "w$1")" "$WITHHELD" "w$1 says what it withheld"
}

# Two signals: the first makes it leave, the second stops it at once.
for sig in INT TERM; do
    start_stuck "$sig"
    signal_bin "$sig" "$WORKER"
    wait_for_line "$(err_of "w$sig")" "leaving" 5
    signal_bin "$sig" "$WORKER"
    expect_stop "$sig" 2 3
    assert_matches "$(err_of "w$sig")" "stopped at once: $WITHHELD.*ack-timeout" \
        "w$sig says the items come again"
    abort_vent "$sig"
    expect_exit "$VENT" 5 3
done

# ABORT: the run is over, exit 3 within a second.
for i in 1 2 3 4 5; do
    start_stuck "abort$i"
    abort_vent "abort$i"
    expect_stop "abort$i" 2 3
    assert_contains "$(err_of "wabort$i")" "the run was aborted" "wabort$i"
    expect_exit "$VENT" 5 3
done

# The ventilator killed: the worker leaves the run after
# --ventilator-timeout, its tasks socket full and closed by the peer the
# whole time (libzmq's ping timer asserted on such a connection).
for i in 1 2 3; do
    start_stuck "silent$i" --ventilator-timeout 2s
    signal_bin KILL "$VENT"
    wait_pid "$VENT" 5 >/dev/null
    expect_stop "silent$i" 4 1
    assert_contains "$(err_of "wsilent$i")" "no word from the ventilator" \
        "wsilent$i says why"
done

# One signal: leave gracefully, but no sink takes what is finished. The
# worker gives up after 3 s without progress, exit 1, and says the
# ventilator sends those items again.
start_stuck leave
signal_bin INT "$WORKER"
expect_stop leave 5 1
assert_contains "$(err_of wleave)" "giving up" "wleave says why"
assert_matches "$(err_of wleave)" "left: $WITHHELD.*ack-timeout" \
    "wleave says the items come again"
abort_vent leave
expect_exit "$VENT" 5 3
