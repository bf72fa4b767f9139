#!/usr/bin/env bash
# -o to something that is not a regular file (/dev/null here) gets no
# journal: it cannot be cut back and resumed. A bug made one anyway,
# PATH.journal beside it: root wrote /dev/null.journal.new, and any other
# user's sink exited 1 without a word. Run as user nobody when we are
# root, so the old behaviour fails this test; --resume with such an
# output is a usage error naming the flag.
. "$(dirname "$0")/lib.sh"
use_transport tcp

# --resume needs a regular file: exit 2, and the message says why.
start_sink resume -o /dev/null --resume
expect_exit "$LAST_PID" 10 2
assert_contains "$(err_of resume)" "--resume needs --output to be a regular file" "usage error"

as_nobody=()
if [[ $(id -u) == 0 ]] && command -v setpriv >/dev/null; then
    as_nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups)
else
    log "not root (or no setpriv): the sink runs as $(id -un)"
fi

# The sink as another user: outside pp_start, which runs our binaries as
# they are. tcp endpoints need no shared directory.
timeout -k 5 60 "${as_nobody[@]}" "$BIN_DIR/pp-sink" -o /dev/null --sum \
    --no-progress </dev/null >"$TEST_DIR/sink.out" 2>"$TEST_DIR/sink.err" &
sink=$!
PP_PIDS+=("$sink")
PP_NAME_OF[$sink]=sink
start_worker worker --job square
worker=$LAST_PID
start_ventilator vent --generate 1000
vent=$LAST_PID

expect_exit "$sink" 30 0
expect_exit "$worker" 10 0
expect_exit "$vent" 10 0
# --sum with -o writes the sum to the output: /dev/null. The ventilator
# says what the sink recorded.
assert_contains "$(err_of vent)" "1000 items, 1000 ok, 0 failed" "ventilator summary"
[[ ! -e /dev/null.journal && ! -e /dev/null.journal.new ]] ||
    fail "a journal was made beside /dev/null"
