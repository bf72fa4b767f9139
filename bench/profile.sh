#!/usr/bin/env bash
# bench/profile.sh -- profiles the 8-byte echo pipeline (1 worker,
# --threads 1) once per flow and writes bench/results/profile.md.
#
# `perf stat -e instructions true` is checked first: when hardware
# counters work, perf record would be the tool; on this VM they do not,
# so every process runs under valgrind --tool=callgrind (instructions
# executed, exact call counts). A second, unprofiled run under
# `strace -c -f` counts system calls per process. Both use a smaller
# run (PROF_N items, default 50000) since callgrind is ~50x slower.
#
# Not part of `make bench` (it takes a few minutes); run it by hand:
#   bash bench/profile.sh            (BUILD, PROF_N, BENCH_OUT as run.sh)
# Raw callgrind/strace/time files go to $TMPDIR (PROF_KEEP=DIR keeps them
# in DIR); the interpretation comes from bench/profile-notes.md.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
build=${BUILD:-$root/build}
case $build in /*) ;; *) build=$root/$build ;; esac
out=${BENCH_OUT:-$here/results}
n=${PROF_N:-50000}
md=$out/profile.md
tmp=$(mktemp -d /tmp/pushpull-prof.XXXXXX)
raw=${PROF_KEEP:-$tmp/raw}
mkdir -p "$raw" "$out"
pids=()
kill_tree() {
    local pid=$1 child
    for child in $(ps -o pid= --ppid "$pid" 2>/dev/null); do kill_tree "$child"; done
    kill -KILL "$pid" 2>/dev/null
}
cleanup() {
    trap - EXIT INT TERM
    local pid
    for pid in "${pids[@]}"; do kill_tree "$pid"; done
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
log() { printf 'profile: %s\n' "$*" >&2; }

yes xxxxxxxx | head -n "$n" >"$tmp/items"
# The /usr/bin/time run is unprofiled and its clock ticks are 10 ms: it
# gets 10x the items.
n_time=$((n * 10))
yes xxxxxxxx | head -n "$n_time" >"$tmp/items.time"

if perf stat -e instructions true 2>&1 | grep -q '<not supported>\|not supported\|Permission'; then
    log "perf: hardware counters not supported here; using valgrind callgrind"
else
    log "perf works here, but callgrind's exact call counts are what this"
    log "report needs; using valgrind callgrind anyway"
fi

# run FLOW MODE: MODE callgrind or strace. One pipeline over ipc, each
# process under the tool; output files in $raw/FLOW.PROC.MODE.
run() {
    local flow=$1 mode=$2 d=$tmp/$1.$2
    mkdir -p "$d"
    local -a eps=(--tasks "ipc://$d/t" --results "ipc://$d/r"
                  --control "ipc://$d/c" --acks "ipc://$d/a")
    wrap() {   # wrap PROC: the tool's command line for process PROC
        case $mode in
            callgrind) echo valgrind --tool=callgrind -q \
                --callgrind-out-file="$raw/$flow.$1.callgrind" ;;
            strace) echo strace -f -c -o "$raw/$flow.$1.strace" ;;
            time) echo /usr/bin/time -v -o "$raw/$flow.$1.time" ;;
        esac
    }
    # timeout goes inside strace and time (they would not pass its signal
    # on), outside valgrind (which becomes the program).
    pre() {
        if [ "$mode" = callgrind ]; then
            echo "timeout -k 5 300 $(wrap "$1")"
        else
            echo "$(wrap "$1") timeout -k 5 60"
        fi
    }
    local items=$tmp/items
    [ "$mode" = time ] && items=$tmp/items.time
    # Generous timeouts: under callgrind a 10 s ack timeout or 3 missed
    # 1 s heartbeats would send items again and distort the profile.
    # shellcheck disable=SC2046
    $(pre sink) "$build/pp-sink" --flow "$flow" "${eps[@]}" \
        --no-progress -o /dev/null --stats-json "$d/stats.json" 2>"$d/sink.err" &
    local sink=$!
    pids+=("$sink")
    # shellcheck disable=SC2046
    $(pre ventilator) "$build/pp-ventilator" --flow "$flow" \
        "${eps[@]}" -q --wait-workers 1 --linger 300ms --ack-timeout 120s \
        --heartbeat 5s --liveness 10 "$items" 2>"$d/vent.err" &
    local vent=$!
    pids+=("$vent")
    sleep 1
    # shellcheck disable=SC2046
    $(pre worker) "$build/pp-worker" --flow "$flow" \
        "${eps[@]}" -q --job echo --threads 1 2>"$d/worker.err" &
    local worker=$!
    pids+=("$worker")
    wait "$sink"
    local rc=$?
    wait "$vent" "$worker"
    pids=()
    [ -f "$d/stats.json" ] && cp "$d/stats.json" "$raw/$flow.$mode.stats.json"
    echo "$rc" >"$raw/$flow.$mode.rc"
    log "$flow/$mode: sink exit $rc, $(jq -c '{total, redelivered, duplicates}' \
        "$d/stats.json" 2>/dev/null)"
}

# Every function of a callgrind file with its self cost, one a line:
# "IR<TAB>function<TAB>object" (object: the file's basename).
self_costs() {
    callgrind_annotate --threshold=100 "$1" 2>/dev/null | awk '
        /file:function/ && !done { on = 1; getline; next }
        on && /^ *$/ { on = 0; done = 1; next }
        on && /^ *[0-9,]+ +\(/ {
            ir = $1; gsub(",", "", ir)
            line = $0; sub(/^ *[0-9,]+ +\([^)]*\) +/, "", line)
            obj = "?"
            if (match(line, / \[[^]]*\]$/)) {
                obj = substr(line, RSTART + 2, RLENGTH - 3)
                line = substr(line, 1, RSTART - 1)
                sub(/.*\//, "", obj)
            }
            fn = line; sub(/^[^:]*:/, "", fn)
            if (fn ~ /^0x/) fn = "(" obj " " fn ")"
            printf "%s\t%s\t%s\n", ir, fn, obj
        }'
}

# Top 10 by self cost, as markdown rows.
top10() {
    self_costs "$1" | sort -t$'\t' -k1,1nr | head -10 | awk -F'\t' -v n="$n" -v t="$2" '
        { printf "| %d | %.1f | %.1f | `%s` | %s |\n", NR, 100 * $1 / t, $1 / n, $2, $3 }'
}

# Self cost by object (binary, libzmq, libczmq, libc, ld.so), one line.
by_object() {
    self_costs "$1" | awk -F'\t' -v t="$2" '
        { o = $3; sub(/\.so.*/, "", o); c[o] += $1 }
        END { for (o in c) printf "%.1f\t%s\n", 100 * c[o] / t, o }' \
        | sort -k1,1nr | awk -F'\t' '$1 >= 1 { printf "%s%s %s%%", (NR > 1 ? ", " : ""), $2, $1 }'
}

