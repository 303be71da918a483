#!/bin/bash
# End to end: glibc's real NSS dispatch loading build/libnss_iana.so.2
# (getent -s iana, and nss_client through __nss_configure_lookup), and the
# iana-services command line, on real files.
#
#   tests/e2e.sh BUILD_DIR
set -u
B=$(cd "${1:?usage: e2e.sh BUILD_DIR}" && pwd)
TOOL=$B/iana-services
DB=$B/services.db
CSV=data/service-names-port-numbers.csv
export LD_LIBRARY_PATH=$B NSS_IANA_DB=$DB
# getent is not built with the sanitizers: with an instrumented module the
# ASan runtime must be preloaded into it (make check-sanitize sets this).
GETENT="getent"
[ -n "${E2E_PRELOAD:-}" ] && GETENT="env LD_PRELOAD=$E2E_PRELOAD ASAN_OPTIONS=detect_leaks=0 getent"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp" ${hid:+"$hid"}' EXIT
. "$(dirname "$0")/lib.sh"
getent_iana() { $GETENT -s iana services "$@" | squeeze; }

# --- the module's interface ---------------------------------------------------
check "exports only _nss_iana_* entry points" \
    "_nss_iana_endprotoent _nss_iana_endservent _nss_iana_getprotobyname_r _nss_iana_getprotobynumber_r _nss_iana_getprotoent_r _nss_iana_getservbyname_r _nss_iana_getservbyport_r _nss_iana_getservent_r _nss_iana_init _nss_iana_setprotoent _nss_iana_setservent" \
    "$(nm -D --defined-only "$B/libnss_iana.so.2" | awk '$2 ~ /^[TDBRVW]$/ {print $3}' | sort | tr '\n' ' ' | sed 's/ $//')"
check "soname is libnss_iana.so.2" "libnss_iana.so.2" \
    "$(objdump -p "$B/libnss_iana.so.2" | awk '$1 == "SONAME" {print $2}')"
check "full RELRO" "yes" \
    "$(readelf -d "$B/libnss_iana.so.2" | grep -q 'BIND_NOW\|FLAGS.*NOW' && readelf -l "$B/libnss_iana.so.2" | grep -q GNU_RELRO && echo yes)"

# --- answers through glibc: the examples the registry rules promise -----------
check "bgp/sctp"           "bgp 179/sctp"              "$(getent_iana bgp/sctp)"
check "www is http's alias" "http 80/tcp www www-http" "$(getent_iana www)"
check "80/udp"             "http 80/udp www www-http"  "$(getent_iana 80/udp)"
check "172/tcp is cl-1, alias cl/1" "cl-1 172/tcp cl/1" "$(getent_iana 172/tcp)"
check "msp by name: the first (18)" "msp 18/tcp"       "$(getent_iana msp)"
check "42/tcp is name"     "name 42/tcp"               "$(getent_iana 42/tcp)"
check "range answers with the asked port" "x11 6010/udp" "$(getent_iana 6010/udp)"
check "case-insensitive name, registered spelling" "https 443/tcp" "$(getent_iana HTTPS/tcp)"
$GETENT -s iana services no-such-service-name >/dev/null; check "miss: getent exit 2" 2 $?
check "name with a slash, via getservbyname" "name cl/1 - -> cl-1 172/tcp cl/1" \
    "$("$B/nss_client" iana 'name cl/1 -')"
check "udplite is a clean NOTFOUND" "port 80 udplite -> NOTFOUND" "$("$B/nss_client" iana 'port 80 udplite')"
# glibc 2.42 and later: getaddrinfo with no socktype asks for mptcp too.
check "mptcp by port is a clean NOTFOUND" "port 80 mptcp -> NOTFOUND" "$("$B/nss_client" iana 'port 80 mptcp')"
check "mptcp by name is a clean NOTFOUND" "name http mptcp -> NOTFOUND" "$("$B/nss_client" iana 'name http mptcp')"

