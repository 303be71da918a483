#!/bin/bash
# `make check-ports`, the parts on the Debian releases of amd64 (glibc's
# nss_files is the oracle, so each glibc gets its own run):
#
#   trixie  Debian 13: glibc 2.41, gcc 14
#   forky   Debian 14 (today's testing): glibc 2.43, gcc 16, where nss_files
#           reads /etc/services by other rules (decimal ports only, the
#           protocol everything after the first '/')
#   sid     unstable: what forky gets next
#
# A minimal chroot of SUITE (debootstrap --variant=minbase) gets a copy of
# this tree, with its git history, and runs `make TARGETS` in it as root;
# the top Makefile installs the build and test packages there itself
# (`ensure`).  The chroot is unmounted and removed on the way out,
# whatever happens.
#
#   tests/ports/debian.sh SUITE BUILD_DIR
#
# PORTS_TARGETS: the make targets (default: check, every suite).
# The whole log is BUILD_DIR/ports/SUITE.log.
set -u
cd "$(dirname "$0")/../.." || exit 2
suite=${1:?usage: debian.sh SUITE BUILD_DIR}
B=$(cd "${2:?usage: debian.sh SUITE BUILD_DIR}" && pwd)
. tests/ports/chroot.sh
PORTS_CACHE=${PORTS_CACHE:-$B/ports/cache}
targets=${PORTS_TARGETS:-check}
log=$B/ports/$suite.log
mkdir -p "$B/ports"

chroot_session "$suite"

start=$(date +%s)
if ! chroot_make "$dir" "$suite" amd64; then
    echo "$suite: FAIL (no chroot: debootstrap $suite failed)"
    exit 1
fi
chroot_copy_tree "$dir" || { echo "$suite: FAIL (could not copy the tree in)"; exit 1; }
echo "$suite: chroot ready ($(chroot_run "$dir" sh -c '. /etc/os-release; echo "$PRETTY_NAME"'), $(chroot_run "$dir" ldd --version | head -1 | sed 's/.* //' | sed 's/^/glibc /')) in $(( $(date +%s) - start )) s"

start=$(date +%s)
chroot_wait chroot_run "$dir" sh -c "cd /src && make $targets" > "$log" 2>&1
rc=$?
# Each suite's closing line ("NAME: N passed, M failed"), and make's.
grep -E '^[A-Za-z0-9_ -]+: [0-9]+ passed, [0-9]+ failed|^\[  (PASSED|FAILED)  \]|^make check: |^FAIL |^make(\[[0-9]+\])?: \*\*\*' "$log" |
    sed 's/^/    /'
# `make bench`'s table and notes, whole.
case " $targets " in *" bench "*) sed -n '/^row  /,$p' "$log" | sed 's/^/    /' ;; esac
if [ "$rc" = 0 ]; then
    echo "$suite: make $targets passed in $(( $(date +%s) - start )) s"
else
    echo "$suite: FAIL: make $targets exited $rc after $(( $(date +%s) - start )) s; the end of $log:"
    tail -30 "$log" | sed 's/^/    /'
fi
exit "$rc"
