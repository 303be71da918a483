#!/bin/bash
# The programs an admin names ports with, as installed: each runs in a
# private mount namespace where "services: iana [!UNAVAIL=return] files"
# and "protocols: iana [!UNAVAIL=return] files" are bind-mounted over
# /etc/nsswitch.conf (nscd's socket directory hidden), and a private network
# namespace (unshare -n, loopback up), with NSS_IANA_DB at a database that
# merged this machine's /etc/services and LD_LIBRARY_PATH at the build's
# module, as tests/clients.sh does it.  nft (named ports in rules, `nft -S`
# listing names), iptables-legacy and iptables-nft (tcp, udp, sctp and dccp
# names; `-L` shows names), ss with a listener on an IANA-only port, Node's
# dns.lookupService, a cgo Go program (LookupPort, Listen on 127.0.0.1:NAME)
# and tcpdump reading a pcap (written here) to an IANA-only port.  The
# names are registry names that this machine's /etc/services lacks; every
# expected port and name comes from `iana-services export`, never from this
# file.  Each client's cost in seconds is printed.  Nothing is left running:
# the namespaces die with their processes; the listener is killed by the
# shell that started it.
# Needs root; skips (exit 0, says so) otherwise.  Packages: TEST_PKGS.
#
#   tests/clients_admin.sh BUILD_DIR
set -u
B=$(cd "${1:?usage: clients_admin.sh BUILD_DIR}" && pwd) || exit 2
SRC=$(cd "$(dirname "$0")" && pwd)
TOOL=$B/iana-services
. "$SRC/lib.sh"

if [ "$(id -u)" != 0 ] || ! unshare -m -n true 2>/dev/null; then
    echo "clients_admin: SKIPPED (needs root and unshare -m -n)"
    exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
host_before="$(sha256sum /etc/nsswitch.conf 2>&1) | $(findmnt -n /etc/nsswitch.conf 2>&1)"

"$TOOL" compile --protocols "$SRC/../data/protocol-numbers-1.csv" --output "$tmp/merged.db" \
    "$SRC/../data/service-names-port-numbers.csv" >/dev/null || { bad "compile"; summary clients_admin; exit; }
grep -v -E '^[[:space:]]*(services|protocols)[[:space:]]*:' /etc/nsswitch.conf > "$tmp/nsswitch.conf"
printf '%s\n' 'services: iana [!UNAVAIL=return] files' 'protocols: iana [!UNAVAIL=return] files' \
    >> "$tmp/nsswitch.conf"
chmod 0644 "$tmp/nsswitch.conf"
mkdir "$tmp/empty"

# With a sanitizer build (make check-sanitize sets E2E_PRELOAD) the ASan
# runtime is preloaded into the uninstrumented clients, as tests/clients.sh
# does.
runenv=(env NSS_IANA_DB="$tmp/merged.db" LD_LIBRARY_PATH="$B")
if [ -n "${E2E_PRELOAD:-}" ]; then runenv+=("LD_PRELOAD=$E2E_PRELOAD" "ASAN_OPTIONS=detect_leaks=0"); fi
# inns COMMAND...: COMMAND as installed, in its own mount and network
# namespaces, loopback up.
# shellcheck disable=SC2016  # the sh -c script expands its own arguments
inns() {
    unshare -m -n -- sh -c '
        mount --bind "$1" /etc/nsswitch.conf || exit 125
        if [ -d /var/run/nscd ]; then mount --bind "$2" /var/run/nscd || exit 125; fi
        ip link set lo up 2>/dev/null || exit 125
        shift 2; exec "$@"' sh "$tmp/nsswitch.conf" "$tmp/empty" "${runenv[@]}" "$@"
}
check "namespace: getent services answers from the module" \
    "$("$TOOL" lookup --db "$tmp/merged.db" 80/tcp | awk '{ print $1 }')" \
    "$(inns getent services 80/tcp | awk '{ print $1 }')"

