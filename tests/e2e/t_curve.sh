#!/usr/bin/env bash
# CURVE on every endpoint. An allowed worker completes the run; a worker
# with a key the servers do not know receives nothing; a rogue PUSH into
# the sink with an unknown key adds nothing. Plaintext on a non-loopback
# bind without --insecure is refused with exit 2, CURVE is a way out.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ctl_lib.sh"
use_transport tcp
rogue=$BIN_DIR/tests/tools/pp_rogue
keys=$TEST_DIR/keys
mkdir -p "$keys/allow"
for who in server worker stranger; do
    "$BIN_DIR/pp-worker" --keygen "$keys/$who.key" >/dev/null ||
        die "--keygen $who failed"
done
assert_eq 600 "$(stat -c %a "$keys/server.key_secret")" "secret key mode"
cp "$keys/server.key" "$keys/worker.key" "$keys/allow/"

server=(--curve-secret "$keys/server.key_secret" --curve-allow "$keys/allow")
N=5000
stats=$TEST_DIR/stats.json
start_worker stranger --job square --curve-secret "$keys/stranger.key_secret" \
    --curve-server "$keys/server.key"
stranger=$LAST_PID
start_sink sink --sum --stats-json "$stats" "${server[@]}"
sink=$LAST_PID
start_worker worker --job square --curve-secret "$keys/worker.key_secret" \
    --curve-server "$keys/server.key"
worker=$LAST_PID
"$rogue" forge "$PP_RESULTS" 0 --curve-secret "$keys/stranger.key_secret" \
    --curve-server "$keys/server.key" >/dev/null
start_ventilator vent --generate $N --wait-workers 1 "${server[@]}"
vent=$LAST_PID

expect_exit "$sink" 40 0
expect_exit "$vent" 10 0
expect_exit "$worker" 10 0
assert_eq "$(sum_of_squares $N)" "$(cat "$(out_of sink)")" "sum with CURVE"
assert_eq 1 "$(json_worker_items "$stats" | wc -l)" "only the allowed worker"
# The stranger never heard of the run: it is still waiting, with nothing.
kill -0 "$stranger" 2>/dev/null || fail "the stranger worker exited"
signal_bin INT "$stranger"
expect_exit "$stranger" 5 0

# Protected mode: plaintext beyond loopback is refused ...
start_sink open --results tcp://0.0.0.0:$((20000 + RANDOM % 10000))
expect_exit "$LAST_PID" 5 2
assert_contains "$(err_of open)" "--insecure" "the error names --insecure"
assert_contains "$(err_of open)" "--curve-secret" "the error names CURVE"
# ... and CURVE is accepted instead of --insecure (bind, then stop: a
# sink with no run ends on the first signal).
port=$(free_ports 1)
start_sink curved --results "tcp://0.0.0.0:$port" "${server[@]}"
curved=$LAST_PID
wait_for_bind "tcp://0.0.0.0:$port" 5
kill -0 "$curved" 2>/dev/null || fail "a CURVE sink on 0.0.0.0 was refused"
signal_bin INT "$curved"
expect_exit "$curved" 5 3
