#!/bin/sh
# The end-to-end paths under valgrind memcheck: glibc loading the module
# (nss_client and getent), and the compiler on the whole registry.  Any
# memcheck error or definitely-lost block fails.
#
#   tests/valgrind.sh BUILD_DIR
set -u
B=${1:?usage: valgrind.sh BUILD_DIR}
export LD_LIBRARY_PATH=$B NSS_IANA_DB=$B/services.db
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0

vg() { # NAME COMMAND...
    name=$1; shift
    if valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
            --show-leak-kinds=definite --log-file="$tmp/log" "$@" >/dev/null 2>&1 &&
       [ ! -s "$tmp/log" ]; then
        passed=$((passed + 1)); echo "ok   valgrind: $name"
    else
        failed=$((failed + 1)); echo "FAIL valgrind: $name"; sed 's/^/     /' "$tmp/log" | head -30
    fi
}

vg "nss_client lookups" "$B/nss_client" iana "name http -" "name WWW tcp" "name cl/1 -" \
    "name nosuch -" "port 80 -" "port 6010 udp" "port 179 sctp" "port 1 udplite" "ports 0 300"
vg "nss_client enumeration" "$B/nss_client" iana enum
vg "getent lookups" getent -s iana services bgp/sctp http 443/udp 6001/tcp
vg "getent enumeration" getent -s iana services
vg "missing database" env NSS_IANA_DB=/nonexistent.db "$B/nss_client" iana "name http -"
vg "compile the registry" "$B/iana-services" compile --output "$tmp/db" data/service-names-port-numbers.csv
printf 'Service Name,Port Number,Transport Protocol\na,1,tcp\nb,x,tcp\n' > "$tmp/bad.csv"
vg "compile a bad file" sh -c "! \"\$0\" compile --output \"\$1/db2\" \"\$1/bad.csv\"" "$B/iana-services" "$tmp"
vg "verify" "$B/iana-services" verify --db "$tmp/db"
vg "export" "$B/iana-services" export --db "$tmp/db"
vg "lookup -v" "$B/iana-services" lookup -v --db "$tmp/db" http cl/1 443 6010/udp

printf 'services:       files\n' > "$tmp/nsswitch.conf"
vg "enable" "$B/iana-services" enable --nsswitch "$tmp/nsswitch.conf"
vg "disable" "$B/iana-services" disable --nsswitch "$tmp/nsswitch.conf"
printf 'whois 43/tcp nicname\npostgres 5432/tcp # PostgreSQL\n  tail 9/tcp' > "$tmp/services"
vg "compile --services" "$B/iana-services" compile --output "$tmp/db3" --services "$tmp/services" \
    data/service-names-port-numbers.csv
vg "lookup in a merged database" "$B/iana-services" lookup -v --db "$tmp/db3" whois postgres 43
vg "module over a merged database" env NSS_IANA_DB="$tmp/db3" LD_LIBRARY_PATH="$B" \
    "$B/nss_client" iana "name whois -" "port 5432 tcp" enum

echo "valgrind: $passed passed, $failed failed"
[ "$failed" = 0 ]
