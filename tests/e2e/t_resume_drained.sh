#!/usr/bin/env bash
# issue 13: a drain stops the input (SIGTERM), the ventilator is killed -9
# while the items already sent finish, the sink lives on (it may have
# heard the drained total). Resumed, the ventilator reads no further than
# the drain did (the journal says the input was stopped): the run drains
# again and completes with exactly the records 1..K the drain kept, K as
# the drain printed; every process exits 0.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ctl_lib.sh"
. "$(dirname "$0")/resume_lib.sh"
use_transport ipc

out=$TEST_DIR/out.txt
journal=$TEST_DIR/vent.journal
args=(--generate 400 --rate 200 --batch 1 --journal "$journal")
start_sink sink --output "$out"
sink=$LAST_PID
start_worker w1 --threads 2 -- sh -c 'sleep 0.1; echo "$1"' sh {}
w1=$LAST_PID
start_ventilator v1 "${args[@]}"
v1=$LAST_PID
wait_for_lines "$out" 10 20
signal_bin TERM "$v1"
wait_for_line "$(err_of v1)" "draining: stopped after record" 5
k=$(grep -oE 'stopped after record [0-9]+' "$(err_of v1)" | grep -oE '[0-9]+$')
# The journal's STOPPED record (type 3) is written once the drained total
# is final, before it is announced.
deadline=$(($(now_ms) + 5000))
until grep -qaP 'PPVJ\x00\x00\x00\x03' "$journal"; do
    (($(now_ms) < deadline)) || { fail "no STOPPED record in the journal"; break; }
    sleep 0.02
done
kill9 "$v1"
start_ventilator v2 "${args[@]}" --resume
expect_exit "$LAST_PID" 30 0
expect_exit "$sink" 10 0
expect_exit "$w1" 10 0
assert_contains "$(err_of v2)" "a drain had stopped the input" \
    "the resumed run drains again"
assert_exact_set "$out" "$k"
log "drained at record $k of 400, killed, resumed: exactly 1..$k"
