#!/bin/bash
# Reproducible builds: the binary packages built from the source package
# (`make dsc`) are the same bytes whatever the build's surroundings.
#
# - reprotest builds it twice, the second time with every variation it has
#   here: environment, build path, kernel (uname), ASLR, number of CPUs,
#   time (faketime, a year and more ahead), domain and host name, HOME,
#   locale, PATH, time zone, umask.  Two it cannot: user_group (it needs
#   sudo) and fileordering (disorderfs, FUSE).
# - The user by hand: a third build as nobody (not root), with umask 0002,
#   in a build path under /tmp, TZ=Etc/GMT-14, a real Turkish locale (the
#   tests' tr_TR.UTF-8, where "i" and "I" are not each other's case), one
#   job, and compared byte for byte with reprotest's first build.
#
#   tests/repro.sh BUILD_DIR      (as root: the build as nobody)
#
# Everything under BUILD_DIR/repro and a directory in /tmp, removed on any
# exit.  reprotest and faketime are installed when missing (REPRO_PKGS in
# debian/deb.mk).
set -u
cd "$(dirname "$0")/.." || exit 2
B=${1:?usage: repro.sh BUILD_DIR}
. tests/lib.sh
WORK=$B/repro
if [ "$(id -u)" != 0 ]; then
    skip "repro: needs root (the build as another user)"
    summary repro
    exit
fi
hand=""
cleanup() { rm -rf --one-file-system "$WORK" ${hand:+"$hand"}; }
trap cleanup EXIT
trap 'exit 130' INT TERM
cleanup
mkdir -p "$WORK/src"

if make -s --no-print-directory B="$B" dsc "$B/locale/tr_TR.UTF-8" > "$WORK/dsc.log" 2>&1; then
    ok "make dsc"
else
    bad "make dsc" "$(tail -5 "$WORK/dsc.log")"
    summary repro
    exit
fi
cp "$B"/dsc/*.dsc "$B"/dsc/*.tar.* "$WORK/src/"
DSC=$(basename "$(ls "$B"/dsc/*.dsc)")

start=$(date +%s)
(cd "$WORK/src" && reprotest --no-diffoscope --vary=-user_group,-fileordering \
    --store-dir ../out "$DSC" -- null) > "$WORK/reprotest.log" 2>&1
rc=$?
secs=$(( $(date +%s) - start ))
if [ "$rc" = 0 ] && grep -q '^Reproduction successful' "$WORK/reprotest.log"; then
    ok "reprotest (every variation but user_group and fileordering): the .debs identical ($secs s)"
else
    bad "reprotest: the .debs identical" "exit $rc" "$(head -c 3000 "$WORK/out/experiment-1.diff" 2>/dev/null)" \
        "$(tail -10 "$WORK/reprotest.log")"
fi
control=$WORK/out/control/source-root
n=$(ls "$control"/*.deb 2>/dev/null | wc -l)
check "reprotest's control build: four packages (two and their -dbgsym)" 4 "$n"

# The third build: another user, umask, path, zone, locale, job count.
hand=$(mktemp -d /tmp/nss-iana-repro.XXXXXX)
mkdir -p "$hand/a/much/longer/build/path" "$hand/home"
cp "$WORK/src/$DSC" "$WORK"/src/*.tar.* "$hand/a/much/longer/build/path/"
chown -R 65534:65534 "$hand"
chmod 0755 "$hand"
start=$(date +%s)
# shellcheck disable=SC2016
if setpriv --reuid=65534 --regid=65534 --clear-groups \
    env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$hand/home" TZ=Etc/GMT-14 \
        LOCPATH="$(realpath "$B/locale")" LC_ALL=tr_TR.UTF-8 LANG=tr_TR.UTF-8 \
    sh -c 'umask 0002 && cd "$1" && dpkg-source -x "$2" src && cd src &&
           dpkg-buildpackage -b -us -uc -J1' sh "$hand/a/much/longer/build/path" "$DSC" \
    > "$WORK/hand.log" 2>&1; then
    ok "built as nobody, umask 0002, TZ=Etc/GMT-14, tr_TR.UTF-8, -J1 ($(( $(date +%s) - start )) s)"
else
    bad "built as nobody, umask 0002, TZ=Etc/GMT-14, tr_TR.UTF-8, -J1" "$(tail -10 "$WORK/hand.log")"
fi
for deb in "$control"/*.deb; do
    name=$(basename "$deb")
    other=$hand/a/much/longer/build/path/$name
    if cmp -s "$deb" "$other"; then
        ok "$name: the same bytes as reprotest's control build"
    else
        bad "$name: the same bytes as reprotest's control build" "$(cmp "$deb" "$other" 2>&1)" \
            "$(diff <(dpkg-deb --fsys-tarfile "$deb" | tar -xOf - | sha256sum) \
                    <(dpkg-deb --fsys-tarfile "$other" 2>&1 | tar -xOf - | sha256sum))" \
            "$(diff <(dpkg-deb -c "$deb" | awk '{print $1, $3, $6}') \
                    <(dpkg-deb -c "$other" 2>&1 | awk '{print $1, $3, $6}') | head -20)"
    fi
done
summary repro
