#!/usr/bin/env bash
# make install into a staging directory (DESTDIR), build
# examples/custom_worker.c against it with pkg-config twice -- on the
# shared library and on the static one -- and run each as the worker of a
# real pipeline: the word counts sum exactly, and the empty line fails
# (exit 4). examples/chan_demo.c (pp_chan, public for the tutorial's
# "inside the worker" chapter) builds and runs against it the same way.
# Only the public API is installed (pushpull.h and the headers it
# includes) and only it is exported by libpushpull.so. make uninstall
# then leaves nothing behind, not even an empty directory.
. "$(dirname "$0")/lib.sh"

stage=$TEST_DIR/stage
prefix=/opt/pushpull   # what pushpull.pc says; the files land in $stage
inst=$stage$prefix
make -s -C "$ROOT" BUILD="$BUILD" install DESTDIR="$stage" PREFIX="$prefix" \
    >"$TEST_DIR/install.log" 2>&1 || die "make install failed"
for f in bin/pp-ventilator bin/pp-worker bin/pp-sink bin/pp-plot lib/libpushpull.a \
    lib/libpushpull.so.0.1.0 include/pushpull/pushpull.h \
    lib/pkgconfig/pushpull.pc share/man/man1/pp-worker.1; do
    [[ -f $inst/$f ]] || fail "not installed: $f"
done
for link in libpushpull.so.0 libpushpull.so; do
    assert_eq libpushpull.so.0.1.0 "$(readlink "$inst/lib/$link")" \
        "where lib/$link points"
done
headers=$(cd "$inst/include/pushpull" && echo *)
assert_eq "pp_chan.h pp_error.h pp_job.h pp_worker.h pushpull.h" "$headers" \
    "the installed headers"
[[ -e $inst/lib/libppcli.a ]] && fail "the command-line library got installed"
assert_eq "prefix=$prefix" "$(grep '^prefix=' "$inst/lib/pkgconfig/pushpull.pc")" \
    "pushpull.pc's prefix (DESTDIR only stages)"

# The shared library: its SONAME, and exactly the functions the installed
# headers declare (every other pp_* stays private to the library).
shlib=$inst/lib/libpushpull.so.0.1.0
assert_eq "[libpushpull.so.0]" \
    "$(readelf -d "$shlib" | awk '/\(SONAME\)/ { print $NF }')" "the SONAME"
declared=$(cc -E -P "$inst/include/pushpull/pushpull.h" |
    grep -oE '\bpp_[a-z_]+ \(' | sed 's/ (//' | sort -u | tr '\n' ' ')
exported=$(nm -D --defined-only "$shlib" | awk '{ print $3 }' | sort -u |
    tr '\n' ' ')
[[ -n $declared ]] || fail "no function found in the installed headers"
assert_eq "$declared" "$exported" "the functions libpushpull.so exports"

# pkg-config reads the staged tree as if installed at $prefix.
export PKG_CONFIG_PATH=$inst/lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$stage
# A sanitizer build's library needs the same runtime in the example.
sanitize=()
nm "$inst/lib/libpushpull.a" 2>/dev/null | grep -q __asan_init &&
    sanitize=(-fsanitize=address,undefined)
nm "$inst/lib/libpushpull.a" 2>/dev/null | grep -q __tsan_init &&
    sanitize=(-fsanitize=thread)
# shellcheck disable=SC2046 # word splitting of pkg-config's flags is meant
cc -std=c11 -Wall -Wextra -Werror "${sanitize[@]}" \
    "$ROOT/examples/custom_worker.c" \
    $(pkg-config --cflags --libs pushpull) -o "$TEST_DIR/wc-shared" ||
    die "the example does not build against the installed shared library"
# Where both are installed -lpushpull finds the shared one: a static link
# names the archive (-l:FILE) and takes its dependencies from --static.
static_libs=$(pkg-config --static --libs pushpull)
static_libs=${static_libs/-lpushpull/-l:libpushpull.a}
# shellcheck disable=SC2046,SC2086 # word splitting of the flags is meant
cc -std=c11 -Wall -Wextra -Werror "${sanitize[@]}" \
    "$ROOT/examples/custom_worker.c" \
    $(pkg-config --cflags pushpull) $static_libs -o "$TEST_DIR/wc-static" ||
    die "the example does not build against the installed static library"
