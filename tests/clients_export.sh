#!/bin/bash
# The export for programs that never call NSS (`iana-services export
# --portable`), read as they read it: a static musl program (musl-gcc
# -static: getservbyname and getservbyport read /etc/services, first match,
# tcp and udp only, 128-byte lines) and a CGO_ENABLED=0 Go program
# (net.LookupPort: Go's own /etc/services map, a name's last line, the name
# asked in lower case), each with the export bind-mounted over /etc/services
# in a private mount namespace, against glibc through the module
# ("services: iana" bind-mounted over /etc/nsswitch.conf, NSS_IANA_DB and
# LD_LIBRARY_PATH at the build), name by name and port by port: every name
# and alias in the export, with tcp and with udp, and every port the export
# lists for tcp or udp, plus one it does not.  The database is the registry
# merged with this machine's /etc/services, as installed.  The portable
# export must give no other answer; the plain export's differences are
# counted and shown (what the readers would get from it).
# Needs root; skips (exit 0, says so) otherwise.  Packages: musl-tools,
# golang-go (the Makefile's TEST_PKGS).
#
#   tests/clients_export.sh BUILD_DIR
set -u
B=$(cd "${1:?usage: clients_export.sh BUILD_DIR}" && pwd) || exit 2
SRC=$(cd "$(dirname "$0")" && pwd)
TOOL=$B/iana-services
. "$SRC/lib.sh"

if [ "$(id -u)" != 0 ] || ! unshare -m true 2>/dev/null; then
    echo "clients_export: SKIPPED (needs root and unshare -m)"
    exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
host_before="$(sha256sum /etc/services /etc/protocols /etc/nsswitch.conf 2>&1) | $(findmnt -n /etc/services 2>&1)"

# The glibc client with the build's module (and, under make check-sanitize,
# which sets E2E_PRELOAD, the ASan runtime preloaded, as tests/clients.sh).
modenv=(env LD_LIBRARY_PATH="$B")
if [ -n "${E2E_PRELOAD:-}" ]; then modenv+=("LD_PRELOAD=$E2E_PRELOAD" "ASAN_OPTIONS=detect_leaks=0"); fi

# --- the programs -----------------------------------------------------------------------
T0=$SECONDS
cc -std=c11 -Wall -Wextra -Werror -O2 -o "$tmp/glibc_client" "$SRC/servfile_client.c" ||
    { bad "servfile_client builds against glibc"; summary clients_export; exit; }
if command -v musl-gcc >/dev/null; then
    # Static: no program interpreter (readelf, binutils).
    if musl-gcc -static -std=c11 -Wall -Wextra -Werror -O2 -o "$tmp/musl_client" "$SRC/servfile_client.c" &&
       ! readelf -l "$tmp/musl_client" | grep -q INTERP; then
        ok "servfile_client builds with musl-gcc -static"
    else
        bad "servfile_client builds with musl-gcc -static"
    fi
else
    bad "musl-gcc present (Debian package musl-tools)"
fi
# A build cache of the test's own, removed with it.
if command -v go >/dev/null &&
   (cd "$tmp" && cp "$SRC/go_port.go" . && CGO_ENABLED=0 GOCACHE=$tmp/gocache GOPATH=$tmp/gopath \
    GOFLAGS='' GO111MODULE=off go build -o go_port_static go_port.go); then
    ok "go_port.go builds with CGO_ENABLED=0 ($(go version | cut -d' ' -f3))"
else
    bad "go_port.go builds with CGO_ENABLED=0 (Debian package golang-go)"
fi
# Go's protocol lookup is unexported: go_proto.go reaches it by go:linkname,
# which wants an assembly file in the package (Go 1.23 and later refuse such
# a pull from the standard library: then this part is skipped, said).
mkdir "$tmp/gp" && cp "$SRC/go_proto.go" "$tmp/gp/main.go" && : > "$tmp/gp/empty.s"
if command -v go >/dev/null &&
   (cd "$tmp/gp" && CGO_ENABLED=0 GOCACHE=$tmp/gocache GOPATH=$tmp/gopath GOFLAGS='' GO111MODULE=off \
    go build -o "$tmp/go_proto" . 2>"$tmp/gp.err"); then
    ok "go_proto.go builds with CGO_ENABLED=0"
else
    skip "go_proto.go: $(head -1 "$tmp/gp.err" 2>/dev/null)"
fi
echo "     (programs built in $((SECONDS - T0)) s)"