# calls_per_item FILE REGEX: calls of the functions whose name matches,
# per item (callgrind_annotate --tree=caller: each function's block lists
# its callers with "(Nx)" before the function's own "*" line).
calls_per_item() {
    callgrind_annotate --tree=caller --threshold=100 "$1" 2>/dev/null \
        | awk -v re="$2" -v n="$n" '
            /^$/ { acc = 0; next }
            / < / && match($0, /\([0-9,]+x\)/) {
                c = substr($0, RSTART + 1, RLENGTH - 3); gsub(",", "", c)
                acc += c; next }
            / \*  / {
                fn = $0; sub(/^.* \*  /, "", fn); sub(/ \[[^]]*\]$/, "", fn)
                sub(/^[^:]*:/, "", fn); sub(/@.*/, "", fn)
                if (fn ~ re) t += acc
                acc = 0 }
            END { printf "%.2f", t / n }'
}

# syscalls_per_item FILE (strace -c): "total/item (the top four)".
syscalls_per_item() {
    awk '$1 ~ /^[0-9.]+$/ && (NF == 5 || NF == 6) && $NF != "total" { print $4, $NF }' "$1" \
        | sort -k1,1nr | awk -v n="$n" '
            { t += $1; if (NR <= 4) top = top sprintf("%s%s %.2f", (NR > 1 ? ", " : ""), $2, $1 / n) }
            END { printf "%.2f per item (%s)", t / n, top }'
}

# time_per_item FILE (/usr/bin/time -v): CPU and context switches per
# item (of the n_time items of that run).
time_per_item() {
    awk -F': ' -v n="$n_time" '
        /User time/ { u = $2 } /System time/ { s = $2 }
        /Voluntary context switches/ { v = $2 }
        /Involuntary context switches/ { iv = $2 }
        END { printf "%.2f µs CPU per item (user %.2f, sys %.2f), %.3f voluntary + %.3f involuntary context switches per item", \
                  (u + s) * 1e6 / n, u * 1e6 / n, s * 1e6 / n, v / n, iv / n }' "$1"
}

