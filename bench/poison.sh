#!/usr/bin/env bash
# bench/poison.sh -- how long one poison item (its command kills its own
# pp-worker) delays a run, in each flow, with the default --max-deliver.
#
# For each flow: N items (default 10000) through 2 pp-workers of 2 threads
# running `sh -c 'test {} = P && kill -9 $PPID; echo {}'`, each restarted
# by a shell loop when killed; once with P = 0 (no item is poison: the
# baseline) and once with P = 13. Prints the wall time of each run (the
# median of RUNS runs, default 1), the delay, and the workers killed.
# FLOWS (default "credit push"). Ventilator flags: VENT_FLAGS (default: none, i.e. --max-deliver 5,
# --ack-timeout 10s, --heartbeat 1s --liveness 3).
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
build=${BUILD:-$root/build}
case $build in /*) ;; *) build=$root/$build ;; esac
n=${N:-10000}
runs=${RUNS:-1}
tmp=$(mktemp -d /tmp/pushpull-poison.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
export PP_TASKS=ipc://$tmp/tasks PP_RESULTS=ipc://$tmp/results
export PP_CONTROL=ipc://$tmp/control PP_ACKS=ipc://$tmp/acks

# worker_loop FLOW POISON EXITS: pp-worker again each time it is killed.
worker_loop() {
    local cmd="test {} = $2 && kill -9 \$PPID; echo {}"
    while :; do
        "$build/pp-worker" -q --flow "$1" --threads 2 -- sh -c "$cmd" \
            >/dev/null 2>&1
        local rc=$?
        echo "$rc" >>"$3"
        [ "$rc" -eq 137 ] || return
    done
}

# one_run FLOW POISON: prints "seconds killed".
one_run() {
    local flow=$1 poison=$2 exits=$tmp/exits.$$.$RANDOM
    : >"$exits"
    "$build/pp-sink" -q --sum >/dev/null 2>&1 &
    local sink=$!
    worker_loop "$flow" "$poison" "$exits" &
    local w1=$!
    worker_loop "$flow" "$poison" "$exits" &
    local w2=$!
    local t0=$EPOCHREALTIME
    # shellcheck disable=SC2086
    "$build/pp-ventilator" -q --flow "$flow" --generate "$n" \
        --wait-workers 2 ${VENT_FLAGS:-} 2>/dev/null
    wait "$sink" "$w1" "$w2"
    local t1=$EPOCHREALTIME
    echo "$(echo "$t1 - $t0" | bc) $(grep -c '^137$' "$exits")"
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

printf '| flow | items | baseline s | with a poison item s | delay s | workers killed |\n'
printf '| --- | --- | --- | --- | --- | --- |\n'
for flow in ${FLOWS:-credit push}; do
    base=$(for _ in $(seq "$runs"); do one_run "$flow" 0; done | median)
    for _ in $(seq "$runs"); do one_run "$flow" 13; done >"$tmp/p"
    poisoned=$(cut -d' ' -f1 "$tmp/p" | median)
    killed=$(cut -d' ' -f2 "$tmp/p" | sort -u | paste -sd/)
    printf '| %s | %s | %.1f | %.1f | %.1f | %s |\n' "$flow" "$n" "$base" \
        "$poisoned" "$(echo "$poisoned - $base" | bc)" "$killed"
done
