#!/usr/bin/env bash
# docs/tutorial.md runs as written: its ```sh blocks, in order, in one
# shell from the repository root, each under a bound; then spot checks of
# what a reader is told they will see.
. "$(dirname "$0")/lib.sh"

script=$TEST_DIR/tutorial.sh
awk '/^```sh$/ { inblock = 1; next } /^```$/ { inblock = 0; next }
     inblock { print }' "$ROOT/docs/tutorial.md" >"$script"
[[ -s $script ]] || die "no sh blocks found in docs/tutorial.md"
out=$TEST_DIR/tutorial.out
(cd "$ROOT" && PATH="$BIN_DIR:$PATH" timeout -k 5 150 bash "$script") \
    >"$out" 2>&1
rc=$?
assert_eq 0 "$rc" "exit status of the tutorial's commands"
if grep -qE 'command not found|No such file|Usage:|usage error' "$out"; then
    fail "the tutorial printed an error: $(grep -m1 -E 'command not found|No such file|Usage:' "$out")"
fi
for n in 1 2 4 8; do
    assert_contains "$out" "$n worker(s): \"elapsed_s\":" "fan-out line $n"
done
assert_contains "$out" "push items per worker:" "push vs credit"
assert_contains "$out" "credit items per worker:" "push vs credit"
assert_contains "$out" "ventilator exit 3" "abort: ventilator"
assert_contains "$out" "worker exit 3" "abort: worker"
assert_contains "$out" "sink exit 3" "abort: sink"
assert_contains "$out" "stopped after record" "drain: where it stopped"
read -r results distinct < <(sed -n \
    's/^results: \([0-9]*\), distinct: \([0-9]*\)$/\1 \2/p' "$out")
assert_eq "$results" "${distinct:-x}" "drain: results all distinct"
((${results:-0} > 0)) || fail "drain: no results"
assert_contains "$out" "1000000000202" "line parsing: the sum"
assert_contains "$out" "sink exit 4" "line parsing: exit 4"
assert_contains "$out" "not an integer: 'not-a-number'" "failure listed"
# Section 5: the sum of 300 sleeps is printed, whatever was killed.
sum5=$(grep -E '^[0-9]+$' "$out" | sed -n 1p)
((${sum5:-0} > 300)) || fail "kill a worker: no sum printed"
# Every experiment's picture was drawn (pp-plot says so for each).
pictures=$(grep -c '^pp-plot: wrote .*\.png' "$out")
assert_eq 10 "$pictures" "pictures drawn by pp-plot"
complaints=$(grep '^pp-plot: ' "$out" | grep -v '^pp-plot: wrote' || true)
[[ -z $complaints ]] || fail "pp-plot complained: $(head -3 <<<"$complaints")"
leftover=$(pgrep -f "pushpull-tutorial" || true)
[[ -z $leftover ]] || fail "tutorial left processes: $leftover"
[[ -n $(ls -d /tmp/pushpull-tutorial.* 2>/dev/null) ]] &&
    log "note: older tutorial dirs exist in /tmp"
true
