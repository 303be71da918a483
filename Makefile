# nss-iana: `make demo` shows it working, `make check` runs every test.
# Debian packages that are missing are installed when run as root, and
# named exactly otherwise (see `deps`).

PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
DATADIR ?= $(PREFIX)/share
MANDIR  ?= $(DATADIR)/man
DBDIR   ?= /var/lib/nss_iana
DEFAULT_DB  := $(DBDIR)/services.db
DEFAULT_CSV := $(DATADIR)/nss_iana/service-names-port-numbers.csv
DEFAULT_PROTO_CSV := $(DATADIR)/nss_iana/protocol-numbers-1.csv

CC      ?= cc
CFLAGS  ?= -O2 -g
WARN    := -std=c11 -Wall -Wextra -Werror -Wshadow -Wvla -Wformat=2
HARDEN  := -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIC
# As Debian builds: 64-bit file offsets and times on 32-bit hosts too (a
# 32-bit fstat fails with EOVERFLOW on a 64-bit inode number otherwise, and
# the module would quietly answer nothing); no change on 64-bit hosts.
LFS     := -D_FILE_OFFSET_BITS=64 -D_TIME_BITS=64
LDHARD  := -Wl,-z,relro,-z,now -Wl,-z,defs
DEFS    := -DNSS_IANA_DEFAULT_DB='"$(DEFAULT_DB)"' -DNSS_IANA_DEFAULT_CSV='"$(DEFAULT_CSV)"' \
  -DNSS_IANA_DEFAULT_PROTO_CSV='"$(DEFAULT_PROTO_CSV)"'
ALL_CFLAGS = $(WARN) $(HARDEN) $(LFS) $(DEFS) $(CFLAGS) $(EXTRA_CFLAGS)
ALL_LDFLAGS = $(LDHARD) $(LDFLAGS) $(EXTRA_LDFLAGS)

B := build
CSV := data/service-names-port-numbers.csv
PROTO_CSV := data/protocol-numbers-1.csv
MODULE := $(B)/libnss_iana.so.2
TOOL := $(B)/iana-services
DB := $(B)/services.db

PARSER_SRC := parser/table.c parser/registry.c parser/entries.c parser/nssfile.c parser/services.c \
  parser/protocols.c parser/protocols_file.c
DB_RO_SRC  := db/reader.c db/protocols.c
DB_RW_SRC  := db/writer.c db/write_index.c db/write_file_layer.c db/write_file.c \
  db/proto_writer.c db/verify.c
