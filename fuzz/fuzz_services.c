/* libFuzzer: bytes as a services(5) file.  The promise under test
 * (parser/services.h, db/format.h) is that a database merging a file
 * answers exactly as `services: files iana` would, so the oracle is glibc
 * itself (nss_files.h): as root, nss_files reading the same bytes as
 * /etc/services, in a mount namespace of this process's own, each input
 * written in place into the file mounted there; otherwise glibc's line
 * parser on lines cut as __nss_readline cuts them, which it says once on
 * stderr.  As root that emulation is also held against nss_files itself.
 *
 * For every input:
 *   - services_parse, with libc's line parser and with ours, gives exactly
 *     glibc's lines, field by field, and counts as rejected every other
 *     line that is neither blank nor a comment; services_read of the file
 *     gives the same lines and the file's identity;
 *   - db_build merges the lines before a tiny fixed registry; the result
 *     passes iana_db_view and iana_db_verify and records the file;
 *   - for lines' names and aliases (and each in another case) and ports,
 *     with protocols NULL, the line's own, "tcp", "TCP" and "udplite",
 *     iana_db_service_by_name/_by_port answer what nss_files answers when
 *     it finds a line, and otherwise the registry's answer, offset by
 *     file_count; ports with bits above 16 ("wide") only the registry's;
 *   - iana_db_registry_only answers as the registry alone; the enumeration
 *     lists the file's lines, then the registry's; iana_db_services_state
 *     finds the file current, and a missing one gone.
 * Any difference aborts: a bug in parser/ or db/ (or in this oracle).  */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../db/reader.h"
#include "../db/verify.h"
#include "../db/writer.h"
#include "../parser/registry.h"
#include "../parser/services.h"
#include "fuzz_util.h"
#include "nss_files.h"

/* Each nss_files lookup reads the file from its start: an input of n
 * lines costs n line reads a query.  Queries are spread over the lines so
 * that about LINE_BUDGET line reads are spent (at least MIN_QUERIES
 * queries, at most MAX_QUERIES); a line's first ALIASES_MAX aliases and
 * its last are asked.  Even so the lookups are a small part of an
 * execution: db_build's and iana_db_verify's sweeps of the 65,536 ports
 * are most of it.  */
#define LINE_BUDGET 100000u
#define MIN_QUERIES 60u
#define MAX_QUERIES 3000u
#define ALIASES_MAX 4u

/* The registry merged under every input: an alias (www), a name on two
 * protocols, a blank protocol (both tcp and udp), a range, sctp and dccp.  */
static const char registry_csv[] =
    "Service Name,Port Number,Transport Protocol,Description,Assignee,Contact,"
    "Registration Date,Modification Date,Reference,Service Code,"
    "Unauthorized Use Reported,Assignment Notes\n"
    "echo,7,tcp,Echo,,,,,,,,\n"
    "echo,7,udp,Echo,,,,,,,,\n"
    "domain,53,,Domain Name Server,,,,,,,,\n"
    "http,80,tcp,World Wide Web HTTP,,,,,,,,\n"
    "www,80,tcp,World Wide Web HTTP,,,,,,,,\"This is a duplicate of the \"\"http\"\" service\"\n"
    "http,80,udp,World Wide Web HTTP,,,,,,,,\n"
    "kerberos,88,tcp,Kerberos,,,,,,,,\n"
    "bgp,179,sctp,BGP,,,,,,,,\n"
    "syslog-tls,6514,dccp,syslog over DTLS,,,,,,,,\n"
    "x11,6000-6063,tcp,X Window System,,,,,,,,\n";

static struct registry reg;   /* the entries point into its rows */
static struct entry_set set;
static uint8_t *reg_bytes;    /* the registry alone, compiled */
static struct iana_db regdb;
struct reg_line {
    uint32_t entry;
    uint16_t port;
};
static struct reg_line *reg_enum; /* its enumeration */
static size_t reg_enum_n;

