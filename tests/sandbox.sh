#!/bin/bash
# Runs a command, as root, on a copy-on-write view of this machine:
#
#   tests/sandbox.sh COMMAND [ARG...]
#
# COMMAND runs in a private mount namespace in which /etc, /usr and /var are
# overlays of this machine's own, their changes kept in a tmpfs.  It can
# install and remove packages with dpkg and apt, run their maintainer
# scripts, `make install` into /usr and edit /etc/nsswitch.conf for real,
# and glibc in its processes reads what it made; nothing outside the
# namespace sees any of it, and all of it is gone when COMMAND exits.  So
# the install tests change nothing on a machine that others use meanwhile,
# and need not put anything back.  The rest (/tmp, /work, /run, /proc...) is
# the machine's own: results go out through files there.  A running nscd,
# which would answer from outside, is hidden.
#
# Exit status: COMMAND's; 125 if the sandbox cannot be made.
set -u
if [ "$(id -u)" != 0 ]; then
    echo "sandbox: needs root" >&2
    exit 125
fi
# /bin, /lib and /sbin are links into /usr on Debian 12 (merged /usr):
# anything else would be written through to the machine.
for d in /bin /lib /sbin; do
    if [ ! -L "$d" ]; then
        echo "sandbox: $d is not a link into /usr" >&2
        exit 125
    fi
done
mnt=$(mktemp -d /tmp/nss-iana-sandbox.XXXXXX) || exit 125
# The mount point is the only trace on the machine: removed on the way out.
trap 'rmdir "$mnt" 2>/dev/null' EXIT
# shellcheck disable=SC2016  # the inner script expands its own variables
unshare -m --propagation private -- bash -c '
    mnt=$1; shift
    mount -t tmpfs -o mode=0700 nss-iana-sandbox "$mnt" || exit 125
    for d in etc usr var; do
        mkdir "$mnt/$d.upper" "$mnt/$d.work" &&
            mount -t overlay overlay \
                -o "lowerdir=/$d,upperdir=$mnt/$d.upper,workdir=$mnt/$d.work" "/$d" ||
            exit 125
    done
    if [ -d /run/nscd ]; then mount -t tmpfs tmpfs /run/nscd || exit 125; fi
    "$@"
' sandbox "$mnt" "$@"
