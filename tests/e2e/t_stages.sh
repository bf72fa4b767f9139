#!/usr/bin/env bash
# examples/stages.sh, the chain of pushpull runs (read -> parse ->
# aggregate): the exact sum through two stages; items failed in stage 2
# make exit 24; a drain of stage 1 (the script's first SIGTERM) ends every
# stage with every record read in the output; stage 2 killed in a chain of
# three stops the others and the exit status names stage 2 (29); stage 1's
# sink killed is never taken for the end of stage 2's input (19). Every
# process the script started is gone after each run; a bad worker flag
# in stage 2 is exit 22; two signals abort every stage (13).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ctl_lib.sh"

export PATH=$BIN_DIR:$PATH
PP_HARD_TIMEOUT=90

# run_stages NAME DIR ARGS...: starts examples/stages.sh -d DIR ARGS...
run_stages() {
    local name=$1 dir=$2
    shift 2
    mkdir -p "$dir"
    BIN_DIR=$ROOT/examples pp_start "$name" stages.sh -d "$dir" "$@"
}

# no_leftovers DIR: no process started for DIR's stages is running (they
# run in sessions of their own: the test's process groups miss them).
no_leftovers() {
    local left
    left=$(grep -lsazF "PP_TASKS=ipc://$1/s" /proc/[0-9]*/environ |
        cut -d/ -f3 | tr '\n' ' ')
    [[ -z $left ]] || fail "processes left by the stages in $1: $left"
}

# 1. read -> parse -> aggregate: "name value" lines, the value parsed out
# in stage 1 (sed in --pipe mode), squared in stage 2 and summed.
N=3000
for ((i = 1; i <= N; i++)); do echo "item-$i $i"; done >"$TEST_DIR/in.txt"
run_stages sum "$TEST_DIR/sum" -s --sum "$TEST_DIR/in.txt" \
    --pipe -- sed -u 's/.* //' :: --job square
expect_exit "$LAST_PID" 60 0
assert_eq "$(sum_of_squares $N)" "$(cat "$(out_of sum)")" "sum over two stages"
assert_contains "$(err_of sum)" \
    "stages: stage 2: ventilator exit 0, sink exit 0, workers exit 0 0" \
    "stage 2's exit codes"
no_leftovers "$TEST_DIR/sum"

# Two lines without a value pass stage 1 and fail in stage 2: exit 24.
{ cat "$TEST_DIR/in.txt"; echo "item-x -"; echo "item-y -"; } >"$TEST_DIR/bad.txt"
run_stages bad "$TEST_DIR/bad" -s --sum "$TEST_DIR/bad.txt" \
    --pipe -- sed -u 's/.* //' :: --job square
expect_exit "$LAST_PID" 60 24
assert_eq "$(sum_of_squares $N)" "$(cat "$(out_of bad)")" "sum without the bad lines"
no_leftovers "$TEST_DIR/bad"

# 2. Drain: stage 1 reads a pipe that stays open; once 500 results came
# out of stage 2, the script's first SIGTERM drains stage 1, and the end
# of its output ends stage 2. Every record read is in the output, once.
fifo=$TEST_DIR/input.fifo
mkfifo "$fifo"
PP_STDIN=$fifo run_stages drain "$TEST_DIR/drain" - --job echo :: --job square
drain=$LAST_PID
exec 3>"$fifo"
seq 1 1000 >&3
wait_for_lines "$(out_of drain)" 500 30
signal_bin TERM "$drain"
expect_exit "$drain" 30 0
exec 3>&-
got=$(wc -l <"$(out_of drain)")
((got >= 500 && got <= 1000)) || fail "drain: $got results"
assert_contains "$(err_of drain)" "stopped after record $got;" \
    "drain: the output holds every record read"
assert_eq "$(seq 1 "$got" | awk '{ print $1 * $1 }')" \
    "$(sort -n "$(out_of drain)")" "drain: the squares of 1..$got, once each"
assert_contains "$(err_of drain)" "stages: draining stage 1" "drain: said"
for k in 1 2; do
    assert_contains "$(err_of drain)" \
        "stages: stage $k: ventilator exit 0, sink exit 0, workers exit 0 0" \
        "drain: stage $k's exit codes"
done
no_leftovers "$TEST_DIR/drain"

