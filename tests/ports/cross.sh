#!/bin/bash
# tests/ports/cross.sh ARCH [BUILD_DIR]: the database, its reader and the
# cmocka suites built for another architecture and run under qemu-user,
# against this host's build in BUILD_DIR (default build).
#
#   s390x  big-endian, 64-bit: the file must still be little-endian, and
#          the same bytes as this host's (db/format.h)
#   armhf  little-endian, 32-bit: 64-bit file offsets and times, and a
#          struct iana_db of 32-bit pointers over the same file
#
# (a) the tool compiled for ARCH, run under qemu, compiles the bundled
#     registry into the same bytes (cmp) as this host's tool: with
#     --no-services, and with a services file merged (a copy of this
#     machine's /etc/services, and tests/data/hostile.services);
# (b) ARCH's reader gives the same answers as this host's on each of those
#     databases: every name and alias (as spelled, case flipped) for every
#     protocol, every port for every protocol, the enumeration and the
#     metadata (tests/ports/db_dump.c), and the tool's `export` and
#     `verify`;
# (c) the cmocka suites test_parser, test_services, test_db,
#     test_db_scalar (the reader's portable path, which is the one every
#     non-x86 host takes), test_byteorder and test_nss pass under qemu.
#
# Host packages, test dependencies of this script alone (installed when
# root, named exactly otherwise):
#   gcc-TRIPLET            the cross compiler.  It conflicts with
#                          gcc-multilib: if that is installed the script
#                          stops, and never removes it.
#   libc6-dev-ARCH-cross   the target's C library, to link and run against
#   qemu-user-static       runs the target's programs, called by name with
#                          -L: no binfmt registration is used or made
# The target's own libraries (libcsv, nettle, libcmocka and their -dev
# files) are downloaded with apt-get download through a temporary apt
# configuration for ARCH and unpacked into a temporary sysroot: the host's
# dpkg and apt configuration are not touched, and nothing is left behind.
# libcurl is not fetched (its dependency tree is large): the tool is built
# without `update` (tests/ports/no_update.c), which is all of it but the
# download.
set -u

usage() { echo "usage: $0 s390x|armhf [BUILD_DIR]" >&2; exit 2; }
[ $# -ge 1 ] && [ $# -le 2 ] || usage
ARCH=$1
case $ARCH in
s390x) TRIPLET=s390x-linux-gnu QEMU=qemu-s390x-static ENDIAN=--big-endian ;;
armhf) TRIPLET=arm-linux-gnueabihf QEMU=qemu-arm-static ENDIAN=--little-endian ;;
*) usage ;;
esac
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$(realpath -m "${2:-build}")
HOST_PKGS="gcc-$TRIPLET libc6-dev-$ARCH-cross qemu-user-static"
HOST_PROOF="/usr/bin/$TRIPLET-gcc /usr/$TRIPLET/include/stdio.h /usr/bin/$QEMU"
TARGET_PKGS="libcsv3 libcsv-dev libnettle8 nettle-dev libcmocka0 libcmocka-dev"

. "$ROOT/tests/lib.sh"

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f s", b - a }'; }
START=$(now)
say() { echo "cross $ARCH: $*"; }
die() { say "$*" >&2; summary "cross $ARCH" >&2; exit 1; }

