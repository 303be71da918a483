#!/bin/bash
# `make check-ports`, part 1: the tests on Debian 13 (trixie: glibc 2.41,
# gcc 14, its debhelper and lintian).  A minimal trixie chroot
# (debootstrap --variant=minbase) gets a copy of this tree, with its git
# history, and runs `make $PORTS_TRIXIE_TARGETS` in it as root; the top
# Makefile installs the build and test packages there itself (`ensure`).
# The chroot is unmounted and removed on the way out, whatever happens.
#
#   tests/ports/trixie.sh BUILD_DIR
#
# PORTS_TRIXIE_TARGETS: the make targets (default: check, every suite).
# The whole log is BUILD_DIR/ports/trixie.log.
set -u
cd "$(dirname "$0")/../.." || exit 2
B=$(cd "${1:?usage: trixie.sh BUILD_DIR}" && pwd)
. tests/ports/chroot.sh
PORTS_CACHE=${PORTS_CACHE:-$B/ports/cache}
targets=${PORTS_TRIXIE_TARGETS:-check}
log=$B/ports/trixie.log
mkdir -p "$B/ports"

dir=$(mktemp -d "$B/ports/trixie.XXXXXX") || exit 2
child=""
cleanup() {
    [ -n "$child" ] && kill "$child" 2>/dev/null && wait "$child" 2>/dev/null
    chroot_remove "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

start=$(date +%s)
if ! chroot_make "$dir" trixie amd64; then
    echo "trixie: FAIL (no chroot: debootstrap trixie failed)"
    exit 1
fi
chroot_copy_tree "$dir" || { echo "trixie: FAIL (could not copy the tree in)"; exit 1; }
echo "trixie: chroot ready ($(chroot_run "$dir" sh -c '. /etc/os-release; echo "$PRETTY_NAME"'), $(chroot_run "$dir" ldd --version | head -1 | sed 's/.* //' | sed 's/^/glibc /')) in $(( $(date +%s) - start )) s"

# In the background, so that a signal reaches the trap at once, not after
# the whole suite.
start=$(date +%s)
chroot_run "$dir" sh -c "cd /src && make $targets" > "$log" 2>&1 &
child=$!
wait "$child"
rc=$?
child=""
# Each suite's closing line ("NAME: N passed, M failed"), and make's.
grep -E '^[A-Za-z0-9_ -]+: [0-9]+ passed, [0-9]+ failed|^\[  (PASSED|FAILED)  \]|^make check: |^FAIL |^make(\[[0-9]+\])?: \*\*\*' "$log" |
    sed 's/^/    /'
if [ "$rc" = 0 ]; then
    echo "trixie: make $targets passed in $(( $(date +%s) - start )) s"
else
    echo "trixie: FAIL: make $targets exited $rc after $(( $(date +%s) - start )) s; the end of $log:"
    tail -30 "$log" | sed 's/^/    /'
fi
exit "$rc"