# --- the database, its exports, the queries ---------------------------------------------
"$TOOL" compile --protocols "$SRC/../data/protocol-numbers-1.csv" --output "$tmp/merged.db" \
    "$SRC/../data/service-names-port-numbers.csv" >/dev/null ||
    { bad "compile the merged database"; summary clients_export; exit; }
"$TOOL" export --db "$tmp/merged.db" > "$tmp/services.plain"
if "$TOOL" export --portable --db "$tmp/merged.db" > "$tmp/services.portable"; then
    ok "iana-services export --portable ($(grep -vc '^#' "$tmp/services.portable") lines)"
else
    bad "iana-services export --portable"
fi
longest=$(awk '{ if (length($0) > m) m = length($0) } END { print m + 0 }' "$tmp/services.portable")
if [ "$longest" -le 126 ]; then ok "portable export: longest line $longest bytes (musl reads 127 with the newline)"
else bad "portable export: longest line $longest bytes, over musl's 127 with the newline"; fi
check "portable export: no comment after a line" "" "$(grep -v '^#' "$tmp/services.portable" | grep -m1 '#')"

# Every name and alias the export lists (any protocol), with tcp and udp;
# every port it lists for tcp or udp, and one it lists for neither.
grep -v '^#' "$tmp/services.plain" | sed 's/[[:space:]]*#.*//' |
    awk '{ for (i = 1; i <= NF; i++) if (i != 2) print $i }' | sort -u > "$tmp/names"
grep -v '^#' "$tmp/services.plain" | sed 's/[[:space:]]*#.*//' | awk '{ print $2 }' |
    awk -F/ '$2 == "tcp" || $2 == "udp" { print $1 }' | sort -un > "$tmp/ports"
free=$(awk '{ seen[$1] = 1 } END { for (p = 1; p < 65536; p++) if (!(p in seen)) { print p; exit } }' "$tmp/ports")
{
    awk '{ print "name", $1, "tcp"; print "name", $1, "udp" }' "$tmp/names"
    { cat "$tmp/ports"; echo "$free"; } | awk '{ print "port", $1, "tcp"; print "port", $1, "udp" }'
} > "$tmp/queries"
grep '^name' "$tmp/queries" > "$tmp/queries.names"
echo "     $(wc -l < "$tmp/names") names and $(($(wc -l < "$tmp/ports") + 1)) ports, each with tcp and udp"

# --- the answers ------------------------------------------------------------------------
grep -v '^[[:space:]]*services[[:space:]]*:' /etc/nsswitch.conf > "$tmp/nsswitch.conf"
echo 'services: iana' >> "$tmp/nsswitch.conf"
chmod 0644 "$tmp/nsswitch.conf"
mkdir "$tmp/empty"
# inns [-s SERVICES] [-p PROTOCOLS] [-c NSSWITCH] COMMAND...: COMMAND in a
# mount namespace of its own with those files bind-mounted over
# /etc/services, /etc/protocols and /etc/nsswitch.conf (and with a
# nsswitch.conf, nscd out of the way).
# shellcheck disable=SC2016  # the sh -c script expands its own arguments
inns() {
    local svc='' proto='' conf=''
    while :; do
        case $1 in
            -s) svc=$2; shift 2 ;;
            -p) proto=$2; shift 2 ;;
            -c) conf=$2; shift 2 ;;
            *) break ;;
        esac
    done
    unshare -m -- sh -c '
        if [ -n "$1" ]; then mount --bind "$1" /etc/services || exit 125; fi
        if [ -n "$2" ]; then mount --bind "$2" /etc/protocols || exit 125; fi
        if [ -n "$3" ]; then
            mount --bind "$3" /etc/nsswitch.conf || exit 125
            if [ -d /var/run/nscd ]; then mount --bind "$4" /var/run/nscd || exit 125; fi
        fi
        shift 4; exec "$@"' sh "$svc" "$proto" "$conf" "$tmp/empty" "$@"
}
T0=$SECONDS
inns -c "$tmp/nsswitch.conf" "${modenv[@]}" NSS_IANA_DB="$tmp/merged.db" "$tmp/glibc_client" \
    < "$tmp/queries" > "$tmp/glibc.out"
check "glibc through the module: an answer for every query" "$(wc -l < "$tmp/queries")" "$(wc -l < "$tmp/glibc.out")"
echo "     (glibc: $((SECONDS - T0)) s)"
grep '^name' "$tmp/glibc.out" > "$tmp/glibc.names"
grep -E '^(name|port) [^ ]+ (tcp|udp) ' "$tmp/glibc.out" > "$tmp/glibc.tcpudp"

