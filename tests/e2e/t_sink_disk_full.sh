#!/usr/bin/env bash
# The sink's disk fills up mid-run (--output on a 1 MiB tmpfs mostly taken
# by a filler file): the sink stops with exit 1, acks nothing that is not
# written, keeps its journal and says how to go on; the ventilator waits.
# Space freed, `pp-sink --resume` finishes the run: every item exactly once
# (the torn tail of the file is cut back to the journal), and every process
# exits 0. The bug: the write error was logged, every item acked anyway,
# the journal removed, exit 0 -- and results were missing.
# Twice: with the default window, and with --window 4, where every result
# is a checkpoint of its own (a checkpoint taken before the result was
# written acked it unwritten).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ctl_lib.sh"
. "$(dirname "$0")/tmpfs_lib.sh"

small=$TEST_DIR/small
mount_small_tmpfs "$small" 1m

# disk_full NAME N FILLER [VENTILATOR-FLAGS...]: a run of N echo items
# into $small, FILLER (head -c) of it taken until the sink has failed.
disk_full() {
    local name=$1 n=$2 filler=$3
    shift 3
    local out=$small/$name.txt stats=$TEST_DIR/$name.json
    use_transport ipc
    head -c "$filler" /dev/zero >"$small/filler" || die "cannot write the filler"
    start_sink "$name-1" --output "$out"
    local sink1=$LAST_PID
    start_worker "$name-w" --job echo --threads 2
    local w=$LAST_PID
    start_ventilator "$name-vent" --generate "$n" --ack-timeout 1s "$@"
    local vent=$LAST_PID

    expect_exit "$sink1" 30 1
    assert_matches "$(err_of "$name-1")" \
        "cannot write .*No space left on device" "$name: the sink says what failed"
    assert_matches "$(err_of "$name-1")" "pp-sink command with --resume" \
        "$name: the sink says how to go on"
    [[ -s $out.journal ]] || fail "$name: the journal should stay after a failed write"
    local lines
    lines=$(wc -l <"$out")
    ((lines < n)) || fail "$name: the disk did not fill: $lines lines of $n"
    s_alive "$vent" || fail "$name: the ventilator should wait for the sink"

    rm "$small/filler"
    start_sink "$name-2" --output "$out" --resume --stats-json "$stats"
    local sink2=$LAST_PID
    expect_exit "$sink2" 30 0
    expect_exit "$vent" 10 0
    expect_exit "$w" 10 0
    assert_contains "$(err_of "$name-2")" "resuming run" "$name: the sink resumed"
    assert_exact_set "$out" "$n"
    assert_counts "$stats" "$n" "$n" 0 0
    assert_json "$stats" complete true
    [[ -e $out.journal ]] && fail "$name: the journal outlived the completed run"
    rm -f "$out"
}

disk_full big 100000 700k # 588895 bytes of output, 324 KiB free
disk_full window4 10000 1000k --window 4 # 48894 bytes, 24 KiB free
true