# --- enumeration: getent lists exactly what export writes, in order -----------
"$TOOL" export --db "$DB" | grep -v '^#' | sed 's/[[:space:]]*#.*//' | squeeze > "$tmp/export"
$GETENT -s iana services | squeeze > "$tmp/getent"
"$B/nss_client" iana enum | squeeze > "$tmp/client"
if cmp -s "$tmp/export" "$tmp/getent"; then ok "getent enumeration == export ($(wc -l < "$tmp/getent") lines)"
else bad "getent enumeration == export" "$(diff "$tmp/export" "$tmp/getent" | head -5)"; fi
if cmp -s "$tmp/export" "$tmp/client"; then ok "getservent_r via __nss_configure_lookup == export"
else bad "getservent_r via __nss_configure_lookup == export" "$(diff "$tmp/export" "$tmp/client" | head -5)"; fi

# --- UNAVAIL falls through to the next source ---------------------------------
first=$(awk '!/^#/ && NF >= 2 {print $1; exit}' /etc/services 2>/dev/null)
if [ -n "$first" ]; then
    check "missing db: 'iana files' falls through to files" \
        "$("$B/nss_client" files "name $first -")" \
        "$(NSS_IANA_DB=/nonexistent.db "$B/nss_client" 'iana files' "name $first -")"
else
    echo "skip missing-db fallthrough: no /etc/services on this machine"
fi
NSS_IANA_DB=/nonexistent.db $GETENT -s iana services http >/dev/null; check "missing db: getent exit 2" 2 $?

# --- the compiler -----------------------------------------------------------------
# Whatever the umask, the database is 0644: every user's lookups read it
# (the system database's directory: tests/install.sh).
mkdir "$tmp/umask"
(umask 077; "$TOOL" compile --no-services --output "$tmp/umask/services.db" "$CSV" >/dev/null)
check "umask 077: database 0644" "644" "$(stat -c %a "$tmp/umask/services.db")"
rm -rf "$tmp/umask"
cp "$DB" "$tmp/keep.db"
compile_fails() { # NAME CSV-CONTENT EXPECTED-MESSAGE
    printf '%b' "$2" > "$tmp/bad.csv"
    "$TOOL" compile --output "$tmp/keep.db" "$tmp/bad.csv" >/dev/null 2>"$tmp/err"
    local rc=$?
    if [ $rc = 1 ] && [ "$(cat "$tmp/err")" = "$3" ] && cmp -s "$DB" "$tmp/keep.db" &&
       [ "$(ls -A "$tmp" | grep -c '^\.keep')" = 0 ]; then ok "compile rejects $1"
    else bad "compile rejects $1" "exit $rc: $(cat "$tmp/err")" "expected: $3"; fi
}
H='Service Name,Port Number,Transport Protocol,Description\r\n'
compile_fails "a bad port"          "${H}a,1,tcp,x\r\nb,8O,tcp,y\r\n" "$tmp/bad.csv:3: bad port number \"8O\""
compile_fails "a reversed range"    "${H}a,9-1,udp,x\r\n"      "$tmp/bad.csv:2: reversed port range \"9-1\""
compile_fails "an unknown protocol" "${H}a,1,udplite,x\r\n"    "$tmp/bad.csv:2: unknown transport protocol \"udplite\""
compile_fails "an open quote"       "${H}a,1,tcp,\"x\r\n"      "$tmp/bad.csv:2: unterminated quoted field"
compile_fails "a missing column"    "Service Name,Port\r\n"    "$tmp/bad.csv:1: missing header column \"Port Number\""
compile_fails "invalid UTF-8"       "${H}a,1,tcp,\xff\r\n"     "$tmp/bad.csv:2: invalid UTF-8 in field 4"
compile_fails "an empty file"       ""                         "$tmp/bad.csv: empty file"
compile_fails "a short record"      "${H}a,1,tcp,x\r\nmatahari,490\r\nb,2,tcp,y\r\n" "$tmp/bad.csv:3: 2 fields, but the header has 4"
compile_fails "a file cut short"    "${H}a,1,tcp,x\r\nmatahari,490" "$tmp/bad.csv:3: cut short: the last record has no line end"
compile_fails "a stray CR"          "${H}a,1,tcp,first\rpart\r\n" "$tmp/bad.csv:2: stray carriage return: only LF or CRLF ends a record"
compile_fails "a duplicated column" "Service Name,Port Number,Transport Protocol,Port Number\r\na,1,tcp,2\r\n" \
    "$tmp/bad.csv:1: duplicate header column \"Port Number\""
