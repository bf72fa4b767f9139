#!/usr/bin/env bash
# --retries in credit flow sends a failed item to a worker it did not fail
# on whenever one is connected, even when that one has no credit at the
# moment. One worker's command always fails, the other's works (slower,
# so it is often out of credit); --retries 1; started in either order:
# every item ends ok. Before, a retry went back to the failing worker
# whenever the other had no credit left, and many items failed.
. "$(dirname "$0")/lib.sh"
use_transport ipc

N=400
want=$((N * (N + 1) / 2))

for order in bad-first good-first; do
    stats=$TEST_DIR/stats.$order.json
    start_sink sink.$order --sum --stats-json "$stats"
    sink=$LAST_PID
    start_ventilator vent.$order -v -v --flow credit --generate $N \
        --retries 1 --wait-workers 2
    vent=$LAST_PID
    workers=()
    joined=0
    for role in $([[ $order == bad-first ]] && echo bad good || echo good bad); do
        if [[ $role == bad ]]; then
            start_worker $role.$order --flow credit --threads 2 -- false
        else
            start_worker $role.$order --flow credit --threads 2 \
                -- sh -c 'sleep 0.005; echo {}'
        fi
        workers+=("$LAST_PID")
        joined=$((joined + 1))
        wait_for_line "$(err_of vent.$order)" "said hello \($joined so far\)" 10
    done
    expect_exit "$sink" 60 0
    expect_exit "$vent" 10 0
    for pid in "${workers[@]}"; do expect_exit "$pid" 10 0; done
    assert_eq "$want" "$(cat "$(out_of sink.$order)")" "sum ($order)"
    assert_counts "$stats" $N $N 0 0
done
