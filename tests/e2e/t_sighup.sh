#!/usr/bin/env bash
# SIGHUP (a closed terminal, a dropped `ssh -t`) is a stop signal like
# SIGINT and SIGTERM, not sudden death: an idle --serve worker leaves
# (exit 0), a sink before any run and a ventilator with no worker yet end
# at once (exit 3, as on SIGTERM). Under nohup, SIGHUP stays ignored: a
# worker given HUP then INT saw only the INT (one stop: exit 0; two would
# be "exit at once", 3). Before, SIGHUP killed each of them outright.
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

# nohup: pp_start runs BIN_DIR/NAME, so nohup is named relative to it.
nohup_rel=$(realpath --relative-to="$BIN_DIR" "$(command -v nohup)")
use_transport ipc
pp_start wn "$nohup_rel" "$BIN_DIR/pp-worker" --serve --job square
wn=$LAST_PID
wait_for_line "$(err_of wn)" "$waiting" 20
signal_bin HUP "$wn"
wait_signal_taken HUP "$wn" 5
signal_bin INT "$wn"
expect_exit "$wn" 10 0
