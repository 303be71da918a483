#!/bin/bash
# `make check-ports`, part systemd-SUITE: tests/systemd.sh on another Debian
# release (a system of SUITE booted with its systemd), with packages built
# on that release: `make deb` in a minimal SUITE chroot (tests/ports/
# chroot.sh, whose cache it shares with the other parts), the packages
# copied out, the chroot removed, then the boot test given them.
#
#   tests/ports/systemd-boot.sh BUILD_DIR SUITE
#
# The build's log is BUILD_DIR/ports/systemd-SUITE.log.
set -u
cd "$(dirname "$0")/../.." || exit 2
B=$(cd "${1:?usage: systemd-boot.sh BUILD_DIR SUITE}" && pwd) || exit 2
SUITE=${2:?usage: systemd-boot.sh BUILD_DIR SUITE}
. tests/ports/chroot.sh
PORTS_CACHE=${PORTS_CACHE:-$B/ports/cache}
log=$B/ports/systemd-$SUITE.log
debs=$B/ports/systemd-$SUITE-deb
mkdir -p "$B/ports"

chroot_session "systemd-$SUITE"

start=$(date +%s)
if ! chroot_make "$dir" "$SUITE" "$(dpkg --print-architecture)"; then
    echo "systemd-$SUITE: FAIL (no chroot: debootstrap $SUITE failed)"
    exit 1
fi
chroot_copy_tree "$dir" || { echo "systemd-$SUITE: FAIL (could not copy the tree in)"; exit 1; }
chroot_wait chroot_run "$dir" sh -c "cd /src && make deb" > "$log" 2>&1
rc=$?
if [ "$rc" != 0 ]; then
    echo "systemd-$SUITE: FAIL: make deb on $SUITE exited $rc; the end of $log:"
    tail -20 "$log" | sed 's/^/    /'
    exit 1
fi
rm -rf "$debs" && mkdir -p "$debs" && cp "$dir"/src/build/deb/*.deb "$debs/" || exit 1
chroot_remove "$dir"
echo "systemd-$SUITE: packages built on $SUITE in $(( $(date +%s) - start )) s"
tests/systemd.sh "$B" "$SUITE" "$debs"
