#!/usr/bin/env bash
# --skip counts records from the start of the input, like every message that
# names a record:
#   lines, -0: with --skip 3, the oversized record 7 is called "record 7"
#              (not 3 + 7) and records 4..10 but 7 come out;
#   --generate 10 --skip 4: the numbers 5..10, as records 5..10 of 1..10;
#   --workload 20 --skip 15: the last 5 sleep times of --workload 20.
. "$(dirname "$0")/lib.sh"

# run NAME [SINK ARGS...] -- [VENTILATOR ARGS...]: one pipeline with
# --job echo; sets CODES to the exit codes of sink, worker and ventilator.
run() {
    local name=$1
    shift
    local sink_args=()
    while [[ $1 != -- ]]; do
        sink_args+=("$1")
        shift
    done
    shift
    use_transport ipc
    start_sink "$name.sink" "${sink_args[@]}"
    local sink=$LAST_PID
    start_worker "$name.worker" --job echo
    local worker=$LAST_PID
    start_ventilator "$name.vent" "$@"
    local vent=$LAST_PID
    wait_pid "$sink" 30
    local s=$?
    wait_pid "$worker" 10
    local w=$?
    wait_pid "$vent" 10
    CODES="$s $w $?"
}

# Ten records, the seventh over --max-item-size 16.
records() {
    local sep=$1 i
    for i in 1 2 3 4 5 6 7 8 9 10; do
        if ((i == 7)); then
            printf 'record-seven-is-too-long%b' "$sep"
        else
            printf 'r%d%b' "$i" "$sep"
        fi
    done
}
records '\n' >"$TEST_DIR/lines"
records '\0' >"$TEST_DIR/nul"

run lines -- --max-item-size 16 --skip 3 "$TEST_DIR/lines"
assert_eq "4 4 4" "$CODES" "lines: exit codes (one record failed)"
assert_matches "$(err_of lines.vent)" "record 7 is over --max-item-size" \
    "lines: the oversized record named by its line"
assert_eq "r10 r4 r5 r6 r8 r9" "$(sort "$(out_of lines.sink)" | xargs)" \
    "lines: records after --skip 3"

run nul -0 -- -0 --max-item-size 16 --skip 3 "$TEST_DIR/nul"
assert_eq "4 4 4" "$CODES" "-0: exit codes (one record failed)"
assert_matches "$(err_of nul.vent)" "record 7 is over --max-item-size" \
    "-0: the oversized record named by its number"
assert_eq "r10 r4 r5 r6 r8 r9" \
    "$(tr '\0' '\n' <"$(out_of nul.sink)" | sort | xargs)" \
    "-0: records after --skip 3"

run generate -- --generate 10 --skip 4
assert_eq "0 0 0" "$CODES" "--generate: exit codes"
assert_eq "5 6 7 8 9 10" "$(sort -n "$(out_of generate.sink)" | xargs)" \
    "--generate 10 --skip 4"

run whole --ordered -- --workload 20 --seed 7
run tail --ordered -- --workload 20 --seed 7 --skip 15
assert_eq "0 0 0" "$CODES" "--workload --skip: exit codes"
assert_eq "$(tail -n 5 "$(out_of whole.sink)" | xargs)" \
    "$(xargs <"$(out_of tail.sink)")" "--workload 20 --skip 15"
assert_eq 5 "$(wc -l <"$(out_of tail.sink)")" "--workload 20 --skip 15 count"
