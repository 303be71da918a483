#!/bin/bash
# `iana-services update` against a local HTTP server (tests/http_fixture.py
# on 127.0.0.1): a changed registry is installed and its changes listed; the
# ETag comes back as If-None-Match and a 304 changes nothing; HTTP errors,
# cut-short, oversized, unparsable and implausibly small downloads leave the
# database byte for byte as it was, with the documented exit status; no
# temporary file is left beside the database.
#
#   tests/update.sh BUILD_DIR
#
# UPDATE_CMD is the command that runs update (split on spaces); default
# BUILD_DIR/iana-services update.
set -u
B=$(cd "${1:?usage: update.sh BUILD_DIR}" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
TOOL=$B/iana-services
CSV=$HERE/../data/service-names-port-numbers.csv
. "$HERE/lib.sh"
# libcurl honours these: the fixture must be reached directly.
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
export no_proxy='*' NO_PROXY='*'

UPDATE_CMD=${UPDATE_CMD:-$TOOL update}
read -r -a update_cmd <<< "$UPDATE_CMD"
if ! command -v python3 >/dev/null; then
    skip "python3 is not installed: no HTTP fixture (apt-get install python3)"
    summary update; exit
fi
if ! command -v "${update_cmd[0]}" >/dev/null || ! [ -x "$TOOL" ]; then
    bad "programs to test" "missing: ${update_cmd[0]} or $TOOL"
    summary update; exit
fi
echo "# update command: $UPDATE_CMD"

tmp=$(mktemp -d)
server=""
cleanup() {
    [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
    chattr -i "$tmp/db/services.db" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- what the server serves ----------------------------------------------------
# The bundled snapshot with rje removed (tcp and udp), www (the 80/tcp alias
# of http) removed, x11/tcp's range narrowed, and 25 new tcp names added at
# the end: more than the 20 lines the report lists.
mkdir -p "$tmp/www" "$tmp/db"
awk 'index($0, "rje,5,") == 1 || index($0, "www,80,tcp,") == 1 { next }
     index($0, "x11,6000-6063,tcp,") == 1 { sub(/^x11,6000-6063,/, "x11,6000-6050,") }
     { print }
     END { for (i = 1; i <= 25; i++) printf "nss-iana-test-%02d,%d,tcp,update test,,,,,,,,\r\n", i, 48900 + i }' \
    "$CSV" > "$tmp/www/registry.csv"
head -n 51 "$CSV" > "$tmp/www/small.csv"
# The protocol numbers registry: as bundled, with one protocol more, and one
# with a tenth of its rows.
PCSV=$HERE/../data/protocol-numbers-1.csv
cp "$PCSV" "$tmp/www/protocols.csv"
{ head -n -1 "$PCSV"; printf '254,NSS-IANA-TEST,update test protocol,,[RFC3692]\r\n'; tail -n 1 "$PCSV"; } \
    > "$tmp/www/protocols-new.csv"
head -n 16 "$PCSV" > "$tmp/www/protocols-small.csv"

python3 "$HERE/http_fixture.py" --dir "$tmp/www" --port-file "$tmp/port" \
    --log "$tmp/requests.log" --lifetime 300 &
server=$!
for _ in $(seq 100); do [ -s "$tmp/port" ] && break; sleep 0.1; done
if ! [ -s "$tmp/port" ]; then
    bad "HTTP fixture started"; summary update; exit
fi
URL=http://127.0.0.1:$(cat "$tmp/port")

DBDIR=$tmp/db
DB=$DBDIR/services.db
"$TOOL" compile --output "$DB" "$CSV" >/dev/null || { bad "compile the starting database"; summary update; exit; }

# run ARGS...: update on $DB, bounded in time; sets rc, and out and err files.
# The protocol numbers registry from the fixture (PURL), unless ARGS say.
PURL=$URL/p/protocols.csv
run() {
    timeout 120 "${update_cmd[@]}" --db "$DB" --protocols-url "$PURL" "$@" > "$tmp/out" 2> "$tmp/err"
    rc=$?
}
before() { cp "$DB" "$tmp/before"; }
unchanged() {
    if cmp -s "$tmp/before" "$DB"; then ok "$1: database unchanged"
    else bad "$1: database unchanged"; fi
}
no_temp() {
    check "$1: no temporary file left" "" \
        "$(find "$DBDIR" -mindepth 1 -maxdepth 1 ! -name services.db ! -name services.db.http \
              ! -name services.db.csv ! -name services.db.lock ! -name services.db.sources \
              ! -name services.db.protocols.csv ! -name services.db.protocols.http \
              -printf '%f ')"
}
last_request() { tail -n 1 "$tmp/requests.log"; }
entries() { "$TOOL" verify --db "$1" | sed -n 's/.*OK: \([0-9]*\) entries.*/\1/p'; }
# fails NAME RC [ERR-PATTERN]: the exit status, the message, nothing changed.
fails() {
    check "$1: exit $2" "$2" "$rc"
    [ -z "${3:-}" ] || if grep -q -- "$3" "$tmp/err"; then ok "$1: says '$3'"
        else bad "$1: says '$3'" "stderr: $(head -c 300 "$tmp/err")"; fi
    unchanged "$1"
    no_temp "$1"
}

# --- 1. a new registry: installed, changes listed, ETag kept -------------------
had=$(entries "$DB")
before
run --url "$URL/registry.csv" --save-csv "$tmp/saved.csv"
check "new registry: exit 0" 0 "$rc"
[ -s "$tmp/err" ] && bad "new registry: nothing on stderr" "$(head -c 300 "$tmp/err")"
if "$TOOL" verify --db "$DB" >/dev/null; then ok "new registry: database verifies"
else bad "new registry: database verifies"; fi
has=$(entries "$DB")
{
    echo "updated $DB from $URL/registry.csv"
    echo "  $has entries (was $had): 25 added, 2 removed, 2 changed"
    for i in $(seq 20); do printf '+ nss-iana-test-%02d %d/tcp\n' "$i" $((48900 + i)); done
    echo "  ... and 5 more"
    echo "- rje 5/tcp"
    echo "- rje 5/udp"
    echo "~ http 80/tcp www-http (was 80/tcp www www-http)"
    echo "~ x11 6000-6050/tcp (was 6000-6063/tcp)"
} > "$tmp/expected"
if cmp -s "$tmp/expected" "$tmp/out"; then ok "new registry: the change report"
else bad "new registry: the change report" "$(diff "$tmp/expected" "$tmp/out" | head -20)"; fi
check "new registry: served through the database" "nss-iana-test-07 48907/tcp" \
    "$("$TOOL" lookup --db "$DB" nss-iana-test-07 | squeeze)"
if cmp -s "$tmp/www/registry.csv" "$tmp/saved.csv"; then ok "new registry: --save-csv keeps the download"
else bad "new registry: --save-csv keeps the download"; fi
# The download is kept beside the database, which names it as its
# registry: a rebuild (compile with no CSV, as the services file's path
# unit runs it) compiles this registry again, not the bundled snapshot.
if cmp -s "$tmp/www/registry.csv" "$DB.csv"; then ok "new registry: kept as DB.csv"
else bad "new registry: kept as DB.csv"; fi
check "new registry: the database names DB.csv as its registry" "  registry $DB.csv" \
    "$("$TOOL" verify --db "$DB" | grep '^  registry')"
cp "$DB" "$tmp/updated.db"
"$TOOL" compile --db "$DB" > "$tmp/rebuild.out" 2>&1
check "rebuild: compile with no CSV takes the downloaded registry" \
    "0 compiled $DB.csv -> $DB $has" \
    "$? $(sed -n '1s/ (.*//p' "$tmp/rebuild.out") $(entries "$DB")"
if cmp -s "$tmp/updated.db" "$DB"; then ok "rebuild: the same database, byte for byte"
else bad "rebuild: the same database, byte for byte"; fi
if grep -q '^etag "' "$DB.http" && grep -q '^last-modified Tue, 01 Apr 2025' "$DB.http"; then
    ok "new registry: ETag and Last-Modified kept in DB.http"
else bad "new registry: ETag and Last-Modified kept in DB.http" "$(cat "$DB.http" 2>&1)"; fi
no_temp "new registry"
etag=$(sed -n 's/^etag //p' "$DB.http" 2>/dev/null)

# --- 2. the same URL again: If-None-Match, 304, nothing touched ----------------
before
run --url "$URL/registry.csv"
check "304: exit 0" 0 "$rc"
check "304: If-None-Match and If-Modified-Since sent, server said 304" \
    "304 /registry.csv if-none-match=$etag if-modified-since=Tue, 01 Apr 2025 12:00:00 GMT" \
    "$(last_request)"
if grep -q "is up to date: .* not modified .*(HTTP 304)" "$tmp/out"; then ok "304: says up to date"
else bad "304: says up to date" "stdout: $(cat "$tmp/out")" "stderr: $(cat "$tmp/err")"; fi
unchanged "304"
no_temp "304"
# Without --db, $NSS_IANA_DB names the database (and its DB.http).
NSS_IANA_DB=$DB timeout 120 "${update_cmd[@]}" --url "$URL/registry.csv" --protocols-url "$PURL" \
    > "$tmp/out" 2>&1
check "\$NSS_IANA_DB: exit 0" 0 "$?"
if grep -q "^$DB is up to date: .*(HTTP 304)" "$tmp/out"; then ok "\$NSS_IANA_DB: is the default database"
else bad "\$NSS_IANA_DB: is the default database" "$(cat "$tmp/out")"; fi

# --- 2b. a byte flipped in place, the registries unchanged: compiled again -----
# (it takes chattr -i as root; the module checks bounds, not the checksum,
# so only a writer can notice, and the weekly timer runs this.)
"$TOOL" export --db "$DB" > "$tmp/export.good"
chattr -i "$DB" 2>/dev/null
off=$(( $(stat -c %s "$DB") / 2 ))
byte=$(od -An -tu1 -j "$off" -N1 "$DB" | tr -d ' ')
printf "$(printf '\\%03o' $((byte ^ 0xff)))" | dd of="$DB" bs=1 seek="$off" conv=notrunc status=none
"$TOOL" verify --db "$DB" > /dev/null 2>&1
check "damaged in place: verify rejects it" 1 "$?"
run --url "$URL/registry.csv"
check "damaged in place, 304: exit 0" 0 "$rc"
check "damaged in place, 304: the server said 304" "304 /registry.csv" "$(last_request | cut -d' ' -f1,2)"
if grep -q "fails verification (checksum mismatch.*): compiling it again" "$tmp/out"; then
    ok "damaged in place, 304: says it compiles it again"
else bad "damaged in place, 304: says it compiles it again" "stdout: $(cat "$tmp/out")" "stderr: $(cat "$tmp/err")"; fi
"$TOOL" verify --db "$DB" > /dev/null 2>&1
check "damaged in place, 304: verify passes after" 0 "$?"
"$TOOL" export --db "$DB" > "$tmp/export.after"
if cmp -s "$tmp/export.good" "$tmp/export.after"; then ok "damaged in place, 304: every answer as before"
else bad "damaged in place, 304: every answer as before" "$(diff "$tmp/export.good" "$tmp/export.after" | head -5)"; fi
no_temp "damaged in place, 304"

# --- 3. HTTP errors --------------------------------------------------------------
before
run --url "$URL/status/500"
fails "HTTP 500" 1 "HTTP status 500"
run --url "$URL/status/404"
fails "HTTP 404" 1 "HTTP status 404"

# --- 4. a body cut short -----------------------------------------------------------
run --url "$URL/truncated"
fails "truncated body" 1 "download failed"
# Cut short where HTTP cannot tell: the connection closed with no
# Content-Length, or a Content-Length that ends the body early.  The last
# row, "matahari,490", would be served as port 490 with no protocol.
run --url "$URL/cut-close"
fails "body cut short, connection closed" 3 "$URL/cut-close:[0-9]*: cut short: the last record has no line end"
run --url "$URL/cut-length"
fails "body cut short by Content-Length" 3 "$URL/cut-length:[0-9]*: cut short: the last record has no line end"

# --- 5. a valid registry far smaller than the current one ------------------------
run --url "$URL/small.csv"
fails "50-row registry" 3 "only [0-9]* entries where"

# --- 6. over --max-bytes, announced and not -------------------------------------
run --url "$URL/noetag.csv" --max-bytes 100000
fails "over --max-bytes (Content-Length)" 1 "larger than --max-bytes (100000 bytes)"
run --url "$URL/chunked" --max-bytes 100000
fails "over --max-bytes (chunked)" 1 "larger than --max-bytes (100000 bytes)"

# --- more ways to fail, each leaving the database alone --------------------------
run --url "$URL/garbage"
fails "an HTML page" 3 "$URL/garbage:"
run --url "$URL/redirect-ftp"
fails "redirect to ftp://" 1 "download failed"
run --url "$URL/redirect-loop"
fails "redirect loop" 1 "download failed"
run --url "file://$CSV"
fails "file:// URL" 1 "download failed"
run --url "$URL/registry.csv" --max-bytes 16M
fails "--max-bytes 16M" 2 "--max-bytes"
run --url "$URL/registry.csv" extra-argument
fails "extra argument" 2 "usage:"
# A regular file where the directory should be: not even root can write
# there (a missing directory would just be made).
: > "$tmp/not-a-dir"
timeout 120 "${update_cmd[@]}" --db "$tmp/not-a-dir/services.db" --protocols-url "$PURL" --url "$URL/noetag.csv" \
    > "$tmp/out" 2> "$tmp/err"
rc=$?
check "unwritable database: exit 4" 4 "$rc"
if grep -q "not-a-dir/services.db" "$tmp/err"; then ok "unwritable database: names it"
else bad "unwritable database: names it" "stderr: $(cat "$tmp/err")"; fi

# --- a user and password in the URL: used, never stored or printed -------------
rm -f "$DB.http"
before
run --url "http://nss-user:s3cret-pw@127.0.0.1:$(cat "$tmp/port")/registry.csv"
check "credentials in the URL: exit 0" 0 "$rc"
check "credentials in the URL: not in the output, the messages or DB.http" 0 \
    "$(cat "$tmp/out" "$tmp/err" "$DB.http" | grep -c -e s3cret -e nss-user)"
check "credentials in the URL: DB.http records the URL without them" "url $URL/registry.csv" \
    "$(grep '^url ' "$DB.http")"
if grep -q "is up to date: $URL/registry.csv is the registry" "$tmp/out"; then
    ok "credentials in the URL: the message names it without them"
else bad "credentials in the URL: the message names it without them" "$(cat "$tmp/out")"; fi
unchanged "credentials in the URL"
run --url "http://u:p@[::1"
fails "an unparsable URL" 2 "--url: not a URL libcurl can parse"
if grep -q "u:p" "$tmp/err"; then bad "an unparsable URL: not echoed" "$(cat "$tmp/err")"
else ok "an unparsable URL: not echoed"; fi

# --- a server that stops sending: aborted after --low-speed-time -----------------
SECONDS=0
run --url "$URL/stall" --low-speed-time 2
took=$SECONDS
fails "stalled server" 1 "download failed: Operation too slow"
if [ "$took" -lt 20 ]; then ok "stalled server: aborted in ${took}s, not after 120"
else bad "stalled server: aborted in ${took}s, not after 120"; fi
run --url "$URL/registry.csv" --low-speed-time 0
fails "--low-speed-time 0" 2 "--low-speed-time"
if "$TOOL" update --help | grep -q -- "--low-speed-time S"; then ok "--help names --low-speed-time"
else bad "--help names --low-speed-time"; fi

# --- an ETag too long to keep, and one longer than libcurl takes -------------------
rm -f "$DB.http"
run --url "$URL/bigetag?n=1000"
check "1000-byte ETag: exit 0, the registry taken, the ETag not kept" "0 no DB.http" \
    "$rc $([ -e "$DB.http" ] && echo DB.http || echo no DB.http)"
run --url "$URL/bigetag"
fails "200 KB ETag" 1 "a response header is longer than libcurl accepts"
if grep -qi "out of memory" "$tmp/err"; then bad "200 KB ETag: not 'Out of memory'" "$(cat "$tmp/err")"
else ok "200 KB ETag: not 'Out of memory'"; fi

# --- the same bytes under another URL: up to date, followed redirects, chunked ---
run --url "$URL/redirect"
check "redirect to the same registry: exit 0" 0 "$rc"
if grep -q "is up to date: .* is the registry it was compiled from" "$tmp/out"; then
    ok "redirect to the same registry: up to date by SHA-256"
else bad "redirect to the same registry: up to date by SHA-256" "$(cat "$tmp/out" "$tmp/err")"; fi
unchanged "redirect to the same registry"
run --url "$URL/chunked"
check "chunked, same registry: exit 0" 0 "$rc"
unchanged "chunked, same registry"
no_temp "chunked, same registry"

# --- validators only while the database holds their registry ---------------------
# Seed DB.http again, then compile another registry: the next update must
# not send the old ETag (it would be told 304 about a file DB no longer has).
run --url "$URL/registry.csv"
"$TOOL" compile --output "$DB" "$CSV" >/dev/null
run --url "$URL/registry.csv"
check "after compile: exit 0" 0 "$rc"
check "after compile: no conditional headers, full download" \
    "200 /registry.csv if-none-match=- if-modified-since=-" "$(last_request)"
if grep -qx "  [0-9]* entries (was [0-9]*): 25 added, 2 removed, 2 changed" "$tmp/out"; then
    ok "after compile: changes listed again"
else bad "after compile: changes listed again" "$(head -3 "$tmp/out")"; fi

# --- the services file: update merges it again, as the database did --------------
printf 'nss-iana-site 47999/tcp site-alias # ours\n' > "$tmp/site.services"
"$TOOL" compile --services "$tmp/site.services" --output "$DB" "$CSV" >/dev/null
run --url "$URL/registry.csv"
check "merged services file: exit 0" 0 "$rc"
check "merged services file: the site's line is still there" "nss-iana-site 47999/tcp site-alias" \
    "$("$TOOL" lookup --db "$DB" site-alias | squeeze)"
check "merged services file: and the registry's new names" "nss-iana-test-07 48907/tcp" \
    "$("$TOOL" lookup --db "$DB" nss-iana-test-07 | squeeze)"
if grep -qx "  [0-9]* entries (was [0-9]*): 25 added, 2 removed, 2 changed" "$tmp/out"; then
    ok "merged services file: only the registry's changes listed"
else bad "merged services file: only the registry's changes listed" "$(head -3 "$tmp/out")"; fi
# The file gone: merged as gone (nss_files would have nothing to say).
"$TOOL" compile --services "$tmp/site.services" --output "$DB" "$CSV" >/dev/null
rm "$tmp/site.services"
run --url "$URL/registry.csv"
check "services file gone: exit 0" 0 "$rc"
check "services file gone: its line is gone too" "" "$("$TOOL" lookup --db "$DB" nss-iana-site 2>/dev/null)"
check "services file gone: recorded as absent" \
    "  services file $tmp/site.services: absent when merged; /etc/services has changed since: the module steps aside (UNAVAIL) until the next compile" \
    "$("$TOOL" verify --db "$DB" | grep '^  services file')"
# A registry-only database stays one.
"$TOOL" compile --no-services --output "$DB" "$CSV" >/dev/null
run --url "$URL/registry.csv"
check "--no-services database: update keeps it registry-only" \
    "0   services file: none merged (--no-services)" \
    "$rc $("$TOOL" verify --db "$DB" | grep '^  services file')"
"$TOOL" compile --output "$DB" "$CSV" >/dev/null

# --- one writer at a time: update locks after its download --------------------
# A compile while an update downloads slowly: the update, locking only
# once it has the registry, compiles against the database as the compile
# left it, so the compile's services file stays merged.
printf 'nss-iana-site 47999/tcp site-alias # ours\n' > "$tmp/site.services"
timeout 120 "${update_cmd[@]}" --db "$DB" --protocols-url "$PURL" --url "$URL/drip?s=3" > "$tmp/slow.out" 2> "$tmp/slow.err" &
slow=$!
sleep 1
"$TOOL" compile --services "$tmp/site.services" --output "$DB" "$CSV" > /dev/null 2> "$tmp/compile.err"
crc=$?
wait "$slow"
check "compile during a slow update: both exit 0" "0 0" "$crc $?"
check "compile during a slow update: the compile did not wait for the download" "" \
    "$(cat "$tmp/compile.err")"
check "compile during a slow update: the compile's services file is still merged" \
    "nss-iana-site 47999/tcp site-alias" "$("$TOOL" lookup --db "$DB" site-alias | squeeze)"
check "compile during a slow update: and the update's registry is in" \
    "nss-iana-test-07 48907/tcp" "$("$TOOL" lookup --db "$DB" nss-iana-test-07 | squeeze)"
check "compile during a slow update: the database names both" \
    "  registry $DB.csv|  services file $tmp/site.services: merged" \
    "$("$TOOL" verify --db "$DB" | grep -E '^  (registry|services file)' | cut -d';' -f1 | paste -sd'|')"
no_temp "compile during a slow update"
# Two updates at once: the second to lock compares with what the first
# installed, and finds it up to date.
"$TOOL" compile --services /etc/services --output "$DB" "$CSV" >/dev/null
timeout 120 "${update_cmd[@]}" --db "$DB" --protocols-url "$PURL" --url "$URL/drip?s=2" > "$tmp/one.out" 2> "$tmp/one.err" &
one=$!
timeout 120 "${update_cmd[@]}" --db "$DB" --protocols-url "$PURL" --url "$URL/drip?s=2" > "$tmp/two.out" 2> "$tmp/two.err" &
two=$!
wait "$one"; rc1=$?
wait "$two"
check "two updates at once: both exit 0" "0 0" "$rc1 $?"
check "two updates at once: one installs, the other finds it up to date" "1 1" \
    "$(cat "$tmp/one.out" "$tmp/two.out" | grep -c '^updated ') $(cat "$tmp/one.out" "$tmp/two.out" | grep -c 'is up to date: .* is the registry it was compiled from')"
if "$TOOL" verify --db "$DB" >/dev/null; then ok "two updates at once: database verifies"
else bad "two updates at once: database verifies"; fi
no_temp "two updates at once"
# A database merging another services file, the same registry, that file
# unchanged: up to date as well, not rebuilt.
printf 'nss-iana-site2 47997/tcp\n' > "$tmp/site2.services"
"$TOOL" compile --services "$tmp/site2.services" --db "$DB" >/dev/null
before
run --url "$URL/drip?s=0.1"
check "another services file, unchanged: up to date" "0 1" \
    "$rc $(grep -c 'is up to date: .* is the registry it was compiled from' "$tmp/out")"
unchanged "another services file, unchanged"

# --- --force accepts the small registry -----------------------------------------
run --url "$URL/small.csv" --force
check "--force: exit 0" 0 "$rc"
if "$TOOL" verify --db "$DB" >/dev/null && grep -q "warning: .*(--force)" "$tmp/err"; then
    ok "--force: database replaced and verifies, with a warning"
else bad "--force: database replaced and verifies, with a warning" "$(cat "$tmp/err")"; fi
no_temp "--force"

# --- the protocol numbers registry: its own conditional GET, one swap -----------
"$TOOL" compile --db "$DB" "$CSV" >/dev/null
run --url "$URL/registry.csv"
check "protocols: a database from the bundled snapshots, updated: exit 0" 0 "$rc"
before
run --url "$URL/registry.csv" --protocols-url "$URL/p/protocols.csv"
check "protocols: both as compiled: up to date" "0 1" "$rc $(grep -c 'is up to date' "$tmp/out")"
unchanged "protocols: both as compiled"
grep -q '^etag "' "$DB.protocols.http" && ok "protocols: the ETag kept in DB.protocols.http" ||
    bad "protocols: the ETag kept in DB.protocols.http" "$(cat "$DB.protocols.http" 2>&1)"
petag=$(sed -n 's/^etag //p' "$DB.protocols.http" 2>/dev/null)
run --url "$URL/registry.csv" --protocols-url "$URL/p/protocols.csv"
check "protocols: both not modified: up to date, nothing touched" "0 1" \
    "$rc $(grep -c 'not modified since the last update (HTTP 304)' "$tmp/out")"
check "protocols: If-None-Match sent for each, each 304" \
    "304 /p/protocols.csv if-none-match=$petag|304 /registry.csv if-none-match=$etag" \
    "$(tail -n 2 "$tmp/requests.log" | sed 's/ if-modified-since=.*//' | tr '\n' '|' | sed 's/|$//')"
unchanged "protocols: both not modified"
# One protocol more, the services registry not modified: rebuilt from the
# registry it was compiled from, and the new protocols.
run --url "$URL/registry.csv" --protocols-url "$URL/p/protocols-new.csv"
check "protocols: a changed registry alone: exit 0" 0 "$rc"
check "protocols: the new protocol answers" "nss-iana-test 254 NSS-IANA-TEST" \
    "$("$TOOL" lookup --db "$DB" --protocol 254 | squeeze)"
check "protocols: the services as they were" "nss-iana-test-07 48907/tcp" \
    "$("$TOOL" lookup --db "$DB" nss-iana-test-07 | squeeze)"
cmp -s "$tmp/www/protocols-new.csv" "$DB.protocols.csv" && ok "protocols: kept as DB.protocols.csv" ||
    bad "protocols: kept as DB.protocols.csv"
check "protocols: DB.sources names it" "protocols $DB.protocols.csv" "$(grep '^protocols ' "$DB.sources")"
grep -q "^protocols: [0-9]* entries from $URL/p/protocols-new.csv" "$tmp/out" &&
    ok "protocols: says so" || bad "protocols: says so" "$(cat "$tmp/out")"
no_temp "protocols: a changed registry"
cp "$DB" "$tmp/updated.db"
"$TOOL" compile --db "$DB" > /dev/null 2>&1
if cmp -s "$tmp/updated.db" "$DB"; then ok "protocols: a rebuild compiles the download again, byte for byte"
else bad "protocols: a rebuild compiles the download again, byte for byte"; fi
# Failures of the protocols download leave everything as it was.
before
run --url "$URL/registry.csv" --protocols-url "$URL/status/500"
fails "protocols: HTTP 500" 1 "HTTP status 500"
run --url "$URL/registry.csv" --protocols-url "$URL/garbage"
fails "protocols: an HTML page" 3 "$URL/garbage:"
run --url "$URL/registry.csv" --protocols-url "$URL/p/protocols-small.csv"
fails "protocols: 15 rows" 3 "only [0-9]* protocols where"
run --url "$URL/status/404" --protocols-url "$URL/p/protocols-new.csv"
fails "services 404, protocols fine" 1 "HTTP status 404"
# Both changed at once: one swap with both.
{ cat "$tmp/www/registry.csv"; printf 'nss-iana-both,48999,tcp,both,,,,,,,,\r\n'; } > "$tmp/www/registry-both.csv"
run --url "$URL/p/registry-both.csv" --protocols-url "$URL/p/protocols.csv"
check "both changed: exit 0, both in the new database" \
    "0 nss-iana-both 48999/tcp|" \
    "$rc $("$TOOL" lookup --db "$DB" nss-iana-both | squeeze)|$("$TOOL" lookup --db "$DB" --protocol 254 2>/dev/null | squeeze)"
no_temp "both changed"

# --- a writer that cannot install the database leaves every file as it was ---
# As iana-services-update.service ran before it kept CAP_LINUX_IMMUTABLE:
# root without capabilities cannot clear the immutable attribute of the
# database, and the swap fails at its last step.  DB.csv, DB.protocols.csv,
# DB.sources, the --save-csv file and the validators must be as they were,
# not rewritten for a database that was not installed.
snapshot() { (cd "$DBDIR" && sha256sum services.db services.db.* ../saved.csv 2>&1 | grep -v '\.lock$'); }
if [ "$(id -u)" != 0 ] || ! command -v setpriv >/dev/null || ! command -v chattr >/dev/null ||
    ! chattr +i "$DB" 2>/dev/null; then
    skip "no capability to install: needs root, setpriv, and a file system with the immutable attribute"
else
    { cat "$tmp/www/registry-both.csv"; printf 'nss-iana-nocap,48998,tcp,nocap,,,,,,,,\r\n'; } \
        > "$tmp/www/registry-nocap.csv"
    { head -n -1 "$tmp/www/protocols-new.csv"; printf '253,NSS-IANA-NOCAP,nocap,,[RFC3692]\r\n'
      tail -n 1 "$PCSV"; } > "$tmp/www/protocols-nocap.csv"
    snapshot > "$tmp/files.before"
    before
    timeout 120 setpriv --bounding-set=-all --inh-caps=-all "${update_cmd[@]}" --db "$DB" \
        --url "$URL/p/registry-nocap.csv" --protocols-url "$URL/p/protocols-nocap.csv" \
        --save-csv "$tmp/saved.csv" > "$tmp/out" 2> "$tmp/err"
    rc=$?
    fails "no CAP_LINUX_IMMUTABLE" 4 "cannot clear its immutable attribute"
    snapshot > "$tmp/files.after"
    if cmp -s "$tmp/files.before" "$tmp/files.after"; then
        ok "no CAP_LINUX_IMMUTABLE: DB.csv, DB.protocols.csv, DB.sources, --save-csv, DB.http as they were"
    else
        bad "no CAP_LINUX_IMMUTABLE: DB.csv, DB.protocols.csv, DB.sources, --save-csv, DB.http as they were" \
            "$(diff "$tmp/files.before" "$tmp/files.after")"
    fi
    # compile the same way: DB.sources not ahead of the database.
    snapshot > "$tmp/files.before"
    timeout 120 setpriv --bounding-set=-all --inh-caps=-all "$TOOL" compile --db "$DB" \
        --no-services > "$tmp/out" 2> "$tmp/err"
    rc=$?
    fails "compile without CAP_LINUX_IMMUTABLE" 1 "cannot clear its immutable attribute"
    snapshot > "$tmp/files.after"
    if cmp -s "$tmp/files.before" "$tmp/files.after"; then ok "compile without CAP_LINUX_IMMUTABLE: DB.sources as it was"
    else bad "compile without CAP_LINUX_IMMUTABLE: DB.sources as it was" "$(diff "$tmp/files.before" "$tmp/files.after")"; fi
    # With the capability, the same update goes through.
    timeout 120 setpriv --bounding-set=-all,+linux_immutable --inh-caps=-all "${update_cmd[@]}" \
        --db "$DB" --url "$URL/p/registry-nocap.csv" --protocols-url "$URL/p/protocols-nocap.csv" \
        > "$tmp/out" 2> "$tmp/err"
    rc=$?
    check "with CAP_LINUX_IMMUTABLE alone: exit 0, both registries in" "0 nss-iana-nocap 48998/tcp|1" \
        "$rc $("$TOOL" lookup --db "$DB" nss-iana-nocap | squeeze)|$(grep -c NSS-IANA-NOCAP "$DB.protocols.csv")"
    no_temp "with CAP_LINUX_IMMUTABLE alone"
    chattr -i "$DB" 2>/dev/null
fi

kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
server=""
summary update