T=$(mktemp -d "${TMPDIR:-/tmp}/nss-iana-cross.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
trap 'exit 130' INT TERM HUP

# --- host packages ----------------------------------------------------------
t=$(now)
missing=
for f in $HOST_PROOF; do [ -e "$f" ] || missing=yes; done
if [ -n "$missing" ]; then
    if dpkg-query -W -f '${Status}' gcc-multilib 2>/dev/null | grep -q 'ok installed'; then
        die "gcc-$TRIPLET conflicts with gcc-multilib, which is installed: not removing it"
    fi
    if [ "$(id -u)" != 0 ]; then
        echo "missing Debian packages; run:  sudo apt-get install $HOST_PKGS" >&2
        exit 1
    fi
    echo "installing Debian packages: $HOST_PKGS"
    # No removals: a conflict stops the install instead.
    if ! apt-get install -y -q --no-install-recommends --no-remove $HOST_PKGS >"$T/apt-host.log" 2>&1; then
        apt-get update -q >>"$T/apt-host.log" 2>&1
        apt-get install -y -q --no-install-recommends --no-remove $HOST_PKGS >>"$T/apt-host.log" 2>&1 ||
            { tail -20 "$T/apt-host.log" >&2; die "could not install $HOST_PKGS"; }
    fi
fi
say "host packages ($HOST_PKGS): $(since "$t")"

# --- the target's libraries, into a temporary sysroot ----------------------
t=$(now)
A=$T/apt SYS=$T/sysroot LIBDIR=$T/sysroot/usr/lib/$TRIPLET
mkdir -p "$A/state/lists/partial" "$A/cache/archives/partial" "$A/debs" "$SYS"
: >"$A/state/status"
{
    echo "APT::Architecture \"$ARCH\";"
    echo "APT::Architectures { \"$ARCH\"; };"
    echo "Dir::State \"$A/state\";"
    echo "Dir::State::status \"$A/state/status\";"
    echo "Dir::Cache \"$A/cache\";"
    echo "Acquire::Languages \"none\";"
    # The download runs as the user who runs this (root: no _apt sandbox,
    # which could not enter the private temporary directory).
    [ "$(id -u)" = 0 ] && echo "APT::Sandbox::User \"root\";"
} >"$A/apt.conf"
export APT_CONFIG=$A/apt.conf
apt-get -q update >"$A/update.log" 2>&1 || { tail -20 "$A/update.log" >&2; die "apt-get update for $ARCH failed"; }
(cd "$A/debs" && apt-get -q download $TARGET_PKGS) >"$A/download.log" 2>&1 ||
    { tail -20 "$A/download.log" >&2; die "apt-get download for $ARCH failed"; }
unset APT_CONFIG
for deb in "$A/debs"/*.deb; do dpkg -x "$deb" "$SYS" || die "cannot unpack $deb"; done
say "target libraries ($(ls "$A/debs" | sed 's/_.*//' | tr '\n' ' ')): $(since "$t")"

# --- builds: this host's, and the target's -----------------------------------
t=$(now)
make -s -C "$ROOT" --no-print-directory B="$BUILD" "$BUILD/iana-services" "$BUILD/db_dump" \
    >"$T/host-build.log" 2>&1 ||
    { tail -30 "$T/host-build.log" >&2; die "host build failed"; }
TB=$T/$ARCH
TESTS="test_parser test_services test_db test_db_scalar test_byteorder test_nss"
targets="$TB/iana-services-noupdate $TB/db_dump $TB/libnss_iana.so.2"
for s in $TESTS; do targets="$targets $TB/$s"; done
make -s -C "$ROOT" --no-print-directory -j2 B="$TB" CC="$TRIPLET-gcc" \
    EXTRA_CFLAGS="-I$SYS/usr/include -I$SYS/usr/include/$TRIPLET" \
    EXTRA_LDFLAGS="-L$LIBDIR -Wl,-rpath-link,$LIBDIR" $targets >"$T/target-build.log" 2>&1 ||
    { tail -30 "$T/target-build.log" >&2; die "$ARCH build failed"; }
file -b "$TB/db_dump" 2>/dev/null | sed "s/^/cross $ARCH: db_dump is /" | cut -c1-110
say "builds (host, and $TRIPLET-gcc): $(since "$t")"

# The target's programs: its loader and libc from the cross libc, the
# libraries from the sysroot.
qrun() { LD_LIBRARY_PATH=$LIBDIR "$QEMU" -L "/usr/$TRIPLET" "$@"; }
qrun "$TB/db_dump" >/dev/null 2>&1
[ $? = 2 ] || die "$QEMU cannot run $TB/db_dump"

# --- (a) the same bytes from both writers --------------------------------------
t=$(now)
CSV=$ROOT/data/service-names-port-numbers.csv
cp /etc/services "$T/etc-services" 2>/dev/null || : >"$T/etc-services"
cp "$ROOT/tests/data/hostile.services" "$T/hostile.services"
DBS="none etc hostile"
db_args() {
    case $1 in
    none) echo --no-services ;;
    etc) echo --services "$T/etc-services" ;;
    hostile) echo --services "$T/hostile.services" ;;
    esac
}
for d in $DBS; do
    "$BUILD/iana-services" compile $(db_args $d) --output "$T/host-$d.db" "$CSV" >/dev/null 2>"$T/host-$d.err"
    hrc=$?
    qrun "$TB/iana-services-noupdate" compile $(db_args $d) --output "$T/$ARCH-$d.db" "$CSV" \
        >/dev/null 2>"$T/$ARCH-$d.err"
    trc=$?
    if [ $hrc != 0 ] || [ $trc != 0 ]; then
        bad "(a) compile $(db_args $d | sed "s|$T/||")" "host exit $hrc, $ARCH exit $trc" \
            "$(cat "$T/$ARCH-$d.err" | head -3)"
    elif out=$(cmp "$T/host-$d.db" "$T/$ARCH-$d.db" 2>&1); then
        ok "(a) compile $(db_args $d | sed "s|$T/||"): $ARCH's file is the host's, $(stat -c %s "$T/host-$d.db") bytes"
    else
        bad "(a) compile $(db_args $d | sed "s|$T/||"): the files differ" "$out"
    fi
