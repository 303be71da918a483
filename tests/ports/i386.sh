#!/bin/bash
# `make check-ports`, part 2: 32-bit.  An i386 Debian 12 chroot (debootstrap
# --arch=i386, entered with linux32) builds the module, the tool and the
# tests natively there: the -m32 build, with i386's own glibc, and nothing
# of gcc-multilib on this machine.  Then:
#
# - make check-unit, and the end-to-end suite (tests/e2e.sh), with the
#   setuid and syscall checks (tests/secure.sh: the stat family by another
#   name) and nscd (tests/nscd.sh: nscd reads the module's struct
#   traced_file with i386's layout);
# - the module and the tool ask for 64-bit file offsets and times
#   (_FILE_OFFSET_BITS=64, _TIME_BITS=64): no stat, mmap or time function
#   of libc's 32-bit interface is imported, as built by make and as built
#   by debian/rules (make deb there);
# - the same database files, compiled here on amd64 (the registry alone,
#   and one that merged this machine's /etc/services), give the same
#   answers through glibc on i386 as on amd64: every name and alias (as
#   written and in upper case) with each protocol and none, every port
#   0-65535 with each protocol and none, and the whole enumeration, each
#   from tests/nss_client (glibc's getservbyname_r, getservbyport_r,
#   getservent_r over `services: iana`); and `iana-services export` of each
#   file is the same text on both.
#
#   tests/ports/i386.sh BUILD_DIR      (BUILD_DIR: this machine's build)
#
# The whole log is BUILD_DIR/ports/i386.log.
set -u
cd "$(dirname "$0")/../.." || exit 2
B=$(cd "${1:?usage: i386.sh BUILD_DIR}" && pwd)
. tests/ports/chroot.sh
. tests/lib.sh
PORTS_CACHE=${PORTS_CACHE:-$B/ports/cache}
log=$B/ports/i386.log
mkdir -p "$B/ports"
: > "$log"

chroot_session i386
tmp=$(mktemp -d) || exit 2
CHROOT_TMP=$tmp

# in_chroot NAME COMMAND: COMMAND (a shell line) in /src of the chroot,
# its output to the log; a check named NAME on its exit status.
in_chroot() {
    local name=$1 rc
    echo "### $name: $2" >> "$log"
    chroot_wait chroot_run "$dir" sh -c "cd /src && $2" >> "$log" 2>&1
    rc=$?
    if [ "$rc" = 0 ]; then ok "$name"; else bad "$name" "exit $rc; see $log"; fi
    return "$rc"
}

start=$(date +%s)
if ! chroot_make "$dir" bookworm i386; then
    bad "i386 chroot (debootstrap --arch=i386 bookworm)"
    summary i386
    exit 1
fi
chroot_copy_tree "$dir" || { bad "the tree copied into the chroot"; summary i386; exit 1; }
echo "i386: chroot ready ($(chroot_run "$dir" uname -m), $(chroot_run "$dir" dpkg --print-architecture)) in $(( $(date +%s) - start )) s"

in_chroot "i386: build (make all, the test clients)" \
    "make all build/nss_client build/secure_client build/stale_client" || { summary i386; exit 1; }
in_chroot "i386: make check-unit" "make check-unit"
in_chroot "i386: tests/e2e.sh" "tests/e2e.sh build"
in_chroot "i386: tests/secure.sh" "tests/secure.sh build"
in_chroot "i386: tests/nscd.sh" "tests/nscd.sh build"
# Each suite's closing line, from the log.
grep -E '^[A-Za-z0-9_ -]+: [0-9]+ passed, [0-9]+ failed|^\[  (PASSED|FAILED)  \]' "$log" | sed 's/^/    /'

