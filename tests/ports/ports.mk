# `make check-ports`: the tests on the other systems Debian runs on, each
# in a chroot made with debootstrap (root; the Debian archive reachable):
# Debian 13 (trixie), Debian 14 (forky, glibc 2.43), i386 (32-bit, built natively in an i386 chroot) and,
# where tests/ports/cross.sh is in the tree, s390x (big-endian) under
# qemu.  See tests/ports/ports.sh.  Included by the top Makefile, whose
# B, TOOL, MODULE and `ensure` it uses; everything it makes is under
# $(B)/ports (the debootstrap tarballs and packages it caches too).
#
# systemd-trixie: Debian 13 booted with its systemd (systemd-nspawn), the
# packages built there installed in it: tests/systemd.sh on trixie.
#
#   make check-ports [PORTS_PARTS="trixie forky i386 s390x systemd-trixie"]  (and sid)
#                    [PORTS_TRIXIE_TARGETS="check"] [PORTS_FORKY_TARGETS="check"]
#                    [PORTS_SID_TARGETS=...] [PORTS_MIRROR=URL]
#   make bench-forky   `make bench`'s rows on forky's glibc (2.43: seven
#                      getaddrinfo lookups), in a forky chroot

# debootstrap makes the chroots; linux32 (util-linux, among TEST_PKGS)
# enters the i386 one; systemd-nspawn boots systemd-trixie's.
PORTS_PKGS  := debootstrap systemd-container
PORTS_FILES := /usr/sbin/debootstrap /usr/bin/systemd-nspawn
PORTS_PARTS ?= trixie forky i386 s390x systemd-trixie
# On trixie, the suites whose answers depend on the system (glibc's
# nss_files as the oracle, libcurl, debhelper and lintian, valgrind) but
# not the two longest, which test the same code again (check-diff: every
# port against nss_files, 7-8 min there; check-sanitize: unit and e2e
# under ASan, 3 min): `make check` there takes 20 min, over the budget.
# PORTS_TRIXIE_TARGETS=check runs all of it.
PORTS_SYSTEM_SUITES := check-unit check-e2e check-oracle check-valgrind check-deb
PORTS_TRIXIE_TARGETS ?= $(PORTS_SYSTEM_SUITES)
# The same on forky, the next release (glibc 2.43, gcc 16); and on sid, on
# request only (PORTS_PARTS=sid: the same glibc as forky today, so the
# same answers for as long again).
PORTS_FORKY_TARGETS ?= $(PORTS_SYSTEM_SUITES)
PORTS_SID_TARGETS ?= $(PORTS_SYSTEM_SUITES)

.PHONY: check-ports
# The i386 part compares with this machine's answers: its build first.
check-ports: all $(B)/nss_client
	$(call ensure,$(PORTS_PKGS),$(PORTS_FILES))
	PORTS_TRIXIE_TARGETS="$(PORTS_TRIXIE_TARGETS)" PORTS_FORKY_TARGETS="$(PORTS_FORKY_TARGETS)" \
	    PORTS_SID_TARGETS="$(PORTS_SID_TARGETS)" tests/ports/ports.sh $(B) $(PORTS_PARTS)

.PHONY: bench-forky
bench-forky:
	$(call ensure,$(PORTS_PKGS),$(PORTS_FILES))
	PORTS_FORKY_TARGETS=bench tests/ports/ports.sh $(B) forky
