#!/usr/bin/env bash
# docs/tutorial.md runs as written: its ```sh blocks, in order, in one
# shell from the repository root, each under a bound; then spot checks of
# what a reader is told they will see.
. "$(dirname "$0")/lib.sh"

script=$TEST_DIR/tutorial.sh
awk '/^```sh$/ { inblock = 1; next } /^```$/ { inblock = 0; next }
     inblock { print }' "$ROOT/docs/tutorial.md" >"$script"
[[ -s $script ]] || die "no sh blocks found in docs/tutorial.md"
echo 'echo "@@tutorial dir: $tut"' >>"$script"   # for the leftover check
out=$TEST_DIR/tutorial.out
# Section 10 runs make install: with the build/ the tutorial uses, not
# the BUILD this test was started with. About 60 s of commands; bounded
# below run.sh's 150 s per test, so that this bound is the one that fires.
(cd "$ROOT" && env -u BUILD -u MAKEFLAGS -u MFLAGS -u MAKELEVEL PATH="$BIN_DIR:$PATH" timeout -k 5 140 \
    bash "$script") >"$out" 2>&1
rc=$?
assert_eq 0 "$rc" "exit status of the tutorial's commands"
if grep -qE 'command not found|No such file|Usage:|usage error' "$out"; then
    fail "the tutorial printed an error: $(grep -m1 -E 'command not found|No such file|Usage:' "$out")"
fi
# Section 1: about 10 s of sleeps; eight workers take a fraction of it.
for n in 1 2 4 8; do
    assert_contains "$out" "$n worker(s): \"elapsed_s\":" "fan-out line $n"
done
e1=$(sed -nE 's/^1 worker\(s\): "elapsed_s": ([0-9.]+)$/\1/p' "$out")
e8=$(sed -nE 's/^8 worker\(s\): "elapsed_s": ([0-9.]+)$/\1/p' "$out")
awk -v a="${e1:-0}" -v b="${e8:-0}" 'BEGIN { exit !(a >= 9 && b > 0 && a / b >= 5) }' ||
    fail "fan-out: 1 worker ${e1:-?} s, 8 workers ${e8:-?} s (speed-up under 5)"
# Sections 2, 3: items per worker (sorted) and elapsed, run by run.
# items_of RUN: "ITEMS ELAPSED" of the line RUN printed ("" for the two
# of section 2, in order: late then wait).
items_of() {
    sed -nE "s/^$1items per worker: \[([0-9, ]*)\] elapsed ([0-9.]+)$/\1 \2/p" "$out" |
        python3 -c 'import sys
for l in sys.stdin:
    *n, e = l.replace(",", " ").split(); print(" ".join(sorted(n, key=int)), e)'
}
{ read -r late_a late_b late_e; read -r wait_a wait_b wait_e; } < <(items_of "")
assert_eq "0 200" "${late_a:-x} ${late_b:-x}" "slow joiner: the first worker took all"
read -r push_a push_b push_e < <(items_of "push ")
read -r credit_a credit_b credit_e < <(items_of "credit ")
assert_eq 200 "$((${wait_a:-0} + ${wait_b:-0}))" "--wait-workers 2: items"
assert_eq 200 "$((${push_a:-0} + ${push_b:-0}))" "push flow: items"
assert_eq "100 100" "$wait_a $wait_b" "--wait-workers 2: each worker's items"
assert_eq "100 100" "$push_a $push_b" "push flow: each worker's items"
awk -v l="${late_e:-0}" -v w="${wait_e:-0}" 'BEGIN { exit !(w > 0 && l > 1.5 * w) }' ||
    fail "slow joiner: ${late_e:-?} s, with --wait-workers ${wait_e:-?} s"
awk -v p="${push_e:-0}" -v c="${credit_e:-0}" 'BEGIN { exit !(c > 0 && p > 1.5 * c) }' ||
    fail "uneven workers: push ${push_e:-?} s, credit ${credit_e:-?} s"
((${credit_b:-0} > 100 && ${credit_a:-0} + ${credit_b:-0} == 200)) ||
    fail "credit flow: ${credit_a:-?} and ${credit_b:-?} items (the fast one takes more)"
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
redelivered=$(sed -nE 's/^"redelivered": ([0-9]+)$/\1/p' "$out")
((${redelivered:-0} > 0)) || fail "kill a worker: nothing redelivered"

# line_field REGEX: the first line of the output matching the extended
# REGEX with one group, that group.
line_field() { sed -nE "s/$1/\\1/p" "$out" | sed -n 1p; }

# Section 7: the huge buffers take more memory in both processes (each
# holds most of the 12 MiB input) and make p99 latency longer.
read -r v_small w_small p_small < <(sed -nE \
    's/^buffers of +64: ventilator +([0-9]+) KiB, worker +([0-9]+) KiB, p99 +([0-9]+) ms.*/\1 \2 \3/p' "$out")
