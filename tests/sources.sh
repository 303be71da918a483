#!/bin/bash
# What a database is compiled from is kept outside it, in DB.sources, so a
# rebuild (compile with no CSV, update, the package's scripts) uses the same
# registry, services file and site file even when the database cannot be
# read: damaged, cut short, of a format this version does not know.  And an
# iana-services 0.1.0 database compiled with --local SITE (built here from
# git, the previous release) keeps answering SITE's names after the upgrade.
#
#   tests/sources.sh BUILD_DIR
set -u
cd "$(dirname "$0")/.." || exit 2
B=$(cd "${1:?usage: sources.sh BUILD_DIR}" && pwd)
TOOL=$B/iana-services
CSV=data/service-names-port-numbers.csv
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. tests/lib.sh
# The answers of a database merging a file other than /etc/services (which
# the module would find changed), through the tool's reader.
getent_db() { "$TOOL" lookup --db "$1" "$2" 2>/dev/null | squeeze; }
count_db() { "$TOOL" export --db "$1" | grep -vc '^#'; }

# A registry of its own (the bundled one without the services whose name
# starts with z, by python's csv reader; its newest date is the bundled
# one's, so compile does not take the bundled one as newer), so that
# compiling the bundled one instead shows.
python3 - "$CSV" "$tmp/small.csv" <<'PY'
import csv, sys
with open(sys.argv[1], newline='') as f, open(sys.argv[2], 'w', newline='') as out:
    w = csv.writer(out, lineterminator='\r\n')
    for i, row in enumerate(csv.reader(f)):
        if i == 0 or not row[0].lower().startswith('z'):
            w.writerow(row)
PY
printf 'nss-sources-only 47001/tcp # the merged file\n' > "$tmp/services"
DB=$tmp/db/services.db
mkdir -p "$tmp/db"

"$TOOL" compile --services "$tmp/services" --output "$DB" "$tmp/small.csv" > /dev/null
check "compile: DB.sources names the registries and the files merged" \
    "registry $tmp/small.csv|services $tmp/services|protocols $(pwd -P)/data/protocol-numbers-1.csv|protocols-file /etc/protocols" \
    "$(grep -v '^#' "$DB.sources" | tr '\n' '|' | sed 's/|$//')"
want_count=$(count_db "$DB")
check "the merged line answers" "nss-sources-only 47001/tcp" "$(getent_db "$DB" nss-sources-only)"
[ "$want_count" -lt "$(count_db "$B/services.db")" ]
check "the registry of its own is smaller than the bundled one" 0 $?

# rebuild NAME: DB damaged by the command in $damage, then compile with no
# CSV: the same registry and services file as before.
rebuild() {
    cp "$DB" "$tmp/before.db"
    eval "$2"
    "$TOOL" verify --db "$DB" > /dev/null 2>&1
    check "$1: the damaged database fails verify" 1 $?
    "$TOOL" compile --output "$DB" > /dev/null 2> "$tmp/err"
    check "$1: compile with no CSV exits 0" "0 " "$? $(grep -v warning "$tmp/err")"
    check "$1: rebuilt from the same registry (as many answers)" "$want_count" "$(count_db "$DB")"
    check "$1: with the same services file" "nss-sources-only 47001/tcp" \
        "$(getent_db "$DB" nss-sources-only)"
}
rebuild "a flipped byte" 'printf "\377" | dd of="$DB" bs=1 seek=5000 conv=notrunc status=none'
rebuild "cut short" 'truncate -s 4096 "$DB"'
# A future format: the version field (bytes 8..11) of the header.
rebuild "a format from the future" 'printf "\143\0\0\0" | dd of="$DB" bs=1 seek=8 conv=notrunc status=none'
rebuild "no database at all" 'rm -f "$DB"'

"$TOOL" compile --no-services --output "$DB" > /dev/null
rm -f "$DB"
"$TOOL" compile --output "$DB" > /dev/null
check "--no-services is kept too: no line merged" "" "$(getent_db "$DB" nss-sources-only)"
check "--no-services is kept: the registry alone" "$((want_count - 1))" "$(count_db "$DB")"
check "--no-services is kept: DB.sources says none" "services none" "$(grep '^services' "$DB.sources")"

