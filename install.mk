# `make install` and `make uninstall`; included by the top Makefile, whose
# variables (PREFIX BINDIR DATADIR MANDIR DBDIR B MODULE TOOL CSV) it uses.
#
#   sudo make install [PREFIX=/usr/local] [LIBDIR=...] [DESTDIR=...]
#
# The module goes where glibc's NSS finds it by the ordinary library search:
# the multiarch libdir, /usr/lib/<triplet>, whatever PREFIX is (glibc would
# search /usr/local/lib too, but not every system lists it, and an NSS
# module that is not found is silently skipped).  Only the versioned
# libnss_iana.so.2: nothing links against an NSS module, so no unversioned
# .so.  With DESTDIR empty (a real install) ldconfig is run, the bundled
# registry compiled into $(DBDIR)/services.db and iana-services-rebuild.path
# enabled; with DESTDIR (packaging) none of them, since they belong to the
# target system (Debian's maintainer scripts do them).
#
# The systemd units go into $(SYSTEMDUNITDIR), by default
# $(PREFIX)/lib/systemd/system (/usr/local/lib/systemd/system is on
# systemd's search path), with this install's tool and database directory
# in them.  Enabled: the path unit that recompiles the database when
# /etc/services changes (started too where systemd runs), since the module
# steps aside for the fallback from the moment /etc/services differs from
# what the database merged.  Not enabled: the weekly update timer, which
# downloads from iana.org; `systemctl enable --now iana-services-update.timer`.
# INSTALL_UNITS=no leaves the units out: Debian's build does, as
# dh_installsystemd installs them (debian/iana-services.*, links to
# systemd/) where that release's debhelper puts units.

ifeq ($(origin LIBDIR),undefined)
MULTIARCH := $(shell $(CC) -print-multiarch 2>/dev/null)
LIBDIR := /usr/lib$(if $(MULTIARCH),/$(MULTIARCH))
endif

INSTALL ?= install
LDCONFIG ?= ldconfig
MAN_PAGES := $(wildcard man/nss-iana.8 man/iana-services.1)
SHARE_DIR := $(DATADIR)/nss_iana
INSTALLED_CSV := $(SHARE_DIR)/service-names-port-numbers.csv
INSTALLED_PROTO_CSV := $(SHARE_DIR)/protocol-numbers-1.csv
INSTALLED_DB := $(DBDIR)/services.db
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
INSTALL_UNITS ?= yes
UNITS := iana-services-update.service iana-services-update.timer \
         iana-services-rebuild.service iana-services-rebuild.path
# The units name /usr/bin/iana-services and /var/lib/nss_iana, as Debian
# installs them; StateDirectory= can only make a directory under /var/lib.
UNIT_SED := -e 's|/usr/bin/iana-services|$(BINDIR)/iana-services|' \
            -e 's|^ReadWritePaths=/var/lib/nss_iana$$|ReadWritePaths=$(DBDIR)|' \
            $(if $(filter /var/lib/nss_iana,$(DBDIR)),,-e '/^StateDirectory/d')

.PHONY: install uninstall install-paths-check

# The tool and the module have the default database and CSV paths compiled
# in (DEFS): built for other paths than these, they must be rebuilt, or
# `make && sudo make install PREFIX=/usr` would install a tool looking for
# its CSV under /usr/local.  The stamp changes only when the paths do.
PATHS_STAMP := $(B)/.paths
$(PATHS_STAMP): install-paths-check | $(B)
	@printf '%s\n' "$(DEFAULT_DB)" "$(DEFAULT_CSV)" "$(DEFAULT_PROTO_CSV)" > $@.new; \
	if cmp -s $@.new $@; then rm -f $@.new; else mv -f $@.new $@; fi
install-paths-check:
$(TOOL) $(MODULE): $(PATHS_STAMP)
# cli/nsswitch.h is not among HEADERS (db/ and parser/ only).
$(TOOL): cli/nsswitch.h

# The database as a real install leaves it: compiled with no CSV named, so
# from the registry the current database was compiled from if that file is
# still there (after `iana-services update`, the download it keeps beside
# the database), else the installed snapshot; /etc/services merged as the
# current database merged it.  The same rule as Debian's postinst.
define compile_db
$(BINDIR)/iana-services compile --output $(INSTALLED_DB) >/dev/null
endef

# systemctl with no systemd running (a container, a chroot) still enables,
# by its symbolic links, for the next boot.
define enable_units
if ! command -v systemctl >/dev/null 2>&1; then \
  echo "note: no systemctl: iana-services-rebuild.path not enabled"; \
elif [ -d /run/systemd/system ]; then \
  systemctl daemon-reload && systemctl enable --now iana-services-rebuild.path; \
else \
  systemctl enable iana-services-rebuild.path; \
fi
endef

# The timer too, in case it was enabled by hand.
define disable_units
if command -v systemctl >/dev/null 2>&1 && \
   [ -e $(SYSTEMDUNITDIR)/iana-services-rebuild.path ]; then \
  if [ -d /run/systemd/system ]; then \
    systemctl disable --now iana-services-rebuild.path iana-services-update.timer; \
  else \
    systemctl disable iana-services-rebuild.path iana-services-update.timer; \
  fi; \
fi
endef

