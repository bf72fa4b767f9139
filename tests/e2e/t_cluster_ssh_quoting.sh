#!/usr/bin/env bash
# scripts/cluster.sh with its default launcher, ssh -tt {host}: ssh joins
# its arguments with spaces and hands them to the remote user's shell, so
# cluster.sh must quote each word for it. Here a stand-in ssh on PATH does
# exactly that (sh -c "$*") on this machine. A command job sh -c '...{}...'
# must reach pp-worker as the user wrote it -- before the fix it arrived as
# sh -c printf ... and every item failed -- and hostile items still print
# literally, nothing of them run. Then the same through launchers the
# first fix missed: ssh not first (`timeout 60 ssh -o "..." {host}`: a
# template word with a blank, quoted), a worker argument with spaces,
# quotes and an &; and {cmd} (`sh -c {cmd}`): the quoted command at its
# place. A template with an unmatched quote is exit 2.
. "$(dirname "$0")/lib.sh"
use_transport ipc

fake=$TEST_DIR/bin
mkdir -p "$fake"
cat >"$fake/ssh" <<'SSH'
#!/bin/sh
# ssh's way: options and the host skipped, the rest joined with spaces
# and run by the (remote) shell.
# Options with a value (-o, -p, ...) take the next word; the value of -o
# must arrive whole (it is one of ssh's arguments), and is checked.
while [ $# -gt 0 ]; do
    case $1 in
        -o) [ "$2" = "ServerAliveInterval 5" ] || exit 255; shift 2 ;;
        -[pliFJ]) shift 2 ;;
        -*) shift ;;
        *) shift; break ;;
    esac
done
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

# run_cluster NAME LAUNCHER WORKER-ARGS...: items through workers started
# by cluster.sh with LAUNCHER; the sink's output.
run_cluster() {
    local name=$1 launcher=$2
    shift 2
    use_transport ipc
    start_sink "$name-sink" --ordered
    local sink=$LAST_PID
    PATH=$fake:$PATH PP_WORKER=$BIN_DIR/pp-worker BIN_DIR=$ROOT/scripts \
        pp_start "$name" cluster.sh "$TEST_DIR/hosts.txt" --launcher "$launcher" \
        -- --threads 1 "$@"
    local cluster=$LAST_PID
    start_ventilator "$name-vent" --wait-workers 2 "$items"
    expect_exit "$sink" 30 0
    expect_exit "$LAST_PID" 10 0
    expect_exit "$cluster" 10 0
}
arg='say "a & b"'
want="<a b> $arg
<\$(touch $marker)> $arg
<it's> $arg
<x;y> $arg
<*> $arg"
run_cluster timeout 'timeout 60 ssh -o "ServerAliveInterval 5" {host}' \
    -- sh -c 'printf "<%s> %s\n" {} "$0"' "$arg"
assert_eq "$want" "$(cat "$(out_of timeout-sink)")" "through timeout ... ssh"
run_cluster placeholder 'sh -c {cmd}' -- sh -c 'printf "<%s> %s\n" {} "$0"' "$arg"
assert_eq "$want" "$(cat "$(out_of placeholder-sink)")" "through sh -c {cmd}"
if [[ -e $marker ]]; then fail "an item ran: $marker exists"; fi

BIN_DIR=$ROOT/scripts pp_start unmatched cluster.sh "$TEST_DIR/hosts.txt" \
    --launcher "ssh -o 'x {host}" -- --job echo
expect_exit "$LAST_PID" 10 2
assert_contains "$(err_of unmatched)" "not a command line" "an unmatched quote"