# A DB.sources that is not what compile writes: said, naming it, and the
# database's own record used.
"$TOOL" compile --services "$tmp/services" --output "$DB" > /dev/null
printf 'registry relative/path\n' > "$DB.sources"
"$TOOL" compile --output "$DB" > /dev/null 2> "$tmp/err"
check "a malformed DB.sources: compile still exits 0" 0 $?
grep -q "warning: $DB.sources: line 1 is not KEY /PATH" "$tmp/err"
check "a malformed DB.sources: named in a warning" 0 $?
check "a malformed DB.sources: the database's record used" "nss-sources-only 47001/tcp" \
    "$(getent_db "$DB" nss-sources-only)"

# A temporary DB.sources left by a killed writer is swept under the lock.
: > "$tmp/db/.services.db.sources.AbC123"
"$TOOL" compile --output "$DB" > /dev/null 2>&1
[ -e "$tmp/db/.services.db.sources.AbC123" ]
check "a killed writer's temporary DB.sources is swept" 1 $?

# --- a registry given on a pipe: kept beside the database ------------------------
# compile /dev/stdin or <(curl ...) names nothing a rebuild can read again:
# the bytes are kept as DB.csv (DB.protocols.csv), which DB.sources names,
# so the next rebuild compiles that registry and not the bundled snapshot.
QDB=$tmp/qdb/services.db
mkdir -p "$tmp/qdb"
# The bundled protocol numbers registry without sctp, by python's csv
# reader (also the protocols section's registry of its own, below).
python3 - data/protocol-numbers-1.csv "$tmp/proto.csv" <<'PY'
import csv, sys
with open(sys.argv[1], newline='', encoding='utf-8-sig') as f, \
        open(sys.argv[2], 'w', newline='', encoding='utf-8') as out:
    w = csv.writer(out, lineterminator='\r\n')
    for row in csv.reader(f):
        if row[1] != 'SCTP':
            w.writerow(row)
PY
cat "$tmp/small.csv" | "$TOOL" compile --services "$tmp/services" --no-protocols-file --output "$QDB" \
    --protocols <(cat "$tmp/proto.csv") /dev/stdin > /dev/null 2> "$tmp/err"
check "a registry on a pipe: compile exits 0" 0 $?
grep -q "note: /dev/stdin can be read only once (a pipe).*kept as $QDB.csv" "$tmp/err"
check "a registry on a pipe: says where it is kept" 0 $?
cmp -s "$tmp/small.csv" "$QDB.csv" && cmp -s "$tmp/proto.csv" "$QDB.protocols.csv"
check "a registry on a pipe: kept byte for byte as DB.csv and DB.protocols.csv" 0 $?
check "a registry on a pipe: DB.sources names the copies" "registry $QDB.csv|protocols $QDB.protocols.csv" \
    "$(grep -E '^(registry|protocols) ' "$QDB.sources" | tr '\n' '|' | sed 's/|$//')"
"$TOOL" compile --output "$QDB" > /dev/null 2>&1
check "a registry on a pipe: the rebuild compiles it again, not the bundled one" \
    "$want_count|" "$(count_db "$QDB")|$("$TOOL" lookup --protocol --db "$QDB" sctp 2>/dev/null)"

# --- a FIFO where DB.sources names the registry: refused at once -----------------
# It would block the rebuild for ever in open(), holding DB.lock.
mkfifo "$tmp/fifo.csv"
cp "$QDB" "$tmp/q.before"
sed -i "s|^registry .*|registry $tmp/fifo.csv|" "$QDB.sources"
timeout 20 "$TOOL" compile --output "$QDB" > /dev/null 2> "$tmp/err"
check "a FIFO as the recorded registry: compile fails at once (not timed out)" 1 $?
grep -q "$tmp/fifo.csv: not a regular file (a FIFO)" "$tmp/err"
check "a FIFO as the recorded registry: says so" 0 $?
cmp -s "$tmp/q.before" "$QDB"
check "a FIFO as the recorded registry: the database as it was" 0 $?
sed -i "s|^registry .*|registry $QDB.csv|; s|^protocols .*|protocols $tmp/fifo.csv|" "$QDB.sources"
timeout 20 "$TOOL" compile --output "$QDB" > /dev/null 2> "$tmp/err"
check "a FIFO as the recorded protocols registry: refused at once" \
    "1 1" "$? $(grep -c "$tmp/fifo.csv: not a regular file (a FIFO)" "$tmp/err")"
timeout 20 "$TOOL" compile --protocols "$tmp/proto.csv" --output "$QDB" > /dev/null 2>&1
check "the lock is free after: the next compile goes through" 0 $?

