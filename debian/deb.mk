# `make deb`: the Debian packages libnss-iana and iana-services, built with
# debhelper from a copy of the tree in $(DEB_OUT)/src, into $(DEB_OUT)/.
# `make deb-lint` runs lintian on them.  Included by the top Makefile,
# whose `ensure` macro installs what is missing (as root).

DEB_OUT := $(B)/deb
DEB_SRC := $(DEB_OUT)/src
DEB_LOG := $(DEB_OUT)/build.log

# Packaging tools, and files that show they are there.  dpkg-checkbuilddeps
# wants the build-essential package itself, not only gcc and make.
DEB_TOOL_PKGS  := debhelper dh-nss dpkg-dev build-essential
DEB_TOOL_FILES := /usr/bin/dh /usr/bin/dh_installnss /usr/bin/dpkg-buildpackage \
                  /usr/share/build-essential/list

# debian/control's Build-Depends must be BUILD_PKGS without the
# build-essential ones, plus the packaging tools (which it names by the
# virtual packages debhelper-compat and dh-sequence-installnss, and dh-nss
# for debian/rules' own call of dh_installnss).
DEB_ESSENTIAL := gcc make libc6-dev
DEB_VIRTUAL   := debhelper-compat dh-sequence-installnss dh-nss

# The package names in every Build-Depends* field of debian/control.
define deb_build_depends
awk '/^Build-Depends[-A-Za-z]*:/ { f = 1; sub(/^[^:]*:/, ""); print; next } \
     f && /^[ \t]/ { print; next } { f = 0 }' debian/control | \
  tr ',|' '\n\n' | sed 's/[[(<].*//; s/:any$$//; s/^[[:space:]]*//; s/[[:space:]]*$$//' | \
  grep -v '^$$' | sort -u
endef

.PHONY: deb deb-check-control deb-lint check-deb dsc

# The files of the tree, one a line: what git tracks or would track
# (untracked files that are not ignored, so new work is packaged too);
# outside git, every file but the build directories'.
define deb_tree_files
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then \
  git ls-files --cached --others --exclude-standard | \
    while IFS= read -r f; do [ -e "$$f" ] && printf '%s\n' "$$f"; done; \
else \
  find . \( -path ./build -o -path ./build-asan -o -path ./.git \) -prune -o \
    \( -type f -o -type l \) -print | sed 's|^\./||'; \
fi
endef

deb-check-control:
	@want=$$(printf '%s\n' $(filter-out $(DEB_ESSENTIAL),$(BUILD_PKGS)) $(DEB_VIRTUAL) | sort -u); \
	have=$$($(deb_build_depends)); \
	if [ "$$want" != "$$have" ]; then \
	  echo "debian/control Build-Depends is out of step with BUILD_PKGS in the Makefile:" >&2; \
	  for p in $$want; do printf '%s\n' "$$have" | grep -qx "$$p" || \
	    echo "  $$p: in BUILD_PKGS, not in Build-Depends" >&2; done; \
	  for p in $$have; do printf '%s\n' "$$want" | grep -qx "$$p" || \
	    echo "  $$p: in Build-Depends, not in BUILD_PKGS" >&2; done; \
	  exit 1; \
	fi