static bool live;             /* nss_files reads the input as /etc/services */
static int file_fd = -1;      /* the file that holds the input */
static char file_path[64];    /* a path to it: /etc/services, or /proc/self/fd/N */

static bool services_line_is(const struct services_line *s, const struct nf_line *l)
{
    if (strcmp(s->name, l->name) || strcmp(s->proto, l->proto) || s->port != l->port ||
        s->nalias != l->nalias)
        return false;
    for (size_t a = 0; a < l->nalias; a++)
        if (strcmp(s->aliases[a], l->aliases[a]))
            return false;
    return true;
}

/* A database answer that is a line: its names block, protocol and port.  */
static bool view_is(const struct iana_view *v, const struct nf_line *l)
{
    if (v->nalias != l->nalias || v->port_lo != l->port || v->port_hi != l->port ||
        v->proto != IANA_NPROTO || strcmp(v->proto_name, l->proto) ||
        v->proto_len != strlen(l->proto) + 1)
        return false;
    const char *p = v->names;
    size_t off = 0;
    for (size_t a = 0; a <= l->nalias; a++) {
        const char *want = a ? l->aliases[a - 1] : l->name;
        size_t n = strlen(want) + 1;
        if (off + n > v->names_len || memcmp(p + off, want, n))
            return false;
        off += n;
    }
    return off == v->names_len;
}

static void compare_parse(const struct nf_lines *m, const struct services_file *sf,
                          size_t candidates, const char *how)
{
    CHECK(sf->nlines == m->n, "%s: %zu lines, glibc %zu", how, sf->nlines, m->n);
    for (size_t i = 0; i < m->n; i++) {
        CHECK(services_line_is(&sf->lines[i], &m->l[i]),
              "%s: line %zu (physical %u): \"%.60s %u/%.20s\" (%zu aliases), glibc \"%.60s "
              "%u/%.20s\" (%zu aliases)",
              how, i, sf->lines[i].line, sf->lines[i].name, sf->lines[i].port,
              sf->lines[i].proto, sf->lines[i].nalias, m->l[i].name, m->l[i].port,
              m->l[i].proto, m->l[i].nalias);
        CHECK(sf->lines[i].line >= 1 && (i == 0 || sf->lines[i].line > sf->lines[i - 1].line),
              "%s: line numbers %u after %u", how, sf->lines[i].line,
              i ? sf->lines[i - 1].line : 0);
    }
    CHECK(sf->rejected == candidates - m->n, "%s: %zu rejected, glibc skips %zu", how,
          sf->rejected, candidates - m->n);
}

/* --- lookups ------------------------------------------------------------- */

struct run {
    const struct nf_lines *m;
    struct iana_db db, ro;    /* merged; and its registry_only view */
};

/* The answer a `files iana` lookup must give: the line, else the
 * registry's entry after the file's lines.  Checked in both databases, and
 * the line it names decoded and compared.  */
static void check_answer(struct run *r, int64_t got, int64_t line, int64_t entry,
                         int64_t got_ro, const char *what, const char *query, const char *proto)
{
    const uint32_t n = r->db.file_count;
    int64_t want = line >= 0 ? line : entry >= 0 ? entry + n : -1;
    CHECK(got == want, "%s \"%.60s\"/%s: answer %lld, expected %lld (line %lld, registry %lld)",
          what, query, proto ? proto : "(null)", (long long)got, (long long)want,
          (long long)line, (long long)entry);
    CHECK(got_ro == entry, "%s \"%.60s\"/%s: registry_only answers %lld, the registry %lld", what,
          query, proto ? proto : "(null)", (long long)got_ro, (long long)entry);
    if (got < 0)
        return;
    struct iana_view v, vb;
    CHECK(iana_db_answer(&r->db, (uint32_t)got, &v) == 0 &&
              iana_db_answer_bounded(&r->db, (uint32_t)got, &vb) == 0,
          "%s \"%.60s\": answer %lld does not decode", what, query, (long long)got);
    CHECK(v.names == vb.names && v.names_len == vb.names_len && v.proto_name == vb.proto_name,
          "answer %lld: bounded and full views differ", (long long)got);
    if (line >= 0)
        CHECK(view_is(&v, &r->m->l[line]), "%s \"%.60s\": answer %lld is not line %lld's fields",
              what, query, (long long)got, (long long)line);
}