# --- /etc/services as a symbolic link: followed at each rebuild ----------------
# Recorded as given (not its target), so a rebuild after the link is
# retargeted, or replaced by a plain file, merges what /etc/services is
# then, which the module watches: it answers, not UNAVAIL for good.  In
# tests/sandbox.sh, where /etc is a copy-on-write view.
if [ "$(id -u)" != 0 ] || ! [ -x "$B/nss_client" ]; then
    skip "/etc/services as a link: needs root (tests/sandbox.sh) and $B/nss_client"
else
    cat > "$tmp/link.sh" <<'SH'
set -u
TOOL=$1 B=$2 t=$3 csv=$4
export LD_LIBRARY_PATH=$B NSS_IANA_DB=$t/ldb/services.db
q() { "$B/nss_client" iana "name $1 tcp" "name bgp sctp" | tr '\n' ' '; }
mkdir -p "$t/ldb" "$t/static"
printf 'nss-link-a 47011/tcp\n' > "$t/static/a"
printf 'nss-link-b 47012/tcp\n' > "$t/static/b"
printf 'nss-link-c 47013/tcp\n' > "$t/plain"
rm -f /etc/services && ln -s "$t/static/a" /etc/services || exit 125
"$TOOL" compile --output "$NSS_IANA_DB" "$csv" > /dev/null || exit 125
echo "recorded: $(grep '^services ' "$NSS_IANA_DB.sources")"
echo "a: $(q nss-link-a)"
ln -sfn "$t/static/b" /etc/services
"$TOOL" compile --output "$NSS_IANA_DB" > /dev/null
echo "retargeted: $(q nss-link-b)"
rm /etc/services && cp "$t/plain" /etc/services
"$TOOL" compile --output "$NSS_IANA_DB" > /dev/null
echo "plain: $(q nss-link-c)"
"$TOOL" verify --db "$NSS_IANA_DB" | grep '^  services file'
SH
    tests/sandbox.sh bash "$tmp/link.sh" "$TOOL" "$B" "$tmp" "$(pwd)/$CSV" > "$tmp/link.out" 2>&1
    check "/etc/services a link: the sandbox ran" 0 $?
    check "/etc/services a link: recorded as given" "recorded: services /etc/services" \
        "$(grep '^recorded' "$tmp/link.out")"
    check "/etc/services a link: answers" \
        "a: name nss-link-a tcp -> nss-link-a 47011/tcp name bgp sctp -> bgp 179/sctp " \
        "$(grep '^a:' "$tmp/link.out")"
    check "/etc/services retargeted: the rebuild merges the new target, the module answers" \
        "retargeted: name nss-link-b tcp -> nss-link-b 47012/tcp name bgp sctp -> bgp 179/sctp " \
        "$(grep '^retargeted:' "$tmp/link.out")"
    check "/etc/services replaced by a plain file: merged, the module answers" \
        "plain: name nss-link-c tcp -> nss-link-c 47013/tcp name bgp sctp -> bgp 179/sctp " \
        "$(grep '^plain:' "$tmp/link.out")"
    check "/etc/services replaced by a plain file: verify says the module answers" \
        "  services file /etc/services: merged; /etc/services is that file: the module answers" \
        "$(grep '^  services file' "$tmp/link.out")"
fi

# --- where the system database cannot be made immutable: said, once ----------
# The module maps a mutable database privately (about 450 KiB in every
# process): compile and verify say so, why, and what to do.  In the
# sandbox, /var/lib/nss_iana on ramfs (no attribute; tmpfs has had it since
# Linux 6.0), then on tmpfs written without CAP_LINUX_IMMUTABLE.
if [ "$(id -u)" != 0 ] || ! command -v setpriv >/dev/null; then
    skip "a database that cannot be immutable: needs root (tests/sandbox.sh) and setpriv"
else
    cat > "$tmp/mutable.sh" <<'SH'
