#!/usr/bin/env bash
# bench/run.sh [SECTION...] -- the pushpull benchmark suite (`make bench`).
#
# Every figure is measured in this run on this machine next to its
# baseline, and is the median of RUNS runs (default 3). Sections, in order:
#   throughput  pushpull vs raw libzmq PUSH/PULL (1 hop, 2 hops), nngcat
#   scaling     --workload 200 on 1..16 sleep workers, efficiency
#   uneven      1+3 threads, and a late joiner: push vs credit
#   memory      peak RSS of each process at 1e5, 1e6, 1e7 echo items
#   command     pp-worker -- true vs xargs -P and GNU parallel
#   latency     p50/p99 at --rate 1000
#   whole       start -> all exited, 1..10^6 items, vs xargs, parallel, raw
#   many        W = 1..10000 virtual workers (bench/vworkers): CPU per item
#   split       (not in the default list) section 8's split of the
#               ventilator's CPU into per item and per worker, alone
#   plots       gnuplot PNGs of the .dat files the sections wrote
# Results: bench/results/latest.md (appended row by row as it goes),
# bench/results/*.dat and *.png.
#
# Environment: BUILD (default build/), RUNS (default 3), BENCH_OUT
# (default bench/results), MEM_MAX (largest memory run, default 10000000),
# MEM_RUNS_1E7 (runs at 10^7 items, default RUNS), THR_N8, THR_N1K, NNG_N
# (items in the throughput runs), THR_BIG_MB (MiB per big-item throughput
# run, default 256), MEM_BIG_MB (MiB of 256 KiB items in the memory
# section, default 1024; section "big" runs the big-item parts of sections
# 1 and 4 alone), WHOLE_N8, WHOLE_N1K (items of the
# whole-run target rows, default 2000000 and 1000000), GREEDY_SEEDS
# (workloads the scaling section's greedy bound is also computed for,
# default 20), MANY_W, MANY_BALANCE_W, MANY_SPLIT_W (the W of section 8's
# tables), MANY_N (least items of its first table, default 10^6),
# MANY_CAPACITY, MANY_JOB_US, MANY_CONTROL_EACH=1 (each virtual
# worker its own control subscription, as real workers have).
# scripts/install-deps.sh --bench installs what it uses
# (gnuplot-nox, jq, GNU parallel); a missing one skips its part, noted.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
build=${BUILD:-$root/build}
case $build in /*) ;; *) build=$root/$build ;; esac
raw=$build/bench
out=${BENCH_OUT:-$here/results}
runs=${RUNS:-3}
mem_max=${MEM_MAX:-10000000}
md=$out/latest.md
mkdir -p "$out"
tmp=$(mktemp -d /tmp/pushpull-bench.XXXXXX)
pids=()          # every background process of the current run
port_seq=0
bench_t0=$EPOCHREALTIME

# --- plumbing ----------------------------------------------------------

# Kills pid and everything below it (timeout -> time -> binary).
kill_tree() {
    local pid=$1 sig=${2:-KILL} child
    for child in $(ps -o pid= --ppid "$pid" 2>/dev/null); do
        kill_tree "$child" "$sig"
    done
    kill "-$sig" "$pid" 2>/dev/null
}
stop_all() {
    local pid
    for pid in "${pids[@]}"; do kill_tree "$pid" KILL; done
    pids=()
}
cleanup() {
    trap - EXIT INT TERM
    stop_all
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'echo "bench: interrupted" >&2; exit 130' INT TERM

log() { printf 'bench: %s\n' "$*" >&2; }
emit() { printf '%s\n' "$*" >>"$md"; }   # one markdown line, at once

# Median of the numbers on stdin ("-" when there are none).
median() {
    sort -g | awk '{ v[NR] = $1 }
        END { if (NR == 0) { print "-"; exit }
              if (NR % 2) print v[(NR + 1) / 2];
              else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
# fmt NUMBER DECIMALS: "-" stays "-".
fmt() { [ "$1" = - ] && echo - || printf "%.${2}f" "$1"; }
# ratio A B DECIMALS: A/B, "-" when either is missing.
ratio() {
    if [ "$1" = - ] || [ "$2" = - ]; then echo -; return; fi
    awk -v a="$1" -v b="$2" -v d="${3:-2}" \
        'BEGIN { if (b == 0) print "-"; else printf "%.*f", d, a / b }'
}
# thousands separators for items/s
human() { [ "$1" = - ] && echo - || printf "%'.0f" "$1"; }

# Prefixes every line of stdin with the wall clock (EPOCHREALTIME), so
# two processes' events can be compared to a few milliseconds.
stamp() {
    local line
    while IFS= read -r line; do printf '%s %s\n' "$EPOCHREALTIME" "$line"; done
}

# First stamp of a line matching the regex in a stamped log, or "-".
stamp_of() {
    awk -v re="$2" '$0 ~ re { print $1; found = 1; exit }
                    END { if (!found) print "-" }' "$1" 2>/dev/null
}

# --- a pushpull run ----------------------------------------------------
# pp_run DIR FLOW TRANSPORT TIMEOUT "VENT ARGS" "SINK ARGS" WORKER...
# WORKER is "DELAY_S WORKER ARGS" (DELAY_S: start this late, after the
# ventilator). Order: sink, ventilator (-v, stderr stamped), then the
# workers once the ventilator's sockets exist, so no connect retry skews
# the start. PP_TIMEV=1 runs each process under /usr/bin/time -v.
# Leaves in DIR: stats.json, *.err, *.time, rc.*; returns the sink's rc.
pp_run() {
    local dir=$1 flow=$2 transport=$3 tmo=$4 vent_args=$5 sink_args=$6
    shift 6
    mkdir -p "$dir"
    local ep_t ep_r ep_c ep_a
    if [ "$transport" = tcp ]; then
        local base=$((17200 + (port_seq % 150) * 4))
        port_seq=$((port_seq + 1))
        ep_t=tcp://127.0.0.1:$base ep_r=tcp://127.0.0.1:$((base + 1))
        ep_c=tcp://127.0.0.1:$((base + 2)) ep_a=tcp://127.0.0.1:$((base + 3))
    else
        ep_t=ipc://$dir/t ep_r=ipc://$dir/r ep_c=ipc://$dir/c ep_a=ipc://$dir/a
    fi
    local -a pre=(timeout -k 2 "$tmo")
    local -a wrap_s=() wrap_v=() eps=(--tasks "$ep_t" --results "$ep_r"
                                      --control "$ep_c" --acks "$ep_a")
    if [ "${PP_TIMEV:-0}" = 1 ]; then
        wrap_s=(/usr/bin/time -v -o "$dir/sink.time")
        wrap_v=(/usr/bin/time -v -o "$dir/vent.time")
    fi
    mkfifo "$dir/sink.fifo" "$dir/vent.fifo"
    stamp <"$dir/sink.fifo" >"$dir/sink.err" &
    local st_s=$!
    stamp <"$dir/vent.fifo" >"$dir/vent.err" &
    local st_v=$!
    pids+=("$st_s" "$st_v")
    # shellcheck disable=SC2086 # argument strings are lists of flags
    "${pre[@]}" "${wrap_s[@]}" "$build/pp-sink" --flow "$flow" "${eps[@]}" \
        --no-progress --stats-json "$dir/stats.json" $sink_args \
        >"$dir/sink.out" 2>"$dir/sink.fifo" &
    local sink=$!
    pids+=("$sink")
    # shellcheck disable=SC2086
    "${pre[@]}" "${wrap_v[@]}" "$build/pp-ventilator" --flow "$flow" \
        "${eps[@]}" -v --linger 300ms $vent_args \
        >"$dir/vent.out" 2>"$dir/vent.fifo" &
    local vent=$!
    pids+=("$vent")
    # The ventilator binds tasks/control/acks, the sink results: wait
    # until all four accept, so workers connect at the first attempt.
    local i
    for i in "$ep_t" "$ep_r" "$ep_c" "$ep_a"; do wait_ep "$i"; done
    local -a workers=()
    local n=0 spec delay wargs
    for spec in "$@"; do
        n=$((n + 1))
        delay=${spec%% *}
        wargs=${spec#* }
        local -a wrap_w=()
        [ "${PP_TIMEV:-0}" = 1 ] && wrap_w=(/usr/bin/time -v -o "$dir/w$n.time")
        # shellcheck disable=SC2086
        (
            [ "$delay" != 0 ] && sleep "$delay"
            exec "${pre[@]}" "${wrap_w[@]}" "$build/pp-worker" --flow "$flow" \
                "${eps[@]}" -q $wargs
        ) >"$dir/w$n.out" 2>"$dir/w$n.err" &
        workers+=($!)
        pids+=($!)
    done
    wait "$sink"
    local rc=$?
    echo "$rc" >"$dir/rc.sink"
    wait "$vent"
    echo $? >"$dir/rc.vent"
    n=0
    for i in "${workers[@]}"; do
        n=$((n + 1))
        wait "$i"
        echo $? >"$dir/rc.w$n"
    done
    wait "$st_s" "$st_v"
    pids=()
    return "$rc"
}

# Makespan of a finished pp_run: from the ventilator's dispatch start
# (its log line for the hello that met --wait-workers W) to the sink's
# completion summary. Both lines are stamped by this script's clock.
makespan() {
    local dir=$1 w=$2 t0 t1
    t0=$(stamp_of "$dir/vent.err" "said hello \\($w so far\\)")
    t1=$(stamp_of "$dir/sink.err" "run [0-9a-f]+ completed")
    if [ "$t0" = - ] || [ "$t1" = - ]; then echo -; return; fi
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f\n", b - a }'
}

json() { jq -r "$2" "$1/stats.json" 2>/dev/null || echo -; }

# --- machine info ------------------------------------------------------

header() {
    local cpu czmq nng
    cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
    czmq=$(pkg-config --modversion libczmq 2>/dev/null || echo ?)
    nng=$(command -v nngcat >/dev/null && dpkg-query -W -f '${Version}' \
        nng-utils 2>/dev/null || echo "not installed")
    cat >"$md" <<EOF
# pushpull benchmark results

Generated by \`make bench\` (bench/run.sh). Every figure is the **median of
$runs runs** measured in this same run on this machine; compare figures
only within a table. The machine is shared and noisy, so ratios matter,
not absolute numbers.

| | |
| --- | --- |
| date | $(date -u '+%Y-%m-%d %H:%M UTC') |
| nproc | $(nproc) |
| CPU | $cpu |
| kernel | $(uname -sr) |
| libzmq | $(pkg-config --modversion libzmq 2>/dev/null || echo ?) |
| czmq | $czmq |
| nng-utils (nngcat) | $nng |
| pushpull | $(git -C "$root" describe --always --dirty 2>/dev/null || echo ?) |
| load average at start (1/5/15 min) | $(cut -d' ' -f1-3 /proc/loadavg) |
EOF
}

# --- 1. throughput -----------------------------------------------------

THR_BIG_MB=${THR_BIG_MB:-256}  # MiB of input per run of big items
THR_N8=${THR_N8:-1000000}      # 8-byte items
THR_N1K=${THR_N1K:-200000}    # 1 KiB items
NNG_N=${NNG_N:-100000}        # nngcat sends ~50k msgs/s: fewer

# make_items FILE N SIZE: N lines of SIZE bytes (the newline is not part
# of the item).
make_items() {
    local line
    if [ "$3" -gt 65536 ]; then # over what an argument of yes may be
        python3 -c 'import sys; n, s = int(sys.argv[1]), int(sys.argv[2])
sys.stdout.buffer.write((b"x" * s + b"\n") * n)' "$2" "$3" >"$1"
        return
    fi
    line=$(head -c "$3" /dev/zero | tr '\0' 'x')
    yes "$line" | head -n "$2" >"$1"
}

# wait_ep EP: until EP (tcp://127.0.0.1:PORT or ipc://PATH) accepts, 2 s
# at most.
wait_ep() {
    local i
    for i in $(seq 1 200); do
        case $1 in
            tcp://*) (exec 3<>"/dev/tcp/127.0.0.1/${1##*:}") 2>/dev/null && return ;;
            ipc://*) [ -S "${1#ipc://}" ] && return ;;
        esac
        sleep 0.01
    done
}

# raw_run HOPS TRANSPORT N SIZE: prints msgs/s of one raw run, or "-".
raw_run() {
    local hops=$1 transport=$2 n=$3 size=$4 a b
    if [ "$transport" = tcp ]; then
        local base=$((17000 + (port_seq % 100) * 2))
        port_seq=$((port_seq + 1))
        a=tcp://127.0.0.1:$base b=tcp://127.0.0.1:$((base + 1))
    else
        a=ipc://$tmp/raw-a b=ipc://$tmp/raw-b
    fi
    local -a pre=(timeout -k 2 30)
    local res=$tmp/raw.out sent=$tmp/raw.sent
    : >"$res"
    : >"$sent"
    # Shaped like pushpull: the sender binds, the relay connects to both
    # sides, the receiver binds. Sender and relay hold their sockets open
    # (HOLD_S 30) until the receiver has counted all N: closing a PUSH
    # right after its last send lost the tail over ipc here.
    "${pre[@]}" "$raw/raw_pull" "@$b" "$n" >"$res" 2>/dev/null &
    local pull=$!
    pids+=("$pull")
    wait_ep "$b"
    local relay='' push
    if [ "$hops" = 2 ]; then
        "${pre[@]}" "$raw/raw_relay" ">$a" ">$b" "$n" 30 2>/dev/null &
        relay=$!
        pids+=("$relay")
        "${pre[@]}" "$raw/raw_push" "@$a" "$n" "$size" 30 >"$sent" 2>/dev/null &
    else
        "${pre[@]}" "$raw/raw_push" ">$b" "$n" "$size" 30 >"$sent" 2>/dev/null &
    fi
    push=$!
    pids+=("$push")
    wait "$pull"
    kill -TERM "$push" $relay 2>/dev/null
    wait "$push" $relay 2>/dev/null
    pids=()
    rm -f "$tmp/raw-a" "$tmp/raw-b"
    # "receiver-span-rate wall-rate": wall = first send to last receive.
    local t0
    t0=$(head -1 "$sent")
    awk -v t0="${t0:--}" 'NF == 4 { found = 1
            if (t0 == "-" || $4 <= t0) print $3, "-"
            else printf "%s %.1f\n", $3, $1 / ($4 - t0) }
        END { if (!found) print "- -" }' "$res"
}

# nngcat_run N SIZE: msgs/s of nngcat --push -> nngcat --pull over tcp,
# wall clock of the receiving process (it includes its start-up).
nngcat_run() {
    local n=$1 size=$2 port=$((16900 + port_seq % 50)) data t0 t1
    port_seq=$((port_seq + 1))
    data=$(head -c "$size" /dev/zero | tr '\0' 'x')
    timeout -k 2 60 nngcat --pull0 --bind "tcp://127.0.0.1:$port" \
        --count "$n" --raw >/dev/null 2>&1 &
    local pull=$!
    pids+=("$pull")
    sleep 0.1   # nngcat does not retry a refused dial: listen first
    t0=$EPOCHREALTIME
    timeout -k 2 60 nngcat --push0 --connect "tcp://127.0.0.1:$port" \
        --data "$data" --count "$n" --interval 0 >/dev/null 2>&1 &
    local push=$!
    pids+=("$push")
    wait "$pull"
    local rc=$?
    t1=$EPOCHREALTIME
    kill_tree "$push"
    wait "$push" 2>/dev/null
    pids=()
    [ $rc = 0 ] || { echo "- -"; return; }
    awk -v n="$n" -v a="$t0" -v b="$t1" 'BEGIN { printf "- %.1f\n", n / (b - a) }'
}

# pp_thr FLOW TRANSPORT FILE BATCH: items/s of one pushpull run (the
# sink's items_per_s), or "-" when the run did not complete.
pp_thr() {
    local flow=$1 transport=$2 file=$3 batch=$4 d
    local server=${5:-} client=${6:-} # CURVE flags, or nothing
    d=$tmp/thr.$flow.$transport.$batch.$RANDOM
    pp_run "$d" "$flow" "$transport" 15 "--batch $batch $server $file" \
        "-o /dev/null $server" "0 --job echo --threads 1 $client" \
        >/dev/null 2>&1
    local lines
    lines=$(wc -l <"$file")
    if [ "$(cat "$d/rc.sink")" = 0 ]; then
        local ms
        ms=$(makespan "$d" 1)
        echo "$(json "$d" .items_per_s) $(ratio "$lines" "$ms" 1)"
    else echo "- -"; fi
    rm -rf "$d"
}

# pp_thr_big FLOW FILE: "items/s MB/s" (wall, as pp_thr) of one run of
# big items (--max-item-size 2M everywhere), tcp, or "- -".
pp_thr_big() {
    local flow=$1 file=$2 d
    d=$tmp/thrbig.$flow.$RANDOM
    pp_run "$d" "$flow" tcp 60 "--max-item-size 2M $file" \
        "-o /dev/null --max-item-size 2M" \
        "0 --job echo --threads 1 --max-item-size 2M" >/dev/null 2>&1
    local lines bytes
    lines=$(wc -l <"$file")
    bytes=$(($(wc -c <"$file") - lines))
    if [ "$(cat "$d/rc.sink")" = 0 ]; then
        local ms
        ms=$(makespan "$d" 1)
        echo "$(ratio "$lines" "$ms" 1) $([ "$ms" = - ] && echo - ||
            awk -v b="$bytes" -v s="$ms" 'BEGIN { printf "%.1f", b / s / 1e6 }')"
    else echo "- -"; fi
    rm -rf "$d"
}

# Big items (issue 21): 64 KiB, 256 KiB and 1 MiB, MB/s beside items/s,
# raw 2-hop (one message per item) beside, tcp.
throughput_big() {
    emit ""
    emit "### Big items: echo, 1 worker --threads 1, tcp, defaults but --max-item-size 2M"
    emit ""
    emit "$THR_BIG_MB MiB of input per run (THR_BIG_MB); MB = 10^6 bytes of items"
    emit "(results are as many). Raw 2-hop sends one message per item, as above."
    emit "The runs are interleaved (raw, push, credit, then again), so that the"
    emit "machine's drifting load falls on all three alike."
    emit ""
    emit "| item | N | what | items/s (wall) | MB/s (wall) | runs ok | vs raw 2-hop MB/s |"
    emit "| --- | ---: | --- | ---: | ---: | ---: | ---: |"
    local size kib n file vals r2 r2mb m mb flow r
    for kib in 64 256 1024; do
        size=$((kib * 1024))
        n=$((THR_BIG_MB * 1024 / kib))
        file=$tmp/big$kib
        make_items "$file" "$n" "$size"
        # Interleaved, a round of raw, push and credit at a time: the
        # load of this shared machine drifts, and a ratio of medians taken
        # minutes apart measured the drift (0.70x one run, 0.82x the next).
        local -A got=()
        for r in $(seq 1 "$runs"); do
            got[raw]+="$(raw_run 2 tcp "$n" "$size")"$'\n'
            for flow in push credit; do
                got[$flow]+="$(pp_thr_big "$flow" "$file")"$'\n'
            done
        done
        vals=${got[raw]}
        r2=$(med "$vals" 2)
        r2mb=$([ "$r2" = - ] && echo - || awk -v r="$r2" -v s="$size" 'BEGIN { printf "%.1f", r * s / 1e6 }')
        local label="$kib KiB"
        [ "$kib" = 1024 ] && label="1 MiB"
        emit "| $label | $n | raw 2-hop (push→relay→pull) | $(human "$r2") | $(fmt "$r2mb" 1) | $(ok_count "$vals" 2)/$runs | 1.00 |"
        for flow in push credit; do
            vals=${got[$flow]}
            m=$(med "$vals" 1)
            mb=$(med "$vals" 2)
            emit "| $label | $n | **pushpull $flow** | $(human "$m") | **$(fmt "$mb" 1)** | $(ok_count "$vals" 1)/$runs | **$(ratio "$mb" "$r2mb")** |"
        done
        rm -f "$file"
    done
    emit ""
    emit "Targets (issue 21): 256 KiB and 1 MiB items, one worker, defaults:"
    emit "≥ 0.8× raw 2-hop MB/s."
}

# The big-item parts of sections 1 and 4 alone (`bench/run.sh big`).
section_big() {
    log "1+4. big items"
    throughput_big
    memory_big
}

# Key pairs for the CURVE row (made once): the servers' pair, shared by
# the ventilator and the sink, and a worker's, allowed by both.
curve_keys() {
    [ -n "${curve_server:-}" ] && return
    local k=$tmp/keys
    mkdir -p "$k/allow"
    "$build/pp-worker" --keygen "$k/server.key" >/dev/null
    "$build/pp-worker" --keygen "$k/worker.key" >/dev/null
    cp "$k/server.key" "$k/worker.key" "$k/allow/"
    curve_server="--curve-secret $k/server.key_secret --curve-allow $k/allow"
    curve_client="--curve-secret $k/worker.key_secret --curve-server $k/server.key"
}

# runs_of CMD...: runs CMD RUNS times; prints the values, one a line.
runs_of() {
    local i
    for i in $(seq 1 "$runs"); do "$@"; done
}
# ok_count VALUES [FIELD]: how many runs gave a value (field 1 by default).
ok_count() { awk -v f="${2:-1}" '$f != "-" && $f != "" { n++ } END { print n + 0 }' <<<"$1"; }
# med VALUES [FIELD]: median of a column, "-" entries left out.
med() { awk -v f="${2:-1}" '$f != "-" && $f != "" { print $f }' <<<"$1" | median; }

section_throughput() {
    log "1. throughput"
    local f8=$tmp/items8 f1k=$tmp/items1k
    make_items "$f8" "$THR_N8" 8
    make_items "$f1k" "$THR_N1K" 1024
    emit ""
    emit "## 1. Throughput: echo job, 1 worker, --threads 1"
    emit ""
    emit "**items/s (wall)** = N / (last item at the receiver − dispatch start):"
    emit "for pushpull from the ventilator's dispatch start (its log line for"
    emit "the worker's hello, stamped by this script) to the sink's completion"
    emit "summary; for raw from the sender's first accepted send to the"
    emit "receiver's N-th message (CLOCK_REALTIME in both programs). Ratios use"
    emit "this figure. **items/s (receiver span)** = the sink's \`items_per_s\`"
    emit "(first outcome to last) / raw_pull's (N-1)/(first to last message):"
    emit "it leaves out the ramp-up and flatters deep pipelines. One message"
    emit "per item for raw; pushpull batches items (--batch)."
    emit "N = $THR_N8 items of 8 bytes, $THR_N1K items of 1 KiB (input: a file"
    emit "of N lines). Raw 2-hop = sender → relay (zero-copy forward) → receiver,"
    emit "shaped like ventilator → worker → sink (sender and receiver bind, relay"
    emit "connects). Default HWMs everywhere (libzmq 1000, pushpull --hwm 100)."
    emit ""

    # Batch sweep (one run each, a shorter input): the best per flow and
    # size is then measured RUNS times.
    local sweep8=$tmp/sweep8 sweep1k=$tmp/sweep1k
    make_items "$sweep8" $((THR_N8 / 2)) 8
    make_items "$sweep1k" $((THR_N1K / 2)) 1024
    declare -gA best_batch=()
    local flow size b v bestv
    emit "Batch sweep: wall items/s, \`--batch\` on the ventilator, one run each on half the input, tcp:"
    emit ""
    emit "| flow | item | batch 16 | batch 64 | batch 256 | batch 1024 | chosen |"
    emit "| --- | --- | ---: | ---: | ---: | ---: | ---: |"
    for flow in push credit; do
        for size in 8 1k; do
            local row="| $flow | ${size/8/8 B} |" file=$sweep8
            [ "$size" = 1k ] && file=$sweep1k row="| $flow | 1 KiB |"
            bestv=0
            best_batch[$flow.$size]=64
            for b in 16 64 256 1024; do
                v=$(pp_thr "$flow" tcp "$file" "$b" | cut -d' ' -f2)
                row="$row $(human "$v") |"
                if [ "$v" != - ] && awk -v a="$v" -v b="$bestv" 'BEGIN { exit !(a > b) }'; then
                    bestv=$v
                    best_batch[$flow.$size]=$b
                fi
            done
            emit "$row ${best_batch[$flow.$size]} |"
        done
    done
    emit ""
    emit "(\"-\": the run did not complete within its 15 s timeout. Each cell is one"
    emit "run: the sweep only picks the batch for the table below, so noise moves it.)"
    emit ""

    emit "| item | transport | what | items/s (wall) | items/s (receiver span) | runs ok | vs raw 2-hop | vs raw 1-hop |"
    emit "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |"
    : >"$out/throughput.dat"
    local transport n file r1 r2 r1t=- r2t=- vals m ok label bytes
    for size in 8 1k; do
        n=$THR_N8 file=$f8 label="8 B" bytes=8
        [ "$size" = 1k ] && n=$THR_N1K file=$f1k label="1 KiB" bytes=1024
        for transport in ipc tcp; do
            local vals1 vals2
            vals1=$(runs_of raw_run 1 "$transport" "$n" "$bytes")
            r1=$(med "$vals1" 2)
            vals2=$(runs_of raw_run 2 "$transport" "$n" "$bytes")
            r2=$(med "$vals2" 2)
            [ "$transport" = tcp ] && r1t=$r1 r2t=$r2
            emit "| $label | $transport | raw 1-hop (push→pull) | $(human "$r1") | $(human "$(med "$vals1" 1)") | $(ok_count "$vals1" 2)/$runs | $(ratio "$r1" "$r2") | 1.00 |"
            emit "| $label | $transport | raw 2-hop (push→relay→pull) | $(human "$r2") | $(human "$(med "$vals2" 1)") | $(ok_count "$vals2" 2)/$runs | 1.00 | $(ratio "$r2" "$r1") |"
            printf '"%s %s\\nraw 1-hop" %s 1\n"%s %s\\nraw 2-hop" %s 1\n' \
                "$label" "$transport" "$r1" "$label" "$transport" "$r2" \
                >>"$out/throughput.dat"
            [ "$transport" = tcp ] || continue   # pushpull: tcp only
            for flow in push credit; do
                b=${best_batch[$flow.$size]}
                vals=$(runs_of pp_thr "$flow" "$transport" "$file" "$b")
                m=$(med "$vals" 2)
                ok=$(ok_count "$vals" 2)
                emit "| $label | $transport | **pushpull $flow** (--batch $b) | **$(human "$m")** | $(human "$(med "$vals" 1)") | $ok/$runs | **$(ratio "$m" "$r2")** | **$(ratio "$m" "$r1")** |"
                printf '"%s %s\\npushpull %s" %s 2\n' "$label" "$transport" \
                    "$flow" "$m" >>"$out/throughput.dat"
            done
            # The same push run with CURVE on every endpoint: its cost.
            curve_keys
            b=${best_batch[push.$size]}
            vals=$(runs_of pp_thr push "$transport" "$file" "$b" \
                "$curve_server" "$curve_client")
            m=$(med "$vals" 2)
            emit "| $label | $transport | pushpull push + CURVE (--batch $b) | $(human "$m") | $(human "$(med "$vals" 1)") | $(ok_count "$vals" 2)/$runs | $(ratio "$m" "$r2") | $(ratio "$m" "$r1") |"
        done
        if command -v nngcat >/dev/null; then
            local nn=$((n < NNG_N ? n : NNG_N))
            vals=$(runs_of nngcat_run "$nn" "$bytes")
            m=$(med "$vals" 2)
            emit "| $label | tcp | nngcat --push0 → --pull0 (1 hop, N = $nn; receiver's wall clock from the sender's start) | $(human "$m") | | $(ok_count "$vals" 2)/$runs | $(ratio "$m" "$r2t") | $(ratio "$m" "$r1t") |"
        fi
    done
    command -v nngcat >/dev/null \
        || emit "nngcat: not available (apt-cache policy nng-utils shows no candidate)."
    emit ""
    emit "Targets (issue): pushpull ≥ 1.0× raw 2-hop, ≥ 0.5× raw 1-hop."
    throughput_big
}

# --- 2. scaling --------------------------------------------------------

total_work_ms=

# The 200 sleep times of --workload 200 --seed 1, in input order: the
# same seeded generator run through an echo worker into an --ordered sink.
# Sets total_work_ms (their sum) and leaves them in $tmp/workload.txt.
compute_total_work() {
    workload_of 1 "$tmp/workload.txt"
    total_work_ms=$(awk '{ s += $1 } END { if (NR == 200) print s; else print "-" }' \
        "$tmp/workload.txt" 2>/dev/null)
    [ -n "$total_work_ms" ] || total_work_ms=-
}

# workload_of SEED FILE: the 200 sleep times of --workload 200 --seed SEED
# in input order, one per line, into FILE.
workload_of() {
    local d=$tmp/work.$1
    pp_run "$d" push ipc 30 "--workload 200 --seed $1 --wait-workers 1" \
        "--ordered -o $2" "0 --job echo --threads 1" >/dev/null 2>&1
    rm -rf "$d"
}

# greedy_bound N: efficiency of list scheduling of the workload in input
# order on N single-threaded workers with zero overhead (each item to the
# first worker free): what a perfect one-at-a-time pull dispatcher gets.
greedy_bound() {
    greedy_bound_of "$1" "$tmp/workload.txt"
}

# greedy_bound_of N FILE: the same for the sleep times in FILE.
greedy_bound_of() {
    awk -v n="$1" '{ best = 1
            for (i = 2; i <= n; i++) if (free[i] < free[best]) best = i
            free[best] += $1; w += $1 }
        END { m = 0; for (i = 1; i <= n; i++) if (free[i] > m) m = free[i]
              if (NR == 0) print "-"; else printf "%.3f", w / n / m }' \
        "$2" 2>/dev/null || echo -
}

# greedy_seeds N SEEDS: "min median max" of the greedy bound at N workers
# over the workloads of seeds 1..SEEDS.
greedy_seeds() {
    local seed vals=""
    for seed in $(seq 1 "$2"); do
        workload_of "$seed" "$tmp/workload.$seed.txt"
        vals="$vals $(greedy_bound_of "$1" "$tmp/workload.$seed.txt")"
        rm -f "$tmp/workload.$seed.txt"
    done
    echo "$vals" | tr ' ' '\n' | grep -v '^-\?$' | sort -n |
        awk '{ v[NR] = $1 } END { if (NR == 0) { print "- - -"; exit }
            printf "%s %s %s %d\n", v[1], v[int((NR + 1) / 2)], v[NR], NR }'
}

# sleep_run DIR FLOW WAIT WORKER...: one classic-workload run; prints the
# makespan in seconds, or "-".
sleep_run() {
    local d=$1 flow=$2 wait=$3
    shift 3
    pp_run "$d" "$flow" ipc 40 "--workload 200 --seed 1 --wait-workers $wait" \
        "-o /dev/null" "$@" >/dev/null 2>&1
    if [ "$(cat "$d/rc.sink")" = 0 ]; then makespan "$d" "$wait"
    else echo -; fi
}

section_scaling() {
    log "2. scaling"
    [ -n "$total_work_ms" ] || compute_total_work
    emit ""
    emit "## 2. Scaling: --workload 200 --seed 1, --job sleep --threads 1, N workers"
    emit ""
    emit "Total work W = sum of the 200 sleep times = **$total_work_ms ms** (the"
    emit "same seeded generator through an echo worker into \`pp-sink --ordered\`)."
    emit "Makespan = from the ventilator's dispatch start (its log line for the"
    emit "hello that met \`--wait-workers N\`) to the sink's completion summary,"
    emit "both stamped by the bench script's clock; workers are started after"
    emit "the ventilator's sockets exist. Efficiency = (W / N) / makespan."
    emit "ipc transport. Target ≥ 0.95 at every N. *Greedy bound*: the"
    emit "efficiency of a perfect, zero-overhead one-item-at-a-time dispatcher"
    emit "(each item, in input order, to the first idle worker) on these 200"
    emit "items. A reference, not a ceiling: another assignment (credit flow's"
    emit "prefetch, say) can land above or below it by luck; only one that"
    emit "knew the lengths (longest first) could beat it by design."
    emit ""
    emit "| workers | ideal W/N s | greedy bound | push makespan s | push efficiency | credit makespan s | credit efficiency |"
    emit "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    : >"$out/scaling.dat"
    local n flow vals m ideal row i
    for n in 1 2 4 8 16; do
        ideal=$(awk -v w="$total_work_ms" -v n="$n" 'BEGIN { printf "%.3f", w / n / 1000 }')
        local gb
        gb=$(greedy_bound "$n")
        row="| $n | $ideal | $gb |"
        local dat="$n $gb"
        for flow in push credit; do
            local -a specs=()
            for i in $(seq 1 "$n"); do specs+=("0 --job sleep --threads 1"); done
            vals=$(for r in $(seq 1 "$runs"); do
                sleep_run "$tmp/scale.$flow.$n.$r" "$flow" "$n" "${specs[@]}"
                rm -rf "$tmp/scale.$flow.$n.$r"
            done)
            m=$(med "$vals")
            local eff
            eff=$(ratio "$ideal" "$m" 3)
            row="$row $(fmt "$m" 3) | **$eff**$( [ "$(ok_count "$vals")" = "$runs" ] || echo " ($(ok_count "$vals")/$runs ok)") |"
            dat="$dat $eff"
        done
        emit "$row"
        echo "$dat" | sed 's/ - / NaN /g; s/ -$/ NaN/' >>"$out/scaling.dat"
    done
    # Is seed 1 a bad draw? The same bound at 16 workers over 20 seeds.
    local spread
    spread=$(greedy_seeds 16 "${GREEDY_SEEDS:-20}")
    # shellcheck disable=SC2086 # four words: min median max count
    set -- $spread
    emit ""
    emit "The greedy bound at 16 workers over the workloads of seeds 1..${GREEDY_SEEDS:-20}"
    emit "(${4:-0} computed): min **$1**, median **$2**, max **$3**. On most"
    emit "workloads of this shape the tail of the last long sleeps, not the"
    emit "dispatcher, keeps 16 workers under 0.95."
}

# --- 3. uneven workers and a late joiner --------------------------------

section_uneven() {
    log "3. uneven workers, late joiner"
    [ -n "$total_work_ms" ] || compute_total_work
    local ideal
    ideal=$(awk -v w="$total_work_ms" 'BEGIN { printf "%.3f", w / 4 / 1000 }')
    emit ""
    emit "## 3. Uneven workers and a late joiner (--workload 200 --seed 1, --job sleep)"
    emit ""
    emit "Ideal = W / total threads = $total_work_ms ms / 4 = **$ideal s**; makespan as"
    emit "in section 2. (b) starts the second worker 300 ms after the first"
    emit "(ventilator --wait-workers 1), so even a perfect scheduler loses 2"
    emit "threads × 0.3 s: its best possible ratio is about $(awk -v i="$ideal" 'BEGIN { printf "%.2f", (i + 0.15) / i }')."
    emit "Target: credit ≤ 1.10."
    emit ""
    emit "| case | flow | makespan s | makespan / ideal | runs ok |"
    emit "| --- | --- | ---: | ---: | ---: |"
    local flow vals m r
    for flow in push credit; do
        vals=$(for r in $(seq 1 "$runs"); do
            sleep_run "$tmp/uneven.a.$flow.$r" "$flow" 2 \
                "0 --job sleep --threads 1" "0 --job sleep --threads 3"
            rm -rf "$tmp/uneven.a.$flow.$r"
        done)
        m=$(med "$vals")
        emit "| (a) 1 worker × 1 thread + 1 worker × 3 threads | $flow | $(fmt "$m" 3) | **$(ratio "$m" "$ideal")** | $(ok_count "$vals")/$runs |"
    done
    for flow in push credit; do
        vals=$(for r in $(seq 1 "$runs"); do
            sleep_run "$tmp/uneven.b.$flow.$r" "$flow" 1 \
                "0 --job sleep --threads 2" "0.3 --job sleep --threads 2"
            rm -rf "$tmp/uneven.b.$flow.$r"
        done)
        m=$(med "$vals")
        emit "| (b) 2 workers × 2 threads, the 2nd 300 ms late | $flow | $(fmt "$m" 3) | **$(ratio "$m" "$ideal")** | $(ok_count "$vals")/$runs |"
    done
}

# --- 4. memory ---------------------------------------------------------

mib() { [ "$1" = - ] && echo - || awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
rss_kb() { awk -F': ' '/Maximum resident set size/ { print $2 }' "$1" 2>/dev/null; }

section_memory() {
    log "4. memory"
    emit ""
    emit "## 4. Memory: peak RSS (/usr/bin/time -v), --generate N, echo, 1 worker --threads 1"
    emit ""
    emit "Defaults otherwise (push flow, --window 65536, --hwm 100, batch 64),"
    emit "ipc transport, sink output to /dev/null. Target: flat (10^7 within"
    emit "1.1× of 10^5) and the worker ≤ 16 MiB."
    emit ""
    emit "Each cell: median MiB (min–max over the runs)."
    emit ""
    emit "| items | runs | ventilator MiB | worker MiB | sink MiB | run time s |"
    emit "| ---: | ---: | ---: | ---: | ---: | ---: |"
    : >"$out/memory.dat"
    local n nr r d v w s t
    declare -A first=()
    for n in 100000 1000000 10000000; do
        [ "$n" -le "$mem_max" ] || continue
        nr=$runs
        # 10^7 echo items take ~15 s a run here; MEM_RUNS_1E7 can lower
        # its run count to keep make bench within its 10-minute budget.
        [ "$n" -ge 10000000 ] && nr=${MEM_RUNS_1E7:-$runs}
        local vs="" ws="" ss="" ts=""
        for r in $(seq 1 "$nr"); do
            d=$tmp/mem.$n.$r
            local t0=$EPOCHREALTIME
            PP_TIMEV=1 pp_run "$d" push ipc 120 "--generate $n --wait-workers 1" \
                "-o /dev/null" "0 --job echo --threads 1" >/dev/null 2>&1
            if [ "$(cat "$d/rc.sink")" = 0 ]; then
                vs="$vs$(rss_kb "$d/vent.time")"$'\n'
                ws="$ws$(rss_kb "$d/w1.time")"$'\n'
                ss="$ss$(rss_kb "$d/sink.time")"$'\n'
                ts="$ts$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { print b - a }')"$'\n'
            fi
            rm -rf "$d"
        done
        v=$(grep . <<<"$vs" | median) w=$(grep . <<<"$ws" | median)
        s=$(grep . <<<"$ss" | median) t=$(grep . <<<"$ts" | median)
        # "median (min–max)" in MiB
        mr() {
            local m
            m=$(mib "$1")
            [ "$m" = - ] && { echo -; return; }
            grep . <<<"$2" | sort -n | awk -v m="$m" '
                NR == 1 { lo = $1 } { hi = $1 }
                END { if (NR > 1) printf "%s (%.1f–%.1f)", m, lo / 1024, hi / 1024
                      else print m }'
        }
        emit "| 10^$(( ${#n} - 1 )) | $(grep -c . <<<"$ws")/$nr | $(mr "$v" "$vs") | $(mr "$w" "$ws") | $(mr "$s" "$ss") | $(fmt "$t" 1) |"
        echo "$n $(mib "$v") $(mib "$w") $(mib "$s")" | sed 's/ - / NaN /g; s/ -$/ NaN/' >>"$out/memory.dat"
        [ -z "${first[v]:-}" ] && first[v]=$v first[w]=$w first[s]=$s
        last_v=$v last_w=$w last_s=$s last_n=$n
    done
    [ "$mem_max" -lt 10000000 ] \
        && emit "" && emit "(10^7 skipped: MEM_MAX=$mem_max.)"
    emit ""
    emit "A median that moves inside overlapping min–max ranges is run-to-run"
    emit "noise (e.g. how many result messages wait in the sink's socket), not growth."
    emit ""
    emit "Growth 10^$(( ${#last_n} - 1 )) vs 10^5: ventilator $(ratio "${last_v:--}" "${first[v]:--}")×, worker $(ratio "${last_w:--}" "${first[w]:--}")×, sink $(ratio "${last_s:--}" "${first[s]:--}")×."
    [ "$mem_max" -ge 10000000 ] && [ "${MEM_RUNS_1E7:-$runs}" -lt "$runs" ] \
        && emit "The 10^7 row has ${MEM_RUNS_1E7} run(s) only, to fit the 10-minute budget."
    memory_big
}

# Big items (issue 21): MEM_BIG_MB (default 1024) MiB of 256 KiB items,
# peak RSS of each process, push and credit, unordered and --ordered.
memory_big() {
    local mb=${MEM_BIG_MB:-1024} size=$((256 * 1024)) n file flow ord d
    n=$((mb * 4))
    file=$tmp/mem.big
    make_items "$file" "$n" "$size"
    emit ""
    emit "### Big items: $mb MiB of 256 KiB items ($n), echo, 1 worker --threads 1"
    emit ""
    emit "ipc, sink output to /dev/null, defaults otherwise. Peak RSS"
    emit "(/usr/bin/time -v), median MiB of the runs. Target (issue 21):"
    emit "each process ≤ 64 MiB."
    emit ""
    emit "| flow | sink | runs ok | ventilator MiB | worker MiB | sink MiB | run time s |"
    emit "| --- | --- | ---: | ---: | ---: | ---: | ---: |"
    for flow in push credit; do
        for ord in "" --ordered; do
            local vs="" ws="" ss="" ts="" r
            for r in $(seq 1 "$runs"); do
                d=$tmp/membig.$flow.$r
                local t0=$EPOCHREALTIME
                PP_TIMEV=1 pp_run "$d" "$flow" ipc 120 "--wait-workers 1 $file" \
                    "-o /dev/null $ord" "0 --job echo --threads 1" >/dev/null 2>&1
                if [ "$(cat "$d/rc.sink")" = 0 ]; then
                    vs="$vs$(rss_kb "$d/vent.time")"$'\n'
                    ws="$ws$(rss_kb "$d/w1.time")"$'\n'
                    ss="$ss$(rss_kb "$d/sink.time")"$'\n'
                    ts="$ts$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { print b - a }')"$'\n'
                fi
                rm -rf "$d"
            done
            emit "| $flow | ${ord:-arrival order} | $(grep -c . <<<"$ws")/$runs | $(mib "$(grep . <<<"$vs" | median)") | $(mib "$(grep . <<<"$ws" | median)") | $(mib "$(grep . <<<"$ss" | median)") | $(fmt "$(grep . <<<"$ts" | median)" 1) |"
        done
    done
    rm -f "$file"
}

# --- 5. command overhead -----------------------------------------------

section_command() {
    log "5. command overhead"
    emit ""
    emit "## 5. Command overhead: 2000 items, each running \`true\`, 2 at a time"
    emit ""
    if ! "$build/pp-worker" --help 2>&1 | grep -q -- '-- CMD'; then
        emit "pending: \`pp-worker -- CMD\` does not exist yet."
        return
    fi
    emit "pushpull: \`pp-worker --threads 2 -- true\` (1 worker, ventilator"
    emit "\`--generate 2000\`, defaults otherwise), makespan as in section 2 (ipc;"
    emit "process start-up of the three binaries is not counted). xargs and"
    emit "parallel: wall clock of the whole command line."
    emit ""
    emit "| runner | total s | per item ms | vs xargs | runs ok |"
    emit "| --- | ---: | ---: | ---: | ---: |"
    local vals mx mp mpar r
    vals=$(for r in $(seq 1 "$runs"); do
        local t0=$EPOCHREALTIME
        seq 2000 | timeout -k 2 60 xargs -P 2 -n 1 true && \
            awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.4f\n", b - a }' \
            || echo -
    done)
    mx=$(med "$vals")
    emit "| \`seq 2000 \| xargs -P 2 -n 1 true\` | $(fmt "$mx" 3) | $(awk -v t="$mx" 'BEGIN { printf "%.3f", t / 2 }') | 1.00 | $(ok_count "$vals")/$runs |"
    vals=$(for r in $(seq 1 "$runs"); do
        local d=$tmp/cmd.$r
        pp_run "$d" push ipc 60 "--generate 2000 --wait-workers 1" \
            "-o /dev/null" "0 --threads 2 -- true" >/dev/null 2>&1
        if [ "$(cat "$d/rc.sink")" = 0 ]; then makespan "$d" 1; else echo -; fi
        rm -rf "$d"
    done)
    mp=$(med "$vals")
    emit "| \`pp-worker --threads 2 -- true\` | $(fmt "$mp" 3) | $(awk -v t="$mp" 'BEGIN { printf "%.3f", t / 2 }') | **$(ratio "$mp" "$mx")** | $(ok_count "$vals")/$runs |"
    if command -v parallel >/dev/null; then
        vals=$(for r in $(seq 1 "$runs"); do
            local t0=$EPOCHREALTIME
            seq 2000 | timeout -k 2 60 parallel -j 2 true && \
                awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.4f\n", b - a }' \
                || echo -
        done)
        mpar=$(med "$vals")
        emit "| \`seq 2000 \| parallel -j 2 true\` | $(fmt "$mpar" 3) | $(awk -v t="$mpar" 'BEGIN { printf "%.3f", t / 2 }') | $(ratio "$mpar" "$mx") | $(ok_count "$vals")/$runs |"
    else
        emit "| GNU parallel | not installed | | | |"
    fi
    emit ""
    emit "Per item = total / 2000 × 1000 ms (wall time per item, 2 running at once)."
}

# --- 6. latency --------------------------------------------------------

section_latency() {
    log "6. latency"
    emit ""
    emit "## 6. Latency at a light fixed rate: --rate 1000, 5000 items, echo, 1 worker --threads 1"
    emit ""
    emit "From the sink's stats: time from the ventilator queueing an item to the"
    emit "sink recording its outcome (same host clock). ipc transport, default batch."
    emit "The p99/max tail moves by 100× between runs when other work shares the"
    emit "2 cores (see the load average); p50 is the stable figure."
    emit ""
    emit "| flow | p50 µs | p90 µs | p99 µs | max µs | runs ok |"
    emit "| --- | ---: | ---: | ---: | ---: | ---: |"
    local flow r d p50s p90s p99s maxs ok
    for flow in push credit; do
        p50s="" p90s="" p99s="" maxs="" ok=0
        for r in $(seq 1 "$runs"); do
            d=$tmp/lat.$flow.$r
            pp_run "$d" "$flow" ipc 30 "--generate 5000 --rate 1000 --wait-workers 1" \
                "-o /dev/null" "0 --job echo --threads 1" >/dev/null 2>&1
            if [ "$(cat "$d/rc.sink")" = 0 ]; then
                ok=$((ok + 1))
                p50s="$p50s$(json "$d" .latency_us.p50)"$'\n'
                p90s="$p90s$(json "$d" .latency_us.p90)"$'\n'
                p99s="$p99s$(json "$d" .latency_us.p99)"$'\n'
                maxs="$maxs$(json "$d" .latency_us.max)"$'\n'
            fi
            rm -rf "$d"
        done
        emit "| $flow | $(grep . <<<"$p50s" | median) | $(grep . <<<"$p90s" | median) | $(grep . <<<"$p99s" | median) | $(grep . <<<"$maxs" | median) | $ok/$runs |"
    done
}

# --- 7. whole run -------------------------------------------------------

WHOLE_N8=${WHOLE_N8:-2000000}    # the large 8-byte target row
WHOLE_N1K=${WHOLE_N1K:-1000000}  # the large 1 KiB target row

# whole_pp FLOW FILE: seconds from starting the three processes (sink,
# ventilator, one echo worker, defaults only, tcp, all at once) to all
# three having exited, or "-" when the run failed.
whole_pp() {
    local flow=$1 file=$2 d=$tmp/whole.$RANDOM
    mkdir -p "$d"
    local base=$((17800 + (port_seq % 150) * 4))
    port_seq=$((port_seq + 1))
    local -a eps=(--flow "$flow" --tasks "tcp://127.0.0.1:$base"
                  --results "tcp://127.0.0.1:$((base + 1))"
                  --control "tcp://127.0.0.1:$((base + 2))"
                  --acks "tcp://127.0.0.1:$((base + 3))")
    local -a pre=(timeout -k 2 120)
    local t0=$EPOCHREALTIME
    "${pre[@]}" "$build/pp-sink" "${eps[@]}" -o /dev/null -q \
        2>"$d/sink.err" &
    local sink=$!
    "${pre[@]}" "$build/pp-ventilator" "${eps[@]}" -q "$file" \
        2>"$d/vent.err" &
    local vent=$!
    "${pre[@]}" "$build/pp-worker" "${eps[@]}" -q --job echo \
        2>"$d/w.err" &
    local w=$!
    pids+=("$sink" "$vent" "$w")
    local rc=0
    wait "$sink" || rc=1
    wait "$vent" || rc=1
    wait "$w" || rc=1
    local t1=$EPOCHREALTIME
    pids=()
    rm -rf "$d"
    [ $rc = 0 ] || { echo -; return; }
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f\n", b - a }'
}

# whole_raw N SIZE: seconds from starting the raw 2-hop relay's three
# processes (tcp) to the receiver having all N messages, or "-". The
# relay starts once both ends listen: its first connect then succeeds
# (libzmq retries a refused one only after 100 ms), the raw relay's best.
whole_raw() {
    local n=$1 size=$2 base=$((17000 + (port_seq % 100) * 2))
    port_seq=$((port_seq + 1))
    local a=tcp://127.0.0.1:$base b=tcp://127.0.0.1:$((base + 1))
    local -a pre=(timeout -k 2 120)
    local t0=$EPOCHREALTIME
    "${pre[@]}" "$raw/raw_pull" "@$b" "$n" >/dev/null 2>&1 &
    local pull=$!
    "${pre[@]}" "$raw/raw_push" "@$a" "$n" "$size" 30 >/dev/null 2>&1 &
    local push=$!
    wait_ep "$a"
    wait_ep "$b"
    "${pre[@]}" "$raw/raw_relay" ">$a" ">$b" "$n" 30 2>/dev/null &
    local relay=$!
    pids+=("$pull" "$relay" "$push")
    wait "$pull"
    local rc=$? t1=$EPOCHREALTIME
    kill -TERM "$push" "$relay" 2>/dev/null
    wait "$push" "$relay" 2>/dev/null
    pids=()
    [ $rc = 0 ] || { echo -; return; }
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f\n", b - a }'
}

# whole_cmd RUNNER FILE: seconds of RUNNER running `echo ITEM` for each
# line of FILE, 2 at a time (xargs -P 2 -n 1, or parallel -j 2), output
# to /dev/null, or "-".
whole_cmd() {
    local t0=$EPOCHREALTIME
    case $1 in
        xargs) timeout -k 2 120 xargs -P 2 -n 1 echo <"$2" >/dev/null ;;
        parallel) timeout -k 2 120 parallel -j 2 echo <"$2" >/dev/null ;;
    esac || { echo -; return; }
    awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.4f\n", b - a }'
}

# whole_interleaved FILE N SIZE BASE: RUNS rounds of pushpull push,
# pushpull credit and BASE (raw, xargs, parallel, or none), one of each
# per round so that a change in the machine's load hits them alike.
# Sets vp, vc and vb (one value a line).
whole_interleaved() {
    local file=$1 n=$2 size=$3 base=$4 r
    vp="" vc="" vb=""
    for r in $(seq 1 "$runs"); do
        vp+="$(whole_pp push "$file")"$'\n'
        vc+="$(whole_pp credit "$file")"$'\n'
        case $base in
            raw) vb+="$(whole_raw "$n" "$size")"$'\n' ;;
            xargs | parallel) vb+="$(whole_cmd "$base" "$file")"$'\n' ;;
        esac
    done
}

# whole_cell VALUES: "median (ok/runs)", seconds.
whole_cell() { echo "$(fmt "$(med "$1")" 3) ($(ok_count "$1")/$runs)"; }

section_whole() {
    log "7. whole run"
    emit ""
    emit "## 7. Whole run: start of the three processes → all of them exited"
    emit ""
    emit "What a user times: sink, ventilator and one worker (\`--job echo\`,"
    emit "defaults otherwise: --batch, --threads, --linger...) started at once"
    emit "over tcp, wall clock until all three exited; the input a file of N"
    emit "lines of 8 bytes. Beside it, for the small runs, \`xargs -P 2 -n 1 echo\`"
    emit "and GNU \`parallel -j 2 echo\` on the same file (one process per item),"
    emit "and for the large ones the raw 2-hop relay (tcp; start of its three"
    emit "processes → the receiver has all N: it never has to say it is done;"
    emit "its relay is started once both ends listen, so it never waits for a"
    emit "connect retry)."
    emit "Seconds, median of $runs (runs ok in brackets); each round runs push,"
    emit "credit and the baseline one after the other, so load hits them alike."
    emit ""
    local has_par=1
    command -v parallel >/dev/null || has_par=0
    emit "| items | pushpull push s | pushpull credit s | credit vs push | baseline | baseline s | push vs baseline |"
    emit "| ---: | ---: | ---: | ---: | --- | ---: | ---: |"
    : >"$out/whole.dat"
    local n f mp mc mb
    vp="" vc="" vb=""
    for n in 1 10 100 10000 1000000; do
        f=$tmp/whole.items.$n
        make_items "$f" "$n" 8
        local mx=- mpar=- mraw=-
        if [ "$n" -le 100 ]; then
            whole_interleaved "$f" "$n" 8 xargs
            mp=$(med "$vp") mc=$(med "$vc") mx=$(med "$vb")
            emit "| $n | $(whole_cell "$vp") | $(whole_cell "$vc") | $(ratio "$mp" "$mc") | xargs -P 2 | $(whole_cell "$vb") | $(ratio "$mx" "$mp") |"
            if [ $has_par = 1 ]; then
                vb=$(runs_of whole_cmd parallel "$f")
                mpar=$(med "$vb")
                emit "| $n | | | | parallel -j 2 | $(whole_cell "$vb") | $(ratio "$mpar" "$mp") |"
            fi
        else
            whole_interleaved "$f" "$n" 8 raw
            mp=$(med "$vp") mc=$(med "$vc") mraw=$(med "$vb")
            emit "| $n | $(whole_cell "$vp") | $(whole_cell "$vc") | $(ratio "$mp" "$mc") | raw 2-hop | $(whole_cell "$vb") | $(ratio "$mraw" "$mp") |"
        fi
        echo "$n $mp $mc $mx $mpar $mraw" | sed 's/ -/ NaN/g' >>"$out/whole.dat"
        rm -f "$f"
    done
    [ $has_par = 1 ] || emit "GNU parallel: not installed (\`scripts/install-deps.sh --bench\` installs it): its rows are left out."
    emit ""
    emit "\"credit vs push\" and \"vs baseline\" are speed ratios: the other's time"
    emit "over pushpull's (> 1: pushpull is faster; credit vs push = push s /"
    emit "credit s, target ≥ 0.9)."
    emit ""
    emit "Targets (issue 15): a 10-item run ≤ 0.050 s; whole runs of"
    emit "$WHOLE_N8 8-byte and $WHOLE_N1K 1 KiB items, defaults, ≥ 1.0× the raw"
    emit "2-hop relay measured beside them:"
    emit ""
    emit "| items | pushpull push s | pushpull credit s | raw 2-hop s | push vs raw | credit vs raw | credit vs push |"
    emit "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
    local size label
    for size in 8 1024; do
        n=$WHOLE_N8 label="$WHOLE_N8 × 8 B"
        [ "$size" = 1024 ] && n=$WHOLE_N1K label="$WHOLE_N1K × 1 KiB"
        f=$tmp/whole.big.$size
        make_items "$f" "$n" "$size"
        whole_interleaved "$f" "$n" "$size" raw
        mp=$(med "$vp") mc=$(med "$vc") mb=$(med "$vb")
        emit "| $label | $(whole_cell "$vp") | $(whole_cell "$vc") | $(whole_cell "$vb") | **$(ratio "$mb" "$mp")** | **$(ratio "$mb" "$mc")** | $(ratio "$mp" "$mc") |"
        rm -f "$f"
    done
}

# --- many workers --------------------------------------------------------

# many_run DIR FLOW W N [JOB_US]: one run of N tiny items (echo,
# --generate) over W virtual workers (bench/vworkers: one process per 4000
# workers, each worker a tasks socket of its own, 1 job slot, capacity
# MANY_CAPACITY, jobs of JOB_US microseconds, 0 by default). Prints
# "cpu_s wall_s min max tasks credits beats span" (ventilator CPU from
# /usr/bin/time; min/max items per worker; TASK messages the workers read,
# CREDIT messages they sent and how many of those were empty heartbeats;
# the sink's items/s from its first result to its last), or
# "- - - - - - - -" if the run failed.
many_run() {
    local dir=$1 flow=$2 w=$3 n=$4 job_us=${5:-0}
    mkdir -p "$dir"
    local ep="--tasks ipc://$dir/t --results ipc://$dir/r --control ipc://$dir/c --acks ipc://$dir/a"
    timeout 300 "$build/pp-sink" --results "ipc://$dir/r" --control "ipc://$dir/c" \
        --acks "ipc://$dir/a" --sum -q --stats-json "$dir/stats.json" \
        >"$dir/sum" 2>"$dir/sink.err" &
    local sink=$! procs=$(((w + 3999) / 4000)) p vws=()
    for p in $(seq 1 "$procs"); do
        local share=$((w / procs + (p <= w % procs ? 1 : 0)))
        timeout 300 "$raw/vworkers" --workers "$share" --capacity "${MANY_CAPACITY:-32}" --job-us "$job_us" --flow "$flow" \
            ${MANY_CONTROL_EACH:+--control-each} $ep \
            >"$dir/vw.$p" 2>"$dir/vw.$p.err" &
        vws+=($!)
    done
    /usr/bin/time -f "%U %S %e" -o "$dir/time" timeout 300 \
        "$build/pp-ventilator" --flow "$flow" $ep --generate "$n" \
        --wait-workers "$w" -q 2>"$dir/vent.err"
    local rc=$?
    wait "$sink"
    local src=$?
    for p in "${vws[@]}"; do wait "$p"; done
    local want
    want=$(awk -v n="$n" 'BEGIN { printf "%.0f", n * (n + 1) / 2 }')
    if [ "$rc" != 0 ] || [ "$src" != 0 ] || [ "$(cat "$dir/sum")" != "$want" ]; then
        log "many workers: W=$w $flow failed (vent $rc, sink $src)"
        echo "- - - - - - - -"
        return
    fi
    local u sy e span
    read -r u sy e <"$dir/time"
    span=$(json "$dir" .items_per_s)
    cat "$dir"/vw.[0-9]* | awk -F '[ ,]+' -v u="$u" -v s="$sy" -v e="$e" -v span="$span" '
        $2 == "messages:" { t += $4; c += $6; b += $8; next }
        { lo = (k == 0 || $7 + 0 < lo) ? $7 + 0 : lo
          hi = (k == 0 || $9 + 0 > hi) ? $9 + 0 : hi; k++ }
        END { printf "%.3f %.3f %d %d %d %d %d %s\n", u + s, e, lo, hi, t, c, b, span }'
}

# "split" alone: the cost split of section 8 without the rest of it.
section_split() {
    log "8b. many workers, cost split"
    [ -x "$raw/vworkers" ] || { log "missing $raw/vworkers: run make bench"; return; }
    emit ""
    emit "## 8b. Many workers: the ventilator's cost per item and per worker"
    many_split
}

section_many() {
    log "8. many workers"
    [ -x "$raw/vworkers" ] || { log "missing $raw/vworkers: run make bench"; return; }
    local list=${MANY_W:-1 10 100 1000 10000}
    emit ""
    emit "## 8. Many workers: bench/vworkers, tiny items (--generate, echo)"
    emit ""
    emit "W virtual workers in one process (one per 4000), each its own tasks"
    emit "socket and worker id, 1 job slot, capacity ${MANY_CAPACITY:-32} (the credit it"
    emit "grants), jobs of no time: what is measured is the ventilator's cost"
    emit "per item as W grows (CPU from /usr/bin/time, user + system), items/s"
    emit "of the whole run (the ventilator's start to its exit: W workers connect"
    emit "first, --wait-workers W) and of the sink's span (its first result to its"
    emit "last, as section 1 measures), and the balance (fewest and most items a worker"
    emit "got). N = max(MANY_N, 100 W), MANY_N = ${MANY_N:-1000000}: 10^6 items make"
    emit "items/s the pipeline's rate, not that of W workers connecting (about"
    emit "0.2 s for 1000 here, in the whole run's figure; the next table splits"
    emit "the ventilator's CPU into per item and per worker). Push flow"
    emit "deals whole batches round-robin: with many workers and tiny items"
    emit "most get none (a batch is up to 1024 items). Messages: what the"
    emit "ventilator's tasks socket carried per 100 items, TASKs out + CREDITs in"
    emit "(of which empty heartbeats), in credit flow. The virtual workers say BYE"
    emit "when the run is over, as pp-worker does, so the run ends then, not after"
    emit "the ventilator's --linger. The virtual workers of a process share one"
    emit "subscription to the ventilator's state unless MANY_CONTROL_EACH=1 (then"
    emit "each has its own, as real workers do, and the ventilator needs two"
    emit "descriptors a worker: W = 10000 needs ulimit -n above 20000)."
    emit "Median of $runs. Targets: CPU per item at W = 10000 within 2x of W = 10;"
    emit "items/s at W = 1000 within 0.8x of W = 10; max/min <= 1.2 at W = 1000."
    emit ""
    emit "| W | flow | items | vent CPU us/item | items/s whole run | items/s span | min | max | max/min | messages /100 items | runs ok |"
    emit "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    : >"$out/many.dat"
    local w flow vals n cpu wall lo hi row r us rate bal msgs span
    for w in $list; do
        row="$w"
        local least=${MANY_N:-1000000}
        n=$((w * 100 > least ? w * 100 : least))
        for flow in push credit; do
            vals=$(for r in $(seq 1 "$runs"); do
                many_run "$tmp/many.$w.$flow.$r" "$flow" "$w" "$n"
                rm -rf "$tmp/many.$w.$flow.$r"
            done)
            cpu=$(med "$vals" 1); wall=$(med "$vals" 2)
            lo=$(med "$vals" 3); hi=$(med "$vals" 4); span=$(med "$vals" 8)
            us=- rate=- bal=-
            [ "$cpu" != - ] && us=$(awk -v c="$cpu" -v n="$n" 'BEGIN { printf "%.2f", c * 1e6 / n }')
            [ "$wall" != - ] && rate=$(awk -v w="$wall" -v n="$n" 'BEGIN { printf "%.0f", n / w }')
            [ "$lo" != - ] && [ "$lo" != 0 ] && bal=$(awk -v a="$lo" -v b="$hi" 'BEGIN { printf "%.2f", b / a }')
            msgs=$(many_msgs "$vals" "$n" "$flow")
            emit "| $w | $flow | $n | $us | $(human "$rate") | $(human "$span") | $(fmt "$lo" 0) | $(fmt "$hi" 0) | $bal | $msgs | $(ok_count "$vals")/$runs |"
            row="$row $us $rate"
        done
        echo "$row" >>"$out/many.dat"
    done
    many_split
    many_balance
}

# The ventilator's CPU split into a cost per item and a cost per worker:
# for each W, runs of N and 3N items (N = max(10^6, 100 W): enough CPU
# at W = 10 for /usr/bin/time's 10 ms); the slope between them
# is the CPU per item once the workers are there, the rest of the N run
# (CPU - N x slope) what the run costs whatever the items; its growth
# from the first W's, per worker added, is what a worker costs
# (connecting, handshakes, heartbeats, goodbyes). The issue's title asks
# for a "cost per item that does not grow with" W: the slope.
many_split() {
    local list=${MANY_SPLIT_W:-10 10000}
    emit ""
    emit "The same runs at N and 3N items, the ventilator's CPU split into a cost"
    emit "per item (the slope between the two) and a fixed cost (what the N run"
    emit "spent beyond N times the slope); the fixed cost's growth over the first"
    emit "W's, per worker added, is what a worker costs (connecting, handshakes,"
    emit "heartbeats, goodbyes)."
    emit ""
    emit "| W | flow | N | CPU at N s | CPU at 3N s | us/item (slope) | fixed s | us per worker added | runs ok |"
    emit "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    local w flow n v1 v3 c1 c3 slope fixed per r
    local -A base_w=() base_fixed=()
    for w in $list; do
        n=$((w * 100 > 1000000 ? w * 100 : 1000000))
        for flow in credit push; do
            v1= v3=
            for r in $(seq 1 "$runs"); do   # interleaved: N, 3N, N, 3N...
                v1+=$(many_run "$tmp/split.$w.$flow.$r" "$flow" "$w" "$n")$'\n'
                rm -rf "$tmp/split.$w.$flow.$r"
                v3+=$(many_run "$tmp/split3.$w.$flow.$r" "$flow" "$w" $((3 * n)))$'\n'
                rm -rf "$tmp/split3.$w.$flow.$r"
            done
            c1=$(med "$v1" 1); c3=$(med "$v3" 1)
            slope=- fixed=- per=-
            if [ "$c1" != - ] && [ "$c3" != - ]; then
                slope=$(awk -v a="$c1" -v b="$c3" -v n="$n" 'BEGIN { printf "%.2f", (b - a) * 1e6 / (2 * n) }')
                fixed=$(awk -v a="$c1" -v s="$slope" -v n="$n" 'BEGIN { printf "%.2f", a - s * n / 1e6 }')
                if [ -z "${base_w[$flow]:-}" ]; then
                    base_w[$flow]=$w base_fixed[$flow]=$fixed
                elif [ "$w" != "${base_w[$flow]}" ]; then
                    per=$(awk -v f="$fixed" -v b="${base_fixed[$flow]}" -v w="$w" -v bw="${base_w[$flow]}" \
                        'BEGIN { printf "%.0f", (f - b) * 1e6 / (w - bw) }')
                fi
            fi
            emit "| $w | $flow | $n | $(fmt "$c1" 2) | $(fmt "$c3" 2) | $slope | $fixed | $per | $(ok_count "$v1")+$(ok_count "$v3")/$((2 * runs)) |"
        done
    done
}

# many_msgs VALUES N FLOW: the median run's messages on the tasks socket
# per 100 items, "TASK + CREDIT (empty)"; "-" in push flow (no CREDITs,
# and a PULL does not count what it reads) or when no run worked.
many_msgs() {
    local t c b
    t=$(med "$1" 5); c=$(med "$1" 6); b=$(med "$1" 7)
    if [ "$3" != credit ] || [ "$t" = - ]; then echo -; return; fi
    awk -v t="$t" -v c="$c" -v b="$b" -v n="$2" \
        'BEGIN { printf "%.1f + %.1f (%.1f)", t * 100 / n, c * 100 / n, b * 100 / n }'
}

# The balance of equal workers that take time: jobs of MANY_JOB_US (10 ms)
# each, 1 slot, so that a worker's pace, not the order in which vworkers
# serves its sockets (what the table above measures with jobs of no
# time), decides how much it can take. N = 100 W: 100 items a worker.
many_balance() {
    local list=${MANY_BALANCE_W:-10 100 1000} job_us=${MANY_JOB_US:-10000}
    emit ""
    emit "Balance of equal workers with jobs of $((job_us / 1000)) ms (1 slot each, N = 100 W:"
    emit "an ideal run gives each worker 100). Target: max/min <= 1.2 at W = 1000."
    emit ""
    emit "| W | flow | items | wall s | ideal s | min | max | max/min | runs ok |"
    emit "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    local w flow n vals wall lo hi bal r
    for w in $list; do
        n=$((w * 100))
        for flow in credit push; do
            vals=$(for r in $(seq 1 "$runs"); do
                many_run "$tmp/bal.$w.$flow.$r" "$flow" "$w" "$n" "$job_us"
                rm -rf "$tmp/bal.$w.$flow.$r"
            done)
            wall=$(med "$vals" 2); lo=$(med "$vals" 3); hi=$(med "$vals" 4)
            bal=-
            [ "$lo" != - ] && [ "$lo" != 0 ] && bal=$(awk -v a="$lo" -v b="$hi" 'BEGIN { printf "%.2f", b / a }')
            emit "| $w | $flow | $n | $(fmt "$wall" 2) | $(awk -v j="$job_us" 'BEGIN { printf "%.2f", 100 * j / 1e6 }') | $(fmt "$lo" 0) | $(fmt "$hi" 0) | $bal | $(ok_count "$vals")/$runs |"
        done
    done
}

# --- plots -------------------------------------------------------------

section_plots() {
    emit ""
    emit "## Plots"
    emit ""
    if ! command -v gnuplot >/dev/null; then
        log "gnuplot is missing: no plots (apt-get install -y gnuplot-nox)"
        emit "No plots: gnuplot is not installed (\`apt-get install -y gnuplot-nox\`)."
        return
    fi
    local made=()
    if [ -s "$out/throughput.dat" ]; then
        gnuplot <<EOF 2>>"$tmp/gnuplot.err" && made+=(throughput.png)
set terminal pngcairo size 1100,520 noenhanced
set output "$out/throughput.png"
set title "Throughput, echo job, 1 worker (items/s, median of $runs)"
set style fill solid 0.8 border -1
set boxwidth 0.7
set logscale y
set ylabel "items/s, wall (log)"
set xtics rotate by -40 font ",8"
set grid ytics
set xrange [-0.6:*]
unset key
set palette defined (1 "#8a8a8a", 2 "#d0602a")
unset colorbox
set label 1 "grey: raw libzmq floor   orange: pushpull" at graph 0.01, graph 0.95
plot "$out/throughput.dat" using 0:2:3:xtic(1) with boxes lc palette
EOF
    fi
    if [ -s "$out/scaling.dat" ]; then
        gnuplot <<EOF 2>>"$tmp/gnuplot.err" && made+=(scaling.png)
set terminal pngcairo size 800,480
set output "$out/scaling.png"
set title "Scaling efficiency, --workload 200, sleep job (median of $runs)"
set xlabel "worker processes (--threads 1)"
set ylabel "(W / N) / makespan"
set logscale x 2
set xrange [0.8:20]
set yrange [0:1.1]
set grid
set key bottom left
plot "$out/scaling.dat" using 1:3 with linespoints lw 2 title "push", \
     "" using 1:4 with linespoints lw 2 title "credit", \
     "" using 1:2 with linespoints lw 1 dt 3 title "greedy bound", \
     0.95 with lines dt 2 lc rgb "gray" title "target 0.95"
EOF
    fi
    if [ -s "$out/memory.dat" ]; then
        gnuplot <<EOF 2>>"$tmp/gnuplot.err" && made+=(memory.png)
set terminal pngcairo size 800,480 enhanced
set output "$out/memory.png"
set title "Peak RSS vs items (echo, 1 worker)"
set xlabel "items"
set ylabel "MiB"
set logscale x 10
set yrange [0:*]
set offsets 0, 0, 3, 0
set format x "10^{%L}"
set grid
set key bottom right
plot "$out/memory.dat" using 1:2 with linespoints lw 2 title "ventilator", \
     "" using 1:3 with linespoints lw 2 title "worker", \
     "" using 1:4 with linespoints lw 2 title "sink", \
     16 with lines dt 2 lc rgb "gray" title "worker target 16 MiB"
EOF
    fi
    if [ -s "$out/whole.dat" ]; then
        gnuplot <<EOF 2>>"$tmp/gnuplot.err" && made+=(whole.png)
set terminal pngcairo size 800,480 enhanced
set output "$out/whole.png"
set title "Whole run: start -> all exited, echo, 1 worker (median of $runs)"
set xlabel "items"
set ylabel "seconds (log)"
set logscale xy 10
set format x "10^{%L}"
set grid
set key top left
plot "$out/whole.dat" using 1:2 with linespoints lw 2 title "pushpull push", \
     "" using 1:3 with linespoints lw 2 title "pushpull credit", \
     "" using 1:4 with linespoints lw 1 title "xargs -P 2", \
     "" using 1:5 with linespoints lw 1 title "parallel -j 2", \
     "" using 1:6 with linespoints lw 1 title "raw 2-hop relay"
EOF
    fi
    if [ -s "$out/many.dat" ]; then
        gnuplot <<EOF 2>>"$tmp/gnuplot.err" && made+=(many.png)
set terminal pngcairo size 800,480 enhanced
set output "$out/many.png"
set title "Many workers: ventilator CPU per item (bench/vworkers, median of $runs)"
set xlabel "virtual workers"
set ylabel "microseconds of CPU per item"
set logscale x 10
set format x "10^{%L}"
set yrange [0:*]
set grid
set key top left
set datafile missing "-"
plot "$out/many.dat" using 1:2 with linespoints lw 2 title "push", \
     "" using 1:4 with linespoints lw 2 title "credit"
EOF
    fi
    local p
    for p in "${made[@]}"; do emit "![${p%.png}]($p)"; emit ""; done
    [ -s "$tmp/gnuplot.err" ] && log "gnuplot: $(head -3 "$tmp/gnuplot.err")"
}

# --- main --------------------------------------------------------------

for b in pp-ventilator pp-worker pp-sink; do
    [ -x "$build/$b" ] || { log "missing $build/$b: run make all"; exit 1; }
done
for b in raw_push raw_pull raw_relay; do
    [ -x "$raw/$b" ] || { log "missing $raw/$b: run make bench"; exit 1; }
done
sections=("$@")
[ ${#sections[@]} -gt 0 ] || sections=(throughput scaling uneven memory command latency whole many plots)
# Only redrawing the plots leaves latest.md as it is.
if [ "${sections[*]}" = plots ]; then md=/dev/null; else header; fi
for s in "${sections[@]}"; do
    t0=$EPOCHREALTIME
    "section_$s"
    log "$s: $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", b - a }') s"
done
total=$(awk -v a="$bench_t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", b - a }')
emit ""
emit "---"
emit "Sections: ${sections[*]}. \`bench/run.sh\` took $total s; load average"
emit "at the end: $(cut -d' ' -f1-3 /proc/loadavg) (other work on this shared machine"
emit "shows up as noise, mostly in the latency tail and the throughput runs)."
log "done in $total s: $md"
