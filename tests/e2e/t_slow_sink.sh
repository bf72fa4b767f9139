#!/usr/bin/env bash
# A sink that starts late loses nothing: acks are only for outcomes the
# sink really recorded, so what went out before it listened is sent again.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ctl_lib.sh"
use_transport tcp

N=5000
for flow in push credit; do
    start_worker w.$flow -v --flow $flow --job square --threads 2
    w=$LAST_PID
    start_ventilator vent.$flow --flow $flow --generate $N --ack-timeout 1s
    vent=$LAST_PID
    # The run is dispatching with nobody to collect results, and stays so
    # for longer than the ack timeout: that time is what is tested.
    wait_for_line "$(err_of w.$flow)" "the first tasks arrived" 10
    sleep 1.5
    start_sink sink.$flow --sum
    sink=$LAST_PID
    expect_exit "$sink" 40 0
    expect_exit "$vent" 10 0
    expect_exit "$w" 10 0
    assert_eq "$(sum_of_squares $N)" "$(cat "$(out_of sink.$flow)")" \
        "sum with a late sink ($flow)"
done
