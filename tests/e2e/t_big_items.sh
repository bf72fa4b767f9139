#!/usr/bin/env bash
# 400 items of 1 MiB (--max-item-size 2M) through one echo worker, in push
# and credit flow, with and without --ordered: every item comes out exactly
# once (the output sorted, or as it is with --ordered, equals the input),
# and the worker's and the sink's peak RSS stay under their bounds while a
# stage is held up:
#   - unordered: the sink is stopped (SIGSTOP) before the run starts, until
#     the worker says the sink takes no results: everything upstream of it
#     fills up (the results that come before the sink knows the run wait
#     in its bounded early buffer or come again after --ack-timeout);
#   - --ordered: a second, slow worker holds early items back while the
#     fast one runs ahead, and the sink says the results waiting for them
#     passed --buffer-bytes (they wait on disk).
# The ventilator's peak RSS is printed, not asserted (its window is bounded
# in items and bytes by the ventilator's own flags).
. "$(dirname "$0")/lib.sh"
use_transport ipc
PP_HARD_TIMEOUT=150

N=400
WORKER_MAX_KIB=$((64 * 1024))
SINK_MAX_KIB=$((64 * 1024))
input=$TEST_DIR/input
python3 - "$input" "$N" <<'EOF' || die "cannot write the input"
import base64, os, sys
with open(sys.argv[1], "wb") as f:
    for i in range(int(sys.argv[2])):
        line = b"%06d" % i + base64.b64encode(os.urandom(786432))
        f.write(line[:1 << 20] + b"\n")
EOF
want_sorted=$(sort "$input" | sha256sum)

# peak_kib NAME: the peak RSS a process logged at exit (-v), in KiB.
peak_kib() {
    grep -oE 'peak (RSS|memory:) [0-9]+ KiB' "$(err_of "$1")" | tail -n 1 |
        grep -oE '[0-9]+'
}

# A sanitizer's shadow memory and quarantine are no measure of ours: its
# builds print the figures without holding them to the bounds.
SANITIZED=0
nm "$BIN_DIR/pp-worker" 2>/dev/null | grep -qE '__(asan|tsan)_init' &&
    SANITIZED=1

# assert_peak NAME MAX_KIB WHAT
assert_peak() {
    local kib
    kib=$(peak_kib "$1")
    log "$3: peak RSS ${kib:-?} KiB (bound $2 KiB)"
    if [[ -z $kib ]]; then
        fail "$3: no peak RSS in $1's log"
    elif ((kib > $2 && !SANITIZED)); then
        fail "$3: peak RSS $kib KiB is over $2 KiB"
    fi
}

# one_run FLOW ORDERED(0|1): a run, held up as above; checks and cleans up.
one_run() {
    local flow=$1 ordered=$2 tag=$1-$2 sink_args=() out w2=
    ((ordered)) && sink_args=(--ordered)
    use_transport ipc
    start_sink "sink-$tag" -v --max-item-size 2M -o "$TEST_DIR/out-$tag" \
        "${sink_args[@]}"
    local sink=$LAST_PID
    wait_for_bind "$PP_RESULTS" 10
    ((ordered)) || kill -STOP -- "-$sink" # timeout and pp-sink
    start_worker "w1-$tag" -v --job echo --threads 2 --flow "$flow" \
        --max-item-size 2M
    local w1=$LAST_PID workers=1
    if ((ordered)); then
        # Slow: the items it holds keep the sink's base back.
        start_worker "w2-$tag" -v --threads 1 --flow "$flow" \
            --max-item-size 2M -- sh -c 'sleep 0.2; cat'
        w2=$LAST_PID
        workers=2
    fi
    start_ventilator "vent-$tag" -v --flow "$flow" --max-item-size 2M \
        --ack-timeout 5s --wait-workers "$workers" "$input"
    local vent=$LAST_PID
    if ((ordered)); then
        wait_for_line "$(err_of "sink-$tag")" 'passed --buffer-bytes' 60
    else
        wait_for_line "$(err_of "w1-$tag")" 'the sink takes no results' 60
        kill -CONT -- "-$sink"
    fi
    expect_exit "$sink" 60 0
    expect_exit "$vent" 20 0
    expect_exit "$w1" 20 0
    [[ -n $w2 ]] && expect_exit "$w2" 20 0
    out=$TEST_DIR/out-$tag
    if ((ordered)); then
        assert_same_file "$input" "$out" "$tag: output in input order"
    else
        assert_eq "$want_sorted" "$(sort "$out" | sha256sum)" \
            "$tag: sorted output equals sorted input"
    fi
    rm -f "$out"
    assert_peak "w1-$tag" "$WORKER_MAX_KIB" "$tag worker"
    [[ -n $w2 ]] && assert_peak "w2-$tag" "$WORKER_MAX_KIB" "$tag worker 2"
    assert_peak "sink-$tag" "$SINK_MAX_KIB" "$tag sink"
    log "$tag ventilator: peak RSS $(peak_kib "vent-$tag") KiB (not asserted)"
}

one_run push 0
one_run push 1
one_run credit 0
one_run credit 1
