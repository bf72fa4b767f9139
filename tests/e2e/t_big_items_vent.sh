#!/usr/bin/env bash
# Big items, the ventilator's side (issue 21): 400 records of 1 MiB
# (--max-item-size 2M) go through exactly -- every record once, in input
# order with --ordered -- while the ventilator's peak RSS (its "peak RSS"
# exit line, VmHWM) stays under its bound: --window-bytes plus the inbox
# (an eighth of it) plus a few items and the process itself, not the
# 400 MiB the input is. Before the byte bound the window and the inbox
# held the whole input.
#   push flow, --ordered sink, default --window-bytes (32M): under 96 MiB
#   credit flow, arrival order, --window-bytes 8M:           under 48 MiB
# Under a sanitizer (BUILD=build/asan, build/tsan) freed memory is held
# in quarantine and shadow memory counts: the RSS bounds are not checked
# there, the exact results are.
. "$(dirname "$0")/lib.sh"
use_transport tcp

N=400
SIZE=$((1024 * 1024 - 1)) # bytes of each record, its newline aside
input=$TEST_DIR/big.txt
python3 - "$input" "$N" "$SIZE" <<'PY'
import sys
path, n, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
body = (b"0123456789abcdefghijklmnopqrstuvwxyz" * (size // 36 + 1))[:size]
with open(path, "wb") as f:
    for i in range(n):
        head = b"%06d:" % i
        f.write(head + body[len(head):] + b"\n")
PY

sanitized=false
[[ $BUILD == *asan* || $BUILD == *tsan* ]] && sanitized=true

# same_file EXPECTED ACTUAL WHAT: byte-identical (no diff of 1 MiB lines).
same_file() {
    cmp -s "$1" "$2" ||
        fail "$3: $(basename "$2") differs from $(basename "$1")" \
            "($(wc -c <"$1") vs $(wc -c <"$2") bytes, $(wc -l <"$2") lines)"
}

# run_case NAME FLOW BOUND_MIB SINK_FLAGS -- VENT_FLAGS...
run_case() {
    local name=$1 flow=$2 bound=$3 sink_flags=$4
    shift 5
    local stats=$TEST_DIR/$name.stats.json
    start_sink "$name.sink" --max-item-size 2M $sink_flags \
        -o "$TEST_DIR/$name.result" --stats-json "$stats"
    local sink=$LAST_PID
    start_worker "$name.w" --job echo --threads 1 --flow "$flow" \
        --max-item-size 2M
    local w=$LAST_PID
    start_ventilator "$name.vent" -v --flow "$flow" --max-item-size 2M \
        --wait-workers 1 "$@" "$input"
    local vent=$LAST_PID
    expect_exit "$sink" 50 0
    expect_exit "$vent" 20 0
    expect_exit "$w" 20 0
    assert_counts "$stats" "$N" "$N" 0 0
    local peak
    peak=$(sed -n 's/.*peak RSS \([0-9]*\) KiB.*/\1/p' \
        "$(err_of "$name.vent")" | tail -1)
    [[ -n $peak ]] || fail "$name: no peak RSS line in the ventilator's log"
    log "$name: ventilator peak RSS ${peak:-?} KiB (bound $bound MiB)"
    if ! $sanitized && [[ -n $peak ]]; then
        ((peak <= bound * 1024)) ||
            fail "$name: ventilator peak RSS $peak KiB is over $bound MiB"
    fi
}

run_case push push 96 "--ordered" --
same_file "$input" "$TEST_DIR/push.result" \
    "push, --ordered: the output is the input, record for record"

run_case credit credit 48 "" -- --window-bytes 8M
sort "$TEST_DIR/credit.result" >"$TEST_DIR/credit.sorted"
same_file "$input" "$TEST_DIR/credit.sorted" \
    "credit: every record once (sorted output is the input)"
