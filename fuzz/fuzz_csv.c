/* libFuzzer: CSV bytes -> registry_parse -> registry_entries -> db_build ->
 * iana_db_view -> iana_db_verify, then every reader call checked against a
 * brute-force oracle computed from the entries (README "What it answers").
 *
 * Input that the parser rejects must come with a "FILE:..." message; input it
 * accepts must compile, and the database the writer built must be accepted
 * by iana_db_view and iana_db_verify and answer as the rules say.  Any
 * violation aborts: that is a bug in parser/ or db/, not in the input.  */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../db/reader.h"
#include "../db/verify.h"
#include "../db/writer.h"
#include "../parser/registry.h"
#include "fuzz_util.h"

#define PATH "fuzz.csv"
/* Enumerate at most this many lines; a registry of large ranges (64 KiB of
 * "a,0-65535,tcp" rows) has hundreds of millions, so beyond this only the
 * first ENUM_CAP lines are compared.  */
#define ENUM_CAP (1u << 20)
/* The most bytes an entry's name and aliases may take with their NULs
 * (struct iana_entry.names_len); db_build must refuse more, not truncate.  */
#define NAMES_MAX ((UINT64_C(1) << (8 * sizeof(((struct iana_entry *)0)->names_len))) - 1)
/* Brute-force oracle budget: queries x entries compared per input.  */
#define ORACLE_BUDGET 2000000u


static const char *spelling(const struct service_entry *e, size_t k)
{
    return k == 0 ? e->name : e->aliases[k - 1];
}

/* A (spelling, protocol) the name index keys.  */
struct key {
    const char *s;
    unsigned proto;
};

static int key_cmp(const void *pa, const void *pb)
{
    const struct key *a = pa, *b = pb;
    int c = strcasecmp(a->s, b->s); /* the fuzzer runs in the C locale */
    if (!c)
        c = strcmp(a->s, b->s);
    return c ? c : (int)a->proto - (int)b->proto;
}

/* Whether some name, in any case, has more distinct (spelling, protocol)
 * pairs than two buckets of the name index hold.  */
static bool too_many_spellings(const struct entry_set *set)
{
    size_t n = 0, cap = 0;
    for (size_t i = 0; i < set->nentries; i++)
        cap += 1 + set->entries[i].nalias;
    struct key *k = malloc((cap + 1) * sizeof *k);
    if (!k)
        abort();
    for (size_t i = 0; i < set->nentries; i++)
        for (size_t a = 0; a <= set->entries[i].nalias; a++)
            k[n++] = (struct key){spelling(&set->entries[i], a), set->entries[i].proto};
    qsort(k, n, sizeof *k, key_cmp);
    bool over = false;
    for (size_t g = 0; g < n && !over;) {
        size_t distinct = 0, j = g;
        for (; j < n && strcasecmp(k[j].s, k[g].s) == 0; j++)
            distinct += j == g || key_cmp(&k[j - 1], &k[j]) != 0;
        over = distinct > 2 * IANA_NAME_BUCKET;
        g = j;
    }
    free(k);
    return over;
}

static bool has_spelling(const struct service_entry *e, const char *q, bool fold)
{
    for (size_t k = 0; k <= e->nalias; k++)
        if ((fold ? strcasecmp : strcmp)(spelling(e, k), q) == 0)
            return true;
    return false;
}

/* README rule 5: exact case on name or alias first, then ASCII case-
 * insensitive; the first entry in registry order wins.  */
static int64_t oracle_by_name(const struct entry_set *set, const char *q, int proto)
{
    for (int fold = 0; fold < 2; fold++)
        for (size_t j = 0; j < set->nentries; j++) {
            const struct service_entry *e = &set->entries[j];
            if ((proto == IANA_ANY_PROTO || e->proto == proto) && has_spelling(e, q, fold))
                return (int64_t)j;
        }
    return -1;
}

/* README rule 6: a single-port entry on the port before a range, then
 * registry order.  */
static int64_t oracle_by_port(const struct entry_set *set, uint16_t port, int proto)
{
    for (int range = 0; range < 2; range++)
        for (size_t j = 0; j < set->nentries; j++) {
            const struct service_entry *e = &set->entries[j];
            if ((e->port_lo != e->port_hi) == range && port >= e->port_lo &&
                port <= e->port_hi && (proto == IANA_ANY_PROTO || e->proto == proto))
                return (int64_t)j;
        }
    return -1;
}