many=$H
for v in abcde Abcde aBcde abCde abcDe; do for p in tcp udp sctp dccp; do many="$many$v,100,$p,x\r\n"; done; done
compile_fails "a name in 5 cases x 4 protocols" "$many" \
    "iana-services: compile: $tmp/bad.csv: Abcde: more than 16 spellings and protocols of one name"
# --local is gone: site names live in /etc/services, which compile merges.
printf 'nss-iana-site 47999/tcp\n' > "$tmp/site.services"
"$TOOL" compile --local "$tmp/site.services" --output "$tmp/site.db" "$CSV" >/dev/null 2>"$tmp/err"
check "compile --local: refused, pointing at /etc/services" \
    "2 iana-services: compile: --local is gone: put the site's lines in /etc/services, which compile merges (see --services)" \
    "$? $(cat "$tmp/err")"
[ -e "$tmp/site.db" ]; check "compile --local: no database written" 1 $?
rm -f "$tmp/site.services"
# Files too big or too strange to write inline: the message must still be
# FILE:LINE: something, and the database and directory untouched.
compile_rejects_file() { # NAME FILE PATTERN
    "$TOOL" compile --output "$tmp/keep.db" "$2" >/dev/null 2>"$tmp/err"
    local rc=$?
    if [ $rc = 1 ] && grep -qE "^$2:[0-9]+: $3" "$tmp/err" && [ "$(wc -l < "$tmp/err")" = 1 ] &&
       cmp -s "$DB" "$tmp/keep.db" && [ "$(ls -A "$tmp" | grep -c '^\.keep')" = 0 ]; then ok "compile rejects $1"
    else bad "compile rejects $1" "exit $rc: $(head -c 300 "$tmp/err")"; fi
}
head -c 1048576 /dev/urandom > "$tmp/junk.csv"
compile_rejects_file "binary junk" "$tmp/junk.csv" "(NUL byte|invalid UTF-8|missing header|unterminated|malformed quoting|[0-9]+ fields|more than|stray carriage return)"
{ printf 'Service Name,Port Number,Transport Protocol\n'; yes 'a,1,tcp' | head -c 104857600; } > "$tmp/huge.csv"
compile_rejects_file "a 100 MB file" "$tmp/huge.csv" "file too large"
rm -f "$tmp/huge.csv" "$tmp/junk.csv"
# Piped, the same file is read only to just past the limit: it must be
# refused as by path, at the same line, not compiled without its end.
{ printf 'Service Name,Port Number,Transport Protocol,Description\n'
  for i in $(seq 0 65); do printf 's%d,%d,tcp,' "$i" $((1000 + i)); head -c 1048000 /dev/zero | tr '\0' x; echo; done
} > "$tmp/big.csv"
"$TOOL" compile --output "$tmp/keep.db" "$tmp/big.csv" >/dev/null 2>"$tmp/err"
by_path="$? $(sed "s|^$tmp/big.csv:|FILE:|" "$tmp/err")"
cat "$tmp/big.csv" | "$TOOL" compile --output "$tmp/keep.db" /dev/stdin >/dev/null 2>"$tmp/err"
piped="$? $(sed 's|^/dev/stdin:|FILE:|' "$tmp/err")"
check "over 64 MiB by path: refused" "1 FILE:66: file too large: over 64 MiB, not a port registry" "$by_path"
check "over 64 MiB piped: refused as by path" "$by_path" "$piped"
cmp -s "$DB" "$tmp/keep.db"; check "over 64 MiB: database untouched" 0 $?
cp "$DB" "$tmp/keep.db"
rm -f "$tmp/big.csv"
printf 'Service Name,Port Number,Transport Protocol\na,1,tcp\nb\0,2,tcp\n' > "$tmp/nul.csv"
compile_rejects_file "a NUL byte" "$tmp/nul.csv" "NUL byte in field 1"
"$TOOL" compile --output "$tmp/keep.db" /nonexistent.csv >/dev/null 2>"$tmp/err"
check "compile: unreadable input" "1 /nonexistent.csv: No such file or directory" "$? $(cat "$tmp/err")"

