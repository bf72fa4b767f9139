#!/usr/bin/env bash
# A worker short of file descriptors. It counts them before it makes a
# socket (worker/fds.h: about 24 of its own, 7 per command starting):
# - with room for fewer commands than --threads, that many run at once,
#   none fails, the run exits 0, and it says so once, naming the limit
#   and the ways out -- also when it inherited fds it does not know of
#   (the old worker hung there, its sockets holding every fd, or crashed
#   in czmq's assert when a socket could not be made);
# - with room for none (or, with --pipe, for fewer than --threads) it
#   exits 1 before it joins, saying what is short.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ctl_lib.sh"
use_transport ipc

# pp_start runs $BIN_DIR/NAME: this pp-worker closes what the harness
# left open, sets ulimit -n $LIMIT, opens $EXTRA fds of its own on
# /dev/null, then becomes the real one (same pid, same process group).
wrap=$TEST_DIR/bin
mkdir -p "$wrap"
cat >"$wrap/pp-worker" <<SCRIPT
#!/usr/bin/env bash
for ((fd = 3; fd < 255; fd++)); do eval "exec \$fd>&-"; done
ulimit -n "\$LIMIT" || exit 99
for ((i = 0; i < \${EXTRA:-0}; i++)); do eval "exec \$((10 + i))</dev/null"; done
exec $BIN_DIR/pp-worker "\$@"
SCRIPT
chmod +x "$wrap/pp-worker"
real_bin=$BIN_DIR

# worker_of NAME ARGS...: the wrapped worker.
worker_of() {
    BIN_DIR=$wrap
    start_worker "$@"
    BIN_DIR=$real_bin
}

# run_short SUFFIX: 2000 echo items through a worker with 16 threads and
# room for fewer commands than that.
run_short() {
    local n=$1 stats=$TEST_DIR/stats$1.json
    start_sink "sink$n" --stats-json "$stats"
    local sink=$LAST_PID
    worker_of "worker$n" --threads 16 -- echo {}
    local worker=$LAST_PID
    start_ventilator "vent$n" --generate 2000
    local vent=$LAST_PID
    expect_exit "$sink" 60 0
    expect_exit "$worker" 10 0
    expect_exit "$vent" 10 0
    assert_counts "$stats" 2000 2000 0 0
    assert_exact_set "$(out_of "sink$n")" 2000
    local err open
    err=$(err_of "worker$n")
    assert_eq 1 "$(grep -c 'room for' "$err")" "[$n] one line on the limit"
    open=$(sed -nE 's/.*ulimit -n is 48 \(([0-9]+) already open\).*/\1/p' "$err")
    assert_eq "$open_at_start" "$((open - ${EXTRA:-0}))" \
        "[$n] fds counted: the worker's own and the ${EXTRA:-0} inherited"
    assert_matches "$err" \
        "room for $(((48 - open - 24) / 7)) commands? at a time, not 16 \\(--threads\\);.* raise ulimit -n \\(to $((open + 24 + 16 * 7))\\), or use fewer --threads" \
        "[$n] the log names the limit, the room and the ways out"
    assert_eq 0 "$(grep -c 'Too many open files' "$err")" \
        "[$n] no command ever found the fds short"
}

# Room for the worker but for no command: exit 1, before it joins. What
# is open at its start is the 3 standard fds and what czmq opened when it
# set up logging (the context's own mailbox).
LIMIT=32 worker_of none -- echo {}
expect_exit "$LAST_PID" 10 1
open_at_start=$(sed -nE 's/.* and ([0-9]+) are already open.*/\1/p' \
    "$(err_of none)")
assert_matches "$(err_of none)" \
    "too few file descriptors: ulimit -n is 32 and $open_at_start are already open; pp-worker needs about 24 for itself and 7 for each command running at once -- raise ulimit -n \\(to $((open_at_start + 31)) or more\\)" \
    "no room for one command: named, with the way out"
((open_at_start >= 3 && open_at_start <= 6)) ||
    fail "open at the start: expected 3 to 6, got '$open_at_start'"

# Room for (48 - open - 24) / 7 = 2 or 3 commands at once; with 8 more
# fds inherited, for 1.
LIMIT=48 run_short 1
LIMIT=48 EXTRA=8 run_short 2

# Not even for the worker and a builtin job.
LIMIT=20 worker_of alone --job echo
expect_exit "$LAST_PID" 10 1
assert_matches "$(err_of alone)" \
    "too few file descriptors: ulimit -n is 20 and $open_at_start are already open; pp-worker needs about 24 for itself -- raise ulimit -n \\(to $((open_at_start + 24)) or more\\)" \
    "no room for the worker: named, with the way out"

# --pipe keeps a command per thread running: all of them must fit.
LIMIT=48 worker_of piped --threads 16 --pipe -- cat
expect_exit "$LAST_PID" 10 1
assert_matches "$(err_of piped)" \
    "--pipe keeps a command running per job thread: 16 at once need about $((open_at_start + 24 + 112)) file descriptors, and ulimit -n is 48 \\($open_at_start already open\\) -- raise ulimit -n, or use --threads $(((48 - open_at_start - 24) / 7))" \
    "--pipe with too few fds: named, with the ways out"