static void check_name(const struct iana_db *db, const struct entry_set *set, const char *q)
{
    for (int p = 0; p <= IANA_ANY_PROTO; p++) {
        int64_t got = iana_db_by_name(db, q, p), want = oracle_by_name(set, q, p);
        CHECK(got == want, "by_name(\"%.80s\", %d) = %lld, expected %lld", q, p,
              (long long)got, (long long)want);
    }
}

static void check_port(const struct iana_db *db, const struct entry_set *set, uint16_t port)
{
    for (int p = 0; p <= IANA_ANY_PROTO; p++) {
        int64_t got = iana_db_by_port(db, port, p), want = oracle_by_port(set, port, p);
        CHECK(got == want, "by_port(%u, %d) = %lld, expected %lld", port, p,
              (long long)got, (long long)want);
    }
}

/* The same spelling in another case: upper, lower, or each letter flipped.  */
static void recase(char *dst, const char *src, size_t cap, int how)
{
    size_t i = 0;
    for (; src[i] && i + 1 < cap; i++) {
        unsigned char c = (unsigned char)src[i];
        bool up = c >= 'A' && c <= 'Z', low = c >= 'a' && c <= 'z';
        if ((how == 0 || how == 2) && low)
            c = (unsigned char)(c - 'a' + 'A');
        else if ((how == 1 || how == 2) && up)
            c = (unsigned char)(c - 'A' + 'a');
        dst[i] = (char)c;
    }
    dst[i] = '\0';
}

static void check_rows(const struct registry *reg)
{
    unsigned last = 0;
    for (size_t i = 0; i < reg->nrows; i++) {
        const struct registry_row *r = &reg->rows[i];
        for (int c = 0; c < NCOLUMNS; c++)
            CHECK(r->col[c] != NULL, "row %zu column %d is NULL", i, c);
        CHECK(r->line >= 1 && r->line >= last, "row %zu line %u after %u", i, r->line, last);
        last = r->line;
        CHECK(r->proto >= PROTO_BLANK && r->proto < IANA_NPROTO, "row %zu proto %d", i,
              r->proto);
        CHECK(!r->has_port || r->port_lo <= r->port_hi, "row %zu ports %u-%u", i, r->port_lo,
              r->port_hi);
        CHECK(!!r->has_port == !!*r->col[COL_PORT], "row %zu has_port %d for \"%.40s\"", i,
              r->has_port, r->col[COL_PORT]);
    }
}

static void check_entries(const struct registry *reg, const struct entry_set *set)
{
    const struct entry_summary *s = &set->summary;
    size_t per_proto = 0, served_rows = 0;
    for (int p = 0; p < IANA_NPROTO; p++)
        per_proto += s->per_proto[p];
    for (size_t i = 0; i < reg->nrows; i++)
        served_rows += *reg->rows[i].col[COL_NAME] && registry_name_ok(reg->rows[i].col[COL_NAME]) &&
                       reg->rows[i].has_port;
    CHECK(s->rows == reg->nrows && s->entries == set->nentries && per_proto == set->nentries &&
              s->portless == set->nportless,
          "summary counts disagree with the set");
    CHECK(s->skipped_unnamed + s->skipped_bad_name + s->portless + served_rows == reg->nrows,
          "rows not accounted for: %zu unnamed + %zu bad + %zu portless + %zu served != %zu",
          s->skipped_unnamed, s->skipped_bad_name, s->portless, served_rows, reg->nrows);
    for (size_t i = 0; i < set->nentries; i++) {
        const struct service_entry *e = &set->entries[i];
        CHECK(e->proto < IANA_NPROTO && e->port_lo <= e->port_hi && e->row,
              "entry %zu malformed", i);
        for (size_t k = 0; k <= e->nalias; k++) {
            CHECK(registry_name_ok(spelling(e, k)), "entry %zu spelling %zu not a token", i, k);
            for (size_t m = 0; m < k; m++)
                CHECK(strcmp(spelling(e, k), spelling(e, m)) != 0,
                      "entry %zu lists \"%s\" twice", i, spelling(e, k));
        }
    }
    for (size_t i = 0; i < set->nportless; i++)
        CHECK(!set->portless[i]->has_port && registry_name_ok(set->portless[i]->col[COL_NAME]),
              "portless row %zu", i);
}

