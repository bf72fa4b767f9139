#!/usr/bin/env bash
# A subscriber to the ventilator's state whose connection drops and comes
# back (a worker on a flaky network, a watcher) is one listener, not one
# more each time: the ventilator counts each disconnection off (XPUB
# verboser), so the end of the run, confirmed by the sink and the worker,
# does not wait --linger (30 s here) for listeners that left. Before, 5
# rejoins made every run end 30 s late. The bound is loose (20 s).
. "$(dirname "$0")/lib.sh"

for flow in push credit; do
    use_transport ipc
    start_sink "sink.$flow" --sum
    sink=$LAST_PID
    t0=$(now_ms)
    start_ventilator "vent.$flow" --generate 100 --linger 30s \
        --wait-workers 1 --flow "$flow"
    vent=$LAST_PID
    pp_start "rejoin.$flow" tests/tools/pp_rogue rejoin "$PP_CONTROL" 5
    expect_exit "$LAST_PID" 30 0
    assert_eq "rejoined 5" "$(cat "$(out_of "rejoin.$flow")")" "rejoins"
    start_worker "worker.$flow" --job square --flow "$flow"
    worker=$LAST_PID
    expect_exit "$sink" 20 0
    expect_exit "$worker" 20 0
    expect_exit "$vent" 20 0
    took=$(($(now_ms) - t0))
    ((took < 20000)) || fail "$flow: the run took $took ms (--linger 30s)"
    assert_eq "$(sum_of_squares 100)" "$(cat "$(out_of "sink.$flow")")" \
        "$flow: sink --sum output"
done
