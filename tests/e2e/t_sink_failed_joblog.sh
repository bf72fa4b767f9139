#!/usr/bin/env bash
# pp-sink --joblog and --failed, issue 14: --job square over numbers and
# bad lines (a word, a tab inside, Latin-1, a cut UTF-8 character, an
# overlong line): the job log has its header and one line of ten columns
# per item, records from 1, the exact outcomes; --failed holds exactly the
# failed inputs, byte for byte, and `pp-ventilator FILE` reruns exactly
# those; the summary names them by record; every text written (job log,
# stats JSON) is valid UTF-8 for a strict parser. With -0 an input holding
# a newline goes to the rerun file too; without, it is counted and said.
. "$(dirname "$0")/lib.sh"
use_transport ipc

input=$TEST_DIR/input
{
    for i in $(seq 1 200); do
        case $i in
            7) printf 'abc\n' ;;
            50) printf 'tab\there\n' ;;
            99) printf '\xe9t\xe9\n' ;;          # Latin-1
            120) printf 'caf\xc3\n' ;;           # a cut 2-byte character
            150) printf '%0300d\n' 1 | tr 0 x ;; # long, not a number
            *) printf '%d\n' "$i" ;;
        esac
    done
} >"$input"
failed_records="7 50 99 120 150"
stats=$TEST_DIR/stats.json
joblog=$TEST_DIR/jobs.tsv
rerun=$TEST_DIR/failed.txt

start_sink sink --stats-json "$stats" --joblog "$joblog" --failed "$rerun" -v
sink=$LAST_PID
start_worker w --job square --threads 3
w=$LAST_PID
start_ventilator vent "$input"
vent=$LAST_PID
expect_exit "$sink" 30 4
expect_exit "$vent" 10 4
expect_exit "$w" 10 4
assert_counts "$stats" 200 195 5 0

# The job log: a header, 200 lines of 10 columns, every record once.
assert_eq "seq	record	worker	host	start	runtime	attempt	outcome	exit	reason" \
    "$(head -n 1 "$joblog")" "job log header"
assert_eq 201 "$(wc -l <"$joblog")" "job log lines"
assert_eq "" "$(awk -F'\t' 'NF != 10' "$joblog")" "lines of 10 columns"
assert_eq "$(seq 1 200)" "$(tail -n +2 "$joblog" | cut -f2 | sort -n)" \
    "every record once, from 1"
assert_eq "$failed_records" \
    "$(awk -F'\t' '$8 == "failed" {print $2}' "$joblog" | sort -n | xargs)" \
    "the failed records"
assert_eq 195 "$(awk -F'\t' '$8 == "ok"' "$joblog" | wc -l)" "ok lines"
assert_eq "" "$(awk -F'\t' 'NR > 1 && ($2 != $1 + 1 || $7 != 1)' "$joblog")" \
    "record = seq + 1 (nothing skipped), first attempt"
assert_eq "" "$(awk -F'\t' 'NR > 1 && ($5 !~ /^[0-9]+\.[0-9][0-9][0-9]$/ ||
    $6 !~ /^[0-9]+\.[0-9][0-9][0-9]$/ || $5 < 1000000000)' "$joblog")" \
    "start and runtime: seconds with 3 decimals"
assert_contains "$joblog" $'\tfailed\t0\tnot an integer: \'tab\\there\'' \
    "a tab in a reason is escaped"
assert_contains "$joblog" "not an integer: '\\xe9t\\xe9'" "Latin-1 escaped"

python3 - "$joblog" "$stats" <<'PY' || fail "not valid UTF-8 / JSON"
import json, sys
for line in open(sys.argv[1], 'rb'):
    line.decode('utf-8', errors='strict')
doc = json.loads(open(sys.argv[2], 'rb').read().decode('utf-8', errors='strict'))
recs = sorted(f["record"] for f in doc["failures"])
assert recs == [7, 50, 99, 120, 150], recs
for f in doc["failures"]:
    assert f["seq"] == f["record"] - 1, f
PY
assert_contains "$(err_of sink)" \
    "failed record 7 (seq 6): not an integer: 'abc'  (input: abc)" \
    "the summary numbers records from 1, the seq beside"

# --failed: exactly the failed inputs, as lines (in the order recorded).
awk 'NR == 7 || NR == 50 || NR == 99 || NR == 120 || NR == 150' "$input" |
    sort >"$TEST_DIR/expected"
sort "$rerun" >"$TEST_DIR/got"
assert_same_file "$TEST_DIR/expected" "$TEST_DIR/got" "--failed file"

# The rerun: exactly those 5 fail again, nothing else runs.
use_transport ipc
stats2=$TEST_DIR/stats2.json
start_sink sink2 --stats-json "$stats2" --failed "$TEST_DIR/failed2.txt"
sink2=$LAST_PID
start_worker w2 --job square
w2=$LAST_PID
start_ventilator vent2 "$rerun"
vent2=$LAST_PID
expect_exit "$sink2" 30 4
expect_exit "$vent2" 10 4
expect_exit "$w2" 10 4
assert_counts "$stats2" 5 0 5 0
sort "$TEST_DIR/failed2.txt" >"$TEST_DIR/got2"
assert_same_file "$TEST_DIR/expected" "$TEST_DIR/got2" "rerun of --failed"

