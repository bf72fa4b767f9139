#!/usr/bin/env bash
# bench/journal.sh -- what --journal costs and what --resume gives back
# (issue 13). Same machine, same run, alternating:
#   throughput  10^6 8-byte echo items (file input, push flow, 1 worker of
#               1 thread, ipc): items/s with --journal against without,
#               median of RUNS runs (default 3); target >= 0.9x
#   resume      the ventilator killed -9 in the middle of a --rate 20000
#               run of 2*10^5 items; once the output is quiet (no new line
#               for 500 ms), --resume: the time to the first new result at
#               the sink, and the items sent again (acks lost with the
#               crash, unacked items)
# Results: bench/results/journal.md. Environment: BUILD (default build/),
# RUNS, N (default 1000000).
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
build=${BUILD:-$root/build}
case $build in /*) ;; *) build=$root/$build ;; esac
runs=${RUNS:-3}
n=${N:-1000000}
tmp=$(mktemp -d /tmp/pushpull-jbench.XXXXXX)
pids=()
cleanup() {
    local pid
    for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null; done
    rm -rf "$tmp"
}
trap cleanup EXIT
log() { printf 'bench: %s\n' "$*" >&2; }
now_ms() { local t=$EPOCHREALTIME; echo $((${t/./} / 1000)); }
median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

seq -f '%08.0f' 1 "$n" >"$tmp/in.txt" # 8-byte records

# one_run TAG [VENT ARGS...]: prints the sink's items/s.
one_run() {
    local tag=$1 d=$tmp/$1
    shift
    mkdir -p "$d"
    export PP_TASKS=ipc://$d/t PP_RESULTS=ipc://$d/r PP_CONTROL=ipc://$d/c \
        PP_ACKS=ipc://$d/a
    "$build/pp-sink" --no-progress -o /dev/null --stats-json "$d/stats.json" \
        2>"$d/sink.err" &
    local sink=$!
    "$build/pp-worker" -q --job echo --threads 1 2>"$d/worker.err" &
    local worker=$!
    "$build/pp-ventilator" -q --wait-workers 1 --linger 300ms \
        "$tmp/in.txt" "$@" 2>"$d/vent.err" &
    local vent=$!
    pids=("$sink" "$worker" "$vent")
    wait "$sink" "$worker" "$vent"
    pids=()
    jq -r .items_per_s "$d/stats.json"
}

declare -a plain journal
for ((i = 1; i <= runs; i++)); do
    plain+=("$(one_run "plain$i")")
    journal+=("$(one_run "journal$i" --journal "$tmp/journal$i.vj")")
    log "run $i: without ${plain[-1]} items/s, with --journal ${journal[-1]}"
done
p=$(printf '%s\n' "${plain[@]}" | median)
j=$(printf '%s\n' "${journal[@]}" | median)
ratio=$(awk -v a="$j" -v b="$p" 'BEGIN { printf "%.3f", a / b }')

# The resume: kill -9 mid-run, --resume once the output is quiet.
d=$tmp/resume
mkdir -p "$d"
export PP_TASKS=ipc://$d/t PP_RESULTS=ipc://$d/r PP_CONTROL=ipc://$d/c \
    PP_ACKS=ipc://$d/a
rn=200000
args=("$tmp/in.txt" --skip $((n - rn)) --rate 20000 --journal "$d/vj")
"$build/pp-sink" --no-progress -o "$d/out.txt" 2>"$d/sink.err" &
sink=$!
"$build/pp-worker" -q --job echo --threads 2 2>"$d/worker.err" &
worker=$!
"$build/pp-ventilator" -q "${args[@]}" 2>"$d/vent1.err" &
vent=$!
pids=("$sink" "$worker" "$vent")
until (($(wc -l <"$d/out.txt" 2>/dev/null || echo 0) >= rn / 2)); do
    sleep 0.01
done
kill -KILL "$vent"
wait "$vent" 2>/dev/null
last=-1
while :; do
    lines=$(wc -l <"$d/out.txt")
    ((lines == last)) && break
    last=$lines
    sleep 0.5
done
t0=$(now_ms)
"$build/pp-ventilator" "${args[@]}" --resume 2>"$d/vent2.err" &
vent=$!
pids=("$sink" "$worker" "$vent")
until (($(wc -l <"$d/out.txt") > last)); do sleep 0.001; done
first_ms=$(($(now_ms) - t0))
wait "$vent"
vrc=$?
wait "$sink"
src=$?
wait "$worker"
pids=()
again=$(grep -o '[0-9]* of them to send again' "$d/vent2.err" | cut -d' ' -f1)
exact=no
cmp -s <(sort "$d/out.txt") <(tail -n "$rn" "$tmp/in.txt") && exact=yes

{
    echo "# --journal and --resume (bench/journal.sh, $(date -u +%F))"
    echo
    echo "$(nproc) cores, $(uname -r); medians of $runs runs, alternating."
    echo
    echo "| run | items/s |"
    echo "| --- | ---: |"
    echo "| without --journal | $p |"
    echo "| with --journal | $j |"
    echo "| ratio | ${ratio}x (target >= 0.9x) |"
    echo
    echo "Resume after kill -9 at $last of $rn results (--rate 20000):"
    echo "first new result ${first_ms} ms after --resume started; $again items"
    echo "sent again (acked-but-unjournaled and unacked); output exactly once:"
    echo "$exact; exit codes: ventilator $vrc, sink $src."
} | tee "$here/results/journal.md"
