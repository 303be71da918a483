# The benchmark: `make bench` (tables, BENCH lines, PASS/FAIL per target)
# and `make bench-profile` (instructions per lookup, and where they go).
# Included by the top Makefile; uses its B, MODULE, TOOL, DB, CSV,
# ALL_CFLAGS, ALL_LDFLAGS, DB_RO_SRC, HEADERS and `ensure`.  Everything it
# builds or writes is under $(B)/bench.

BB          := $(B)/bench
BENCH_BIN   := $(BB)/bench
BENCH_FLOOR := $(BB)/libnss_floor.so.2
BENCH_NOINDEX := $(BB)/libnss_noindex.so.2
BENCH_CFLAGS = $(ALL_CFLAGS) -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -I.
# More arguments for the benchmark, e.g. BENCH_ARGS="--rounds 9 --queries 50000".
BENCH_ARGS ?=
# Lookups counted per callgrind run.
PROFILE_OPS ?= 20000

.PHONY: bench bench-profile bench-build

$(BB):
	mkdir -p $@

$(BENCH_FLOOR): bench/nss_floor.c $(B)/.deps | $(BB)
	$(CC) $(BENCH_CFLAGS) -fvisibility=hidden -shared -o $@ bench/nss_floor.c \
	  -Wl,-soname,libnss_floor.so.2 $(ALL_LDFLAGS)

# nss_iana.c as it is, with its two lookups renamed to bench/nss_noindex.c's
# and its entry points to _nss_noindex_*.  bench_oracle_answer is the bench
# executable's, so no -z defs here.
NOINDEX_RENAME := -Diana_db_service_by_name=noindex_by_name \
  -Diana_db_service_by_port=noindex_by_port \
  $(foreach f,getservbyname_r getservbyport_r setservent getservent_r endservent init,\
    -D_nss_iana_$(f)=_nss_noindex_$(f))
$(BB)/noindex_glue.o: nss_iana.c $(HEADERS) $(B)/.deps | $(BB)
	$(CC) $(ALL_CFLAGS) $(NOINDEX_RENAME) -fvisibility=hidden -c -o $@ nss_iana.c
$(BENCH_NOINDEX): $(BB)/noindex_glue.o bench/nss_noindex.c nss_iana_mapping.c $(DB_RO_SRC) $(HEADERS) | $(BB)
	$(CC) $(ALL_CFLAGS) -I. -fvisibility=hidden -shared -o $@ $(BB)/noindex_glue.o \
	  bench/nss_noindex.c nss_iana_mapping.c $(DB_RO_SRC) -Wl,-soname,libnss_noindex.so.2 \
	  $(LDFLAGS) $(EXTRA_LDFLAGS)

# db/reader.c defines _GNU_SOURCE itself: built as the module builds it.
BENCH_READER_OBJ := $(patsubst %.c,$(BB)/%.o,$(notdir $(DB_RO_SRC)))
$(BENCH_READER_OBJ): $(DB_RO_SRC) $(HEADERS) $(B)/.deps | $(BB)
	$(CC) $(ALL_CFLAGS) -fPIE -c -o $@ $(filter %/$(notdir $(@:.o=.c)),$(DB_RO_SRC))

# The harness, one job a file (bench/bench.h says which).
BENCH_SRC := bench/main.c bench/orchestrate.c bench/child.c bench/backends.c bench/queries.c \
  bench/installed.c bench/protocols.c bench/timing.c bench/report.c bench/util.c
$(BENCH_BIN): $(BENCH_SRC) bench/bench.h $(BENCH_READER_OBJ) $(HEADERS) $(B)/.deps | $(BB)
	$(CC) $(BENCH_CFLAGS) -fPIE -pie -o $@ $(BENCH_SRC) $(BENCH_READER_OBJ) $(ALL_LDFLAGS) \
	  -Wl,--export-dynamic-symbol=bench_oracle_answer -lpthread -lm

bench-build: $(MODULE) $(TOOL) $(DB) $(BENCH_BIN) $(BENCH_FLOOR) $(BENCH_NOINDEX)

# libnss-db (makedb + libnss_db.so.2) is optional: installed when root and
# possible, otherwise the bench notes that it skipped that row.  netbase is
# not: the files rows and the as-installed ones (inst.*, proto.*) bind-mount
# over /etc/services and /etc/protocols, which a minimal system (a
# debootstrap --variant=minbase chroot: make bench-forky) has not.  Then the
# clients an admin runs (bench/clients.sh: nft, iptables-nft-restore, ss), as
# installed, against stock files and a full-registry file (root; skipped
# otherwise; CLIENT_ROUNDS runs each).
CLIENT_ROUNDS ?= 5
bench: bench-build
	$(call ensure,netbase,/etc/services /etc/protocols)
	-$(call ensure,libnss-db,/usr/bin/makedb)
	@$(BENCH_BIN) --build $(B) --db $(DB) --tool $(TOOL) --csv $(CSV) $(BENCH_ARGS)
	@bench/clients.sh $(B) $(CLIENT_ROUNDS)

bench-profile: bench-build
	$(call ensure,valgrind,/usr/bin/valgrind /usr/bin/callgrind_annotate)
	@bench/profile.sh $(B) $(PROFILE_OPS)
