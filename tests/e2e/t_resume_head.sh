#!/usr/bin/env bash
# issue 13: the head node dies -- ventilator and sink killed -9 together,
# the workers untouched. Both restarted with their command lines plus
# --resume: the workers (push flow here, credit in the second case) join
# the resumed run without a restart, and the output holds 1..N exactly
# once; every process exits 0.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ctl_lib.sh"
. "$(dirname "$0")/resume_lib.sh"

head_case() {
    local tag=$1 flow=$2 n=20000
    local out=$TEST_DIR/$tag.txt journal=$TEST_DIR/$tag.vj
    use_transport ipc
    seq 1 "$n" >"$TEST_DIR/$tag.in"
    local vent_args=("$TEST_DIR/$tag.in" --flow "$flow" --rate 5000
        --journal "$journal")
    start_sink "$tag-s1" --output "$out"
    local s1=$LAST_PID
    start_worker "$tag-w1" --job echo --threads 2 --flow "$flow"
    local w1=$LAST_PID
    start_worker "$tag-w2" --job echo --threads 2 --flow "$flow"
    local w2=$LAST_PID
    start_ventilator "$tag-v1" "${vent_args[@]}"
    local v1=$LAST_PID
    wait_for_lines "$out" 8000 30
    signal_bin KILL "$v1"
    signal_bin KILL "$s1"
    wait_pid "$v1" 5 >/dev/null
    wait_pid "$s1" 5 >/dev/null
    [[ -s $out.journal ]] || fail "$tag: the sink's journal is there"
    start_sink "$tag-s2" --output "$out" --resume
    local s2=$LAST_PID
    start_ventilator "$tag-v2" "${vent_args[@]}" --resume
    local v2=$LAST_PID
    expect_exit "$v2" 40 0
    expect_exit "$s2" 10 0
    expect_exit "$w1" 10 0
    expect_exit "$w2" 10 0
    assert_exact_set "$out" "$n"
    [[ ! -e $journal ]] || fail "$tag: the ventilator's journal stays"
    [[ ! -e $out.journal ]] || fail "$tag: the sink's journal stays"
}

head_case push push
head_case credit credit