# ndiff EXPECTED ACTUAL: how many answers differ (lines of ACTUAL not in
# EXPECTED, and any answer missing); showdiff: the first few.
ndiff() {
    local d m
    d=$(diff "$1" "$2" | grep -c '^>')
    m=$(($(wc -l < "$1") - $(wc -l < "$2")))
    [ "$m" -gt 0 ] && d=$((d + m))
    echo "$d"
}
showdiff() { diff "$1" "$2" | grep '^[<>]' | head -"${3:-6}" | sed 's/^/     /'; }

for layout in portable plain; do
    f=$tmp/services.$layout
    # musl over the plain export takes ~50 s (its comments make long lines)
    # and differs in one lookup (a name matched in another case): not run.
    if [ -x "$tmp/musl_client" ] && [ "$layout" = portable ]; then
        T0=$SECONDS
        inns -s "$f" "$tmp/musl_client" < "$tmp/queries" > "$tmp/musl.$layout"
        n=$(ndiff "$tmp/glibc.tcpudp" "$tmp/musl.$layout")
        t=$((SECONDS - T0))
        if [ "$layout" = portable ]; then
            check "musl -static over the portable export: lookups that differ from the module (of $(wc -l < "$tmp/queries"); $t s)" 0 "$n"
        else
            echo "     musl -static over the plain export: $n of $(wc -l < "$tmp/queries") lookups differ from the module ($t s)"
        fi
        [ "$n" = 0 ] || showdiff "$tmp/glibc.tcpudp" "$tmp/musl.$layout"
    fi
    if [ -x "$tmp/go_port_static" ]; then
        T0=$SECONDS
        inns -s "$f" "$tmp/go_port_static" < "$tmp/queries.names" > "$tmp/go.$layout"
        n=$(ndiff "$tmp/glibc.names" "$tmp/go.$layout")
        t=$((SECONDS - T0))
        if [ "$layout" = portable ]; then
            check "Go CGO_ENABLED=0 over the portable export: LookupPort answers that differ from the module (of $(wc -l < "$tmp/queries.names"); $t s)" 0 "$n"
        else
            echo "     Go CGO_ENABLED=0 over the plain export: $n of $(wc -l < "$tmp/queries.names") LookupPort answers differ from the module ($t s)"
        fi
        [ "$n" = 0 ] || showdiff "$tmp/glibc.names" "$tmp/go.$layout"
    fi
done

# glibc's own files backend reads the portable export as the module answers:
# the same queries, "services: files" over it.
sed 's/^services:.*/services: files/' "$tmp/nsswitch.conf" > "$tmp/nsswitch.files"
inns -s "$tmp/services.portable" -c "$tmp/nsswitch.files" "$tmp/glibc_client" \
    < "$tmp/queries" > "$tmp/files.portable"
n=$(ndiff "$tmp/glibc.out" "$tmp/files.portable")
check "glibc \"services: files\" over the portable export: answers that differ from the module" 0 "$n"
[ "$n" = 0 ] || showdiff "$tmp/glibc.out" "$tmp/files.portable"

# --- a line longer than musl's buffer ----------------------------------------------------
# A services file whose line has 30 aliases (over 300 bytes): the portable
# export splits it, and musl, Go and glibc's files still answer every alias
# as the module does, and the port with the line's name.
{ printf 'longline 40001/tcp'; for i in $(seq 30); do printf ' alias-number-%02d' "$i"; done; echo; } > "$tmp/long.services"
# As installed: the file is /etc/services (bind-mounted) when the database
# merges it and when the module reads it (the module drops a merged file's
# lines when /etc/services is another file).
inns -s "$tmp/long.services" "$TOOL" compile --protocols "$SRC/../data/protocol-numbers-1.csv" \
    --output "$tmp/long.db" "$SRC/../data/service-names-port-numbers.csv" >/dev/null
