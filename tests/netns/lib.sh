# tests/netns/lib.sh -- a small cluster on one machine, for fault tests.
#
# Each "host" is a network namespace with one veth pair into a private
# bridge (in the root namespace, no address there): real TCP between
# hosts, links that can be cut (no FIN, no RST), slowed (tc netem), made
# lossy (nft on the bridge) or pulled out with the host behind them.
# Sourced by tests/netns/t_*.sh (through fault.sh, sink_restart.sh); it
# sources tests/e2e/lib.sh (processes under timeout, expect_exit,
# assert_*) and tests/e2e/ctl_lib.sh (bin_pid, signal_bin,
# assert_exact_set):
#
#     . "$(dirname "$0")/lib.sh"
#     nn_setup head w1 w2                       # or: skipped, exit 0
#     nn_endpoints head                         # PP_* at the head host
#     nn_start sink head pp-sink --insecure --output "$out"
#     nn_start w1 w1 pp-worker --job echo
#     ...
#     nn_link_down w1                           # a fault
#
# Whatever happens, the EXIT trap kills every process of the test, deletes
# the namespaces, the veths, the bridge and the nft table, and then fails
# the test if any namespace, link, table or process of it is still there.
# Every process runs under timeout (PP_HARD_TIMEOUT, 60 s: lib.sh's).
#
# Names are unique per test run: tag nn<pid>, namespaces <tag><host>,
# host-side veths v<tag><host>, bridge b<tag>; the subnet is 10.<x>.<y>.0/24
# with a random y.  Hosts get .1 (the first named), .2, ...
#
# Environment:
#   PP_NETNS_KEEP_NS=1  keep the namespaces on failure (debugging; the
#                       leftover check is then skipped)

NETNS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$NETNS_DIR/../e2e/lib.sh"
. "$NETNS_DIR/../e2e/ctl_lib.sh"

NN_TAG=nn$$
NN_BRIDGE=b$NN_TAG
NN_NET=10.$((RANDOM % 20 + 200)).$((RANDOM % 250 + 2))
NN_HOSTS=()               # host names, in the order made
NN_MADE_BRIDGE=0
declare -A NN_NS=()       # host -> namespace name
declare -A NN_VETH=()     # host -> host-side veth (the ns side is eth0)
declare -A NN_ADDR=()     # host -> IPv4 address
declare -A NN_GONE=()     # host -> 1 once killed and deleted on purpose
declare -A NN_HOST_OF=()  # pid (of a started process) -> host

# --- skip and teardown -------------------------------------------------------

# Not a failure: this machine cannot run the test.  One clear line, exit 0.
nn_skip() {
    nn_teardown >/dev/null 2>&1
    echo "skipped: $*"
    exit 0
}

nn_ns_pids() {
    ip netns pids "$1" 2>/dev/null
}

# Kills every process still in the test's namespaces (each one a failure:
# a test waits for, or stops, every process it started), deletes the
# namespaces, the veths, the bridge and the nft table, and fails for
# anything left.
nn_teardown() {
    local host ns pid left
    if [[ ${PP_NETNS_KEEP_NS:-0} == 1 ]] && ((PP_FAILURES > 0)); then
        log "kept namespaces ${NN_NS[*]} and bridge $NN_BRIDGE"
        return
    fi
    for host in "${NN_HOSTS[@]}"; do
        ns=${NN_NS[$host]}
        left=$(nn_ns_pids "$ns")
        if [[ -n $left ]]; then
            for pid in $left; do
                fail "leftover process on host $host: pid $pid:" \
                    "$(tr '\0' ' ' </proc/"$pid"/cmdline 2>/dev/null)"
            done
            # shellcheck disable=SC2086
            kill -9 $left 2>/dev/null
            local deadline=$(($(now_ms) + 3000))
            while [[ -n $(nn_ns_pids "$ns") ]] && (($(now_ms) < deadline)); do
                sleep 0.02
            done
        fi
    done
    for host in "${NN_HOSTS[@]}"; do
        ip netns del "${NN_NS[$host]}" 2>/dev/null
        ip link del "${NN_VETH[$host]}" 2>/dev/null
    done
    ((NN_MADE_BRIDGE)) && ip link del "$NN_BRIDGE" 2>/dev/null
    command -v nft >/dev/null && nft delete table bridge "$NN_TAG" 2>/dev/null
    nn_check_clean
}

