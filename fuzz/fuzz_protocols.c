/* libFuzzer: the protocols inputs (database checks by
 * iana_db_verify_protocols).  The first byte picks which the rest
 * is:
 *   even: a protocol numbers registry CSV -> protocols_parse ->
 *         protocol_entries -> db_build -> iana_db_view + iana_db_verify,
 *         then the lookups checked against a brute-force model of the
 *         rules (parser/protocols.h): exact then ASCII case, the first
 *         entry of a number, no name of one entry another's in any case;
 *   odd:  a protocols(5) file -> protocols_file_parse with libc's line
 *         parser and with ours (the same lines, in the same order), merged
 *         before a small fixed registry into a database that must verify
 *         and answer as `protocols: files iana` (the first line with the
 *         name or number, strcmp, then the registry).
 * glibc's nss_files reading whole files is held against the reader in
 * tests/test_protocols_file.c and tests/protocols.sh; this is the cheap,
 * fast half.  Any violation aborts.  */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../db/reader.h"
#include "../db/verify.h"
#include "../db/writer.h"
#include "../parser/protocols.h"
#include "../parser/protocols_file.h"
#include "../parser/registry.h"
#include "fuzz_util.h"

#define SAMPLE 64

static const char services_csv[] =
    "Service Name,Port Number,Transport Protocol,Description\nhttp,80,tcp,web\n";
static const char registry_csv[] =
    "Decimal,Keyword,Protocol,IPv6 Extension Header,Reference\n"
    "0,HOPOPT,IPv6 Hop-by-Hop Option,Y,[RFC8200]\n1,ICMP,Internet Control Message,,[RFC792]\n"
    "6,TCP,Transmission Control,,[RFC9293]\n13,ARGUS (deprecated),ARGUS,,[x]\n"
    "17,UDP,User Datagram,,[RFC768]\n135,Mobility Header,,Y,[RFC6275]\n"
    "148-252,,Unassigned,,[IANA]\n255,Reserved,,,[IANA]\n";

struct spell {
    const char *s;
    uint32_t answer;
    bool file;
};

static void flip(const char *s, char *out, size_t cap)
{
    size_t n = 0;
    for (; s[n] && n + 1 < cap; n++)
        out[n] = (char)((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= 'A' && s[n] <= 'Z') ? s[n] ^ 0x20
                                                                                      : s[n]);
    out[n] = '\0';
}

/* The model: answers are the file's lines (0 .. nlines-1), then the
 * registry's entries.  */
struct model {
    const struct protocols_file *pf;
    const struct protocol_set *set;
};

static int64_t model_name(const struct model *m, const char *q)
{
    size_t nl = m->pf ? m->pf->nlines : 0;
    for (size_t i = 0; i < nl; i++) {
        const struct protocols_line *l = &m->pf->lines[i];
        if (strcmp(l->name, q) == 0)
            return (int64_t)i;
        for (size_t a = 0; a < l->nalias; a++)
            if (strcmp(l->aliases[a], q) == 0)
                return (int64_t)i;
    }
    for (int fold = 0; fold <= 1; fold++)
        for (size_t i = 0; i < m->set->nentries; i++) {
            const struct protocol_entry *e = &m->set->entries[i];
            for (size_t a = 0; a <= e->nalias; a++) {
                const char *s = a ? e->aliases[a - 1] : e->name;
                if (fold ? iana_ascii_caseeq(s, q) : strcmp(s, q) == 0)
                    return (int64_t)(nl + i);
            }
        }
    return -1;
}

static int64_t model_number(const struct model *m, int n)
{
    size_t nl = m->pf ? m->pf->nlines : 0;
    for (size_t i = 0; i < nl; i++)
        if (m->pf->lines[i].number == n)
            return (int64_t)i;
    for (size_t i = 0; i < m->set->nentries; i++)
        if (m->set->entries[i].number == n)
            return (int64_t)(nl + i);
    return -1;
}

static void check_db(const struct model *m)
{
    struct registry sreg;
    struct entry_set sset;
    char err[512];
    CHECK(registry_parse("s.csv", services_csv, sizeof services_csv - 1, &sreg, err, sizeof err) == 0 &&
              registry_entries(&sreg, &sset, NULL) == 0,
          "the fixed services registry");
    const struct db_sources src = {
        .set = &sset,
        .source_sha256 = sreg.sha256,
        .protocols = m->set,
        .protocols_file = m->pf,
    };
    uint8_t *bytes;
    size_t len;
    CHECK(db_build(&src, &bytes, &len, err, sizeof err) == 0, "db_build: %s", err);
    struct iana_db db;
    const char *why = NULL;
    CHECK(iana_db_view(bytes, len, &db, &why) == 0, "view: %s", why);
    /* The protocols sections: iana_db_verify's whole pass over the
     * services' 65,536 ports would take most of each execution.  */
    CHECK(iana_db_verify_protocols(&db, &why) == 0, "verify: %s", why);
    size_t nl = m->pf ? m->pf->nlines : 0;
    CHECK(db.proto_count == nl + m->set->nentries && db.proto_file_count == nl, "counts");
    /* Every spelling (as written and case flipped) of the first answers. */
    size_t asked = 0;
    for (size_t i = 0; i < nl + m->set->nentries && asked < SAMPLE; i++) {
        struct iana_proto_view v;
        CHECK(iana_db_proto(&db, (uint32_t)i, &v) == 0, "answer %zu decodes", i);
        const char *p = v.names;
        for (unsigned a = 0; a <= v.nalias && asked < SAMPLE; a++, p += strlen(p) + 1, asked++) {
            char f[256];
            flip(p, f, sizeof f);
            CHECK(iana_db_proto_by_name(&db, p) == model_name(m, p), "by name %.40s", p);
            CHECK(iana_db_proto_by_name(&db, f) == model_name(m, f), "by name %.40s", f);
        }
        CHECK(iana_db_proto_by_number(&db, v.number) == model_number(m, v.number), "number %d",
              (int)v.number);
    }
    for (int n = -2; n <= 257; n += 1)
        CHECK(iana_db_proto_by_number(&db, n) == model_number(m, n), "number %d", n);
    uint32_t a, c = 0;
    while (iana_db_proto_cursor_get(&db, c, &a)) {
        CHECK(a == c, "cursor %u", c);
        c++;
    }
    CHECK(c == db.proto_count, "enumeration: %u of %u", c, db.proto_count);
    free(bytes);
    entry_set_free(&sset);
    registry_free(&sreg);
}