"$TOOL" export --portable --db "$tmp/long.db" > "$tmp/long.portable"
longest=$(awk '{ if (length($0) > m) m = length($0) } END { print m + 0 }' "$tmp/long.portable")
check "portable export of a $(wc -c < "$tmp/long.services")-byte line: $(grep -c '^longline ' "$tmp/long.portable") lines, none over 126 bytes" \
    yes "$([ "$longest" -le 126 ] && [ "$(grep -c '^longline ' "$tmp/long.portable")" -gt 1 ] && echo yes)"
{ echo "port 40001 tcp"; echo "name longline tcp"; for i in $(seq 30); do printf 'name alias-number-%02d tcp\n' "$i"; done; } > "$tmp/long.q"
inns -s "$tmp/long.services" -c "$tmp/nsswitch.conf" "${modenv[@]}" NSS_IANA_DB="$tmp/long.db" "$tmp/glibc_client" < "$tmp/long.q" > "$tmp/long.glibc"
check "the long line through the module: 40001 is longline, every alias 40001" \
    "port 40001 tcp longline|31" "$(head -1 "$tmp/long.glibc")|$(grep -c ' 40001$' "$tmp/long.glibc")"
if [ -x "$tmp/musl_client" ]; then
    check "musl -static over the split line: every answer the module's" "$(cat "$tmp/long.glibc")" \
        "$(inns -s "$tmp/long.portable" "$tmp/musl_client" < "$tmp/long.q")"
fi
if [ -x "$tmp/go_port_static" ]; then
    check "Go over the split line: every alias the module's" "$(grep '^name' "$tmp/long.glibc")" \
        "$(inns -s "$tmp/long.portable" "$tmp/go_port_static" < "$tmp/long.q")"
fi

# --- protocols: Go reads /etc/protocols itself whatever its resolver ---------------------
# Every name and alias of `export --protocols`, asked of glibc through the
# module ("protocols: iana") and of Go with the portable protocols export
# bind-mounted over /etc/protocols.  musl reads no protocols file (a table
# of its own): its differences are counted, not checked.
if "$TOOL" export --protocols --portable --db "$tmp/merged.db" > "$tmp/protocols.portable"; then
    ok "iana-services export --protocols --portable ($(grep -vc '^#' "$tmp/protocols.portable") lines)"
else
    bad "iana-services export --protocols --portable"
fi
check "portable protocols export: no comment after a line" "" "$(grep -v '^#' "$tmp/protocols.portable" | grep -m1 '#')"
# The names the module knows: those of the plain export (the portable one
# adds lower-case spellings of protocols file aliases, e.g. ip-encap for
# IP-ENCAP, which the module matches in their own case only).
"$TOOL" export --protocols --db "$tmp/merged.db" | grep -v '^#' | sed 's/[[:space:]]*#.*//' |
    awk '{ for (i = 1; i <= NF; i++) if (i != 2) print "proto", $i }' | sort -u > "$tmp/pqueries"
echo "proto no-such-protocol" >> "$tmp/pqueries"
sed 's/^protocols:.*//; s/^services:.*/services: iana/' "$tmp/nsswitch.conf" > "$tmp/nsswitch.proto"
echo 'protocols: iana' >> "$tmp/nsswitch.proto"
inns -c "$tmp/nsswitch.proto" "${modenv[@]}" NSS_IANA_DB="$tmp/merged.db" "$tmp/glibc_client" \
    < "$tmp/pqueries" > "$tmp/glibc.proto"
check "glibc protocols through the module: an answer for each of $(wc -l < "$tmp/pqueries") names" \
    "$(wc -l < "$tmp/pqueries")" "$(wc -l < "$tmp/glibc.proto")"
if [ -x "$tmp/go_proto" ]; then
    inns -p "$tmp/protocols.portable" "$tmp/go_proto" < "$tmp/pqueries" > "$tmp/go.proto"
    n=$(ndiff "$tmp/glibc.proto" "$tmp/go.proto")
    check "Go over the portable protocols export: names that differ from the module (of $(wc -l < "$tmp/pqueries"))" 0 "$n"
    [ "$n" = 0 ] || showdiff "$tmp/glibc.proto" "$tmp/go.proto"
fi
if [ -x "$tmp/musl_client" ]; then
    "$tmp/musl_client" < "$tmp/pqueries" > "$tmp/musl.proto"
    echo "     musl (its own table, no file): $(ndiff "$tmp/glibc.proto" "$tmp/musl.proto") of $(wc -l < "$tmp/pqueries") protocol names differ from the module"
fi

check "host /etc/services and /etc/nsswitch.conf unchanged, nothing mounted" "$host_before" \
    "$(sha256sum /etc/services /etc/protocols /etc/nsswitch.conf 2>&1) | $(findmnt -n /etc/services 2>&1)"
summary clients_export
