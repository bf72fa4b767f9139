#!/usr/bin/env bash
# make install into a staging directory (DESTDIR) where a few directories
# of the prefix exist already, one holding a file of someone else: every
# file lands where the README says (bash completion, the systemd unit, the
# license), the unit passes systemd-analyze verify (where it is available),
# and make uninstall leaves exactly what was there before -- no file, no
# directory install created, not even empty ones -- and keeps the rest.
# Installing twice, then uninstalling once, is the same.
. "$(dirname "$0")/lib.sh"

stage=$TEST_DIR/stage
prefix=/opt/pushpull
inst=$stage$prefix
# What was there before: bin/ with a file of another package, and
# share/man/man1, empty.
mkdir -p "$inst/bin" "$inst/share/man/man1"
echo other >"$inst/bin/other-tool"
before=$(cd "$stage" && find . | sort)

make_in_stage() {
    make -s -C "$ROOT" BUILD="$BUILD" "$1" DESTDIR="$stage" PREFIX="$prefix" \
        >>"$TEST_DIR/make.log" 2>&1
}
make_in_stage install || die "make install failed: $(tail -n 5 "$TEST_DIR/make.log")"
make_in_stage install || die "make install (again) failed"

for f in bin/pp-ventilator bin/pp-worker bin/pp-sink bin/pp-plot \
    lib/libpushpull.so.0.1.0 lib/libpushpull.a lib/pkgconfig/pushpull.pc \
    include/pushpull/pushpull.h share/man/man1/pp-sink.1 \
    share/man/man1/pp-ventilator.1 share/man/man1/pp-worker.1 \
    share/bash-completion/completions/pp-ventilator \
    lib/systemd/system/pp-worker@.service share/doc/pushpull/LICENSE \
    share/doc/pushpull/CHANGELOG.md share/doc/pushpull/README.md; do
    [[ -f $inst/$f ]] || fail "not installed: $f"
done
for link in pp-worker pp-sink; do
    assert_eq pp-ventilator \
        "$(readlink "$inst/share/bash-completion/completions/$link")" \
        "where completions/$link points"
done
cmp -s "$ROOT/LICENSE" "$inst/share/doc/pushpull/LICENSE" ||
    fail "the installed LICENSE differs from LICENSE"
grep -q 'Mozilla Public License Version 2.0' "$ROOT/LICENSE" ||
    fail "LICENSE is not the MPL-2.0"

# The unit: the installed binary, the environment file under /etc.
unit=$inst/lib/systemd/system/pp-worker@.service
assert_eq "ExecStart=$prefix/bin/pp-worker --serve \$PP_WORKER_ARGS" \
    "$(grep '^ExecStart=' "$unit")" "the unit's ExecStart"
assert_eq "EnvironmentFile=/etc/pushpull/%i.env" \
    "$(grep '^EnvironmentFile=' "$unit")" "the unit's EnvironmentFile"
if [[ ! -f $unit ]]; then
    :
elif command -v systemd-analyze >/dev/null; then
    # verify wants the ExecStart binary and the man page on this machine:
    # an instance of the unit pointing into the stage.
    mkdir -p "$TEST_DIR/units"
    sed "s|$prefix/|$inst/|" "$unit" >"$TEST_DIR/units/pp-worker@test.service"
    MANPATH=$inst/share/man systemd-analyze verify --man=yes \
        "$TEST_DIR/units/pp-worker@test.service" >"$TEST_DIR/verify.out" 2>&1 ||
        fail "systemd-analyze verify failed: $(head -n 5 "$TEST_DIR/verify.out")"
    [[ -s $TEST_DIR/verify.out ]] &&
        fail "systemd-analyze verify warned: $(head -n 5 "$TEST_DIR/verify.out")"
else
    log "systemd-analyze not found: the unit is not verified"
fi

# The installed completion loads and completes from the installed binary.
got=$(PATH=$inst/bin:$PATH bash -c '
    source "$1"
    COMP_WORDS=(pp-worker --fl); COMP_CWORD=1; _pp_complete
    echo "${COMPREPLY[*]}"' _ "$inst/share/bash-completion/completions/pp-worker")
assert_eq "--flow" "$got" "the installed completion of pp-worker --fl"

make_in_stage uninstall || die "make uninstall failed: $(tail -n 5 "$TEST_DIR/make.log")"
after=$(cd "$stage" && find . | sort)
if [[ $after != "$before" ]]; then
    fail "make uninstall did not leave the stage as it was:" \
        "$(diff <(echo "$before") <(echo "$after") | grep '^[<>]' | head -n 20 |
            tr '\n' ' ')"
fi
assert_eq other "$(cat "$inst/bin/other-tool" 2>/dev/null)" \
    "another package's file in bin/"

# Into an empty stage: nothing at all is left.
rm -rf "$stage"
make_in_stage install || die "make install (empty stage) failed"
make_in_stage uninstall || die "make uninstall (empty stage) failed"
left=$(cd "$stage" && find . -mindepth 1 | sort | head -n 20 | tr '\n' ' ')
assert_eq "" "$left" "what make uninstall left in an empty stage"
