#!/bin/sh
# nscd: the module registers its database through _nss_iana_init, so nscd
# drops its services cache when the file is replaced.  nscd caches answers
# for hours: seeing the new port right after the swap proves the flush.
# It registers /etc/services too (nss_files, behind iana, may never be
# loaded to do it): after an edit, a name nscd had cached as not found is
# answered, by nss_files, as the module steps aside.
# Runs nscd in a private mount namespace (its own nsswitch.conf and socket
# directory), so the machine's own nscd, if any, is not involved.  Root only.
#
# nscd is not a package the tests install: the package enables a system-wide
# cache at boot (and starts it), which a test must not leave behind.  Where
# it is not installed, the nscd of this machine's glibc (the package of
# libc6's very version: nscd uses glibc's private symbols) is downloaded
# with apt-get download and unpacked into the test's temporary directory,
# and run from there; nothing is installed, and nothing is left.  So are
# the libraries it depends on that this system lacks (sid's and forky's
# nscd needs libcap2, which a minimal system has not), found through
# LD_LIBRARY_PATH.
#
#   tests/nscd.sh BUILD_DIR
set -u
B=$(cd "${1:?usage: nscd.sh BUILD_DIR}" && pwd)
if [ "$(id -u)" != 0 ] || ! unshare -m true 2>/dev/null; then
    echo "nscd: SKIPPED (needs root and unshare -m)"; exit 0
fi

tmp=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$tmp"' EXIT
if NSCD=$(command -v nscd); then
    :
else
    libc=$(dpkg-query -W -f '${Version}' libc6 2>/dev/null)
    mkdir "$tmp/deb"
    fetch() { (cd "$tmp/deb" && timeout 120 apt-get download -q "nscd=$libc") >/dev/null 2>&1; }
    fetch || { apt-get update -q >/dev/null 2>&1; fetch; }
    if ! dpkg-deb -x "$tmp"/deb/nscd_*.deb "$tmp/deb/root" 2>/dev/null; then
        echo "nscd: SKIPPED (no nscd here, and apt-get download nscd=$libc failed)"; exit 0
    fi
    NSCD=$tmp/deb/root/usr/sbin/nscd
    # Its Depends, first of each alternative, that are not installed.
    for dep in $(dpkg-deb -f "$tmp"/deb/nscd_*.deb Depends | tr ',' '\n' | sed 's/^ *//; s/[ |:(].*//'); do
        dpkg-query -W -f '${Status}' "$dep" 2>/dev/null | grep -q 'ok installed' && continue
        if ! (cd "$tmp/deb" && timeout 120 apt-get download -q "$dep") >/dev/null 2>&1 ||
           ! dpkg-deb -x "$tmp"/deb/"$dep"_*.deb "$tmp/deb/root" 2>/dev/null; then
            echo "nscd: SKIPPED (nscd needs $dep, which is not installed, and apt-get download $dep failed)"; exit 0
        fi
    done
    NSCD_LIBS=$(find "$tmp/deb/root" -name '*.so*' -printf '%h\n' 2>/dev/null | sort -u | paste -sd:)
fi
mkdir "$tmp/run"
printf 'Service Name,Port Number,Transport Protocol\nsvc,1000,tcp\n' > "$tmp/a.csv"
printf 'Service Name,Port Number,Transport Protocol\nsvc,2000,tcp\n' > "$tmp/b.csv"
printf 'other 3999/tcp\n' > "$tmp/etc-services"
"$B/iana-services" compile --services "$tmp/etc-services" --output "$tmp/services.db" "$tmp/a.csv" >/dev/null
printf 'passwd: files\ngroup: files\nhosts: files\nservices: iana [!UNAVAIL=return] files\n' > "$tmp/nsswitch.conf"
printf 'debug-level 1\nenable-cache services yes\npositive-time-to-live services 28800\npersistent services no\nshared services no\nenable-cache passwd no\nenable-cache group no\nenable-cache hosts no\nenable-cache netgroup no\n' > "$tmp/nscd.conf"

cat > "$tmp/run.sh" <<'INNER'
set -u
tmp=$1 B=$2 NSCD=$3
mount --bind "$tmp/nsswitch.conf" /etc/nsswitch.conf
mount --bind "$tmp/etc-services" /etc/services
mkdir -p /var/run/nscd && mount --bind "$tmp/run" /var/run/nscd
# With a sanitizer build the ASan runtime is preloaded into nscd (E2E_PRELOAD).
env ${E2E_PRELOAD:+LD_PRELOAD=$E2E_PRELOAD ASAN_OPTIONS=detect_leaks=0} \
    LD_LIBRARY_PATH=$B${NSCD_LIBS:+:$NSCD_LIBS} NSS_IANA_DB=$tmp/services.db "$NSCD" -d -f "$tmp/nscd.conf" > "$tmp/nscd.log" 2>&1 &
pid=$!
for i in $(seq 100); do [ -S /var/run/nscd/socket ] && break; sleep 0.1; done
# The clients have neither the module's path nor the database's: nscd answers.
getent services svc > "$tmp/before"
getent services svc > "$tmp/cached"
"$B/iana-services" compile --services "$tmp/etc-services" --output "$tmp/services.db" "$tmp/b.csv" >/dev/null
for i in $(seq 30); do
    getent services svc > "$tmp/after"
    grep -q 2000 "$tmp/after" && break
    sleep 0.1
done
# Not found, and cached so; then /etc/services gains it.
getent services edited > "$tmp/edited-before"
echo "edited 3998/tcp" >> /etc/services
for i in $(seq 30); do
    getent services edited > "$tmp/edited-after"
    grep -q 3998 "$tmp/edited-after" && break
    sleep 0.1
done
kill "$pid"; wait "$pid" 2>/dev/null
INNER
NSCD_LIBS=${NSCD_LIBS:-} timeout 60 unshare -m sh "$tmp/run.sh" "$tmp" "$B" "$NSCD"

. "$(dirname "$0")/lib.sh"
check "answers through nscd" "svc 1000/tcp" "$(squeeze < "$tmp/before")"
# Before the swap nscd asked the module once: the second answer came from
# its cache, so the flush is what the later answers depend on.
check "second answer from the cache" "1" \
    "$(sed '/was moved into place/q' "$tmp/nscd.log" | grep -c 'Haven.t found "svc/"')"
check "cache flushed when the file is replaced" "1" \
    "$(sed '/etc.services. was written to/q' "$tmp/nscd.log" | grep -c 'remove GETSERVBYNAME entry "svc/"')"
check "registers the database" "1" "$(grep -c "monitoring file $tmp/services.db for database services" "$tmp/nscd.log")"
check "new file served after the swap" "svc 2000/tcp" "$(squeeze < "$tmp/after")"
# nscd initialises every module of the line at start: nss_files registers
# /etc/services, and so does the module (it would be alone with
# "services: iana").
check "registers /etc/services too" "2" \
    "$(sed '/GETSERVBYNAME/q' "$tmp/nscd.log" | grep -c "monitoring file /etc/services for database services")"
check "an edit to /etc/services: not found before" "" "$(cat "$tmp/edited-before")"
check "an edit to /etc/services: answered after, cache flushed" "edited 3998/tcp" \
    "$(squeeze < "$tmp/edited-after")"
summary nscd || { sed 's/^/     /' "$tmp/nscd.log" | tail -20; exit 1; }
