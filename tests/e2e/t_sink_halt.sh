#!/usr/bin/env bash
# pp-sink --halt, issue 14, over a run that would take ~15 s (600 sleeps
# of 50 ms on 2 threads) whose record 20 is not a number (--job sleep
# fails it):
#   now,fail=1     every process ends, exit 3, within a second of the
#                  failure being recorded; the summary says why.
#   soon,fail=1    a drain (over 3000 sleeps of 5 ms): what was sent and
#                  what the ventilator read ahead (up to 1024 records)
#                  ends, nothing more is read; exit 4, fewer than 3000
#                  outcomes, every one exact.
#   soon,success=5 a drain once 5 are ok: exit 4 (input left unread)
#                  although nothing failed.
. "$(dirname "$0")/lib.sh"
use_transport ipc

input=$TEST_DIR/input
for i in $(seq 1 600); do
    if ((i == 20)); then echo bad; else echo 50; fi
done >"$input"

# --- now,fail=1 --------------------------------------------------------------
stats=$TEST_DIR/now.json
joblog=$TEST_DIR/now.tsv
start_sink sink --halt now,fail=1 --stats-json "$stats" --joblog "$joblog" -v
sink=$LAST_PID
start_worker w --job sleep --threads 2
w=$LAST_PID
start_ventilator vent --window 16 "$input"
vent=$LAST_PID
wait_for_line "$joblog" $'\tfailed\t' 20
t_failed=$(now_ms)
expect_exit "$sink" 2 3
expect_exit "$vent" 2 3
expect_exit "$w" 2 3
took=$(($(now_ms) - t_failed))
log "every process ended ${took} ms after the failure was logged"
((took <= 1000)) || fail "--halt now,fail=1: the run took $took ms to end"
assert_contains "$(err_of sink)" \
    "halted: fail=1 reached (record 20 failed: not a sleep time in ms: 'bad')" \
    "the summary says why"
assert_json "$stats" aborted true
assert_json "$stats" halted \
    "fail=1 reached (record 20 failed: not a sleep time in ms: 'bad')"
(($(json_get "$stats" total) < 100)) || fail "halted late"

# --- soon,fail=1 ---------------------------------------------------------------
short=$TEST_DIR/short
for i in $(seq 1 3000); do
    if ((i == 20)); then echo bad; else echo 5; fi
done >"$short"
use_transport ipc
stats=$TEST_DIR/soon.json
start_sink sink2 --halt soon,fail=1 --stats-json "$stats"
sink2=$LAST_PID
start_worker w2 --job sleep --threads 2
w2=$LAST_PID
start_ventilator vent2 --window 16 "$short"
vent2=$LAST_PID
expect_exit "$sink2" 20 4
expect_exit "$vent2" 10 4
expect_exit "$w2" 10 4
total=$(json_get "$stats" total)
((total >= 20 && total < 3000)) || fail "soon: $total outcomes"
assert_counts "$stats" "$total" $((total - 1)) 1 0
assert_json "$stats" complete true
assert_contains "$(err_of sink2)" "halted: fail=1 reached (record 20 failed" \
    "the summary says why"

# --- soon,success=5 --------------------------------------------------------------
use_transport ipc
stats=$TEST_DIR/success.json
start_sink sink3 --halt soon,success=5 --stats-json "$stats"
sink3=$LAST_PID
start_worker w3 --job sleep --threads 2
w3=$LAST_PID
grep -vx bad "$short" >"$TEST_DIR/short_ok"
start_ventilator vent3 --window 8 "$TEST_DIR/short_ok"
vent3=$LAST_PID
expect_exit "$sink3" 20 4
expect_exit "$vent3" 10 0
expect_exit "$w3" 10 0
total=$(json_get "$stats" total)
((total >= 5 && total < 2999)) || fail "success: $total outcomes"
assert_counts "$stats" "$total" "$total" 0 0
assert_contains "$(err_of sink3)" "halted: success=5 reached (record " \
    "the summary says why"

# A bad spec is a usage error naming it.
use_transport ipc
start_sink bad --halt now,fail=0
expect_exit "$LAST_PID" 10 2
assert_contains "$(err_of bad)" "--halt 'now,fail=0'" "names the spec"