set -u
TOOL=$1 csv=$2 t=$3
unset NSS_IANA_DB
db=/var/lib/nss_iana/services.db
mkdir -p /var/lib/nss_iana && mount -t ramfs ramfs /var/lib/nss_iana || exit 125
"$TOOL" compile --no-services "$csv" > /dev/null 2> "$t/m.err"
echo "ramfs compile: $? $(grep -c "note: $db is not immutable: its file system has no immutable attribute" "$t/m.err") $(grep -c 'about 450 KiB each' "$t/m.err") $(wc -l < "$t/m.err")"
"$TOOL" verify > "$t/m.out" 2>&1
echo "ramfs verify: $? $(grep -c "note: $db is not immutable: its file system has no immutable attribute" "$t/m.out")"
umount /var/lib/nss_iana && mount -t tmpfs tmpfs /var/lib/nss_iana || exit 125
setpriv --bounding-set=-all --inh-caps=-all "$TOOL" compile --no-services "$csv" > /dev/null 2> "$t/m.err"
echo "no cap compile: $? $(grep -c "note: $db is not immutable: it was written without CAP_LINUX_IMMUTABLE" "$t/m.err")"
"$TOOL" verify > "$t/m.out" 2>&1
echo "no cap verify: $? $(grep -c "note: $db is not immutable: it was written without CAP_LINUX_IMMUTABLE" "$t/m.out")"
SH
    tests/sandbox.sh bash "$tmp/mutable.sh" "$TOOL" "$(pwd)/$CSV" "$tmp" > "$tmp/mutable.out" 2>&1
    check "not immutable: the sandbox ran" 0 $?
    check "ramfs: compile says so, once, with the cost" "ramfs compile: 0 1 1 1" \
        "$(grep '^ramfs compile:' "$tmp/mutable.out")"
    check "ramfs: verify says so" "ramfs verify: 0 1" "$(grep '^ramfs verify:' "$tmp/mutable.out")"
    check "without CAP_LINUX_IMMUTABLE: compile says so" "no cap compile: 0 1" \
        "$(grep '^no cap compile:' "$tmp/mutable.out")"
    check "without CAP_LINUX_IMMUTABLE: verify says so" "no cap verify: 0 1" \
        "$(grep '^no cap verify:' "$tmp/mutable.out")"
fi

# --- an upgrade from 0.1.0's compile --local -------------------------------------
if ! old_rev=$(last_local_release); then
    skip "upgrade from --local (no such release in git history)"
    summary sources; exit
fi
mkdir -p "$tmp/old" && git archive "$old_rev" | tar -xf - -C "$tmp/old"
# A make of its own: not the variables of a make this runs under (check-
# sanitize's B=build-asan and flags would reach the old tree's Makefile).
# Without -Werror (EXTRA_CFLAGS comes after it): a newer compiler or libc
# than the release was written for warns where it did not (glibc 2.43's
# strchr keeps const under C23), and the old code is what it is.
if ! env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make --no-print-directory -C "$tmp/old" B=build \
        EXTRA_CFLAGS=-Wno-error build/iana-services > "$tmp/old.log" 2>&1; then
    bad "the previous release's tool built from git ($old_rev)" "$(tail -5 "$tmp/old.log")"
    summary sources; exit
fi
OLD=$tmp/old/build/iana-services
printf 'nss-site-name 47999/tcp site-alias\n' > "$tmp/site.services"
ODB=$tmp/olddb/services.db
mkdir -p "$tmp/olddb"
if ! "$OLD" compile --local "$tmp/site.services" --output "$ODB" "$CSV" > /dev/null 2> "$tmp/err"; then
    skip "upgrade from --local (the previous release has no --local: $(head -c 200 "$tmp/err"))"
    summary sources; exit
fi
printf 'nss-sources-only 47001/tcp\n' > "$tmp/services"
"$TOOL" compile --services "$tmp/services" --output "$ODB" > /dev/null 2> "$tmp/err"
check "0.1.0 --local database: compile exits 0" 0 $?
grep -q "compiled by iana-services 0.1.0 with --local $tmp/site.services: that file's lines are merged after" "$tmp/err"
check "0.1.0 --local database: the site file is named, with what to do" 0 $?
check "0.1.0 --local database: the site's name still answers" "nss-site-name 47999/tcp site-alias" \
    "$(getent_db "$ODB" site-alias)"
check "0.1.0 --local database: by port too" "nss-site-name 47999/tcp site-alias" \
    "$(getent_db "$ODB" 47999/tcp)"
check "0.1.0 --local database: after the services file's lines" "nss-sources-only 47001/tcp" \
    "$(getent_db "$ODB" nss-sources-only)"
grep -qx "site $tmp/site.services" "$ODB.sources"
check "0.1.0 --local database: the site recorded in DB.sources" 0 $?
"$TOOL" compile --output "$ODB" > /dev/null 2> "$tmp/err"
grep -q "note: $tmp/site.services's lines are merged after $tmp/services's (the site file of iana-services 0.1.0's --local); to have one file, move them into $tmp/services and compile --no-site" "$tmp/err"
check "every later compile says the site file is merged, and how to stop" 0 $?

