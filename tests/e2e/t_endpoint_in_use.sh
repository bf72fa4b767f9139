#!/usr/bin/env bash
# An endpoint in use is never taken over. libzmq removes an ipc:// path
# before binding it, so a second ventilator (or sink) started with the
# same paths used to steal them from a running one without a word. Now a
# second ventilator or sink on endpoints in use -- ipc or tcp -- exits 1
# naming the flag and the endpoint, and the first run completes exactly.
. "$(dirname "$0")/lib.sh"

# wait_bound SECONDS: until the ventilator's and sink's endpoints are bound
# (an ipc socket file exists, or a tcp port accepts).
wait_bound() {
    local deadline=$(($(now_ms) + $(secs_to_ms "$1"))) ep ready
    while :; do
        ready=1
        for ep in "$PP_TASKS" "$PP_RESULTS" "$PP_CONTROL" "$PP_ACKS"; do
            case $ep in
                ipc://*) [[ -S ${ep#ipc://} ]] || ready=0 ;;
                tcp://*)
                    local hostport=${ep#tcp://}
                    (exec 3<>"/dev/tcp/${hostport%:*}/${hostport##*:}") \
                        2>/dev/null || ready=0
                    ;;
            esac
        done
        ((ready)) && return 0
        (($(now_ms) >= deadline)) && die "endpoints not bound within $1 s"
        sleep 0.02
    done
}

# one_transport ipc|tcp: a run waits for its worker while a second
# ventilator and a second sink try its endpoints; then the worker comes.
one_transport() {
    local t=$1 N=300
    use_transport "$t"
    start_sink "sink.$t" --sum
    local sink=$LAST_PID
    start_ventilator "vent.$t" --generate $N --wait-workers 1
    local vent=$LAST_PID
    wait_bound 10

    start_ventilator "vent2.$t" --generate 7 --wait-workers 1
    expect_exit "$LAST_PID" 10 1
    assert_contains "$(err_of "vent2.$t")" "--tasks (from PP_TASKS): cannot bind $PP_TASKS" \
        "$t: the second ventilator names the flag and the endpoint"
    # A fresh tasks endpoint, but control in use: refused all the same,
    # and what it bound first is let go.
    local tasks=$PP_TASKS
    case $t in
        ipc) tasks=ipc://$TEST_DIR/fresh.tasks ;;
        tcp) tasks=tcp://127.0.0.1:$(free_ports 1) ;;
    esac
    start_ventilator "vent3.$t" --generate 7 --wait-workers 1 --tasks "$tasks"
    expect_exit "$LAST_PID" 10 1
    assert_contains "$(err_of "vent3.$t")" "--control (from PP_CONTROL): cannot bind $PP_CONTROL" \
        "$t: the third ventilator names --control and the endpoint"
    start_sink "sink2.$t" --sum
    expect_exit "$LAST_PID" 10 1
    assert_contains "$(err_of "sink2.$t")" "--results (from PP_RESULTS): cannot bind $PP_RESULTS" \
        "$t: the second sink names the flag and the endpoint"

    start_worker "worker.$t" --job square --threads 2
    local worker=$LAST_PID
    expect_exit "$sink" 30 0
    expect_exit "$vent" 10 0
    expect_exit "$worker" 10 0
    assert_eq "$(sum_of_squares $N)" "$(cat "$(out_of "sink.$t")")" \
        "$t: the first run's sum"
}

one_transport ipc
one_transport tcp
# A path that is not a socket is never removed to bind there.
echo keep >"$TEST_DIR/data.txt"
start_sink notasocket --sum --results "ipc://$TEST_DIR/data.txt"
expect_exit "$LAST_PID" 10 1
assert_contains "$(err_of notasocket)" "is not a socket" "a plain file is refused"
assert_eq keep "$(cat "$TEST_DIR/data.txt")" "the plain file is kept"