/* Entry i of the database is entry i of the set, names and all.  */
static void check_entry(const struct iana_db *db, const struct entry_set *set, uint32_t i)
{
    const struct service_entry *e = &set->entries[i];
    struct iana_view v;
    CHECK(iana_db_entry(db, i, &v) == 0, "entry %u does not decode", i);
    CHECK(v.port_lo == e->port_lo && v.port_hi == e->port_hi && v.proto == e->proto &&
              v.nalias == e->nalias,
          "entry %u fields differ", i);
    const char *p = v.names;
    for (size_t k = 0; k <= e->nalias; k++) {
        CHECK(strcmp(p, spelling(e, k)) == 0, "entry %u spelling %zu \"%s\" != \"%s\"", i, k,
              p, spelling(e, k));
        p += strlen(p) + 1;
    }
    CHECK((size_t)(p - v.names) == v.names_len, "entry %u names_len", i);
    for (int f = 0; f < IANA_NMETA; f++)
        CHECK(strcmp(iana_db_meta(db, i, (enum iana_meta_field)f), e->row->col[db_meta_column[f]]) == 0,
              "entry %u meta %d", i, f);
}

static void check_enumeration(const struct iana_db *db, const struct entry_set *set)
{
    struct iana_cursor c = {0};
    uint32_t entry;
    uint16_t port;
    uint64_t lines = 0;
    for (size_t i = 0; i < set->nentries && lines < ENUM_CAP; i++) {
        const struct service_entry *e = &set->entries[i];
        for (uint32_t p = e->port_lo; p <= e->port_hi && lines < ENUM_CAP; p++, lines++) {
            CHECK(iana_db_cursor_get(db, &c, &entry, &port), "enumeration ended at line %llu",
                  (unsigned long long)lines);
            CHECK(entry == i && port == p, "line %llu is %u/%u, expected %zu/%u",
                  (unsigned long long)lines, entry, port, i, p);
            iana_db_cursor_next(db, &c);
        }
    }
    if (lines < ENUM_CAP) {
        CHECK(lines == db->enum_count, "enum_count %u, %llu lines", db->enum_count,
              (unsigned long long)lines);
        CHECK(!iana_db_cursor_get(db, &c, &entry, &port), "enumeration does not end");
        iana_db_cursor_next(db, &c); /* at the end: stays there */
        CHECK(!iana_db_cursor_get(db, &c, &entry, &port), "enumeration restarts");
    }
}

