#!/bin/sh
# `make bench-profile`: instructions per lookup for the floor, iana through
# glibc and iana direct (the reader API), by name and by port, counted by
# callgrind over the lookup loop only (--toggle-collect=profiled_loop, after
# a warm-up pass over the whole query set), then where they go: glibc's NSS
# dispatch, libc's string functions, the module, the reader, the harness.
# Also `perf stat -e instructions:u` when this machine's perf can count.
#
#   bench/profile.sh BUILD_DIR [OPS]
set -eu
B=$(cd "${1:?usage: profile.sh BUILD_DIR [OPS]}" && pwd)
OPS=${2:-20000}
BB=$B/bench
OUT=$BB/profile
mkdir -p "$OUT"
export LD_LIBRARY_PATH="$BB:$B"
export NSS_IANA_DB="$B/services.db"
EXPORT=$OUT/services.export
"$B/iana-services" export --db "$NSS_IANA_DB" > "$EXPORT"

# Where a function belongs.  libc's string functions are charged to the
# part that called them (glibc's own dispatch looks functions up by name
# with strcmp on every call), the rest to the object that holds them.
PARTS='
function part(ob, fn,   base) {
    base = ob; sub(/.*\//, "", base)
    if (base ~ /^libc\.so/)
        return "glibc (NSS dispatch and the rest of libc)"
    if (base ~ /^libnss_iana/)
        return fn ~ /^iana_/ ? "libnss_iana: reader (db/reader.c)" : "libnss_iana: module (nss_iana.c)"
    if (base ~ /^libnss_floor/)
        return "libnss_floor (the floor module)"
    if (base == "bench")
        return fn ~ /^iana_/ ? "reader (db/reader.c, linked into bench)" : "bench harness (loop)"
    if (base ~ /^ld-linux/)
        return "dynamic loader"
    return base
}
function stringfn(ob, fn) {
    return ob ~ /\/libc\.so/ && (fn ~ /^(__)?(str|mem|stp|rawmem|wmem|wcs)/ || fn ~ /strcasecmp|strlen|strcmp|memcpy|memmove|memset|strchr/)
}'

# Self cost (Ir) per object and function of a callgrind.out file, as
# "OBJECT<TAB>FUNCTION<TAB>IR" lines; names are compressed as "(id) name" on
# first use and "(id)" after.  A cost line right after calls= is the
# callee's inclusive cost, not the caller's own.
selfcost() {
    awk '
    function name(s, tab,   id, rest) {
        if (s ~ /^\([0-9]+\)/) {
            id = substr(s, 2, index(s, ")") - 2)
            rest = substr(s, index(s, ")") + 1); sub(/^ /, "", rest)
            if (rest != "") tab[id] = rest
            return tab[id]
        }
        return s
    }
    /^ob=/  { ob = name(substr($0, 4), obs); next }
    /^fn=/  { fn = name(substr($0, 4), fns); next }
    /^cob=/ { name(substr($0, 5), obs); next }
    /^cfn=/ { name(substr($0, 5), fns); next }
    /^calls=/ { skip = 1; next }
    /^[0-9+*-]/ {
        if (skip) { skip = 0; next }
        cost[ob "\t" fn] += $2
        next
    }
    END { for (k in cost) if (cost[k]) printf "%s\t%d\n", k, cost[k] }' "$1"
}

# Cost by part: "PART<TAB>IR<TAB>PERCENT-OF-IR<TAB>D1-MISSES<TAB>MISPREDICTS".
# String functions' inclusive cost is taken from the call records and
# charged to the caller's part.
parts() {
    awk "$PARTS"'
    function name(s, tab,   id, rest) {
        if (s ~ /^\([0-9]+\)/) {
            id = substr(s, 2, index(s, ")") - 2)
            rest = substr(s, index(s, ")") + 1); sub(/^ /, "", rest)
            if (rest != "") tab[id] = rest
            return tab[id]
        }
        return s
    }
    function add(p,   k) {
        ir[p] += $(ev["Ir"] + 1)
        for (k in d1) d[p] += $(d1[k] + 1)
        for (k in bm) m[p] += $(bm[k] + 1)
    }
    /^events:/ {
        for (i = 2; i <= NF; i++) ev[$i] = i - 1
        if ("D1mr" in ev) { d1[1] = ev["D1mr"]; d1[2] = ev["D1mw"] }
        if ("Bcm" in ev) { bm[1] = ev["Bcm"]; bm[2] = ev["Bim"] }
        next
    }
    /^ob=/  { ob = name(substr($0, 4), obs); next }
    /^fn=/  { fn = name(substr($0, 4), fns); cob = ob; next }
    /^cob=/ { cob = name(substr($0, 5), obs); next }
    /^cfn=/ { cfn = name(substr($0, 5), fns); next }
    /^calls=/ { incall = 1; next }
    /^[0-9+*-]/ {
        if (incall) {
            incall = 0
            if (stringfn(cob, cfn) && !stringfn(ob, fn))
                add("libc string functions <- " part(ob, fn))
            cob = ob
            next
        }
        if (!stringfn(ob, fn))
            add(part(ob, fn))
        total += $(ev["Ir"] + 1)
        next
    }
    END { for (p in ir) if (ir[p]) printf "%s\t%d\t%.1f\t%d\t%d\n", p, ir[p], 100 * ir[p] / total, d[p], m[p] }' "$1"
}

run_callgrind() { # backend kind
    f=$OUT/callgrind.$1.$2.out
    valgrind --tool=callgrind --toggle-collect=profiled_loop --cache-sim=yes --branch-sim=yes \
        --callgrind-out-file="$f" \
        "$BB/bench" --profile "$1" "$2" "$OPS" --export "$EXPORT" >/dev/null 2>"$f.log" || {
        echo "callgrind failed for $1 $2:"; cat "$f.log"; return 1; }
    # Ir, D1 misses, last-level misses, mispredicted branches, from the
    # summary line in the order of the events line.
    awk '/^events:/ { for (i = 2; i <= NF; i++) ev[$i] = i }
         /^(summary|totals):/ {
             printf "%d %d %d %d\n", $(ev["Ir"]), $(ev["D1mr"]) + $(ev["D1mw"]),
                 $(ev["DLmr"]) + $(ev["DLmw"]), $(ev["Bcm"]) + $(ev["Bim"]); exit }' "$f" > "$f.stats"
    cut -d' ' -f1 "$f.stats" > "$f.total"
}

echo "bench-profile: callgrind (with its cache and branch simulation), $OPS lookups per run,"
echo "counted inside profiled_loop only, after a warm-up pass over the 30,000-query set"
for kind in byname byport; do
    for backend in floor iana direct; do
        run_callgrind "$backend" "$kind"
    done
done

echo
echo "Instructions per lookup (callgrind Ir / $OPS):"
printf '  %-8s %12s %12s %12s %14s %14s\n' kind floor iana direct "iana - floor" "iana x floor"
for kind in byname byport; do
    fl=$(cat "$OUT/callgrind.floor.$kind.out.total")
    ia=$(cat "$OUT/callgrind.iana.$kind.out.total")
    di=$(cat "$OUT/callgrind.direct.$kind.out.total")
    awk -v k="$kind" -v f="$fl" -v i="$ia" -v d="$di" -v n="$OPS" 'BEGIN {
        printf "  %-8s %12.1f %12.1f %12.1f %14.1f %14.2f\n", k, f/n, i/n, d/n, (i-f)/n, i/f }'
    for backend in floor iana direct; do
        printf 'BENCH_PROFILE name=%s.%s instructions_per_lookup=%s\n' "$backend" "$kind" \
            "$(awk -v t="$(cat "$OUT/callgrind.$backend.$kind.out.total")" -v n="$OPS" 'BEGIN { printf "%.1f", t/n }')"
    done
