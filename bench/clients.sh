#!/bin/bash
# make bench's client rows: what an admin waits for, as installed, in one
# run against three services setups:
#   iana        "services: iana [!UNAVAIL=return] files", a database that
#               merged this machine's /etc/services (the module, its
#               database and NSS_IANA_DB from the build directory)
#   files       "services: files" over the stock /etc/services (netbase)
#   files-full  "services: files" over the full registry in registry order
#               (as iana-etc ships it): `iana-services export` of the registry
#               alone (compile --no-services) bind-mounted over /etc/services
# Clients: `nft -f` loading 200 rules that name tcp ports, iptables-nft-restore
# of 200 such rules, and `ss -ta` over 1,500 loopback listeners on ports
# 1024, 1044, ... 31004 (ss names no port of the ephemeral range, so the
# sockets are listeners below it: every port is asked for its name).  The names are the stock file's own (each setup knows
# them; the few the registry lacks are left out), spread over it.  Everything runs in a private network namespace (the
# rules and sockets die with it) and, per setup, a private mount namespace
# (nsswitch.conf and /etc/services bind-mounted there only); each client runs
# ROUNDS times per setup, the median is shown in ms, and the ratio of each
# files setup to iana.  The whole run is bounded (timeout).  Needs root;
# skips otherwise.  Prints a table and BENCH lines.
#
#   bench/clients.sh BUILD_DIR [ROUNDS]
set -u
B=$(cd "${1:?usage: clients.sh BUILD_DIR [ROUNDS]}" && pwd) || exit 2
ROUNDS=${2:-5}
SRC=$(cd "$(dirname "$0")/.." && pwd)
if [ "$(id -u)" != 0 ] || ! unshare -m -n true 2>/dev/null; then
    echo "bench clients: SKIPPED (needs root, unshare -m -n)"; exit 0
fi
for c in nft iptables-nft-restore ss python3; do
    command -v $c >/dev/null || { echo "bench clients: SKIPPED (no $c)"; exit 0; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$B/iana-services" compile --output "$tmp/merged.db" "$SRC/data/service-names-port-numbers.csv" >/dev/null || exit 1
"$B/iana-services" compile --no-services --no-protocols-file --output "$tmp/registry.db" \
    "$SRC/data/service-names-port-numbers.csv" >/dev/null || exit 1
"$B/iana-services" export --db "$tmp/registry.db" > "$tmp/services.full" || exit 1
grep -v -E '^[[:space:]]*(services)[[:space:]]*:' /etc/nsswitch.conf > "$tmp/ns.files"
cp "$tmp/ns.files" "$tmp/ns.iana"
echo 'services: files' >> "$tmp/ns.files"
echo 'services: iana [!UNAVAIL=return] files' >> "$tmp/ns.iana"
chmod 0644 "$tmp"/ns.*
mkdir "$tmp/empty"

# 200 tcp names of the stock file that the registry has too, spread over it.
grep -v '^#' /etc/services | awk '$2 ~ /\/tcp$/ { print $1 }' | awk '!seen[$0]++' |
    awk 'NR == FNR { if ($2 ~ /\/tcp$/) reg[$1] = 1; next } $1 in reg' "$tmp/services.full" - > "$tmp/names"
awk -v n="$(wc -l < "$tmp/names")" 'BEGIN { srand(1) } { a[NR] = $0 } END { for (i = 0; i < 200; i++) print a[1 + int(i * n / 200)] }' \
    "$tmp/names" > "$tmp/names200"
{ echo 'table inet bench {'; echo ' chain c {'
  awk '{ print "  tcp dport \"" $1 "\" accept" }' "$tmp/names200"; echo ' }'; echo '}'; } > "$tmp/rules.nft"
{ echo '*filter'; echo ':INPUT ACCEPT [0:0]'
  awk '{ print "-A INPUT -p tcp --dport " $1 " -j ACCEPT" }' "$tmp/names200"; echo 'COMMIT'; } > "$tmp/rules.ipt"

# The run, inside one network namespace: the sockets first, then each setup
# in a mount namespace of its own.
cat > "$tmp/inner.sh" <<'EOF'
set -u
tmp=$1 B=$2 ROUNDS=$3
ip link set lo up
python3 -c '
import resource, socket, time
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 4096)), hard))
ls = []
for i in range(1500):
    l = socket.socket(); l.bind(("127.0.0.1", 1024 + 20 * i)); l.listen(1); ls.append(l)