static void check_db(const uint8_t *buf, size_t len, const struct registry *reg,
                     const struct entry_set *set)
{
    struct iana_db db;
    const char *why = NULL;
    CHECK(iana_db_view(buf, len, &db, &why) == 0, "the writer's database fails view: %s", why);
    CHECK(iana_db_verify(&db, &why) == 0, "the writer's database fails verify: %s", why);

    uint64_t lines = 0;
    for (size_t i = 0; i < set->nentries; i++)
        lines += (uint64_t)set->entries[i].port_hi - set->entries[i].port_lo + 1;
    CHECK(db.entry_count == set->nentries && db.enum_count == lines &&
              db.portless_count == set->nportless &&
              memcmp(db.hdr->source_sha256, reg->sha256, 32) == 0,
          "header counts differ from the set");

    struct iana_view v;
    CHECK(iana_db_entry(&db, (uint32_t)set->nentries, &v) < 0, "entry past the end decodes");
    for (uint32_t i = 0; i < set->nentries; i++)
        check_entry(&db, set, i);

    /* Lookups of every spelling of a sample of entries, in three other
     * cases, and of their ports, against the brute-force oracle.  */
    size_t n = set->nentries, spellings = 1;
    for (size_t i = 0; i < n; i++)
        spellings += 1 + set->entries[i].nalias;
    size_t sample = ORACLE_BUDGET / (spellings * 4 * 5 + 1);
    if (sample < 4)
        sample = 4;
    if (sample > n)
        sample = n;
    for (size_t k = 0; k < sample; k++) {
        const struct service_entry *e = &set->entries[n == sample ? k : k * n / sample];
        for (size_t a = 0; a <= e->nalias; a++) {
            char other[256];
            check_name(&db, set, spelling(e, a));
            for (int how = 0; how < 3; how++) {
                recase(other, spelling(e, a), sizeof other, how);
                check_name(&db, set, other);
            }
        }
        check_port(&db, set, e->port_lo);
        if (e->port_hi != e->port_lo) {
            check_port(&db, set, e->port_hi);
            check_port(&db, set, (uint16_t)(e->port_lo + (e->port_hi - e->port_lo) / 2));
        }
    }
    static const char *const fixed[] = {"http", "www", "HTTP", "cl/1", "x11", ""};
    for (size_t k = 0; k < sizeof fixed / sizeof fixed[0]; k++)
        check_name(&db, set, fixed[k]);
    static const uint16_t ports[] = {0, 80, 6010, 65535};
    for (size_t k = 0; k < sizeof ports / sizeof ports[0]; k++)
        check_port(&db, set, ports[k]);

    check_enumeration(&db, set);

    /* Names without a port: each one found (the first case-insensitive
     * match), with its row's fields.  */
    for (uint32_t i = 0; i < set->nportless; i++) {
        const struct registry_row *r = set->portless[i];
        CHECK(strcmp(iana_db_portless_name(&db, i), r->col[COL_NAME]) == 0, "portless %u name", i);
        for (int f = 0; f < IANA_NMETA; f++)
            CHECK(strcmp(iana_db_portless_meta(&db, i, (enum iana_meta_field)f),
                         r->col[db_meta_column[f]]) == 0,
                  "portless %u meta %d", i, f);
        if (i < sample) {
            int64_t got = iana_db_portless(&db, r->col[COL_NAME]), want = i;
            for (uint32_t j = 0; j < i; j++)
                if (strcasecmp(set->portless[j]->col[COL_NAME], r->col[COL_NAME]) == 0) {
                    want = j;
                    break;
                }
            CHECK(got == want, "portless(\"%s\") = %lld, expected %lld", r->col[COL_NAME],
                  (long long)got, (long long)want);
        }
    }
    CHECK(*iana_db_portless_name(&db, (uint32_t)set->nportless) == '\0', "portless past end");
    CHECK(*iana_db_meta(&db, (uint32_t)set->nentries, IANA_META_DESCRIPTION) == '\0',
          "meta past end");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct registry reg;
    struct entry_set set;
    char err[512];

    if (registry_parse(PATH, data, size, &reg, err, sizeof err) < 0) {
        CHECK(strncmp(err, PATH ":", sizeof PATH) == 0 && strlen(err) > sizeof PATH,
              "rejected without a FILE:LINE message: \"%s\"", err);
        registry_free(&reg);
        return 0;
    }
    /* A body that does not end where a record ends was cut short.  */
    CHECK(size > 0 && data[size - 1] == '\n', "accepted without a final line end");
    check_rows(&reg);
    CHECK(registry_entries(&reg, &set, NULL) == 0, "registry_entries failed");
    check_entries(&reg, &set);

    uint8_t *buf = NULL;
    size_t len = 0;
    /* The two refusals a registry can earn: names too long for an entry,
     * and a name with more spellings (in case) times protocols than its
     * two buckets hold.  */
    bool too_long = false;
    for (size_t i = 0; i < set.nentries && !too_long; i++) {
        const struct service_entry *e = &set.entries[i];
        uint64_t n = 0;
        for (size_t k = 0; k <= e->nalias; k++)
            n += strlen(spelling(e, k)) + 1;
        too_long = n > NAMES_MAX;
    }
    bool too_many = !too_long && too_many_spellings(&set);
    const struct db_sources src = {.set = &set, .source_sha256 = reg.sha256};
    int built = db_build(&src, &buf, &len, err, sizeof err);
    CHECK((built < 0) == (too_long || too_many), "db_build %s: %s",
          built < 0 ? "failed" : "succeeded",
          built < 0 ? err : "but it should have refused the names");
    if (built == 0) {
        check_db(buf, len, &reg, &set);
        free(buf);
    }
    entry_set_free(&set);
    registry_free(&reg);
    return 0;
}
