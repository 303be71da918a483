#!/bin/bash
# The source package as a buildd sees it: `make dsc` writes it, lintian
# --pedantic finds no error or warning in it, and for each SUITE (default:
# bookworm forky) the binaries are built from the .dsc in a fresh minimal
# chroot (debootstrap --variant=minbase) into which nothing but the
# package's Build-Depends is installed (`apt-get build-dep ./FILE.dsc`,
# which adds build-essential), by an unprivileged user (Rules-Requires-Root:
# no), with `dpkg-source -x` and `dpkg-buildpackage -b`; the packages it
# builds hold the files `make deb`'s do, and lintian finds no error or
# warning in them.  A Build-Depends missing from debian/control fails here.
#
#   tests/srcpkg.sh BUILD_DIR [SUITE...]      (as root)
#
# The chroots are under BUILD_DIR/srcpkg, mounted in a mount namespace of
# their own (nothing is mounted on this machine) and removed on any exit.
# Kept between runs: the debootstrap tarballs and apt's downloads in
# BUILD_DIR/srcpkg-cache (a second run downloads nothing it has).  forky's
# Release is past its Valid-Until: `Acquire::Check-Valid-Until "false"` in
# that chroot only.
set -u
cd "$(dirname "$0")/.." || exit 2
B=${1:?usage: srcpkg.sh BUILD_DIR [SUITE...]}
shift
SUITES=${*:-bookworm forky}
. tests/lib.sh
MIRROR=${SRCPKG_MIRROR:-http://deb.debian.org/debian}
WORK=$B/srcpkg
CACHE=$B/srcpkg-cache
ARCH=$(dpkg --print-architecture)

if [ "$(id -u)" != 0 ]; then
    skip "srcpkg: needs root (debootstrap, chroot)"
    summary srcpkg
    exit
fi

cleanup() { rm -rf --one-file-system "$WORK"; }
trap cleanup EXIT
trap 'exit 130' INT TERM
cleanup
mkdir -p "$WORK" "$CACHE"

if make -s --no-print-directory B="$B" dsc > "$WORK/dsc.log" 2>&1; then
    ok "make dsc"
else
    bad "make dsc" "$(tail -5 "$WORK/dsc.log")"
    summary srcpkg
    exit
fi
DSC=$(ls "$B"/dsc/*.dsc)
VERSION=$(sed -n 's/^Version: //p' "$DSC")
# The format said in debian/source/format is the one built, with an orig
# tarball and a Debian revision.
check "source format 3.0 (quilt)" "3.0 (quilt)" "$(sed -n 's/^Format: //p' "$DSC")"
case $VERSION in *-*) ok "version $VERSION has a Debian revision" ;;
                 *) bad "version $VERSION has a Debian revision" ;; esac
if tar -tzf "$B"/dsc/*.orig.tar.gz | grep -q '^[^/]*/debian/'; then
    bad "the orig tarball holds no debian/"
else
    ok "the orig tarball holds no debian/"
fi
# Made twice, the orig tarball is the same bytes (nothing of this run in it).
sum1=$(sha256sum "$B"/dsc/*.orig.tar.gz | cut -d' ' -f1)
sleep 1
make -s --no-print-directory B="$B" dsc > "$WORK/dsc.log" 2>&1
check "make dsc again: the same orig tarball" "$sum1" \
    "$(sha256sum "$B"/dsc/*.orig.tar.gz | cut -d' ' -f1)"

# lintian on the source package: no error or warning (pedantic and info
# tags are shown in the log; an override without its comment would be a
# warning of its own).
if lintian --pedantic -I --fail-on error,warning "$DSC" > "$WORK/lintian-source.log" 2>&1; then
    ok "lintian --pedantic on $(basename "$DSC"): no error or warning"
else
    bad "lintian --pedantic on $(basename "$DSC"): no error or warning" \
        "$(grep -E '^[EW]:' "$WORK/lintian-source.log")"
fi

# What `make deb`'s packages hold, from debian/*.install and the Makefile,
# the reference the chroot builds are compared with: built here, on this
# machine, from the tree (it installs what it needs).
if make -s --no-print-directory B="$B" deb > "$WORK/deb.log" 2>&1; then
    ok "make deb (the reference)"
else
    bad "make deb (the reference)" "$(tail -5 "$WORK/deb.log")"
fi
# Its files and links with their modes, without what a release changes by
# itself: the build ids (another compiler) and the units' directory
# (debhelper puts them in /usr/lib/systemd/system from trixie on).
files_of() {
    dpkg-deb -c "$1" | awk '$1 !~ /^d/ {sub(/^\./, "", $6); print $1, $6}' |
        sed -E 's|/\.build-id/[0-9a-f]+/[0-9a-f]+\.debug$|/.build-id/ID.debug|;
                s| /usr/lib/systemd/system/| /lib/systemd/system/|' | sort
}

# build_in SUITE: a fresh chroot of SUITE, the Build-Depends of the .dsc,
# the build; in a mount namespace of its own.
build_in() {
    local suite=$1
    local dir=$WORK/$suite tgz=$CACHE/$suite-$ARCH.tgz apt=$CACHE/apt-$suite-$ARCH script=$suite
    # debootstrap has no script for a suite newer than it: sid's.
    [ -e "/usr/share/debootstrap/scripts/$suite" ] || script=/usr/share/debootstrap/scripts/sid
    mkdir -p "$dir" "$apt/partial"
    if [ ! -s "$tgz" ]; then
        # Written beside, then renamed: an interrupted run leaves no
        # tarball that looks whole.
        debootstrap --arch="$ARCH" --variant=minbase --make-tarball="$tgz.new" \
            "$suite" "$dir.tarball" "$MIRROR" "$script" > "$WORK/$suite.log" 2>&1 &&
            mv "$tgz.new" "$tgz" || { rm -rf "$tgz.new" "$dir.tarball"; return 1; }
        rm -rf "$dir.tarball"
    fi
    debootstrap --arch="$ARCH" --variant=minbase --unpack-tarball="$(realpath "$tgz")" \
        "$suite" "$dir" "$MIRROR" "$script" >> "$WORK/$suite.log" 2>&1 || return 1
    chmod 0755 "$dir"
    cp /etc/resolv.conf "$dir/etc/resolv.conf"
    printf '#!/bin/sh\nexit 101\n' > "$dir/usr/sbin/policy-rc.d"
    chmod 755 "$dir/usr/sbin/policy-rc.d"
    if [ "$suite" = forky ] || [ "$suite" = sid ] || [ "$suite" = unstable ]; then
        echo 'Acquire::Check-Valid-Until "false";' > "$dir/etc/apt/apt.conf.d/99valid-until"
    fi
    # The source package, for an unprivileged builder (nobody).
    mkdir "$dir/build"
    cp "$B"/dsc/*.dsc "$B"/dsc/*.tar.* "$dir/build/"
    chown -R 65534:65534 "$dir/build"
    # shellcheck disable=SC2016
    unshare --mount --propagation private -- sh -c '
        dir=$1 apt=$2 dsc=$3
        mount -t proc proc "$dir/proc" &&
        mount --rbind /dev "$dir/dev" &&
        mount --bind "$apt" "$dir/var/cache/apt/archives" || exit 1
        run() { chroot "$dir" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
                LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"; }
        run apt-get update -q &&
        run apt-get build-dep -y -q --no-install-recommends "./build/$dsc" &&
        run dpkg-query -W -f "\${binary:Package} \${Version}\n" > "$dir/build/installed" &&
        run setpriv --reuid=65534 --regid=65534 --clear-groups \
            env HOME=/build sh -c "cd /build && dpkg-source -x $dsc src &&
                cd src && dpkg-buildpackage -b -us -uc"
    ' sh "$dir" "$apt" "$(basename "$DSC")" >> "$WORK/$suite.log" 2>&1
}

for suite in $SUITES; do
    start=$(date +%s)
    if build_in "$suite"; then
        ok "$suite: built from the .dsc with only its Build-Depends ($(( $(date +%s) - start )) s)"
    else
        bad "$suite: built from the .dsc with only its Build-Depends" \
            "$(tail -15 "$WORK/$suite.log")"
        continue
    fi
    dir=$WORK/$suite
    # Nothing but minbase, build-essential and the Build-Depends' closure:
    # dh-nss and libcsv-dev are there because the .dsc asked for them.
    for p in dh-nss libcsv-dev nettle-dev libcurl4-openssl-dev debhelper; do
        if grep -q "^${p}[: ]" "$dir/build/installed"; then ok "$suite: $p installed by build-dep"
        else bad "$suite: $p installed by build-dep"; fi
    done
    for deb in "$B"/deb/*.deb; do
        name=$(basename "$deb")
        if [ ! -e "$dir/build/$name" ]; then
            bad "$suite: $name built"
            continue
        fi
        check "$suite: $name holds what make deb's does (files and modes)" \
            "$(files_of "$deb")" "$(files_of "$dir/build/$name")"
    done
    # lintian of this machine over the suite's binaries (bookworm's lintian
    # does not know forky's Standards-Version, so only for this one's).
    if [ "$suite" = "$(. /etc/os-release; echo "$VERSION_CODENAME")" ]; then
        if lintian --pedantic -I --fail-on error,warning "$dir"/build/*.changes \
            > "$WORK/lintian-$suite.log" 2>&1; then
            ok "$suite: lintian --pedantic on the binaries: no error or warning"
        else
            bad "$suite: lintian --pedantic on the binaries: no error or warning" \
                "$(grep -E '^[EW]:' "$WORK/lintian-$suite.log")"
        fi
    fi
done
summary srcpkg
