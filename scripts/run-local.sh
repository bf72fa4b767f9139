#!/usr/bin/env bash
# run-local.sh N [pp-ventilator args...] [-- pp-worker args...]
#
# A whole pipeline on this machine: a sink, N workers and a ventilator over
# ipc:// in a private directory. Ctrl-C drains the run (a second Ctrl-C
# aborts it); everything started here is stopped on exit.
#
#   scripts/run-local.sh 4 --generate 100000 -- --job square
#   scripts/run-local.sh 8 --workload 200 -- --job sleep --threads 2
#   scripts/run-local.sh 4 files.txt -- -- sh -c 'wc -c < {}'
#       (a command: the second -- is pp-worker's)
#
# Environment: BUILD (binaries, default build/), SINK_ARGS (default --sum).
set -u
usage() {
    echo "usage: $0 N [pp-ventilator args...] [-- pp-worker args...]" >&2
    exit 2
}
[ $# -ge 1 ] || usage
n=$1
shift
case $n in '' | *[!0-9]*) usage ;; esac
vent_args=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do vent_args+=("$1"); shift; done
[ $# -gt 0 ] && shift
worker_args=("$@")
[ ${#worker_args[@]} -gt 0 ] || worker_args=(--job square)

here=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$here/build}
dir=$(mktemp -d /tmp/pushpull-local.XXXXXX)
pids=()
cleanup() {
    trap - EXIT INT TERM
    for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null; done
    rm -rf "$dir"
}
trap cleanup EXIT
export PP_TASKS=ipc://$dir/tasks PP_RESULTS=ipc://$dir/results \
       PP_CONTROL=ipc://$dir/control PP_ACKS=ipc://$dir/acks

# shellcheck disable=SC2086 # SINK_ARGS is a list of flags
"$build/pp-sink" ${SINK_ARGS:---sum} &
sink=$!
pids+=("$sink")
for _ in $(seq 1 "$n"); do
    "$build/pp-worker" "${worker_args[@]}" &
    pids+=("$!")
done
"$build/pp-ventilator" --wait-workers "$n" "${vent_args[@]}" &
vent=$!
pids+=("$vent")
# Ctrl-C goes to the ventilator: first drains, second aborts.
trap 'kill -INT "$vent" 2>/dev/null' INT TERM
# wait returns early when a trapped signal arrives: wait again until the
# sink is really gone, keeping its exit status.
rc=0
while kill -0 "$sink" 2>/dev/null; do
    wait "$sink"
    rc=$?
done
wait "$vent" 2>/dev/null
exit "$rc"
