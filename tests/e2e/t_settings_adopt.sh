#!/usr/bin/env bash
# Run-wide settings come from the ventilator: a worker and a sink started
# without --flow or --max-item-size adopt the ventilator's from its STATE
# (credit flow, 4M items) and carry items of 2 MiB -- twice the default
# size -- exactly (sha256 of the sorted output against the input). The same
# in push flow. Before, the worker ran push flow against a credit
# ventilator (exit 1), and a 2 MiB item was over every default limit.
. "$(dirname "$0")/lib.sh"

# 12 records of 2 MiB each (base64 of random bytes, no newline inside).
input=$TEST_DIR/items
for i in $(seq 12); do
    head -c $((3 * 2 * 1024 * 1024 / 4)) /dev/urandom | base64 -w 0
    echo
done >"$input"
assert_eq "2097152" "$(head -1 "$input" | tr -d '\n' | wc -c)" "item size"
expected=$(sort "$input" | sha256sum)

# run_case NAME FLOW: ventilator --flow FLOW --max-item-size 4M, worker and
# sink with neither flag.
run_case() {
    local name=$1 flow=$2
    use_transport tcp
    start_sink "$name.sink" -v
    local sink=$LAST_PID
    start_worker "$name.worker" --job echo --threads 2 -v
    local worker=$LAST_PID
    start_ventilator "$name.vent" --flow "$flow" --max-item-size 4M "$input"
    local vent=$LAST_PID
    expect_exit "$sink" 60 0
    expect_exit "$vent" 20 0
    expect_exit "$worker" 20 0
    assert_eq "$expected" "$(sort "$(out_of "$name.sink")" | sha256sum)" \
        "$name: sha256 of the sorted output"
    assert_contains "$(err_of "$name.worker")" "joined run" \
        "$name: the worker joined"
}

run_case credit credit
run_case push push
