#!/usr/bin/env bash
# The sink killed -9 mid-run, and command jobs with no sink: the worker
# still ends on every stop path within its bound, says how many results
# it withheld, and leaves no child behind.
#   credit flow, one SIGINT      unstarted items go back to the ventilator
#                                (BYE); what is finished cannot go: exit 1
#   ... the SIGINT in the same instant as the sink's death: the same
#   push flow, one SIGINT        results queued for the dead sink: exit 1
#   push flow, two SIGINTs       exit 3 at once
#   per-item commands, ABORT     exit 3 within a second
#   --pipe commands, two SIGINTs exit 3 at once, the pipe children gone
#   jobs blocked writing an item to a child that never reads it: two
#   SIGINTs, exit 3 at once, the children gone
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ctl_lib.sh"

WITHHELD='[0-9]+ results were not delivered to the sink'

# kill_sink_midrun NAME FLOW: sink sNAME, worker wNAME, ventilator vNAME
# (a million squares); kills the sink -9 once 1000 results are written.
kill_sink_midrun() {
    local name=$1 flow=$2 out=$TEST_DIR/$1.results
    use_transport ipc
    start_sink "s$name" --output "$out"
    local sink=$LAST_PID
    start_worker "w$name" --flow "$flow" --job square --threads 2
    WORKER=$LAST_PID
    start_ventilator "v$name" --flow "$flow" --generate 1000000
    VENT=$LAST_PID
    wait_for_lines "$out" 1000 20 || die "s$name wrote nothing"
    signal_bin KILL "$sink"
    wait_pid "$sink" 5 >/dev/null
}

# abort_vent NAME: asks ventilator vNAME to abort (drain, then abort).
abort_vent() {
    signal_bin INT "$VENT"
    wait_for_line "$(err_of "v$1")" "draining" 5
    signal_bin INT "$VENT"
    expect_exit "$VENT" 5 3
}

# twice NAME: two SIGINTs to worker wNAME, the second once it is leaving;
# it exits 3 within 2 s of the second.
twice() {
    signal_bin INT "$WORKER"
    wait_for_line "$(err_of "w$1")" "leaving" 5
    local t0
    t0=$(now_ms)
    signal_bin INT "$WORKER"
    expect_exit "$WORKER" 2 3
    log "w$1 exited $(($(now_ms) - t0)) ms after its second signal"
}

# no_child_left PIDFILE: every pid written there is gone.
no_child_left() {
    local pid
    for pid in $(cat "$1"); do
        kill -0 "$pid" 2>/dev/null && fail "child $pid outlived the worker"
    done
}

# Credit flow, one SIGINT: the BYE hands the unstarted items back; what
# was finished is queued for a sink that is gone (the results socket's
# monitor knows), or waits for it until the leaving bound (3 s of no
# sink): either way the worker says so and exits 1.
kill_sink_midrun credit credit
t0=$(now_ms)
signal_bin INT "$WORKER"
expect_exit "$WORKER" 5 1
log "wcredit left $(($(now_ms) - t0)) ms after its signal"
# The ventilator requeues the unstarted items at once: on the BYE, or,
# when it tried to send to the worker after its tasks socket closed but
# before it read the BYE, on finding it gone.
wait_for_line "$(err_of vcredit)" \
    "is leaving; [0-9]+ items handed back|cannot be reached: its unacked" 5
assert_matches "$(err_of wcredit)" "$WITHHELD.*heartbeats stop" \
    "wcredit says what it withheld and who sends it again"
abort_vent credit

# Credit flow, the worker told to leave in the same instant the sink is
# killed: it must not take what it sent just before for delivered (those
# may have died in the sink's socket, and libzmq gives no receipt) nor
# leave before the drop is reported to it. The old worker often exited 0.
kill_sink_midrun_at_once() {
    local out=$TEST_DIR/atonce.results
    use_transport ipc
    start_sink satonce --output "$out"
    local sink=$LAST_PID
    start_worker watonce --flow credit --job square --threads 2
    WORKER=$LAST_PID
    start_ventilator vatonce --flow credit --generate 1000000
    VENT=$LAST_PID
    wait_for_lines "$out" 1000 20 || die "satonce wrote nothing"
    local s w
    s=$(bin_pid "$sink") && w=$(bin_pid "$WORKER") ||
        die "satonce or watonce is not running"
    kill -KILL "$s"
    kill -INT "$w"
    wait_pid "$sink" 5 >/dev/null
}
kill_sink_midrun_at_once
expect_exit "$WORKER" 5 1
assert_matches "$(err_of watonce)" "$WITHHELD" \
    "watonce says what may not have reached the sink"
