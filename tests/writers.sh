#!/bin/bash
# The writers never lose or corrupt data: compile (and so the package's
# scripts and units) holds DB.lock from reading the database to the rename,
# so a second writer waits, saying for whom; a writer killed by SIGTERM
# mid-write removes its temporary file, and what a SIGKILL leaves is
# swept by the next writer.  (update's side of the lock: tests/update.sh.)
#
#   tests/writers.sh BUILD_DIR
#
# A writer is held inside its write by strace, delaying the fsync of the
# temporary file: no test hook in the tool itself.
set -u
B=$(cd "${1:?usage: writers.sh BUILD_DIR}" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
TOOL=$B/iana-services
CSV=$HERE/../data/service-names-port-numbers.csv
. "$HERE/lib.sh"

tmp=$(mktemp -d)
held=""
cleanup() {
    [ -n "$held" ] && kill "$held" 2>/dev/null && wait "$held" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

DB=$tmp/db/services.db
"$TOOL" compile --no-services --output "$DB" "$CSV" >/dev/null ||
    { bad "compile the starting database"; summary writers; exit; }
printf 'nss-iana-site 47999/tcp site-alias\n' > "$tmp/site.services"
temps() { find "$tmp/db" -mindepth 1 -maxdepth 1 -name '.services.db.*' -printf '%f ' | sed 's/ $//'; }

# --- the lock file -----------------------------------------------------------------
check "DB.lock made beside the database, mode 0644" "644" "$(stat -c %a "$DB.lock" 2>&1)"
(umask 077 && "$TOOL" compile --no-services --output "$tmp/umask/x.db" "$CSV" >/dev/null)
check "DB.lock 0644 under umask 077 (directory 0755, database 0644)" "644 755 644" \
    "$(stat -c %a "$tmp/umask/x.db.lock" "$tmp/umask" "$tmp/umask/x.db" 2>&1 | tr '\n' ' ' | sed 's/ $//')"

# --- a compile waits for the lock's holder -------------------------------------
cp "$DB" "$tmp/before"
flock "$DB.lock" sleep 3 &
held=$!
for _ in $(seq 50); do flock -n "$DB.lock" true || break; sleep 0.05; done
"$TOOL" compile --services "$tmp/site.services" --output "$DB" "$CSV" > /dev/null 2> "$tmp/err" &
waiter=$!
sleep 1.5
if cmp -s "$tmp/before" "$DB"; then ok "held lock: the database untouched meanwhile"
else bad "held lock: the database untouched meanwhile"; fi
wait "$waiter"
check "held lock: the compile exits 0 once it is released" 0 $?
wait "$held"; held=""
if grep -q "^iana-services: compile: waiting for the lock on $DB.lock, held by another process$" "$tmp/err"
then ok "held lock: says it waits"; else bad "held lock: says it waits" "stderr: $(cat "$tmp/err")"; fi
check "held lock: then compiled (the site's line)" "nss-iana-site 47999/tcp site-alias" \
    "$("$TOOL" lookup --db "$DB" site-alias | squeeze)"

if ! command -v strace >/dev/null || ! strace -o /dev/null true 2>/dev/null; then
    skip "strace is missing or cannot trace here: no writer held mid-write"
    summary writers; exit
fi

# slow_compile ARGS...: a compile whose fsync of the temporary file takes
# 10 s; sets tracer (strace's pid) and writer (the tool's), once the
# temporary file is there (within 30 s: a loaded machine is slow to get
# there, and the kills below must come while it waits in fsync).
# The kills need the writer stopped in that fsync (ptrace's "t" state):
# where it was not caught there (once in a while under a sanitizer build on
# a loaded machine it ran through), the compile is let finish and started
# again, up to three times, saying so.
slow_compile() {
    local attempt
    for attempt in 1 2 3; do
        # LeakSanitizer (a sanitizer build) cannot run under ptrace.
        strace -o /dev/null -e trace=fsync -e inject=fsync:delay_enter=10000000:when=1 \
            env ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
            "$TOOL" compile "$@" > "$tmp/slow.out" 2> "$tmp/slow.err" &
        tracer=$!
        writer=""
        for _ in $(seq 600); do
            [ -z "$writer" ] && writer=$(pgrep -P "$tracer")
            [ -n "$writer" ] && [ -n "$(temps)" ] && break
            sleep 0.05
        done
        [ -n "$writer" ] && [ "$(awk '{print $3}' "/proc/$writer/stat" 2>/dev/null)" = t ] &&
            return 0
        echo "     (the writer was not held in its write: attempt $attempt of 3)"
        wait "$tracer" 2>/dev/null
    done
}

# --- one writer in its write: the next one waits, naming it ----------------------
cp "$DB" "$tmp/before"
slow_compile --no-services --output "$DB" "$CSV"
"$TOOL" compile --services "$tmp/site.services" --output "$DB" "$CSV" > /dev/null 2> "$tmp/err"
check "two compiles: the second exits 0" 0 $?
wait "$tracer"
rc=$?
check "two compiles: the first exits 0" 0 "$rc"
[ "$rc" = 0 ] || sed 's/^/     /' "$tmp/slow.err"
if grep -q "waiting for the lock on $DB.lock, held by another iana-services (pid $writer)" "$tmp/err"
then ok "two compiles: the second waits for the first, by pid"
else bad "two compiles: the second waits for the first, by pid" "stderr: $(cat "$tmp/err")"; fi
check "two compiles: the second's result is the database (the site's line)" \
    "nss-iana-site 47999/tcp site-alias" "$("$TOOL" lookup --db "$DB" site-alias | squeeze)"

# --- SIGTERM mid-write: the temporary file goes too ---------------------------------
"$TOOL" compile --no-services --output "$DB" "$CSV" > /dev/null
cp "$DB" "$tmp/before"
slow_compile --services "$tmp/site.services" --output "$DB" "$CSV"
check "SIGTERM: a temporary file while it writes" "yes" "$([ -n "$(temps)" ] && echo yes)"
kill -TERM "$writer"
wait "$tracer"
check "SIGTERM: the writer dies of it" 143 $?
check "SIGTERM: no temporary file left" "" "$(temps)"
if cmp -s "$tmp/before" "$DB"; then ok "SIGTERM: database unchanged"
else bad "SIGTERM: database unchanged"; fi

# --- SIGKILL mid-write: the leftover is swept by the next writer -----------------
slow_compile --services "$tmp/site.services" --output "$DB" "$CSV"
kill -KILL "$writer"
{ wait "$tracer"; } 2>/dev/null
left=$(temps)
check "SIGKILL: a temporary file is left" "yes" "$([ -n "$left" ] && echo yes)"
# Another database's temporary file in the same directory is not ours.
: > "$tmp/db/.other.db.AbC123"
"$TOOL" compile --no-services --output "$DB" "$CSV" > /dev/null 2> "$tmp/err"
check "SIGKILL: the next compile exits 0" 0 $?
check "SIGKILL: and removes the leftover" "" "$(temps)"
if grep -q "removed $tmp/db/$left, left by a writer that was killed" "$tmp/err"
then ok "SIGKILL: says so"; else bad "SIGKILL: says so" "stderr: $(cat "$tmp/err")"; fi
check "SIGKILL: another database's file is left alone" "yes" \
    "$([ -e "$tmp/db/.other.db.AbC123" ] && echo yes)"
"$TOOL" verify --db "$DB" > /dev/null
check "SIGKILL: the database verifies" 0 $?

summary writers
