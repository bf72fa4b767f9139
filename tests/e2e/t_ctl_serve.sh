#!/usr/bin/env bash
# pp-worker --serve stays up across runs: two ventilator runs (new run ids)
# are served by the same worker process, which then leaves on SIGINT.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ctl_lib.sh"
use_transport ipc

start_worker w --serve --job square --threads 2
w=$LAST_PID
for run in 1 2; do
    start_sink sink$run --sum
    sink=$LAST_PID
    start_ventilator vent$run --generate $((run * 1000)) --linger 200ms
    vent=$LAST_PID
    expect_exit "$sink" 30 0
    expect_exit "$vent" 10 0
    assert_eq "$(sum_of_squares $((run * 1000)))" \
        "$(cat "$(out_of sink$run)")" "sum of run $run"
    kill -0 "$w" 2>/dev/null || fail "the --serve worker exited after run $run"
done
signal_bin INT "$w"
expect_exit "$w" 5 0
