#!/bin/bash
# The oracle test: a database compiled with --services F, asked with
# "services: iana [!UNAVAIL=return] files", must answer every query exactly
# as glibc does with "services: files iana" (nss_files reading F, then the
# module over a --no-services database).  For each file F: netbase's
# /etc/services, an iana-etc-style file generated from the registry, and the
# hostile site file tests/data/hostile.services (as committed, and with a
# plain last line), asked through __nss_configure_lookup:
#   - every name and alias of F and of the registry, as written, upper,
#     lower and capitalised, with tcp, udp, sctp, dccp, none, ddp, udplite,
#     TCP, "" and every protocol F names;
#   - every port 0-65535 with none and tcp; F's ports (and either side of
#     each), the registry's ports, 0-1024 and 5990-6099 with the rest;
#     ints that are no 16-bit port;
#   - of the iana-etc file, which nss_files reads whole on every miss, a
#     sample of those (tests/oracle.py queries; ORACLE_ALL=1: all of them);
#   - the whole setservent/getservent enumeration;
# then as installed, a private /etc/nsswitch.conf with each line: a sample
# of the queries, and `getent services`.
# Each side runs in a mount namespace of its own with F over /etc/services;
# the merged side also with "services: iana" alone, which must answer the
# same (the module answered, not nss_files after an UNAVAIL).
# Needs root; skips (exit 0, says so) otherwise.
#
#   tests/oracle.sh BUILD_DIR      (ORACLE_FILES="netbase hostile ...": some)
set -u
B=$(cd "${1:?usage: oracle.sh BUILD_DIR}" && pwd) || exit 2
SRC=$(cd "$(dirname "$0")" && pwd)

if [ "$(id -u)" != 0 ] || ! unshare -m true 2>/dev/null; then
    echo "oracle: SKIPPED (needs root and unshare -m for a private /etc/services)"
    exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$SRC/lib.sh"
. "$SRC/oracle_lib.sh"
oracle_init || { bad "a registry-only database"; summary oracle; exit; }

# --- the files ------------------------------------------------------------------------
# (a) netbase's /etc/services: the machine's if dpkg vouches for it, else the package's.
if [ "$(dpkg -S /etc/services 2>/dev/null)" = "netbase: /etc/services" ] &&
   [ -z "$(dpkg --verify netbase 2>&1)" ]; then
    cp /etc/services "$tmp/netbase.services"
    echo "netbase: the machine's /etc/services (dpkg --verify netbase is clean)"
else
    mkdir "$tmp/apt" && chmod 0755 "$tmp" "$tmp/apt"
    if (cd "$tmp/apt" && apt-get download -q netbase >/dev/null 2>&1 &&
        dpkg-deb -x netbase_*.deb x && cp x/etc/services ../netbase.services); then
        echo "netbase: /etc/services from $(cd "$tmp/apt" && ls netbase_*.deb)"
    else
        skip "netbase (the machine's /etc/services is not netbase's, and apt-get download netbase failed)"
    fi
fi
# (b) iana-etc style, from the registry CSV.
python3 "$SRC/oracle.py" iana-etc "$CSV" > "$tmp/iana-etc.services"
# (c) the hostile site file; (d) the same with a plain last line, no newline.
cp "$SRC/data/hostile.services" "$tmp/hostile.services"
{ head -n -1 "$SRC/data/hostile.services"; printf 'plain-last 4034/udp pl'; } > "$tmp/hostile-plain-end.services"

# --- as installed ----------------------------------------------------------------------
# installed LABEL F: /etc/nsswitch.conf with each services line (the host's
# file otherwise), a sample of LABEL's queries and `getent services`.
installed() {
    local d=$tmp/$1 f=$2
    [ -s "$d/merged.db" ] && [ -s "$d/q" ] || return 0
    grep -v '^[[:space:]]*services[[:space:]]*:' /etc/nsswitch.conf > "$d/nss.A" 2>/dev/null
    cp "$d/nss.A" "$d/nss.B"
    echo 'services: files iana' >> "$d/nss.A"
    echo "services: $ORACLE_LINE" >> "$d/nss.B"
    chmod 0644 "$d/nss.A" "$d/nss.B"
    { grep -v '^ports .* - tcp$' "$d/q" | awk 'NR % 25 == 1'; echo 'ports 0 1023 - tcp'; } > "$d/sample"
    side_files "$f" "$d/nss.A" - < "$d/sample" > "$d/inst.A" 2>&1 &
    side_merged "$d/merged.db" "$f" "$d/nss.B" - < "$d/sample" > "$d/inst.B" 2>&1
    wait
    in_ns "$f" "$d/nss.A" env NSS_IANA_DB="$tmp/lib/registry.db" LD_LIBRARY_PATH="$B" getent services > "$d/getent.A" &
    in_ns "$f" "$d/nss.B" env NSS_IANA_DB="$d/merged.db" LD_LIBRARY_PATH="$B" getent services > "$d/getent.B"
    wait
    local ndiff
    ndiff=$(report_diff "$d/inst.A" "$d/inst.B" | tee "$d/inst.diff" | wc -l)
    if [ "$ndiff" = 0 ] && [ "$(wc -l < "$d/inst.A")" = "$(wc -l < "$d/inst.B")" ]; then
        ok "$1 as installed: $(wc -l < "$d/inst.A") queries, merged == files iana"
    else
        mapfile -t why < <(head -12 "$d/inst.diff")
        bad "$1 as installed: $ndiff of $(wc -l < "$d/inst.A") queries differ" "${why[@]}"
    fi
    # getent lists what getservent_r did through __nss_configure_lookup: the
    # services line was in effect.
    if cmp -s "$d/getent.A" "$d/getent.B" && [ "$(wc -l < "$d/getent.A")" = "$(wc -l < "$d/enum.A")" ]; then
        ok "$1 as installed: getent services, $(wc -l < "$d/getent.A") lines, merged == files iana"
    else
        mapfile -t why < <(diff "$d/getent.A" "$d/getent.B" | head -12)
        bad "$1 as installed: getent services differs ($(wc -l < "$d/getent.A") and $(wc -l < "$d/getent.B") lines, $(wc -l < "$d/enum.A") entries)" \
            "${why[@]}"
    fi
}

mode=full
[ -n "${ORACLE_ALL:-}" ] && mode=all
for label in ${ORACLE_FILES:-netbase iana-etc hostile hostile-plain-end}; do
    f=$tmp/$label.services
    [ -f "$f" ] || continue
    start=$(date +%s)
    compare "$label" "$f" "$mode" "$ncpu"
    result_count "$tmp/$label"
    installed "$label" "$f"
    echo "     ($label: $(wc -l < "$f") lines, $(( $(date +%s) - start )) s)"
done
summary oracle
