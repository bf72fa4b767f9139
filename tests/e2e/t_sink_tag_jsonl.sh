#!/usr/bin/env bash
# pp-sink --tag and --jsonl, issue 14, each also with --ordered (the
# reorder buffer then holds the input with the result): --job square over
# 299 numbers and 4 bad lines (a word, Latin-1, a cut UTF-8 character,
# JSON's quote and backslash).
# --tag: one line per ok result, "input TAB result", exactly right.
# --jsonl: one object per item, every outcome, read by a strict parser
# from bytes that must decode as UTF-8; --ordered keeps record order.
. "$(dirname "$0")/lib.sh"
use_transport ipc

input=$TEST_DIR/input
{
    for i in $(seq 1 303); do
        case $i in
            10) printf 'ten\n' ;;
            100) printf '\xe9\n' ;;
            200) printf 'caf\xc3\n' ;;
            250) printf '%s\n' 'a"b\c' ;;
            *) printf '%d\n' "$i" ;;
        esac
    done
} >"$input"

# run NAME SINK_FLAGS...: one run over $input, sink exits 4 (3 failed).
run() {
    local name=$1
    shift
    use_transport ipc
    start_sink "$name" "$@"
    local s=$LAST_PID
    start_worker "w_$name" --job square --threads 3
    local w=$LAST_PID
    start_ventilator "v_$name" --window 64 "$input"
    local v=$LAST_PID
    expect_exit "$s" 30 4
    expect_exit "$v" 10 4
    expect_exit "$w" 10 4
}

awk '$1 ~ /^[0-9]+$/ {printf "%s\t%d\n", $1, $1 * $1}' "$input" >"$TEST_DIR/tagged"
run tag --tag
sort "$(out_of tag)" >"$TEST_DIR/got_tag"
sort "$TEST_DIR/tagged" >"$TEST_DIR/want_tag"
assert_same_file "$TEST_DIR/want_tag" "$TEST_DIR/got_tag" "--tag lines"

run tag_ordered --tag --ordered
assert_same_file "$TEST_DIR/tagged" "$(out_of tag_ordered)" "--tag --ordered"

check_jsonl() {
    python3 - "$1" "$2" <<'PY'
import json, sys
path, ordered = sys.argv[1], sys.argv[2] == "ordered"
objs = [json.loads(l.decode("utf-8", errors="strict"))
        for l in open(path, "rb").read().split(b"\n") if l]
assert len(objs) == 303, len(objs)
keys = ["seq", "record", "input", "outcome", "result", "reason", "worker"]
for o in objs:
    assert list(o) == keys, list(o)
    assert o["record"] == o["seq"] + 1, o
recs = [o["record"] for o in objs]
assert sorted(recs) == list(range(1, 304)), "every record once"
if ordered:
    assert recs == list(range(1, 304)), "in record order"
bad = {10: "ten", 100: "\\xe9", 200: "caf\\xc3", 250: 'a"b\\c'}
for o in objs:
    r = o["record"]
    if r in bad:
        assert o["outcome"] == "failed" and o["result"] is None, o
        assert o["input"] == bad[r], o
        assert o["reason"] == "not an integer: '%s'" % bad[r], o
    else:
        assert o["outcome"] == "ok" and o["reason"] is None, o
        assert o["input"] == str(r) and o["result"] == str(r * r), o
PY
}
run jsonl --jsonl
check_jsonl "$(out_of jsonl)" any || fail "--jsonl"
run jsonl_ordered --jsonl --ordered -0
check_jsonl "$(out_of jsonl_ordered)" ordered || fail "--jsonl --ordered"

# Clashes are usage errors naming the flags.
use_transport ipc
start_sink clash --tag --jsonl
expect_exit "$LAST_PID" 10 2
assert_contains "$(err_of clash)" "--tag and --jsonl" "clash named"
use_transport ipc
start_sink clash2 --sum --jsonl
expect_exit "$LAST_PID" 10 2
assert_contains "$(err_of clash2)" "--sum and --jsonl" "clash named"