# --- the oracle -------------------------------------------------------------------------
"$TOOL" export --db "$tmp/merged.db" | grep -v '^#' | sed 's/[[:space:]]*#.*//' | squeeze > "$tmp/export"
byport() { awk -v k="$1/$2" '$2 == k { print $1; exit }' "$tmp/export"; }
byname() { awk -v n="$1" -v p="$2" '{ split($2, pp, "/"); if (pp[2] != p) next
           for (i = 1; i <= NF; i++) if (i != 2 && $i == n) { print pp[1]; exit } }' "$tmp/export"; }
# iana_only PROTO: a registry name with PROTO that /etc/services does not
# name at all, whose port is its own (the port's first name is it, and the
# port has one line with PROTO), so a listing shows it back.
iana_only() {
    awk -v p="$1" 'NR == FNR { if ($0 !~ /^#/) { sub(/#.*/, ""); for (i = 1; i <= NF; i++) if (i != 2) local[$i] = 1 }; next }
        { split($2, pp, "/"); if (pp[2] != p) next; n[$2]++; if (!($2 in first)) first[$2] = $1; line[FNR] = $0 }
        END { for (i = 1; i <= FNR; i++) if (i in line) { split(line[i], f, " "); split(f[2], pp, "/")
                if (!(f[1] in local) && first[f[2]] == f[1] && n[f[2]] == 1 && pp[1] > 1024 && !(f[1] in seen)) { print f[1]; exit } } }' \
        /etc/services "$tmp/export"
}
for p in tcp udp sctp dccp; do
    n=$(iana_only $p); eval "N_$p=\$n"; eval "P_$p=\$(byname \"\$n\" $p)"
done
# shellcheck disable=SC2154  # set by the eval above
echo "     IANA-only names: tcp $N_tcp ($P_tcp), udp $N_udp ($P_udp), sctp $N_sctp ($P_sctp), dccp $N_dccp ($P_dccp)"
for p in tcp udp sctp dccp; do
    eval "n=\$N_$p port=\$P_$p"
    # shellcheck disable=SC2154
    if [ -n "$n" ] && [ -n "$port" ] && ! grep -qw -- "$n" /etc/services; then ok "oracle: $p name $n ($port) is not in /etc/services"
    else bad "oracle: an IANA-only $p name"; fi
done
# shellcheck disable=SC2154
check "glibc: files alone does not know $N_tcp" "" "$(getent -s files services "$N_tcp/tcp")"
timed() { local t0=$SECONDS; "$@"; echo "     ($1: $((SECONDS - t0)) s)"; }

# --- nft --------------------------------------------------------------------------------
nft_case() {
    cat > "$tmp/rules.nft" <<EOF
table inet t {
    chain c {
        type filter hook input priority 0; policy accept;
        tcp dport $N_tcp accept
        udp dport $N_udp accept
        sctp dport $N_sctp accept
        dccp dport $N_dccp accept
        tcp dport { http, $N_tcp } counter
    }
}
EOF
    # shellcheck disable=SC2016
    inns sh -c 'nft -f "$1" && echo "--- numeric" && nft list ruleset && echo "--- -S" && nft -S list ruleset' sh \
        "$tmp/rules.nft" > "$tmp/nft.out" 2>&1
    if grep -q -- '--- -S' "$tmp/nft.out"; then ok "nft -f: rules naming tcp, udp, sctp and dccp ports load"
    else bad "nft -f: rules naming tcp, udp, sctp and dccp ports load" "$(head -5 "$tmp/nft.out")"; fi
    numeric=$(sed -n '/^--- numeric/,/^--- -S/p' "$tmp/nft.out")
    named=$(sed -n '/^--- -S/,$p' "$tmp/nft.out")
    for p in tcp udp sctp dccp; do
        eval "n=\$N_$p port=\$P_$p"
        if grep -q "$p dport $port accept" <<<"$numeric"; then ok "nft list: $p dport $n is $port"
        else bad "nft list: $p dport $n is $port" "$(grep "$p dport" <<<"$numeric")"; fi
    done
    # nft 1.0.6 prints a named port in quotes, for every protocol.
    for p in tcp udp sctp dccp; do
        eval "n=\$N_$p"
        if grep -Eq "$p dport \"?$n\"? accept" <<<"$named"; then ok "nft -S list: $p dport $n"
        else bad "nft -S list: $p dport $n" "$(grep "$p dport" <<<"$named")"; fi
    done
    if grep -Eq "\{ \"?http\"?, \"?$N_tcp\"? \}|\{ \"?$N_tcp\"?, \"?http\"? \}" <<<"$named"; then ok "nft -S list: the set { http, $N_tcp }"
    else bad "nft -S list: the set { http, $N_tcp }" "$(grep '{' <<<"$named")"; fi
}
if command -v nft >/dev/null; then timed nft_case; else bad "nft present (nftables)"; fi

