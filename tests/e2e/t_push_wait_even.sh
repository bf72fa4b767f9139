#!/usr/bin/env bash
# Push flow, --wait-workers 2, two workers started before the ventilator:
# PUSH deals round-robin over the task connections it has, and a worker's
# hello could arrive before its task connection (each socket reconnects on
# its own backed-off schedule), so the start of the run went to one
# worker: 8 of 12 runs dealt 0 and 200 before the ventilator also waited
# for the connections. Eight runs, each must deal exactly 100 and 100.
. "$(dirname "$0")/lib.sh"

RUNS=8
for run in $(seq 1 "$RUNS"); do
    use_transport ipc
    stats=$TEST_DIR/stats$run.json
    start_sink "sink$run" --stats-json "$stats" -q
    sink=$LAST_PID
    start_worker "worker${run}a" --flow push --job echo --threads 1 -q
    wa=$LAST_PID
    start_worker "worker${run}b" --flow push --job echo --threads 3 -q
    wb=$LAST_PID
    start_ventilator "vent$run" --flow push --generate 200 --batch 1 \
        --wait-workers 2
    vent=$LAST_PID
    for pid in "$vent" "$sink" "$wa" "$wb"; do
        expect_exit "$pid" 30 0
    done
    assert_counts "$stats" 200 200 0 0
    mapfile -t items < <(json_worker_items "$stats" | sort -n)
    assert_eq "100 100" "${items[*]}" "run $run: items per worker"
    if grep -q "starting anyway" "$(err_of "vent$run")"; then
        fail "run $run: the connection count erred low: $(cat "$(err_of "vent$run")")"
    fi
done

# The same, made certain: a worker that says hello and never connects to
# --tasks (pp_rogue mute) beside a real one. The run must not start on the
# two hellos alone; it waits for the second connection, then starts
# anyway, says so, and the real worker does it all.
use_transport ipc
stats=$TEST_DIR/stats-mute.json
start_sink sink-mute --stats-json "$stats" -q
sink=$LAST_PID
pp_start mute tests/tools/pp_rogue mute "$PP_CONTROL" "$PP_ACKS" 6
mute=$LAST_PID
start_worker worker-mute --flow push --job echo -q
worker=$LAST_PID
start_ventilator vent-mute --flow push --generate 200 --wait-workers 2 \
    --linger 1s
vent=$LAST_PID
expect_exit "$vent" 30 0
expect_exit "$sink" 10 0
expect_exit "$worker" 10 0
assert_counts "$stats" 200 200 0 0
assert_contains "$(err_of vent-mute)" \
    "2 workers said hello, but only 1 of them connected to --tasks" \
    "the ventilator waited for the task connections"
expect_exit "$mute" 20 0
