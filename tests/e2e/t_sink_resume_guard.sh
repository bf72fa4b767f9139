#!/usr/bin/env bash
# --resume and a journal must agree, and a refusal touches nothing:
# - `--resume` without FILE.journal (a file never journaled, or one whose
#   run completed and removed it) is exit 2, FILE byte for byte as it was;
#   the bug emptied it (200000 results erased after a completed run).
# - `--output FILE` without --resume over a FILE whose journal holds an
#   unfinished run is exit 2 and names --resume; the bug emptied FILE.
#   --resume then still finishes that run exactly.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ctl_lib.sh"
use_transport ipc

# no_change NAME FILE COPY: the refused sink NAME left FILE as COPY and
# made no journal beside it.
no_change() {
    assert_same_file "$3" "$2" "$1 left the output as it was"
    [[ -e $2.journal || -e $2.journal.new ]] &&
        fail "$1 made a journal beside $(basename "$2")"
}

# A file that was never an output: --resume refuses.
plain=$TEST_DIR/plain.txt
seq 1 1000 >"$plain"
cp "$plain" "$TEST_DIR/plain.copy"
start_sink resume_plain --output "$plain" --resume
expect_exit "$LAST_PID" 10 2
assert_contains "$(err_of resume_plain)" "--resume: no journal $plain.journal" \
    "the refusal names the journal"
no_change resume_plain "$plain" "$TEST_DIR/plain.copy"

# A run the sink is killed in leaves a live journal.
N=20000
out=$TEST_DIR/results.txt
start_worker w --job echo --threads 2
w=$LAST_PID
start_ventilator vent --generate $N --rate 10000 --ack-timeout 1s
vent=$LAST_PID
start_sink sink1 --output "$out"
sink1=$LAST_PID
wait_for_lines "$out" 2000 20
signal_bin KILL "$sink1"
wait_pid "$sink1" 5 >/dev/null
[[ -s $out.journal ]] || fail "no journal beside the output after a crash"
cp "$out" "$TEST_DIR/out.copy"
cp "$out.journal" "$TEST_DIR/journal.copy"

# Without --resume over it: refused, both files as they were.
start_sink fresh --output "$out"
expect_exit "$LAST_PID" 10 2
assert_contains "$(err_of fresh)" "add --resume to continue it" \
    "the refusal names --resume"
assert_same_file "$TEST_DIR/out.copy" "$out" "the refused sink left the output"
assert_same_file "$TEST_DIR/journal.copy" "$out.journal" \
    "the refused sink left the journal"

# The journal is intact: --resume finishes the run exactly.
start_sink sink2 --output "$out" --resume
sink2=$LAST_PID
expect_exit "$sink2" 30 0
expect_exit "$vent" 10 0
expect_exit "$w" 10 0
assert_exact_set "$out" $N
[[ -e $out.journal ]] && fail "the journal outlived the completed run"

# After the completed run: --resume refuses, the results stay.
cp "$out" "$TEST_DIR/done.copy"
start_sink resume_done --output "$out" --resume
expect_exit "$LAST_PID" 10 2
assert_contains "$(err_of resume_done)" "a completed run removes it" \
    "the refusal says why there is no journal"
no_change resume_done "$out" "$TEST_DIR/done.copy"
true
