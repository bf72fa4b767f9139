#!/usr/bin/env bash
# A file with Windows line endings gives the records an LF file gives: one
# '\r' before each '\n' is not part of the record, for every job (echo
# returned "1\r", square accepted it). Only one is dropped ("x\r\r" keeps
# one), and with -0 records stay byte-exact ('\r' kept).
. "$(dirname "$0")/lib.sh"

# run NAME JOB [VENTILATOR ARGS...]: a pipeline (sink -0 with -0 input);
# sets CODES to the exit codes of sink, worker and ventilator.
run() {
    local name=$1 job=$2 sink_args=()
    shift 2
    [[ $1 == -0 ]] && sink_args=(-0)
    use_transport ipc
    start_sink "$name.sink" "${sink_args[@]}"
    local sink=$LAST_PID
    start_worker "$name.worker" --job "$job"
    local worker=$LAST_PID
    start_ventilator "$name.vent" "$@"
    local vent=$LAST_PID
    wait_pid "$sink" 30
    local s=$?
    wait_pid "$worker" 10
    local w=$?
    wait_pid "$vent" 10
    CODES="$s $w $?"
}

printf '1\r\n2\r\n3\r\n' >"$TEST_DIR/numbers"
run square square "$TEST_DIR/numbers"
assert_eq "0 0 0" "$CODES" "square: exit codes"
assert_eq "1 4 9" "$(sort -n "$(out_of square.sink)" | xargs)" \
    "square of CRLF lines"

# Mixed endings, a blank CRLF line, a doubled '\r', no final newline.
printf 'a b\r\nc\n\r\nx\r\r\nlast\r' >"$TEST_DIR/text"
printf 'a b\nc\n\nx\r\nlast\n' | sort >"$TEST_DIR/text.expected"
run echo echo "$TEST_DIR/text"
assert_eq "0 0 0" "$CODES" "echo: exit codes"
sort "$(out_of echo.sink)" >"$TEST_DIR/text.got"
assert_same_file "$TEST_DIR/text.expected" "$TEST_DIR/text.got" \
    "echo of CRLF lines"

printf 'a\r\0b\r\n\0' >"$TEST_DIR/nul"
run nul echo -0 "$TEST_DIR/nul"
assert_eq "0 0 0" "$CODES" "-0 echo: exit codes"
sort -z "$TEST_DIR/nul" >"$TEST_DIR/nul.expected"
sort -z "$(out_of nul.sink)" >"$TEST_DIR/nul.got"
assert_same_file "$TEST_DIR/nul.expected" "$TEST_DIR/nul.got" \
    "-0 keeps '\\r'"
