#!/usr/bin/env bash
# --max-item-size on the ventilator: a record over the limit becomes one
# failed item (the run goes on, everything exits 4) and the ventilator's
# stderr names the record.  A record of exactly the limit is fine.
#   run 1: a 17-byte record among records of up to 16 bytes (the boundary)
#   run 2: a 200 KB record, far longer than the ventilator's read buffer,
#          so the rest of it must be skipped across several reads
. "$(dirname "$0")/lib.sh"

# run_case NAME INPUT BAD_RECORD TOTAL: runs one pipeline over INPUT with
# --max-item-size 16 and checks that only record BAD_RECORD (1-based) failed.
run_case() {
    local name=$1 input=$2 bad=$3 total=$4
    local stats=$TEST_DIR/$name.stats.json
    use_transport tcp

    start_sink "$name.sink" --stats-json "$stats"
    local sink=$LAST_PID
    start_worker "$name.worker" --job echo
    local worker=$LAST_PID
    # --retries: a record the ventilator failed is final, never retried
    # (it would go round ventilator -> worker -> sink for nothing).
    start_ventilator "$name.vent" --max-item-size 16 --retries 3 -v "$input"
    local vent=$LAST_PID

    expect_exit "$sink" 30 4
    expect_exit "$worker" 10 4
    expect_exit "$vent" 10 4

    assert_counts "$stats" "$total" $((total - 1)) 1 0
    assert_matches "$(err_of "$name.vent")" " 0 sent again," \
        "$name: the oversized record was not sent again"
    assert_matches "$(err_of "$name.vent")" "record $bad([^0-9]|\$)" \
        "$name: ventilator stderr names the oversized record"
    # Every other record, and nothing else, comes out.
    sed "${bad}d" "$input" | sort >"$TEST_DIR/$name.expected"
    sort "$(out_of "$name.sink")" >"$TEST_DIR/$name.got"
    assert_same_file "$TEST_DIR/$name.expected" "$TEST_DIR/$name.got" \
        "$name: sorted sink output"
}

boundary=$TEST_DIR/boundary
printf '%s\n' a bb sixteen-bytes-ok seventeen-bytes-x e >"$boundary"
run_case boundary "$boundary" 4 5

huge=$TEST_DIR/huge
{
    echo first
    head -c 200000 /dev/zero | tr '\0' x
    echo
    echo third
    echo fourth
} >"$huge"
run_case huge "$huge" 2 4
