#!/usr/bin/env bash
# A worker short of file descriptors (ulimit -n 32, 16 job threads, each
# child taking 3 or 4 while it starts) is the worker's problem, not the
# items': they wait for fds and run, none fails, the run exits 0, and the
# worker says so once, naming the limit and the ways out.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ctl_lib.sh"
use_transport ipc

# pp_start runs $BIN_DIR/NAME: this pp-worker lowers the limit, then
# becomes the real one (same pid, same process group).
wrap=$TEST_DIR/bin
mkdir -p "$wrap"
printf '#!/bin/sh\nulimit -n 32 && exec %s/pp-worker "$@"\n' "$BIN_DIR" \
    >"$wrap/pp-worker"
chmod +x "$wrap/pp-worker"

stats=$TEST_DIR/stats.json
start_sink sink --stats-json "$stats"
sink=$LAST_PID
real_bin=$BIN_DIR
BIN_DIR=$wrap
start_worker worker --threads 16 -- echo {}
worker=$LAST_PID
BIN_DIR=$real_bin
start_ventilator vent --generate 2000
vent=$LAST_PID
expect_exit "$sink" 60 0
expect_exit "$worker" 10 0
expect_exit "$vent" 10 0
assert_counts "$stats" 2000 2000 0 0
assert_exact_set "$(out_of sink)" 2000
err=$(err_of worker)
assert_eq 1 "$(grep -c 'Too many open files' "$err")" "shortage lines logged"
assert_matches "$err" \
    'cannot start echo: Too many open files \(ulimit -n is 32\);.* raise ulimit -n, or use fewer --threads' \
    "the log names the limit and the ways out"
