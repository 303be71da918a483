# Builds for tests/ports/cross.sh, which runs them for another architecture
# under qemu (s390x: big-endian; armhf: 32-bit), and `make check-cross`.
# Included by the top Makefile; uses its B, CC, ALL_CFLAGS, ALL_LDFLAGS,
# CLI_SRC, PARSER_SRC, DB_RO_SRC, DB_RW_SRC and HEADERS.
#
#   $(B)/iana-services-noupdate  the tool without `update` (libcurl, whose
#                                dependencies the target's sysroot lacks)
#   $(B)/db_dump                 every answer of a database, as text
#
# The Debian packages the script needs (cross compiler, qemu-user-static)
# are installed by the script itself when root, and named exactly when not.

.PHONY: check-cross

PORT_CLI_SRC := $(filter-out cli/update.c cli/update_protocols.c cli/fetch.c,$(CLI_SRC)) \
  tests/ports/no_update.c
$(B)/iana-services-noupdate: $(PORT_CLI_SRC) $(wildcard cli/*.h) $(PARSER_SRC) $(DB_RO_SRC) \
  $(DB_RW_SRC) $(HEADERS) $(B)/.deps
	$(CC) $(ALL_CFLAGS) -fPIE -pie -o $@ $(PORT_CLI_SRC) $(PARSER_SRC) $(DB_RO_SRC) \
	  $(DB_RW_SRC) $(ALL_LDFLAGS) -lcsv -lnettle

$(B)/db_dump: tests/ports/db_dump.c $(DB_RO_SRC) db/verify.c $(HEADERS) $(B)/.deps
	$(CC) $(ALL_CFLAGS) -fPIE -pie -o $@ tests/ports/db_dump.c $(DB_RO_SRC) db/verify.c \
	  $(ALL_LDFLAGS) -lnettle

# Big-endian and 32-bit, each against this host's build.
check-cross: all
	tests/ports/cross.sh s390x $(B)
	tests/ports/cross.sh armhf $(B)
