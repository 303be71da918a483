#!/bin/bash
# The packaging's metadata, checked by the tools that read it, with no
# network beyond loopback:
#
# - debian/upstream/metadata is YAML naming the repository and the bug
#   tracker, and debian/watch, debian/copyright's Source and
#   debian/control's Homepage name the same project;
# - debian/watch (uscan's git mode) against a bare clone of this repository
#   with release tags, its URL replaced by the clone's and nothing else
#   changed: `uscan --report` finds the release of debian/changelog up to
#   date, ignores a tag that is not a release (debian/...), takes a newer
#   vX.Y.Z-rc1 as X.Y.Z~rc1 and the vX.Y.Z after it as newest; the orig
#   tarball uscan makes from the tag (`git archive`) holds the committed
#   tree without debian/ (.gitattributes), the files `make dsc` puts in its
#   orig tarball when the tree is clean;
# - licensecheck over every file of the tree: each license it recognises is
#   the one debian/copyright gives that file (its last matching Files:
#   paragraph), LICENSE is read as the license of `Files: *`, and every
#   Files: pattern matches some file.
#
#   tests/watch.sh BUILD_DIR
set -u
cd "$(dirname "$0")/.." || exit 2
B=${1:?usage: watch.sh BUILD_DIR}
. tests/lib.sh
WORK=$(realpath -m "$B/watch")
cleanup() { rm -rf --one-file-system "$WORK"; }
trap cleanup EXIT
trap 'exit 130' INT TERM
cleanup
mkdir -p "$WORK"
VERSION=$(dpkg-parsechangelog -S Version)
UP=${VERSION#*:}
UP=${UP%-*}

# --- the addresses ---------------------------------------------------------
watch_url=$(sed -e '/^#/d' debian/watch | tr '\n' ' ' | sed 's/\\ */ /g' |
    grep -oE 'https?://[^ ]+' | head -1)
meta=$(python3 - <<'PY'
import yaml
m = yaml.safe_load(open("debian/upstream/metadata"))
print(m.get("Repository", ""), m.get("Bug-Database", ""), m.get("Bug-Submit", ""))
PY
) && ok "debian/upstream/metadata is YAML" || bad "debian/upstream/metadata is YAML"
set -- $meta
check "upstream/metadata Repository is debian/watch's URL" "$watch_url" "${1:-}"
[ -n "${2:-}" ] && [ -n "${3:-}" ] && ok "upstream/metadata names the bug tracker" ||
    bad "upstream/metadata names the bug tracker"
check "debian/copyright Source is debian/watch's URL" "$watch_url" \
    "$(sed -n 's/^Source: *//p' debian/copyright)"
homepage=$(sed -n 's/^Homepage: *//p' debian/control)
case $watch_url in
    "${homepage%/}"*|https://git.${homepage#https://}*) ok "debian/control Homepage $homepage and the watch URL are one project's" ;;
    *) bad "debian/control Homepage and the watch URL are one project's" "$homepage" "$watch_url" ;;
esac

# --- uscan, git mode, against a local clone ------------------------------------
repo=$WORK/repo.git
git clone -q --bare . "$repo"
git -C "$repo" for-each-ref --format='%(refname)' refs/tags | xargs -r -n1 git -C "$repo" update-ref -d
git -C "$repo" tag "v$UP" HEAD
git -C "$repo" tag "debian/99.0.0-1" HEAD
mkdir -p "$WORK/pkg/debian"
cp debian/changelog debian/control "$WORK/pkg/debian/"
mkdir -p "$WORK/pkg/debian/source" && cp debian/source/format "$WORK/pkg/debian/source/"
sed "s|$watch_url|file://$(realpath "$repo")|" debian/watch > "$WORK/pkg/debian/watch"
if cmp -s debian/watch "$WORK/pkg/debian/watch"; then
    bad "debian/watch: its URL replaced by the local clone's"
fi
uscan_report() { (cd "$WORK/pkg" && uscan --no-conf --report --verbose 2>&1); }
newest() { sed -n 's/.*Newest version of nss-iana on remote site is \([^,]*\),.*/\1/p'; }

out=$(uscan_report)
check "uscan --report, tags v$UP and debian/99.0.0-1: newest $UP" "$UP" "$(printf '%s\n' "$out" | newest)"
printf '%s\n' "$out" | grep -q 'up to date' && ok "uscan: $UP is up to date" ||
    bad "uscan: $UP is up to date" "$out"
next=$(echo "$UP" | awk -F. -v OFS=. '{ $NF = $NF + 1; print }')
git -C "$repo" tag "v$next-rc1" HEAD
out=$(uscan_report)
check "uscan --report, tag v$next-rc1: newest $next~rc1" "$next~rc1" "$(printf '%s\n' "$out" | newest)"
printf '%s\n' "$out" | grep -q 'Newer package available' && ok "uscan: a newer package available" ||
    bad "uscan: a newer package available" "$out"
