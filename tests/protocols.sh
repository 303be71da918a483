#!/bin/bash
# The protocols answers through glibc, against glibc's own nss_files
# (root: mount namespaces; skips, saying so, otherwise):
#   1. differential: `iana-services export --protocols` bind-mounted over
#      /etc/protocols in `unshare -m`; nss_files must give the module's
#      answer to every name and alias of the export, every number from -300
#      to 600 and the int extremes, and the same enumeration;
#   2. the `files iana` oracle, for netbase's /etc/protocols, the hostile
#      tests/data/hostile.protocols and variants of its end: glibc with
#      "protocols: files iana" over a registry-only database (nss_files
#      reads the file, then the module) against "protocols: iana
#      [!UNAVAIL=return] files" and "protocols: iana" over a database that
#      merged the file, each side with the file over /etc/protocols: every
#      name and alias of the file and of the registry in four cases, the
#      numbers, the enumeration;
#   3. staleness, one file at a time: a changed /etc/protocols makes the
#      protocol lookups UNAVAIL (nss_files answers behind them) and leaves
#      the services lookups answered, and a changed /etc/services the
#      converse.
#
#   tests/protocols.sh BUILD_DIR
set -u
B=$(cd "${1:?usage: protocols.sh BUILD_DIR}" && pwd) || exit 2
SRC=$(cd "$(dirname "$0")" && pwd)
. "$SRC/lib.sh"

if [ "$(id -u)" != 0 ] || ! unshare -m true 2>/dev/null; then
    echo "protocols: SKIPPED (needs root and unshare -m for a private /etc/protocols)"
    exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
TOOL=$B/iana-services
PCLIENT=$B/proto_client
SCLIENT=$B/nss_client
REGDB=$tmp/registry.db
"$TOOL" compile --no-services --no-protocols-file --output "$REGDB" > /dev/null || exit 1
mkdir "$tmp/no-nscd"

# in_ns PROTOCOLS SERVICES COMMAND...: COMMAND in a mount namespace of its
# own with PROTOCOLS over /etc/protocols and, unless "-", SERVICES over
# /etc/services.  Exit 125 if a mount fails.
# shellcheck disable=SC2016
in_ns() {
    unshare -m -- sh -c '
        mount --bind "$1" /etc/protocols || exit 125
        if [ "$2" != - ]; then mount --bind "$2" /etc/services || exit 125; fi
        shift 2
        exec "$@"' sh "$@"
}

# Names and aliases of an enumeration (proto_client's lines), one a line.
names_of() { awk '{ for (i = 1; i <= NF; i++) if (i != 2) print $i }' "$@" | sort -u; }
# Each in four cases: as written, upper, lower, capitalised (on %XX text:
# hex digits read the same in either case).
four_cases() {
    while read -r n; do
        printf 'name %s\nname %s\nname %s\nname %s\n' "$n" "${n^^}" "${n,,}" "${n^}"
    done
}

# --- 1. differential over the export ----------------------------------------------------
"$TOOL" export --protocols --db "$REGDB" > "$tmp/export.protocols"
"$PCLIENT" iana enum > /dev/null 2>&1 # loads
{
    NSS_IANA_DB=$REGDB LD_LIBRARY_PATH=$B "$PCLIENT" iana enum | names_of | sed 's/^/name /'
    echo 'numbers -300 600'
    printf 'number %s\n' -2147483648 2147483647 4294967295
    echo enum
} > "$tmp/q.diff"
NSS_IANA_DB=$REGDB LD_LIBRARY_PATH=$B "$PCLIENT" iana < "$tmp/q.diff" > "$tmp/diff.iana"
in_ns "$tmp/export.protocols" - "$PCLIENT" files < "$tmp/q.diff" > "$tmp/diff.files"
n=$(grep -c -- ' -> ' "$tmp/diff.iana")
found=$(grep -- ' -> ' "$tmp/diff.iana" | grep -vc 'NOTFOUND$')
if [ "$n" -gt 900 ] && cmp -s "$tmp/diff.iana" "$tmp/diff.files"; then
    ok "differential: $n queries ($found found) and the enumeration ($(grep -vc -- ' -> ' "$tmp/diff.iana") lines), module == nss_files over export --protocols"
else
    bad "differential: module and nss_files over export --protocols ($n queries)" \
        "$(diff "$tmp/diff.files" "$tmp/diff.iana" | head -10)"
fi

# --- 2. the files iana oracle ---------------------------------------------------------
# (a) netbase's /etc/protocols: the machine's if dpkg vouches for it, else the package's.
if [ "$(dpkg -S /etc/protocols 2>/dev/null)" = "netbase: /etc/protocols" ] &&
   [ -z "$(dpkg --verify netbase 2>&1)" ]; then
    cp /etc/protocols "$tmp/netbase.protocols"
else
    mkdir "$tmp/apt" && chmod 0755 "$tmp" "$tmp/apt"
    (cd "$tmp/apt" && apt-get download -q netbase >/dev/null 2>&1 &&
        dpkg-deb -x netbase_*.deb x && cp x/etc/protocols ../netbase.protocols) ||
        skip "netbase (the machine's /etc/protocols is not netbase's, and apt-get download netbase failed)"
