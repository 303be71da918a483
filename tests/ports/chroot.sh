# Debian chroots for `make check-ports`: sourced by tests/ports/*.sh, not run.
#
#   chroot_make DIR SUITE ARCH   a minimal Debian SUITE for ARCH in DIR (a
#                                new, empty directory), with make and git,
#                                mounted and ready for chroot_run
#   chroot_run DIR COMMAND...    COMMAND as root in it (linux32 for i386)
#   chroot_copy_tree DIR         this source tree into DIR/src, with its git
#                                history when it is a git work tree
#   chroot_remove DIR            its processes killed, everything under it
#                                unmounted, and the directory removed
#   chroot_session NAME          a new directory for a chroot under
#                                $B/ports (NAME.XXXXXX) in $dir, removed on
#                                the script's exit, and $CHROOT_TMP too if
#                                set; INT, TERM and HUP end the script
#   chroot_wait COMMAND...       COMMAND in the background, waited for (so
#                                that a signal reaches the exit trap at once,
#                                not after a whole test suite), ended by
#                                that trap if still running; its status
#
# The base system is cached as a debootstrap tarball in
# $PORTS_CACHE/SUITE-ARCH.tgz, and the packages installed in the chroot
# (apt's archive directory is bound to $PORTS_CACHE/apt-SUITE-ARCH), so a
# second run downloads nothing it already has; with no cache, everything
# is fetched from $PORTS_MIRROR.  The chroot is bind-mounted on itself, so
# that it is a mount point and `unshare -m` (whose private propagation
# needs one) works inside, as the tests' sandboxes need.
PORTS_MIRROR=${PORTS_MIRROR:-http://deb.debian.org/debian}
# make for the top Makefile, which installs the rest itself (its `ensure`);
# git for tests/deb.sh, which builds the previous release from the history.
PORTS_INCLUDE=make,git,ca-certificates

chroot_make() {
    local dir=$1 suite=$2 arch=$3 tgz log script=""
    tgz=$PORTS_CACHE/$suite-$arch.tgz
    # A debootstrap older than SUITE has no script by its name (bookworm's
    # knows no forky): every release since buster is made by sid's.
    [ -e "/usr/share/debootstrap/scripts/$suite" ] || script=/usr/share/debootstrap/scripts/sid
    log=$dir.debootstrap.log
    mkdir -p "$PORTS_CACHE" "$PORTS_CACHE/apt-$suite-$arch"
    if [ ! -s "$tgz" ]; then
        # Written beside, then renamed: an interrupted run leaves no tarball
        # that looks whole.
        debootstrap --arch="$arch" --variant=minbase --include="$PORTS_INCLUDE" \
            --make-tarball="$tgz.new" "$suite" "$dir.tarball" "$PORTS_MIRROR" $script > "$log" 2>&1 &&
            mv "$tgz.new" "$tgz" || { rm -rf "$tgz.new" "$dir.tarball"; tail -5 "$log" >&2; return 1; }
        rm -rf "$dir.tarball"
    fi
    debootstrap --arch="$arch" --variant=minbase --include="$PORTS_INCLUDE" \
        --unpack-tarball="$(realpath "$tgz")" "$suite" "$dir" "$PORTS_MIRROR" $script >> "$log" 2>&1 ||
        { tail -5 "$log" >&2; return 1; }
    rm -f "$log"
    # Its / as a system's is (mktemp made it 0700): other users, such as
    # the tests' nobody, must reach the libraries.
    chmod 0755 "$dir"
    # Private: nothing mounted in there shows up anywhere else (on a host
    # whose / is shared, it would), and /dev a slave of this machine's, so
    # that unmounting its copy unmounts nothing here.
    mount --bind "$dir" "$dir" && mount --make-private "$dir" &&
        mount -t proc proc "$dir/proc" &&
        mount -t sysfs sysfs "$dir/sys" &&
        mount --rbind /dev "$dir/dev" && mount --make-rslave "$dir/dev" &&
        mount -t tmpfs -o mode=1777 tmpfs "$dir/dev/shm" &&
        mount --bind "$PORTS_CACHE/apt-$suite-$arch" "$dir/var/cache/apt/archives" || return 1
    cp /etc/resolv.conf "$dir/etc/resolv.conf"
    # No daemon started by a package installed in there (policy-rc.d), and
    # packages kept in the archive directory, which is the cache.
    printf '#!/bin/sh\nexit 101\n' > "$dir/usr/sbin/policy-rc.d" && chmod 755 "$dir/usr/sbin/policy-rc.d"
    rm -f "$dir/etc/apt/apt.conf.d/docker-clean"
    echo 'Binary::apt::APT::Keep-Downloaded-Packages "true";' > "$dir/etc/apt/apt.conf.d/50keep"
    # The Release files of testing and unstable carry a Valid-Until a week
    # ahead (a stable release's has none), and a mirror that stopped
    # following them, as the one this network serves, is past it: apt
    # would refuse the archive ("Release file ... is expired").  Only in
    # this chroot, and only for an archive that sets one.
    if grep -qs '^Valid-Until:' "$dir"/var/lib/apt/lists/*Release; then
        echo 'Acquire::Check-Valid-Until "false";' > "$dir/etc/apt/apt.conf.d/50valid-until"
    fi
    chroot_run "$dir" apt-get update -q > "$dir.apt.log" 2>&1 ||
        { tail -5 "$dir.apt.log" >&2; rm -f "$dir.apt.log"; return 1; }
    rm -f "$dir.apt.log"
}

chroot_run() {
    local dir=$1 pers=""
    shift
    case $(chroot "$dir" dpkg --print-architecture 2>/dev/null) in
        i386|armhf|armel) pers=linux32 ;;
    esac
    $pers chroot "$dir" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
        LANG=C.UTF-8 TERM=dumb DEBIAN_FRONTEND=noninteractive "$@"
}

chroot_copy_tree() {
    local dir=$1 top
    top=$(cd "$(dirname "$0")/../.." && pwd)
    if git -C "$top" rev-parse --is-inside-work-tree > /dev/null 2>&1; then
        # The history (a clone), then the work tree as it is: what git
        # tracks or would track, changed or not yet committed.
        git clone -q --no-hardlinks "$top" "$dir/src" || return 1
        (cd "$top" && git ls-files --cached --others --exclude-standard |
            while IFS= read -r f; do [ -e "$f" ] && printf '%s\n' "$f"; done |
            tar -T - -cf -) | tar -xf - -C "$dir/src" || return 1
        (cd "$top" && git ls-files --deleted) | (cd "$dir/src" && xargs -r rm -f)
    else
        mkdir "$dir/src" &&
            (cd "$top" && tar --exclude=./build --exclude=./build-asan -cf - .) |
            tar -xf - -C "$dir/src"
    fi
}

chroot_child=""
chroot_session() {
    dir=$(mktemp -d "$B/ports/$1.XXXXXX") || exit 2
    trap chroot_session_end EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM HUP
}

chroot_session_end() {
    [ -n "$chroot_child" ] && kill "$chroot_child" 2>/dev/null && wait "$chroot_child" 2>/dev/null
    chroot_remove "$dir"
    [ -z "${CHROOT_TMP:-}" ] || rm -rf "$CHROOT_TMP"
}

chroot_wait() {
    local rc
    "$@" &
    chroot_child=$!
    wait "$chroot_child"
    rc=$?
    chroot_child=""
    return "$rc"
}

# Mount points under DIR, deepest first.
chroot_mounts() {
    awk -v d="$1" '$5 == d || index($5, d "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r
}

chroot_remove() {
    local dir=$1 pid m tries
    [ -n "$dir" ] && [ -d "$dir" ] || return 0
    dir=$(realpath "$dir")
    # Whatever still runs in there (a test's daemon left behind by an
    # interrupted run) holds its mounts: ended by its process id.
    for tries in 1 2 3; do
        pids=""
        for pid in /proc/[0-9]*; do
            [ "$(readlink "$pid/root" 2>/dev/null)" = "$dir" ] && pids="$pids ${pid#/proc/}"
        done
        [ -z "$pids" ] && break
        # shellcheck disable=SC2086
        kill -TERM $pids 2>/dev/null; sleep 1
        [ "$tries" = 3 ] && kill -KILL $pids 2>/dev/null
    done
    for m in $(chroot_mounts "$dir"); do
        umount "$m" 2>/dev/null || umount -l "$m"
    done
    # Never remove through a mount: whatever is still mounted in there is
    # someone else's (/dev, the cache) as far as rm is concerned.
    if [ -n "$(chroot_mounts "$dir")" ]; then
        echo "ports: $dir: still mounted, not removed:" $(chroot_mounts "$dir") >&2
        return 1
    fi
    rm -rf --one-file-system "$dir" "$dir.tarball" "$dir.debootstrap.log" "$dir.apt.log"
}