# 64-bit offsets and times: with both macros, glibc's headers send every
# call to its 64-bit entry point (fstat -> __fstat64_time64, mmap ->
# mmap64, clock_gettime -> __clock_gettime64); a build without them
# imports the plain names, the 32-bit interface.  These are the plain
# names of i386's glibc 2.36 that have such a 64-bit twin.
LEGACY32='(__)?(f|l)?stat(at)?|(__)?(open|openat)(_2)?|creat|fopen|freopen|mk(o|s|os)?stemps?|mmap|lseek|f?truncate|pread|pwrite|readdir|scandir|glob|fcntl|ioctl|clock_(gettime|getres|nanosleep|settime)|nanosleep|time|gettimeofday|futimens|utimensat|utimes?|(local|gm)time(_r)?|mktime|timegm|difftime|ctime(_r)?|p?select|ppoll|setitimer|getitimer|timer_(settime|gettime)|getrlimit|setrlimit|posix_fallocate|fallocate|sendfile|statvfs|fstatvfs|statfs|fstatfs'
# check_64bit WHAT MODULE TOOL: paths in the chroot.
check_64bit() {
    local legacy imported64
    legacy=$(chroot_run "$dir" nm -D --undefined-only "$2" "$3" |
        awk '{ sub(/@.*/, "", $NF); print $NF }' | grep -xE "$LEGACY32" | sort -u | tr '\n' ' ')
    imported64=$(chroot_run "$dir" nm -D --undefined-only "$2" |
        grep -cE '__fstat64_time64|__clock_gettime64|mmap64' || true)
    check "i386, $1: no 32-bit offset or time function imported (module, tool)" "" "$legacy"
    [ "$imported64" -ge 1 ] &&
        ok "i386, $1: the module imports the 64-bit ones ($imported64 of fstat, clock_gettime, mmap)" ||
        bad "i386, $1: the module imports the 64-bit ones" "none of __fstat64_time64, __clock_gettime64, mmap64"
}
check_64bit "make" /src/build/libnss_iana.so.2 /src/build/iana-services
# The packages as debian/rules builds them, with dpkg-buildflags' flags
# (which on i386 do not ask for 64-bit offsets or times themselves).
if in_chroot "i386: make deb" "make deb"; then
    chroot_run "$dir" sh -c 'mkdir /tmp/pkg && for d in /src/build/deb/libnss-iana_*_i386.deb /src/build/deb/iana-services_*_i386.deb; do dpkg-deb -x "$d" /tmp/pkg; done'
    check_64bit "debian/rules" /tmp/pkg/usr/lib/i386-linux-gnu/libnss_iana.so.2 /tmp/pkg/usr/bin/iana-services
fi

# --- the same files, the same answers -------------------------------------------
"$B/iana-services" compile --output "$tmp/merged.db" data/service-names-port-numbers.csv > /dev/null
cp "$B/services.db" "$tmp/registry.db"
mkdir "$dir/tmp/cmp"
cp "$tmp/registry.db" "$tmp/merged.db" "$dir/tmp/cmp/"
# The merged file is served while /etc/services is the file it merged: the
# same bytes in the chroot (found by their hash).
cp /etc/services "$dir/etc/services"
for db in registry merged; do
    "$B/iana-services" export --db "$tmp/$db.db" > "$tmp/$db.export"
    # Every name and alias, as written and in upper case, with each
    # protocol and none; every port with each; the enumeration.
    awk '!/^#/ && NF >= 2 { sub(/#.*/, ""); for (i = 1; i <= NF; i++) if (i != 2) print $i }' \
        "$tmp/$db.export" | sort -u > "$tmp/names"
    { for p in tcp udp sctp dccp -; do
          sed "s|^|name |; s|\$| $p|" "$tmp/names"
          tr a-z A-Z < "$tmp/names" | sed "s|^|name |; s|\$| $p|"
      done
      echo "ports 0 65535"
      echo enum
    } > "$dir/tmp/cmp/$db.queries"
    NSS_IANA_DB="$tmp/$db.db" LD_LIBRARY_PATH="$B" "$B/nss_client" iana \
        < "$dir/tmp/cmp/$db.queries" > "$tmp/$db.amd64"
    in_chroot "i386: nss_client over the $db database" \
        "NSS_IANA_DB=/tmp/cmp/$db.db LD_LIBRARY_PATH=build build/nss_client iana < /tmp/cmp/$db.queries > /tmp/cmp/$db.i386"
    in_chroot "i386: iana-services export of the $db database" \
        "build/iana-services export --db /tmp/cmp/$db.db > /tmp/cmp/$db.export"
    queries=$(wc -l < "$dir/tmp/cmp/$db.queries")
    lines=$(wc -l < "$tmp/$db.amd64")
    found=$(grep -vc 'NOTFOUND$' "$tmp/$db.amd64" || true)
    # Both could agree on nothing found: every name must be found at least
    # with one protocol or none.
    if [ "$found" -lt "$(wc -l < "$tmp/names")" ]; then
        bad "amd64 answers over the $db database" "only $found found for $(wc -l < "$tmp/names") names"
    elif [ "$lines" -gt 65536 ] && cmp -s "$tmp/$db.amd64" "$dir/tmp/cmp/$db.i386"; then
        ok "i386 == amd64 over the $db database: $lines answers ($found found) to $queries queries"
    else
        bad "i386 == amd64 over the $db database ($lines answers on amd64)" \
            "$(diff "$tmp/$db.amd64" "$dir/tmp/cmp/$db.i386" 2>&1 | head -10)"
    fi
    if cmp -s "$tmp/$db.export" "$dir/tmp/cmp/$db.export"; then
        ok "i386 export == amd64 export of the $db database ($(wc -l < "$tmp/$db.export") lines)"
    else
        bad "i386 export == amd64 export of the $db database" \
            "$(diff "$tmp/$db.export" "$dir/tmp/cmp/$db.export" 2>&1 | head -10)"
    fi
done
summary i386
