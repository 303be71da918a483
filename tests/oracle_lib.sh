# shellcheck shell=bash
# The oracle comparison, shared by tests/oracle.sh and tests/services_prop.sh
# (sourced, bash).  For a services file F, glibc with "services: files iana"
# over a registry-only database (nss_files reads F, then the module) is the
# oracle; a database compiled with --services F, asked with
# "services: iana [!UNAVAIL=return] files", must answer every query alike.
#
# The caller sets B (absolute build directory), SRC (this directory) and tmp
# (a scratch directory it removes), then calls oracle_init; this file's own
# are in $tmp/lib, each services file's in $tmp/LABEL.
#
# ORACLE_LINE replaces the merged side's services line, to see the test fail
# (e.g. ORACLE_LINE=files).

ORACLE_LINE=${ORACLE_LINE:-iana [!UNAVAIL=return] files}
TOOL=$B/iana-services
CLIENT=$B/nss_client
CSV=$SRC/../data/service-names-port-numbers.csv
ncpu=$(nproc 2>/dev/null || echo 2)

# in_ns SERVICES NSSWITCH COMMAND...: COMMAND in a mount namespace of its own
# (unshare makes its mounts private: nothing reaches the host) with SERVICES
# bind-mounted over /etc/services and, unless NSSWITCH is "-", NSSWITCH over
# /etc/nsswitch.conf and nscd's socket directory hidden (a running nscd
# would answer from the host's configuration).  Exit 125 if a mount fails.
# shellcheck disable=SC2016  # the sh -c script expands its own arguments
in_ns() {
    unshare -m -- sh -c '
        mount --bind "$1" /etc/services || exit 125
        if [ "$2" != - ]; then
            mount --bind "$2" /etc/nsswitch.conf || exit 125
            if [ -d /var/run/nscd ]; then mount --bind "$3" /var/run/nscd || exit 125; fi
        fi
        shift 3
        exec "$@"' sh "$1" "$2" "$tmp/lib/no-nscd" "${@:3}"
}

# The oracle's side: nss_files reads F, then the module over the registry.
side_files() {   # side_files F NSSWITCH BACKEND
    in_ns "$1" "$2" env NSS_IANA_DB="$tmp/lib/registry.db" LD_LIBRARY_PATH="$B" "$CLIENT" -x "$3"
}
# The merged side, F over /etc/services too: the database merged F, and the
# module steps aside (UNAVAIL) if /etc/services is not the file it merged.
side_merged() {  # side_merged DB F NSSWITCH BACKEND
    in_ns "$2" "$3" env NSS_IANA_DB="$1" LD_LIBRARY_PATH="$B" "$CLIENT" -x "$4"
}

oracle_init() {
    mkdir -p "$tmp/lib/no-nscd"
    : > "$tmp/lib/empty"
    if ! "$TOOL" compile --output "$tmp/lib/registry.db" --no-services "$CSV" > "$tmp/lib/registry.log" 2>&1; then
        echo "oracle: compile --no-services failed:"; sed 's/^/     /' "$tmp/lib/registry.log"
        return 1
    fi
    # The registry's entries, as the module lists them (names for queries).
    echo enum | side_files "$tmp/lib/empty" - iana > "$tmp/lib/registry.enum"
}

# report_diff A B: the lines where two answer files (one line per query,
# "QUERY -> ANSWER") differ, as "QUERY: files iana X, merged Y".
report_diff() {
    paste -d '\t' "$1" "$2" | awk -F'\t' '$1 != $2 {
        q = $1; sub(/ -> .*/, "", q); a = $1; sub(/^.* -> /, "", a); b = $2; sub(/^.* -> /, "", b)
        print q ": files iana -> " a "; merged -> " b }'
}

