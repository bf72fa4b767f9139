#!/usr/bin/env bash
# The sink is killed (-9) and restarted with --resume twice during a run:
# the output file ends up holding every item exactly once, the run exits 0,
# and the journal is gone after the run completed.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ctl_lib.sh"
use_transport tcp

N=30000
out=$TEST_DIR/results.txt
start_worker w --job echo --threads 2
w=$LAST_PID
start_ventilator vent --generate $N --rate 12000 --ack-timeout 1s
vent=$LAST_PID
start_sink sink1 --output "$out"
sink1=$LAST_PID

wait_for_lines "$out" 3000 20
signal_bin KILL "$sink1"
wait_pid "$sink1" 5 >/dev/null
[[ -s $out.journal ]] || fail "no journal beside the output after a crash"
start_sink sink2 --output "$out" --resume
sink2=$LAST_PID
wait_for_line "$(err_of sink2)" "resuming run" 10
before=$(wc -l <"$out")
wait_for_lines "$out" $((before + 6000)) 20
signal_bin KILL "$sink2"
wait_pid "$sink2" 5 >/dev/null
start_sink sink3 --output "$out" --resume --stats-json "$TEST_DIR/stats.json"
sink3=$LAST_PID

expect_exit "$sink3" 60 0
expect_exit "$vent" 10 0
expect_exit "$w" 10 0
assert_exact_set "$out" $N
assert_json "$TEST_DIR/stats.json" ok $N
[[ -e $out.journal ]] && fail "the journal outlived the completed run"
true
