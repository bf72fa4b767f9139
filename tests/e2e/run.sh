#!/usr/bin/env bash
# tests/e2e/run.sh -- runs every tests/e2e/t_*.sh, each in its own bash.
#
# Prints one line per test (PASS/FAIL, name, seconds); under a failing test,
# its whole output (its own FAIL lines, then each process's command line,
# exit code and stderr).  The last line is exactly "N passed, N failed";
# the exit status is non-zero if any test failed or none ran.
#
#   BUILD=build/asan bash tests/e2e/run.sh    the sanitizer build
#   PP_E2E_ONLY=basic bash tests/e2e/run.sh   tests whose name contains basic
#   PP_E2E_ONLY='basic|kill9'                 ... or any of several
#   PP_E2E_TRANSPORT=tcp ...                  every test over tcp (or ipc)
#   PP_E2E_TEST_TIMEOUT=150                   seconds per test, then killed

set -u
export LC_ALL=C

here=$(cd "$(dirname "$0")" && pwd)
only=${PP_E2E_ONLY:-}
limit=${PP_E2E_TEST_TIMEOUT:-150}
logs=$(mktemp -d "${TMPDIR:-/tmp}/pp-e2e-logs.XXXXXX") || exit 1
trap 'rm -rf "$logs"' EXIT
trap 'exit 130' INT TERM

passed=0
failed=0
suite_start=$EPOCHREALTIME

# Seconds since $1 (an $EPOCHREALTIME), one decimal.
since() {
    awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'
}

# run_one FILE: runs a test with a hard bound; its stdin is /dev/null so a
# stray read can never wait on the terminal.  Prints its result line.
run_one() {
    local test=$1 name start rc
    name=$(basename "$test" .sh)
    start=$EPOCHREALTIME
    timeout -k 10 "$limit" bash "$test" </dev/null >"$logs/$name.log" 2>&1
    rc=$?
    if ((rc == 0)); then
        passed=$((passed + 1))
        printf 'PASS %-28s %6ss\n' "$name" "$(since "$start")"
        return
    fi
    failed=$((failed + 1))
    local why="exit $rc"
    ((rc == 124 || rc == 137)) && why="killed after ${limit}s"
    printf 'FAIL %-28s %6ss  (%s)\n' "$name" "$(since "$start")" "$why"
    sed 's/^/    /' "$logs/$name.log"
}

for test in "$here"/t_*.sh; do
    name=$(basename "$test" .sh)
    if [[ -n $only ]]; then   # substrings, several separated by |
        IFS='|' read -ra wanted <<<"$only"
        match=0
        for want in "${wanted[@]}"; do
            [[ $name == *"$want"* ]] && match=1
        done
        ((match)) || continue
    fi
    run_one "$test"
done

ran=$((passed + failed))
echo "e2e: $ran tests in $(since "$suite_start")s (BUILD=${BUILD:-build})"
((ran == 0)) && echo "e2e: no test matches PP_E2E_ONLY='$only'"
echo "$passed passed, $failed failed"
((failed == 0 && ran > 0))