printf 'Service Name,Port Number,Transport Protocol,Description\nEscale (Newton Dock),1,tcp,x\nok,2,tcp,y\nsd-only,,,z\n' > "$tmp/old.csv"
"$TOOL" compile --output "$tmp/old.db" "$tmp/old.csv" > "$tmp/out" 2> "$tmp/err"
check "old snapshot: bad name skipped with a warning" \
    "0|$tmp/old.csv:2: warning: service name \"Escale (Newton Dock)\" is not a single printable-ASCII token; row skipped|1 with a name" \
    "$?|$(cat "$tmp/err")|$(grep -o '[0-9]* with a name' "$tmp/out")"

# A database of format 2 (0.1.0) that was compiled with --local: the new
# compile keeps that file's lines, after the services file's, and says so
# (tests/sources.sh does the same with 0.1.0's own tool, built from git).
# The old header, made by hand: magic, version 2, the path's offset in
# META_STRINGS at byte 52, META_STRINGS at 96.
python3 - "$tmp/v2.db" "$tmp/site-v2.services" <<'PY'
import struct, sys
path = sys.argv[2].encode() + b"\0"
meta_off = 192
hdr = bytearray(192)
hdr[0:8] = b"NSSIANA\x1a"
struct.pack_into("<I", hdr, 8, 2)
struct.pack_into("<I", hdr, 52, 1)
struct.pack_into("<II", hdr, 96, meta_off, 1 + len(path))
open(sys.argv[1], "wb").write(bytes(hdr) + b"\0" + path)
PY
printf 'v2-site-name 47997/udp\n' > "$tmp/site-v2.services"
: > "$tmp/empty.services"
"$TOOL" compile --services "$tmp/empty.services" --output "$tmp/v2.db" "$CSV" > /dev/null 2> "$tmp/err"
check "a 0.1.0 database compiled with --local: replaced, its file named, with what to do" \
    "0 1" "$? $(grep -c "compiled by iana-services 0.1.0 with --local $tmp/site-v2.services: that file's lines are merged after" "$tmp/err")"
check "a 0.1.0 database compiled with --local: its file's names answer" "v2-site-name 47997/udp" \
    "$("$TOOL" lookup --db "$tmp/v2.db" v2-site-name | squeeze)"
rm -f "$tmp/v2.db" "$tmp/v2.db.sources"

# compile with no CSV takes the registry the database came from, unless
# the bundled snapshot is newer (a package upgrade after an old update):
# by the newest registration or modification date in each.
HDR='Service Name,Port Number,Transport Protocol,Description,Assignee,Contact,Registration Date,Modification Date,Reference,Service Code,Unauthorized Use Reported,Assignment Notes\r\n'
printf "${HDR}old-download,47990,tcp,x,,,2001-01-01,,,,,\r\n" > "$tmp/dl-old.csv"
printf "${HDR}new-download,47991,tcp,x,,,2001-01-01,2099-12-31,,,,\r\n" > "$tmp/dl-new.csv"
"$TOOL" compile --no-services --output "$tmp/dl-old.db" "$tmp/dl-old.csv" > /dev/null
"$TOOL" compile --no-services --db "$tmp/dl-old.db" > /dev/null 2> "$tmp/err"
check "rebuild: a bundled snapshot newer than the kept download is taken" "http 80/tcp www www-http|" \
    "$("$TOOL" lookup --db "$tmp/dl-old.db" http/tcp | squeeze)|$("$TOOL" lookup --db "$tmp/dl-old.db" old-download 2>/dev/null)"
check "rebuild: ... and said" 1 "$(grep -c "is newer than $tmp/dl-old.csv" "$tmp/err")"
"$TOOL" compile --no-services --output "$tmp/dl-new.db" "$tmp/dl-new.csv" > /dev/null
"$TOOL" compile --no-services --db "$tmp/dl-new.db" > /dev/null 2> "$tmp/err"
check "rebuild: a kept download newer than the bundled snapshot stays" "new-download 47991/tcp|" \
    "$("$TOOL" lookup --db "$tmp/dl-new.db" new-download | squeeze)|$(cat "$tmp/err")"
rm -f "$tmp"/dl-*