read -r v_huge w_huge p_huge < <(sed -nE \
    's/^buffers of 1000000: ventilator +([0-9]+) KiB, worker +([0-9]+) KiB, p99 +([0-9]+) ms.*/\1 \2 \3/p' "$out")
[[ -n $v_small && -n $v_huge ]] || fail "bounded: the side-by-side lines are missing"
((v_huge > v_small + 4096)) ||
    fail "bounded: ventilator peak $v_huge KiB (huge) vs $v_small KiB (64)"
((w_huge > w_small + 4096)) ||
    fail "bounded: worker peak $w_huge KiB (huge) vs $w_small KiB (64)"
((p_huge > p_small)) || fail "bounded: p99 $p_huge ms (huge) vs $p_small ms (64)"
# --overflow: every record accounted for, each policy as promised.
for policy in block drop spill; do
    read -r ok failed dropped total code < <(sed -nE \
        "s/^$policy +ok +([0-9]+) \\+ failed ([0-9]+) \\+ dropped +([0-9]+) = total ([0-9]+) \\(sink exit ([0-9]+)\\)$/\\1 \\2 \\3 \\4 \\5/p" "$out")
    assert_eq 2000 "${total:-x}" "$policy: total"
    assert_eq "$total" "$((ok + failed + dropped))" "$policy: ok + failed + dropped"
    if [[ $policy == drop ]]; then
        ((dropped > 0)) || fail "drop: nothing was dropped"
        ((ok >= 64 + 1024)) || fail "drop: only $ok got through (window + read-ahead: 1088)"
        assert_eq 4 "$code" "drop: the sink's exit status"
    else
        assert_eq "2000 0" "$ok $dropped" "$policy: all ok, none dropped"
        assert_eq 0 "$code" "$policy: the sink's exit status"
    fi
