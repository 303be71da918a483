#!/bin/bash
# A writer of the system database stopped between clearing the database's
# immutable attribute and renaming the new file over it (strace injects the
# signal into its rename), while a process holds the database mapped:
#
# - SIGTERM: the signal waits for the swap (db_write_files blocks it):
#   the database is immutable, the compile's own bytes;
# - SIGKILL: no handler runs, and the database is left mutable.  The
#   running process stops trusting its shared mapping (the ctime moved),
#   so that a truncation and a cp over the file in place, which would kill
#   it with SIGBUS through a shared mapping, change nothing it reads: it
#   goes on answering;  `verify` says the database is not immutable; the
#   next compile makes it immutable again.
#
# Root; on a copy-on-write view of this machine (tests/sandbox.sh), where
# the system database (/var/lib/nss_iana/services.db) is the build's own.
#
#   tests/killed_writer.sh BUILD_DIR
set -u
cd "$(dirname "$0")/.." || exit 2
. tests/lib.sh
if [ "${1:-}" != --sandboxed ]; then
    B=$(cd "${1:?usage: killed_writer.sh BUILD_DIR}" && pwd)
    if [ "$(id -u)" != 0 ] || ! command -v strace > /dev/null; then
        skip "needs root and strace"
        summary killed_writer; exit
    fi
    exec tests/sandbox.sh "$0" --sandboxed "$B"
fi
B=$2
DB=/var/lib/nss_iana/services.db
CSV=data/service-names-port-numbers.csv
TOOL=$B/iana-services
tmp=$(mktemp -d)
client=""
trap '[ -n "$client" ] && kill "$client" 2>/dev/null; chattr -i "$DB" 2>/dev/null; rm -rf "$tmp"' EXIT
unset NSS_IANA_DB
export LD_LIBRARY_PATH=$B

attr() { lsattr -d "$DB" 2>/dev/null | cut -d' ' -f1 | grep -q i && echo immutable || echo mutable; }
compile() { "$TOOL" compile --no-services --no-protocols-file "$CSV" > /dev/null 2>&1; }
# killed_at_rename SIGNAL: a compile of the system database, stopped by
# SIGNAL as it calls rename(2) onto the database: the how-manyth rename
# that is is found by a compile traced first (the tool renames other files
# into place too).  Prints how it ended.
killed_at_rename() {
    strace -f -qq -o "$tmp/renames" -e trace=rename,renameat,renameat2 \
        "$TOOL" compile --no-services --no-protocols-file "$CSV" > /dev/null 2>&1
    local n
    n=$(grep -n "\"$DB\"" "$tmp/renames" | head -n 1 | cut -d: -f1)
    strace -f -qq -o /dev/null -e trace=rename,renameat,renameat2 \
        -e inject=rename,renameat,renameat2:signal="$1":when="${n:-1}" \
        "$TOOL" compile --no-services --no-protocols-file "$CSV" > /dev/null 2>&1
    echo $?
}

compile
if [ "$(attr)" != immutable ]; then
    skip "no immutable attribute on this file system"
    summary killed_writer; exit
fi
sum=$(sha256sum < "$DB")

# A process that has the database mapped (the module's first look), and
# asks every 2 ms, for 30 s at most.
"$B/stale_client" iana bgp sctp 30 > "$tmp/client" &
client=$!
sleep 0.3
check "the running process answers" "179/sctp" "$(tail -n 1 "$tmp/client" | cut -d' ' -f2)"

check "SIGTERM at the rename: the writer ends by the signal" 143 "$(killed_at_rename SIGTERM)"
check "SIGTERM at the rename: the database is immutable again" immutable "$(attr)"
check "SIGTERM at the rename: the database is the compile's, byte for byte" "$sum" "$(sha256sum < "$DB")"

check "SIGKILL at the rename: the writer is killed" 137 "$(killed_at_rename SIGKILL)"
check "SIGKILL at the rename: the database is left mutable" mutable "$(attr)"
"$TOOL" verify > "$tmp/verify" 2>&1
check "verify says the system database is not immutable" 1 \
    "$(grep -c 'not immutable' "$tmp/verify")"
sleep 0.7 # the running process looks at the file again (every half second)
# What a careless admin or a tool could do to a mutable file in place.
: > "$DB"
sleep 0.1
cp "$B/services.db" "$DB"
sleep 0.1
if kill -0 "$client" 2>/dev/null; then
    ok "the running process lived through a truncation and a cp in place"
else
    wait "$client"
    bad "the running process lived through a truncation and a cp in place" \
        "it ended with status $? (135: SIGBUS)"
    client=""
fi
check "the running process still answers" "179/sctp" "$(tail -n 1 "$tmp/client" | cut -d' ' -f2)"
compile
check "the next compile makes the database immutable again" immutable "$(attr)"
summary killed_writer
