#!/bin/bash
# `make check-ports`: the systems Debian runs on besides this one, each in
# a chroot of its own (root; the Debian archive reachable):
#
#   trixie  Debian 13, amd64: the tests there (tests/ports/debian.sh)
#   forky   Debian 14 (testing), amd64: the same, with glibc 2.43
#   sid     unstable, amd64: the same (not a default part)
#   i386    Debian 12, i386: the 32-bit build and its answers against
#           amd64's (tests/ports/i386.sh)
#   s390x   big-endian, under qemu: tests/ports/cross.sh s390x, where that
#           script is in the tree
#   systemd-trixie  tests/systemd.sh on Debian 13: a trixie system booted
#           with its systemd, packages built on trixie
#           (tests/ports/systemd-boot.sh)
#
#   tests/ports/ports.sh BUILD_DIR [PART...]     (default: every part)
#
# Each part says what it found and how long it took; the chroots are made
# under BUILD_DIR/ports and removed however the run ends.  Exit status 1
# if any part failed.
set -u
cd "$(dirname "$0")/../.." || exit 2
B=${1:?usage: ports.sh BUILD_DIR [PART...]}
shift
parts=${*:-trixie forky i386 s390x systemd-trixie}
if [ "$(id -u)" != 0 ]; then
    echo "ports: SKIPPED (needs root: debootstrap, chroot, mounts)"
    exit 0
fi

child=""
trap '[ -n "$child" ] && kill -TERM "$child" 2>/dev/null; wait; exit 130' INT
trap '[ -n "$child" ] && kill -TERM "$child" 2>/dev/null; wait; exit 143' TERM HUP

# run PART COMMAND...: in the background, so that a signal reaches the
# trap (which passes it on: the part removes its chroot) at once.
results=""
failed=0
run() {
    local part=$1 start rc
    shift
    echo "=== $part: $*"
    start=$(date +%s)
    "$@" &
    child=$!
    wait "$child"
    rc=$?
    child=""
    local took=$(( $(date +%s) - start ))
    if [ "$rc" = 0 ]; then
        results="$results$(printf '%-8s passed   %4d s' "$part" "$took")\n"
    else
        results="$results$(printf '%-8s FAILED   %4d s (exit %d)' "$part" "$took" "$rc")\n"
        failed=1
    fi
    echo "=== $part: exit $rc, $took s"
}

all_start=$(date +%s)
for part in $parts; do
    case $part in
        trixie) PORTS_TARGETS=${PORTS_TRIXIE_TARGETS:-check} run trixie tests/ports/debian.sh trixie "$B" ;;
        forky)  PORTS_TARGETS=${PORTS_FORKY_TARGETS:-check} run forky tests/ports/debian.sh forky "$B" ;;
        sid)    PORTS_TARGETS=${PORTS_SID_TARGETS:-check} run sid tests/ports/debian.sh sid "$B" ;;
        i386)   run i386 tests/ports/i386.sh "$B" ;;
        s390x)
            if [ -x tests/ports/cross.sh ]; then
                run s390x tests/ports/cross.sh s390x
            elif [ -f tests/ports/cross.sh ]; then
                run s390x bash tests/ports/cross.sh s390x
            else
                echo "=== s390x: SKIPPED (no tests/ports/cross.sh in this tree: the byte-order work adds it)"
                results="$results$(printf '%-8s skipped' s390x)\n"
            fi ;;
        systemd-trixie) run systemd-trixie tests/ports/systemd-boot.sh "$B" trixie ;;
        *) echo "ports: no part called $part (trixie, forky, sid, i386, s390x, systemd-trixie)" >&2; exit 2 ;;
    esac
done
echo
echo "check-ports, $(( $(date +%s) - all_start )) s in all:"
printf "%b" "$results" | sed 's/^/  /'
exit "$failed"
