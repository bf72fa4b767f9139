#!/usr/bin/env bash
# tests/netns/run.sh -- runs every tests/netns/t_*.sh, each in its own bash.
#
# One line per test: PASS, FAIL or SKIP, its name, seconds (a skipped test
# says why).  Under a failing test, its whole output.  Then the table of
# recovery times the tests measured, and last exactly the line
# "N passed, N failed, N skipped".  Exits non-zero if any test failed or
# none ran.
#
#   PP_NETNS_ONLY='flap|hostkill'   only tests whose name contains one of
#   PP_NETNS_TEST_TIMEOUT=90        seconds per test, then killed
#   BUILD=build/asan                the sanitizer build (as tests/e2e)
#
# A test's own trap removes its namespaces and links; should a test be
# killed outright, this script deletes what it left (namespaces nn<pid>*,
# links *nn<pid>*) and fails it.

set -u
export LC_ALL=C

here=$(cd "$(dirname "$0")" && pwd)
only=${PP_NETNS_ONLY:-}
limit=${PP_NETNS_TEST_TIMEOUT:-90}
logs=$(mktemp -d "${TMPDIR:-/tmp}/pp-netns-logs.XXXXXX") || exit 1
trap 'rm -rf "$logs"' EXIT
trap 'exit 130' INT TERM

passed=0
failed=0
skipped=0
results=()
suite_start=$EPOCHREALTIME

since() {
    awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'
}

# Namespaces and links that look like a test's (tag nn<digits>).
ours() {
    { ip netns list 2>/dev/null | awk '{print "netns " $1}'
      ip -o link show 2>/dev/null | awk -F': ' '{sub(/@.*/, "", $2); print "link " $2}'
    } | grep -E ' [vb]?nn[0-9]+' | sort
}

# Deletes what a killed test left behind; prints it.
sweep() {
    local kind name
    while read -r kind name; do
        [[ -z $kind ]] && continue
        echo "    left behind: $kind $name"
        if [[ $kind == netns ]]; then
            ip netns pids "$name" 2>/dev/null | xargs -r kill -9
            ip netns del "$name" 2>/dev/null
        else
            ip link del "$name" 2>/dev/null
        fi
    done < <(comm -13 <(echo "$1") <(ours))
}

run_one() {
    local test=$1 name start rc before why left
    name=$(basename "$test" .sh)
    before=$(command -v ip >/dev/null && ours)
    start=$EPOCHREALTIME
    timeout -k 10 "$limit" bash "$test" </dev/null >"$logs/$name.log" 2>&1
    rc=$?
    left=$(command -v ip >/dev/null && sweep "$before")
    if [[ -n $left ]]; then
        echo "$left" >>"$logs/$name.log"
        ((rc == 0)) && rc=1
    fi
    while IFS= read -r line; do
        results+=("$line")
    done < <(grep '^RESULT ' "$logs/$name.log")
    if ((rc == 0)) && grep -q '^skipped: ' "$logs/$name.log"; then
        skipped=$((skipped + 1))
        printf 'SKIP %-26s %6ss  (%s)\n' "$name" "$(since "$start")" \
            "$(grep -m1 '^skipped: ' "$logs/$name.log" | cut -c10-)"
        return
    fi
    if ((rc == 0)); then
        passed=$((passed + 1))
        printf 'PASS %-26s %6ss\n' "$name" "$(since "$start")"
        return
    fi
    failed=$((failed + 1))
    why="exit $rc"
    ((rc == 124 || rc == 137)) && why="killed after ${limit}s"
    printf 'FAIL %-26s %6ss  (%s)\n' "$name" "$(since "$start")" "$why"
    sed 's/^/    /' "$logs/$name.log"
}

for test in "$here"/t_*.sh; do
    name=$(basename "$test" .sh)
    if [[ -n $only ]]; then
        IFS='|' read -ra wanted <<<"$only"
        match=0
        for want in "${wanted[@]}"; do
            [[ $name == *"$want"* ]] && match=1
        done
        ((match)) || continue
    fi
    run_one "$test"
done

# The measurements, one row per test that made one (ms; "-": not seen).
if ((${#results[@]} > 0)); then
    echo "recovery times (ms; see tests/netns/README.md):"
    printf '%s\n' "${results[@]}" | awk '
        { delete v; for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] } }
        v["fault"] == "sinkkill2x" {
            printf "  %-10s %-6s kill->writing again %s, %s; run %s (extra %s)\n",
                v["fault"], v["flow"], v["gap1"], v["gap2"], v["total"], v["extra"]
            next }
        { printf "  %-10s %-6s fault@%-5s detect %-5s conn_gone %-5s recovery %-5s extra %-5s redelivered %-5s victim exit %s\n",
              v["fault"], v["flow"], v["fault_at"], v["detect"], v["conn_gone"],
              v["recovery"], v["extra"], v["redelivered"], v["victim_exit"] }'
fi
ran=$((passed + failed))
echo "netns: $((ran + skipped)) tests in $(since "$suite_start")s (BUILD=${BUILD:-build})"
((ran + skipped == 0)) && echo "netns: no test matches PP_NETNS_ONLY='$only'"
echo "$passed passed, $failed failed, $skipped skipped"
((failed == 0 && ran + skipped > 0))
