# libFuzzer (clang, -fsanitize=fuzzer,address,undefined), included by the
# top Makefile.
#
#   make fuzz [FUZZ_SECONDS=60]   fuzz_csv, fuzz_db, fuzz_services and
#                                 fuzz_protocols for FUZZ_SECONDS each, side
#                                 by side (one process each; on 2 cores,
#                                 half of one each)
#   make fuzz-ci                  the same for FUZZ_CI_SECONDS (30) each,
#                                 after replaying fuzz/regressions/
#   make fuzz-regress             replay fuzz/regressions/{csv,db,services}/ once
#   make fuzz-build               only build the targets and seed corpora
#   make fuzz-coverage            line coverage of parser/ and db/ by the corpora
#
# fuzz_csv:      CSV bytes -> parser -> entries -> db_build -> view + verify ->
#                lookups and enumeration checked against a brute-force oracle.
# fuzz_db:       arbitrary bytes -> iana_db_view -> every reader call, the
#                protocols answers too (fuzz/db_protocols.c).
# fuzz_protocols: a protocol numbers CSV or a protocols(5) file (the first
#                byte says which) -> the parser, libc's line parser against
#                ours, a database checked against a model of the rules.
# fuzz_services: bytes as /etc/services -> services_parse, a merged database
#                -> checked against glibc's nss_files reading the same bytes
#                (as root in a mount namespace of its own; see the file).
# Everything goes to $(FUZZ): binaries, corpora (corpus-{csv,db,services}/,
# seeded from the bundled registry and fuzz/seeds/), logs, and the inputs
# that crashed in crashes/{csv,db,services}-{crash,leak,timeout,oom}-*.
# A run fails (non-zero exit) when any target finds a crash.

FUZZ := $(B)/fuzz
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
FUZZ_CI_SECONDS ?= 30
FUZZ_CFLAGS ?= -O1 -g
FUZZ_SAN := -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
# The project's sources #define _GNU_SOURCE themselves (a -D_GNU_SOURCE
# would redefine it).
FUZZ_SRC_FLAGS = $(WARN) $(DEFS) $(FUZZ_CFLAGS) $(FUZZ_SAN)
FUZZ_HARNESS_FLAGS = $(WARN) -D_GNU_SOURCE $(DEFS) $(FUZZ_CFLAGS) $(FUZZ_SAN)
FUZZ_PKGS := clang libclang-rt-14-dev
FUZZ_PROOF := /usr/bin/clang /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a

# csv: inputs up to 64 KiB.  db: a little over the seeds, databases of small
# registries with a small protocol numbers registry (15 KB and up: the port
# index alone is 12 KB, the protocols' number table 1 KB); larger files
# only slow every execution down.
FUZZ_CSV_OPTS ?= -max_len=65536 -timeout=120 -dict=fuzz/csv.dict
FUZZ_DB_MAX_LEN ?= 20480
FUZZ_DB_OPTS ?= -max_len=$(FUZZ_DB_MAX_LEN) -timeout=60 -dict=fuzz/db.dict
# services: a few KB hold hundreds of lines, and every nss_files lookup
# reads them all.
FUZZ_SERVICES_OPTS ?= -max_len=4096 -timeout=60 -dict=fuzz/services.dict
# protocols: a registry of 9 KB, a protocols file of a few KB.
FUZZ_PROTOCOLS_OPTS ?= -max_len=16384 -timeout=60
FUZZ_ENV := ASAN_OPTIONS=abort_on_error=0:detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

# Slices of the bundled registry, NAME:FIRST-RECORD-ERE:RECORDS (no spaces).
FUZZ_SLICES := head:^tcpmux,1,tcp:30 msp:^msp,18,tcp:6 name:^name,42,tcp:6 \
  whois:^whoispp,63,tcp:10 http:^http,80,tcp:10 cl1:^cl-1,172,tcp:8 \
  reserved-ranges:^,225-241,:10 caiLic:^CAIlic,216,tcp:6 active-net:^active-net,3322-3325,:6 \
  boe:^boe-cms,6400,:6 x11:^x11,6000-6063,tcp:12 ircu:^ircu,6665-6669,tcp:6 \
  flex-lm:^flex-lm,27000-27009,:6 portless:^argus,,,:20 tail:^zigbee-bridge,,:5