static void ask_name(struct run *r, const char *name, const char *proto)
{
    int64_t line = nf_rules_by_name(r->m, name, proto);
    if (live) {
        struct servent se;
        bool found = nf_by_name(name, proto, &se);
        CHECK(found == (line >= 0) && (!found || nf_servent_is(&se, &r->m->l[line])),
              "nss_files by name \"%.60s\"/%s: %s; the rules say line %lld", name,
              proto ? proto : "(null)", found ? se.s_name : "not found", (long long)line);
    }
    int code = iana_proto_code(proto);
    int64_t entry = code < 0 ? -1 : iana_db_by_name(&regdb, name, code);
    check_answer(r, iana_db_service_by_name(&r->db, name, proto), line, entry,
                 iana_db_service_by_name(&r->ro, name, proto), "by name", name, proto);
}

static void ask_port(struct run *r, uint16_t port, bool wide, const char *proto)
{
    int64_t line = nf_rules_by_port(r->m, port, wide, proto);
    if (live) {
        /* nss_files compares the int it is given with the line's
         * htons(port): bits above 16 match nothing.  */
        struct servent se;
        int nport = (int)htons(port) | (wide ? 0x10000 : 0);
        bool found = nf_by_port(nport, proto, &se);
        CHECK(found == (line >= 0) && (!found || nf_servent_is(&se, &r->m->l[line])),
              "nss_files by port %u%s/%s: %s; the rules say line %lld", port,
              wide ? " (wide)" : "", proto ? proto : "(null)", found ? se.s_name : "not found",
              (long long)line);
    }
    int code = iana_proto_code(proto);
    int64_t entry = code < 0 ? -1 : iana_db_by_port(&regdb, port, code);
    char q[16];
    snprintf(q, sizeof q, "%u%s", port, wide ? "+wide" : "");
    check_answer(r, iana_db_service_by_port(&r->db, port, wide, proto), line, entry,
                 iana_db_service_by_port(&r->ro, port, wide, proto), "by port", q, proto);
}

/* The protocols asked for each line: any, its own, and three fixed ones
 * (the registry's in two cases, and one getaddrinfo asks that the registry
 * does not have).  */
static void protocols(const struct nf_line *l, const char *out[5], size_t *n)
{
    static const char *const fixed[] = {"tcp", "TCP", "udplite"};
    *n = 0;
    out[(*n)++] = NULL;
    out[(*n)++] = l->proto;
    for (size_t k = 0; k < 3; k++)
        if (strcmp(fixed[k], l->proto) != 0)
            out[(*n)++] = fixed[k];
}

/* The name in another ASCII case: upper, or lower if it has no lower-case
 * letter; NULL if case does not change it.  */
