#!/usr/bin/env bash
# Resuming a drained run with the --skip it printed, twice over: run 1 and
# run 2 are drained mid-input by SIGINT, run 3 reads to the end. Together
# they hold every record of seq 1 30000 exactly once -- none lost between
# runs (the skipped records once counted twice), none sent twice -- and
# every process of every run exits 0.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ctl_lib.sh"

N=30000
input=$TEST_DIR/input
seq 1 $N >"$input"

# run_part NAME DRAIN [VENTILATOR ARGS...]: one pipeline over the input;
# DRAIN=1 sends SIGINT to the ventilator once results flow. Sets SKIP to
# the --skip the ventilator suggested (empty when it read to the end).
run_part() {
    local name=$1 drain=$2
    shift 2
    use_transport ipc
    start_sink "$name.sink"
    local sink=$LAST_PID
    start_worker "$name.worker" --job echo --threads 2
    local worker=$LAST_PID
    start_ventilator "$name.vent" "$@" "$input"
    local vent=$LAST_PID
    if ((drain)); then
        wait_for_lines "$(out_of "$name.sink")" 1000 30
        signal_bin INT "$vent"
    fi
    expect_exit "$vent" 30 0
    expect_exit "$sink" 10 0
    expect_exit "$worker" 10 0
    SKIP=$(sed -n 's/.*run again with --skip \([0-9]*\).*/\1/p' \
        "$(err_of "$name.vent")")
}

run_part run1 1 --rate 4000
skip1=$SKIP
[[ -n $skip1 ]] || die "run 1 did not print a --skip"
run_part run2 1 --rate 4000 --skip "$skip1"
skip2=$SKIP
[[ -n $skip2 ]] || die "run 2 did not print a --skip"
log "run 1 stopped after $skip1, run 2 after $skip2"
((skip1 < skip2 && skip2 < N)) ||
    die "the drains did not stop mid-input: --skip $skip1, then $skip2"
run_part run3 0 --skip "$skip2"
assert_eq "" "$SKIP" "run 3 read to the end: no --skip printed"

# What each run wrote is the records right after the previous --skip.
assert_eq "$((skip1 + 1))" "$(sort -n "$(out_of run2.sink)" | head -n 1)" \
    "run 2's first record"
cat "$(out_of run1.sink)" "$(out_of run2.sink)" "$(out_of run3.sink)" \
    >"$TEST_DIR/union"
assert_exact_set "$TEST_DIR/union" "$N"
