/* The database's protocols answers (db/format.h, PROTO_*; db/protocols.c)
 * against a brute-force model of `protocols: files iana` run over the
 * parser's output: the protocols file's lines first, strcmp on names and
 * aliases and int equality on numbers, the first line in file order; then
 * the registry, its names exact then in ASCII case, the first entry of a
 * number.  Over the vendored registry with this machine's /etc/protocols,
 * with tests/data/hostile.protocols and with no file, every name and
 * alias in four cases and hundreds of numbers; the registry-only view of
 * a deleted file; the enumeration; verify catching a key moved or a
 * number changed; and a reader refusing the format before protocols.  */
#define _GNU_SOURCE
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../db/verify.h"
#include "../db/writer.h"
#include "../parser/protocols.h"
#include "../parser/protocols_file.h"
#include "testutil.h"

#define PROTO_CSV "data/protocol-numbers-1.csv"
#define HOSTILE "tests/data/hostile.protocols"

struct fixture {
    struct protocol_registry reg;
    struct protocol_set set;
    struct protocols_file pf;
    int merged;
    uint8_t *bytes;
    size_t len;
    struct iana_db db;
};

static void build(struct fixture *f, const char *file)
{
    char err[512];
    struct registry sreg;
    struct entry_set sset;
    static const char csv[] = TU_HEADER "http,80,tcp,World Wide Web,,,,,,,,\n";
    memset(f, 0, sizeof *f);
    if (protocols_read(PROTO_CSV, &f->reg, err, sizeof err) != 0)
        fail_msg("%s", err);
    assert_int_equal(protocol_entries(&f->reg, &f->set, NULL), 0);
    if (file) {
        if (protocols_file_read(file, &f->pf, NULL, err, sizeof err) != 0)
            fail_msg("%s", err);
        f->merged = 1;
    }
    assert_int_equal(registry_parse("s.csv", csv, strlen(csv), &sreg, err, sizeof err), 0);
    assert_int_equal(registry_entries(&sreg, &sset, NULL), 0);
    const struct db_sources src = {
        .set = &sset,
        .source_sha256 = sreg.sha256,
        .protocols = &f->set,
        .protocols_sha256 = f->reg.sha256,
        .protocols_source_path = "/x/protocol-numbers-1.csv",
        .protocols_file = file ? &f->pf : NULL,
        .protocols_path = file ? "/etc/protocols" : NULL,
    };
    if (db_build(&src, &f->bytes, &f->len, err, sizeof err) != 0)
        fail_msg("build: %s", err);
    entry_set_free(&sset);
    registry_free(&sreg);
    tu_view(f->bytes, f->len, &f->db);
    const char *why;
    if (iana_db_verify(&f->db, &why) != 0)
        fail_msg("verify: %s", why);
}

static void unbuild(struct fixture *f)
{
    free(f->bytes);
    protocols_file_free(&f->pf);
    protocol_set_free(&f->set);
    protocols_free(&f->reg);
}

/* The model's answer as (is a file line, index), or -1.  */
static int64_t model_by_name(const struct fixture *f, int use_file, const char *q)
{
    for (size_t i = 0; use_file && i < f->pf.nlines; i++) {
        const struct protocols_line *l = &f->pf.lines[i];
        if (strcmp(l->name, q) == 0)
            return (int64_t)i;
        for (size_t a = 0; a < l->nalias; a++)
            if (strcmp(l->aliases[a], q) == 0)
                return (int64_t)i;
    }
    size_t base = f->pf.nlines;
    for (int fold = 0; fold <= 1; fold++)
        for (size_t i = 0; i < f->set.nentries; i++) {
            const struct protocol_entry *e = &f->set.entries[i];
            for (size_t a = 0; a <= e->nalias; a++) {
                const char *s = a ? e->aliases[a - 1] : e->name;
                if (fold ? iana_ascii_caseeq(s, q) : strcmp(s, q) == 0)
                    return (int64_t)(base + i);
            }
        }
    return -1;
}

static int64_t model_by_number(const struct fixture *f, int use_file, int n)
{
    for (size_t i = 0; use_file && i < f->pf.nlines; i++)
        if (f->pf.lines[i].number == n)
            return (int64_t)i;
    for (size_t i = 0; i < f->set.nentries; i++)
        if (f->set.entries[i].number == n)
            return (int64_t)(f->pf.nlines + i);
    return -1;
}

