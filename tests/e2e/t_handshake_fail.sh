#!/usr/bin/env bash
# A refused handshake is never silent. A worker whose --curve-server is not
# the servers' key says so within seconds, naming the flag; the ventilator
# says a peer failed. A sink whose key pair the workers do not expect: the
# worker reaches the ventilator, and says within seconds that --results
# refuses it; the sink counts the failures (handshake_failures). A
# plaintext worker facing CURVE servers is told to give --curve-secret.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ctl_lib.sh"
use_transport tcp
keys=$TEST_DIR/keys
mkdir -p "$keys/allow"
for who in server worker stranger other; do
    "$BIN_DIR/pp-worker" --keygen "$keys/$who.key" >/dev/null ||
        die "--keygen $who failed"
done
cp "$keys/server.key" "$keys/worker.key" "$keys/other.key" "$keys/allow/"
server=(--curve-secret "$keys/server.key_secret" --curve-allow "$keys/allow")

# 1. A worker with the wrong server key, another without CURVE at all.
#    Each is refused on --control and --acks: a worker given no --flow
#    makes its tasks socket once the ventilator's STATE told it the flow.
start_ventilator vent --generate 10 "${server[@]}"
vent=$LAST_PID
start_worker wrongkey --job echo --curve-secret "$keys/worker.key_secret" \
    --curve-server "$keys/stranger.key"
wrongkey=$LAST_PID
start_worker plain --job echo
plain=$LAST_PID
# On --control or --acks (the ventilator serves both), whichever is first.
on='--(control|acks) \(from PP_(CONTROL|ACKS)\) [^ ]+'
wait_for_line "$(err_of wrongkey)" \
    "$on: the CURVE handshake failed: --curve-server $keys/stranger.key is not" 5
wait_for_line "$(err_of plain)" \
    "$on: the server requires CURVE: give --curve-secret and --curve-server here" 5
wait_for_line "$(err_of vent)" \
    "$on: a peer failed the CURVE handshake: its --curve-server is not our public key" 5
# Once per endpoint and reason, however often the worker tries again.
for flag in control acks; do
    n=$(grep -c -- "--$flag (from PP_.*handshake failed" "$(err_of wrongkey)")
    ((n <= 1)) || fail "the --$flag failure is logged $n times, not once"
done
signal_bin INT "$wrongkey"
signal_bin INT "$plain"
expect_exit "$wrongkey" 5 0
expect_exit "$plain" 5 0
signal_bin INT "$vent" # nothing was sent: the first signal ends it
expect_exit "$vent" 5 3

# 2. The sink has a key pair of its own: the worker takes tasks, and its
#    results are refused.
use_transport tcp
stats=$TEST_DIR/stats.json
start_sink sink --sum --stats-json "$stats" \
    --curve-secret "$keys/other.key_secret" --curve-allow "$keys/allow"
sink=$LAST_PID
start_ventilator vent2 --generate 10 "${server[@]}"
vent2=$LAST_PID
start_worker worker --job echo --curve-secret "$keys/worker.key_secret" \
    --curve-server "$keys/server.key"
worker=$LAST_PID
wait_for_line "$(err_of worker)" \
    "--results \(from PP_RESULTS\) $PP_RESULTS: the CURVE handshake failed: --curve-server $keys/server.key is not" 5
wait_for_line "$(err_of sink)" \
    "--results \(from PP_RESULTS\) $PP_RESULTS: a peer failed the CURVE handshake" 5
wait_for_line "$(err_of sink)" \
    "--control \(from PP_CONTROL\) $PP_CONTROL: the CURVE handshake failed: the ventilator's --curve-secret is not ours" 5
# Abort: the workers hear it from the ventilator; the sink, which never
# heard of the run, ends on its first signal.
signal_bin INT "$vent2"
wait_signal_taken INT "$vent2" 5 # else the two may arrive as one
signal_bin INT "$vent2"
expect_exit "$vent2" 5 3
expect_exit "$worker" 5 3
signal_bin INT "$sink"
expect_exit "$sink" 5 3
failures=$(json_get "$stats" handshake_failures)
[[ $failures =~ ^[0-9]+$ ]] && ((failures >= 2)) ||
    fail "handshake_failures: expected at least 2, got '$failures'"
assert_matches "$(err_of sink)" "handshake failures: [0-9]+" "the summary counts them"