# compare LABEL F QUERYMODE NCHUNKS: the whole comparison for one services
# file; QUERYMODE "full" (a sample of a large file: see oracle.py), "all"
# (no sample) or a seed (the reduced query set); the answers run in NCHUNKS
# processes per side at once.  The merged side runs twice: with ORACLE_LINE,
# and with "services: iana" alone, which must answer the same (the module
# answered, not nss_files behind an UNAVAIL).  Writes $tmp/LABEL/result:
# lines "ok TEXT" or "bad TEXT", then detail lines indented; nothing else
# here counts, so a caller may run several files at once.
compare() {
    local label=$1 f=$2 mode=$3 n=$4 d=$tmp/$1 reduced=() i pids=() st=0
    mkdir -p "$d"
    : > "$d/result"
    case $mode in
        full) ;;
        all) reduced=(--all) ;;
        *) reduced=(--reduced "$mode") ;;
    esac
    # What nss_files reads in F: the names, aliases, ports and protocols to ask.
    echo enum | side_files "$f" - files > "$d/file.enum" 2>&1 ||
        { echo "bad $label: nss_files enumeration failed (exit $?)" >> "$d/result"; return; }
    if ! "$TOOL" compile --output "$d/merged.db" --services "$f" "$CSV" > "$d/compile.log" 2>&1; then
        { echo "bad $label: compile --services refused the file"
          { grep -v ': warning: ' "$d/compile.log"; grep ': warning: ' "$d/compile.log"; } | head -5 | sed 's/^/     /'; } >> "$d/result"
        return
    fi
    python3 "$SRC/oracle.py" queries "$d/file.enum" "$tmp/lib/registry.enum" "$f" "${reduced[@]}" > "$d/q" &&
        python3 "$SRC/oracle.py" enumstate "$d/file.enum" "$tmp/lib/registry.enum" > "$d/es" ||
        { echo "bad $label: query generation failed" >> "$d/result"; return; }
    split -n "r/$n" -d "$d/q" "$d/q."
    for i in "$d"/q.[0-9]*[0-9]; do
        side_files "$f" - "files iana" < "$i" > "$i.A" 2> "$i.A.err" & pids+=($!)
        side_merged "$d/merged.db" "$f" - "$ORACLE_LINE" < "$i" > "$i.B" 2> "$i.B.err" & pids+=($!)
        side_merged "$d/merged.db" "$f" - iana < "$i" > "$i.C" 2> "$i.C.err" & pids+=($!)
    done
    echo enum | side_files "$f" - "files iana" > "$d/enum.A" 2>&1 & pids+=($!)
    echo enum | side_merged "$d/merged.db" "$f" - "$ORACLE_LINE" > "$d/enum.B" 2>&1 & pids+=($!)
    echo enum | side_merged "$d/merged.db" "$f" - iana > "$d/enum.C" 2>&1 & pids+=($!)
    side_files "$f" - "files iana" < "$d/es" > "$d/es.A" 2>&1 & pids+=($!)
    side_merged "$d/merged.db" "$f" - "$ORACLE_LINE" < "$d/es" > "$d/es.B" 2>&1 & pids+=($!)
    side_merged "$d/merged.db" "$f" - iana < "$d/es" > "$d/es.C" 2>&1 & pids+=($!)
    for i in "${pids[@]}"; do wait "$i" || st=$?; done
    if [ "$st" != 0 ]; then
        { echo "bad $label: a client failed (exit $st)"; cat "$d"/q.*.err | head -5 | sed 's/^/     /'; } >> "$d/result"
        return
    fi
    local total found ndiff side what qbad=0 ebad=0
    total=$(cat "$d"/q.[0-9]*[0-9].A | wc -l)
    found=$(cat "$d"/q.[0-9]*[0-9].A | grep -vc -- '-> NOTFOUND$')
    for side in B C; do
        what="'$ORACLE_LINE'"
        [ "$side" = C ] && what="'iana' alone"
        for i in "$d"/q.[0-9]*[0-9]; do report_diff "$i.A" "$i.$side"; done > "$d/diff.$side"
        ndiff=$(wc -l < "$d/diff.$side")
        if [ "$total" = 0 ] || [ "$ndiff" != 0 ] || [ "$(cat "$d"/q.[0-9]*[0-9].$side | wc -l)" != "$total" ]; then
            qbad=1
            { echo "bad $label: $ndiff of $total queries differ, merged with $what ($(cat "$d"/q.[0-9]*[0-9].$side | wc -l) answers)"
              head -12 "$d/diff.$side" | sed 's/^/     /'; } >> "$d/result"
        fi
        if ! cmp -s "$d/enum.A" "$d/enum.$side" || ! [ -s "$d/enum.A" ]; then
            ebad=1
            { echo "bad $label: enumeration differs, merged with $what (< files iana, > merged)"
              diff "$d/enum.A" "$d/enum.$side" | head -12 | sed 's/^/     /'; } >> "$d/result"
        fi
        if ! cmp -s "$d/es.A" "$d/es.$side" || ! [ -s "$d/es.A" ]; then
            ebad=1
            { echo "bad $label: the enumeration's cursor differs, merged with $what (< files iana, > merged; $d/es)"
              diff "$d/es.A" "$d/es.$side" | head -12 | sed 's/^/     /'; } >> "$d/result"
        fi
    done
    [ "$qbad" = 0 ] && echo "ok $label: $total queries ($found found), merged == files iana (and with 'iana' alone)" >> "$d/result"
    [ "$ebad" = 0 ] && echo "ok $label: enumeration, $(wc -l < "$d/enum.A") entries ($(wc -l < "$d/file.enum") from the file), and $(grep -c '^next' "$d/es.A") getservent_r around setservent, endservent and lookups: merged == files iana (and with 'iana' alone)" >> "$d/result"
    return 0
}

# result_count DIR: count DIR/result through lib.sh (ok/bad) and print it.
result_count() {
    local line
    while IFS= read -r line; do
        case $line in
            "ok "*)  ok "${line#ok }" ;;
            "bad "*) bad "${line#bad }" ;;
            *)       printf '%s\n' "$line" ;;
        esac
    done < "$1/result"
}
