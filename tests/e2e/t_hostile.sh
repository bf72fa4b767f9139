#!/usr/bin/env bash
# A real run over tcp loopback under attack: random bytes to every port
# from plain TCP clients; a ZeroMQ peer sending malformed frames (short,
# long, bad magic, bad version, unknown type, foreign run id, broken batch,
# an oversized item, a message over the size limit) to the sink and to the
# ventilator; a rogue PULL that swallows tasks. The run still finishes with
# the exact result, and the sink counts what it rejected, by reason.
. "$(dirname "$0")/lib.sh"
use_transport tcp
rogue=$BIN_DIR/tests/tools/pp_rogue
[[ -x $rogue ]] || die "no $rogue (make e2e builds it)"

N=20000
stats=$TEST_DIR/stats.json
start_sink sink --sum --stats-json "$stats" --max-item-size 64K
sink=$LAST_PID
start_worker w1 --job square --threads 2 --max-item-size 64K
w1=$LAST_PID
start_ventilator vent --generate $N --rate 8000 --ack-timeout 1s \
    --max-item-size 64K
vent=$LAST_PID

# Random bytes at every port, a few connections each.
python3 - "$PP_TASKS" "$PP_RESULTS" "$PP_CONTROL" "$PP_ACKS" <<'PY' ||
import os, socket, sys
for endpoint in sys.argv[1:]:
    host, port = endpoint[len("tcp://"):].rsplit(":", 1)
    for size in (1, 10, 64, 4096):
        s = socket.create_connection((host, int(port)), timeout=2)
        try:
            s.sendall(os.urandom(size))
        except OSError:
            pass   # the peer may hang up on us: that is the point
        s.close()
PY
    fail "could not reach the ports with plain TCP"
"$rogue" junk "$PP_RESULTS" --control "$PP_CONTROL" \
    >"$TEST_DIR/junk-sink.txt" ||
    fail "pp_rogue junk (sink) failed"
"$rogue" junk "$PP_ACKS" >"$TEST_DIR/junk-vent.txt" ||
    fail "pp_rogue junk (ventilator) failed"
"$rogue" forge "$PP_RESULTS" deadbeef >/dev/null || fail "pp_rogue forge"
"$rogue" swallow "$PP_TASKS" 0.5 >"$TEST_DIR/swallowed.txt" ||
    fail "pp_rogue swallow failed"
log "rogue PULL swallowed $(cat "$TEST_DIR/swallowed.txt") task messages"

expect_exit "$sink" 60 0
expect_exit "$vent" 10 0
expect_exit "$w1" 10 0
assert_eq "$(sum_of_squares $N)" "$(cat "$(out_of sink)")" "sum under attack"
assert_counts "$stats" "$N" "$N" 0 0
for reason in short bad_version unknown_type oversized malformed_batch \
    foreign_run; do
    got=$(python3 -c 'import json, sys
print(json.load(open(sys.argv[1]))["rejected"][sys.argv[2]])' "$stats" "$reason")
    log "rejected $reason: $got"
    ((got > 0)) || fail "no $reason frame was counted as rejected"
done
