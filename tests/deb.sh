#!/bin/bash
# The Debian packages: `make deb` builds libnss-iana and iana-services; their
# contents, metadata and lintian are checked; then, as root, both are
# installed into this machine with dpkg, answer `getent services` through
# the system's own /etc/nsswitch.conf, and are removed and purged, leaving
# /etc/nsswitch.conf byte for byte as it was and no file behind.
#
#   tests/deb.sh BUILD_DIR
#
# Whatever happens, the machine is left as it was found: nsswitch.conf,
# /var/lib/nss_iana and any files at the packages' paths are saved first and
# put back by an EXIT trap, and the packages (and any dependencies apt had
# to add) are purged.  Packages of these names that are already installed
# are not touched: the install part is then skipped.
set -u
cd "$(dirname "$0")/.."
B=${1:?usage: deb.sh BUILD_DIR}
OUT=$B/deb
. tests/lib.sh
squeeze_getent() { env -u NSS_IANA_DB -u LD_LIBRARY_PATH getent services "$@" | squeeze; }

# --- build ----------------------------------------------------------------------
if ! make --no-print-directory B="$B" deb; then
    bad "make deb"
    summary deb
    exit
fi
ok "make deb"
version=$(dpkg-parsechangelog -S Version)
arch=$(dpkg --print-architecture)
ma=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
LIB_DEB=$OUT/libnss-iana_${version}_${arch}.deb
TOOL_DEB=$OUT/iana-services_${version}_${arch}.deb
if [ -f "$LIB_DEB" ] && [ -f "$TOOL_DEB" ]; then ok "two packages: $(basename "$LIB_DEB") $(basename "$TOOL_DEB")"
else bad "two packages" "$(ls "$OUT")"; summary deb; exit; fi

# --- what the packages hold -----------------------------------------------------------
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
field() { dpkg-deb -f "$1" "$2"; }
files_of() { dpkg-deb -c "$1" | awk '$1 !~ /^d/ {sub(/^\./, "", $6); print $6}'; }
files_of "$LIB_DEB" > "$tmp/lib.files"
files_of "$TOOL_DEB" > "$tmp/tool.files"

check "libnss-iana: Multi-Arch same" "same" "$(field "$LIB_DEB" Multi-Arch)"
check "libnss-iana: Section admin" "admin" "$(field "$LIB_DEB" Section)"
case "$(field "$LIB_DEB" Depends)" in
    *"iana-services (= $version)"*) ok "libnss-iana: Depends on iana-services (= $version)" ;;
    *) bad "libnss-iana: Depends on iana-services (= $version)" "$(field "$LIB_DEB" Depends)" ;;
esac
check "iana-services: Multi-Arch foreign" "foreign" "$(field "$TOOL_DEB" Multi-Arch)"
check "libnss-iana: the module in the multiarch libdir, besides docs" \
    "/usr/lib/$ma/libnss_iana.so.2" "$(grep -v '^/usr/share/\(doc\|man\|lintian\)/' "$tmp/lib.files")"
for f in /usr/bin/iana-services /usr/share/nss_iana/service-names-port-numbers.csv \
         /lib/systemd/system/iana-services-update.service /lib/systemd/system/iana-services-update.timer; do
    if grep -qx "$f" "$tmp/tool.files"; then ok "iana-services: ships $f"
    else bad "iana-services: ships $f"; fi