static void registry_input(const uint8_t *data, size_t size)
{
    struct protocol_registry reg;
    struct protocol_set set;
    char err[512] = "";
    if (protocols_parse("fuzz.csv", data, size, &reg, err, sizeof err) < 0) {
        CHECK(strncmp(err, "fuzz.csv", 8) == 0, "a refusal says where: %s", err);
        CHECK(reg.nrows == 0, "a refused file keeps no rows");
        protocols_free(&reg);
        return;
    }
    for (size_t i = 0; i < reg.nrows; i++)
        CHECK(reg.rows[i].lo <= reg.rows[i].hi && reg.rows[i].line > 0, "row %zu", i);
    CHECK(protocol_entries(&reg, &set, NULL) == 0, "protocol_entries");
    for (size_t i = 0; i < set.nentries; i++) {
        const struct protocol_entry *e = &set.entries[i];
        CHECK(e->name[0] && e->nalias <= 1, "entry %zu", i);
        for (const char *p = e->name; *p; p++)
            CHECK(!(*p >= 'A' && *p <= 'Z') && *p != ' ', "entry %zu: %s not lower case", i, e->name);
        /* No name of one entry is another's in any case.  */
        for (size_t j = 0; j < i; j++)
            for (size_t a = 0; a <= e->nalias; a++)
                for (size_t b = 0; b <= set.entries[j].nalias; b++)
                    CHECK(!iana_ascii_caseeq(a ? e->aliases[a - 1] : e->name,
                                             b ? set.entries[j].aliases[b - 1] : set.entries[j].name),
                          "entries %zu and %zu share a name", j, i);
    }
    struct model m = {NULL, &set};
    check_db(&m);
    protocol_set_free(&set);
    protocols_free(&reg);
}

static void file_input(const uint8_t *data, size_t size)
{
    struct protocols_file libc, ours;
    char err[512];
    protocols_file_use_glibc = 1;
    CHECK(protocols_file_parse("fuzz", data, size, &libc, NULL, err, sizeof err) == 0, "%s", err);
    protocols_file_use_glibc = 0;
    CHECK(protocols_file_parse("fuzz", data, size, &ours, NULL, err, sizeof err) == 0, "%s", err);
    protocols_file_use_glibc = 1;
    CHECK(libc.nlines == ours.nlines && libc.rejected == ours.rejected,
          "libc's parser %zu lines (%zu rejected), ours %zu (%zu)", libc.nlines, libc.rejected,
          ours.nlines, ours.rejected);
    for (size_t i = 0; i < libc.nlines; i++) {
        const struct protocols_line *a = &libc.lines[i], *b = &ours.lines[i];
        CHECK(a->line == b->line && a->number == b->number && strcmp(a->name, b->name) == 0 &&
                  a->nalias == b->nalias,
              "line %zu: %s %d / %s %d", i, a->name, (int)a->number, b->name, (int)b->number);
        for (size_t k = 0; k < a->nalias; k++)
            CHECK(strcmp(a->aliases[k], b->aliases[k]) == 0, "line %zu alias %zu", i, k);
    }
    struct protocol_registry reg;
    struct protocol_set set;
    CHECK(protocols_parse("r.csv", registry_csv, sizeof registry_csv - 1, &reg, err, sizeof err) == 0 &&
              protocol_entries(&reg, &set, NULL) == 0,
          "the fixed registry");
    struct model m = {&libc, &set};
    check_db(&m);
    protocol_set_free(&set);
    protocols_free(&reg);
    protocols_file_free(&libc);
    protocols_file_free(&ours);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    /* Exactly the input's bytes on the heap: one past them is a redzone.  */
    uint8_t *buf = malloc(size - 1 ? size - 1 : 1);
    if (!buf)
        return 0;
    memcpy(buf, data + 1, size - 1);
    if (data[0] & 1)
        file_input(buf, size - 1);
    else
        registry_input(buf, size - 1);
    free(buf);
    return 0;
}