done

echo
echo "Per lookup, simulated (callgrind's model of this CPU's caches and a simple predictor):"
printf '  %-16s %12s %12s %12s %12s\n' run instructions "D1 misses" "LL misses" mispredicts
for kind in byname byport; do
    for backend in floor iana direct; do
        read -r ir d1 ll bm < "$OUT/callgrind.$backend.$kind.out.stats"
        awk -v r="$backend.$kind" -v ir="$ir" -v d1="$d1" -v ll="$ll" -v bm="$bm" -v n="$OPS" 'BEGIN {
            printf "  %-16s %12.1f %12.2f %12.2f %12.2f\n", r, ir/n, d1/n, ll/n, bm/n
            printf "BENCH_PROFILE name=%s d1_misses_per_lookup=%.2f ll_misses_per_lookup=%.2f mispredicts_per_lookup=%.2f\n", r, d1/n, ll/n, bm/n }'
    done
done

for kind in byname byport; do
    for backend in floor iana direct; do
        f=$OUT/callgrind.$backend.$kind.out
        selfcost "$f" > "$f.self"
        echo
        echo "== $backend $kind: per lookup, by part"
        printf '  %-66s %8s %6s %8s %8s\n' part instr "" "D1 miss" mispred
        parts "$f" | sort -t "$(printf '\t')" -k2,2nr |
            awk -F '\t' -v n="$OPS" '{ printf "  %-66s %8.1f %5.1f%% %8.2f %8.2f\n", $1, $2 / n, $3, $4 / n, $5 / n }'
        echo "   top functions (self, per lookup):"
        sort -t "$(printf '\t')" -k3,3nr "$f.self" | head -12 |
            awk -F '\t' -v n="$OPS" '{ ob = $1; sub(/.*\//, "", ob); printf "  %9.1f  %-40s [%s]\n", $3 / n, $2, ob }'
    done