git -C "$repo" tag "v$next" HEAD
check "uscan --report, tag v$next: newest $next" "$next" "$(uscan_report | newest)"
git -C "$repo" tag -d "v$next" "v$next-rc1" > /dev/null

mkdir "$WORK/dl"
if (cd "$WORK/pkg" && uscan --no-conf --download-current-version --destdir "$WORK/dl") \
    > "$WORK/uscan.log" 2>&1 && orig=$(ls "$WORK"/dl/nss-iana_"$UP".orig.tar.*); then
    ok "uscan --download-current-version: $(basename "$orig")"
    tar -tf "$orig" | grep -v '/$' | sed 's|^[^/]*/||' | LC_ALL=C sort > "$WORK/uscan.files"
    git ls-tree -r --name-only HEAD | grep -v '^debian/' | LC_ALL=C sort > "$WORK/head.files"
    if cmp -s "$WORK/head.files" "$WORK/uscan.files"; then
        ok "uscan's orig tarball: the committed tree without debian/"
    else
        bad "uscan's orig tarball: the committed tree without debian/" \
            "$(diff "$WORK/head.files" "$WORK/uscan.files" | head -10)"
    fi
    if [ -z "$(git status --porcelain)" ]; then
        make -s --no-print-directory B="$B" dsc > "$WORK/dsc.log" 2>&1
        tar -tzf "$B"/dsc/nss-iana_"$UP".orig.tar.gz | grep -v '/$' | sed 's|^[^/]*/||' |
            LC_ALL=C sort > "$WORK/dsc.files"
        if cmp -s "$WORK/dsc.files" "$WORK/uscan.files"; then
            ok "make dsc's orig tarball: the files of uscan's"
        else
            bad "make dsc's orig tarball: the files of uscan's" \
                "$(diff "$WORK/uscan.files" "$WORK/dsc.files" | head -10)"
        fi
    else
        skip "make dsc's orig tarball against uscan's: the tree has uncommitted changes"
    fi
else
    bad "uscan --download-current-version" "$(tail -5 "$WORK/uscan.log")"
fi

# --- licensecheck and debian/copyright ---------------------------------------
{ git ls-files --cached --others --exclude-standard 2>/dev/null |
    while IFS= read -r f; do [ -f "$f" ] && [ ! -L "$f" ] && printf '%s\n' "$f"; done; } \
    > "$WORK/tree.files"
tr '\n' '\0' < "$WORK/tree.files" |
    xargs -0 licensecheck --check '.*' --shortname-scheme=debian --lines 0 --tail 0 \
    > "$WORK/licensecheck.out" 2>/dev/null
python3 - "$WORK/tree.files" "$WORK/licensecheck.out" > "$WORK/copyright.check" <<'PY'
import fnmatch, re, sys
files = open(sys.argv[1]).read().split("\n")[:-1]
found = {}
for line in open(sys.argv[2]):
    m = re.match(r"^(.*?): (.*)$", line.rstrip("\n"))
    if m and m.group(1) in files:
        found[m.group(1)] = re.sub(r"^\*No copyright\* ", "", m.group(2))
paras, cur = [], {}
key = None
for line in open("debian/copyright"):
    line = line.rstrip("\n")
    if not line.strip():
        if cur: paras.append(cur)
        cur, key = {}, None
    elif line[0] in " \t" and key:
        cur[key] += "\n" + line.strip()
    elif not line.startswith("#"):
        key, _, val = line.partition(":")
        cur[key] = val.strip()
if cur: paras.append(cur)
stanzas = [(p["Files"].split(), p["License"].split("\n")[0].strip()) for p in paras if "Files" in p]
def stanza_of(f):
    lic = None
    for pats, l in stanzas:
        if any(fnmatch.fnmatchcase(f, p) for p in pats):
            lic = l
    return lic
for pats, l in stanzas:
    for p in pats:
        hit = any(fnmatch.fnmatchcase(f, p) for f in files)
        print(("ok   " if hit else "FAIL ") + "debian/copyright Files: %s matches a file" % p)
unknown = 0
for f in files:
    got, want = found.get(f, "UNKNOWN"), stanza_of(f)
    if f == "debian/copyright":
        continue
    if want is None:
        print("FAIL %s: no debian/copyright paragraph" % f)
    elif got == "UNKNOWN":
        unknown += 1
    elif got != want:
        print("FAIL %s: licensecheck says %s, debian/copyright %s" % (f, got, want))
star = stanza_of("LICENSE")
print(("ok   " if found.get("LICENSE") == star else "FAIL ") +
      "LICENSE: licensecheck reads %s, the license of Files: * (%s)" % (found.get("LICENSE"), star))
print("ok   licensecheck over %d files: each license found is debian/copyright's "
      "(%d with no license statement, under their paragraph)" % (len(files), unknown))
PY
while IFS= read -r line; do
    case $line in
        "ok   "*) ok "${line#ok   }" ;;
        "FAIL "*) bad "${line#FAIL }" ;;
    esac
done < "$WORK/copyright.check"
grep -q . "$WORK/copyright.check" || bad "the debian/copyright check ran"
summary watch
