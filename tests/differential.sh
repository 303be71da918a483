#!/bin/sh
# The differential test: glibc's own nss_files, reading `iana-services
# export` bind-mounted over /etc/services, must give the module's answer to
# every exact-case query: every name and alias with each protocol and with
# none, and every port 0-65535 with each protocol and with none.
# Needs root for the mount namespace; skips (exit 0, says so) otherwise.
#
#   tests/differential.sh BUILD_DIR [DB]
set -eu
B=${1:?usage: differential.sh BUILD_DIR [DB]}
DB=${2:-$B/services.db}
B=$(cd "$B" && pwd)

if [ "$(id -u)" != 0 ] || ! unshare -m true 2>/dev/null; then
    echo "differential: SKIPPED (needs root and unshare -m for a private /etc/services)"
    exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$B/iana-services" export --db "$DB" > "$tmp/services"

# Queries: every name and alias the export lists, then the port sweep in
# chunks so both cores work (nss_files re-reads the file for every query).
awk '!/^#/ && NF >= 2 { sub(/#.*/, ""); for (i = 1; i <= NF; i++) if (i != 2) print $i }' \
    "$tmp/services" | sort -u > "$tmp/names"
for p in tcp udp sctp dccp -; do sed "s|^|name |; s|\$| $p|" "$tmp/names"; done > "$tmp/q.names"
split -n l/4 "$tmp/q.names" "$tmp/q.names."
for start in 0 8192 16384 24576 32768 40960 49152 57344; do
    echo "ports $start $((start + 8191))" > "$tmp/q.ports.$start"
done
ls "$tmp"/q.names.* "$tmp"/q.ports.* > "$tmp/chunks"
nq=$(( $(wc -l < "$tmp/q.names") + 65536 * 5 ))

jobs=$(nproc 2>/dev/null || echo 2)
for backend in iana files; do
    # xargs runs a chunk per core; each chunk writes CHUNK.BACKEND.
    xargs -P "$jobs" -I{} sh -c '
        if [ "$1" = files ]; then
            unshare -m sh -c "mount --bind \"\$0\" /etc/services && exec \"\$1/nss_client\" files < \"\$2\"" \
                "$2" "$3" "$4" > "$4.files"
        else
            NSS_IANA_DB="$5" LD_LIBRARY_PATH="$3" "$3/nss_client" iana < "$4" > "$4.iana"
        fi' sh "$backend" "$tmp/services" "$B" {} "$DB" < "$tmp/chunks"
done

fail=0
while read -r chunk; do
    if ! cmp -s "$chunk.iana" "$chunk.files"; then
        echo "differential: module and nss_files disagree ($(basename "$chunk")):"
        diff "$chunk.files" "$chunk.iana" | head -20
        fail=1
    fi
done < "$tmp/chunks"
answered=$(cat "$tmp"/*.iana | grep -vc 'NOTFOUND$' || true)
total=$(cat "$tmp"/*.iana | wc -l)
[ "$total" -eq "$nq" ] || { echo "differential: expected $nq answers, got $total"; fail=1; }
if [ "$fail" = 0 ]; then
    echo "differential: $total queries ($answered found), module == nss_files over the export"
    echo "1 passed, 0 failed"
else
    echo "0 passed, 1 failed"
fi
exit "$fail"