static char *other_case(const char *s)
{
    char *c = strdup(s);
    CHECK(c != NULL, "out of memory");
    bool lower = false;
    for (char *p = c; *p; p++)
        lower |= *p >= 'a' && *p <= 'z';
    for (char *p = c; *p; p++)
        if (lower && *p >= 'a' && *p <= 'z')
            *p = (char)(*p - 'a' + 'A');
        else if (!lower && *p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    if (strcmp(c, s) == 0) {
        free(c);
        return NULL;
    }
    return c;
}

static void ask_line(struct run *r, const struct nf_line *l)
{
    const char *protos[5];
    size_t np;
    protocols(l, protos, &np);
    for (size_t a = 0; a <= l->nalias; a++) {
        if (a > ALIASES_MAX && a != l->nalias)
            continue;
        const char *name = a ? l->aliases[a - 1] : l->name;
        char *other = other_case(name);
        for (size_t p = 0; p < np; p++) {
            ask_name(r, name, protos[p]);
            if (other)
                ask_name(r, other, protos[p]);
        }
        free(other);
    }
    for (size_t p = 0; p < np; p++) {
        ask_port(r, l->port, false, protos[p]);
        ask_port(r, l->port, true, protos[p]);
    }
}

/* Queries a line costs, about.  */
static unsigned line_queries(const struct nf_line *l)
{
    size_t names = l->nalias < ALIASES_MAX ? l->nalias + 1 : ALIASES_MAX + 2;
    return (unsigned)(names * 2 * 5 + 10);
}

static void lookups(struct run *r, size_t physical)
{
    const struct nf_lines *m = r->m;
    unsigned total = 0;
    for (size_t i = 0; i < m->n; i++)
        total += line_queries(&m->l[i]);
    /* In memory the rules cost nothing; against nss_files each query
     * reads the file.  */
    unsigned allowed = live ? (unsigned)(LINE_BUDGET / (physical + 1)) : MAX_QUERIES;
    if (allowed < MIN_QUERIES)
        allowed = MIN_QUERIES;
    if (allowed > MAX_QUERIES)
        allowed = MAX_QUERIES;
    size_t stride = total <= allowed ? 1 : (total + allowed - 1) / allowed;
    for (size_t i = 0; i < m->n; i += stride)
        ask_line(r, &m->l[i]);
    if (m->n && (m->n - 1) % stride)
        ask_line(r, &m->l[m->n - 1]);

    /* The registry's names and ports, whether or not a line has them.  */
    static const char *const names[] = {"http", "www", "WWW", "domain", "x11", "nosuch"};
    static const char *const protos[] = {NULL, "tcp", "udp", "sctp", "DCCP", ""};
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++)
        for (size_t p = 0; p < sizeof protos / sizeof protos[0]; p++)
            ask_name(r, names[k], protos[p]);
    static const uint16_t ports[] = {7, 53, 80, 6010, 6514};
    for (size_t k = 0; k < sizeof ports / sizeof ports[0]; k++)
        for (size_t p = 0; p < sizeof protos / sizeof protos[0]; p++)
            ask_port(r, ports[k], false, protos[p]);
}

/* The enumeration: the file's lines, then the registry alone's.  */
static void enumerate(const struct run *r)
{
    const struct nf_lines *m = r->m;
    struct iana_cursor c = {0};
    uint32_t answer;
    uint16_t port;
    size_t i = 0;
    for (; iana_db_cursor_get(&r->db, &c, &answer, &port); iana_db_cursor_next(&r->db, &c), i++) {
        CHECK(i < m->n + reg_enum_n, "enumeration runs past %zu lines", m->n + reg_enum_n);
        if (i < m->n) {
            struct iana_view v;
            CHECK(answer == i && port == m->l[i].port && iana_db_answer(&r->db, answer, &v) == 0 &&
                      view_is(&v, &m->l[i]),
                  "enumeration line %zu: answer %u port %u, expected line %zu port %u", i, answer,
                  port, i, m->l[i].port);
        } else {
            const struct reg_line *e = &reg_enum[i - m->n];
            CHECK(answer == e->entry + m->n && port == e->port,
                  "enumeration line %zu: answer %u port %u, expected entry %u port %u", i, answer,
                  port, e->entry, e->port);
        }
    }
    CHECK(i == m->n + reg_enum_n, "enumeration gave %zu lines, expected %zu", i,
          m->n + reg_enum_n);
}

/* --- setup --------------------------------------------------------------- */

