#!/usr/bin/env bash
# SIGHUP (a closed terminal, a dropped `ssh -t`) is a stop signal like
# SIGINT and SIGTERM, not sudden death: an idle --serve worker leaves
# (exit 0), a sink before any run and a ventilator with no worker yet end
# at once (exit 3, as on SIGTERM); twice, it is still one stop. Under
# nohup, SIGHUP stays ignored. Before, SIGHUP killed each of them
# outright (exit 129).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ctl_lib.sh"
use_transport ipc

waiting='waiting for a ventilator since'
start_worker w --serve --job square
w=$LAST_PID
start_sink sink --sum
sink=$LAST_PID
wait_for_line "$(err_of w)" "$waiting" 20
wait_for_line "$(err_of sink)" "$waiting" 20
signal_bin HUP "$w"
expect_exit "$w" 10 0
signal_bin HUP "$sink"
expect_exit "$sink" 10 3

use_transport ipc
start_ventilator vent --generate 10
vent=$LAST_PID
wait_for_line "$(err_of vent)" "waiting for workers since" 20
signal_bin HUP "$vent"
expect_exit "$vent" 10 3

# A closed terminal may send SIGHUP twice (the shell to its jobs, then
# the kernel as the session leader exits): one stop, not two. A worker
# running an item, given HUP twice, finishes it and leaves (0); two stops
# would be "exit at once" (3).
use_transport ipc
started=$TEST_DIR/started
printf '7\n' >"$TEST_DIR/one"
start_sink sink2 --sum
sink2=$LAST_PID
start_worker w2 --threads 1 -- sh -c "touch $started; sleep 1; echo {}"
w2=$LAST_PID
start_ventilator vent2 "$TEST_DIR/one"
vent2=$LAST_PID
deadline=$(($(now_ms) + 20000))
until [[ -e $started ]]; do
    (($(now_ms) < deadline)) || fail "the item did not start within 20 s"
    sleep 0.02
done
signal_bin HUP "$w2"
wait_signal_taken HUP "$w2" 5
signal_bin HUP "$w2"
expect_exit "$w2" 20 0
expect_exit "$sink2" 20 0
expect_exit "$vent2" 20 0
assert_eq 7 "$(cat "$(out_of sink2)")" "the item finished and was counted"

# nohup: pp_start runs BIN_DIR/NAME, so nohup is named relative to it
# (-s: not resolved, in case it is a link to a multi-call binary). Its
# SIGHUP stays ignored (SigIgn, bit 0), and HUP then INT is one stop.
nohup_rel=$(realpath -s --relative-to="$BIN_DIR" "$(command -v nohup)")
use_transport ipc
pp_start wn "$nohup_rel" "$BIN_DIR/pp-worker" --serve --job square
wn=$LAST_PID
wait_for_line "$(err_of wn)" "$waiting" 20
child=$(bin_pid "$wn")
ignored=$(awk '$1 == "SigIgn:" { print $2 }' "/proc/$child/status")
(((0x$ignored & 1) == 1)) || fail "under nohup SIGHUP is not ignored ($ignored)"
signal_bin HUP "$wn"
wait_signal_taken HUP "$wn" 5
signal_bin INT "$wn"
expect_exit "$wn" 10 0
