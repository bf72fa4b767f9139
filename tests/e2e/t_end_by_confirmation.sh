#!/usr/bin/env bash
# The end of a run is confirmed, not timed: once the sink and every worker
# that said hello confirmed DONE (a BYE on acks), the ventilator leaves,
# however long --linger is. With --linger 30s every process of a small run
# -- push flow and credit flow, a --serve worker among them -- has exited
# (the --serve worker: is idle, waiting for the next run) well before the
# 30 s are up. The bound is loose (20 s) so a loaded machine cannot flake it;
# the old code waited the whole --linger.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ctl_lib.sh"

N=100
for flow in push credit; do
    use_transport ipc
    start_sink "sink.$flow" --sum --flow "$flow"
    sink=$LAST_PID
    start_worker "worker.$flow" --job square --flow "$flow"
    worker=$LAST_PID
    start_worker "serve.$flow" --job square --flow "$flow" --serve -v
    serve=$LAST_PID
    t0=$(now_ms)
    start_ventilator "vent.$flow" --generate "$N" --linger 30s \
        --wait-workers 2 --flow "$flow"
    vent=$LAST_PID
    expect_exit "$sink" 20 0
    expect_exit "$worker" 20 0
    expect_exit "$vent" 20 0
    took=$(($(now_ms) - t0))
    ((took < 20000)) || fail "$flow: the run took $took ms (--linger 30s)"
    assert_eq "$(sum_of_squares "$N")" "$(cat "$(out_of "sink.$flow")")" \
        "$flow: sink --sum output"
    # The --serve worker outlived the run, and its BYE let it end.
    kill -0 "$serve" 2>/dev/null || fail "$flow: the --serve worker exited"
    # To the worker itself: TERM to its timeout wrapper reached it twice
    # (timeout forwards it, and signals its group), and a second stop
    # signal is "exit at once" (exit 3) -- 1 run in 5 under ASan.
    signal_bin TERM "$serve"
    expect_exit "$serve" 10 0
done