static void spellings(const char *s, char out[4][4096])
{
    size_t n = strlen(s) < 4095 ? strlen(s) : 4095;
    for (int k = 0; k < 4; k++) {
        for (size_t i = 0; i < n; i++) {
            char c = s[i];
            int up = k == 1 || (k == 3 && i % 2 == 0), low = k == 2 || (k == 3 && i % 2 == 1);
            out[k][i] = up && c >= 'a' && c <= 'z' ? (char)(c - 32)
                      : low && c >= 'A' && c <= 'Z' ? (char)(c + 32)
                      : c;
        }
        out[k][n] = '\0';
    }
}

static size_t compare(const struct fixture *f, const struct iana_db *db, int use_file)
{
    size_t queries = 0;
    char sp[4][4096];
#define NAME_Q(q)                                                                          \
    do {                                                                                   \
        int64_t want = model_by_name(f, use_file, q), got = iana_db_proto_by_name(db, q);  \
        if (want != got)                                                                   \
            fail_msg("by name %s: model %lld, db %lld", q, (long long)want, (long long)got); \
        queries++;                                                                         \
    } while (0)
    for (size_t i = 0; i < f->pf.nlines; i++) {
        const struct protocols_line *l = &f->pf.lines[i];
        for (size_t a = 0; a <= l->nalias; a++) {
            spellings(a ? l->aliases[a - 1] : l->name, sp);
            for (int k = 0; k < 4; k++)
                NAME_Q(sp[k]);
        }
    }
    for (size_t i = 0; i < f->set.nentries; i++) {
        const struct protocol_entry *e = &f->set.entries[i];
        for (size_t a = 0; a <= e->nalias; a++) {
            spellings(a ? e->aliases[a - 1] : e->name, sp);
            for (int k = 0; k < 4; k++)
                NAME_Q(sp[k]);
        }
    }
    static const char *const misses[] = {"", "nonesuch", "tcp ", " tcp", "reserved",
                                         "Unassigned", "ISIS over IPv4"};
    for (size_t i = 0; i < sizeof misses / sizeof *misses; i++)
        NAME_Q(misses[i]);
    int numbers[600], nn = 0;
    for (int n = -5; n <= 300; n++)
        numbers[nn++] = n;
    numbers[nn++] = INT_MIN;
    numbers[nn++] = INT_MAX;
    numbers[nn++] = 65536;
    for (size_t i = 0; i < f->pf.nlines && nn < 600; i++)
        numbers[nn++] = f->pf.lines[i].number;
    for (int i = 0; i < nn; i++) {
        int64_t want = model_by_number(f, use_file, numbers[i]);
        int64_t got = iana_db_proto_by_number(db, numbers[i]);
        if (want != got)
            fail_msg("by number %d: model %lld, db %lld", numbers[i], (long long)want,
                     (long long)got);
        queries++;
    }
    /* The enumeration: the file's lines, then the registry's entries.  */
    uint32_t answer, c = 0;
    for (; iana_db_proto_cursor_get(db, c, &answer); c++) {
        struct iana_proto_view v;
        assert_int_equal(iana_db_proto(db, answer, &v), 0);
        size_t want = use_file ? c : c + f->pf.nlines;
        assert_int_equal(answer, want);
        const char *name = want < f->pf.nlines ? f->pf.lines[want].name
                                               : f->set.entries[want - f->pf.nlines].name;
        assert_string_equal(v.names, name);
    }
    assert_int_equal(c, (use_file ? f->pf.nlines : 0) + f->set.nentries);
    return queries;
}

static void with_file(const char *label, const char *file)
{
    struct fixture f;
    build(&f, file);
    size_t q = compare(&f, &f.db, 1);
    struct iana_db gone;
    iana_db_protocols_registry_only(&f.db, &gone);
    q += compare(&f, &gone, 0);
    printf("%s: %zu lines, %zu registry entries: %zu queries as the model answers them\n",
           label, f.pf.nlines, f.set.nentries, q);
    unbuild(&f);
}

static void registry_alone(void **state)
{
    (void)state;
    with_file("no protocols file", NULL);
}

static void machine_file(void **state)
{
    (void)state;
    with_file("/etc/protocols", "/etc/protocols");
}

