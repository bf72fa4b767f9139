#!/usr/bin/env bash
# Endpoint values are checked before anything binds or connects: a port
# outside 1..65535 (tcp://127.0.0.1:88888 used to bind port 23352), port 0
# or * (a random port no peer could find), a missing or non-numeric port,
# a bare IPv6 address, an empty ipc path -- each is exit 2 naming the flag
# and the value, on every binary, for every endpoint flag, and naming the
# PP_* variable when the value came from there.
. "$(dirname "$0")/lib.sh"
PP_DUMP_LOGS=0 # dozens of processes: each failure shows its own case

declare -A job=([pp-ventilator]="--generate 3" [pp-worker]="--job echo"
    [pp-sink]="--sum")
bad_values=("tcp://127.0.0.1:88888|port 88888 is out of range"
    "tcp://127.0.0.1:0|port 0 (any free port)"
    "tcp://127.0.0.1:*|port * (any free port)"
    "tcp://127.0.0.1|has no port"
    "tcp://127.0.0.1:55x|port '55x' is not a number"
    "tcp://::1:5557|write an IPv6 address in brackets"
    "ipc://|has no path")
for bin in pp-ventilator pp-worker pp-sink; do
    for flag in --tasks --results --control --acks; do
        for case in "${bad_values[@]}"; do
            value=${case%%|*} reason=${case#*|}
            # shellcheck disable=SC2086  # the job words split on purpose
            expect_usage_error "$bin $flag $value" "$flag: '$value'" \
                "$bin" ${job[$bin]} "$flag" "$value"
            assert_contains "$(err_of "$USAGE_CASE")" "$reason" \
                "$bin $flag $value: the reason"
        done
    done
    # The same from the environment: the message names the variable.
    for var in PP_TASKS PP_RESULTS PP_CONTROL PP_ACKS; do
        flag=--$(tr 'A-Z' 'a-z' <<<"${var#PP_}")
        export "$var=tcp://127.0.0.1:88888"
        # shellcheck disable=SC2086
        expect_usage_error "$bin $var=...:88888" \
            "$flag (from $var): 'tcp://127.0.0.1:88888': port 88888 is out of range" \
            "$bin" ${job[$bin]}
        use_transport ipc # back to good endpoints
    done
done
