#!/bin/bash
# The DEP-8 tests (debian/tests/control) with the real runner, as Debian's
# CI runs them: autopkgtest over the source package and the binaries `make
# dsc` and `make deb` build, in a fresh bookworm testbed made by
# autopkgtest-virt-unshare from a `mmdebstrap --variant=apt` tarball (the
# packages and the tests' Depends are installed from the archive into it).
# Each test's result is a check here; a test autopkgtest skips is a failure
# (none of ours may be skipped).
#
#   tests/autopkgtest.sh BUILD_DIR [RELEASE]      (as root; RELEASE: bookworm)
#
# autopkgtest-virt-unshare maps root to subordinate ids: /etc/subuid and
# /etc/subgid need a `root:100000:65536` range.  Where they have none for
# root, the line is added for the run and taken away again on any exit (the
# files are otherwise left as they were).  The tarball is kept in
# BUILD_DIR/autopkgtest-cache, remade when older than a day; the testbed's
# unpacked tree is removed by autopkgtest, the rest on exit.
set -u
cd "$(dirname "$0")/.." || exit 2
B=${1:?usage: autopkgtest.sh BUILD_DIR [RELEASE]}
RELEASE=${2:-bookworm}
. tests/lib.sh
ARCH=$(dpkg --print-architecture)
WORK=$(realpath -m "$B/autopkgtest")
CACHE=$(realpath -m "$B/autopkgtest-cache")
TARBALL=$CACHE/$RELEASE-$ARCH.tar
SUBID_LINE=root:100000:65536
TESTS=$(sed -n 's/^Tests:[[:space:]]*//p' debian/tests/control | tr ', ' '\n\n' | grep -v '^$')

if [ "$(id -u)" != 0 ]; then
    skip "autopkgtest: needs root (subordinate ids, the unshare testbed)"
    summary autopkgtest
    exit
fi

added="" created=""
cleanup() {
    local f
    for f in $added; do
        # Only the line added here, wherever it ended up.
        grep -vx "$SUBID_LINE" "$f" > "$f.nss-iana-tmp"
        cat "$f.nss-iana-tmp" > "$f" && rm -f "$f.nss-iana-tmp"
    done
    for f in $created; do [ -s "$f" ] || rm -f "$f"; done
    rm -rf --one-file-system "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
rm -rf --one-file-system "$WORK"
mkdir -p "$WORK" "$CACHE"

for f in /etc/subuid /etc/subgid; do
    if ! grep -q '^root:' "$f" 2>/dev/null; then
        [ -e "$f" ] || { touch "$f"; chmod 0644 "$f"; created="$created $f"; }
        echo "$SUBID_LINE" >> "$f"
        added="$added $f"
    fi
done

if make -s --no-print-directory B="$B" dsc > "$WORK/build.log" 2>&1 &&
   make -s --no-print-directory B="$B" deb >> "$WORK/build.log" 2>&1; then
    ok "make dsc, make deb"
else
    bad "make dsc, make deb" "$(tail -5 "$WORK/build.log")"
    summary autopkgtest
    exit
fi

if [ ! -f "$TARBALL" ] || [ ! -s "$TARBALL" ] || [ -n "$(find "$TARBALL" -mmin +1440)" ]; then
    start=$(date +%s)
    # Written beside, then renamed (an interrupted run leaves nothing that
    # looks whole); the name ends in .tar, from which mmdebstrap takes the
    # format (another ending makes a directory).
    if mmdebstrap --variant=apt "$RELEASE" "$CACHE/new-$RELEASE-$ARCH.tar" \
        > "$WORK/mmdebstrap.log" 2>&1 && rm -rf "$TARBALL" &&
        mv "$CACHE/new-$RELEASE-$ARCH.tar" "$TARBALL"; then
        ok "mmdebstrap --variant=apt $RELEASE ($(( $(date +%s) - start )) s)"
    else
        rm -rf "$CACHE/new-$RELEASE-$ARCH.tar"
        bad "mmdebstrap --variant=apt $RELEASE" "$(tail -5 "$WORK/mmdebstrap.log")"
        summary autopkgtest
        exit
    fi
fi

# The .dsc gives the tests (debian/tests of the unpacked source); the .debs
# are what is tested: autopkgtest installs them for `@`, it builds nothing.
start=$(date +%s)
autopkgtest --output-dir "$WORK/out" -U "$B"/dsc/*.dsc "$B"/deb/*.deb \
    -- unshare --release "$RELEASE" --arch "$ARCH" --tarball "$TARBALL" \
    > "$WORK/autopkgtest.log" 2>&1
rc=$?
echo "autopkgtest: exit $rc in $(( $(date +%s) - start )) s"
# rc 0: all passed; 2: some skipped; 4: some failed; more: the testbed or
# the runner failed.
for t in $TESTS; do
    r=$(awk -v t="$t" '$1 == t { print $2 }' "$WORK/out/summary" 2>/dev/null)
    if [ "$r" = PASS ]; then
        ok "autopkgtest $t: PASS"
    else
        bad "autopkgtest $t: PASS" "result: ${r:-none}" \
            "$(sed -n "/^$t /,/^[a-z-]* *\(PASS\|FAIL\)/p" "$WORK/out/log" 2>/dev/null | grep -E 'FAIL|^ ' | head -20)"
    fi
done
case $rc in
    0) ok "autopkgtest exit 0" ;;
    *) bad "autopkgtest exit 0" "exit $rc" "$(tail -20 "$WORK/autopkgtest.log")" ;;
esac
# The tests' own lines, for the record.
grep -E '^(ok|FAIL) |^     ' "$WORK/out/log" 2>/dev/null | sed 's/^/  /'
summary autopkgtest
