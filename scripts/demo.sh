#!/usr/bin/env bash
# The demo pipeline: a sink with --sum, four square workers and a
# ventilator generating 1..1000000, all on this machine over ipc://.
# Prints the sum (333333833333500000) and the sink's summary.
set -u
build=${BUILD:-build}
dir=$(mktemp -d /tmp/pushpull-demo.XXXXXX)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
    rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

export PP_TASKS=ipc://$dir/tasks PP_RESULTS=ipc://$dir/results \
       PP_CONTROL=ipc://$dir/control PP_ACKS=ipc://$dir/acks

echo "demo: sink --sum, 4 workers --job square, ventilator --generate 1000000"
"$build/pp-sink" --sum &
sink=$!
pids+=("$sink")
for _ in 1 2 3 4; do
    "$build/pp-worker" --job square --threads 1 &
    pids+=("$!")
done
"$build/pp-ventilator" --generate 1000000 --wait-workers 4 -q &
vent=$!
pids+=("$vent")

wait "$sink"; sink_rc=$?
wait "$vent"; vent_rc=$?
echo "demo: expected sum 333333833333500000; sink exit $sink_rc," \
     "ventilator exit $vent_rc"
[ "$sink_rc" -eq 0 ] && [ "$vent_rc" -eq 0 ]