# The systemd units cannot see /home, /root and /tmp (ProtectHome=yes,
# PrivateTmp=yes): a database they keep that names a file there is warned
# of; one that lives there itself is not theirs, and is not.
hid=$(mktemp -d /tmp/nss-iana-e2e.XXXXXX)
cp "$CSV" "$hid/registry.csv"
printf 'nss-iana-site 47999/tcp\n' > "$hid/site.services"
# The database itself somewhere the units do see (the build directory may
# be under /tmp itself): /dev/shm.
seen=$(mktemp -d /dev/shm/nss-iana-e2e.XXXXXX)
"$TOOL" compile --services "$hid/site.services" --output "$seen/unseen.db" "$hid/registry.csv" \
    > /dev/null 2> "$tmp/err"
check "a registry and services file under /tmp: exit 0, two warnings" "0 2" \
    "$? $(grep -c "^iana-services: compile: warning: $hid/.* is under /tmp, which the systemd units hide" "$tmp/err")"
"$TOOL" compile --services "$hid/site.services" --output "$hid/x.db" "$hid/registry.csv" \
    > /dev/null 2> "$tmp/err"
check "... but not for a database under /tmp itself" "0 " "$? $(cat "$tmp/err")"
rm -rf "$hid" "$seen"
# 1,000 alias rows of one service: 27 fit in http's 255 bytes of names, the
# rest are served as entries of their own; none is lost, and the summary
# counts both.
{ printf 'Service Name,Port Number,Transport Protocol,Assignment Notes\nhttp,80,tcp,\n'
  for i in $(seq -w 0 999); do printf 'alias%s,80,tcp,"This is a duplicate of the ""http"" service"\n' "$i"; done
} > "$tmp/aliases.csv"
"$TOOL" compile --no-services --output "$tmp/aliases.db" "$tmp/aliases.csv" > "$tmp/out" 2> "$tmp/err"
check "1000 aliases: compiled, the summary counts both" \
    "0|  aliases folded        27, and 973 served as entries of their own (an entry's names take at most 255 bytes)" \
    "$?|$(grep '^  aliases folded' "$tmp/out")"
check "1000 aliases: one warning per alias served on its own" 973 \
    "$(grep -c "warning: alias \"alias[0-9]*\" of \"http\" served as an entry of its own" "$tmp/err")"
check "1000 aliases: the 27th folded, the 28th and the last answer by name" \
    "http 80/tcp alias000|alias027 80/tcp|alias999 80/tcp" \
    "$("$TOOL" lookup --db "$tmp/aliases.db" alias026 | squeeze | cut -d' ' -f1-3)|$("$TOOL" lookup --db "$tmp/aliases.db" alias027 2>&1 | squeeze)|$("$TOOL" lookup --db "$tmp/aliases.db" alias999 2>&1 | squeeze)"

# LF and CRLF copies of the registry compile to the same answers.
sed 's/\r$//' "$CSV" > "$tmp/lf.csv"
"$TOOL" compile --no-services --output "$tmp/lf.db" "$tmp/lf.csv" >/dev/null
if cmp -s <("$TOOL" export --db "$tmp/lf.db") <("$TOOL" export --db "$DB"); then ok "LF and CRLF snapshots give the same database contents"
else bad "LF and CRLF snapshots give the same database contents"; fi

# --- lookup, export, verify -------------------------------------------------------
check "lookup cl/1 (a name with a slash)" "cl-1 172/tcp cl/1|cl-1 172/udp cl/1" \
    "$("$TOOL" lookup --db "$DB" cl/1 | squeeze | tr '\n' '|' | sed 's/|$//')"
check "lookup 6010/udp" "x11 6010/udp" "$("$TOOL" lookup --db "$DB" 6010/udp | squeeze)"
"$TOOL" lookup --db "$tmp/old.db" SD-Only > "$tmp/out"
check "lookup knows names without a port" "0 sd-only: registered without a port" \
    "$? $(grep -o '^sd-only: registered without a port' "$tmp/out")"
"$TOOL" lookup --db "$DB" http no-such-name >/dev/null 2>&1; check "lookup: a miss exits 3" 3 $?
"$TOOL" lookup --db "$DB" >/dev/null 2>&1; check "lookup: no query, a usage error, exits 2" 2 $?
"$TOOL" lookup --no-such-option --db "$DB" http >/dev/null 2>&1; check "lookup: an unknown option exits 2" 2 $?
"$TOOL" lookup -v --db "$DB" http/tcp | grep -q 'reference *\[RFC9110\]'; check "lookup -v shows the reference" 0 $?
for c in compile lookup export verify; do
    "$TOOL" "$c" --help | grep -q "^usage: iana-services $c"; check "$c --help" 0 $?