done
say "(a) writer: $(since "$t")"

# --- (b) the same answers from both readers -----------------------------------
t=$(now)
for d in $DBS; do
    [ -s "$T/host-$d.db" ] || continue
    "$BUILD/db_dump" "$T/host-$d.db" >"$T/host-$d.dump"
    qrun "$TB/db_dump" "$T/host-$d.db" >"$T/$ARCH-$d.dump"
    trc=$?
    lines=$(wc -l <"$T/host-$d.dump")
    kinds=$(for k in enum name port meta portless; do
        printf '%s %s, ' "$(grep -c "^$k " "$T/host-$d.dump")" "$k"; done)
    if [ $trc != 0 ]; then
        bad "(b) answers over $d.db: $ARCH's db_dump exited $trc"
    elif [ "$(grep -c '^port ' "$T/host-$d.dump")" != $((65536 * 6)) ] ||
        ! grep -qx 'verify ok' "$T/host-$d.dump"; then
        bad "(b) answers over $d.db: the host's dump is short or unverified ($lines lines)"
    elif cmp -s "$T/host-$d.dump" "$T/$ARCH-$d.dump"; then
        ok "(b) answers over $d.db: $lines lines the same (${kinds%, })"
    else
        bad "(b) answers over $d.db differ" \
            "$(diff "$T/host-$d.dump" "$T/$ARCH-$d.dump" | head -8)"
    fi
    "$BUILD/iana-services" export --db "$T/host-$d.db" >"$T/host-$d.export" 2>&1
    qrun "$TB/iana-services-noupdate" export --db "$T/host-$d.db" >"$T/$ARCH-$d.export" 2>&1
    if [ -s "$T/host-$d.export" ] && cmp -s "$T/host-$d.export" "$T/$ARCH-$d.export"; then
        ok "(b) export of $d.db: $(wc -l <"$T/host-$d.export") lines the same"
    else
        bad "(b) export of $d.db differs" "$(diff "$T/host-$d.export" "$T/$ARCH-$d.export" | head -6)"
    fi
    out=$(qrun "$TB/iana-services-noupdate" verify --db "$T/host-$d.db" 2>&1)
    check "(b) $ARCH's verify accepts the host's $d.db" 0 $?
done
say "(b) reader: $(since "$t")"

# --- (c) the cmocka suites -------------------------------------------------------
t=$(now)
mkdir -p "$T/locale"
if localedef $ENDIAN -i tr_TR -f UTF-8 "$T/locale/tr_TR.UTF-8" >/dev/null 2>&1 ||
    [ -d "$T/locale/tr_TR.UTF-8" ]; then :; else
    say "no tr_TR.UTF-8 for $ARCH (localedef $ENDIAN failed): test_db skips the Turkish case"
fi
# Each suite writes its log, exit status and time; the two long ones
# (test_db, test_db_scalar: a minute each under qemu) run side by side.
suite() {
    local ts rc
    ts=$(now)
    LOCPATH=$T/locale NSS_IANA_MODULE=$TB/libnss_iana.so.2 qrun "$TB/$1" >"$T/$1.log" 2>&1
    rc=$?
    echo "$rc $(since "$ts")" >"$T/$1.rc"
}
for s in $TESTS; do
    case $s in test_db | test_db_scalar) suite "$s" & ;; *) suite "$s" ;; esac
done
wait
for s in $TESTS; do
    read -r rc took <"$T/$s.rc"
    result=$(grep -E '^\[  (PASSED|FAILED|SKIPPED) *\]' "$T/$s.log" | tr -s ' ' | tr '\n' ' ')
    if [ "$rc" = 0 ] && grep -q '^\[  PASSED  \]' "$T/$s.log"; then
        ok "(c) $s under $QEMU: $result($took)"
    else
        bad "(c) $s under $QEMU: exit $rc $result" \
            "$(grep -E 'FAILED|ERROR|[Ee]rror' "$T/$s.log" | head -8)"
    fi
done
say "(c) cmocka suites: $(since "$t")"

say "total $(since "$START")"
summary "cross $ARCH"