LD_LIBRARY_PATH=$inst/lib ldd "$TEST_DIR/wc-shared" >"$TEST_DIR/ldd-shared.txt"
assert_contains "$TEST_DIR/ldd-shared.txt" \
    "libpushpull.so.0 => $inst/lib/libpushpull.so.0" "the shared example"
ldd "$TEST_DIR/wc-static" >"$TEST_DIR/ldd-static.txt"
if grep -q libpushpull "$TEST_DIR/ldd-static.txt"; then
    fail "the static example loads libpushpull.so"
fi

# The channel demo, on the shared and the static library: the same lines
# every run (close delivers all 6 buffered items, abort wakes the blocked
# producer and frees the 2 it held).
# shellcheck disable=SC2046 # word splitting of pkg-config's flags is meant
cc -std=c11 -Wall -Wextra -Werror "${sanitize[@]}" "$ROOT/examples/chan_demo.c" \
    $(pkg-config --cflags --libs pushpull) -o "$TEST_DIR/chan-shared" ||
    die "chan_demo does not build against the installed shared library"
# shellcheck disable=SC2046,SC2086 # word splitting of the flags is meant
cc -std=c11 -Wall -Wextra -Werror "${sanitize[@]}" "$ROOT/examples/chan_demo.c" \
    $(pkg-config --cflags pushpull) $static_libs -o "$TEST_DIR/chan-static" ||
    die "chan_demo does not build against the installed static library"
cat >"$TEST_DIR/chan.expected" <<'EOF2'
full: 2 of 2 buffered, the producer waits for room
received: 1 2 3 4 5 6
close: every buffered item received (6 in all), then 'closed'
abort: the blocked producer woke with 'aborted' (2 sent); the channel freed 2 buffered items; a receive now says 'aborted'
destroy: memory freed, pointer nulled
EOF2
for kind in shared static; do
    LD_LIBRARY_PATH=$inst/lib "$TEST_DIR/chan-$kind" >"$TEST_DIR/chan-$kind.out" 2>&1
    assert_eq 0 "$?" "chan_demo ($kind) exit status"
    assert_eq "$(cat "$TEST_DIR/chan.expected")" \
        "$(cat "$TEST_DIR/chan-$kind.out")" "chan_demo ($kind) output"
done

for page in pp-ventilator pp-worker pp-sink; do
    MANWIDTH=80 man -l "$inst/share/man/man1/$page.1" >"$TEST_DIR/$page.txt" \
        2>"$TEST_DIR/$page.man.err" || fail "man -l $page.1 failed"
    [[ -s "$TEST_DIR/$page.man.err" ]] && fail "man -l $page.1 warned"
    grep -q "^NAME" "$TEST_DIR/$page.txt" || fail "$page.1 has no NAME"
done

# run_pipeline NAME: the example binary $TEST_DIR/NAME as the worker of a
# pipeline of its own, over 4 lines of which one is empty.
printf 'one two three\n\nfour five\nsix\n' >"$TEST_DIR/lines.txt"
run_pipeline() {
    local name=$1 stats=$TEST_DIR/$1.stats.json sink vent worker
    use_transport ipc
    start_sink "sink-$name" --sum --stats-json "$stats"
    sink=$LAST_PID
    BIN_DIR=$TEST_DIR pp_start "worker-$name" "$name" --threads 2
    worker=$LAST_PID
    start_ventilator "vent-$name" "$TEST_DIR/lines.txt"
    vent=$LAST_PID
    expect_exit "$sink" 30 4
    expect_exit "$vent" 10 4
    expect_exit "$worker" 10 4
    assert_eq 6 "$(cat "$(out_of "sink-$name")")" "$name: sum of word counts"
    assert_counts "$stats" 4 3 1 0
}
LD_LIBRARY_PATH=$inst/lib run_pipeline wc-shared
run_pipeline wc-static

make -s -C "$ROOT" BUILD="$BUILD" uninstall DESTDIR="$stage" PREFIX="$prefix" \
    >"$TEST_DIR/uninstall.log" 2>&1 || fail "make uninstall failed"
left=$(cd "$stage" && find . -mindepth 1 | sort | tr '\n' ' ')
assert_eq "" "$left" "what make uninstall left behind (files or directories)"