done
# One pause line per policy, in order: only block pauses the input.
read -r -a paused < <(sed -nE 's/^input paused ([0-9.]+) s for a full window$/\1/p' "$out" | tr '\n' ' ')
((${#paused[@]} == 3)) || fail "overflow: ${#paused[@]} pause lines, not 3"
[[ ${paused[0]:-0.0} != 0.0 ]] || fail "block: the input was never paused"
assert_eq "0.0 0.0" "${paused[1]:-x} ${paused[2]:-x}" "drop, spill: the input never paused"
spilled=$(line_field '^spill file: up to ([0-9]+) bytes while the run lasted$')
((${spilled:-0} > 0)) || fail "spill: no spill file seen during the run"
assert_matches "$out" '^the ventilator held: .*/spill/pushpull-spill\..* \(deleted\)$' \
    "spill: the file, unlinked while in use"
assert_contains "$out" "left in --spill-dir after the runs: 0 files" \
    "spill: nothing left after"

# Section 8: the abort reached the blocked producer within a second.
for who in ventilator worker sink; do
    assert_contains "$out" "blocked producer: $who exit 3" "abort: $who"
done
read -r code ms < <(sed -nE \
    's/^blocked producer: yes exit ([0-9]+), (-?[0-9]+) ms after the abort$/\1 \2/p' "$out")
assert_eq 141 "${code:-x}" "abort: yes ended by SIGPIPE"
((${ms:-9999} < 1000)) || fail "abort: the blocked producer ended ${ms:-never} ms after"
ms=$(line_field '^everyone gone ([0-9]+) ms after the abort$')
((${ms:-9999} < 1000)) || fail "abort: everyone gone only ${ms:-never} ms after"
# The drain finished the buffer: exactly the records read, all ok.
assert_contains "$out" "drain: sink exit 0" "drain: exit status"
stopped=$(line_field '^drain: stopped after record ([0-9]+)$')
assert_contains "$out" "drained: total ${stopped:-x}, ok ${stopped:-x}, failed 0" \
    "drain: every record read got an outcome"
assert_contains "$out" "drain-timeout: ventilator exit 3" "drain-timeout"
assert_contains "$out" "drain-timeout: sink exit 3" "drain-timeout"
ms=$(line_field '^drain-timeout: everyone gone ([0-9]+) ms after the drain was asked$')
((${ms:-0} >= 300 && ${ms:-9999} < 2000)) ||
    fail "drain-timeout: everyone gone ${ms:-never} ms after the drain (300ms + the abort)"

# Section 9: the giant buffer grows memory and latency, not throughput.
read -r r_small p_small m_small < <(sed -nE \
    's/^giant buffer +64: +([0-9]+) items\/s, p99 +([0-9]+) ms, peak memory +([0-9]+) KiB$/\1 \2 \3/p' "$out")
read -r r_big p_big m_big < <(sed -nE \
    's/^giant buffer +8192: +([0-9]+) items\/s, p99 +([0-9]+) ms, peak memory +([0-9]+) KiB$/\1 \2 \3/p' "$out")
[[ -n $r_small && -n $r_big ]] || fail "giant buffer: the lines are missing"
((m_big > m_small + 8192)) || fail "giant buffer: memory $m_big vs $m_small KiB"
((p_big > p_small)) || fail "giant buffer: p99 $p_big vs $p_small ms"
((r_big < 2 * r_small && r_small < 2 * r_big)) ||
    fail "giant buffer: throughput $r_big vs $r_small items/s (should not move)"
assert_matches "$out" '^gnuplot: wrote .*/giant-buffer\.png$' "the buffer plot"
# The retry storm: --retries 100 is refused under the default
# --max-deliver 5; without a limit, 20 poison records sent again 100 times
# each; with the default limit and --retries 4, 5 deliveries (4 resends).
assert_contains "$out" "pp-ventilator: --retries 100: an item is delivered at most --max-deliver 5 times, so it can be retried 4 times at most" \
    "storm: refused under the default delivery limit"
assert_contains "$out" "max-deliver 0: ventilator exit 4, 2000 sent again" \
    "storm without a delivery limit"
assert_contains "$out" "max-deliver 5: ventilator exit 4, 80 sent again" \
    "the default delivery limit"
for limit in 0 5; do
    assert_matches "$out" "^max-deliver $limit: ok 100, failed 20, first reason: not a sleep time in ms: 'poison-[0-9]+'\$" \
        "storm: the outcome and its reason do not change"
done
# A command that ignores SIGTERM: the abort still ends it within a second.
ms=$(line_field '^ignores SIGTERM: worker exit 3, ([0-9]+) ms after the abort$')
((${ms:-9999} < 1000)) || fail "ignores SIGTERM: the worker took ${ms:-forever} ms"
assert_contains "$out" "commands still running: 0" "no child outlives the abort"
short=$(line_field '^--kill-grace 100ms: the item failed \(timed out after 300ms\) ([0-9.]+) s .*')
long=$(line_field '^--kill-grace 1s {3}: the item failed \(timed out after 300ms\) ([0-9.]+) s .*')
[[ -n $short && -n $long ]] || fail "--kill-grace: the lines are missing"
awk -v s="$short" -v l="$long" 'BEGIN { exit !(s < 1.0 && l >= 1.2) }' ||
    fail "--kill-grace: the item took $short s (100ms) and $long s (1s)"

# Section 10: the channel demo, built against the installed library.
for line in "full: 2 of 2 buffered, the producer waits for room" \
    "received: 1 2 3 4 5 6" \
    "close: every buffered item received (6 in all), then 'closed'" \
    "abort: the blocked producer woke with 'aborted' (2 sent); the channel freed 2 buffered items; a receive now says 'aborted'" \
    "destroy: memory freed, pointer nulled"; do
    assert_contains "$out" "$line" "chan_demo"
done

# Section 11: the chained pipelines compute what awk does.
piped=$(line_field '^pipeline: sum of squared sizes ([0-9]+)$')
awked=$(line_field '^awk: +sum of squared sizes ([0-9]+)$')
[[ -n $piped ]] || fail "multi-stage: no sum"
assert_eq "$awked" "$piped" "multi-stage: the sum of squares"
assert_contains "$out" "stage 2: sink exit 4" "multi-stage: exit 4"
nosize=$(line_field '^lines without a size: ([0-9]+)$')
assert_contains "$out" "stage 2: total 2000, ok $((2000 - ${nosize:-0})), failed ${nosize:-x}" \
    "multi-stage: each line without a size failed"

# Every experiment's picture was drawn (pp-plot says so for each).
pictures=$(grep -c '^pp-plot: wrote .*\.png' "$out")
assert_eq 11 "$pictures" "pictures drawn by pp-plot"
complaints=$(grep '^pp-plot: ' "$out" | grep -v '^pp-plot: wrote' || true)
[[ -z $complaints ]] || fail "pp-plot complained: $(head -3 <<<"$complaints")"
# The cheat sheet names only flags that a binary's --help knows.
helps=$TEST_DIR/helps.txt
for b in pp-ventilator pp-worker pp-sink; do "$BIN_DIR/$b" --help; done \
    >"$helps" 2>&1
for flag in $(grep -oE -- '--[a-z][a-z-]*' "$ROOT/docs/cheatsheet.md" | sort -u); do
    grep -qE -- "$flag([ ,=]|$)" "$helps" || fail "cheatsheet: $flag is in no --help"
done
# Every process the tutorial started inherited its PP_TASKS, which names
# its own directory: those still alive were left behind (another run of
# the tutorial, at the same time, is not this one's).
tut=$(sed -n 's/^@@tutorial dir: //p' "$out")
[[ $tut == /tmp/pushpull-tutorial.* ]] || fail "the tutorial's directory is unknown"
leftover=$(grep -lsxzF "PP_TASKS=ipc://$tut/tasks" /proc/[0-9]*/environ |
    cut -d/ -f3 | tr '\n' ' ')
[[ -z $leftover ]] || fail "tutorial left processes: $leftover"
[[ -n $(ls -d /tmp/pushpull-tutorial.* 2>/dev/null) ]] &&
    log "note: older tutorial dirs exist in /tmp"
true