# Fails for any namespace, link or process of this test that still exists.
nn_check_clean() {
    local left pid ns link
    left=$(ip netns list 2>/dev/null | awk '{print $1}' | grep -F "$NN_TAG")
    if [[ -n $left ]]; then
        fail "namespaces left behind: ${left//$'\n'/ } (deleting them)"
        for ns in $left; do
            ip netns pids "$ns" 2>/dev/null | xargs -r kill -9
            ip netns del "$ns"
        done
    fi
    left=$(ip -o link show 2>/dev/null | grep -F "$NN_TAG" |
        awk -F': ' '{sub(/@.*/, "", $2); print $2}')
    if [[ -n $left ]]; then
        fail "links left behind: ${left//$'\n'/ } (deleting them)"
        for link in $left; do ip link del "$link" 2>/dev/null; done
    fi
    if command -v nft >/dev/null; then
        left=$(nft list tables 2>/dev/null | grep -F "$NN_TAG")
        [[ -n $left ]] && fail "nft tables left behind: $left"
    fi
    # Processes: every one started (and its children) must be gone; a
    # process still inside a deleted namespace would keep it alive unseen.
    local deadline=$(($(now_ms) + 3000))
    for pid in "${PP_PIDS[@]}"; do
        while s_alive "$pid" && (($(now_ms) < deadline)); do
            sleep 0.02
        done
    done
    # s_cleanup (lib.sh) then fails for, and kills, whatever is still alive.
}

nn_on_exit() {
    local st=$?
    trap - EXIT
    nn_teardown
    (exit "$st")
    s_cleanup
}

# --- hosts and links -----------------------------------------------------------