static void build_registry(void)
{
    char err[256];
    CHECK(registry_parse("fuzz-registry.csv", registry_csv, sizeof registry_csv - 1, &reg, err,
                         sizeof err) == 0, "%s", err);
    CHECK(registry_entries(&reg, &set, NULL) == 0, "registry_entries");
    const struct db_sources src = {.set = &set, .source_sha256 = reg.sha256};
    size_t len;
    CHECK(db_build(&src, &reg_bytes, &len, err, sizeof err) == 0, "db_build: %s", err);
    const char *why = NULL;
    CHECK(iana_db_view(reg_bytes, len, &regdb, &why) == 0, "registry view: %s", why);
    size_t cap = 256;
    reg_enum = malloc(cap * sizeof *reg_enum);
    struct iana_cursor c = {0};
    uint32_t entry;
    uint16_t port;
    for (; iana_db_cursor_get(&regdb, &c, &entry, &port); iana_db_cursor_next(&regdb, &c)) {
        CHECK(reg_enum_n < cap, "registry enumeration too long");
        reg_enum[reg_enum_n++] = (struct reg_line){entry, port};
    }
    CHECK(reg_enum_n == regdb.enum_count, "registry enumeration %zu, enum_count %u", reg_enum_n,
          regdb.enum_count);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    build_registry();
    const char *why;
    int err;
    file_fd = nf_overmount(&why, &err);
    live = file_fd >= 0;
    if (live) {
        snprintf(file_path, sizeof file_path, "%s", NF_ETC_SERVICES);
    } else {
        /* Still a real file, for services_read and iana_db_services_state;
         * unlinked, and reached through our descriptor.  */
        char tmp[] = "/tmp/fuzz_services.XXXXXX";
        file_fd = mkstemp(tmp);
        CHECK(file_fd >= 0, "mkstemp: %s", strerror(errno));
        unlink(tmp);
        snprintf(file_path, sizeof file_path, "/proc/self/fd/%d", file_fd);
        fprintf(stderr,
                "fuzz_services: %s (%s): comparing with glibc's line parser on lines cut as "
                "__nss_readline cuts them (this harness's emulation), not with nss_files "
                "reading " NF_ETC_SERVICES "\n",
                why, err ? strerror(err) : "-");
    }
    return 0;
}

/* The input into the file, in place: the bind mount stays on this inode.  */
static void put_file(const uint8_t *data, size_t size)
{
    CHECK(ftruncate(file_fd, 0) == 0, "ftruncate: %s", strerror(errno));
    size_t done = 0;
    while (done < size) {
        ssize_t n = pwrite(file_fd, data + done, size - done, (off_t)done);
        CHECK(n > 0, "pwrite: %s", strerror(errno));
        done += (size_t)n;
    }
}

