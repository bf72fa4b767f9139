# tests/e2e/lib.sh -- helpers sourced by every tests/e2e/t_*.sh.
#
# A test sources this file, picks a transport, starts the three binaries in
# the background, waits for each with a bound and asserts exact outcomes:
#
#     . "$(dirname "$0")/lib.sh"
#     use_transport ipc
#     start_sink sink --sum;                 sink=$LAST_PID
#     start_worker w1 --job square;          w1=$LAST_PID
#     start_ventilator vent --generate 10;   vent=$LAST_PID
#     expect_exit "$sink" 30 0
#     assert_eq 385 "$(cat "$(out_of sink)")" "sum of squares 1..10"
#
# Every process runs under `timeout` (a hard bound even if the test itself
# misbehaves) and in its own process group, so cleanup can kill whatever it
# left behind, children included.  The per-test directory is removed on exit;
# on failure every process's command line, exit code, stderr and the head of
# its stdout are printed first, so run.sh can show them.
#
# Environment:
#   BUILD              binaries directory, relative to the repo root or
#                      absolute (default build; build/asan for ASan)
#   PP_E2E_TRANSPORT   ipc|tcp: override every test's choice of transport
#   PP_E2E_KEEP=1      keep the per-test directory (its path is printed)
#   PP_HARD_TIMEOUT    seconds before `timeout` kills a process (default 60)
#   PP_DUMP_LOGS=0     (set by a test) do not dump every process's logs on
#                      failure: the test shows what matters itself

set -u
export LC_ALL=C   # sort order, decimal point in $EPOCHREALTIME

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$E2E_DIR/../.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in
    /*) BIN_DIR=$BUILD ;;
    *) BIN_DIR=$ROOT/$BUILD ;;
esac
TEST_NAME=$(basename "$0" .sh)
# libzmq's own leaks are not ours (tests/lsan.supp says which and why).
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$ROOT/tests/lsan.supp}
PP_HARD_TIMEOUT=${PP_HARD_TIMEOUT:-60}

PP_FAILURES=0
PP_ENDPOINT_SETS=0
LAST_PID=
PP_PIDS=()               # every process started, in order (timeout's pid,
                         # which is also its process group id)
declare -A PP_NAME_OF=() # pid -> process name (its log file prefix)
declare -A PP_PID_OF=()  # process name -> pid
declare -A PP_EXIT_OF=() # pid -> exit code, once waited for

# --- reporting ---------------------------------------------------------------

log() { printf '%s: %s\n' "$TEST_NAME" "$*" >&2; }

# Records a failed expectation; the test goes on so one run shows them all.
fail() {
    PP_FAILURES=$((PP_FAILURES + 1))
    printf 'FAIL: %s: %s\n' "$TEST_NAME" "$*" >&2
}

# A failure after which the test cannot sensibly go on.
die() {
    fail "$*"
    exit 1
}

# --- time --------------------------------------------------------------------

now_ms() {
    local us=${EPOCHREALTIME/./}
    echo $((us / 1000))
}

# Seconds (may be fractional: 0.5) to whole milliseconds.
secs_to_ms() {
    awk -v s="$1" 'BEGIN { printf "%d", s * 1000 }'
}

# --- per-test directory and cleanup --------------------------------------------

s_make_test_dir() {
    # ipc:// paths must fit in sun_path (108 bytes): fall back to /tmp when
    # TMPDIR is deep.
    local base=${TMPDIR:-/tmp}
    ((${#base} > 60)) && base=/tmp
    TEST_DIR=$(mktemp -d "$base/pp-e2e.$TEST_NAME.XXXXXX") ||
        die "cannot create a temporary directory"
}

# Prints what each process did: for the log of a failed test.
s_dump_logs() {
    local pid name
    for pid in "${PP_PIDS[@]}"; do
        name=${PP_NAME_OF[$pid]}
        printf -- '--- %s (pid %s, exit %s): %s\n' "$name" "$pid" \
            "${PP_EXIT_OF[$pid]:-not waited}" "$(cat "$TEST_DIR/$name.cmd")" >&2
        printf -- '--- %s stderr:\n' "$name" >&2
        head -n 200 "$TEST_DIR/$name.err" >&2
        printf -- '--- %s stdout (first 20 lines):\n' "$name" >&2
        head -n 20 "$TEST_DIR/$name.out" | cat -v >&2
    done
}

# True while pid, or any process of its process group (the binary, a job it
# ran), is alive.  Zombies do not count: a killed binary whose parent
# (timeout) died too waits for init to reap it.  The pid itself is checked
# apart from the group: right after the fork it has not made its group yet.
s_alive() {
    awk -v p="$1" '{
        pid = $1; rest = $0; sub(/^.*\) /, "", rest); split(rest, f, " ")
        if ((pid == p || f[3] == p) && f[1] != "Z") { found = 1; exit }
    } END { exit !found }' /proc/[0-9]*/stat 2>/dev/null
}