# --- iptables-legacy and iptables-nft ---------------------------------------------------
ipt_case() {
    local ipt=$1
    # shellcheck disable=SC2016
    inns sh -c 'ipt=$1; shift
        while [ $# -ge 2 ]; do $ipt -A INPUT -p "$1" --dport "$2" -j ACCEPT || exit 1; shift 2; done
        echo "--- -L"; $ipt -L INPUT; echo "--- -L -n"; $ipt -L INPUT -n' sh "$ipt" \
        tcp "$N_tcp" udp "$N_udp" sctp "$N_sctp" dccp "$N_dccp" > "$tmp/ipt.out" 2>&1
    if grep -q -- '--- -L -n' "$tmp/ipt.out"; then ok "$ipt -A: --dport NAME with tcp, udp, sctp, dccp"
    else bad "$ipt -A: --dport NAME with tcp, udp, sctp, dccp" "$(head -5 "$tmp/ipt.out")"; fi
    for p in tcp udp sctp dccp; do
        eval "n=\$N_$p port=\$P_$p"
        if sed -n '/^--- -L -n/,$p' "$tmp/ipt.out" | grep -q "^ACCEPT .*$p .*dpt:$port\$"; then ok "$ipt -L -n: $p dpt:$port"
        else bad "$ipt -L -n: $p dpt:$port" "$(grep "$p" "$tmp/ipt.out")"; fi
        if sed -n '/^--- -L$/,/^--- -L -n/p' "$tmp/ipt.out" | grep -q "^ACCEPT .*$p .*dpt:$n\$"; then ok "$ipt -L: $p dpt:$n"
        else bad "$ipt -L: $p dpt:$n" "$(sed -n '/^--- -L$/,/^--- -L -n/p' "$tmp/ipt.out" | grep "$p")"; fi
    done
}
for ipt in iptables-legacy iptables-nft; do
    if command -v $ipt >/dev/null; then timed ipt_case $ipt; else bad "$ipt present (iptables)"; fi
done

# --- ss: a listener on an IANA-only port ------------------------------------------------
ss_case() {
    # shellcheck disable=SC2016
    inns sh -c 'python3 -c "import socket, sys, time
s = socket.socket(); s.bind((\"127.0.0.1\", int(sys.argv[1]))); s.listen()
print(\"ready\", flush=True); time.sleep(30)" "$1" > "$2" &
        pid=$!; trap "kill $pid 2>/dev/null" EXIT
        for i in $(seq 50); do grep -q ready "$2" && break; sleep 0.1; done
        ss -tl; echo "--- -n"; ss -tln' sh "$P_tcp" "$tmp/ready" > "$tmp/ss.out" 2>&1
    if grep -q "127.0.0.1:$N_tcp " "$tmp/ss.out"; then ok "ss -tl: the listener shows as 127.0.0.1:$N_tcp"
    else bad "ss -tl: the listener shows as 127.0.0.1:$N_tcp" "$(cat "$tmp/ss.out")"; fi
    if grep -q "127.0.0.1:$P_tcp " "$tmp/ss.out"; then ok "ss -tln: 127.0.0.1:$P_tcp"
    else bad "ss -tln: 127.0.0.1:$P_tcp"; fi
}
if command -v ss >/dev/null && command -v python3 >/dev/null; then timed ss_case; else bad "ss and python3 present"; fi

# --- Node's dns.lookupService -----------------------------------------------------------
node_case() {
    local p
    for p in "$P_tcp" 443; do
        check "node: dns.lookupService('127.0.0.1', $p) service" "$(byport "$p" tcp)" \
            "$(inns node -e 'require("dns").lookupService("127.0.0.1", +process.argv[1],
                (e, h, s) => console.log(e ? "error " + e.code : s))' "$p" 2>&1)"
    done
}
if command -v node >/dev/null; then timed node_case; else bad "node present (nodejs)"; fi

# --- Go with the cgo resolver -----------------------------------------------------------
go_case() {
    if ! (cd "$tmp" && cp "$SRC/go_cgo.go" . && CGO_ENABLED=1 GOCACHE=$tmp/gocache GOPATH=$tmp/gopath \
          GOFLAGS='' GO111MODULE=off go build -o go_cgo go_cgo.go); then
        bad "go_cgo.go builds with cgo"; return
    fi
    check "go (GODEBUG=netdns=cgo): LookupPort and Listen on 127.0.0.1:$N_tcp" \
        "lookup $P_tcp|listen $P_tcp" "$(GODEBUG=netdns=cgo inns "$tmp/go_cgo" "$N_tcp" 2>&1 | paste -sd'|')"
    # What Go's own resolver does with this hosts line (it reads
    # /etc/services itself): said, not checked.
    echo "     go (default resolver, hosts: $(awk '$1 == "hosts:" { $1 = ""; print }' /etc/nsswitch.conf)):" \
        "$(inns "$tmp/go_cgo" "$N_tcp" 2>&1 | paste -sd'|')"
}
if command -v go >/dev/null; then timed go_case; else bad "go present (golang-go)"; fi

# --- tcpdump reading a pcap -------------------------------------------------------------
tcpdump_case() {
    # One IPv4/UDP datagram 127.0.0.1:40000 -> 127.0.0.1:$P_udp, as a pcap.
    python3 - "$tmp/one.pcap" "$P_udp" <<'EOF'
import struct, sys
dport = int(sys.argv[2]); payload = b"ping"
udp = struct.pack("!HHHH", 40000, dport, 8 + len(payload), 0) + payload
ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 1, 0, 64, 17, 0,
                 bytes([127, 0, 0, 1]), bytes([127, 0, 0, 1]))
s = sum(struct.unpack("!10H", ip)); s = (s & 0xffff) + (s >> 16); s = (s & 0xffff) + (s >> 16)
ip = ip[:10] + struct.pack("!H", ~s & 0xffff) + ip[12:]
frame = b"\0" * 12 + b"\x08\x00" + ip + udp
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    f.write(struct.pack("<IIII", 1, 0, len(frame), len(frame)) + frame)
EOF
    inns tcpdump -r "$tmp/one.pcap" > "$tmp/tcpdump.out" 2>&1
    if grep -q "\.$N_udp: UDP" "$tmp/tcpdump.out"; then ok "tcpdump -r: port $P_udp shows as $N_udp"
    else bad "tcpdump -r: port $P_udp shows as $N_udp" "$(cat "$tmp/tcpdump.out")"; fi
    if inns tcpdump -n -r "$tmp/one.pcap" 2>/dev/null | grep -q "\.$P_udp: UDP"; then
        ok "tcpdump -n -r: port $P_udp"
    else bad "tcpdump -n -r: port $P_udp"; fi
}
if command -v tcpdump >/dev/null && command -v python3 >/dev/null; then timed tcpdump_case
else bad "tcpdump and python3 present"; fi

check "host /etc/nsswitch.conf unchanged, nothing mounted" "$host_before" \
    "$(sha256sum /etc/nsswitch.conf 2>&1) | $(findmnt -n /etc/nsswitch.conf 2>&1)"
summary clients_admin