# As nss_files would answer with the site's lines appended to the services
# file: the first line wins, the site's after the file's.
printf 'nss-site-name 47998/tcp\n' >> "$tmp/services"
"$TOOL" compile --output "$ODB" > /dev/null 2>&1
check "a name in both: the services file's line first" "nss-site-name 47998/tcp" \
    "$(getent_db "$ODB" nss-site-name)"
check "a name in both: the site's line by its port" "nss-site-name 47999/tcp site-alias" \
    "$(getent_db "$ODB" 47999/tcp)"
cat "$tmp/services" "$tmp/site.services" > "$tmp/appended"
"$TOOL" compile --services "$tmp/appended" --no-site --output "$tmp/appended.db" > /dev/null 2>&1
# (The files' paths differ, and lookup -v would say so; the answers not.)
"$TOOL" export --db "$ODB" | grep -v '^#' > "$tmp/site.all"
"$TOOL" export --db "$tmp/appended.db" | grep -v '^#' > "$tmp/appended.all"
cmp -s "$tmp/site.all" "$tmp/appended.all"
check "every answer as with the site's lines appended to the services file" 0 $?

rm "$tmp/site.services"
cp "$ODB" "$tmp/kept.db"
"$TOOL" compile --output "$ODB" > /dev/null 2> "$tmp/err"
check "the site file gone: compile refuses" 1 $?
grep -q "$tmp/site.services: No such file or directory (the site's names, merged since iana-services 0.1.0's --local): put it back, or compile --no-site" "$tmp/err"
check "the site file gone: said, with what to do" 0 $?
cmp -s "$ODB" "$tmp/kept.db"
check "the site file gone: the database as it was" 0 $?
"$TOOL" compile --no-site --output "$ODB" > /dev/null 2>&1
check "--no-site: compile exits 0" 0 $?
check "--no-site: the site's name no longer answers" "" "$(getent_db "$ODB" site-alias)"
grep -q '^site ' "$ODB.sources"
check "--no-site: no site in DB.sources" 1 $?

# The protocols: a registry of its own ($tmp/proto.csv, the bundled one without sctp, by
# python's csv reader) and a protocols file other than /etc/protocols,
# kept by a rebuild from DB.sources; --no-protocols-file kept too.
printf 'nss-proto-only 253 NPO\n' > "$tmp/protocols"
PDB=$tmp/pdb/services.db
mkdir -p "$tmp/pdb"
pcount() { "$TOOL" export --protocols --db "$1" | grep -vc '^#'; }
plookup() { "$TOOL" lookup --protocol --db "$1" "$2" 2>/dev/null | squeeze; }
"$TOOL" compile --protocols "$tmp/proto.csv" --protocols-file "$tmp/protocols" --output "$PDB" > /dev/null
check "compile --protocols --protocols-file: recorded" \
    "protocols $tmp/proto.csv|protocols-file $tmp/protocols" \
    "$(grep '^protocols' "$PDB.sources" | tr '\n' '|' | sed 's/|$//')"
want_p=$(pcount "$PDB")
check "the file's line answers" "nss-proto-only 253 NPO" "$(plookup "$PDB" 253)"
check "the registry of its own has no sctp" "" "$(plookup "$PDB" sctp)"
rm -f "$PDB"
"$TOOL" compile --output "$PDB" > /dev/null
check "rebuilt from DB.sources: the same protocols registry and file" \
    "$want_p|nss-proto-only 253 NPO|" "$(pcount "$PDB")|$(plookup "$PDB" 253)|$(plookup "$PDB" sctp)"
"$TOOL" compile --no-protocols-file --output "$PDB" > /dev/null
rm -f "$PDB"
"$TOOL" compile --output "$PDB" > /dev/null
check "--no-protocols-file is kept: DB.sources says none" "protocols-file none" \
    "$(grep '^protocols-file' "$PDB.sources")"
check "--no-protocols-file is kept: the registry alone" "$((want_p - 1))|" \
    "$(pcount "$PDB")|$(plookup "$PDB" 253)"
"$TOOL" compile --protocols-file "$tmp/protocols" --no-protocols-file --output "$PDB" > /dev/null 2>&1
check "--protocols-file with --no-protocols-file: a usage error" 2 $?

summary sources