# 3. Stage 2 of three dies (its ventilator killed) mid-run: the others
# are stopped, and the exit status says stage 2, by a signal: 29. Stage
# 3 sleeps 300 ms an item on 2 threads: it holds plenty when the stop
# comes, so its drain cannot complete before the abort.
fifo2=$TEST_DIR/input2.fifo
mkfifo "$fifo2"
dir=$TEST_DIR/dies
PP_STDIN=$fifo2 run_stages dies "$dir" - \
    --job echo :: --job echo :: --job sleep --threads 1
dies=$LAST_PID
exec 3>"$fifo2"
yes 300 | head -n 200 >&3
wait_for_lines "$(out_of dies)" 1 30
kill -KILL "$(cat "$dir/s2-ventilator.pid")"
expect_exit "$dies" 30 29
exec 3>&-
assert_contains "$(err_of dies)" "stages: stage 2 failed: its ventilator exited 137" \
    "the failing stage named"
# Stage 1 stopped: drained, aborted, or its sink failed to write (0, 3,
# 1); stage 3, its input cut short, aborted.
assert_matches "$(err_of dies)" "^stages: stage 1: ventilator exit [03], sink exit [013]," \
    "stage 1 stopped"
assert_matches "$(err_of dies)" "^stages: stage 3: ventilator exit 3, sink exit 3," \
    "stage 3 aborted"
(($(wc -l <"$(out_of dies)") < 200)) || fail "stage 3 completed"
no_leftovers "$dir"

# 4. Stage 1's sink dies mid-run: what it wrote is only part of stage 1's
# output, and stage 2 must not take the end of it for the end of its input
# (this script holds the pipe open until a stage completed): stage 2 is
# aborted, exit 19 (stage 1, a signal), never 0. (Were it given the end
# of its input, it would complete in a few ms, before any abort.)
fifo3=$TEST_DIR/input3.fifo
mkfifo "$fifo3"
dir=$TEST_DIR/cut
PP_STDIN=$fifo3 run_stages cut "$dir" - --job echo :: --job square
cut=$LAST_PID
exec 3>"$fifo3"
seq 1 1000 >&3
wait_for_lines "$(out_of cut)" 1000 30
kill -KILL "$(cat "$dir/s1-sink.pid")"
expect_exit "$cut" 30 19
exec 3>&-
assert_contains "$(err_of cut)" "stages: stage 1 failed: its sink exited 137" \
    "the failing stage named"
assert_matches "$(err_of cut)" "^stages: stage 2: ventilator exit 3, sink exit 3," \
    "stage 2 aborted, not completed"
no_leftovers "$dir"

# 5. Stage 2's workers cannot start (a flag pp-worker does not know): its
# ventilator would wait for workers forever; the chain stops, exit 22
# (stage 2, a usage error).
run_stages badflag "$TEST_DIR/badflag" "$TEST_DIR/in.txt" --job echo :: --jbo square
expect_exit "$LAST_PID" 30 22
assert_contains "$(err_of badflag)" "stages: stage 2 failed: its workers (every one) exited 2" \
    "the failing stage named"
no_leftovers "$TEST_DIR/badflag"

# 6. Two signals to the script abort every stage: exit 13 (stage 1,
# aborted), every stage's ventilator and sink exit 3. Both stages sleep
# 300 ms an item: the drain of stage 1 is far from done at the abort.
fifo4=$TEST_DIR/input4.fifo
mkfifo "$fifo4"
PP_STDIN=$fifo4 run_stages abort "$TEST_DIR/abort" - \
    --job sleep --threads 1 :: --job sleep --threads 1
abort=$LAST_PID
exec 3>"$fifo4"
yes 300 | head -n 100 >&3
wait_for_lines "$(out_of abort)" 1 30
signal_bin TERM "$abort"
# (bash may merge two signals before it ran the trap of the first)
wait_for_line "$(err_of abort)" "^stages: draining stage 1" 10
signal_bin TERM "$abort"
expect_exit "$abort" 30 13
exec 3>&-
for k in 1 2; do
    assert_matches "$(err_of abort)" "^stages: stage $k: ventilator exit 3, sink exit 3," \
        "abort: stage $k"
done
no_leftovers "$TEST_DIR/abort"