install: $(MODULE) $(TOOL)
	$(INSTALL) -d -m 0755 $(DESTDIR)$(LIBDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(SHARE_DIR)
	$(INSTALL) -m 0644 $(MODULE) $(DESTDIR)$(LIBDIR)/libnss_iana.so.2
	$(INSTALL) -m 0755 $(TOOL) $(DESTDIR)$(BINDIR)/iana-services
	$(INSTALL) -m 0644 $(CSV) $(DESTDIR)$(INSTALLED_CSV)
	$(INSTALL) -m 0644 $(PROTO_CSV) $(DESTDIR)$(INSTALLED_PROTO_CSV)
	@set -e; for page in $(MAN_PAGES); do \
	  sec=$${page##*.}; \
	  echo "$(INSTALL) -d -m 0755 $(DESTDIR)$(MANDIR)/man$$sec"; \
	  $(INSTALL) -d -m 0755 $(DESTDIR)$(MANDIR)/man$$sec; \
	  echo "$(INSTALL) -m 0644 $$page $(DESTDIR)$(MANDIR)/man$$sec/"; \
	  $(INSTALL) -m 0644 $$page $(DESTDIR)$(MANDIR)/man$$sec/; \
	done
ifneq ($(INSTALL_UNITS),no)
	$(INSTALL) -d -m 0755 $(DESTDIR)$(SYSTEMDUNITDIR)
	@set -e; for u in $(UNITS); do \
	  echo "systemd/$$u -> $(DESTDIR)$(SYSTEMDUNITDIR)/$$u (paths of this install)"; \
	  sed $(UNIT_SED) systemd/$$u > $(DESTDIR)$(SYSTEMDUNITDIR)/.$$u.new; \
	  chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/.$$u.new; \
	  mv -f $(DESTDIR)$(SYSTEMDUNITDIR)/.$$u.new $(DESTDIR)$(SYSTEMDUNITDIR)/$$u; \
	done
endif
ifeq ($(DESTDIR),)
	$(LDCONFIG)
	$(INSTALL) -d -m 0755 $(DBDIR)
	@$(compile_db)
	@$(enable_units)
	@grep -Eq '^[[:space:]]*services[[:space:]:].*[[:space:]:]iana([[:space:][]|$$)' \
	  /etc/nsswitch.conf 2>/dev/null || \
	  echo "installed; to have glibc use it: sudo $(BINDIR)/iana-services enable"
endif

# Removes what install put there, the database and what is kept beside it
# (update's downloads and their records, DB.csv, DB.http, DB.protocols.csv
# and DB.protocols.http; the inputs,
# DB.sources; the lock), the directories that were ours alone, and the man
# section and unit directories if that left them empty (install may have
# made them; an empty one serves nothing).  BINDIR and LIBDIR stay.
# The units are disabled (and stopped) first, while their files still say
# what to undo.
# /etc/nsswitch.conf is not touched (install did not touch it either): a
# services line still naming iana only makes glibc skip a missing module.
# The database is immutable where the file system allows it (so that no cp
# or truncate can pull it from under the processes that map it): cleared
# before it is removed, by the installed tool itself (FS_IOC_SETFLAGS: no
# chattr needed), chattr only where the tool is gone.
uninstall:
ifeq ($(DESTDIR),)
	@$(disable_units)
endif
	rm -f $(addprefix $(DESTDIR)$(SYSTEMDUNITDIR)/,$(UNITS))
	if [ -x $(DESTDIR)$(BINDIR)/iana-services ]; then \
	  $(DESTDIR)$(BINDIR)/iana-services immutable off --db $(DESTDIR)$(INSTALLED_DB) || true; \
	elif command -v chattr >/dev/null; then chattr -i $(DESTDIR)$(INSTALLED_DB) 2>/dev/null || true; fi
	rm -f $(DESTDIR)$(LIBDIR)/libnss_iana.so.2 $(DESTDIR)$(BINDIR)/iana-services \
	  $(DESTDIR)$(INSTALLED_CSV) $(DESTDIR)$(INSTALLED_PROTO_CSV) $(DESTDIR)$(MANDIR)/man8/nss-iana.8 \
	  $(DESTDIR)$(MANDIR)/man1/iana-services.1 \
	  $(DESTDIR)$(INSTALLED_DB) $(DESTDIR)$(INSTALLED_DB).http $(DESTDIR)$(INSTALLED_DB).csv \
	  $(DESTDIR)$(INSTALLED_DB).lock $(DESTDIR)$(INSTALLED_DB).sources \
	  $(DESTDIR)$(INSTALLED_DB).protocols.csv $(DESTDIR)$(INSTALLED_DB).protocols.http
	rmdir $(DESTDIR)$(SHARE_DIR) $(DESTDIR)$(DBDIR) $(DESTDIR)$(MANDIR)/man8 \
	  $(DESTDIR)$(MANDIR)/man1 2>/dev/null || true
	rmdir $(DESTDIR)$(SYSTEMDUNITDIR) $(DESTDIR)$(patsubst %/,%,$(dir $(SYSTEMDUNITDIR))) \
	  2>/dev/null || true
ifeq ($(DESTDIR),)
	$(LDCONFIG)
	@[ ! -d /run/systemd/system ] || systemctl daemon-reload
	@grep -Eq '^[[:space:]]*services[[:space:]:].*[[:space:]:]iana([[:space:][]|$$)' \
	  /etc/nsswitch.conf 2>/dev/null && \
	  echo "note: /etc/nsswitch.conf still names iana on its services line" || true
endif