# Kills pid and its process group: TERM, then KILL a second later.  The
# binaries take a first TERM as "drain", so TERM alone may not do.
s_kill_group() {
    local pid=$1 sig deadline
    for sig in TERM KILL; do
        kill -s "$sig" "$pid" 2>/dev/null
        kill -s "$sig" -- "-$pid" 2>/dev/null
        deadline=$(($(now_ms) + 1000))
        while s_alive "$pid" && (($(now_ms) < deadline)); do
            sleep 0.02
        done
        s_alive "$pid" || break
    done
    wait "$pid" 2>/dev/null
    s_alive "$pid" && fail "cannot kill ${PP_NAME_OF[$pid]:-pid $pid}"
}

# Fails for any process (or child of one) still running, and kills it.
s_check_leftovers() {
    local pid name
    for pid in "${PP_PIDS[@]}"; do
        name=${PP_NAME_OF[$pid]}
        if s_alive "$pid"; then
            fail "leftover process: $name (pid $pid, or a child) still running"
            s_kill_group "$pid"
        elif [[ -z ${PP_EXIT_OF[$pid]:-} ]] && ((PP_FAILURES == 0)); then
            fail "the test never checked how $name exited"
        fi
    done
}

# A sanitizer may report and still let the exit code through (leaks in a
# child, a TSan warning with halt_on_error=0): any report fails the test.
s_check_sanitizer_reports() {
    local pid name
    for pid in "${PP_PIDS[@]}"; do
        name=${PP_NAME_OF[$pid]}
        if grep -qE 'ERROR: (Address|Leak|Undefined)Sanitizer|WARNING: ThreadSanitizer|runtime error:' \
            "$TEST_DIR/$name.err" 2>/dev/null; then
            fail "$name: sanitizer report in its stderr"
        fi
    done
}

s_cleanup() {
    local status=$?
    trap - EXIT INT TERM
    trap '' PIPE   # a reader of our stderr gone (| head): still clean up
    s_check_leftovers
    s_check_sanitizer_reports
    if ((PP_FAILURES > 0 || status != 0)); then
        [[ ${PP_DUMP_LOGS:-1} == 1 ]] && s_dump_logs
        ((status == 0)) && status=1
    fi
    if [[ ${PP_E2E_KEEP:-0} == 1 ]]; then
        log "kept $TEST_DIR"
    else
        rm -rf "$TEST_DIR"
    fi
    exit "$status"
}

# --- endpoints -----------------------------------------------------------------

# Prints n free TCP ports on 127.0.0.1, one a line.  They are taken below
# the ephemeral range, so no outgoing connection (a worker connecting before
# the ventilator binds) can occupy one before its owner binds it.
free_ports() {
    local n=$1
    if command -v python3 >/dev/null; then
        python3 - "$n" <<'EOF'
import random, socket, sys
n = int(sys.argv[1])
try:
    lo, hi = map(int, open("/proc/sys/net/ipv4/ip_local_port_range").read().split())
except OSError:
    lo, hi = 32768, 60999
candidates = range(10000, lo) if lo > 12000 else range(hi + 1, 65536)
held, ports = [], []
while len(ports) < n:
    port = random.choice(candidates)
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port))
    except OSError:
        s.close()
        continue
    held.append(s)   # keep it bound so the n ports differ
    ports.append(port)