HEADERS    := vocab.h $(wildcard db/*.h parser/*.h)

# Debian packages: what the build needs, and what the tests add.
# libcurl: `iana-services update` downloads the registry (OpenSSL flavour:
# the one Debian's own curl uses, so TLS behaves as `curl -v` shows).
# python3: the update test's local HTTP server.  netbase: /etc/services,
# which the tests merge, bind-mount over and compare with (every Debian
# system has it; a minimal chroot does not).  procps: pgrep, with which
# the writers test finds the writer it stops.  e2fsprogs: chattr and lsattr
# for the system's immutable database in the install and package tests
# (Priority: important from Debian 13, so not in a minimal one).  nscd is
# not among them: its package enables a system-wide cache; tests/nscd.sh
# runs the nscd of libc6's version unpacked into its temporary directory
# where there is none.  The clients an admin runs, as tests/clients_admin.sh
# and tests/clients_export.sh run them (and make bench's client rows):
# nftables, iptables (legacy and nft), iproute2 (ss), nodejs, golang-go
# (a cgo and a CGO_ENABLED=0 program), tcpdump, musl-tools (musl-gcc).
BUILD_PKGS := gcc make libc6-dev libcsv-dev nettle-dev libcurl4-openssl-dev
TEST_PKGS  := libcmocka-dev valgrind util-linux strace binutils python3 man-db locales netbase \
              procps e2fsprogs nftables iptables iproute2 nodejs golang-go tcpdump musl-tools
BUILD_HDRS := /usr/include/csv.h /usr/include/nettle/sha2.h /usr/include/nss.h /usr/bin/curl-config
TEST_HDRS  := /usr/include/cmocka.h /usr/bin/valgrind /usr/bin/strace /usr/bin/nm /usr/bin/python3 \
              /usr/bin/man /usr/share/i18n/locales/tr_TR /etc/services /usr/bin/pgrep /usr/bin/chattr \
              /usr/sbin/nft /usr/sbin/iptables-legacy /usr/sbin/iptables-nft /usr/bin/ss /usr/bin/node \
              /usr/bin/go /usr/bin/tcpdump /usr/bin/musl-gcc

.PHONY: all demo check check-unit check-threads check-tsan check-e2e check-diff check-oracle check-sanitize check-valgrind deps test-deps clean bench fuzz

all: $(MODULE) $(TOOL) $(DB)

# Install (as root) or name (otherwise) the Debian packages whose files are
# missing.  $(1): packages, $(2): files that prove they are there.
define ensure
@missing=""; for f in $(2); do [ -e $$f ] || missing=yes; done; \
if [ -n "$$missing" ]; then \
  if [ "$$(id -u)" = 0 ]; then \
    echo "installing Debian packages: $(1)"; \
    (apt-get install -y -q --no-install-recommends $(1) >/dev/null 2>&1 || \
     (apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends $(1) >/dev/null)) || exit 1; \
  else \
    echo "missing Debian packages; run:  sudo apt-get install $(1)" >&2; exit 1; \
  fi; \
fi
endef

$(B)/.deps: | $(B)
	$(call ensure,$(BUILD_PKGS),$(BUILD_HDRS))
	@touch $@
$(B)/.test-deps: | $(B)
	$(call ensure,$(TEST_PKGS),$(TEST_HDRS))
	@touch $@
deps: $(B)/.deps
test-deps: $(B)/.test-deps

$(B):
	mkdir -p $@

MODULE_SRC := nss_iana.c nss_iana_protocols.c nss_iana_mapping.c
$(MODULE): $(MODULE_SRC) nss_iana_mapping.h $(DB_RO_SRC) $(HEADERS) nss_iana.map $(B)/.deps
	$(CC) $(ALL_CFLAGS) -fvisibility=hidden -shared -o $@ $(MODULE_SRC) $(DB_RO_SRC) \
	  -Wl,-soname,libnss_iana.so.2 -Wl,--version-script=nss_iana.map -Wl,-z,nodelete \
	  $(ALL_LDFLAGS)

CLI_SRC := cli/iana-services.c cli/options.c cli/cmd_compile.c cli/cmd_lookup.c cli/cmd_admin.c \
  cli/update.c cli/fetch.c cli/httpstate.c cli/report.c \
  cli/lock.c cli/nsswitch.c cli/nsswitch_file.c cli/build.c cli/sources.c cli/protocols.c cli/update_protocols.c \
  cli/export.c
$(TOOL): $(CLI_SRC) $(wildcard cli/*.h) $(PARSER_SRC) $(DB_RO_SRC) $(DB_RW_SRC) $(HEADERS) $(B)/.deps
	$(CC) $(ALL_CFLAGS) -fPIE -pie -o $@ $(CLI_SRC) $(PARSER_SRC) $(DB_RO_SRC) \
	  $(DB_RW_SRC) $(ALL_LDFLAGS) -lcsv -lnettle -lcurl

# The registry alone: what the tests compare with the registry's rules.
# The demo merges this machine's /etc/services into $(B)/merged.db.
$(DB): $(TOOL) $(CSV) $(PROTO_CSV)
	./$(TOOL) compile --no-services --no-protocols-file --protocols $(PROTO_CSV) --output $@ \
	  $(CSV) >/dev/null

# --- demo: real answers through glibc's NSS dispatch, no root needed -------
GETENT := NSS_IANA_DB=$(DB) LD_LIBRARY_PATH=$(B) getent -s iana services
MERGED := $(B)/merged.db
GETENT_MERGED := NSS_IANA_DB=$(MERGED) LD_LIBRARY_PATH=$(B) getent -s iana services
demo: all
	@./$(TOOL) compile --no-services --no-protocols-file --output $(DB) $(CSV)
	@echo
	@for q in bgp/sctp http 443/udp 172/tcp www x11 6010/tcp msp 42/tcp; do \
	  printf '$$ getent -s iana services %-10s ->  ' "$$q"; $(GETENT) $$q || echo "(not found)"; \
	done
	@# getent reads NAME/PROTO, so a name with a slash is asked through the tool.
	@printf '$$ iana-services lookup cl/1/tcp         ->  '; ./$(TOOL) lookup --db $(DB) cl/1/tcp
	@printf '$$ getent -s iana services | wc -l          ->  '; $(GETENT) | wc -l
	@printf '$$ getent -s files services | wc -l         ->  '; getent -s files services | wc -l
	@echo
	@./$(TOOL) lookup --db $(DB) -v https/tcp
	@echo
	@echo "With this machine's /etc/services merged: every answer as 'services: files iana' gives it."
	@./$(TOOL) compile --output $(MERGED) $(CSV) | sed -n 1,2p
	@for q in whois 43/tcp echo/ddp http HTTP/tcp bgp/sctp; do \
	  printf '$$ getent -s iana services %-10s ->  ' "$$q"; $(GETENT_MERGED) $$q || echo "(not found)"; \
	done
	@printf '$$ getent -s iana services | wc -l          ->  '; $(GETENT_MERGED) | wc -l
	@echo
	@echo "IANA's protocol numbers too, this machine's /etc/protocols merged: 'protocols: files iana'."
	@for q in sctp 132 ipv6-icmp 58 SCTP mobility-header 143 ethernet; do \
	  printf '$$ getent -s iana protocols %-15s ->  ' "$$q"; \
	  NSS_IANA_DB=$(MERGED) LD_LIBRARY_PATH=$(B) getent -s iana protocols $$q || echo "(not found)"; \
	done
	@printf '$$ getent -s iana protocols | wc -l         ->  '; \
	  NSS_IANA_DB=$(MERGED) LD_LIBRARY_PATH=$(B) getent -s iana protocols | wc -l
	@printf '$$ getent -s files protocols | wc -l        ->  '; getent -s files protocols | wc -l
	@echo
	@./$(TOOL) lookup --db $(DB) --protocol -v ipv6-route

# --- tests --------------------------------------------------------------------
TEST_BINS := $(B)/test_parser $(B)/test_services $(B)/test_db $(B)/test_byteorder $(B)/test_nss \
  $(B)/test_live $(B)/test_robust $(B)/nss_client $(B)/test_protocols $(B)/test_protocols_file \
  $(B)/test_proto_db $(B)/test_nss_proto $(B)/proto_client $(B)/test_coldstart
TEST_COMMON := tests/testutil.c
# The module called through dlopen (test_nss, test_nss_proto).
NSS_TEST_COMMON := $(TEST_COMMON) tests/nss_testutil.c

$(B)/test_parser: tests/test_parser.c $(TEST_COMMON) $(PARSER_SRC) $(HEADERS) $(B)/.test-deps
	$(CC) $(ALL_CFLAGS) -o $@ tests/test_parser.c $(TEST_COMMON) $(PARSER_SRC) $(DB_RO_SRC) \
	  $(DB_RW_SRC) $(ALL_LDFLAGS) -lcsv -lnettle -lcmocka
$(B)/test_services: tests/test_services.c $(TEST_COMMON) $(PARSER_SRC) $(HEADERS) $(B)/.test-deps
	$(CC) $(ALL_CFLAGS) -o $@ tests/test_services.c $(TEST_COMMON) $(PARSER_SRC) $(DB_RO_SRC) \
	  $(DB_RW_SRC) $(ALL_LDFLAGS) -lcsv -lnettle -lcmocka
# python3 (TEST_PKGS): tests/protocols_csv.py, the second reading of the CSV.
$(B)/test_protocols: tests/test_protocols.c tests/protocols_csv.py $(PARSER_SRC) $(HEADERS) $(B)/.test-deps
	$(CC) $(ALL_CFLAGS) -o $@ tests/test_protocols.c $(PARSER_SRC) $(ALL_LDFLAGS) -lcsv -lnettle -lcmocka
$(B)/test_protocols_file: tests/test_protocols_file.c $(TEST_COMMON) tests/data/hostile.protocols \
  $(PARSER_SRC) $(DB_RO_SRC) $(DB_RW_SRC) $(HEADERS) $(B)/.test-deps
	$(CC) $(ALL_CFLAGS) -o $@ tests/test_protocols_file.c $(TEST_COMMON) $(PARSER_SRC) \
	  $(DB_RO_SRC) $(DB_RW_SRC) $(ALL_LDFLAGS) -lcsv -lnettle -lcmocka
$(B)/test_proto_db: tests/test_proto_db.c $(TEST_COMMON) $(PARSER_SRC) $(DB_RO_SRC) $(DB_RW_SRC) \
  $(HEADERS) $(B)/.test-deps
	$(CC) $(ALL_CFLAGS) -o $@ tests/test_proto_db.c $(TEST_COMMON) $(PARSER_SRC) $(DB_RO_SRC) \
	  $(DB_RW_SRC) $(ALL_LDFLAGS) -lcsv -lnettle -lcmocka
$(B)/test_db: tests/test_db.c $(TEST_COMMON) $(PARSER_SRC) $(DB_RO_SRC) $(DB_RW_SRC) $(HEADERS) $(B)/.test-deps
	$(CC) $(ALL_CFLAGS) -o $@ tests/test_db.c $(TEST_COMMON) $(PARSER_SRC) $(DB_RO_SRC) \
	  $(DB_RW_SRC) $(ALL_LDFLAGS) -lcsv -lnettle -lcmocka
# The file's integers read back byte by byte: little-endian on any host.
$(B)/test_byteorder: tests/test_byteorder.c $(TEST_COMMON) $(PARSER_SRC) $(DB_RO_SRC) $(DB_RW_SRC) $(HEADERS) $(B)/.test-deps
	$(CC) $(ALL_CFLAGS) -o $@ tests/test_byteorder.c $(TEST_COMMON) $(PARSER_SRC) $(DB_RO_SRC) \
	  $(DB_RW_SRC) $(ALL_LDFLAGS) -lcsv -lnettle -lcmocka
# The same tests over the reader's portable code (no SSE2 in the name index
# scan), so that path is not left to other architectures to find out.
$(B)/test_db_scalar: tests/test_db.c $(TEST_COMMON) $(PARSER_SRC) $(DB_RO_SRC) $(DB_RW_SRC) $(HEADERS) $(B)/.test-deps
	$(CC) $(ALL_CFLAGS) -DIANA_NO_SIMD -o $@ tests/test_db.c $(TEST_COMMON) $(PARSER_SRC) \
	  $(DB_RO_SRC) $(DB_RW_SRC) $(ALL_LDFLAGS) -lcsv -lnettle -lcmocka
$(B)/test_nss: tests/test_nss.c tests/nss_testutil.h $(NSS_TEST_COMMON) $(PARSER_SRC) $(DB_RO_SRC) $(DB_RW_SRC) $(HEADERS) $(B)/.test-deps
	$(CC) $(ALL_CFLAGS) -o $@ tests/test_nss.c $(NSS_TEST_COMMON) $(PARSER_SRC) $(DB_RO_SRC) \
	  $(DB_RW_SRC) $(ALL_LDFLAGS) -lcsv -lnettle -lcmocka -ldl
$(B)/test_nss_proto: tests/test_nss_proto.c tests/nss_testutil.h $(NSS_TEST_COMMON) $(PARSER_SRC) $(DB_RO_SRC) $(DB_RW_SRC) \
  $(HEADERS) $(B)/.test-deps
	$(CC) $(ALL_CFLAGS) -o $@ tests/test_nss_proto.c $(NSS_TEST_COMMON) $(PARSER_SRC) $(DB_RO_SRC) \
	  $(DB_RW_SRC) $(ALL_LDFLAGS) -lcsv -lnettle -lcmocka -ldl
$(B)/test_live: tests/test_live.c $(TEST_COMMON) $(PARSER_SRC) $(DB_RO_SRC) $(DB_RW_SRC) $(HEADERS) $(B)/.test-deps
	$(CC) $(ALL_CFLAGS) -o $@ tests/test_live.c $(TEST_COMMON) $(PARSER_SRC) $(DB_RO_SRC) \
	  $(DB_RW_SRC) $(ALL_LDFLAGS) -lcsv -lnettle -lcmocka -lpthread
# -rdynamic: the test's own open() stands in for libc's in the module.
$(B)/test_robust: tests/test_robust.c $(TEST_COMMON) $(PARSER_SRC) $(DB_RO_SRC) $(DB_RW_SRC) $(HEADERS) $(B)/.test-deps
	$(CC) $(ALL_CFLAGS) -rdynamic -o $@ tests/test_robust.c $(TEST_COMMON) $(PARSER_SRC) $(DB_RO_SRC) \
	  $(DB_RW_SRC) $(ALL_LDFLAGS) -lcsv -lnettle -lcmocka -ldl -lpthread
# Many threads making a process's first lookup: the module found by the
# library search, as glibc finds it.
$(B)/test_coldstart: tests/test_coldstart.c $(B)/.test-deps
	$(CC) $(ALL_CFLAGS) -o $@ tests/test_coldstart.c $(ALL_LDFLAGS) -lcmocka -lpthread
# A Turkish locale, where "I" and "i" are not each other's case: the
# lookups must fold ASCII case whatever the caller's locale.
$(B)/locale/tr_TR.UTF-8: $(B)/.test-deps
	mkdir -p $(B)/locale
	localedef -i tr_TR -f UTF-8 $@ 2>/dev/null || [ -d $@ ]
$(B)/test_nsswitch: tests/test_nsswitch.c $(TEST_COMMON) cli/nsswitch.c cli/nsswitch_file.c \
  cli/nsswitch.h cli/nsswitch_line.h \
  $(PARSER_SRC) $(DB_RO_SRC) $(DB_RW_SRC) $(HEADERS) $(B)/.test-deps
	$(CC) $(ALL_CFLAGS) -o $@ tests/test_nsswitch.c $(TEST_COMMON) cli/nsswitch.c cli/nsswitch_file.c \
	  $(PARSER_SRC) $(DB_RO_SRC) $(DB_RW_SRC) $(ALL_LDFLAGS) -lcsv -lnettle -lcmocka
$(B)/nss_client: tests/nss_client.c $(B)/.deps
	$(CC) $(ALL_CFLAGS) -o $@ tests/nss_client.c $(ALL_LDFLAGS)
$(B)/proto_client: tests/nss_client.c $(B)/.deps
	$(CC) $(ALL_CFLAGS) -DCLIENT_PROTOCOLS=1 -o $@ tests/nss_client.c $(ALL_LDFLAGS)
$(B)/stale_client: tests/stale_client.c $(B)/.deps
	$(CC) $(ALL_CFLAGS) -o $@ tests/stale_client.c $(ALL_LDFLAGS)
$(B)/secure_client: tests/secure_client.c $(B)/.deps
	$(CC) $(ALL_CFLAGS) -o $@ tests/secure_client.c $(ALL_LDFLAGS)

check: check-unit check-e2e check-diff check-oracle check-sanitize check-tsan check-valgrind \
  check-deb check-systemd
	@echo "make check: all tests passed"

# The unit and end-to-end suites again with AddressSanitizer and UBSan, in a
# build tree of their own; getent is not instrumented, so the e2e run
# preloads the ASan runtime into it.
SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
check-sanitize:
	$(MAKE) --no-print-directory B=build-asan CFLAGS="-O1 -g" EXTRA_CFLAGS="$(SAN)" \
	  EXTRA_LDFLAGS="$(SAN)" check-unit check-e2e \
	  E2E_ENV="E2E_PRELOAD=$$($(CC) -print-file-name=libasan.so)"

# The end-to-end paths under valgrind memcheck: no errors, nothing
# definitely lost.
check-valgrind: all $(B)/nss_client $(B)/.test-deps
	tests/valgrind.sh $(B)

check-unit: all $(TEST_BINS) $(B)/test_db_scalar $(B)/test_nsswitch $(B)/locale/tr_TR.UTF-8
	NSS_IANA_MODULE=$(MODULE) $(B)/test_parser
	$(B)/test_services
	$(B)/test_protocols
	$(B)/test_protocols_file
	$(B)/test_proto_db
	LOCPATH=$(B)/locale $(B)/test_db
	LOCPATH=$(B)/locale $(B)/test_db_scalar
	$(B)/test_byteorder
	NSS_IANA_MODULE=$(MODULE) $(B)/test_nss
	NSS_IANA_MODULE=$(MODULE) $(B)/test_nss_proto
	$(B)/test_nsswitch
	$(MAKE) --no-print-directory check-threads

# The module with many threads: replacements under load, fork, dlopen,
# cancellation, a process's first lookups all at once.  (AddressSanitizer's
# own alternate signal stack overflows as an asynchronously cancelled
# thread unwinds, in its runtime, not ours: test_robust runs without it.)
check-threads: all $(B)/test_live $(B)/test_robust $(B)/test_coldstart $(B)/nss_client
	LD_LIBRARY_PATH=$(B) $(B)/test_live
	ASAN_OPTIONS=$${ASAN_OPTIONS:+$$ASAN_OPTIONS:}use_sigaltstack=0 \
	  NSS_IANA_MODULE=$(MODULE) LD_LIBRARY_PATH=$(B) $(B)/test_robust
	NSS_IANA_DB=$(DB) LD_LIBRARY_PATH=$(B) $(COLDSTART_ENV) $(B)/test_coldstart

# The same under ThreadSanitizer, in a build tree of its own.  Its
# suppressions are the lookups' reads of the region a replacement may be
# writing, by design (tests/tsan.supp says why); a tenth of the cold
# starts (ten times slower there).
TSAN := -fsanitize=thread
check-tsan:
	TSAN_OPTIONS="suppressions=$(CURDIR)/tests/tsan.supp halt_on_error=1" \
	  $(MAKE) --no-print-directory B=build-tsan CFLAGS="-O1 -g" EXTRA_CFLAGS="$(TSAN)" \
	  EXTRA_LDFLAGS="$(TSAN)" COLDSTART_ENV=COLDSTART_SCALE=10 check-threads

check-e2e: all $(B)/nss_client $(B)/secure_client $(B)/stale_client $(B)/proto_client \
  $(B)/.test-deps
	$(E2E_ENV) tests/e2e.sh $(B)
	$(E2E_ENV) tests/stale.sh $(B)
	tests/killed_writer.sh $(B)
	$(E2E_ENV) tests/clients.sh $(B)
	$(E2E_ENV) tests/clients_admin.sh $(B)
	$(E2E_ENV) tests/clients_export.sh $(B)
	$(E2E_ENV) tests/update.sh $(B)
	$(E2E_ENV) tests/writers.sh $(B)
	tests/sources.sh $(B)
	tests/secure.sh $(B)
	$(E2E_ENV) tests/nscd.sh $(B)
	$(E2E_ENV) tests/install.sh $(B)

check-diff: all $(B)/nss_client $(B)/proto_client
	tests/differential.sh $(B)

# glibc's "services: files iana" as the oracle for a merged database, on
# real, hostile and generated services files, and "protocols: files iana"
# likewise (root: mount namespaces).
check-oracle: all $(B)/nss_client $(B)/proto_client $(B)/.test-deps
	tests/oracle.sh $(B)
	tests/services_prop.sh $(B)
	tests/protocols.sh $(B)

# The packages in a Debian 12 system booted with systemd as PID 1
# (systemd-nspawn; the host needs no systemd), their units run as systemd
# runs them (root; the Debian archive reachable the first time, then
# cached in $(B)/boot/cache).  See tests/systemd.sh.  Its packages are
# installed as root only: for anyone else the test says SKIPPED.
SYSTEMD_PKGS  := systemd-container debootstrap
SYSTEMD_FILES := /usr/bin/systemd-nspawn /usr/sbin/debootstrap
.PHONY: check-systemd systemd-deps
systemd-deps:
	$(call ensure,$(SYSTEMD_PKGS),$(SYSTEMD_FILES))
check-systemd: $(B)/.test-deps
	@[ "$$(id -u)" != 0 ] || $(MAKE) --no-print-directory systemd-deps
	tests/systemd.sh $(B)

clean:
	rm -rf $(B) build-asan build-tsan

# Pieces with their own targets: bench (make bench), fuzz (make fuzz),
# install and packaging.  Each fragment uses the variables above.
-include bench/bench.mk fuzz/fuzz.mk install.mk debian/deb.mk tests/ports/cross.mk \
  tests/ports/ports.mk