for flow in push credit; do
    run "$flow" callgrind
    run "$flow" strace
    run "$flow" time
done

{
    echo "# pushpull hot-path profile"
    echo
    echo "Generated by \`bench/profile.sh\` on $(date -u '+%Y-%m-%d %H:%M UTC'),"
    echo "$(nproc) cores, $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo),"
    echo "pushpull $(git -C "$root" describe --always --dirty 2>/dev/null || echo ?)."
    echo
    echo "Workload: the 8-byte echo pipeline of bench section 1 — a file of $n"
    echo "lines \`xxxxxxxx\`, ventilator defaults (\`--batch 64\`, \`--hwm 100\`),"
    echo "one \`pp-worker --job echo --threads 1\`, \`pp-sink -o /dev/null\`, over"
    echo "ipc, once with \`--flow push\` and once with \`--flow credit\`."
    echo "\`perf stat -e instructions\` reports *not supported* on this VM, so every"
    echo "process ran under \`valgrind --tool=callgrind\` (cost = instructions"
    echo "executed, Ir; all threads of a process together). Syscalls come from a"
    echo "second run under \`strace -f -c\`, CPU time and context switches from a"
    echo "third, unprofiled one of $n_time items under \`/usr/bin/time -v\`. **Ir/item** = the function's self"
    echo "cost divided by $n items; libzmq has no symbols here (its internals"
    echo "show as addresses). Per-item figures include start-up and shutdown."
    for flow in push credit; do
        echo
        echo "## --flow $flow"
        echo
        printf "Sink stats of the three runs:"
        for mode in callgrind strace time; do
            if [ "$(cat "$raw/$flow.$mode.rc" 2>/dev/null)" = 0 ]; then
                printf " %s %s;" "$mode" "$(jq -c '{total, redelivered, duplicates}' \
                    "$raw/$flow.$mode.stats.json" 2>/dev/null)"
            else
                printf " %s **did not complete** (sink exit %s: the run stalled until the timeout);" \
                    "$mode" "$(cat "$raw/$flow.$mode.rc" 2>/dev/null || echo '?')"
            fi
        done
        echo " (redelivered or duplicates above 0 would mean items sent twice in a healthy run: look for why.)"
        for proc in ventilator worker sink; do
            local_f=$raw/$flow.$proc.callgrind
            [ -s "$local_f" ] || continue
            total=$(callgrind_annotate "$local_f" 2>/dev/null \
                | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1; exit }')
            echo
            echo "### $proc — $(awk -v t="$total" -v n="$n" 'BEGIN { printf "%.0f", t / n }') Ir per item in all"
            echo
            echo "By object: $(by_object "$local_f" "$total")."
            echo
            echo "| # | self % | Ir/item | function | object |"
            echo "| ---: | ---: | ---: | --- | --- |"
            top10 "$local_f" "$total"
            echo
            printf -- "- calls per item: malloc/calloc/realloc %s, free %s, " \
                "$(calls_per_item "$local_f" '^(malloc|calloc|realloc)$')" \
                "$(calls_per_item "$local_f" '^free$')"
            printf "pthread_mutex_lock %s, pthread_cond_signal/broadcast %s, " \
                "$(calls_per_item "$local_f" '^pthread_mutex_lock$')" \
                "$(calls_per_item "$local_f" '^pthread_cond_(signal|broadcast)$')"
            printf "czmq zmsg_*/zframe_*/zsock_* %s, zmq_poll %s, zmq_msg_send/zmq_send %s\n" \
                "$(calls_per_item "$local_f" '^(zmsg_|zframe_|zsock_)')" \
                "$(calls_per_item "$local_f" '^zmq_poll$')" \
                "$(calls_per_item "$local_f" '^(zmq_msg_send|zmq_send|zmq_sendmsg)$')"
            [ -s "$raw/$flow.$proc.strace" ] \
                && echo "- syscalls (strace -f -c, separate run): $(syscalls_per_item "$raw/$flow.$proc.strace")"
            [ "$(cat "$raw/$flow.time.rc" 2>/dev/null)" = 0 ] \
                && echo "- unprofiled run of $n_time items (/usr/bin/time -v): $(time_per_item "$raw/$flow.$proc.time")"
        done
    done
    echo
    echo "## Interpretation"
    echo
    if [ -s "$here/profile-notes.md" ]; then
        cat "$here/profile-notes.md"
    else
        echo "(bench/profile-notes.md is missing: no interpretation.)"
    fi
} >"$md.tmp"
mv "$md.tmp" "$md"
log "wrote $md"
