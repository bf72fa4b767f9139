#!/usr/bin/env bash
# Abort during long sleep items: after the second SIGINT every process
# exits 3 within one second, the sink's summary says ABORTED, the
# ventilator says what each signal did, and nothing is left running
# (lib.sh checks every process group at the end).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ctl_lib.sh"
use_transport tcp

for _ in $(seq 1 200); do echo 10000; done >"$TEST_DIR/sleeps.txt"
stats=$TEST_DIR/stats.json

start_sink sink --stats-json "$stats"
sink=$LAST_PID
start_worker w1 -v --job sleep --threads 4
w1=$LAST_PID
start_worker w2 -v --job sleep --threads 4
w2=$LAST_PID
start_ventilator vent -v --batch 1 --wait-workers 2 "$TEST_DIR/sleeps.txt"
vent=$LAST_PID

# Both workers run their sleeps: the abort must cut them short.
wait_for_line "$(err_of w1)" "the first tasks arrived" 20
wait_for_line "$(err_of w2)" "the first tasks arrived" 20
signal_bin INT "$vent"
wait_signal_taken INT "$vent" 5 # else the two may arrive as one: a drain
t0=$(now_ms)
signal_bin INT "$vent"

for pid in "$vent" "$sink" "$w1" "$w2"; do
    expect_exit "$pid" 3 3
done
elapsed=$(($(now_ms) - t0))
log "all exited $elapsed ms after the second signal"
((elapsed <= 1500)) || fail "exits took $elapsed ms (bound: 1 s + slack)"
assert_contains "$(err_of sink)" "ABORTED" "sink summary"
# The ventilator says what each signal did (it used to say nothing).
assert_contains "$(err_of vent)" "drain asked by a signal (a second one aborts)" \
    "the first signal said"
assert_contains "$(err_of vent)" "abort asked by a second signal: the run stops now" \
    "the second signal said"
assert_json "$stats" aborted true
