#!/usr/bin/env bash
# A --max-item-size that conflicts with the ventilator's is a clear error
# on the worker and on the sink, never a hang: each exits 2 naming its
# flag, its value and the ventilator's; the ventilator logs the worker it
# refused. The same size given, or none, runs the whole of it.
. "$(dirname "$0")/lib.sh"
use_transport ipc

start_ventilator vent --max-item-size 4M --generate 100
vent=$LAST_PID

start_sink wrong_sink --sum --max-item-size 2M
expect_exit "$LAST_PID" 10 2
assert_contains "$(err_of wrong_sink)" \
    "--max-item-size 2M: the ventilator runs --max-item-size 4M" \
    "the sink names its flag, its value and the ventilator's"

start_worker wrong --job square --max-item-size 1M
expect_exit "$LAST_PID" 10 2
assert_contains "$(err_of wrong)" \
    "--max-item-size 1M: the ventilator runs --max-item-size 4M" \
    "the worker names its flag, its value and the ventilator's"
wait_for_line "$(err_of vent)" \
    "refused this run: it runs --max-item-size 1M, this run --max-item-size 4M" \
    10

start_sink sink --sum
sink=$LAST_PID
start_worker right --job square --max-item-size 4M
right=$LAST_PID
expect_exit "$sink" 30 0
expect_exit "$vent" 10 0
expect_exit "$right" 10 0
assert_eq "$(sum_of_squares 100)" "$(cat "$(out_of sink)")" "sum"
