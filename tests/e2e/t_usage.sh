#!/usr/bin/env bash
# Usage errors exit 2 with a one-line reason naming the flag (and a hint),
# nothing on stdout; --help exits 0 with "Usage:"; --version exits 0.
. "$(dirname "$0")/lib.sh"
# Endpoints point into the test directory (lib.sh), so a binary that failed
# to reject its flags could not touch the default ports.
# Dozens of processes: on failure show only the case that failed.
PP_DUMP_LOGS=0

CASES=0

# run_cli BINARY ARGS...: runs it to completion (10 s at most); sets NAME
# and RC.
run_cli() {
    local bin=$1
    shift
    CASES=$((CASES + 1))
    NAME=case$CASES.${bin#pp-}
    pp_start "$NAME" "$bin" "$@"
    wait_pid "$LAST_PID" 10
    RC=$?
}

# usage_error BINARY TEXT ARGS...: exit 2, stderr names TEXT in a reason
# line plus at most a hint line, stdout empty.
usage_error() {
    local bin=$1 text=$2
    shift 2
    run_cli "$bin" "$@"
    local what="$bin $*" before=$PP_FAILURES lines
    assert_eq 2 "$RC" "exit code of: $what"
    assert_contains "$(err_of "$NAME")" "$text" "stderr of: $what"
    lines=$(wc -l <"$(err_of "$NAME")")
    ((lines >= 1 && lines <= 2)) ||
        fail "stderr of: $what: expected a reason and a hint, got $lines lines"
    [[ -s $(out_of "$NAME") ]] && fail "stdout of: $what: expected nothing"
    ((PP_FAILURES == before)) || show_case
}

# Prints the output of the last case, for a failure.
show_case() {
    echo "--- stderr of $NAME:" >&2
    head -n 20 "$(err_of "$NAME")" >&2
    echo "--- stdout of $NAME:" >&2
    head -n 5 "$(out_of "$NAME")" >&2
}

# help_ok BINARY: --help exits 0 with Usage: on stdout; --version exits 0
# with a version number on stdout.
help_ok() {
    local bin=$1
    local before=$PP_FAILURES
    run_cli "$bin" --help
    assert_eq 0 "$RC" "exit code of: $bin --help"
    assert_contains "$(out_of "$NAME")" "Usage:" "stdout of: $bin --help"
    ((PP_FAILURES == before)) || show_case
    before=$PP_FAILURES
    run_cli "$bin" --version
    assert_eq 0 "$RC" "exit code of: $bin --version"
    grep -qE '[0-9]+\.[0-9]+' "$(out_of "$NAME")" ||
        fail "stdout of: $bin --version: no version number"
    ((PP_FAILURES == before)) || show_case
}

# The flags every binary shares.  The worker gets a valid --job so that
# the flag under test is the only thing wrong.
for bin in pp-ventilator pp-worker pp-sink; do
    help_ok "$bin"
    valid=()
    [[ $bin == pp-worker ]] && valid=(--job echo)
    usage_error "$bin" --no-such-flag "${valid[@]}" --no-such-flag
    usage_error "$bin" --hwm "${valid[@]}" --hwm abc
    usage_error "$bin" --hwm "${valid[@]}" --hwm 0
    usage_error "$bin" --max-item-size "${valid[@]}" --max-item-size 0
    usage_error "$bin" --max-item-size "${valid[@]}" --max-item-size 12Q
    usage_error "$bin" --flow "${valid[@]}" --flow sideways
    usage_error "$bin" --tasks "${valid[@]}" --tasks foo://bar
    # A flag without its value is not an unknown one (one message said
    # both); a near miss is named; an abbreviation of two is ambiguous.
    usage_error "$bin" "option '--results' needs a value (--results VALUE)" \
        "${valid[@]}" --results
    usage_error "$bin" "unknown option '--resultz' (did you mean --results?)" \
        "${valid[@]}" --resultz x
    usage_error "$bin" "unknown option '--insecrue' (did you mean --insecure?)" \
        "${valid[@]}" --insecrue
    usage_error "$bin" "option '--insecure' takes no value ('--insecure=1')" \
        "${valid[@]}" --insecure=1
    usage_error "$bin" "option '--curve' is ambiguous: --curve-secret, --curve-allow, --curve-server" \
        "${valid[@]}" --curve x
    usage_error "$bin" "unknown option '-t' (did you mean --tasks? a long option takes two dashes)" \
        "${valid[@]}" -tasks x
done
usage_error pp-sink "option '-o' needs a value (-o VALUE)" --sum -o
usage_error pp-sink "unknown option '--stats-jsn' (did you mean --stats-json?)" \
    --stats-jsn s.json
usage_error pp-ventilator "unknown option '--genrate' (did you mean --generate?)" \
    --genrate 5
usage_error pp-worker "unknown option '--treads' (did you mean --threads?)" \
    --job echo --treads 2

usage_error pp-ventilator --window --window 0
usage_error pp-ventilator --window --window abc
usage_error pp-ventilator --ack-timeout --ack-timeout 5
usage_error pp-ventilator --ack-timeout --ack-timeout 5x
usage_error pp-ventilator --linger --linger 1
usage_error pp-ventilator --max-deliver --max-deliver 256
usage_error pp-ventilator --max-deliver --max-deliver x
usage_error pp-ventilator "--retries 5" --retries 5 --generate 1
usage_error pp-ventilator "--max-deliver 3" --retries 3 --max-deliver 3 --generate 1
usage_error pp-ventilator --generate --generate abc
usage_error pp-ventilator --wait-workers --wait-workers -1

usage_error pp-worker --job --job no-such-job
usage_error pp-worker --job --threads 2      # --job is required
usage_error pp-worker --threads --job echo --threads 0
usage_error pp-worker --capacity --job echo --capacity abc
# A bare 0 is a duration ("0: never"): here only --job is wrong.
usage_error pp-worker --job --ventilator-timeout 0 --job no-such-job
# --timeout 0 is no timeout, --kill-grace 0 SIGKILL at once: both taken,
# the error is the other flag's.
usage_error pp-worker --kill-grace --timeout 0 --kill-grace x -- true
usage_error pp-worker --timeout --kill-grace 0 --timeout x -- true
# --linger 0 and --drain-timeout 0 are taken; 10ms is the least tick.
usage_error pp-ventilator --window --linger 0 --drain-timeout 0s --window 0
usage_error pp-ventilator "under 10ms" --ack-timeout 0

usage_error pp-sink --ordered --sum --ordered
