#!/usr/bin/env bash
# A credit-flow worker that keeps the ventilator's tasks but loses its
# control (admitted on one socket and not the other, as when the
# ventilator runs out of descriptors: t_many_workers) hears no STATE and
# leaves after --ventilator-timeout. It hands back what it has not
# started, so those items are requeued without counting as deliveries
# lost with it; the old worker dropped them, and a few such workers in a
# row gave an item up ("gave up after N deliveries": t_many_workers failed
# so under load). Here the worker's control goes through a TCP relay that
# is killed once the worker holds items: the ventilator must log the
# hand-back, and the run end exact on the healthy worker.
. "$(dirname "$0")/lib.sh"
use_transport tcp

N=60
for _ in $(seq 1 "$N"); do echo 50; done >"$TEST_DIR/sleeps.txt"
stats=$TEST_DIR/stats.json

# relay LISTEN_PORT TARGET_PORT: forwards TCP on 127.0.0.1 both ways.
mapfile -t relay_port < <(free_ports 1)
python3 -c '
import socket, sys, threading
def pump(a, b):
    try:
        while True:
            data = a.recv(65536)
            if not data:
                break
            b.sendall(data)
    except OSError:
        pass
    for s in (a, b):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
server = socket.socket()
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", int(sys.argv[1])))
server.listen(8)
while True:
    conn, _ = server.accept()
    up = socket.create_connection(("127.0.0.1", int(sys.argv[2])))
    for a, b in ((conn, up), (up, conn)):
        threading.Thread(target=pump, args=(a, b), daemon=True).start()
' "${relay_port[0]}" "${PP_CONTROL##*:}" 2>"$TEST_DIR/relay.err" &
relay=$!

start_sink sink --sum --stats-json "$stats"
sink=$LAST_PID
start_worker half -v --job sleep --threads 1 --capacity 40 --flow credit \
    --control "tcp://127.0.0.1:${relay_port[0]}" --ventilator-timeout 1s
half=$LAST_PID
start_ventilator vent --flow credit --batch 1 --max-deliver 2 --wait-workers 1 \
    "$TEST_DIR/sleeps.txt"
vent=$LAST_PID
wait_for_line "$(err_of half)" "the first tasks arrived" 20
kill "$relay"
wait "$relay" 2>/dev/null
start_worker good --job sleep --threads 2 --flow credit
good=$LAST_PID

expect_exit "$vent" 60 0
expect_exit "$sink" 20 0
expect_exit "$good" 20 0
expect_exit "$half" 20 1 # it left the run: it cannot know how it ended
assert_eq "$((N * 50))" "$(cat "$(out_of sink)")" "sum of the sleeps"
assert_counts "$stats" "$N" "$N" 0 0
assert_contains "$(err_of half)" "no word from the ventilator" \
    "the half-connected worker left for the silence"
assert_matches "$(err_of vent)" "is leaving; [1-9][0-9]* items handed back" \
    "it handed back what it had not started"
