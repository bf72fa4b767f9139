# tests/netns/fault.sh -- one fault, one flow, on a three-host cluster.
#
# Sourced by t_<fault>_<flow>.sh with FAULT and FLOW set (and FLAP_MS for
# a flap of another length).  The fault hits the "victim": of the two
# worker hosts, the one whose link carried the most tasks in the 200 ms
# before the fault (so it holds items in flight).
#
#   FAULT  none      no fault: the baseline the recovery times compare to
#          linkdown  the victim's link goes down for good (both veth ends;
#                    no FIN, no RST): the other worker finishes the run
#          flap      the victim's link goes down for FLAP_MS (default
#                    2000), then up again
#          netem     the victim's link gets netem delay 50ms loss 5% on
#                    both ends, to the end of the run (skipped where tc
#                    netem is not available)
#          loss      the bridge drops 5 % of the victim's frames each way
#                    (nftables, bridge family: loss without netem, no
#                    delay; skipped where nft is missing)
#          hostkill  the victim host dies like a power cut: its link goes
#                    down, every process in it gets SIGKILL, its namespace
#                    is deleted
#   FLOW   credit    ventilator --heartbeat 200ms --liveness 5
#          push      ventilator --ack-timeout 2s
#
# Hosts: head (ventilator, sink), w1 and w2 (a pp-worker --job echo
# --threads 2 each).  The ventilator generates 1..N at RATE items/s
# (20000 at 5000/s: 4 s) once both workers said hello; the fault lands
# once the sink has written N/4 results (about 1 s in).
#
# Must hold: the sink's --output holds every item of 1..N exactly once
# (sorted output == seq 1 N), its stats say total = ok = N, not aborted;
# the sink, the ventilator and the other worker exit 0; the run completes
# (the sink exits) within BOUND_S (15) s of the fault; the victim had
# results before the fault.  In credit flow, the ventilator must have
# declared a cut or killed victim dead (its log says so).  A victim cut
# or killed: the ventilator (run with --linger 5s so it can be watched
# that long) must have closed every TCP connection with it within
# HB_BOUND_S (5) s of the fault: its ZMTP heartbeats (1 s, timeout 3 s)
# notice a peer gone without a FIN.  Cut off for good, the victim never
# hears DONE and the test stops it; killed, its status is SIGKILL's.
# After a flap, netem or loss it exits by itself: 0 when it heard DONE, 1
# when its control connection stayed stalled past the run and it gave up
# after --ventilator-timeout (README, "Fixed"); still running is a failure.
#
# Knobs (environment): PP_NETNS_ITEMS (N), PP_NETNS_RATE, PP_NETNS_FLAP_MS,
# PP_NETNS_FAULT_AT_PCT (25), PP_NETNS_BOUND_S,
# PP_NETNS_WORKER_ARGS (e.g. -v), PP_NETNS_DEBUG=1 (the victim's sockets
# every poll, in victim-ss.log of the kept test directory: PP_E2E_KEEP=1).
#
# Prints one RESULT line with the measured times (ms):
#   fault_at   fault time after the first result
#   detect     fault -> the ventilator's log declares the victim dead
#              (credit flow; "-": never)
#   conn_gone  fault -> the ventilator holds no established TCP connection
#              with the victim any more: its ZMTP heartbeats closed them
#              ("-": not while the ventilator lived; or, for a victim
#              that came back, not before the run completed)
#   recovery   fault -> the run is complete (the sink exited)
#   extra      how much later than a fault-free run it completed:
#              complete - (first result + N/RATE)

FAULT=${FAULT:?set FAULT}
FLOW=${FLOW:?set FLOW}
. "$(dirname "$0")/lib.sh"

N=${PP_NETNS_ITEMS:-20000}
RATE=${PP_NETNS_RATE:-5000}
FLAP_MS=${FLAP_MS:-${PP_NETNS_FLAP_MS:-2000}}
FAULT_AT_PCT=${PP_NETNS_FAULT_AT_PCT:-25}   # fault once this % is in
BOUND_S=${PP_NETNS_BOUND_S:-15}   # fault -> run complete, at most
HB_BOUND_S=5   # fault -> the ventilator dropped a cut victim: 3 s + 1 s + slack
NETEM=(delay 50ms loss 5%)
LOSS_PCT=5

