#!/usr/bin/env bash
# IPv6 and interface names. A run over tcp://[::1] completes exactly.
# Protected mode counts [::1] as loopback and [::], other IPv6 addresses
# and interface names other than lo as public. tcp://lo:PORT binds lo's
# IPv4 address, so peers on 127.0.0.1 reach it. Skipped (with the reason)
# where this machine has no IPv6 loopback.
. "$(dirname "$0")/lib.sh"

skip() {
    echo "skipped: $*"
    exit 0
}

command -v ip >/dev/null || skip "no ip command (iproute2)"
ip -6 addr show dev lo 2>/dev/null | grep -q 'inet6 ::1/' ||
    skip "lo has no ::1 (ip -6 addr show lo)"
command -v python3 >/dev/null || skip "no python3 to find free ports on ::1"
# Four ports free on ::1, below the ephemeral range as free_ports does.
mapfile -t ports < <(python3 - <<'PY'
import errno, random, socket, sys
held, ports = [], []
while len(ports) < 4:
    port = random.randrange(10000, 32000)
    s = socket.socket(socket.AF_INET6)
    try:
        s.bind(("::1", port))
    except OSError as e:
        s.close()
        if e.errno == errno.EADDRNOTAVAIL:
            print("EADDRNOTAVAIL")
            sys.exit(0)
        continue
    held.append(s)
    ports.append(port)
print("\n".join(map(str, ports)))
PY
)
[[ ${ports[0]:-} == EADDRNOTAVAIL ]] && skip "binding [::1] fails: EADDRNOTAVAIL"
((${#ports[@]} == 4)) || die "cannot find 4 free ports on ::1"
export PP_TASKS="tcp://[::1]:${ports[0]}" PP_RESULTS="tcp://[::1]:${ports[1]}"
export PP_CONTROL="tcp://[::1]:${ports[2]}" PP_ACKS="tcp://[::1]:${ports[3]}"

N=20000
stats=$TEST_DIR/stats.json
start_sink sink --sum --stats-json "$stats"
sink=$LAST_PID
start_worker w1 --job square --threads 2
w1=$LAST_PID
start_worker w2 --job square --threads 2
w2=$LAST_PID
start_ventilator vent --generate $N --wait-workers 2
vent=$LAST_PID
expect_exit "$sink" 30 0
expect_exit "$vent" 10 0
expect_exit "$w1" 10 0
expect_exit "$w2" 10 0
assert_eq "$(sum_of_squares $N)" "$(cat "$(out_of sink)")" "sum over [::1]"
assert_counts "$stats" $N $N 0 0
assert_json "$stats" handshake_failures 0

# Protected mode, IPv6: these never bind (exit 2 before anything).
opened=0
for ep in "tcp://[::]:${ports[1]}" "tcp://[fd00::1]:${ports[1]}" \
    "tcp://[fe80::1%lo]:${ports[1]}" "tcp://[::ffff:10.0.0.1]:${ports[1]}" \
    "tcp://eth0:${ports[1]}"; do
    name=open.$((++opened))
    start_sink "$name" --sum --results "$ep"
    expect_exit "$LAST_PID" 5 2
    assert_contains "$(err_of "$name")" "--results: refusing to bind plaintext $ep" \
        "$ep is not loopback"
done

# An interface name: lo binds 127.0.0.1, where IPv4 peers connect.
use_transport tcp
port=${PP_RESULTS##*:}
start_sink lo --sum --results "tcp://lo:$port"
sink=$LAST_PID
start_worker w3 --job square
w3=$LAST_PID
start_ventilator vent2 --generate 100
vent2=$LAST_PID
expect_exit "$sink" 30 0
expect_exit "$vent2" 10 0
expect_exit "$w3" 10 0
assert_eq "$(sum_of_squares 100)" "$(cat "$(out_of lo)")" "sum with tcp://lo"
