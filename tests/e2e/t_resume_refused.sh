#!/usr/bin/env bash
# issue 13: --resume refuses, exit 2 and naming what differs, rather than
# number anything wrongly: a changed input file (a record changed; the file
# cut short), another numbering option (--skip), a sink's journal given as
# the ventilator's, --journal of an existing file without --resume, and
# --resume without a journal. Then the same command line finishes the run
# exactly once.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ctl_lib.sh"
. "$(dirname "$0")/resume_lib.sh"
use_transport ipc

n=12000
in=$TEST_DIR/in.txt
out=$TEST_DIR/out.txt
journal=$TEST_DIR/vent.journal
seq 1 "$n" >"$in"
cp "$in" "$TEST_DIR/orig.txt"
args=("$in" --rate 4000 --journal "$journal")
start_sink sink --output "$out"
sink=$LAST_PID
start_worker w1 --job echo --threads 2
w1=$LAST_PID
start_ventilator v1 "${args[@]}"
wait_for_lines "$out" 5000 30
kill9 "$LAST_PID"

sed -i 's/^7$/seven/' "$in"
start_ventilator changed "${args[@]}" --resume
expect_exit "$LAST_PID" 10 2
assert_differs_at "$(err_of changed)" 7

head -n 10 "$TEST_DIR/orig.txt" >"$in"
start_ventilator short "${args[@]}" --resume
expect_exit "$LAST_PID" 10 2
assert_contains "$(err_of short)" "the input changed: it has 10 records" \
    "a shorter file"

cp "$TEST_DIR/orig.txt" "$in"
start_ventilator skip "${args[@]}" --skip 5 --resume
expect_exit "$LAST_PID" 10 2
assert_contains "$(err_of skip)" "numbered with --skip 0, this command line 5" \
    "another --skip"

start_ventilator fresh "${args[@]}"
expect_exit "$LAST_PID" 10 2
assert_contains "$(err_of fresh)" "exists: add --resume to continue its run" \
    "an existing journal is not overwritten"

start_ventilator nojournal "$in" --resume
expect_exit "$LAST_PID" 10 2
assert_contains "$(err_of nojournal)" "--resume needs the --journal FILE" \
    "--resume alone"

printf 'PPJ1 and more bytes of a sink journal\n' >"$TEST_DIR/sink.journal"
start_ventilator foreign "$in" --journal "$TEST_DIR/sink.journal" --resume
expect_exit "$LAST_PID" 10 2
assert_contains "$(err_of foreign)" "it is a pp-sink journal" \
    "a sink's journal"

start_ventilator v2 "${args[@]}" --resume
expect_exit "$LAST_PID" 40 0
expect_exit "$w1" 10 0
expect_exit "$sink" 10 0
assert_exact_set "$out" "$n"
