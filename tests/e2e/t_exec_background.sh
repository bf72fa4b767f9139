#!/usr/bin/env bash
# A command that leaves a process in the background (`sleep 1000 &`),
# which holds its stdout open: the command's exit ends the item, what it
# wrote is the result, and what it left in its process group is ended.
# Per item (a big output too), with --timeout (the output is kept,
# nothing times out), and with --pipe (a command that answers and exits
# is started again; one that dies fails its item with its status and
# stderr).
. "$(dirname "$0")/lib.sh"
use_transport ipc

# Each command writes its pid -- its process group, which lib.sh's
# leftover check does not see -- to this file.
groups=$TEST_DIR/groups

# group_left: fails for every recorded process group that still has a
# live process (a background sleep), and kills it.
group_left() {
    local pgid
    for pgid in $(cat "$groups" 2>/dev/null); do
        if s_alive "$pgid"; then
            fail "process group $pgid (a background sleep) outlived its item"
            kill -KILL -- "-$pgid" 2>/dev/null
        fi
    done
}

# run_items NAME N SECONDS SINK-CODE [WORKER ARGS...]: one run of N items;
# sets STATS and OUT.
run_items() {
    local name=$1 n=$2 bound=$3 code=$4
    shift 4
    use_transport ipc
    STATS=$TEST_DIR/$name.json
    start_sink "sink_$name" --stats-json "$STATS"
    local sink=$LAST_PID
    start_worker "worker_$name" --threads 2 "$@"
    local worker=$LAST_PID
    start_ventilator "vent_$name" --generate "$n"
    local vent=$LAST_PID
    expect_exit "$sink" "$bound" "$code"
    expect_exit "$worker" 10 "$code"
    expect_exit "$vent" 10 "$code"
    OUT=$(out_of "sink_$name")
}

# r1..rN, sorted as sort sorts them.
expected() {
    seq 1 "$2" | sed "s/^/$1/" | sort
}

# One child per item.
t0=$(now_ms)
run_items once 20 15 0 -- sh -c "echo \$\$ >>$groups; sleep 1000 & echo r{}"
elapsed=$(($(now_ms) - t0))
((elapsed < 8000)) || fail "20 items took $elapsed ms"
assert_eq "$(expected r 20)" "$(sort "$OUT")" "results"
assert_counts "$STATS" 20 20 0 0
assert_eq 20 "$(wc -l <"$groups")" "commands run"
group_left

# A command that writes more than a pipe holds, then exits: all it wrote
# is the result (read on while it runs, the rest taken after its exit).
: >"$groups"
run_items big 4 15 0 -- \
    sh -c "echo \$\$ >>$groups; sleep 1000 & seq 1 30000; echo b{}"
assert_eq "$(for i in 1 2 3 4; do seq 1 30000; echo "b$i"; done | sort)" \
    "$(sort "$OUT")" "big results"
group_left

# The same with --timeout: no item waits for it, none is thrown away.
: >"$groups"
run_items timeout 10 15 0 --timeout 3s -- \
    sh -c "echo \$\$ >>$groups; sleep 1000 & echo t{}"
assert_eq "$(expected t 10)" "$(sort "$OUT")" "results with --timeout"
assert_counts "$STATS" 10 10 0 0
group_left

# --pipe: the command answers one line and exits, its background sleep
# holding stdin and stdout; each next item gets a new command.
: >"$groups"
run_items pipe 20 15 0 --pipe -- \
    sh -c "echo \$\$ >>$groups; sleep 1000 <&0 & read x; echo p\$x"
assert_eq "$(expected p 20)" "$(sort "$OUT")" "results with --pipe"
assert_counts "$STATS" 20 20 0 0
assert_eq 20 "$(wc -l <"$groups")" "pipe commands run"
group_left

# --pipe: the command dies on its item: the item fails with its status
# and what it said, at once.
: >"$groups"
run_items died 6 15 4 --pipe --stderr-reason -- \
    sh -c "echo \$\$ >>$groups; sleep 1000 & read x; echo oops >&2; exit 3"
assert_counts "$STATS" 6 0 6 0
assert_eq 6 "$(grep -c '"reason": "pipe command exited with status 3: oops"' \
    "$STATS")" "failure reasons"
group_left