print("\n".join(map(str, ports)))
EOF
    else
        # No python: a refused connection means nobody listens there.
        local port got=()
        while ((${#got[@]} < n)); do
            port=$((12000 + RANDOM % 20000))
            [[ " ${got[*]} " == *" $port "* ]] && continue
            if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
                got+=("$port")
            fi
        done
        printf '%s\n' "${got[@]}"
    fi
}

# use_transport ipc|tcp: points PP_TASKS, PP_RESULTS, PP_CONTROL and PP_ACKS
# at fresh endpoints of this test only (never the default 5557..5560, so a
# demo may run meanwhile).  PP_E2E_TRANSPORT, if set, overrides the choice.
use_transport() {
    TRANSPORT=${PP_E2E_TRANSPORT:-$1}
    case $TRANSPORT in
        ipc)
            # A fresh set each call: a second run in a test never meets
            # a socket file of the first.
            PP_ENDPOINT_SETS=$((PP_ENDPOINT_SETS + 1))
            local at=ipc://$TEST_DIR/ep$PP_ENDPOINT_SETS
            PP_TASKS=$at.tasks
            PP_RESULTS=$at.results
            PP_CONTROL=$at.control
            PP_ACKS=$at.acks
            ;;
        tcp)
            local ports
            mapfile -t ports < <(free_ports 4)
            ((${#ports[@]} == 4)) || die "cannot find 4 free tcp ports"
            PP_TASKS=tcp://127.0.0.1:${ports[0]}
            PP_RESULTS=tcp://127.0.0.1:${ports[1]}
            PP_CONTROL=tcp://127.0.0.1:${ports[2]}
            PP_ACKS=tcp://127.0.0.1:${ports[3]}
            ;;
        *) die "use_transport: '$TRANSPORT' is not ipc or tcp" ;;
    esac
    export PP_TASKS PP_RESULTS PP_CONTROL PP_ACKS
}

# --- processes -----------------------------------------------------------------

# pp_start NAME BINARY [ARGS...]: starts BINARY in the background under
# timeout, stdout to NAME.out, stderr to NAME.err in the test directory,
# stdin from $PP_STDIN (default /dev/null; a file, or <(cmd) for a pipe).
# Sets LAST_PID; the process group id is the same pid.
pp_start() {
    local name=$1 bin=$BIN_DIR/$2
    shift 2
    [[ -n ${PP_PID_OF[$name]:-} ]] && die "process name '$name' used twice"
    [[ -x $bin ]] || die "no binary $bin (run make, or set BUILD)"
    printf '%q ' "$bin" "$@" >"$TEST_DIR/$name.cmd"
    # timeout makes itself a process group leader (no --foreground): that
    # group is what cleanup kills.  -k: the binaries treat the first TERM
    # as "drain", so a hung one needs KILL.
    timeout -k 5 "$PP_HARD_TIMEOUT" "$bin" "$@" <"${PP_STDIN:-/dev/null}" \
        >"$TEST_DIR/$name.out" 2>"$TEST_DIR/$name.err" &
    LAST_PID=$!
    PP_PIDS+=("$LAST_PID")
    PP_NAME_OF[$LAST_PID]=$name
    PP_PID_OF[$name]=$LAST_PID
}

start_ventilator() { pp_start "$1" pp-ventilator "${@:2}"; }
start_worker() { pp_start "$1" pp-worker "${@:2}"; }
start_sink() { pp_start "$1" pp-sink "${@:2}"; }

# Paths of a process's captured output, by name.
out_of() { echo "$TEST_DIR/$1.out"; }
err_of() { echo "$TEST_DIR/$1.err"; }

# wait_pid PID SECONDS: waits for PID to exit and returns its exit code.
# If it has not exited within SECONDS, fails the test, kills its process
# group and returns 124 (what timeout returns for a process it killed).
wait_pid() {
    local pid=$1 name=${PP_NAME_OF[$1]:-pid $1}
    local deadline=$(($(now_ms) + $(secs_to_ms "$2")))
    # bash reaps its children as they exit, so kill -0 fails right after.
    while kill -0 "$pid" 2>/dev/null; do
        if (($(now_ms) >= deadline)); then
            fail "$name did not exit within $2 s"
            s_kill_group "$pid"
            PP_EXIT_OF[$pid]=124
            return 124
        fi
        sleep 0.02
    done
    wait "$pid"
    local rc=$?
    PP_EXIT_OF[$pid]=$rc
    return "$rc"
}

# expect_exit PID SECONDS CODE: the process exits within SECONDS with CODE.
expect_exit() {
    local pid=$1 bound=$2 want=$3 rc
    wait_pid "$pid" "$bound"
    rc=$?
    assert_eq "$want" "$rc" "exit code of ${PP_NAME_OF[$pid]:-pid $pid}"
}

# wait_for_line FILE REGEX SECONDS: until a line of FILE matches (grep -E).
wait_for_line() {
    local file=$1 regex=$2
    local deadline=$(($(now_ms) + $(secs_to_ms "$3")))
    until grep -qE -- "$regex" "$file" 2>/dev/null; do
        if (($(now_ms) >= deadline)); then
            fail "no line matching '$regex' in $(basename "$file") within $3 s"
            return 1
        fi
        sleep 0.02
    done
}

# s_listening ENDPOINT: something has bound ENDPOINT (ipc: its socket file
# exists; tcp: a socket listens on its port, on any address).
s_listening() {
    case $1 in
        ipc://*) [[ -S ${1#ipc://} ]] ;;
        tcp://*)
            local hex
            hex=$(printf '%04X' "${1##*:}")
            grep -qE "^ *[0-9]+: [0-9A-F]+:$hex [0-9A-F]+:0000 0A " \
                /proc/net/tcp /proc/net/tcp6 2>/dev/null
            ;;
        *) return 1 ;;
    esac
}

# wait_for_bind ENDPOINT SECONDS: until a process has bound ENDPOINT
# (ipc:// or tcp://), the sign that it is up and listening.
wait_for_bind() {
    local deadline=$(($(now_ms) + $(secs_to_ms "$2")))
    until s_listening "$1"; do
        if (($(now_ms) >= deadline)); then
            fail "nothing bound $1 within $2 s"
            return 1
        fi
        sleep 0.02
    done
}

# expect_usage_error WHAT TEXT BINARY ARGS...: BINARY ARGS is refused at
# start: exit 2 within 10 s, stderr holds TEXT (a fixed string), stdout
# empty. Each case runs as USAGE_CASE=case<N>.<binary> (N counts them),
# so that a test can look further at its output; a failure shows the
# command and the first lines it said.
USAGE_CASES=0
expect_usage_error() {
    local what=$1 text=$2 bin=$3 before=$PP_FAILURES
    shift 3
    USAGE_CASES=$((USAGE_CASES + 1))
    USAGE_CASE=case$USAGE_CASES.${bin#pp-}
    pp_start "$USAGE_CASE" "$bin" "$@"
    expect_exit "$LAST_PID" 10 2
    assert_contains "$(err_of "$USAGE_CASE")" "$text" "$what"
    [[ -s $(out_of "$USAGE_CASE") ]] && fail "$what: stdout not empty"
    if ((PP_FAILURES > before)); then
        echo "--- $USAGE_CASE: $bin $*" >&2
        head -n 5 "$(err_of "$USAGE_CASE")" >&2
    fi
}

# --- assertions ----------------------------------------------------------------

assert_eq() {
    local want=$1 got=$2 what=$3
    [[ $got == "$want" ]] || fail "$what: expected '$want', got '$got'"
}

# assert_contains FILE TEXT WHAT: FILE holds TEXT (a fixed string).
assert_contains() {
    local file=$1 text=$2 what=$3
    grep -qF -- "$text" "$file" ||
        fail "$what: '$text' not found in $(basename "$file")"
}

# assert_matches FILE REGEX WHAT: a line of FILE matches REGEX (grep -E).
assert_matches() {
    local file=$1 regex=$2 what=$3
    grep -qE -- "$regex" "$file" ||
        fail "$what: no line matching '$regex' in $(basename "$file")"
}

# assert_same_file EXPECTED ACTUAL WHAT: byte-identical, else a short diff.
assert_same_file() {
    local want=$1 got=$2 what=$3
    if ! cmp -s "$want" "$got"; then
        fail "$what: $(basename "$got") differs from $(basename "$want")" \
            "($(wc -c <"$want") vs $(wc -c <"$got") bytes)"
        diff <(tr '\0' '\n' <"$want") <(tr '\0' '\n' <"$got") | head -n 20 >&2
    fi
}

# --- stats JSON ------------------------------------------------------------------

declare -A PP_JSON_MISSING=()   # stats files already reported missing

# s_json_ok FILE: true if FILE has content; else fails, once per file, so a
# missing --stats-json is one failure, not one per key.
s_json_ok() {
    [[ -s $1 ]] && return 0
    if [[ -z ${PP_JSON_MISSING[$1]:-} ]]; then
        PP_JSON_MISSING[$1]=1
        fail "stats json $(basename "$1") missing or empty"
    fi
    return 1
}

# json_get FILE KEY: a top-level value (numbers as is, booleans as
# true/false); nothing if FILE is missing.  jq if installed, else python3.
json_get() {
    local file=$1 key=$2
    [[ -s $file ]] || return 1
    if command -v jq >/dev/null; then
        jq -r --arg k "$key" '.[$k]' "$file"
    else
        python3 -c 'import json, sys
v = json.load(open(sys.argv[1]))[sys.argv[2]]
print(json.dumps(v) if not isinstance(v, str) else v)' "$file" "$key"
    fi
}

# json_worker_items FILE: the "items" of each entry of "workers", a line each.
json_worker_items() {
    local file=$1
    [[ -s $file ]] || return 1
    if command -v jq >/dev/null; then
        jq -r '.workers[].items' "$file"
    else
        python3 -c 'import json, sys
for w in json.load(open(sys.argv[1]))["workers"]: print(w["items"])' "$file"
    fi
}

# assert_json FILE KEY EXPECTED
assert_json() {
    local file=$1 key=$2 want=$3
    s_json_ok "$file" || return
    assert_eq "$want" "$(json_get "$file" "$key")" "stats json \"$key\""
}

# assert_counts FILE TOTAL OK FAILED DROPPED: the run's accounting, and
# that it was not aborted.
assert_counts() {
    local file=$1
    s_json_ok "$file" || return
    assert_json "$file" total "$2"
    assert_json "$file" ok "$3"
    assert_json "$file" failed "$4"
    assert_json "$file" dropped "$5"
    assert_json "$file" aborted false
}

# --- arithmetic ----------------------------------------------------------------

# 1^2 + 2^2 + ... + n^2, what --generate n | --job square | --sum prints.
sum_of_squares() {
    local n=$1
    echo $((n * (n + 1) * (2 * n + 1) / 6))
}

# --- setup on source -------------------------------------------------------------

command -v timeout >/dev/null || { echo "e2e: needs timeout (coreutils)" >&2; exit 1; }
command -v jq >/dev/null || command -v python3 >/dev/null ||
    { echo "e2e: needs jq or python3 to read --stats-json" >&2; exit 1; }
# Endpoints come from use_transport only: never from the caller's shell.
unset PP_TASKS PP_RESULTS PP_CONTROL PP_ACKS
s_make_test_dir
trap s_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 141' PIPE   # a handler, not SIG_IGN: the binaries must not inherit it
use_transport ipc   # a safe default; tests choose with use_transport
