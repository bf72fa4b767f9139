#!/usr/bin/env bash
# Checked at start (issue 17): an output path that cannot be written
# (--output, --stats-json, --joblog, --failed, --journal, --spill-dir) is
# exit 2 naming the flag, the path and why, before anything is created
# or emptied (--stats-json used to fail only after the whole run); a host
# name that does not resolve is exit 2 naming it (a worker used to wait
# for it forever); binding tcp://localhost:PORT works (it failed with "No
# such device"); a size of 0 or too large is "out of range".
. "$(dirname "$0")/lib.sh"
PP_DUMP_LOGS=0 # many processes: each failure shows its own case
use_transport ipc

nodir=$TEST_DIR/no/such/dir
why="its directory $nodir: No such file or directory"
for flag in --output --stats-json --joblog --failed; do
    expect_usage_error "pp-sink $flag in a missing directory" \
        "$flag: cannot open $nodir/x: $why" pp-sink --sum "$flag" "$nodir/x"
done
expect_usage_error "pp-sink --stats-json a directory" \
    "--stats-json: cannot open $TEST_DIR: is a directory" \
    pp-sink --sum --stats-json "$TEST_DIR"
expect_usage_error "pp-ventilator --journal in a missing directory" \
    "--journal: cannot open $nodir/j: $why" \
    pp-ventilator --generate 3 --journal "$nodir/j"
expect_usage_error "pp-ventilator --spill-dir missing" \
    "--spill-dir: cannot open $nodir: No such file or directory" \
    pp-ventilator --generate 3 --overflow spill --spill-dir "$nodir"
expect_usage_error "pp-worker --spill-dir missing" \
    "--spill-dir: cannot open $nodir: No such file or directory" \
    pp-worker --job echo --overflow spill --spill-dir "$nodir"

# One bad output path leaves the others as they were: nothing created,
# nothing emptied.
echo kept >"$TEST_DIR/keep.txt"
expect_usage_error "pp-sink: a bad --stats-json after good outputs" \
    "--stats-json: cannot open $nodir/s.json: $why" \
    pp-sink -o "$TEST_DIR/keep.txt" --joblog "$TEST_DIR/jobs.tsv" \
    --failed "$TEST_DIR/failed.txt" --stats-json "$nodir/s.json"
assert_eq kept "$(cat "$TEST_DIR/keep.txt")" "--output was left as it was"
for made in jobs.tsv failed.txt keep.txt.journal keep.txt.journal.new; do
    [[ -e $TEST_DIR/$made ]] && fail "$made was created by a refused start"
done

# A host name that does not resolve (.invalid never does: RFC 6761).
expect_usage_error "pp-worker --tasks at a host that does not exist" \
    "--tasks: 'tcp://no-such-host.invalid:5557': host 'no-such-host.invalid' does not resolve" \
    pp-worker --job echo --tasks tcp://no-such-host.invalid:5557
PP_CONTROL=tcp://no-such-host.invalid:5559 expect_usage_error \
    "pp-sink PP_CONTROL at a host that does not exist" \
    "--control (from PP_CONTROL): 'tcp://no-such-host.invalid:5559': host 'no-such-host.invalid' does not resolve" \
    pp-sink --sum
expect_usage_error "pp-ventilator binding a name that is no host or interface" \
    "--acks: 'tcp://no-such-host.invalid:5560': host 'no-such-host.invalid' does not resolve" \
    pp-ventilator --generate 3 --insecure --acks tcp://no-such-host.invalid:5560

# A size of 0 or past the limit is out of range, not "not a size".
expect_usage_error "pp-ventilator --window-bytes 0" \
    "--window-bytes: 0 is out of range (1 to 4294967295G)" \
    pp-ventilator --generate 3 --window-bytes 0
expect_usage_error "pp-worker --buffer-bytes too large" \
    "--buffer-bytes: 4294967296G is out of range (1 to 4294967295G)" \
    pp-worker --buffer-bytes 4294967296G
expect_usage_error "pp-sink --buffer-bytes with a unit it does not know" \
    "--buffer-bytes: '64k' is not a size (write e.g. 4096, 64K, 1M, 2G)" \
    pp-sink --sum --buffer-bytes 64k

# Every endpoint named by localhost: the binding sides bind what it
# resolves to, the connecting sides find them; the run completes.
mapfile -t ports < <(free_ports 4)
export PP_TASKS=tcp://localhost:${ports[0]} PP_RESULTS=tcp://localhost:${ports[1]}
export PP_CONTROL=tcp://localhost:${ports[2]} PP_ACKS=tcp://localhost:${ports[3]}
start_sink sink --sum
sink=$LAST_PID
start_worker w --job square --threads 1
w=$LAST_PID
start_ventilator vent --generate 100
vent=$LAST_PID
expect_exit "$vent" 30 0
expect_exit "$sink" 30 0
expect_exit "$w" 15 0
assert_eq 338350 "$(cat "$(out_of sink)")" "sum of squares 1..100 over localhost"
if grep -q "No such device" "$(err_of vent)" "$(err_of sink)"; then
    fail "a bind of tcp://localhost:PORT failed"
fi
