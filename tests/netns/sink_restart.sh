# tests/netns/sink_restart.sh -- the sink crashes twice, across hosts.
#
# Sourced by t_sink_restart_<flow>.sh with FLOW set.  Hosts: head
# (ventilator, sink), w1 and w2 (pp-worker --job echo --threads 2).  The
# ventilator generates 1..N (30000) at RATE (7500/s: 4 s) with
# --ack-timeout 2s in both flows: results the workers had sent to the
# dead sink are lost with it, and only the ack timeout sends them again.
# The sink writes --output FILE; it is killed (-9) once N/5 results are
# in, restarted on the head host with --resume, killed again once N/5
# more are in, and restarted again.
#
# Must hold: FILE holds 1..N exactly once; the last sink's stats say
# ok = N; the last sink, the ventilator and both workers exit 0, the
# last sink within BOUND_S (30) s of its start; FILE.journal is gone
# after the run.
#
# RESULT line (ms): gap1, gap2 = a kill -> the restarted sink writes a
# new result (restart, resume, workers reconnect); total = the run, first
# result to the last sink's exit; extra = total - N/RATE.

FLOW=${FLOW:?set FLOW}
. "$(dirname "$0")/lib.sh"

N=${PP_NETNS_SINK_ITEMS:-30000}
RATE=${PP_NETNS_SINK_RATE:-7500}
BOUND_S=${PP_NETNS_SINK_BOUND_S:-30}

nn_setup head w1 w2
nn_endpoints head
case $FLOW in
    credit) vent_flow=(--flow credit --heartbeat 200ms --liveness 5) ;;
    push) vent_flow=(--flow push) ;;
    *) die "FLOW must be credit or push, not '$FLOW'" ;;
esac

out=$TEST_DIR/results.txt
stats=$TEST_DIR/stats.json
sink_args=(--insecure --flow "$FLOW" --output "$out")
nn_start sink1 head pp-sink "${sink_args[@]}"
sink=$LAST_PID
for w in w1 w2; do
    nn_start "$w" "$w" pp-worker --flow "$FLOW" --job echo --threads 2
done
nn_start vent head pp-ventilator --insecure "${vent_flow[@]}" \
    --ack-timeout 2s --generate "$N" --rate "$RATE" --wait-workers 2
vent=$LAST_PID

wait_for_lines "$out" 1 20 || die "no result within 20 s"
t_first=$(now_ms)

# crash_and_restart K: kills sink K-1's binary once FILE has N/5 more
# lines than now, starts sink K with --resume (the stats of the last),
# and prints the gap (ms) from the kill to its first new result.
crash_and_restart() {
    local k=$1 more
    more=$(($(nn_lines "$out") + N / 5))
    wait_for_lines "$out" "$more" 20 || die "sink$((k - 1)) makes no progress"
    local t_kill
    t_kill=$(now_ms)
    signal_bin KILL "$sink" || die "sink$((k - 1)) is gone before its crash"
    wait_pid "$sink" 5 >/dev/null
    [[ -s $out.journal ]] || fail "no journal beside the output after a crash"
    local extra=()
    ((k == 3)) && extra=(--stats-json "$stats")
    nn_start "sink$k" head pp-sink "${sink_args[@]}" --resume "${extra[@]}"
    sink=$LAST_PID
    wait_for_line "$(err_of "sink$k")" "resuming run" 10 ||
        die "sink$k did not resume"
    local at
    at=$(nn_lines "$out")
    wait_for_lines "$out" $((at + 1)) 20 || die "sink$k writes nothing"
    GAP=$(($(now_ms) - t_kill))
    log "sink$((k - 1)) killed -9 at $at results; sink$k writes again" \
        "${GAP} ms after the kill"
}

crash_and_restart 2
gap1=$GAP
crash_and_restart 3
gap2=$GAP
t_last=$(now_ms)

expect_exit "$sink" "$BOUND_S" 0
t_done=$(now_ms)
expect_exit "$vent" 10 0
expect_exit "${PP_PID_OF[w1]}" 10 0
expect_exit "${PP_PID_OF[w2]}" 10 0

assert_exact_set "$out" "$N"
assert_json "$stats" ok "$N"
assert_json "$stats" aborted false
[[ -e $out.journal ]] && fail "the journal outlived the completed run"

nn_result fault=sinkkill2x "flow=$FLOW" "gap1=$gap1" "gap2=$gap2" \
    "total=$((t_done - t_first))" "extra=$((t_done - t_first - N * 1000 / RATE))" \
    "last_sink=$((t_done - t_last))" \
    "redelivered=$(json_get "$stats" redelivered)" \
    "duplicates=$(json_get "$stats" duplicates)"
true
