#!/usr/bin/env bash
# The progress line's total before the input ends: estimated from a
# file's size ("~N", with a percent and an ETA), none from a pipe ("total
# not known yet", no ETA), exact once the input ended. --progress draws
# the line on stderr even off a terminal: the frames are split on '\r'.
. "$(dirname "$0")/lib.sh"
use_transport ipc

N=3000
seq 1 $N >"$TEST_DIR/input.txt"
want=$(sum_of_squares $N)

# frames NAME: the progress line's frames in NAME's stderr, one a line.
frames() { tr '\r' '\n' <"$(err_of "$1")" | sed 's/\x1b\[K//g'; }

for input in file pipe; do
    start_sink sink.$input --progress --sum
    sink=$LAST_PID
    start_worker w.$input --job square --threads 2
    w=$LAST_PID
    if [[ $input == file ]]; then
        start_ventilator vent.$input --rate 1000 "$TEST_DIR/input.txt"
    else
        PP_STDIN=<(seq 1 $N) start_ventilator vent.$input --rate 1000
    fi
    vent=$LAST_PID
    expect_exit "$vent" 30 0
    expect_exit "$sink" 10 0
    expect_exit "$w" 10 0
    assert_eq "$want" "$(cat "$(out_of sink.$input)")" "sum ($input)"
    frames sink.$input >"$TEST_DIR/frames.$input"
    assert_matches "$TEST_DIR/frames.$input" \
        "^$N/$N items 100\\.0%  [0-9.]+/s  elapsed 0:00:[0-9]{2}\$" \
        "the final line ($input)"
done
assert_matches "$TEST_DIR/frames.file" \
    '^1 worker  [0-9]+/~[0-9]+ items [0-9.]+%  [0-9.]+/s  elapsed 0:00:[0-9]{2}  ETA 0:0[0-9]:[0-9]{2}$' \
    "a line with the estimated total, the percent and the ETA (file)"
assert_matches "$TEST_DIR/frames.pipe" \
    '^1 worker  [0-9]+ items \(total not known yet\)  [0-9.]+/s  elapsed 0:00:[0-9]{2}$' \
    "a line without a total (pipe)"
if grep -qE '/~|ETA' "$TEST_DIR/frames.pipe"; then
    fail "a total or an ETA guessed for a pipe"
fi
if ((PP_FAILURES > 0)); then
    head -n 12 "$TEST_DIR/frames.file" "$TEST_DIR/frames.pipe" >&2
fi