FUZZ_LIB_SRC := $(PARSER_SRC) $(DB_RO_SRC) $(DB_RW_SRC)
# libFuzzer's comparison tracing (trace-cmp) costs a call per comparison.
# db/ loops over all 65536 ports (build_port_index; iana_db_verify calls
# iana_db_by_port five times a port), and traced it made fuzz_csv five and
# fuzz_db four times slower.  So only the parser traces comparisons, where
# they find header names, protocols and alias markers; db/ keeps edge
# coverage, ASan and UBSan, and fuzz_db finds the header's constants from
# its seeds, fuzz/db.dict and the memcmp hooks.
FUZZ_NOCMP := -fno-sanitize-coverage=trace-cmp
FUZZ_CSV_OBJ := $(patsubst %.c,$(FUZZ)/obj/%.o,$(PARSER_SRC)) \
  $(patsubst %.c,$(FUZZ)/obj-nocmp/%.o,$(DB_RO_SRC) $(DB_RW_SRC))
FUZZ_DB_OBJ := $(patsubst %.c,$(FUZZ)/obj-nocmp/%.o,$(DB_RO_SRC) $(PARSER_SRC) $(DB_RW_SRC))
FUZZ_SERVICES_OBJ := $(FUZZ)/obj/fuzz/nss_files.o $(FUZZ_CSV_OBJ)
FUZZ_NAMES := csv db services protocols
FUZZ_TARGETS := $(FUZZ_NAMES:%=$(FUZZ)/fuzz_%)
# Per target: options, and corpora (new inputs go into the first).
FUZZ_OPTS_csv = $(FUZZ_CSV_OPTS)
FUZZ_OPTS_db = $(FUZZ_DB_OPTS)
FUZZ_OPTS_services = $(FUZZ_SERVICES_OPTS)
FUZZ_OPTS_protocols = $(FUZZ_PROTOCOLS_OPTS)
FUZZ_CORPORA_csv = $(FUZZ)/corpus-csv fuzz/seeds/csv
FUZZ_CORPORA_db = $(FUZZ)/corpus-db
FUZZ_CORPORA_services = $(FUZZ)/corpus-services fuzz/seeds/services
FUZZ_CORPORA_protocols = $(FUZZ)/corpus-protocols

.PHONY: fuzz fuzz-ci fuzz-build fuzz-regress

$(FUZZ)/.deps: | $(B)
	$(call ensure,$(FUZZ_PKGS),$(FUZZ_PROOF))
	@mkdir -p $(@D)
	@touch $@

$(FUZZ)/obj/%.o: %.c $(HEADERS) $(FUZZ)/.deps $(B)/.deps
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_SRC_FLAGS) -c -o $@ $<

$(FUZZ)/obj-nocmp/%.o: %.c $(HEADERS) $(FUZZ)/.deps $(B)/.deps
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_SRC_FLAGS) $(FUZZ_NOCMP) -c -o $@ $<

