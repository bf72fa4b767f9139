# tests/e2e/tmpfs_lib.sh -- a small tmpfs for the full-disk tests, sourced
# after lib.sh (it takes over the EXIT trap to unmount first).
#
#     mount_small_tmpfs "$TEST_DIR/small" 1m   # or: skipped, with the reason
#
# Every mount is undone on exit, on failure too: lazily if a process still
# holds a file there, so the test directory can always be removed.

TMPFS_MOUNTS=()

s_tmpfs_teardown() {
    local dir
    for dir in "${TMPFS_MOUNTS[@]}"; do
        umount "$dir" 2>/dev/null || umount -l "$dir" ||
            echo "$TEST_NAME: cannot unmount $dir" >&2
    done
    TMPFS_MOUNTS=()
}

# Skips the test (exit 0) with the reason, as tests/netns does.
tmpfs_skip() {
    echo "skipped: $*"
    exit 0
}

# mount_small_tmpfs DIR SIZE: a tmpfs of SIZE (mount's size=, e.g. 1m) at
# DIR, created if needed.
mount_small_tmpfs() {
    local dir=$1 size=$2 err
    [[ $(id -u) == 0 ]] || tmpfs_skip "needs root to mount a tmpfs (uid $(id -u))"
    mkdir -p "$dir" || die "cannot create $dir"
    err=$(mount -t tmpfs -o "size=$size" tmpfs "$dir" 2>&1) ||
        tmpfs_skip "cannot mount a tmpfs here: $err"
    TMPFS_MOUNTS+=("$dir")
}

trap 'st=$?; s_tmpfs_teardown; (exit $st); s_cleanup' EXIT
