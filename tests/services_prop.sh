#!/bin/bash
# Property test of the merged database: N random services files (a fixed
# seed; tests/oracle.py random) mixing the hostile constructs of
# tests/data/hostile.services with random names, ports and protocols and
# the registry's own names; for each, the oracle comparison of
# tests/oracle_lib.sh over a reduced query set (every name and alias of the
# file in four cases x the protocols, its ports, 40 registry names and ports,
# the enumeration).  Files run two at a time (one per core).  A difference
# prints the seed, the file's index and a copy of it kept in
# BUILD_DIR/services_prop/, and the line that regenerates it.
# Needs root; skips (exit 0, says so) otherwise.
#
#   tests/services_prop.sh BUILD_DIR [N [SEED]]     (N 200, SEED 1)
set -u
B=$(cd "${1:?usage: services_prop.sh BUILD_DIR [N [SEED]]}" && pwd) || exit 2
N=${2:-200}
SEED=${3:-1}
SRC=$(cd "$(dirname "$0")" && pwd)

if [ "$(id -u)" != 0 ] || ! unshare -m true 2>/dev/null; then
    echo "services_prop: SKIPPED (needs root and unshare -m for a private /etc/services)"
    exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$SRC/lib.sh"
. "$SRC/oracle_lib.sh"
oracle_init || { bad "a registry-only database"; summary services_prop; exit; }

mkdir "$tmp/files"
python3 "$SRC/oracle.py" random "$SEED" "$N" "$tmp/lib/registry.enum" "$tmp/files" ||
    { bad "generating $N files"; summary services_prop; exit; }
echo "services_prop: seed $SEED, $N files"

# One file: the comparison, quietly (its counts are in its result file).
one() {
    compare "f$1" "$tmp/files/$1.services" "$SEED/$1" 1
    find "$tmp/f$1" -type f ! -name result -delete
}
start=$(date +%s)
for ((i = 0; i < N; i++)); do
    while [ "$(jobs -rp | wc -l)" -ge "$ncpu" ]; do wait -n; done
    one "$i" &
done
wait

queries=0 entries=0 from_files=0 failed_files=0
for ((i = 0; i < N; i++)); do
    r=$tmp/f$i/result
    if grep -q '^bad ' "$r"; then
        failed_files=$((failed_files + 1))
        mkdir -p "$B/services_prop"
        cp "$tmp/files/$i.services" "$B/services_prop/$SEED-$i.services"
        mapfile -t why < <(grep -v '^ok ' "$r" | sed 's/^bad //; s/^     /  /')
        bad "file $i of seed $SEED: kept as $B/services_prop/$SEED-$i.services" \
            "regenerate: tests/oracle.py random $SEED $i REG_ENUM  (REG_ENUM: nss_client -x iana enum over a --no-services database)" \
            "${why[@]}"
    else
        # "ok fI: Q queries (...)", "ok fI: enumeration, E entries (F from the file), ..."
        queries=$((queries + $(awk '/^ok .* queries/ {print $3}' "$r")))
        entries=$((entries + $(awk '/^ok .*enumeration/ {print $4}' "$r")))
        from_files=$((from_files + $(awk '/^ok .*enumeration/ {sub(/\(/, "", $6); print $6}' "$r")))
        passed=$((passed + 1))
    fi
done
echo "services_prop: $((N - failed_files)) of $N files agree: $queries queries, $entries entries enumerated ($from_files from the files) ($(( $(date +%s) - start )) s)"
summary services_prop