nn_setup head w1 w2
case $FAULT in
    netem) why=$(nn_netem_probe) || nn_skip "$why" ;;
    loss) why=$(nn_loss_probe) || nn_skip "$why" ;;
esac
nn_endpoints head

case $FLOW in
    credit) vent_flow=(--flow credit --heartbeat 200ms --liveness 5) ;;
    push) vent_flow=(--flow push --ack-timeout 2s) ;;
    *) die "FLOW must be credit or push, not '$FLOW'" ;;
esac

out=$TEST_DIR/results.txt
stats=$TEST_DIR/stats.json
nn_start sink head pp-sink --insecure --flow "$FLOW" --output "$out" \
    --stats-json "$stats"
sink=$LAST_PID
read -ra worker_extra <<<"${PP_NETNS_WORKER_ARGS:-}"
for w in w1 w2; do
    nn_start "$w" "$w" pp-worker --flow "$FLOW" --job echo --threads 2 \
        --ventilator-timeout 10s "${worker_extra[@]}"
done
# A victim cut off for good: the ventilator stays (announcing DONE) long
# enough to be seen closing its connections with it on its own.
vent_linger=()
[[ $FAULT =~ ^(linkdown|hostkill)$ ]] && vent_linger=(--linger "${HB_BOUND_S}s")
nn_start vent head pp-ventilator --insecure "${vent_flow[@]}" \
    --generate "$N" --rate "$RATE" --wait-workers 2 "${vent_linger[@]}"
vent=$LAST_PID
vent_bin=$(bin_pid "$vent") || die "the ventilator did not start"

# The first result, then the moment of the fault: on the worker host
# that is getting the most tasks right now.
wait_for_lines "$out" 1 20 || die "no result within 20 s"
t_first=$(now_ms)
wait_for_lines "$out" $((N * FAULT_AT_PCT / 100)) 20 ||
    die "the run does not progress"
victim=$(nn_busiest 200 w1 w2)
other=w1
[[ $victim == w1 ]] && other=w2
victim_pid=${PP_PID_OF[$victim]}
victim_bin=$(bin_pid "$victim_pid") || die "$victim is not running"
dead_msg='its unacked items go to other workers'
deaths_before=$(grep -c "$dead_msg" "$(err_of vent)")
t_fault=$(now_ms)
case $FAULT in
    none) ;;
    linkdown | flap) nn_link_down "$victim" ;;
    netem) nn_netem "$victim" "${NETEM[@]}" ;;
    loss) nn_loss "$victim" "$LOSS_PCT" ;;
    hostkill) nn_kill_host "$victim" ;;
    *) die "unknown FAULT '$FAULT'" ;;
esac
log "fault $FAULT on $victim at $((t_fault - t_first)) ms after the first" \
    "result ($(nn_lines "$out") results)"

# Until the ventilator exits (it outlives the sink by its --linger): bring
# a flapped link back, note when the run completed (the sink exited) and
# when the head noticed the fault (the ventilator's log; its TCP
# connections with the victim).
t_detect='' t_gone='' t_up='' t_done=''
deadline=$((t_fault + BOUND_S * 1000))
while kill -0 "$vent" 2>/dev/null && (($(now_ms) < deadline + 5000)); do
    now=$(now_ms)
    [[ -z $t_done ]] && ! kill -0 "$sink" 2>/dev/null && t_done=$now
    [[ -z $t_done ]] && ((now >= deadline)) && break
    if [[ $FAULT == flap && -z $t_up ]] && ((now >= t_fault + FLAP_MS)); then
        nn_link_up "$victim"
        t_up=$now
    fi
    if [[ $FAULT != none ]]; then
        [[ -z $t_detect ]] &&
            (($(grep -c "$dead_msg" "$(err_of vent)") > deaths_before)) &&
            t_detect=$now
        # Once the run is over a victim that is still connected leaves on
        # DONE and closes its connections itself: that is no detection.
        [[ -z $t_gone ]] && [[ -z $t_done || $FAULT =~ ^(linkdown|hostkill)$ ]] &&
            [[ $(nn_tcp_peers "$vent_bin" "${NN_ADDR[$victim]}") == 0 ]] &&
            t_gone=$now
    fi
    [[ -n ${PP_NETNS_DEBUG:-} ]] &&
        nn_debug_ss "$victim" "@$((now - t_fault))" >>"$TEST_DIR/victim-ss.log"
    sleep 0.02
