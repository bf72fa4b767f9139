#!/usr/bin/env bash
# A --serve worker given no --flow or --max-item-size adopts each run's
# settings: a push run of 1M items, then a credit run of 4M items carrying
# 2 MiB items (its tasks socket made anew for the other type and size),
# each exact.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ctl_lib.sh"
use_transport ipc

input=$TEST_DIR/items
for i in 1 2 3 4; do
    head -c $((3 * 2 * 1024 * 1024 / 4)) /dev/urandom | base64 -w 0
    echo
done >"$input"

start_worker w --serve --job echo --threads 2
w=$LAST_PID

start_sink sink1 --sum
sink=$LAST_PID
start_ventilator vent1 --generate 500 --linger 200ms
vent=$LAST_PID
expect_exit "$sink" 30 0
expect_exit "$vent" 10 0
assert_eq "125250" "$(cat "$(out_of sink1)")" "sum of run 1 (push, 1M)"
kill -0 "$w" 2>/dev/null || fail "the --serve worker exited after run 1"

start_sink sink2
sink=$LAST_PID
start_ventilator vent2 --flow credit --max-item-size 4M --linger 200ms "$input"
vent=$LAST_PID
expect_exit "$sink" 30 0
expect_exit "$vent" 10 0
assert_eq "$(sort "$input" | sha256sum)" \
    "$(sort "$(out_of sink2)" | sha256sum)" "run 2 (credit, 4M): sha256"
kill -0 "$w" 2>/dev/null || fail "the --serve worker exited after run 2"
signal_bin INT "$w"
expect_exit "$w" 5 0
