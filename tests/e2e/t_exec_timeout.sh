#!/usr/bin/env bash
# --timeout: a child that ignores SIGTERM is killed after --kill-grace,
# the item fails "timed out after 500ms", and no child survives.
. "$(dirname "$0")/lib.sh"
use_transport ipc

pids=$TEST_DIR/child.pids
stats=$TEST_DIR/stats.json
start_sink sink --stats-json "$stats"
sink=$LAST_PID
start_worker worker --threads 2 --timeout 500ms --kill-grace 300ms -- \
    sh -c "echo \$\$ >>$pids; trap '' TERM; sleep 60"
worker=$LAST_PID
t0=$(now_ms)
start_ventilator vent --generate 2
vent=$LAST_PID
expect_exit "$sink" 10 4
elapsed=$(($(now_ms) - t0))
((elapsed < 3000)) || fail "2 timed-out items took $elapsed ms"
expect_exit "$worker" 10 4
expect_exit "$vent" 10 4
assert_counts "$stats" 2 0 2 0
assert_contains "$stats" '"reason": "timed out after 500ms"' "reason"
for pid in $(cat "$pids"); do
    if kill -0 "$pid" 2>/dev/null; then
        fail "child $pid outlived its item"
    fi
done
