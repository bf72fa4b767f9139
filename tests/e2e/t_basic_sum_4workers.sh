#!/usr/bin/env bash
# Four workers over tcp://: the sum is exact, every process exits 0, and
# --wait-workers 4 spreads the load, so each of the four workers appears in
# the stats with items > 0 and their items add up to the total.
. "$(dirname "$0")/lib.sh"
use_transport tcp

N=100000
WORKERS=4
stats=$TEST_DIR/stats.json

start_sink sink --sum --stats-json "$stats"
sink=$LAST_PID
workers=()
for i in $(seq 1 "$WORKERS"); do
    start_worker "worker$i" --job square
    workers+=("$LAST_PID")
done
start_ventilator vent --generate "$N" --wait-workers "$WORKERS"
vent=$LAST_PID

expect_exit "$sink" 40 0
for pid in "${workers[@]}"; do
    expect_exit "$pid" 10 0
done
expect_exit "$vent" 10 0

assert_eq 333338333350000 "$(cat "$(out_of sink)")" "sink --sum output"
assert_counts "$stats" "$N" "$N" 0 0

mapfile -t items < <(json_worker_items "$stats")
assert_eq "$WORKERS" "${#items[@]}" "entries in stats json \"workers\""
total=0
for n in "${items[@]}"; do
    ((n > 0)) || fail "a worker did no items (items per worker: ${items[*]})"
    total=$((total + n))
done
assert_eq "$N" "$total" "items of all workers together"
