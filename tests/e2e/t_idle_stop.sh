#!/usr/bin/env bash
# A stop signal ends an idle process at once. A sink that has not heard
# of a run, and a ventilator that has sent nothing yet (no worker took an
# item), have nothing to drain: the first SIGTERM ends each with exit 3
# (aborted: no run completed), so `timeout` ends them. A ventilator with
# items out and nobody left to finish them drains until --drain-timeout.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ctl_lib.sh"
use_transport ipc

# start_under_timeout NAME SECONDS BINARY [ARGS...]: BINARY as a script
# runs it, under `timeout --preserve-status SECONDS` (one SIGTERM when the
# time is up; its exit status is the binary's), in a process group of its
# own that cleanup kills if it hangs. Registered as pp_start does.
start_under_timeout() {
    local name=$1 secs=$2 bin=$BIN_DIR/$3
    shift 3
    printf '%q ' timeout "$secs" "$bin" "$@" >"$TEST_DIR/$name.cmd"
    setsid timeout --preserve-status "$secs" "$bin" "$@" </dev/null \
        >"$TEST_DIR/$name.out" 2>"$TEST_DIR/$name.err" &
    LAST_PID=$!
    PP_PIDS+=("$LAST_PID")
    PP_NAME_OF[$LAST_PID]=$name
    PP_PID_OF[$name]=$LAST_PID
}

# 1. A sink with no run yet.
start_sink sink --sum --stats-json "$TEST_DIR/sink.json"
sink=$LAST_PID
wait_for_bind "$PP_RESULTS" 10
signal_bin TERM "$sink"
expect_exit "$sink" 2 3
assert_json "$TEST_DIR/sink.json" aborted true

# 2. A ventilator with neither workers nor a sink.
use_transport ipc
start_ventilator vent --generate 100
vent=$LAST_PID
wait_for_bind "$PP_ACKS" 10
signal_bin TERM "$vent"
expect_exit "$vent" 2 3
assert_contains "$(err_of vent)" "nothing to drain" "ventilator's reason"

# 3. A sink but no worker: the ventilator ends the run, the sink with it.
use_transport ipc
start_sink sink3 --sum -vv
sink3=$LAST_PID
start_ventilator vent3 --generate 100
vent3=$LAST_PID
wait_for_line "$(err_of sink3)" "run [0-9a-f]+, window" 10
signal_bin TERM "$vent3"
expect_exit "$vent3" 2 3
expect_exit "$sink3" 2 3

# 4. The way a script stops them: `timeout 1` sends one SIGTERM.
use_transport ipc
start_under_timeout timed-sink 1 pp-sink
timed_sink=$LAST_PID
use_transport ipc
start_under_timeout timed-vent 1 pp-ventilator --generate 100
timed_vent=$LAST_PID
expect_exit "$timed_sink" 3 3
expect_exit "$timed_vent" 3 3

# 5. Items out, then the sink dies: the drain cannot complete, and
#    --drain-timeout turns it into an abort.
use_transport ipc
start_sink sink5
sink5=$LAST_PID
start_worker w5 --job echo --threads 1
w5=$LAST_PID
start_ventilator vent5 --generate 1000000000 --rate 2000 --drain-timeout 1s
vent5=$LAST_PID
wait_for_lines "$(out_of sink5)" 100 20
signal_bin KILL "$sink5"
expect_exit "$sink5" 5 137
signal_bin TERM "$vent5"
expect_exit "$vent5" 4 3
expect_exit "$w5" 4 3
assert_contains "$(err_of vent5)" "did not complete within --drain-timeout" \
    "ventilator's reason"
