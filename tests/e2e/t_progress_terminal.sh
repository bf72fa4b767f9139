#!/usr/bin/env bash
# The sink's progress line as a user sees it, in a real terminal (a tmux
# pane): "waiting for a run" before one; then the workers connected, the
# percent and an ETA; a visible stall once every worker is stopped
# (SIGSTOP), with the workers connected dropping to 0 once they are
# killed; cut to a narrow terminal's width; and never drawn over the
# results written to the same terminal, nor over a log message: each is
# a line of its own.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ctl_lib.sh"
use_transport ipc
command -v tmux >/dev/null || die "tmux is not installed (scripts/install-deps.sh --test)"

N=300
TMUX_SOCK=$TEST_DIR/tmux.sock
tmx() { tmux -S "$TMUX_SOCK" "$@"; }
trap 'rc=$?; tmx kill-server 2>/dev/null; (exit $rc); s_cleanup' EXIT

# The pane's whole text, history included, wrapped lines joined.
PANE=pp
pane() { tmx capture-pane -p -J -S - -E - -t "$PANE" 2>/dev/null; }

# wait_for_pane REGEX SECONDS: until the pane's last non-empty line (where
# the progress line is drawn) matches.
wait_for_pane() {
    local deadline=$(($(now_ms) + $(secs_to_ms "$2"))) last
    while true; do
        last=$(pane | grep -v '^$' | tail -n 1)
        [[ $last =~ $1 ]] && return 0
        if (($(now_ms) >= deadline)); then
            fail "the progress line did not match '$1' within $2 s; it read: '$last'"
            return 1
        fi
        sleep 0.05
    done
}

# start_pane NAME COLUMNS [ARGS...]: a tmux session NAME running a sink
# (with ARGS), whose stdout and stderr are the same terminal; NAME.pid
# holds the shell's pid (the sink is its grandchild, under timeout),
# NAME.rc the sink's exit code.
start_pane() {
    local q
    q=$(printf '%q ' "$BIN_DIR/pp-sink" --results "$PP_RESULTS" \
        --control "$PP_CONTROL" --acks "$PP_ACKS" --ventilator-timeout 60s \
        "${@:3}")
    cat >"$TEST_DIR/$1.sh" <<EOF
echo \$\$ >$(printf '%q' "$TEST_DIR/$1.pid")
timeout -k 5 90 $q
echo \$? >$(printf '%q' "$TEST_DIR/$1.rc")
EOF
    tmx new-session -d -s "$1" -x "$2" -y 40 "bash $(printf '%q' "$TEST_DIR/$1.sh")"
    tmx set-option -t "$1" remain-on-exit on >/dev/null
    tmx set-option -t "$1" history-limit 5000 >/dev/null
    PANE=$1
}

# pane_rc NAME: the exit code of NAME's sink, waited for 15 s at most.
pane_rc() {
    local deadline=$(($(now_ms) + 15000))
    until [[ -s $TEST_DIR/$1.rc ]] || (($(now_ms) >= deadline)); do
        sleep 0.05
    done
    cat "$TEST_DIR/$1.rc" 2>/dev/null
}

start_pane pp 80

start_worker w1 --job echo --threads 1
w1=$LAST_PID
start_worker w2 --job echo --threads 1
w2=$LAST_PID
wait_for_pane '^waiting for a run \(no ventilator heard yet\)$' 10 ||
    die "no 'waiting for a run' line"

# Paced, so the line has time to show the ETA of a run well under way.
start_ventilator vent --generate $N --rate 30 --ack-timeout 2s \
    --wait-workers 2
vent=$LAST_PID
wait_for_pane '^2 workers  [0-9]+/300 items [0-9.]+%  [0-9.]+/s  elapsed 0:00:[0-9]{2}  ETA 0:00:[0-9]{2}$' 20 ||
    die "no line with the workers, the percent and an ETA"

# Every worker stopped: the line says so (and gives no ETA).
for pid in "$w1" "$w2"; do signal_bin STOP "$pid"; done
wait_for_pane '^2 workers  [0-9]+/300 items [0-9.]+%  elapsed 0:00:[0-9]{2}  no result for [5-9] s$' 20 ||
    die "no stall shown with every worker stopped"