# -0: an input with a newline is a record of the rerun file; without -0
# it cannot be a line: left out, and the sink says so.
printf '1\0two\nlines\0003\0x\0' >"$TEST_DIR/input0"
for mode in nul lines; do
    use_transport ipc
    flags=()
    [[ $mode == nul ]] && flags=(-0)
    start_sink "sink_$mode" "${flags[@]}" --failed "$TEST_DIR/failed_$mode"
    s=$LAST_PID
    start_worker "w_$mode" --job square
    ww=$LAST_PID
    start_ventilator "vent_$mode" -0 "$TEST_DIR/input0"
    v=$LAST_PID
    expect_exit "$s" 30 4
    expect_exit "$v" 10 4
    expect_exit "$ww" 10 4
done
got_nul=$(tr '\0' '|' <"$TEST_DIR/failed_nul")
[[ $got_nul == 'two'$'\n''lines|x|' || $got_nul == 'x|two'$'\n''lines|' ]] ||
    fail "-0 rerun file: '$got_nul'"
assert_eq "x" "$(cat "$TEST_DIR/failed_lines")" "lines: the newline input left out"
assert_contains "$(err_of sink_lines)" \
    "--failed: 1 failed inputs hold a newline" "the left-out input is said"

# A path that cannot be opened: usage error naming the flag.
use_transport ipc
start_sink bad --joblog "$TEST_DIR/no/such/dir/jobs.tsv"
expect_exit "$LAST_PID" 10 2
assert_contains "$(err_of bad)" "--joblog: cannot open" "names the flag"
use_transport ipc
start_sink bad2 --failed "$TEST_DIR/no/such/dir/failed.txt"
expect_exit "$LAST_PID" 10 2
assert_contains "$(err_of bad2)" "--failed: cannot open" "names the flag"

# Records the ventilator drops (--overflow drop) never reach the sink:
# no line in the job log, not in the rerun file, and the sink says so.
use_transport ipc
stats3=$TEST_DIR/drop.json
start_sink sink3 --sum --stats-json "$stats3" --joblog "$TEST_DIR/drop.tsv" \
    --failed "$TEST_DIR/drop_failed.txt"
sink3=$LAST_PID
start_worker w3 --job square --threads 1
w3=$LAST_PID
start_ventilator vent3 --generate 20000 --window 64 --overflow drop \
    --wait-workers 1
vent3=$LAST_PID
expect_exit "$sink3" 40 4
expect_exit "$vent3" 10 4
expect_exit "$w3" 10 4
ok=$(json_get "$stats3" ok)
dropped=$(json_get "$stats3" dropped)
((dropped > 0)) || fail "nothing was dropped: the window never filled"
assert_eq $((ok + 1)) "$(wc -l <"$TEST_DIR/drop.tsv")" "a line per item heard of"
assert_eq 0 "$(wc -c <"$TEST_DIR/drop_failed.txt")" "nothing to rerun heard of"
assert_contains "$(err_of sink3)" \
    "--failed: $dropped records the ventilator dropped" "the drops are said"
assert_contains "$(err_of sink3)" \
    "--joblog: $dropped records the ventilator dropped" "the drops are said"

# A record the ventilator fails itself (over --max-item-size) reaches the
# sink without its input: not written to the rerun file as an empty line
# (which would rerun as an empty record), counted and said; --jsonl shows
# its input as null. An empty input that ran is an empty line.
use_transport ipc
printf '1\n\nxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n4\n' >"$TEST_DIR/input_big"
start_sink sink4 --jsonl --failed "$TEST_DIR/big_failed.txt"
sink4=$LAST_PID
start_worker w4 --job square
w4=$LAST_PID
start_ventilator vent4 --max-item-size 16 "$TEST_DIR/input_big"
vent4=$LAST_PID
expect_exit "$sink4" 30 4
expect_exit "$vent4" 10 4
expect_exit "$w4" 10 4
assert_eq 1 "$(wc -l <"$TEST_DIR/big_failed.txt")" "only the empty input"
assert_eq "" "$(cat "$TEST_DIR/big_failed.txt")" "the empty input, as a line"
assert_contains "$(err_of sink4)" \
    "--failed: 1 failed items came without their input" "said"
python3 - "$(out_of sink4)" <<'PY' || fail "--jsonl input of the oversized record"
import json, sys
objs = {o["record"]: o for o in map(json.loads, open(sys.argv[1], "rb").read().decode("utf-8").splitlines())}
assert objs[3]["input"] is None and objs[3]["outcome"] == "failed", objs[3]
assert objs[2]["input"] == "" and objs[2]["outcome"] == "failed", objs[2]
PY
