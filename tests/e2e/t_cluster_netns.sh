#!/usr/bin/env bash
# scripts/cluster.sh with an `ip netns exec {host}` launcher: two network
# namespaces joined by a bridge act as two worker hosts; the ventilator and
# sink run in this namespace on the bridge address. The pipeline completes
# exactly; then a command job with an argument holding spaces and quotes,
# through a template with a quoted word (env "PP_NOTE=..." ip netns exec
# {host}), prints every item with both intact. The namespaces and links
# are gone afterwards. Skipped (with the reason) where network namespaces
# cannot be made.
. "$(dirname "$0")/lib.sh"

tag=pp$$
bridge=br$tag
net=10.213.$((RANDOM % 200 + 20))
hosts=("${tag}a" "${tag}b")

teardown() {
    local ns
    for ns in "${hosts[@]}"; do ip netns del "$ns" 2>/dev/null; done
    ip link del "$bridge" 2>/dev/null
}

skip() {
    teardown
    echo "skipped: $*"
    exit 0
}

[[ $(id -u) == 0 ]] || skip "needs root for ip netns"
command -v ip >/dev/null || skip "no ip command (iproute2)"
ip link add "$bridge" type bridge 2>/dev/null || skip "cannot create a bridge"
trap 'st=$?; teardown; (exit $st); s_cleanup' EXIT
ip addr add "$net.1/24" dev "$bridge"
ip link set "$bridge" up
i=10
for ns in "${hosts[@]}"; do
    ip netns add "$ns" || skip "ip netns add is not permitted here"
    ip link add "v$ns" type veth peer name eth0 netns "$ns"
    ip link set "v$ns" master "$bridge" up
    ip -n "$ns" addr add "$net.$i/24" dev eth0
    ip -n "$ns" link set eth0 up
    ip -n "$ns" link set lo up
    i=$((i + 1))
done

# The bridge address must be bindable before anyone binds it.
for _ in $(seq 1 100); do
    python3 -c "import socket; socket.socket().bind(('$net.1', 0))" \
        2>/dev/null && break
    sleep 0.05
done
mapfile -t ports < <(free_ports 4)
export PP_TASKS=tcp://$net.1:${ports[0]} PP_RESULTS=tcp://$net.1:${ports[1]}
export PP_CONTROL=tcp://$net.1:${ports[2]} PP_ACKS=tcp://$net.1:${ports[3]}

N=20000
stats=$TEST_DIR/stats.json
start_sink sink --insecure --sum --stats-json "$stats"
sink=$LAST_PID
printf '%s 2\n# a comment\n%s 1\n' "${hosts[0]}" "${hosts[1]}" \
    >"$TEST_DIR/hosts.txt"
PP_WORKER=$BIN_DIR/pp-worker BIN_DIR=$ROOT/scripts pp_start cluster cluster.sh \
    "$TEST_DIR/hosts.txt" --launcher 'ip netns exec {host}' \
    -- --flow credit --job square --threads 1
cluster=$LAST_PID
start_ventilator vent --insecure --flow credit --generate $N --wait-workers 3
vent=$LAST_PID

expect_exit "$sink" 40 0
expect_exit "$vent" 10 0
expect_exit "$cluster" 10 0
assert_eq "$(sum_of_squares $N)" "$(cat "$(out_of sink)")" "sum over netns"
assert_eq 3 "$(json_worker_items "$stats" | wc -l)" "workers on the hosts"

mapfile -t ports < <(free_ports 4)
export PP_TASKS=tcp://$net.1:${ports[0]} PP_RESULTS=tcp://$net.1:${ports[1]}
export PP_CONTROL=tcp://$net.1:${ports[2]} PP_ACKS=tcp://$net.1:${ports[3]}
printf '%s\n' 'a b' "it's" '$HOME' >"$TEST_DIR/items"
start_sink sink2 --insecure --ordered
sink2=$LAST_PID
arg='say "hi" & '"'bye'"
PP_WORKER=$BIN_DIR/pp-worker BIN_DIR=$ROOT/scripts pp_start cluster2 cluster.sh \
    "$TEST_DIR/hosts.txt" --launcher 'env "PP_NOTE=a  b" ip netns exec {host}' \
    -- --threads 1 -- sh -c 'printf "<%s> %s %s\n" {} "$0" "$PP_NOTE"' "$arg"
cluster2=$LAST_PID
start_ventilator vent2 --insecure --wait-workers 3 "$TEST_DIR/items"
expect_exit "$sink2" 40 0
expect_exit "$LAST_PID" 10 0
expect_exit "$cluster2" 10 0
assert_eq "<a b> $arg a  b
<it's> $arg a  b
<\$HOME> $arg a  b" "$(cat "$(out_of sink2)")" "arguments through ip netns exec"

teardown
for ns in "${hosts[@]}"; do
    ip netns list | grep -qw "$ns" && fail "namespace $ns left behind"
done
ip link show "$bridge" >/dev/null 2>&1 && fail "bridge $bridge left behind"
true
