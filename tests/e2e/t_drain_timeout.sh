#!/usr/bin/env bash
# issue 13: a drain that cannot finish (jobs of 5 s), everyone sent
# SIGTERM at once (as scancel does). With --drain-timeout 1s on the
# ventilator (case vent), or on the sink (case sink: it asks the
# ventilator to abort), ventilator and sink exit 3 within about a second
# of the deadline, the worker with them; the journals are flushed, the
# resume commands printed, no process is left behind. The same command
# lines plus --resume (and a longer --drain-timeout: given, it bounds the
# drain at the input's end too) then finish the run exactly once.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ctl_lib.sh"
. "$(dirname "$0")/resume_lib.sh"

# drain_case TAG WHO: WHO (vent or sink) has --drain-timeout 1s.
drain_case() {
    local tag=$1 who=$2
    local in=$TEST_DIR/$tag.in out=$TEST_DIR/$tag.txt
    local journal=$TEST_DIR/$tag.vj vent_dt=() sink_dt=()
    use_transport ipc
    printf '%s\n' 5000 5001 5002 5003 >"$in"
    [[ $who == vent ]] && vent_dt=(--drain-timeout 1s)
    [[ $who == sink ]] && sink_dt=(--drain-timeout 1s)
    start_sink "$tag-sink" --output "$out" "${sink_dt[@]}"
    local sink=$LAST_PID
    start_worker "$tag-w1" --job sleep --threads 4 -v
    local w1=$LAST_PID
    start_ventilator "$tag-vent" "$in" --journal "$journal" "${vent_dt[@]}"
    local vent=$LAST_PID
    wait_for_line "$(err_of "$tag-w1")" "the first tasks arrived" 10
    local t0 t_vent t_sink
    t0=$(now_ms)
    signal_bin TERM "$vent"
    signal_bin TERM "$sink"
    signal_bin TERM "$w1"
    expect_exit "$vent" 5 3
    t_vent=$(($(now_ms) - t0))
    expect_exit "$sink" 5 3
    t_sink=$(($(now_ms) - t0))
    expect_exit "$w1" 5 3
    log "$tag: exit 3 after the TERM: ventilator $t_vent ms, sink" \
        "$t_sink ms (deadline 1000 ms)"
    ((t_vent < 2500)) || fail "$tag: the ventilator took $t_vent ms"
    ((t_sink < 2500)) || fail "$tag: the sink took $t_sink ms"
    assert_contains "$(err_of "$tag-$who")" \
        "did not complete within --drain-timeout" "$tag: $who says why"
    assert_contains "$(err_of "$tag-vent")" \
        "the run can be continued (--journal $journal): " \
        "$tag: the ventilator prints how to resume"
    assert_contains "$(err_of "$tag-vent")" "$in --journal $journal" \
        "$tag: ... with its own command line, in its order"
    assert_contains "$(err_of "$tag-sink")" "--output $out ${sink_dt[*]}" \
        "$tag: the sink prints its resume command"
    [[ -s $journal ]] || fail "$tag: the ventilator's journal stays"
    [[ -s $out.journal ]] || fail "$tag: the sink's journal stays"

    start_sink "$tag-sink2" --output "$out" --resume
    local sink2=$LAST_PID
    start_worker "$tag-w2" --job sleep --threads 4
    local w2=$LAST_PID
    # --drain-timeout does not decide the numbering: another may be given.
    start_ventilator "$tag-vent2" "$in" --journal "$journal" \
        --drain-timeout 30s --resume
    expect_exit "$LAST_PID" 20 0
    expect_exit "$sink2" 10 0
    expect_exit "$w2" 10 0
    assert_eq "5000 5001 5002 5003" \
        "$(sort -n "$out" | tr '\n' ' ' | sed 's/ $//')" \
        "$tag: every item exactly once"
}

drain_case vent vent
drain_case sink sink
