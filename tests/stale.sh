#!/bin/bash
# Staleness through glibc: with `services: iana [!UNAVAIL=return] files`
# and a database that merged /etc/services, an edit to /etc/services is
# answered, by a process already running and by a new one, within a second,
# as nss_files answers it; so are deleting the file and creating one where
# there was none; and a rebuilt database answers by itself again.  In a
# private mount namespace whose /etc is an overlay (or a copy) of the real
# one, so the real /etc/services is never touched.  Root only.
#
#   tests/stale.sh BUILD_DIR
set -u
B=$(cd "${1:?usage: stale.sh BUILD_DIR}" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
if [ "$(id -u)" != 0 ] || ! unshare -m true 2>/dev/null; then
    skip "needs root and unshare -m for a private /etc"
    summary stale; exit
fi

# Outside: make the scratch directory, run this script again in a mount
# namespace of its own, and remove the directory after (not exec: the
# removal must outlive the inner run).
if [ -z "${STALE_INSIDE:-}" ]; then
    tmp=$(mktemp -d)
    STALE_INSIDE=$tmp unshare -m "$0" "$@"
    rc=$?
    rm -rf "$tmp"
    exit "$rc"
fi
tmp=$STALE_INSIDE
mount --make-rprivate / 2>/dev/null
mkdir -p "$tmp/up" "$tmp/work"
if ! mount -t overlay overlay -o "lowerdir=/etc,upperdir=$tmp/up,workdir=$tmp/work" /etc 2>/dev/null; then
    mkdir "$tmp/etc" && cp -a /etc/. "$tmp/etc/" && mount --bind "$tmp/etc" /etc ||
        { bad "a private /etc"; summary stale; exit; }
fi
[ -f /etc/services ] || printf 'http 80/tcp www\n' > /etc/services

CSV=$HERE/../data/service-names-port-numbers.csv
LINE='iana [!UNAVAIL=return] files'
export NSS_IANA_DB=$tmp/services.db LD_LIBRARY_PATH=$B
compile() { "$B/iana-services" compile --output "$NSS_IANA_DB" "$CSV" > /dev/null; }
# ask LINE NAME PROTO: a new process's answer, as nss_client prints it.
ask() { "$B/nss_client" "$1" "name $2 $3" | sed "s/^name $2 $3 -> //"; }
now() { date +%s%3N; }
# seen_within MS SINCE ANSWER: the running client printed ANSWER no later
# than MS ms after SINCE.
seen_within() {
    local deadline=$(( $2 + $1 )) t
    for _ in $(seq 150); do
        t=$(awk -v a="$3" -v s="$2" '$2 == a && $1 >= s - 5 { print $1; exit }' "$tmp/client")
        [ -n "$t" ] && break
        sleep 0.01
    done
    if [ -n "$t" ] && [ "$t" -le "$deadline" ]; then
        echo "     (after $((t - $2)) ms)"; return 0
    fi
    echo "     client log: $(tr '\n' ' ' < "$tmp/client")"; return 1
}

compile
"$B/stale_client" "$LINE" nss-iana-stale tcp 20 > "$tmp/client" &
client=$!
trap 'kill $client 2>/dev/null' EXIT
for _ in $(seq 200); do grep -q NOTFOUND "$tmp/client" && break; sleep 0.01; done
check "before: not there" "NOTFOUND" "$(ask "$LINE" nss-iana-stale tcp)"

# 1. An edit: a running process and a new one see it within a second.
t=$(now)
echo "nss-iana-stale 4999/tcp" >> /etc/services
check "edit: a new process sees it at once" "nss-iana-stale 4999/tcp" "$(ask "$LINE" nss-iana-stale tcp)"
if seen_within 1000 "$t" 4999/tcp; then ok "edit: the running process sees it within 1 s"
else bad "edit: the running process sees it within 1 s"; fi
check "edit: until a rebuild the module steps aside" "NOTFOUND" \
    "$(ask iana nss-iana-stale tcp)"

# 2. Rebuilt: the module answers by itself again, the same answer.
compile
check "rebuilt: iana alone answers the edit" "nss-iana-stale 4999/tcp" "$(ask iana nss-iana-stale tcp)"
sleep 0.6
check "rebuilt: the running process still has it" "4999/tcp" "$(tail -n 1 "$tmp/client" | cut -d' ' -f2)"

# 3. Deleted: as `files iana` with no file, the registry alone answers.
t=$(now)
rm /etc/services
check "deleted: a new process, a name only the file had" "NOTFOUND" \
    "$(ask "$LINE" nss-iana-stale tcp)"
# As `files iana` answers with no file: the registry-only database's answer.
check "deleted: a new process, a registry name" "$(NSS_IANA_DB=$B/services.db ask iana http tcp)" \
    "$(ask "$LINE" http tcp)"
if seen_within 1000 "$t" NOTFOUND; then ok "deleted: the running process sees it within 1 s"
else bad "deleted: the running process sees it within 1 s"; fi

# 4. Created where there was none (the database merged its absence).
compile
sleep 0.6
t=$(now)
echo "nss-iana-stale 4888/tcp" > /etc/services
check "created: a new process sees it at once" "nss-iana-stale 4888/tcp" "$(ask "$LINE" nss-iana-stale tcp)"
if seen_within 1000 "$t" 4888/tcp; then ok "created: the running process sees it within 1 s"
else bad "created: the running process sees it within 1 s"; fi

# 5. The same bytes under a new identity (a copy, as a container's overlay
# or a restore gives): still the merged file, the module keeps answering.
compile
cp /etc/services "$tmp/copy" && touch -d '2001-01-01' "$tmp/copy" && mv "$tmp/copy" /etc/services
check "same bytes, new inode and time: iana alone still answers" "nss-iana-stale 4888/tcp" \
    "$(ask iana nss-iana-stale tcp)"

# 6. Other bytes of the same size, written in place, and the mtime put
# back (`touch -d`): same inode, size and mtime, but not the same file.
# The ctime cannot be put back: as nss_files answers, by a new process and
# by the running one.
compile
sleep 0.6
mtime=$(stat -c %y /etc/services)
off=$(grep -b -o 'nss-iana-stale 4888' /etc/services | head -n 1 | cut -d: -f1)
sleep 0.05 # past the tick of the compile's own times
t=$(now)
printf 'nss-iana-stale 4887' | dd of=/etc/services bs=1 seek="$off" conv=notrunc status=none
touch -d "$mtime" /etc/services
check "same size in place, mtime put back: the mtime is the merged one" "$mtime" \
    "$(stat -c %y /etc/services)"
check "same size in place, mtime put back: a new process, as nss_files" \
    "$(ask files nss-iana-stale tcp)" "$(ask "$LINE" nss-iana-stale tcp)"
if seen_within 1000 "$t" 4887/tcp; then ok "same size in place: the running process within 1 s"
else bad "same size in place: the running process within 1 s"; fi

kill $client 2>/dev/null
summary stale
