#!/usr/bin/env bash
# GNU parallel's placeholders in a command ({} {.} {/} {//} {/.} {#}), and
# {} inside a shell's -c script quoted for the shell wherever it stands
# (bare, "...", '...'): hostile items come back byte for byte and nothing
# of them runs; where the script nests ($((...))) an item that cannot be
# quoted fails with the reason instead of running.
. "$(dirname "$0")/lib.sh"
use_transport ipc

# 1. Every placeholder, in input order (--ordered). {#} and PP_RECORD are
#    the input record, from 1; PP_SEQ the seq in the run, from 0.
input=$TEST_DIR/paths
printf '%s\n' dir/sub/file.tar.gz plain /abs/x.y .hidden 'a b/c d.e' >"$input"
start_sink sink --ordered
sink=$LAST_PID
start_worker worker -- sh -c \
    'printf "%s|%s|%s|%s|%s|%s|%s|%s" {} {.} {/} {//} {/.} {#} $PP_RECORD $PP_SEQ'
worker=$LAST_PID
start_ventilator vent "$input"
vent=$LAST_PID
expect_exit "$sink" 30 0
expect_exit "$worker" 10 0
expect_exit "$vent" 10 0
assert_eq "dir/sub/file.tar.gz|dir/sub/file.tar|file.tar.gz|dir/sub|file.tar|1|1|0
plain|plain|plain|.|plain|2|2|1
/abs/x.y|/abs/x|x.y|/abs|x|3|3|2
.hidden||.hidden|.||4|4|3
a b/c d.e|a b/c d|c d.e|a b|c d|5|5|4" "$(cat "$(out_of sink)")" "placeholders"

# 1b. --skip 2: {#} is still the record of the input (3, 4, 5), not the
#     seq (0, 1, 2) nor seq + 1; {#} alone leaves the item on stdin.
use_transport ipc
start_sink sinkb --ordered
sinkb=$LAST_PID
start_worker workerb -- sh -c 'printf "%s:%s:" {#} "$PP_SEQ"; cat'
workerb=$LAST_PID
start_ventilator ventb --skip 2 "$input"
ventb=$LAST_PID
expect_exit "$sinkb" 30 0
expect_exit "$workerb" 10 0
expect_exit "$ventb" 10 0
assert_eq "3:0:/abs/x.y
4:1:.hidden
5:2:a b/c d.e" "$(cat "$(out_of sinkb)")" "{#} after --skip"

# 2. Hostile items (NUL-separated: newlines too) in a sh -c script, {}
#    bare, in double and in single quotes: each place prints the item's
#    bytes in hex; the marker file must never appear.
marker=$TEST_DIR/pwned
items=$TEST_DIR/hostile
printf '%s\0' "\$(touch $marker)" "\`touch $marker\`" "'; touch $marker; '" \
    "\"; touch $marker; \"" $'x\ntouch '"$marker" '' '* ~ $HOME' \
    $'caf\xc3\xa9\xff' >"$items"
hex='od -An -tx1 | tr -d " \n"'
script="printf %s {} | $hex; printf /; printf %s \"{}\" | $hex; printf /; "
script+="printf %s '{}' | $hex"
use_transport ipc
start_sink sink2 --ordered
sink2=$LAST_PID
start_worker worker2 -- sh -c "$script"
worker2=$LAST_PID
start_ventilator vent2 -0 "$items"
vent2=$LAST_PID
expect_exit "$sink2" 30 0
expect_exit "$worker2" 10 0
expect_exit "$vent2" 10 0
want=$(while IFS= read -r -d '' item; do
    h=$(printf %s "$item" | od -An -tx1 | tr -d ' \n')
    echo "$h/$h/$h"
done <"$items")
assert_eq "$want" "$(cat "$(out_of sink2)")" "each item's bytes, 3 places"
if [[ -e $marker ]]; then fail "an item ran: $marker exists"; fi

# 3. In $((...)) an item is taken only if it is inert; else it fails.
use_transport ipc
stats=$TEST_DIR/stats.json
start_sink sink3 --ordered --stats-json "$stats"
sink3=$LAST_PID
start_worker worker3 -- sh -c 'echo $(( {} * 2 ))'
worker3=$LAST_PID
printf '%s\n' 21 "1;touch $marker" >"$TEST_DIR/numbers"
start_ventilator vent3 "$TEST_DIR/numbers"
vent3=$LAST_PID
expect_exit "$sink3" 30 4
expect_exit "$worker3" 10 4
expect_exit "$vent3" 10 4
assert_counts "$stats" 2 1 1 0
assert_eq 42 "$(cat "$(out_of sink3)")" "the inert item's result"
assert_contains "$stats" \
    '"reason": "item holds bytes a shell acts on, and {} stands where' \
    "the reason of the item refused"
if [[ -e $marker ]]; then fail "an item ran: $marker exists"; fi