print("ready", flush=True); time.sleep(600)' > "$tmp/ready" &
holder=$!
trap 'kill $holder 2>/dev/null' EXIT
for i in $(seq 100); do grep -q ready "$tmp/ready" && break; sleep 0.1; done
grep -q ready "$tmp/ready" || { echo "sockets not ready"; exit 1; }
# ms COMMAND...: the median wall time of ROUNDS runs, in ms, after one
# untimed run.
ms() {
    local i t0 t1
    "$@" >/dev/null 2>&1
    for i in $(seq "$ROUNDS"); do
        t0=$(date +%s%N); "$@" >/dev/null 2>&1 || { echo FAIL; return; }; t1=$(date +%s%N)
        echo $(( (t1 - t0) / 1000 ))
    done | sort -n | awk '{ a[NR] = $1 } END { if (a[1] == "FAIL") print "FAIL"; else printf "%.1f\n", a[int((NR + 1) / 2)] / 1000 }'
}
for setup in iana files files-full; do
    unshare -m -- bash -c '
        tmp=$1 B=$2 ROUNDS=$3 setup=$4
        case $setup in
            iana) conf=$tmp/ns.iana ;;
            files) conf=$tmp/ns.files ;;
            files-full) conf=$tmp/ns.files; mount --bind "$tmp/services.full" /etc/services || exit 1 ;;
        esac
        mount --bind "$conf" /etc/nsswitch.conf || exit 1
        if [ -d /var/run/nscd ]; then mount --bind "$tmp/empty" /var/run/nscd || exit 1; fi
        export NSS_IANA_DB=$tmp/merged.db LD_LIBRARY_PATH=$B
        '"$(declare -f ms)"'
        nftrun() { nft flush ruleset && nft -f "$tmp/rules.nft"; }
        iptrun() { iptables-nft-restore "$tmp/rules.ipt"; }
        n=$(ss -ta | wc -l)
        echo "$setup nft $(ms nftrun) ipt $(ms iptrun) ss $(ms ss -ta) sockets $n"
    ' bash "$tmp" "$B" "$ROUNDS" "$setup"
done
EOF
if ! timeout 600 unshare -n -- bash "$tmp/inner.sh" "$tmp" "$B" "$ROUNDS" > "$tmp/out" 2>&1; then
    echo "bench clients: FAILED"; cat "$tmp/out"; exit 1
fi
grep -q '^files-full ' "$tmp/out" || { echo "bench clients: FAILED"; cat "$tmp/out"; exit 1; }

val() { awk -v s="$1" -v k="$2" '$1 == s { for (i = 2; i < NF; i += 2) if ($i == k) print $(i + 1) }' "$tmp/out"; }
echo
echo "Clients as installed, median of $ROUNDS runs, ms ($(val iana sockets) lines of ss -ta,"
echo "$(wc -l < "$tmp/names200") named rules; /etc/services: $(grep -vc '^#' /etc/services) lines stock, $(grep -vc '^#' "$tmp/services.full") full)"
printf '%-34s %8s %8s %10s %9s %12s\n' client iana files files-full "files/iana" "full/iana"
for k in "nft nft -f, 200 named rules" "ipt iptables-nft-restore, 200 rules" "ss ss -ta, 1,500 listeners"; do
    key=${k%% *} label=${k#* }
    a=$(val iana "$key") f=$(val files "$key") g=$(val files-full "$key")
    printf '%-34s %8s %8s %10s %9s %12s\n' "$label" "$a" "$f" "$g" \
        "$(awk -v a="$a" -v b="$f" 'BEGIN { printf "%.2f", b / a }')" \
        "$(awk -v a="$a" -v b="$g" 'BEGIN { printf "%.2f", b / a }')"
    echo "BENCH name=client.$key iana_ms=$a files_ms=$f files_full_ms=$g full_over_iana=$(awk -v a="$a" -v b="$g" 'BEGIN { printf "%.3f", b / a }') rounds=$ROUNDS"
done
