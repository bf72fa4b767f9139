#!/usr/bin/env bash
# scripts/cluster.sh with its default launcher, ssh -tt {host}: ssh joins
# its arguments with spaces and hands them to the remote user's shell, so
# cluster.sh must quote each word for it. Here a stand-in ssh on PATH does
# exactly that (sh -c "$*") on this machine. A command job sh -c '...{}...'
# must reach pp-worker as the user wrote it -- before the fix it arrived as
# sh -c printf ... and every item failed -- and hostile items still print
# literally, nothing of them run.
. "$(dirname "$0")/lib.sh"
use_transport ipc

fake=$TEST_DIR/bin
mkdir -p "$fake"
cat >"$fake/ssh" <<'SSH'
#!/bin/sh
# ssh's way: options and the host skipped, the rest joined with spaces
# and run by the (remote) shell.
while [ $# -gt 0 ]; do case $1 in -*) shift ;; *) shift; break ;; esac; done
exec sh -c "$*"
SSH
chmod +x "$fake/ssh"
printf 'localhost 2\n' >"$TEST_DIR/hosts.txt"

marker=$TEST_DIR/pwned
items=$TEST_DIR/items
printf '%s\n' 'a b' "\$(touch $marker)" "it's" 'x;y' '*' >"$items"

stats=$TEST_DIR/stats.json
start_sink sink --ordered --stats-json "$stats"
sink=$LAST_PID
PATH=$fake:$PATH PP_WORKER=$BIN_DIR/pp-worker BIN_DIR=$ROOT/scripts \
    pp_start cluster cluster.sh "$TEST_DIR/hosts.txt" \
    -- --threads 1 -- sh -c 'printf "<%s>\n" {}'
cluster=$LAST_PID
start_ventilator vent --wait-workers 2 "$items"
vent=$LAST_PID
expect_exit "$sink" 30 0
expect_exit "$vent" 10 0
expect_exit "$cluster" 10 0
assert_counts "$stats" 5 5 0 0
assert_eq "<a b>
<\$(touch $marker)>
<it's>
<x;y>
<*>" "$(cat "$(out_of sink)")" "items through ssh-launched workers"
if [[ -e $marker ]]; then fail "an item ran: $marker exists"; fi