done

# Where iana's instructions beyond the floor's go: both runs by part, with
# the floor's module and iana's module (and their string calls) put side by
# side.
delta() { # kind
    { parts "$OUT/callgrind.floor.$1.out" | sed 's/^/floor\t/'
      parts "$OUT/callgrind.iana.$1.out" | sed 's/^/iana\t/'; } |
    awk -F '\t' -v n="$OPS" '
    function norm(p) {
        if (p ~ /^libc string functions <- glibc/) return "libc string functions called by glibc"
        if (p ~ /^libc string functions <- libnss_(floor|iana: module)/) return "libc string functions called by the module"
        if (p ~ /^libc string functions <- libnss_iana: reader/) return "libc string functions called by the reader"
        if (p ~ /^glibc/) return "glibc: NSS dispatch (getservby*_r, __nss_*)"
        if (p ~ /libnss_floor|libnss_iana: module/) return "the module (nss_floor.c / nss_iana.c)"
        if (p ~ /libnss_iana: reader/) return "the reader (db/reader.c)"
        if (p ~ /harness/) return "bench harness (the loop)"
        return "other"
    }
    { k = norm($2); v[$1, k] += $3; keys[k] = 1; t[$1] += $3 }
    END {
        printf "  %-48s %9s %9s %9s\n", "", "floor", "iana", "extra"
        for (k in keys)
            printf "  %-48s %9.1f %9.1f %+9.1f\n", k, v["floor", k] / n, v["iana", k] / n, (v["iana", k] - v["floor", k]) / n | "sort -t\"|\" -k1,1"
        close("sort -t\"|\" -k1,1")
        printf "  %-48s %9.1f %9.1f %+9.1f\n", "total", t["floor"] / n, t["iana"] / n, (t["iana"] - t["floor"]) / n
    }'
}
for kind in byname byport; do
    echo
    echo "== $kind through glibc: instructions per lookup, iana against the floor"
    delta "$kind"
done

echo
echo "callgrind_annotate --inclusive=no, iana byname (top functions, with their object files):"
callgrind_annotate --inclusive=no --show=Ir "$OUT/callgrind.iana.byname.out" 2>/dev/null |
    sed -n '/file:function/,$p' | sed -n '3,22p'

# perf: hardware counters, when the machine exposes them.
echo
if ! command -v perf >/dev/null 2>&1; then
    echo "perf: not installed (Debian package linux-perf); callgrind counts above only"
else
    probe=$(perf stat -x, -e instructions:u true 2>&1 >/dev/null || true)
    case "$probe" in
    *"not supported"*|*"not counted"*|*rror*|*denied*|"")
        echo "perf stat -e instructions:u: not available on this machine ($(echo "$probe" | head -1)); callgrind counts above only" ;;
    *)
        echo "perf stat -e instructions:u (N lookups minus 0 lookups, same process setup):"
        for kind in byname byport; do
            for backend in floor iana direct; do
                count() {
                    perf stat -x, -e instructions:u "$BB/bench" --profile "$backend" "$kind" "$1" \
                        --export "$EXPORT" 2>&1 >/dev/null | awk -F, '/instructions/ { print $1; exit }'
                }
                n=$((OPS * 10))
                a=$(count "$n"); z=$(count 0)
                awk -v a="$a" -v z="$z" -v n="$n" -v b="$backend" -v k="$kind" 'BEGIN {
                    if (a == "" || z == "" || a !~ /^[0-9]+$/) { printf "  %-8s %-7s unavailable\n", b, k; exit }
                    printf "  %-8s %-7s %9.1f instructions per lookup\n", b, k, (a - z) / n
                    printf "BENCH_PROFILE name=%s.%s perf_instructions_per_lookup=%.1f\n", b, k, (a - z) / n }'
            done
        done ;;
    esac
fi