static void parse(const uint8_t *data, size_t size, int use_glibc, struct services_file *sf)
{
    char err[256], *warnings = NULL;
    size_t wlen = 0;
    FILE *w = open_memstream(&warnings, &wlen);
    CHECK(w != NULL, "open_memstream");
    services_use_glibc = use_glibc;
    int rc = services_parse("fuzz", data, size, sf, w, err, sizeof err);
    services_use_glibc = 1;
    fclose(w);
    CHECK(rc == 0, "services_parse: %s", err);
    /* One warning a rejected line, each naming it.  */
    size_t nwarn = 0;
    for (const char *p = warnings; (p = strstr(p, "fuzz:")); p++)
        nwarn++;
    CHECK(nwarn == sf->rejected, "%zu warnings for %zu rejected lines", nwarn, sf->rejected);
    free(warnings);
    CHECK(sf->present && sf->id.size == size &&
              sf->id.hash == iana_file_hash(IANA_FILE_HASH_INIT, data, size),
          "services_parse identity");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    put_file(data, size);

    struct nf_lines emu = {0}, real = {0};
    nf_emulate(data, size, &emu);
    const struct nf_lines *m = &emu;
    if (live) {
        nf_enumerate(&real);
        CHECK(real.n == emu.n, "nss_files reads %zu lines, the harness's emulation %zu", real.n,
              emu.n);
        for (size_t i = 0; i < real.n; i++)
            CHECK(nf_line_eq(&real.l[i], &emu.l[i]), "line %zu: nss_files \"%.60s\", emulation \"%.60s\"",
                  i, real.l[i].name, emu.l[i].name);
        m = &real;
    }

    struct services_file sf, ours, onfile;
    parse(data, size, 1, &sf);
    compare_parse(m, &sf, emu.candidates, "services_parse (libc's line parser)");
    parse(data, size, 0, &ours);
    compare_parse(m, &ours, emu.candidates, "services_parse (ours)");
    services_free(&ours);
    char err[256];
    CHECK(services_read(file_path, &onfile, NULL, err, sizeof err) == 0, "services_read: %s", err);
    compare_parse(m, &onfile, emu.candidates, "services_read");
    struct stat sb;
    CHECK(fstat(file_fd, &sb) == 0 && onfile.present && onfile.id.ino == (uint64_t)sb.st_ino &&
              onfile.id.dev == (uint64_t)sb.st_dev && onfile.id.size == size &&
              onfile.id.hash == sf.id.hash,
          "services_read identity");
    services_free(&onfile);

    /* The merged database.  */
    const struct db_sources src = {
        .set = &set,
        .source_sha256 = reg.sha256,
        .source_path = "/fuzz/registry.csv",
        .services = &sf,
        .services_path = NF_ETC_SERVICES,
    };
    uint8_t *bytes;
    size_t len;
    CHECK(db_build(&src, &bytes, &len, err, sizeof err) == 0, "db_build: %s", err);
    /* Exactly its size on the heap: ASan sees a read past it.  */
    struct run r = {.m = m};
    const char *why = NULL;
    CHECK(iana_db_view(bytes, len, &r.db, &why) == 0, "view: %s", why);
    CHECK(iana_db_verify(&r.db, &why) == 0, "verify: %s", why);
    CHECK(r.db.file_count == m->n && r.db.entry_count == regdb.entry_count &&
              r.db.services.state == IANA_FILE_PRESENT && r.db.services.size == size &&
              r.db.services.hash == sf.id.hash,
          "header: %u lines, state %u, size %llu", r.db.file_count, r.db.services.state,
          (unsigned long long)r.db.services.size);
    CHECK(strcmp(iana_db_services_path(&r.db), NF_ETC_SERVICES) == 0 &&
              strcmp(iana_db_source_path(&r.db), "/fuzz/registry.csv") == 0,
          "paths recorded");
    iana_db_registry_only(&r.db, &r.ro);
    CHECK(r.ro.file_count == 0 && r.ro.services.state == IANA_FILE_NONE, "registry_only");

    size_t physical = 0;
    for (size_t i = 0; i < size; i++)
        physical += data[i] == '\n';
    lookups(&r, physical);
    enumerate(&r);

    /* The file as merged is current (same bytes, found by the hash: the
     * identity services_parse records is only size and hash); gone when
     * there is none; a registry-only database does not care.  */
    struct iana_file_seen known = {0};
    int saved = errno = 4242;
    CHECK(iana_db_services_state(&r.db, file_path, &known) == IANA_SERVICES_CURRENT,
          "the file merged is not current");
    CHECK(errno == saved, "services_state changed errno");
    CHECK(known.id.state == IANA_FILE_PRESENT && known.id.ino == (uint64_t)sb.st_ino &&
              iana_db_services_state(&r.db, file_path, &known) == IANA_SERVICES_CURRENT,
          "the identity found is not remembered");
    CHECK(iana_db_services_state(&r.db, "/nonexistent/fuzz_services", NULL) == IANA_SERVICES_GONE,
          "a missing file is not gone");
    CHECK(iana_db_services_state(&r.ro, "/nonexistent/fuzz_services", NULL) ==
              IANA_SERVICES_CURRENT,
          "registry_only cares about the file");

    free(bytes);
    services_free(&sf);
    nf_lines_free(&emu);
    nf_lines_free(&real);
    return 0;
}
