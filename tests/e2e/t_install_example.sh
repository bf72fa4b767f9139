#!/usr/bin/env bash
# make install into a temporary prefix, build examples/custom_worker.c
# against it with pkg-config, and run it as the worker of a real pipeline:
# the word counts sum exactly, and the empty line fails (exit 4). Only the
# public API is installed: pushpull.h and the headers it includes.
. "$(dirname "$0")/lib.sh"
use_transport ipc

prefix=$TEST_DIR/prefix
make -s -C "$ROOT" BUILD="$BUILD" install PREFIX="$prefix" \
    >"$TEST_DIR/install.log" 2>&1 || die "make install failed"
for f in bin/pp-ventilator bin/pp-worker bin/pp-sink lib/libpushpull.a \
    include/pushpull/pushpull.h lib/pkgconfig/pushpull.pc \
    share/man/man1/pp-worker.1; do
    [[ -f $prefix/$f ]] || fail "not installed: $f"
done
headers=$(cd "$prefix/include/pushpull" && echo *)
assert_eq "pp_error.h pp_job.h pp_worker.h pushpull.h" "$headers" \
    "the installed headers"
[[ -e $prefix/lib/libppcli.a ]] && fail "the command-line library got installed"
export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
# A sanitizer build's library needs the same runtime in the example.
sanitize=()
nm "$prefix/lib/libpushpull.a" 2>/dev/null | grep -q __asan_init &&
    sanitize=(-fsanitize=address,undefined)
nm "$prefix/lib/libpushpull.a" 2>/dev/null | grep -q __tsan_init &&
    sanitize=(-fsanitize=thread)
# shellcheck disable=SC2046 # word splitting of pkg-config's flags is meant
cc -std=c11 -Wall -Wextra -Werror "${sanitize[@]}" \
    "$ROOT/examples/custom_worker.c" \
    $(pkg-config --cflags --libs pushpull) -o "$TEST_DIR/wc-worker" ||
    die "the example does not build against the installed library"
for page in pp-ventilator pp-worker pp-sink; do
    MANWIDTH=80 man -l "$prefix/share/man/man1/$page.1" >"$TEST_DIR/$page.txt" \
        2>"$TEST_DIR/$page.man.err" || fail "man -l $page.1 failed"
    [[ -s "$TEST_DIR/$page.man.err" ]] && fail "man -l $page.1 warned"
    grep -q "^NAME" "$TEST_DIR/$page.txt" || fail "$page.1 has no NAME"
done

printf 'one two three\n\nfour five\nsix\n' >"$TEST_DIR/lines.txt"
stats=$TEST_DIR/stats.json
start_sink sink --sum --stats-json "$stats"
sink=$LAST_PID
BIN_DIR=$TEST_DIR pp_start worker wc-worker --threads 2
worker=$LAST_PID
start_ventilator vent "$TEST_DIR/lines.txt"
vent=$LAST_PID
expect_exit "$sink" 30 4
expect_exit "$vent" 10 4
expect_exit "$worker" 10 4
assert_eq 6 "$(cat "$(out_of sink)")" "sum of word counts"
assert_counts "$stats" 4 3 1 0
