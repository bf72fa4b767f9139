# tests/e2e/ctl_lib.sh -- helpers for the control-plane and fault tests,
# sourced after lib.sh.

# The pid of the binary itself: pp_start runs it under `timeout`, and a
# background `timeout` ignores SIGINT, so signals must go to its child.
# Prints nothing and returns 1 when there is none (it exited already).
bin_pid() {
    local pid=$1 child=""
    local deadline=$(($(now_ms) + 5000))
    while [[ -z $child ]] && kill -0 "$pid" 2>/dev/null &&
        (($(now_ms) < deadline)); do
        child=$(pgrep -P "$pid" | head -n 1)
        [[ -z $child ]] && sleep 0.01
    done
    [[ -n $child ]] && echo "$child"
}

# signal_bin SIGNAL PID: sends SIGNAL to the binary started as PID; a test
# failure when it is not running any more (the test lost its moment).
signal_bin() {
    local child
    if ! child=$(bin_pid "$2"); then
        fail "cannot send SIG$1: ${PP_NAME_OF[$2]:-pid $2} is not running"
        return 1
    fi
    kill -s "$1" "$child"
}

# wait_signal_taken SIGNAL PID SECONDS: until the binary started as PID
# has taken SIGNAL (sent by signal_bin): it is no longer pending, so its
# handler ran. Two signals sent without this wait may arrive as one.
wait_signal_taken() {
    local bit child mask
    bit=$(kill -l "$1") || return 1
    child=$(bin_pid "$2") || return 0 # exited: nothing is pending
    local deadline=$(($(now_ms) + $(secs_to_ms "$3")))
    while mask=$(awk '$1 == "ShdPnd:" { print $2 }' \
        "/proc/$child/status" 2>/dev/null) && [[ -n $mask ]] &&
        (((0x$mask >> (bit - 1)) & 1)); do
        if (($(now_ms) >= deadline)); then
            fail "${PP_NAME_OF[$2]:-pid $2} did not take SIG$1 within $3 s"
            return 1
        fi
        sleep 0.01
    done
}

# wait_for_lines FILE N SECONDS: until FILE has at least N lines.
wait_for_lines() {
    local file=$1 want=$2
    local deadline=$(($(now_ms) + $(secs_to_ms "$3")))
    while (($(wc -l <"$file" 2>/dev/null || echo 0) < want)); do
        if (($(now_ms) >= deadline)); then
            fail "$(basename "$file") has fewer than $want lines after $3 s"
            return 1
        fi
        sleep 0.02
    done
}

# assert_exact_set FILE N: FILE holds the numbers 1..N, each exactly once.
assert_exact_set() {
    local file=$1 n=$2
    local got
    got=$(sort -n "$file" | uniq | wc -l)
    assert_eq "$n" "$(wc -l <"$file")" "lines in $(basename "$file")"
    assert_eq "$n" "$got" "distinct lines in $(basename "$file")"
    if ! cmp -s <(sort -n "$file") <(seq 1 "$n"); then
        fail "$(basename "$file") is not exactly 1..$n"
    fi
}