fi
# (b) the hostile file; (c) with blanks after its last line; (d) with a
# CRLF line last and a comment without a line end.
cp "$SRC/data/hostile.protocols" "$tmp/hostile.protocols"
{ cat "$SRC/data/hostile.protocols"; printf '\n   \t '; } > "$tmp/hostile-blank-end.protocols"
{ cat "$SRC/data/hostile.protocols"; printf '\ncrlf-last 77 c\r\n# no line end'; } > "$tmp/hostile-crlf-end.protocols"

NSS_IANA_DB=$REGDB LD_LIBRARY_PATH=$B "$PCLIENT" iana enum > "$tmp/registry.enum"
for label in netbase hostile hostile-blank-end hostile-crlf-end; do
    f=$tmp/$label.protocols
    [ -f "$f" ] || continue
    d=$tmp/$label
    mkdir "$d"
    if ! "$TOOL" compile --no-services --protocols-file "$f" --output "$d/merged.db" > "$d/compile.log" 2>&1; then
        bad "$label: compile --protocols-file" "$(head -3 "$d/compile.log")"
        continue
    fi
    in_ns "$f" - "$PCLIENT" files enum > "$d/file.enum"
    {
        names_of "$d/file.enum" "$tmp/registry.enum" | four_cases
        printf 'name %s\n' nonesuch %00 reserved
        echo 'numbers -5 300'
        awk '{ print "number " $2; print "number " $2 - 1; print "number " $2 + 1 }' "$d/file.enum"
        printf 'number %s\n' -2147483648 2147483647
        echo enum
    } > "$d/q"
    in_ns "$f" - env NSS_IANA_DB="$REGDB" LD_LIBRARY_PATH="$B" "$PCLIENT" "files iana" < "$d/q" > "$d/A" &
    in_ns "$f" - env NSS_IANA_DB="$d/merged.db" LD_LIBRARY_PATH="$B" "$PCLIENT" "iana [!UNAVAIL=return] files" < "$d/q" > "$d/B"
    in_ns "$f" - env NSS_IANA_DB="$d/merged.db" LD_LIBRARY_PATH="$B" "$PCLIENT" iana < "$d/q" > "$d/C"
    wait
    nq=$(grep -c -- ' -> ' "$d/A")
    nenum=$(grep -vc -- ' -> ' "$d/A")
    if [ "$nq" -gt 100 ] && cmp -s "$d/A" "$d/B"; then
        ok "$label ($(wc -l < "$f") lines, $(wc -l < "$d/file.enum") read by nss_files): $nq queries and the enumeration ($nenum lines), merged == files iana"
    else
        bad "$label: merged and files iana differ ($nq queries)" "$(diff "$d/A" "$d/B" | head -10)"
    fi
    if cmp -s "$d/B" "$d/C"; then ok "$label: \"protocols: iana\" alone answers the same (the module answered)"
    else bad "$label: \"protocols: iana\" alone differs" "$(diff "$d/B" "$d/C" | head -6)"; fi
done

# --- 3. staleness, each file on its own ------------------------------------------------
f=$tmp/hostile.protocols
if [ -f "$tmp/netbase.protocols" ]; then f=$tmp/netbase.protocols; fi
cp /etc/services "$tmp/services"
"$TOOL" compile --services "$tmp/services" --protocols-file "$f" --output "$tmp/both.db" > /dev/null
{ cat "$f"; echo 'sctp 99 changed'; } > "$tmp/changed.protocols"
sed '1s/^/# changed\n/' "$tmp/services" > "$tmp/changed.services"
ask() { # PROTOCOLS SERVICES: a protocol and a service lookup, iana alone and with the fallback
    in_ns "$1" "$2" env NSS_IANA_DB="$tmp/both.db" LD_LIBRARY_PATH="$B" sh -c '
        "$0/proto_client" iana "name sctp" | sed "s/^/iana: /"
        "$0/proto_client" "iana [!UNAVAIL=return] files" "number 99" | sed "s/^/fallback: /"
        "$0/nss_client" -x iana "name http tcp" | sed "s/^/iana: /"' "$B"
}
check "both files as merged: both answered by iana" \
    "iana: name sctp -> sctp 132 SCTP|fallback: number 99 -> NOTFOUND|iana: name http tcp -> http 80/tcp www" \
    "$(ask "$f" "$tmp/services" | tr '\n' '|' | sed 's/|$//')"
check "/etc/protocols changed: protocol lookups UNAVAIL (nss_files answers), services still iana's" \
    "iana: name sctp -> ERROR 2|fallback: number 99 -> sctp 99 changed|iana: name http tcp -> http 80/tcp www" \
    "$(ask "$tmp/changed.protocols" "$tmp/services" | tr '\n' '|' | sed 's/|$//')"
check "/etc/services changed: services lookups UNAVAIL, protocols still iana's" \
    "iana: name sctp -> sctp 132 SCTP|fallback: number 99 -> NOTFOUND|iana: name http tcp -> ERROR 2" \
    "$(ask "$f" "$tmp/changed.services" | tr '\n' '|' | sed 's/|$//')"

summary protocols
