#!/usr/bin/env bash
# The sink's journal cannot be written (its disk is full) while the output
# can: the sink must not ack what the journal does not vouch for. It stops
# with exit 1, keeps the journal as it was before the failed record, and
# `--resume` (space freed) cuts the output back to it and finishes the run
# exactly. The journal is put on a full tmpfs through a symlink at
# FILE.journal.new, which the sink opens and renames to FILE.journal.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ctl_lib.sh"
. "$(dirname "$0")/tmpfs_lib.sh"
use_transport ipc

N=20000
small=$TEST_DIR/small
out=$TEST_DIR/results.txt
mount_small_tmpfs "$small" 1m
# One 4 KiB page left: a few dozen checkpoints fit, not a 2 s run's worth.
head -c 1020k /dev/zero >"$small/filler" || die "cannot write the filler"
ln -s "$small/journal" "$out.journal.new"

start_sink sink1 --output "$out"
sink1=$LAST_PID
start_worker w --job echo --threads 2
w=$LAST_PID
start_ventilator vent --generate $N --rate 10000 --ack-timeout 1s
vent=$LAST_PID

expect_exit "$sink1" 30 1
assert_matches "$(err_of sink1)" "cannot write the journal .*No space left" \
    "the sink says what failed"
assert_matches "$(err_of sink1)" "pp-sink command with --resume" \
    "the sink says how to go on"
[[ -L $out.journal ]] || fail "the journal should stay after a failed write"
s_alive "$vent" || fail "the ventilator should wait for the sink"

rm "$small/filler"
start_sink sink2 --output "$out" --resume --stats-json "$TEST_DIR/stats.json"
sink2=$LAST_PID
expect_exit "$sink2" 30 0
expect_exit "$vent" 10 0
expect_exit "$w" 10 0
assert_exact_set "$out" $N
assert_counts "$TEST_DIR/stats.json" $N $N 0 0
[[ -e $out.journal ]] && fail "the journal outlived the completed run"
true