# The copy holds every file git tracks or would track (untracked files that
# are not ignored, so new work is packaged too); outside git, the tree
# without its build directories.  The outer make's command-line variables
# must not reach the package build (MAKEFLAGS), nor its job server.
deb: deb-check-control
	$(call ensure,$(BUILD_PKGS) $(DEB_TOOL_PKGS),$(BUILD_HDRS) $(DEB_TOOL_FILES))
	@rm -rf $(DEB_OUT) && mkdir -p $(DEB_SRC)
	@{ $(deb_tree_files); } | tar -T - -cf - | tar -xf - -C $(DEB_SRC)
	@echo "dpkg-buildpackage -b -us -uc in $(DEB_SRC) (log: $(DEB_LOG))"
	@cd $(DEB_SRC) && \
	if env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES \
	     dpkg-buildpackage -b -us -uc -J$$(nproc) > ../build.log 2>&1; then :; \
	else \
	  tail -n 40 ../build.log >&2; \
	  echo "make deb: dpkg-buildpackage failed; the whole log is $(DEB_LOG)" >&2; exit 1; \
	fi
	@ls -1 $(DEB_OUT)/*.deb

# Lints the packages `make deb` built (building them first if there are
# none); fails on lintian errors and warnings.
deb-lint:
	@ls $(DEB_OUT)/*.changes >/dev/null 2>&1 || $(MAKE) --no-print-directory deb
	$(call ensure,lintian,/usr/bin/lintian)
	lintian --fail-on error,warning --info --display-info --pedantic --show-overrides \
	  $(DEB_OUT)/*.changes

# Builds, lints, and (as root) installs, queries, removes and purges the
# packages on this machine, restoring it afterwards.
check-deb:
	tests/deb.sh $(B)

# `make dsc`: the source package, format 3.0 (quilt) (debian/README.source),
# into $(DSC_OUT)/: the orig tarball is the tree's files without debian/
# (deb_tree_files: for a clean checkout of a release tag, what
# `git archive` gives), in a tarball that depends on nothing but those
# files: sorted, owned by root, every time the changelog's, gzip without a
# name or time.  Then dpkg-source -b over the tree with debian/, unsigned.
DSC_OUT := $(B)/dsc
dsc: deb-check-control
	$(call ensure,dpkg-dev,/usr/bin/dpkg-source)
	@set -e; \
	version=$$(dpkg-parsechangelog -S Version); \
	upstream=$${version#*:}; upstream=$${upstream%-*}; \
	epoch=$$(dpkg-parsechangelog -S Timestamp); \
	dir=nss-iana-$$upstream; \
	rm -rf $(DSC_OUT) && mkdir -p $(DSC_OUT)/$$dir; \
	{ $(deb_tree_files); } | grep -v '^debian/' | LC_ALL=C sort > $(DSC_OUT)/upstream.files; \
	tar -T $(DSC_OUT)/upstream.files -cf - | tar -xf - -C $(DSC_OUT)/$$dir; \
	LC_ALL=C tar -C $(DSC_OUT) --sort=name --format=gnu --owner=0 --group=0 --numeric-owner \
	  --mode=u+rw,go=rX --mtime=@$$epoch -cf - $$dir | gzip -9n \
	  > $(DSC_OUT)/nss-iana_$$upstream.orig.tar.gz; \
	{ $(deb_tree_files); } | grep '^debian/' | tar -T - -cf - | tar -xf - -C $(DSC_OUT)/$$dir; \
	cd $(DSC_OUT) && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES \
	  dpkg-source -b $$dir > source.log 2>&1 || { cat source.log >&2; exit 1; }; \
	rm -f upstream.files; ls -1 $$PWD/*.dsc $$PWD/*.tar.*

# The source package and the package as Debian would take it (as root):
#   check-srcpkg       make dsc, lintian on it, the binaries built from it
#                      in fresh bookworm and forky minbase chroots with only
#                      its Build-Depends (tests/srcpkg.sh; SRCPKG_SUITES)
#   check-autopkgtest  debian/tests (DEP-8) with autopkgtest in a bookworm
#                      testbed of autopkgtest-virt-unshare (tests/autopkgtest.sh)
#   check-repro        reprotest, and a build as another user: the .debs
#                      the same bytes (tests/repro.sh)
#   check-watch        debian/watch by uscan against a local clone,
#                      upstream/metadata, licensecheck against
#                      debian/copyright (tests/watch.sh)
#   check-debian       the four, one after the other (they share $(B)/dsc
#                      and $(B)/deb)
# The tools, and files that show they are there; uidmap for the unshare
# testbed, python3-yaml for upstream/metadata.
DEBIAN_CHECK_PKGS  := debootstrap mmdebstrap autopkgtest uidmap reprotest faketime lintian \
                      devscripts licensecheck git python3-yaml
DEBIAN_CHECK_FILES := /usr/sbin/debootstrap /usr/bin/mmdebstrap /usr/bin/autopkgtest \
                      /usr/bin/newuidmap /usr/bin/reprotest /usr/bin/faketime /usr/bin/lintian \
                      /usr/bin/uscan /usr/bin/licensecheck /usr/bin/git \
                      /usr/lib/python3/dist-packages/yaml
SRCPKG_SUITES ?= bookworm forky
.PHONY: check-srcpkg check-autopkgtest check-repro check-watch check-debian debian-check-deps
debian-check-deps:
	$(call ensure,$(BUILD_PKGS) $(DEB_TOOL_PKGS) $(DEBIAN_CHECK_PKGS),$(BUILD_HDRS) $(DEB_TOOL_FILES) $(DEBIAN_CHECK_FILES))
check-srcpkg: debian-check-deps
	tests/srcpkg.sh $(B) $(SRCPKG_SUITES)
check-autopkgtest: debian-check-deps
	tests/autopkgtest.sh $(B)
check-repro: debian-check-deps
	tests/repro.sh $(B)
check-watch: debian-check-deps
	tests/watch.sh $(B)
check-debian: debian-check-deps
	@rc=0; \
	tests/watch.sh $(B) || rc=1; \
	tests/srcpkg.sh $(B) $(SRCPKG_SUITES) || rc=1; \
	tests/repro.sh $(B) || rc=1; \
	tests/autopkgtest.sh $(B) || rc=1; \
	exit $$rc
