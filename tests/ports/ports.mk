# `make check-ports`: the tests on the other systems Debian runs on, each
# in a chroot made with debootstrap (root; the Debian archive reachable):
# Debian 13 (trixie), i386 (32-bit, built natively in an i386 chroot) and,
# where tests/ports/cross.sh is in the tree, s390x (big-endian) under
# qemu.  See tests/ports/ports.sh.  Included by the top Makefile, whose
# B, TOOL, MODULE and `ensure` it uses; everything it makes is under
# $(B)/ports (the debootstrap tarballs and packages it caches too).
#
# systemd-trixie: Debian 13 booted with its systemd (systemd-nspawn), the
# packages built there installed in it: tests/systemd.sh on trixie.
#
#   make check-ports [PORTS_PARTS="trixie i386 s390x systemd-trixie"]
#                    [PORTS_TRIXIE_TARGETS="check"] [PORTS_MIRROR=URL]

# debootstrap makes the chroots; linux32 (util-linux, among TEST_PKGS)
# enters the i386 one; systemd-nspawn boots systemd-trixie's.
PORTS_PKGS  := debootstrap systemd-container
PORTS_FILES := /usr/sbin/debootstrap /usr/bin/systemd-nspawn
PORTS_PARTS ?= trixie i386 s390x systemd-trixie
# On trixie, the suites whose answers depend on the system (glibc's
# nss_files as the oracle, libcurl, debhelper and lintian, valgrind) but
# not the two longest, which test the same code again (check-diff: every
# port against nss_files, 7-8 min there; check-sanitize: unit and e2e
# under ASan, 3 min): `make check` there takes 20 min, over the budget.
# PORTS_TRIXIE_TARGETS=check runs all of it.
PORTS_TRIXIE_TARGETS ?= check-unit check-e2e check-oracle check-valgrind check-deb

.PHONY: check-ports
# The i386 part compares with this machine's answers: its build first.
check-ports: all $(B)/nss_client
	$(call ensure,$(PORTS_PKGS),$(PORTS_FILES))
	PORTS_TRIXIE_TARGETS="$(PORTS_TRIXIE_TARGETS)" tests/ports/ports.sh $(B) $(PORTS_PARTS)