# Killed: none connected (their items go again on the ack timeout).
for pid in "$w1" "$w2"; do signal_bin KILL "$pid"; done
for pid in "$w1" "$w2"; do wait_pid "$pid" 5 >/dev/null; done
wait_for_pane '^0 workers  .*  no result for [0-9]+ s$' 10

# A message logged meanwhile goes above the line, not onto it: the sink
# stopped long enough says so when it runs again.
shell=$(cat "$TEST_DIR/pp.pid")
sink=$(pgrep -P "$(pgrep -P "$shell")") || die "cannot find the sink's pid"
kill -STOP "$sink"
sleep 3 # the length of the stop, not a wait for an event
kill -CONT "$sink"
wait_for_pane '^0 workers  .*  no result for [0-9]+ s$' 10
pane | grep -qE '^N: \(pp-sink\) .* did not run for [0-9]+ ms' ||
    fail "the sink's notice of its stop is not on a line of its own"

start_worker w3 --job echo --threads 2
w3=$LAST_PID
expect_exit "$vent" 60 0
expect_exit "$w3" 10 0
assert_eq 0 "$(pane_rc pp)" "exit code of the sink"

# Every result on a line of its own, each once: none was drawn over.
pane >"$TEST_DIR/pane.txt"
grep -E '^[0-9]+$' "$TEST_DIR/pane.txt" | sort -n >"$TEST_DIR/results.txt"
seq 1 $N >"$TEST_DIR/want.txt"
cmp -s "$TEST_DIR/want.txt" "$TEST_DIR/results.txt" ||
    fail "results in the terminal are not 1..$N each on a line of its own: $(diff "$TEST_DIR/want.txt" "$TEST_DIR/results.txt" | head -n 5 | tr '\n' ' ')"
# Above the summary: the results, log messages, then the run's final
# progress line; nothing else (a line drawn over would be neither).
awk '/^run [0-9a-f]+ completed$/ { exit } { print }' "$TEST_DIR/pane.txt" |
    grep -vE '^[0-9]+$|^$|^[DINWE]: \(pp-sink\) ' >"$TEST_DIR/above.txt"
assert_eq 1 "$(wc -l <"$TEST_DIR/above.txt")" \
    "lines above the summary besides results and logs (the final progress line alone)"
assert_matches "$TEST_DIR/above.txt" \
    '^300/300 items 100\.0%  [0-9.]+/s  elapsed 0:00:[0-9]{2}$' \
    "the final progress line"

# A narrow terminal: the line is cut to its width, never wrapped (rows of
# a wrapped line could not be taken off: they would stay above it). The
# results go to -o /dev/tty, the same terminal by another name.
use_transport ipc
start_pane narrow 30 -o /dev/tty
start_worker w4 --job echo --threads 1
w4=$LAST_PID
start_ventilator vent2 --generate 100 --rate 50
vent2=$LAST_PID
expect_exit "$vent2" 30 0
expect_exit "$w4" 10 0
assert_eq 0 "$(pane_rc narrow)" "exit code of the narrow sink"
pane >"$TEST_DIR/narrow.txt"
awk '/^run [0-9a-f]+ completed$/ { exit } { print }' "$TEST_DIR/narrow.txt" |
    grep -vE '^[0-9]+$|^$|^[DINWE]: \(pp-sink\) ' >"$TEST_DIR/above.txt"
assert_eq 1 "$(wc -l <"$TEST_DIR/above.txt")" \
    "narrow: lines above the summary besides results and logs"
assert_matches "$TEST_DIR/above.txt" '^100/100 items 100\.0%  [0-9]+/s ' \
    "narrow: the final line"
line=$(cat "$TEST_DIR/above.txt")
((${#line} <= 29)) || fail "narrow: the final line is not cut to 29 columns: '$line'"
assert_eq 100 "$(grep -cE '^[0-9]+$' "$TEST_DIR/narrow.txt")" \
    "narrow: results on lines of their own"