done
[[ $FAULT == flap && -z $t_up ]] && nn_link_up "$victim"
expect_exit "$sink" 1 0   # fails if it missed the bound (then killed)
t_done=${t_done:-$(now_ms)}
expect_exit "$vent" 10 0
if [[ -n ${PP_NETNS_DEBUG:-} ]]; then
    nn_debug_ss "$victim" "victim after the run" >&2
    nn_debug_ss head "head after the run" >&2
fi
expect_exit "${PP_PID_OF[$other]}" 10 0
case $FAULT in
    linkdown) nn_stop "$victim_pid" ;;   # cut off for good: never hears DONE
    hostkill) expect_exit "$victim_pid" 5 137 ;;   # timeout's SIGKILL status
    *)  # It came back. It hears DONE and exits 0 -- or, when its control
        # connection stayed stalled until the ventilator had left, it gives
        # up after --ventilator-timeout (10 s here) and exits 1. Never hangs.
        nn_wait "$victim_pid" 15
        victim_exit=$NN_RC
        case $victim_exit in
            0) ;;
            1) log "$victim missed DONE and left after its ventilator timeout" ;;
            *) fail "$victim came back after the $FAULT but did not exit 0" \
                   "or 1 within 15 s after the run (exit: $victim_exit)" ;;
        esac
        ;;
esac
((t_done - t_fault <= BOUND_S * 1000)) ||
    fail "the run took $((t_done - t_fault)) ms after the fault (bound ${BOUND_S} s)"

assert_exact_set "$out" "$N"
assert_counts "$stats" "$N" "$N" 0 0
[[ -e $out.journal ]] && fail "the journal outlived the completed run"

# The victim was part of the run before the fault (else it proved nothing).
victim_items=$(nn_worker_items "$stats" "$victim_bin")
((${victim_items:-0} > 0)) ||
    fail "$victim (pid $victim_bin) has no results: the fault hit an idle worker"
if [[ $FLOW == credit && $FAULT =~ ^(linkdown|hostkill)$ && -z $t_detect ]]; then
    fail "the ventilator never declared $victim dead"
fi
if [[ $FAULT =~ ^(linkdown|hostkill)$ ]] &&
    { [[ -z $t_gone ]] || ((t_gone - t_fault > HB_BOUND_S * 1000)); }; then
    fail "the ventilator kept a connection with the cut $victim for more" \
        "than $HB_BOUND_S s (ZMTP heartbeat 1 s, timeout 3 s)"
fi

# A victim that came back closes its connections itself when it leaves on
# DONE, just before the sink exits: that is no detection.
if [[ -n $t_gone && ! $FAULT =~ ^(linkdown|hostkill)$ ]] &&
    ((t_done - t_gone < 300)); then
    t_gone=''
fi

since_fault() { [[ -n $1 ]] && echo $(($1 - t_fault)) || echo -; }
nn_result "fault=$FAULT" "flow=$FLOW" \
    "fault_at=$((t_fault - t_first))" "detect=$(since_fault "$t_detect")" \
    "conn_gone=$(since_fault "$t_gone")" "recovery=$((t_done - t_fault))" \
    "extra=$((t_done - t_first - N * 1000 / RATE))" \
    "redelivered=$(json_get "$stats" redelivered)" \
    "duplicates=$(json_get "$stats" duplicates)" "victim_items=$victim_items" \
    "victim_exit=${victim_exit:-n/a}" "deaths_before_fault=$deaths_before"
true