done
"$TOOL" verify --db "$DB" >/dev/null; check "verify accepts a compiled database" 0 $?
cp "$DB" "$tmp/flip.db"
printf '\x01' | dd of="$tmp/flip.db" bs=1 seek=$(( $(stat -c %s "$DB") / 2 )) conv=notrunc status=none
"$TOOL" verify --db "$tmp/flip.db" >/dev/null 2>&1; check "verify rejects a changed byte" 1 $?

# --- protocols: getent -s iana protocols over the registry-only database ------------
getent_proto() { $GETENT -s iana protocols "$@" | squeeze; }
check "getent -s iana protocols sctp" "sctp 132 SCTP" "$(getent_proto sctp)"
check "getent -s iana protocols 58" "ipv6-icmp 58 IPv6-ICMP" "$(getent_proto 58)"
check "getent -s iana protocols SCTP (ASCII case)" "sctp 132 SCTP" "$(getent_proto SCTP)"
check "getent -s iana protocols Mobility-Header (a keyword of two words)" \
    "mobility-header 135" "$(getent_proto Mobility-Header)"
$GETENT -s iana protocols reserved >/dev/null; check "getent -s iana protocols reserved: not found" 2 $?
$GETENT -s iana protocols 255 >/dev/null; check "getent -s iana protocols 255 (Reserved): not found" 2 $?
"$TOOL" export --protocols --db "$DB" | grep -v '^#' | sed 's/[[:space:]]*#.*//' | squeeze > "$tmp/pexport"
$GETENT -s iana protocols | squeeze > "$tmp/pgetent"
if [ -s "$tmp/pgetent" ] && cmp -s "$tmp/pexport" "$tmp/pgetent"; then
    ok "getent -s iana protocols == export --protocols ($(wc -l < "$tmp/pgetent") lines)"
else bad "getent -s iana protocols == export --protocols" "$(diff "$tmp/pexport" "$tmp/pgetent" | head -5)"; fi
"$B/proto_client" iana enum > "$tmp/pclient"
if cmp -s <(squeeze < "$tmp/pclient") "$tmp/pexport"; then ok "getprotoent_r via __nss_configure_lookup == export --protocols"
else bad "getprotoent_r via __nss_configure_lookup == export --protocols" "$(diff "$tmp/pexport" "$tmp/pclient" | head -5)"; fi
check "lookup --protocol 132" "sctp 132 SCTP" "$("$TOOL" lookup --db "$DB" --protocol 132 | squeeze)"
check "lookup --protocol -v ipv6-route: the extension header flag" "ipv6 ext hdr yes (an IPv6 extension header)" \
    "$("$TOOL" lookup --db "$DB" --protocol -v ipv6-route | grep 'ipv6 ext' | sed 's/^ *//')"
"$TOOL" lookup --db "$DB" --protocol nonesuch >/dev/null 2>&1; check "lookup --protocol nonesuch: exit 3" 3 $?
# A database written before protocols (format 3) is refused as any other
# format: a version this reader does not know.
cp "$DB" "$tmp/v3.db"
printf '\3\0\0\0' | dd of="$tmp/v3.db" bs=1 seek=8 conv=notrunc status=none
check "a format 3 database: verify says so" "iana-services: $tmp/v3.db: unsupported format version" \
    "$("$TOOL" verify --db "$tmp/v3.db" 2>&1)"
check "a format 3 database: getent -s iana protocols sctp is UNAVAIL (exit 2, nothing)" "2|" \
    "$(NSS_IANA_DB=$tmp/v3.db $GETENT -s iana protocols sctp; echo "$?|")"

# --- man pages: render without a warning, and document every subcommand ----------
if command -v man >/dev/null; then
    for page in man/nss-iana.8 man/iana-services.1; do
        check "$page renders without warnings" "" \
            "$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l "$page" 2>&1 >/dev/null)"
    done
    for c in $("$TOOL" --help | awk '/^  [a-z]/ {print $1}'); do
        grep -qF "\\fBiana\\-services $c\\fR" man/iana-services.1
        check "iana-services($c) is in the man page" 0 $?
    done
else
    skip "man pages: man-db not installed"
fi

summary e2e
