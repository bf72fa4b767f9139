#!/usr/bin/env bash
# A poison item: its command kills its own worker (kill -9 of the
# pp-worker that spawned it), and shell loops restart the workers. With
# --max-deliver 4 the item is delivered exactly 4 times (4 workers die),
# then fails "gave up after 4 deliveries" with its input; every other
# item is exact and every process exits 4 -- in both flows. Before
# --max-deliver the item was sent again and again and the run never ended.
. "$(dirname "$0")/lib.sh"
use_transport ipc

N=200
POISON=13
cmd='test {} = '$POISON' && kill -9 $PPID; echo {}'
want=$((N * (N + 1) / 2 - POISON))

# start_worker_loop NAME ARGS...: a shell that runs pp-worker ARGS again
# each time it is killed (exit 137), writing each exit code to NAME.exits,
# and exits with the first other code. Registered like pp_start's.
start_worker_loop() {
    local name=$1 script=$TEST_DIR/$1.loop.sh
    shift
    cat >"$script" <<EOF
while :; do
    "$BIN_DIR/pp-worker" "\$@" >>"$TEST_DIR/$name.out" 2>>"$TEST_DIR/$name.err"
    rc=\$?
    echo \$rc >>"$TEST_DIR/$name.exits"
    [ \$rc -eq 137 ] || exit \$rc
done
EOF
    timeout -k 5 "$PP_HARD_TIMEOUT" bash "$script" "$@" </dev/null \
        >/dev/null 2>>"$TEST_DIR/$name.err" &
    LAST_PID=$!
    PP_PIDS+=("$LAST_PID")
    PP_NAME_OF[$LAST_PID]=$name
    PP_PID_OF[$name]=$LAST_PID
}

for flow in credit push; do
    stats=$TEST_DIR/stats.$flow.json
    start_sink sink.$flow --sum --stats-json "$stats"
    sink=$LAST_PID
    loops=()
    for i in 1 2; do
        start_worker_loop loop.$flow.$i --flow $flow --threads 2 \
            -- sh -c "$cmd"
        loops+=("$LAST_PID")
    done
    start_ventilator vent.$flow --flow $flow --generate $N --max-deliver 4 \
        --heartbeat 200ms --ack-timeout 1s --wait-workers 1
    vent=$LAST_PID
    expect_exit "$sink" 40 4
    expect_exit "$vent" 10 4
    for pid in "${loops[@]}"; do expect_exit "$pid" 10 4; done
    assert_eq "$want" "$(cat "$(out_of sink.$flow)")" "sum without $POISON ($flow)"
    assert_counts "$stats" $N $((N - 1)) 1 0
    assert_contains "$stats" '"reason": "gave up after 4 deliveries: ' \
        "the reason ($flow)"
    assert_contains "$stats" "\"input\": \"$POISON\"" "its input ($flow)"
    deaths=$(cat "$TEST_DIR"/loop.$flow.*.exits | grep -c '^137$')
    assert_eq 4 "$deaths" "workers the poison item killed ($flow)"
done