# nn_setup HOST...: one namespace per host on a fresh bridge.  The first
# host is conventionally "head" (ventilator and sink).  Skips the test
# where namespaces cannot be made.
nn_setup() {
    local host i=1 err
    [[ $(id -u) == 0 ]] || nn_skip "needs root for ip netns (uid $(id -u))"
    command -v ip >/dev/null || nn_skip "no ip command (apt-get install iproute2)"
    trap nn_on_exit EXIT
    err=$(ip link add "$NN_BRIDGE" type bridge 2>&1) ||
        nn_skip "cannot create a bridge: $err"
    NN_MADE_BRIDGE=1
    ip link set "$NN_BRIDGE" up || die "cannot set $NN_BRIDGE up"
    for host in "$@"; do
        NN_HOSTS+=("$host")
        NN_NS[$host]=$NN_TAG$host
        NN_VETH[$host]=v$NN_TAG$host
        NN_ADDR[$host]=$NN_NET.$i
        ((${#NN_VETH[$host]} <= 15)) || die "name too long: ${NN_VETH[$host]}"
        err=$(ip netns add "${NN_NS[$host]}" 2>&1) ||
            nn_skip "ip netns add is not permitted here: $err"
        ip link add "${NN_VETH[$host]}" type veth peer name eth0 \
            netns "${NN_NS[$host]}" || die "cannot make a veth for $host"
        ip link set "${NN_VETH[$host]}" master "$NN_BRIDGE" up ||
            die "cannot put ${NN_VETH[$host]} on $NN_BRIDGE"
        ip -n "${NN_NS[$host]}" addr add "${NN_ADDR[$host]}/24" dev eth0 ||
            die "cannot address $host"
        ip -n "${NN_NS[$host]}" link set eth0 up || die "eth0 of $host"
        ip -n "${NN_NS[$host]}" link set lo up || die "lo of $host"
        i=$((i + 1))
    done
    # Every host reaches the first one before anything starts.
    for host in "${NN_HOSTS[@]:1}"; do
        nn_ping "$host" "${NN_ADDR[${NN_HOSTS[0]}]}" ||
            die "$host cannot reach ${NN_HOSTS[0]} over the bridge"
    done
}

# nn_ping HOST ADDR: true once HOST opens a TCP connection to ADDR (a
# refused port counts: the packets went both ways), within 5 s.
nn_ping() {
    local host=$1 addr=$2 deadline=$(($(now_ms) + 5000))
    while (($(now_ms) < deadline)); do
        ip netns exec "${NN_NS[$host]}" timeout 1 bash -c \
            "exec 3<>/dev/tcp/$addr/9" 2>&1 | grep -q 'refused' && return 0
        sleep 0.05
    done
    return 1
}

# nn_endpoints HOST: the four endpoints on HOST's address (fixed ports:
# every namespace has a network stack of its own).
nn_endpoints() {
    local a=${NN_ADDR[$1]}
    export PP_TASKS=tcp://$a:5557 PP_RESULTS=tcp://$a:5558
    export PP_CONTROL=tcp://$a:5559 PP_ACKS=tcp://$a:5560
}

# nn_link_down HOST / nn_link_up HOST: both ends of HOST's veth.  Down, the
# peers see nothing at all: no FIN, no RST, packets just vanish.
nn_link_down() {
    ip link set "${NN_VETH[$1]}" down || fail "cannot set ${NN_VETH[$1]} down"
    ip -n "${NN_NS[$1]}" link set eth0 down || fail "cannot set eth0 of $1 down"
}
nn_link_up() {
    ip -n "${NN_NS[$1]}" link set eth0 up || fail "cannot set eth0 of $1 up"
    ip link set "${NN_VETH[$1]}" up || fail "cannot set ${NN_VETH[$1]} up"
}

# nn_netem_probe: true if tc can attach netem here; else prints why.
nn_netem_probe() {
    local err host=${NN_HOSTS[0]}
    command -v tc >/dev/null || { echo "no tc command (apt-get install iproute2)"; return 1; }
    if ! err=$(ip netns exec "${NN_NS[$host]}" \
        tc qdisc add dev lo root netem delay 1ms 2>&1); then
        echo "tc netem unavailable (kernel without sch_netem?): ${err:-tc failed}"
        return 1
    fi
    ip netns exec "${NN_NS[$host]}" tc qdisc del dev lo root 2>/dev/null
    return 0
}

# nn_netem HOST ARGS...: netem on both ends of HOST's veth (so DELAY is
# added each way: the round trip grows by twice DELAY).
nn_netem() {
    local host=$1
    shift
    tc qdisc add dev "${NN_VETH[$host]}" root netem "$@" ||
        fail "tc netem on ${NN_VETH[$host]}"
    ip netns exec "${NN_NS[$host]}" tc qdisc add dev eth0 root netem "$@" ||
        fail "tc netem on eth0 of $host"
}

# nn_loss_probe: true if nft can filter bridged packets here; else prints
# why.  (Loss without netem: the kernel may lack sch_netem.)
nn_loss_probe() {
    local err
    command -v nft >/dev/null || { echo "no nft command (apt-get install nftables)"; return 1; }
    if ! err=$(nft add table bridge "$NN_TAG" 2>&1); then
        echo "nft cannot make a bridge table: $err"
        return 1
    fi
    return 0
}

# nn_loss HOST PERCENT: the bridge drops PERCENT % of the frames going to
# HOST and PERCENT % of those coming from it, at random (nft numgen): loss
# on the wire, which TCP must repair; neither end sees anything else.
nn_loss() {
    local v=${NN_VETH[$1]} pct=$2
    nft -f - <<EOF || fail "nft: cannot add the loss rules"
table bridge $NN_TAG {
    chain forward {
        type filter hook forward priority 0; policy accept;
        oifname "$v" numgen random mod 100 < $pct drop
        iifname "$v" numgen random mod 100 < $pct drop
    }
}
EOF
}

# nn_kill_host HOST: the host dies at once, like a power cut: its link goes
# first (so not even the kernel's FIN or RST of the killed sockets gets
# out), then every process in it gets SIGKILL, then the namespace is
# deleted (and with it the veth pair).
nn_kill_host() {
    local host=$1 ns=${NN_NS[$1]} pids deadline
    nn_link_down "$host"
    pids=$(nn_ns_pids "$ns")
    # shellcheck disable=SC2086
    [[ -n $pids ]] && kill -9 $pids
    deadline=$(($(now_ms) + 3000))
    while [[ -n $(nn_ns_pids "$ns") ]] && (($(now_ms) < deadline)); do
        sleep 0.02
    done
    [[ -z $(nn_ns_pids "$ns") ]] || fail "processes of $host survive SIGKILL"
    ip netns del "$ns" || fail "cannot delete namespace $ns"
    ip link del "${NN_VETH[$host]}" 2>/dev/null
    NN_GONE[$host]=1
}

# --- processes -------------------------------------------------------------------

# nn_start NAME HOST BINARY [ARGS...]: lib.sh's pp_start, on HOST: the
# binary runs as `timeout ... ip netns exec NS BINARY` (ip netns exec
# execs, so the binary is timeout's child, as bin_pid expects).
nn_start() {
    local name=$1 host=$2 bin=$BIN_DIR/$3
    shift 3
    [[ -n ${PP_PID_OF[$name]:-} ]] && die "process name '$name' used twice"
    [[ -x $bin ]] || die "no binary $bin (run make, or set BUILD)"
    [[ -n ${NN_NS[$host]:-} ]] || die "no host '$host'"
    printf '%q ' ip netns exec "${NN_NS[$host]}" "$bin" "$@" \
        >"$TEST_DIR/$name.cmd"
    timeout -k 5 "$PP_HARD_TIMEOUT" ip netns exec "${NN_NS[$host]}" \
        "$bin" "$@" <"${PP_STDIN:-/dev/null}" \
        >"$TEST_DIR/$name.out" 2>"$TEST_DIR/$name.err" &
    LAST_PID=$!
    PP_PIDS+=("$LAST_PID")
    PP_NAME_OF[$LAST_PID]=$name
    PP_PID_OF[$name]=$LAST_PID
    NN_HOST_OF[$LAST_PID]=$host
}

# nn_stop PID: a process the test gives up on (a worker cut off for good,
# or one that hangs): SIGKILL to its process group, then up to 5 s for it
# and its children to be gone; records its exit code as "killed".
nn_stop() {
    local pid=$1 deadline
    kill -s KILL -- "-$pid" 2>/dev/null
    kill -s KILL "$pid" 2>/dev/null
    deadline=$(($(now_ms) + 5000))
    while s_alive "$pid" && (($(now_ms) < deadline)); do
        sleep 0.02
    done
    if s_alive "$pid"; then
        fail "cannot kill ${PP_NAME_OF[$pid]:-pid $pid}: $(ps -o pid=,stat=,wchan=,args= -g "$pid" | tr '\n' ';')"
    fi
    wait "$pid" 2>/dev/null
    PP_EXIT_OF[$pid]=killed
}

# --- observation -------------------------------------------------------------------

# nn_hex_addr A.B.C.D: the address as /proc/net/tcp shows it (x86: the
# 32-bit word in host order, i.e. the octets reversed).
nn_hex_addr() {
    local IFS=.
    # shellcheck disable=SC2086
    set -- $1
    printf '%02X%02X%02X%02X' "$4" "$3" "$2" "$1"
}

# nn_tcp_peers PID ADDR: how many ESTABLISHED TCP connections process PID
# holds with ADDR (its sockets' inodes, looked up in /proc/PID/net/tcp, the
# table of its network namespace: no fork into the namespace needed).
# Prints "gone" once PID has no open files any more (it exited).
nn_tcp_peers() {
    local pid=$1 hex inodes
    hex=$(nn_hex_addr "$2")
    inodes=$(ls -l "/proc/$pid/fd" 2>/dev/null) || { echo gone; return; }
    [[ -z $inodes ]] && { echo gone; return; }
    awk -v a="$hex" '
        NR == FNR { if (match($0, /socket:\[[0-9]+\]/))
                        own[substr($0, RSTART + 8, RLENGTH - 9)] = 1
                    next }
        $4 == "01" && index($3, a ":") == 1 && ($10 in own) { n++ }
        END { print n + 0 }' <(echo "$inodes") "/proc/$pid/net/tcp" 2>/dev/null ||
        echo gone
}

# nn_lines FILE: its line count, 0 if missing.
nn_lines() {
    local n
    n=$(wc -l <"$1" 2>/dev/null) || n=0
    echo "${n:-0}"
}

# nn_result KEY=VALUE...: a measurement, one line on stdout that run.sh
# collects into its table ("RESULT test=... key=value ...").
nn_result() {
    echo "RESULT test=$TEST_NAME $*"
}

# nn_worker_items STATS PID: the items the worker with that pid has in the
# sink's --stats-json (0 if none).
nn_worker_items() {
    [[ -s $1 ]] || { echo 0; return; }
    if command -v jq >/dev/null; then
        jq -r --arg p "$2" '[.workers[] | select((.pid | tostring) == $p)
            | .items] | add // 0' "$1"
    else
        python3 -c 'import json, sys
print(sum(w["items"] for w in json.load(open(sys.argv[1]))["workers"]
          if str(w["pid"]) == sys.argv[2]))' "$1" "$2"
    fi
}

# nn_tx_bytes HOST: bytes the bridge sent down HOST's link so far.
nn_tx_bytes() {
    cat "/sys/class/net/${NN_VETH[$1]}/statistics/tx_bytes" 2>/dev/null || echo 0
}

# nn_busiest MS HOST...: of the HOSTs, the one whose link carried the most
# bytes towards it during the next MS milliseconds (the worker getting
# the most tasks now: a fault there hits items in flight).
nn_busiest() {
    local ms=$1 host best='' most=-1 delta
    shift
    declare -A before=()
    for host in "$@"; do before[$host]=$(nn_tx_bytes "$host"); done
    sleep "$(awk -v m="$ms" 'BEGIN { printf "%.3f", m / 1000 }')"
    for host in "$@"; do
        delta=$(($(nn_tx_bytes "$host") - before[$host]))
        if ((delta > most)); then
            most=$delta
            best=$host
        fi
    done
    echo "$best"
}

# nn_wait PID SECONDS: like wait_pid, but running past SECONDS is not a
# failure by itself: sets NN_RC to the exit code, or to "hung" (the
# process is then stopped).  For outcomes a test reports, not asserts.
nn_wait() {
    local pid=$1 deadline=$(($(now_ms) + $(secs_to_ms "$2")))
    while kill -0 "$pid" 2>/dev/null; do
        if (($(now_ms) >= deadline)); then
            nn_stop "$pid"
            NN_RC=hung
            PP_EXIT_OF[$pid]=hung
            return
        fi
        sleep 0.02
    done
    wait "$pid" 2>/dev/null
    NN_RC=$?
    PP_EXIT_OF[$pid]=$NN_RC
}

# nn_debug_ss HOST TITLE: TITLE, then HOST's TCP sockets with timers.
nn_debug_ss() {
    echo "$2"
    [[ -n ${NN_GONE[$1]:-} ]] && return
    ip netns exec "${NN_NS[$1]}" ss -tanoi 2>&1
}
