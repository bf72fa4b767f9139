#!/usr/bin/env bash
# The ventilator itself stopped (SIGSTOP, then SIGCONT) for longer than it
# judges its peers by: on waking, what they sent waits unread in its
# sockets, so it must not judge them by the time it lost.
#   credit flow, --heartbeat 200ms --liveness 3: stopped 1.5 s (the
#     connections survive; it once said "went silent"), then 4 s (longer
#     than the ZMTP heartbeat timeout: the workers drop their connections
#     and reconnect; it once said "cannot be reached");
#   push flow, --ack-timeout 1s: stopped 1.5 s (it once sent again every
#     item the workers still held).
# No worker is declared dead, no item is sent again, the sum is exact and
# every exit 0.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ctl_lib.sh"

N=1200
seq 1 $N | awk '{ print 5 + $1 % 11 }' >"$TEST_DIR/sleeps.txt"
want=$(awk '{ s += $1 } END { print s }' "$TEST_DIR/sleeps.txt")

# stop_vent NAME PID SECONDS: the ventilator stopped that long while items
# flow, then awake: it says so (or, judging by the lost time, drops
# workers).
stop_vent() {
    local victim
    if ! victim=$(bin_pid "$2"); then
        fail "$1 ended before it could be stopped"
        return
    fi
    kill -STOP "$victim"
    sleep "$3" # the stop itself is what is tested: no event to await
    kill -CONT "$victim"
    wait_for_line "$(err_of "$1")" "did not run for|went silent|cannot be" 3
}

# run_case NAME FLOW VENTILATOR-ARGS -- STOPS...
run_case() {
    local name=$1 flow=$2 args=() stops
    shift 2
    while [[ $1 != -- ]]; do
        args+=("$1")
        shift
    done
    shift
    stops=("$@")
    use_transport tcp
    local stats=$TEST_DIR/$name.stats.json
    start_sink "$name.sink" --sum --stats-json "$stats"
    local sink=$LAST_PID
    start_worker "$name.w1" --flow "$flow" --job sleep --threads 2
    local w1=$LAST_PID
    start_worker "$name.w2" --flow "$flow" --job sleep --threads 2
    local w2=$LAST_PID
    start_ventilator "$name.vent" -v --flow "$flow" --wait-workers 2 \
        "${args[@]}" "$TEST_DIR/sleeps.txt"
    local vent=$LAST_PID

    wait_for_line "$(err_of "$name.vent")" "said hello \(2 so far\)" 10
    local s
    for s in "${stops[@]}"; do
        stop_vent "$name.vent" "$vent" "$s"
    done

    expect_exit "$vent" 40 0
    expect_exit "$sink" 10 0
    expect_exit "$w1" 10 0
    expect_exit "$w2" 10 0
    assert_eq "$want" "$(cat "$(out_of "$name.sink")")" "$name: sum"
    assert_counts "$stats" "$N" "$N" 0 0
    assert_eq 0 "$(json_get "$stats" redelivered)" "$name: redelivered"
    assert_matches "$(err_of "$name.vent")" "done: .*, 0 sent again" \
        "$name: the ventilator sent nothing again"
    assert_eq "${#stops[@]}" \
        "$(grep -c "did not run for" "$(err_of "$name.vent")")" \
        "$name: the ventilator noticed every stop"
    if grep -E "went silent|cannot be reached" "$(err_of "$name.vent")" >&2
    then
        fail "$name: the stopped ventilator declared a healthy worker dead"
    fi
}

run_case credit credit --batch 2 --heartbeat 200ms --liveness 3 -- 1.5 4
run_case push push --batch 2 --rate 300 --ack-timeout 1s -- 2
