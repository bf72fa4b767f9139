#!/usr/bin/env bash
# Two workers that drew the same 32-bit id (1 run in ~80 at 10^4 workers)
# are two workers all the same: the ventilator tells the newcomer to take
# another id, it says HELLO again under it, and --wait-workers 2 starts,
# both workers work and the sink's stats list them apart, in both flows.
# In credit flow, kill -9 of one of the two while it holds items: its
# items go to the other (its heartbeats must not keep the dead one alive).
#
# PP_TEST_WORKER_ID=hex is a hidden test hook of pp-worker (not an
# option: common/pp_worker.c, s_test_worker_id): the id it starts with.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ctl_lib.sh"
use_transport ipc

ID=0000abcd
N=400
# Sleeps of 2..9 ms: work for both workers, about 0.5 s for 2 x 2 threads.
seq 1 $N | awk '{ print 2 + $1 % 8 }' >"$TEST_DIR/sleeps.txt"
want=$(awk '{ s += $1 } END { print s }' "$TEST_DIR/sleeps.txt")

# worker_ids FILE: the "id" of each entry of "workers", a line each.
worker_ids() {
    python3 -c 'import json, sys
for w in json.load(open(sys.argv[1]))["workers"]: print(w["id"])' "$1"
}

# check_two STATS WHAT: two workers in the sink's stats, apart, both
# with items.
check_two() {
    local stats=$1 what=$2 ids items
    s_json_ok "$stats" || return
    ids=$(worker_ids "$stats" | sort -u | wc -l)
    assert_eq 2 "$ids" "distinct worker ids in the sink's stats ($what)"
    worker_ids "$stats" >"$stats.ids"
    assert_matches "$stats.ids" "^$ID\$" "one keeps the id ($what)"
    items=$(json_worker_items "$stats" | awk '$1 > 0' | wc -l)
    assert_eq 2 "$items" "workers with items > 0 ($what)"
}

# check_renamed VENT W1 W2 WHAT: the ventilator and exactly one of the
# two workers logged the rename.
check_renamed() {
    local renamed
    assert_contains "$(err_of "$1")" "has the id of worker $ID" \
        "the ventilator logs the clash ($4)"
    renamed=$(cat "$(err_of "$2")" "$(err_of "$3")" |
        grep -c "worker id $ID is taken by another worker")
    assert_eq 1 "$renamed" "workers that logged taking a new id ($4)"
}

# check_rows VENT STATS WHAT: the sink's row of the id is the pid that
# kept it (said first, as the ventilator logs), the other row the pid
# that renamed.
check_rows() {
    local line keeper renamer
    line=$(grep -m1 "has the id of worker $ID" "$(err_of "$1")")
    renamer=$(sed -E 's/.*worker [0-9a-f]{8} \(pid ([0-9]+) on .* has the id.*/\1/' <<<"$line")
    keeper=$(sed -E 's/.*has the id of worker [0-9a-f]{8} \(pid ([0-9]+) on .*/\1/' <<<"$line")
    s_json_ok "$2" || return
    assert_eq "$keeper" "$(python3 -c 'import json, sys
print(*[w["pid"] for w in json.load(open(sys.argv[1]))["workers"]
        if w["id"] == sys.argv[2]])' "$2" "$ID")" "pid of the row $ID ($3)"
    assert_eq "$renamer" "$(python3 -c 'import json, sys
print(*[w["pid"] for w in json.load(open(sys.argv[1]))["workers"]
        if w["id"] != sys.argv[2]])' "$2" "$ID")" "pid of the other row ($3)"
}

for flow in push credit; do
    stats=$TEST_DIR/stats-$flow.json
    start_sink sink-$flow --sum --stats-json "$stats" --flow $flow
    sink=$LAST_PID
    PP_TEST_WORKER_ID=$ID start_worker w1-$flow --flow $flow --job sleep \
        --threads 2
    w1=$LAST_PID
    PP_TEST_WORKER_ID=$ID start_worker w2-$flow --flow $flow --job sleep \
        --threads 2
    w2=$LAST_PID
    start_ventilator vent-$flow --flow $flow --batch 2 --wait-workers 2 \
        "$TEST_DIR/sleeps.txt"
    vent=$LAST_PID
    expect_exit "$vent" 30 0
    expect_exit "$sink" 10 0
    expect_exit "$w1" 10 0
    expect_exit "$w2" 10 0
    assert_eq "$want" "$(cat "$(out_of sink-$flow)")" "sum ($flow)"
    assert_counts "$stats" "$N" "$N" 0 0
    check_two "$stats" "$flow"
    check_renamed vent-$flow w1-$flow w2-$flow "$flow"
    check_rows vent-$flow "$stats" "$flow"
done

# Credit flow, one of the two dies holding items. --ack-timeout is long:
# only the ventilator's liveness check can send its items again in time.
M=600
seq 1 $M | awk '{ print 5 + $1 % 11 }' >"$TEST_DIR/slow.txt"
want=$(awk '{ s += $1 } END { print s }' "$TEST_DIR/slow.txt")
stats=$TEST_DIR/stats-kill.json
start_sink sink-kill --sum --stats-json "$stats" --flow credit
sink=$LAST_PID
PP_TEST_WORKER_ID=$ID start_worker w1-kill -v --flow credit --job sleep \
    --threads 2
w1=$LAST_PID
PP_TEST_WORKER_ID=$ID start_worker w2-kill -v --flow credit --job sleep \
    --threads 2
w2=$LAST_PID
start_ventilator vent-kill --flow credit --batch 2 --wait-workers 2 \
    --ack-timeout 10m --heartbeat 200ms "$TEST_DIR/slow.txt"
vent=$LAST_PID
# Both hold items before the kill: the victim's first tasks, and the
# other's, arrived.
wait_for_line "$(err_of w1-kill)" "the first tasks arrived" 10
wait_for_line "$(err_of w2-kill)" "the first tasks arrived" 10
signal_bin KILL "$w1"
wait_pid "$w1" 5 >/dev/null
expect_exit "$vent" 30 0
expect_exit "$sink" 10 0
expect_exit "$w2" 10 0
assert_eq "$want" "$(cat "$(out_of sink-kill)")" "sum after kill -9"
assert_counts "$stats" "$M" "$M" 0 0
assert_contains "$(err_of vent-kill)" "went silent" \
    "the dead worker's items were sent again"
check_renamed vent-kill w1-kill w2-kill "kill -9"