abort_vent atonce

# Push flow, slow jobs, one SIGINT right after the sink died: nothing
# waits (libzmq queues the last results for the sink's return), but the
# results socket's monitor knows the sink is gone: those results are
# counted, exit 1, and nobody waits for the leaving bound.
use_transport ipc
out=$TEST_DIR/slow.results
start_sink sslow --output "$out"
sink=$LAST_PID
start_worker wslow --job sleep --threads 2
WORKER=$LAST_PID
for _ in $(seq 1 2000); do echo 50; done >"$TEST_DIR/fifty.txt"
start_ventilator vslow --batch 1 "$TEST_DIR/fifty.txt"
VENT=$LAST_PID
wait_for_lines "$out" 20 20 || die "sslow wrote nothing"
signal_bin KILL "$sink"
wait_pid "$sink" 5 >/dev/null
t0=$(now_ms)
signal_bin INT "$WORKER"
expect_exit "$WORKER" 2 1
log "wslow left $(($(now_ms) - t0)) ms after its signal"
assert_matches "$(err_of wslow)" "left: $WITHHELD.*ack-timeout" "wslow"
signal_bin KILL "$VENT" # draining already (input read): INT is no abort
wait_pid "$VENT" 5 >/dev/null

# Push flow, two SIGINTs once the worker holds what it cannot send.
kill_sink_midrun push push
wait_for_line "$(err_of wpush)" "the sink takes no results" 20
twice push
assert_matches "$(err_of wpush)" "stopped at once: $WITHHELD" "wpush"
abort_vent push

# Per-item commands, no sink: ABORT.
use_transport ipc
start_ventilator vexec --generate 1000000
VENT=$LAST_PID
start_worker wexec --threads 2 -- sh -c 'echo {}'
WORKER=$LAST_PID
wait_for_line "$(err_of wexec)" "the sink takes no results" 30
signal_bin INT "$VENT"
wait_for_line "$(err_of vexec)" "draining" 5
t0=$(now_ms)
signal_bin INT "$VENT"
expect_exit "$WORKER" 2 3
log "wexec exited $(($(now_ms) - t0)) ms after the abort"
assert_contains "$(err_of wexec)" "the run was aborted" "wexec"
expect_exit "$VENT" 5 3

# --pipe, no sink: two SIGINTs; the pipe children end with the worker.
pids=$TEST_DIR/pipe.pids
use_transport ipc
start_ventilator vpipe --generate 1000000
VENT=$LAST_PID
start_worker wpipe --threads 2 --pipe -- sh -c "echo \$\$ >>$pids; exec cat"
WORKER=$LAST_PID
wait_for_line "$(err_of wpipe)" "the sink takes no results" 20
twice pipe
no_child_left "$pids"
abort_vent pipe

# Jobs blocked writing: items of 200 kB (more than a pipe holds) to
# children that never read their stdin.
pids=$TEST_DIR/deaf.pids
big=$(head -c 200000 /dev/zero | tr '\0' x)
for _ in 1 2 3 4; do echo "$big"; done >"$TEST_DIR/big.txt"
use_transport ipc
start_ventilator vdeaf --batch 1 "$TEST_DIR/big.txt"
VENT=$LAST_PID
start_worker wdeaf --threads 2 -- sh -c "echo \$\$ >>$pids; exec sleep 30"
WORKER=$LAST_PID
touch "$pids"
wait_for_lines "$pids" 2 20
twice deaf
no_child_left "$pids"
signal_bin KILL "$VENT" # draining already (input read): INT is no abort
wait_pid "$VENT" 5 >/dev/null
true # the last status is the ventilator's 137: not the test's