static void hostile_file(void **state)
{
    (void)state;
    with_file("hostile.protocols", HOSTILE);
}

static void description_and_flags(void **state)
{
    (void)state;
    struct fixture f;
    build(&f, NULL);
    int64_t e = iana_db_proto_by_name(&f.db, "ipv6-route");
    struct iana_proto_view v;
    assert_true(e >= 0);
    assert_int_equal(iana_db_proto(&f.db, (uint32_t)e, &v), 0);
    assert_int_equal(v.number, 43);
    assert_true(v.flags & IANA_PROTO_IPV6_EXT);
    assert_false(v.from_file);
    /* From the registry's own row, whatever it says.  */
    const struct protocol_entry *r = &f.set.entries[e];
    assert_string_equal(iana_db_proto_description(&f.db, (uint32_t)e), r->description);
    assert_string_equal(iana_db_proto_reference(&f.db, (uint32_t)e), r->reference);
    e = iana_db_proto_by_name(&f.db, "tcp");
    assert_int_equal(iana_db_proto(&f.db, (uint32_t)e, &v), 0);
    assert_false(v.flags & IANA_PROTO_IPV6_EXT);
    assert_string_equal(iana_db_proto_source_path(&f.db), "/x/protocol-numbers-1.csv");
    assert_string_equal(iana_db_protocols_path(&f.db), "");
    unbuild(&f);
}

/* A change verify must see even with the checksum made right again.  */
static void expect_rejected(struct fixture *f, size_t at, uint32_t value, const char *what)
{
    uint8_t *copy = malloc(f->len);
    memcpy(copy, f->bytes, f->len);
    uint32_t le = iana_le32(value);
    memcpy(copy + at, &le, 4);
    iana_db_checksum(copy, f->len, ((struct iana_header *)(void *)copy)->checksum);
    struct iana_db db;
    const char *why = NULL;
    if (iana_db_view(copy, f->len, &db, &why) == 0 && iana_db_verify(&db, &why) == 0)
        fail_msg("%s: verify accepted it", what);
    free(copy);
}

static void verify_sees_inconsistencies(void **state)
{
    (void)state;
    struct fixture f;
    build(&f, HOSTILE);
    const struct iana_header *h = (const void *)f.bytes;
    size_t names = iana_le32(h->section[IANA_SEC_PROTO_NAMES].offset);
    size_t keys = names + 4 * ((size_t)f.db.proto_name_buckets + 1);
    size_t entries = iana_le32(h->section[IANA_SEC_PROTO_ENTRIES].offset);
    size_t numbers = iana_le32(h->section[IANA_SEC_PROTO_NUMBERS].offset);
    /* A key pointing at another entry, a tag changed, a number changed, a
     * registry number over 255, the table of numbers pointing at a line.  */
    expect_rejected(&f, keys + offsetof(struct iana_proto_key, entry),
                    iana_le32(f.db.proto_keys[0].entry) + 1, "key entry");
    expect_rejected(&f, keys + offsetof(struct iana_proto_key, tag),
                    iana_le32(f.db.proto_keys[0].tag) ^ 1, "key tag");
    expect_rejected(&f, entries + offsetof(struct iana_proto_entry, number), 12345, "number");
    expect_rejected(&f, entries + (size_t)f.db.proto_file_count * 32 +
                            offsetof(struct iana_proto_entry, number), 256, "registry number");
    expect_rejected(&f, numbers + 6 * 4, 0, "first[6] at a line");
    expect_rejected(&f, entries + offsetof(struct iana_proto_entry, names_len), 1, "names_len");
    unbuild(&f);
}

static void old_format_refused(void **state)
{
    (void)state;
    struct fixture f;
    build(&f, NULL);
    uint32_t v3 = iana_le32(3);
    memcpy(f.bytes + offsetof(struct iana_header, version), &v3, 4);
    struct iana_db db;
    const char *why = NULL;
    assert_int_equal(iana_db_view(f.bytes, f.len, &db, &why), -1);
    assert_string_equal(why, "unsupported format version");
    unbuild(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(registry_alone),
        cmocka_unit_test(machine_file),
        cmocka_unit_test(hostile_file),
        cmocka_unit_test(description_and_flags),
        cmocka_unit_test(verify_sees_inconsistencies),
        cmocka_unit_test(old_format_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