$(FUZZ)/obj/fuzz/%.o: fuzz/%.c $(wildcard fuzz/*.h) $(HEADERS) $(FUZZ)/.deps $(B)/.deps
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_HARNESS_FLAGS) -c -o $@ $<

$(FUZZ)/fuzz_csv: $(FUZZ)/obj/fuzz/fuzz_csv.o $(FUZZ_CSV_OBJ) fuzz/fuzz.mk
	$(FUZZ_CC) $(FUZZ_SAN) -o $@ $(filter %.o,$^) -lcsv -lnettle

$(FUZZ)/fuzz_db: $(FUZZ)/obj/fuzz/fuzz_db.o $(FUZZ)/obj/fuzz/db_layers.o \
  $(FUZZ)/obj/fuzz/db_protocols.o $(FUZZ_DB_OBJ) fuzz/fuzz.mk
	$(FUZZ_CC) $(FUZZ_SAN) -o $@ $(filter %.o,$^) -lcsv -lnettle

$(FUZZ)/fuzz_protocols: $(FUZZ)/obj/fuzz/fuzz_protocols.o $(FUZZ_CSV_OBJ) fuzz/fuzz.mk
	$(FUZZ_CC) $(FUZZ_SAN) -o $@ $(filter %.o,$^) -lcsv -lnettle

$(FUZZ)/fuzz_services: $(FUZZ)/obj/fuzz/fuzz_services.o $(FUZZ_SERVICES_OBJ) fuzz/fuzz.mk
	$(FUZZ_CC) $(FUZZ_SAN) -o $@ $(filter %.o,$^) -lcsv -lnettle

# Seed corpora, made at build time: slices of the registry (header + a few
# records), the handwritten cases in fuzz/seeds/csv/ (read in place), a few
# byte-level cases printf makes, and small databases compiled from all the
# CSV seeds that compile (the registry alone: with this machine's
# /etc/services merged they would depend on the machine, and most would be
# over FUZZ_DB_MAX_LEN).
$(FUZZ)/.seeded-csv: $(CSV) fuzz/slice.awk fuzz/fuzz.mk | $(FUZZ)/.deps
	@mkdir -p $(FUZZ)/corpus-csv
	@for s in $(FUZZ_SLICES); do \
	  name=$${s%%:*}; rest=$${s#*:}; from=$${rest%:*}; count=$${rest##*:}; \
	  LC_ALL=C awk -v from="$$from" -v count="$$count" -f fuzz/slice.awk $(CSV) \
	    > $(FUZZ)/corpus-csv/seed-$$name.csv || exit 1; \
	done
	@h='Service Name,Port Number,Transport Protocol,Description'; c=$(FUZZ)/corpus-csv; \
	printf '%s\nnul,1,tcp,a\000b\n' "$$h" > $$c/seed-gen-nul.csv; \
	printf '%s\nutf8,1,tcp,caf\303\251 \342\202\254 \360\237\230\200\n' "$$h" > $$c/seed-gen-utf8.csv; \
	printf '%s\nbad,1,tcp,\303\050\n' "$$h" > $$c/seed-gen-bad-utf8.csv; \
	printf '%s\noverlong,1,tcp,\300\200\n' "$$h" > $$c/seed-gen-overlong.csv; \
	printf '%s\nsurrogate,1,tcp,\355\240\200\n' "$$h" > $$c/seed-gen-surrogate.csv; \
	printf '%s\ra,1,tcp,bare CR\rb,2,udp,records\r' "$$h" > $$c/seed-gen-cr.csv; \
	printf '\357\273\277' > $$c/seed-gen-bom-only.csv; \
	printf '%s\n' "$$h" 'a,1,tcp,"no newline at the end"' | head -c -1 > $$c/seed-gen-no-eol.csv
	@echo "fuzz: csv seeds in $(FUZZ)/corpus-csv and fuzz/seeds/csv"
	@touch $@

# Merged databases: a small registry with each services seed merged before
# it, so fuzz_db starts from files that have a services file layer; and
# with each protocols file seed merged before the small protocol numbers
# registry (fuzz/seeds/protocols/), for the protocols file layer.
FUZZ_MERGE_CSV := fuzz/seeds/csv/aliases.csv fuzz/seeds/csv/minimal.csv
FUZZ_PROTO_CSV := fuzz/seeds/protocols/small.csv
FUZZ_NO_PROTO := --protocols $(FUZZ_PROTO_CSV) --no-protocols-file
$(FUZZ)/.seeded-db: $(FUZZ)/.seeded-csv $(FUZZ)/.seeded-services $(TOOL) \
  $(wildcard fuzz/seeds/csv/*.csv fuzz/seeds/services/* fuzz/seeds/protocols/* \
  fuzz/seeds/protocols-file/*)
	@mkdir -p $(FUZZ)/corpus-db
	@count=0; for f in $(FUZZ)/corpus-csv/seed-*.csv fuzz/seeds/csv/*.csv; do \
	  b=$$(basename $$f .csv); out=$(FUZZ)/corpus-db/seed-$${b#seed-}.db; \
	  if ./$(TOOL) compile --no-services $(FUZZ_NO_PROTO) --output $$out $$f >/dev/null 2>&1; then \
	    if [ $$(wc -c < $$out) -gt $(FUZZ_DB_MAX_LEN) ]; then rm -f $$out; else count=$$((count+1)); fi; \
	  fi; \
	done; merged=0; \
	for c in $(FUZZ_MERGE_CSV); do \
	  for f in $(FUZZ)/corpus-services/seed-* fuzz/seeds/services/*; do \
	    out=$(FUZZ)/corpus-db/seed-merged-$$(basename $$c .csv)-$$(basename $$f).db; \
	    if ./$(TOOL) compile --services $$f $(FUZZ_NO_PROTO) --output $$out $$c >/dev/null 2>&1; then \
	      if [ $$(wc -c < $$out) -gt $(FUZZ_DB_MAX_LEN) ]; then rm -f $$out; else merged=$$((merged+1)); fi; \
	    fi; \
	  done; \
	done; \
	for f in fuzz/seeds/protocols-file/*; do \
	  out=$(FUZZ)/corpus-db/seed-protocols-$$(basename $$f).db; \
	  if ./$(TOOL) compile --no-services --protocols $(FUZZ_PROTO_CSV) --protocols-file $$f \
	       --output $$out fuzz/seeds/csv/minimal.csv >/dev/null 2>&1; then \
	    if [ $$(wc -c < $$out) -gt $(FUZZ_DB_MAX_LEN) ]; then rm -f $$out; else merged=$$((merged+1)); fi; \
	  fi; \
	done; rm -f $(FUZZ)/corpus-db/*.sources $(FUZZ)/corpus-db/*.lock; \
	echo "fuzz: $$count database seeds and $$merged merged ones in $(FUZZ)/corpus-db"
	@touch $@

# services: the handwritten files in fuzz/seeds/services/ (read in place),
# and the byte-level cases printf writes best: NUL bytes, no final newline
# after leading blanks (__nss_readline's move keeps bytes of the old tail),
# bare CR.
$(FUZZ)/.seeded-services: fuzz/fuzz.mk | $(FUZZ)/.deps
	@mkdir -p $(FUZZ)/corpus-services
	@c=$(FUZZ)/corpus-services; \
	printf 'nul 11/tcp x\000y z\nafter 12/udp\n' > $$c/seed-gen-nul-alias; \
	printf '   \000 b 2/tcp\n  d 4/tcp\000zz\n' > $$c/seed-gen-nul-blank; \
	printf 'x 5/tcp\000\n\000\n\000y 6/tcp\n' > $$c/seed-gen-nul-lines; \
	printf 'name 1\000/tcp\nport 2/\000tcp\n' > $$c/seed-gen-nul-port; \
	printf 'x 5/tcp\n  y 6/udp' > $$c/seed-gen-no-eol; \
	printf '        p 2/u' > $$c/seed-gen-no-eol-blanks; \
	printf '     ab 1/x' > $$c/seed-gen-no-eol-short; \
	printf 'cr 9/tcp\rinner 10/udp\r\nbare 11/tcp\r' > $$c/seed-gen-cr; \
	printf 'caf\303\251 7/tcp \377\376 \240x\n\205 8/udp\n' > $$c/seed-gen-high-bytes
	@echo "fuzz: services seeds in $(FUZZ)/corpus-services and fuzz/seeds/services"
	@touch $@

# protocols: the bundled registry and the seeds of fuzz/seeds/protocols/
# behind a 0 (a registry), the protocols file seeds, the hostile test file
# and this machine's /etc/protocols behind a 1 (a file).
$(FUZZ)/.seeded-protocols: $(PROTO_CSV) tests/data/hostile.protocols fuzz/fuzz.mk \
  $(wildcard fuzz/seeds/protocols/* fuzz/seeds/protocols-file/*) | $(FUZZ)/.deps
	@mkdir -p $(FUZZ)/corpus-protocols
	@c=$(FUZZ)/corpus-protocols; \
	for f in $(PROTO_CSV) fuzz/seeds/protocols/*; do \
	  { printf '0'; cat $$f; } > $$c/seed-registry-$$(basename $$f); done; \
	for f in fuzz/seeds/protocols-file/* tests/data/hostile.protocols /etc/protocols; do \
	  [ -r $$f ] && { printf '1'; cat $$f; } > $$c/seed-file-$$(basename $$f); done; \
	echo "fuzz: protocols seeds in $$c"
	@touch $@

fuzz-build: $(FUZZ_TARGETS) $(FUZZ)/.seeded-csv $(FUZZ)/.seeded-db $(FUZZ)/.seeded-services \
  $(FUZZ)/.seeded-protocols

# All targets at once, one process each; $(1): seconds per target.  Four
# processes on two cores: each gets about half a core, so fuzz-ci spends
# the same wall time and the same CPU time as it did with two targets.
define fuzz_run
	@mkdir -p $(FUZZ)/crashes
	@echo "fuzz: $(FUZZ_NAMES:%=fuzz_%) for $(1) s each, side by side; logs in $(FUZZ)/fuzz_*.log"
	@rc=0; pids=""; \
	$(foreach t,$(FUZZ_NAMES),$(FUZZ_ENV) $(FUZZ)/fuzz_$(t) $(FUZZ_OPTS_$(t)) \
	  -max_total_time=$(1) -print_final_stats=1 -artifact_prefix=$(FUZZ)/crashes/$(t)- \
	  $(FUZZ_CORPORA_$(t)) > $(FUZZ)/fuzz_$(t).log 2>&1 & pids="$$pids $$!"; ) \
	for p in $$pids; do wait $$p || rc=1; done; \
	for t in $(FUZZ_NAMES); do \
	  log=$(FUZZ)/fuzz_$$t.log; \
	  echo "== fuzz_$$t: $$(grep -E '^#[0-9]+' $$log | tail -n 1)"; \
	  grep -E '^fuzz_services:' $$log; \
	  grep -E '^stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb)' $$log | tr '\n' ' '; echo; \
	  if grep -qE '^==[0-9]+==ERROR|^SUMMARY|check failed|Test unit written' $$log; then \
	    echo "-- fuzz_$$t failed; the end of $$log:"; tail -n 60 $$log; rc=1; \
	  fi; \
	done; \
	ls $(FUZZ)/crashes/* 2>/dev/null | sed 's/^/crash input: /'; \
	if [ $$rc != 0 ]; then echo "fuzz: FAILED; inputs in $(FUZZ)/crashes/, replay with $(FUZZ)/fuzz_csv FILE (or fuzz_db, fuzz_services)"; fi; \
	exit $$rc
endef

fuzz: fuzz-build
	$(call fuzz_run,$(FUZZ_SECONDS))

fuzz-ci: fuzz-build fuzz-regress
	$(call fuzz_run,$(FUZZ_CI_SECONDS))

# Inputs that once crashed a target (fuzz/regressions/{csv,db,services}/),
# replayed once each.
fuzz-regress: $(FUZZ_TARGETS)
	@for t in $(FUZZ_NAMES); do \
	  files=$$(ls fuzz/regressions/$$t/* 2>/dev/null); \
	  [ -z "$$files" ] && continue; \
	  echo "fuzz: replaying $$(echo $$files | wc -w) fuzz/regressions/$$t/ inputs"; \
	  $(FUZZ_ENV) $(FUZZ)/fuzz_$$t $$files > $(FUZZ)/regress_$$t.log 2>&1 || \
	    { tail -n 60 $(FUZZ)/regress_$$t.log; echo "fuzz: a fuzz/regressions/$$t/ input fails"; exit 1; }; \
	done; true

# Source coverage of parser/ and db/ by the corpora as they are now:
# `make fuzz-coverage` after a `make fuzz`.  The harnesses again, built with
# clang's profile instrumentation instead of the sanitizers, run once over
# every corpus input; the report is $(FUZZ)/coverage.txt.
FUZZ_COV_PKGS := llvm-14
FUZZ_LLVM_PROFDATA ?= llvm-profdata-14
FUZZ_LLVM_COV ?= llvm-cov-14
FUZZ_COV_SAN := -fsanitize=fuzzer -fprofile-instr-generate -fcoverage-mapping
FUZZ_COV_LIB_OBJ := $(patsubst %.c,$(FUZZ)/cov/obj/%.o,$(FUZZ_LIB_SRC))
.PHONY: fuzz-coverage

$(FUZZ)/.deps-cov: $(FUZZ)/.deps
	$(call ensure,$(FUZZ_COV_PKGS),/usr/bin/$(FUZZ_LLVM_COV) /usr/bin/$(FUZZ_LLVM_PROFDATA))
	@touch $@

$(FUZZ)/cov/obj/%.o: %.c $(HEADERS) $(FUZZ)/.deps-cov $(B)/.deps
	@mkdir -p $(@D)
	$(FUZZ_CC) $(WARN) -Wno-format-nonliteral $(DEFS) $(FUZZ_CFLAGS) $(FUZZ_COV_SAN) -c -o $@ $<

$(FUZZ)/cov/obj/fuzz/%.o: fuzz/%.c $(wildcard fuzz/*.h) $(HEADERS) $(FUZZ)/.deps-cov $(B)/.deps
	@mkdir -p $(@D)
	$(FUZZ_CC) $(WARN) -D_GNU_SOURCE $(DEFS) $(FUZZ_CFLAGS) $(FUZZ_COV_SAN) -c -o $@ $<

$(FUZZ)/cov/fuzz_csv: $(FUZZ)/cov/obj/fuzz/fuzz_csv.o $(FUZZ_COV_LIB_OBJ)
	$(FUZZ_CC) $(FUZZ_COV_SAN) -o $@ $^ -lcsv -lnettle

$(FUZZ)/cov/fuzz_db: $(FUZZ)/cov/obj/fuzz/fuzz_db.o $(FUZZ)/cov/obj/fuzz/db_layers.o $(FUZZ_COV_LIB_OBJ)
	$(FUZZ_CC) $(FUZZ_COV_SAN) -o $@ $^ -lcsv -lnettle

$(FUZZ)/cov/fuzz_services: $(FUZZ)/cov/obj/fuzz/fuzz_services.o $(FUZZ)/cov/obj/fuzz/nss_files.o \
  $(FUZZ_COV_LIB_OBJ)
	$(FUZZ_CC) $(FUZZ_COV_SAN) -o $@ $^ -lcsv -lnettle

fuzz-coverage: $(FUZZ)/cov/fuzz_csv $(FUZZ)/cov/fuzz_db $(FUZZ)/cov/fuzz_services \
  $(FUZZ)/.seeded-csv $(FUZZ)/.seeded-db $(FUZZ)/.seeded-services
	@rm -f $(FUZZ)/cov/*.profraw
	LLVM_PROFILE_FILE=$(FUZZ)/cov/csv.profraw $(FUZZ)/cov/fuzz_csv -runs=0 \
	  $(FUZZ)/corpus-csv fuzz/seeds/csv > $(FUZZ)/cov/csv.log 2>&1
	LLVM_PROFILE_FILE=$(FUZZ)/cov/db.profraw $(FUZZ)/cov/fuzz_db -runs=0 \
	  $(FUZZ)/corpus-db > $(FUZZ)/cov/db.log 2>&1
	LLVM_PROFILE_FILE=$(FUZZ)/cov/services.profraw $(FUZZ)/cov/fuzz_services -runs=0 \
	  $(FUZZ)/corpus-services fuzz/seeds/services > $(FUZZ)/cov/services.log 2>&1
	$(FUZZ_LLVM_PROFDATA) merge -sparse -o $(FUZZ)/cov/csv.profdata $(FUZZ)/cov/csv.profraw
	$(FUZZ_LLVM_PROFDATA) merge -sparse -o $(FUZZ)/cov/db.profdata $(FUZZ)/cov/db.profraw
	$(FUZZ_LLVM_PROFDATA) merge -sparse -o $(FUZZ)/cov/services.profdata $(FUZZ)/cov/services.profraw
	@{ echo "== fuzz_csv corpus ($$(ls $(FUZZ)/corpus-csv fuzz/seeds/csv | wc -l) inputs)"; \
	   $(FUZZ_LLVM_COV) report $(FUZZ)/cov/fuzz_csv -instr-profile=$(FUZZ)/cov/csv.profdata $(FUZZ_LIB_SRC); \
	   echo; echo "== fuzz_db corpus ($$(ls $(FUZZ)/corpus-db | wc -l) inputs)"; \
	   $(FUZZ_LLVM_COV) report $(FUZZ)/cov/fuzz_db -instr-profile=$(FUZZ)/cov/db.profdata $(DB_RO_SRC) db/verify.c; \
	   echo; echo "== fuzz_services corpus ($$(ls $(FUZZ)/corpus-services fuzz/seeds/services | wc -l) inputs)"; \
	   $(FUZZ_LLVM_COV) report $(FUZZ)/cov/fuzz_services -instr-profile=$(FUZZ)/cov/services.profdata parser/nssfile.c parser/services.c $(DB_RO_SRC) $(DB_RW_SRC); \
	 } | tee $(FUZZ)/coverage.txt
	@echo "fuzz: line by line: $(FUZZ_LLVM_COV) show $(FUZZ)/cov/fuzz_db -instr-profile=$(FUZZ)/cov/db.profdata db/reader.c"
