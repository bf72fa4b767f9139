#!/usr/bin/env bash
# kill -9 of one of four workers mid-run loses nothing, in both flow modes,
# over several kill moments: the sink's output holds every item exactly
# once and every surviving process exits 0.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ctl_lib.sh"
use_transport tcp

N=3000
# Sleeps of 5..15 ms: about 2 s of work for 4 x 4 threads, so both kill
# moments land mid-run with items in every queue.
seq 1 $N | awk '{ print 5 + $1 % 11 }' >"$TEST_DIR/sleeps.txt"
want=$(awk '{ s += $1 } END { print s }' "$TEST_DIR/sleeps.txt")

round=0
for flow in push credit; do
    for after in 300 900; do
        round=$((round + 1))
        stats=$TEST_DIR/stats$round.json
        started=$(now_ms)
        start_sink sink$round --sum --stats-json "$stats" --flow $flow
        sink=$LAST_PID
        workers=()
        for i in 1 2 3 4; do
            start_worker w$round.$i -v --flow $flow --job sleep --threads 4
            workers+=("$LAST_PID")
        done
        start_ventilator vent$round --flow $flow --batch 4 \
            --ack-timeout 1s --heartbeat 200ms --wait-workers 4 \
            "$TEST_DIR/sleeps.txt"
        vent=$LAST_PID
        victim=${workers[$((round % 4))]}
        # The kill moment: $after ms after the start, and never before the
        # victim holds items (a slow start would make it an idle worker).
        wait_for_line "$(err_of "${PP_NAME_OF[$victim]}")" \
            "the first tasks arrived" 10
        left=$((started + after - $(now_ms)))
        ((left > 0)) && sleep "$(awk -v ms=$left 'BEGIN { print ms / 1000 }')"
        signal_bin KILL "$victim"
        wait_pid "$victim" 5 >/dev/null
        expect_exit "$vent" 40 0
        expect_exit "$sink" 10 0
        for pid in "${workers[@]}"; do
            [[ $pid == "$victim" ]] || expect_exit "$pid" 10 0
        done
        assert_eq "$want" "$(cat "$(out_of sink$round)")" \
            "sum after kill -9 ($flow, ${after} ms)"
        assert_counts "$stats" "$N" "$N" 0 0
        log "$flow, kill at ${after} ms: redelivered" \
            "$(json_get "$stats" redelivered)," \
            "duplicates $(json_get "$stats" duplicates)"
    done
done
