#!/usr/bin/env bash
# pp-plot draws a run from the sink's --joblog: a known schedule (sleep
# jobs, credit flow, two workers of 1 and 3 threads) gives a PNG of the
# size asked for, with one bar per item that ran and, per worker, as many
# lanes as it ran items at once -- both counted again here, independently,
# from the job log. The text form (gnuplot absent) prints each worker's
# busy time as the job log adds it up.
. "$(dirname "$0")/lib.sh"
use_transport ipc

N=60
plot=$ROOT/scripts/pp-plot
joblog=$TEST_DIR/run.tsv
input=$TEST_DIR/input.txt
for i in $(seq 1 "$N"); do echo 40; done >"$input"

start_sink sink --sum --joblog "$joblog"
sink=$LAST_PID
start_worker one --flow credit --job sleep --threads 1
w1=$LAST_PID
start_worker three --flow credit --job sleep --threads 3
w3=$LAST_PID
start_ventilator vent --flow credit --wait-workers 2 "$input"
vent=$LAST_PID
expect_exit "$sink" 30 0
expect_exit "$w1" 10 0
expect_exit "$w3" 10 0
expect_exit "$vent" 10 0
assert_eq $((N * 40)) "$(cat "$(out_of sink)")" "sum of the sleeps"
assert_eq $((N + 1)) "$(wc -l <"$joblog")" "job log lines (header + items)"
# The sink's summary names the command that draws the run; it works as is.
cmd=$(sed -n 's/.*job log: .* -- to see the run: \(pp-plot .*\)$/\1/p' "$(err_of sink)")
[[ $cmd == "pp-plot -t 'run "*"' $joblog" ]] ||
    fail "the summary does not name the plot command: '$cmd'"
if command -v gnuplot >/dev/null; then
    (PATH=$ROOT/scripts:$PATH; eval "$cmd") >"$TEST_DIR/named.out" 2>&1 ||
        fail "the named command failed: $(cat "$TEST_DIR/named.out")"
    [[ -s ${joblog%.*}.png ]] || fail "the named command drew no ${joblog%.*}.png"
fi

# The job log, read independently: bars (items with a start), and for each
# worker the most items it ran at once, which is its number of lanes.
read -r want_bars want_lanes < <(python3 - "$joblog" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
ran = [r for r in rows if float(r["start"]) > 0]
lanes = 0
for w in {r["worker"] for r in ran}:
    events = []
    for r in ran:
        if r["worker"] == w:
            s = round(float(r["start"]), 6)
            e = round(float(r["start"]) + float(r["runtime"]), 6)
            events += [(s, 1), (e, -1)]
    events.sort(key=lambda x: (x[0], x[1]))   # an end before a start
    now = most = 0
    for _, d in events:
        now += d
        most = max(most, now)
    lanes += most
print(len(ran), lanes)
PY
)
assert_eq "$N" "$want_bars" "items that ran, in the job log"
# 1 + 3 threads busy at once at some moment of a 60-item credit run.
assert_eq 4 "$want_lanes" "most items at once, summed over the workers"

png=$TEST_DIR/run.png
data=$TEST_DIR/bars.dat
sh "$plot" -o "$png" --size 640x360 --data "$data" "$joblog" \
    >"$TEST_DIR/plot.out" 2>&1 || fail "pp-plot failed: $(cat "$TEST_DIR/plot.out")"
if command -v gnuplot >/dev/null; then
    [[ -s $png ]] || fail "no PNG written"
    # PNG: 8-byte signature, then the IHDR chunk: width, height (big-endian).
    read -r w h < <(od -An -tu1 -j16 -N8 "$png" |
        awk '{ print $1*16777216+$2*65536+$3*256+$4, $5*16777216+$6*65536+$7*256+$8 }')
    assert_eq "640 360" "$w $h" "PNG size"
else
    log "gnuplot not installed: the PNG is not checked"
fi
assert_eq "$want_bars" "$(wc -l <"$data")" "bars drawn"
assert_eq "$want_lanes" "$(cut -f1 "$data" | sort -u | wc -l)" "lanes drawn"
# Each bar's colour, from the job log independently: an ok item is
# "redelivered" when a delivery before the one that ended it was lost
# (attempt 1 is the first delivery). Nothing was lost in this run.
want_classes=$(python3 - "$joblog" <<'PY'
import collections, csv, sys
rows = csv.DictReader(open(sys.argv[1]), delimiter="\t")
c = collections.Counter(
    "redelivered" if r["outcome"] == "ok" and int(r["attempt"]) > 1
    else r["outcome"] for r in rows if float(r["start"]) > 0)
print(" ".join("%s=%d" % kv for kv in sorted(c.items())))
PY
)
assert_eq "ok=$N" "$want_classes" "outcomes in the job log"
assert_eq "ok=$N" "$(cut -f4 "$data" | sort | uniq -c | awk '{ printf "%s%s=%d", sep, $2, $1; sep = " " }')" \
    "bars by colour (ok, redelivered, failed)"

# The text form: busy seconds per worker, against the job log's own sums.
sh "$plot" --text "$joblog" >"$TEST_DIR/text.out" 2>&1 ||
    fail "pp-plot --text failed"
python3 - "$joblog" "$TEST_DIR/text.out" <<'PY' || fail "text busy times differ"
import csv, sys
busy = {}
for r in csv.DictReader(open(sys.argv[1]), delimiter="\t"):
    if float(r["start"]) > 0:
        key = r["host"] + ":" + r["worker"]
        busy[key] = busy.get(key, 0) + float(r["runtime"])
shown = {}
for line in open(sys.argv[2]).read().splitlines()[2:]:
    f = line.split()
    shown[f[0]] = float(f[3])
assert set(shown) == set(busy), (shown, busy)
for k in busy:
    assert abs(shown[k] - busy[k]) < 0.002, (k, shown[k], busy[k])
PY
# Without gnuplot on the PATH it falls back to the same text.
PATH=/usr/local/bin:/bin sh "$plot" -o "$TEST_DIR/none.png" "$joblog" \
    >"$TEST_DIR/fallback.out" 2>"$TEST_DIR/fallback.err"
if [[ ! -x /usr/local/bin/gnuplot && ! -x /bin/gnuplot ]]; then
    assert_contains "$TEST_DIR/fallback.err" "gnuplot is not installed" \
        "fallback says why"
    cmp -s "$TEST_DIR/fallback.out" "$TEST_DIR/text.out" ||
        fail "the fallback text differs from --text"
fi
# Bad input is refused with a reason.
sh "$plot" --size 10x10 "$joblog" 2>"$TEST_DIR/bad.err" && fail "--size 10x10 accepted"
assert_contains "$TEST_DIR/bad.err" "--size 10x10" "names the bad size"
printf 'a\tb\n1\t2\n' >"$TEST_DIR/foreign.tsv"
sh "$plot" "$TEST_DIR/foreign.tsv" 2>"$TEST_DIR/foreign.err" && fail "a foreign TSV was drawn"
assert_contains "$TEST_DIR/foreign.err" 'no column "worker"' "names the missing column"
true