done
for m in man/*.[0-9]; do
    [ -e "$m" ] || continue
    page=$(basename "$m"); sec=${page##*.}
    if grep -qx "/usr/share/man/man$sec/$page.gz" "$tmp/lib.files" "$tmp/tool.files" -h; then ok "ships man page $page"
    else bad "ships man page $page"; fi
done
cmp -s data/service-names-port-numbers.csv <(dpkg-deb --fsys-tarfile "$TOOL_DEB" |
    tar -xOf - ./usr/share/nss_iana/service-names-port-numbers.csv)
check "the bundled CSV is data/'s, byte for byte" 0 $?

# The module as packaged: its exports are exactly the symbols file's, and it
# is hardened.
mkdir "$tmp/lib" && dpkg-deb -x "$LIB_DEB" "$tmp/lib" && dpkg-deb -e "$LIB_DEB" "$tmp/lib/DEBIAN"
so=$tmp/lib/usr/lib/$ma/libnss_iana.so.2
check "symbols file == exported symbols" \
    "$(nm -D --defined-only "$so" | awk '$2 ~ /^[TDBRVW]$/ {print $3 "@Base"}' | sort)" \
    "$(awk '/^ / {print $1}' "$tmp/lib/DEBIAN/symbols" | sort)"
check "packaged module: full RELRO" "yes" \
    "$(readelf -d "$so" | grep -q 'BIND_NOW\|FLAGS.*NOW' && readelf -l "$so" | grep -q GNU_RELRO && echo yes)"
check "packaged module: fortified" "yes" "$(nm -D "$so" | grep -q '__.*_chk' && echo yes)"
grep -q 'Installing services/iana from libnss-iana in position after=files' "$tmp/lib/DEBIAN/postinst"
check "libnss-iana postinst wires services: after files (dh_installnss)" 0 $?

# Build-Depends in step with the Makefile's BUILD_PKGS.
make --no-print-directory deb-check-control >/dev/null
check "debian/control Build-Depends matches BUILD_PKGS" 0 $?

# --- lintian ----------------------------------------------------------------------------
# `make deb-lint` installs lintian when run as root.
if command -v lintian >/dev/null || [ "$(id -u)" = 0 ]; then
    make --no-print-directory B="$B" deb-lint > "$tmp/lintian" 2>&1
    rc=$?
    if [ $rc = 0 ]; then ok "lintian: no errors or warnings ($(grep -c '^[IPO]: ' "$tmp/lintian") info, pedantic or overridden tags)"
    else bad "lintian: no errors or warnings" "$(grep -v '^running with root' "$tmp/lintian" | head -20)"; fi
else
    skip "lintian (not installed; sudo apt-get install lintian)"
fi

# --- install into this machine, query, remove, purge ------------------------------
PKGS="libnss-iana iana-services"
# Known to dpkg in any state but "not installed" (config-files included).
present() { dpkg-query -W -f '${db:Status-Abbrev}' "$1" 2>/dev/null | grep -q '^.[^n]'; }

if [ "$(id -u)" != 0 ]; then
    skip "install, query, remove, purge (needs root: they change this machine)"
    summary deb; exit
fi
for p in $PKGS; do
    if present "$p"; then
        skip "install, query, remove, purge: $p is already on this machine, not touched"
        summary deb; exit
    fi
done

# Save everything the packages could change.
NSS=/etc/nsswitch.conf
STATE=/var/lib/nss_iana
save=$tmp/save
mkdir -p "$save/files"
cp -a "$NSS" "$save/nsswitch.conf"
[ -e "$STATE" ] && cp -a "$STATE" "$save/state"
cat "$tmp/lib.files" "$tmp/tool.files" | while IFS= read -r f; do
    [ -e "$f" ] && [ ! -d "$f" ] && cp -a --parents "$f" "$save/files/"
done
apt_new=""  # dependencies apt added for the packages

restore() {
    local p left=""
    for p in $PKGS; do present "$p" && left="$left $p"; done
    if [ -n "$left" ]; then
        dpkg --purge $left >/dev/null 2>&1 || dpkg --purge --force-all $left >/dev/null 2>&1
    fi
    [ -n "$apt_new" ] && apt-get purge -y -q $apt_new >/dev/null 2>&1
    cmp -s "$save/nsswitch.conf" "$NSS" || cp -a "$save/nsswitch.conf" "$NSS"
    rm -f /etc/nsswitch.conf.nss.libnss-iana-will-install
    rm -rf "$STATE"
    [ -e "$save/state" ] && cp -a "$save/state" "$STATE"
    (cd "$save/files" && find . ! -type d | while IFS= read -r f; do cp -a "$f" "/${f#./}"; done)
    ldconfig
    rm -rf "$tmp"
}
trap restore EXIT
trap 'exit 130' INT TERM HUP

# Before: the machine's own sources do not know bgp/sctp (if they do, the
# check below still shows the answer, but not that the module gave it).
before_bgp=$(squeeze_getent bgp/sctp)

if dpkg -i "$LIB_DEB" "$TOOL_DEB" > "$tmp/dpkg.log" 2>&1; then
    ok "dpkg -i both packages"
else
    # Missing dependencies: let apt fetch them, and note which it added.
    apt-get install -y -q --no-install-recommends "$(realpath "$LIB_DEB")" "$(realpath "$TOOL_DEB")" \
        > "$tmp/apt.log" 2>&1
    rc=$?
    apt_new=$(sed -n '/^The following NEW packages will be installed:/,/^[^ ]/{/^ /p}' "$tmp/apt.log" |
        tr ' ' '\n' | grep -v -x -e '' -e libnss-iana -e iana-services | tr '\n' ' ')
    check "apt-get install ./*.deb (dpkg -i lacked dependencies${apt_new:+: $apt_new})" 0 $rc
fi

for p in $PKGS; do
    check "$p installed" "ii" "$(dpkg-query -W -f '${db:Status-Abbrev}' "$p" 2>/dev/null | tr -d ' ')"
done
services_line=$(grep -E '^services:' "$NSS")
if printf '%s\n' "$services_line" | grep -Eq '[[:space:]]files([[:space:]]+\[[^]]*\])?[[:space:]]+iana([[:space:]]|$)'; then
    ok "nsswitch.conf: iana after files ($(printf '%s' "$services_line" | squeeze))"
else
    bad "nsswitch.conf: iana after files" "$services_line"
fi
[ ! -e /etc/nsswitch.conf.nss.libnss-iana-will-install ]
check "dh_installnss marker file gone after configure" 0 $?
iana-services verify > "$tmp/verify" 2>&1
check "postinst compiled $STATE/services.db (iana-services verify)" 0 $?
check "getent services bgp/sctp through the system configuration" "bgp 179/sctp" "$(squeeze_getent bgp/sctp)"
check "getent services 179/sctp" "bgp 179/sctp" "$(squeeze_getent 179/sctp)"
check "getent -s iana services 6010/udp (range, system module path)" "x11 6010/udp" \
    "$(env -u NSS_IANA_DB -u LD_LIBRARY_PATH getent -s iana services 6010/udp | squeeze)"
if command -v python3 >/dev/null; then
    check "python socket.getservbyname('bgp', 'sctp')" 179 \
        "$(env -u NSS_IANA_DB -u LD_LIBRARY_PATH python3 -c 'import socket; print(socket.getservbyname("bgp", "sctp"))' 2>&1)"
fi
if [ -d /etc/systemd/system ]; then
    [ -L /etc/systemd/system/timers.target.wants/iana-services-update.timer ]
    check "update timer enabled" 0 $?
fi

# A database compiled from a registry `update` downloaded (kept as DB.csv,
# which the database names): configuring the package again (as an upgrade
# does) compiles that registry again, not the bundled snapshot.
kept=/var/lib/nss_iana/services.db.csv
{ cat /usr/share/nss_iana/service-names-port-numbers.csv; printf 'nss-iana-dl,47998,tcp,x,,,,,,,,\r\n'; } > "$kept"
iana-services compile "$kept" > /dev/null
dpkg -i "$TOOL_DEB" > "$tmp/dpkg.log" 2>&1
check "reinstalled iana-services: exit 0" 0 $?
check "reinstalled: the downloaded registry's name still answers" "nss-iana-dl 47998/tcp" \
    "$(squeeze_getent nss-iana-dl)"
rm -f "$kept"

# Remove: dh_installnss takes iana off the services line.
dpkg -r libnss-iana iana-services > "$tmp/dpkg.log" 2>&1
check "dpkg -r libnss-iana iana-services" 0 $?
if cmp -s "$save/nsswitch.conf" "$NSS"; then ok "after remove: nsswitch.conf byte for byte as before"
else bad "after remove: nsswitch.conf byte for byte as before" "$(diff "$save/nsswitch.conf" "$NSS")"; fi
check "after remove: bgp/sctp answers as before" "$before_bgp" "$(squeeze_getent bgp/sctp)"

# Purge: the database and the timer's enablement go too.
dpkg -P libnss-iana iana-services > "$tmp/dpkg.log" 2>&1
check "dpkg -P libnss-iana iana-services" 0 $?
for p in $PKGS; do
    present "$p"; check "$p: no trace in dpkg's database" 1 $?
done
if cmp -s "$save/nsswitch.conf" "$NSS"; then ok "after purge: nsswitch.conf byte for byte as before"
else bad "after purge: nsswitch.conf byte for byte as before" "$(diff "$save/nsswitch.conf" "$NSS")"; fi
left=$(cat "$tmp/lib.files" "$tmp/tool.files" | while IFS= read -r f; do [ -e "$f" ] && echo "$f"; done)
check "no file of the packages left" "" "$left"
left=""
for f in "$STATE" /etc/nsswitch.conf.nss.libnss-iana-will-install \
         /etc/systemd/system/timers.target.wants/iana-services-update.timer \
         /var/lib/systemd/deb-systemd-helper-enabled/iana-services-update.timer.dsh-also \
         /var/lib/systemd/deb-systemd-helper-enabled/timers.target.wants/iana-services-update.timer; do
    [ -e "$f" ] || [ -L "$f" ] && left="$left $f"
done
check "nothing the maintainer scripts made is left" "" "$left"

summary deb
