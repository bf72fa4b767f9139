# tests/e2e/resume_lib.sh -- helpers for the --journal / --resume tests,
# sourced after lib.sh and ctl_lib.sh.

# kill9 PID: kills the binary started as PID with SIGKILL and reaps it.
kill9() {
    signal_bin KILL "$1"
    wait_pid "$1" 5 >/dev/null
}

# resume_case TAG FLOW INPUT AT N: a run of N echo items (INPUT: file or
# generate) in FLOW, the ventilator journaled and killed -9 once the output
# holds AT lines, then restarted with the same command line plus --resume.
# Every process exits 0, the output holds 1..N exactly once, the journal is
# gone (the run completed); logs the time from the restart to the first new
# result and the items sent again.
resume_case() {
    local tag=$1 flow=$2 input=$3 at=$4 n=$5
    local out=$TEST_DIR/$tag.txt journal=$TEST_DIR/$tag.vj src=(--generate "$n")
    use_transport ipc
    if [[ $input == file ]]; then
        seq 1 "$n" >"$TEST_DIR/$tag.in"
        src=("$TEST_DIR/$tag.in")
    fi
    local vent_args=("${src[@]}" --flow "$flow" --rate 4000 --journal "$journal")
    start_sink "$tag-sink" --output "$out"
    local sink=$LAST_PID
    start_worker "$tag-w1" --job echo --threads 2 --flow "$flow"
    local w1=$LAST_PID
    start_worker "$tag-w2" --job echo --threads 2 --flow "$flow"
    local w2=$LAST_PID
    start_ventilator "$tag-v1" "${vent_args[@]}"
    local v1=$LAST_PID
    wait_for_lines "$out" "$at" 30
    kill9 "$v1"
    local before t0
    before=$(wc -l <"$out")
    t0=$(now_ms)
    start_ventilator "$tag-v2" "${vent_args[@]}" --resume
    local v2=$LAST_PID
    if ((before < n)); then
        wait_for_lines "$out" $((before + 1)) 20
        log "$tag: killed at $before/$n lines; first new result" \
            "$(($(now_ms) - t0)) ms after --resume"
    fi
    expect_exit "$v2" 40 0
    expect_exit "$w1" 10 0
    expect_exit "$w2" 10 0
    expect_exit "$sink" 10 0
    assert_exact_set "$out" "$n"
    [[ ! -e $journal ]] || fail "$tag: the journal of a completed run stays"
    assert_contains "$(err_of "$tag-v2")" "--resume: run " "$tag: resumed"
    log "$tag: $(grep -o '[0-9]* of them to send again' "$(err_of "$tag-v2")")"
}

# assert_differs_at ERRFILE RECORD: the ventilator refused its --resume
# saying the input changed, and placed the first difference at RECORD
# ("record R differs", or "one of A..B" with A <= RECORD <= B).
assert_differs_at() {
    local line from to
    line=$(grep -oE 'the input changed: (record [0-9]+ differs|the first record that differs is one of [0-9]+\.\.[0-9]+)' "$1")
    if [[ $line =~ record\ ([0-9]+)\ differs ]]; then
        from=${BASH_REMATCH[1]} to=$from
    elif [[ $line =~ one\ of\ ([0-9]+)\.\.([0-9]+) ]]; then
        from=${BASH_REMATCH[1]} to=${BASH_REMATCH[2]}
    else
        fail "$(basename "$1"): no 'the input changed' naming where"
        return
    fi
    ((from <= $2 && $2 <= to)) ||
        fail "$(basename "$1"): the change at record $2 placed at $from..$to"
    log "$(basename "$1"): record $2 changed, placed at $from..$to"
}
