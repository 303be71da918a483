/* db/: lookups, enumeration, validation and the atomic write.  */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <dirent.h>
#include <locale.h>

#include <cmocka.h>

#include "../db/verify.h"
#include "../db/writer.h"
#include "testutil.h"

/* A registry that exercises every rule at once.  */
static const char registry[] = TU_HEADER
    "msp,18,tcp,Message Send Protocol,,,,,,,,\n"
    "name,42,tcp,Host Name Server,,,,,,,,\n"
    "nameserver,42,tcp,Host Name Server,,,,,,,,\n"
    "http,80,tcp,World Wide Web HTTP,,,,,,,,\n"
    "www,80,tcp,World Wide Web HTTP,,,,,,,,\"This is a duplicate of the \"\"http\"\" service\"\n"
    "http,80,udp,World Wide Web HTTP,,,,,,,,\n"
    "http,80,sctp,HTTP,,,,,,,,\n"
    "Mixed,90,udp,case,,,,,,,,\n"
    "mixed,91,tcp,other case,,,,,,,,\n"
    "wide,100-103,tcp,a range listed first,,,,,,,,\n"
    "single,102,tcp,single beats range,,,,,,,,\n"
    "wide,100-103,udp,a range,,,,,,,,\n"
    "later,103,sctp,single in another protocol,,,,,,,,\n"
    "msp,2438,tcp,second msp,,,,,,,,\n"
    "bgp,179,sctp,BGP,,,,,,,,\n"
    "_sd,,,DNS-SD name,,,,,,,,\n";

/* A services file merged before it, for the tests of damage: its sections
 * must be as safe to read as the registry's.  */
static const char services[] =
    "whois 43/tcp nicname\n"
    "echo 4/ddp\n"
    "msp 18/tcp alias-of-msp\n"
    "noproto 99\n"
    "many 1234/udp a b c d e f g h\n";

static struct iana_db db;
static uint8_t *bytes, *merged;
static size_t len, merged_len;

static int setup(void **state)
{
    (void)state;
    bytes = tu_build(registry, &len);
    merged = tu_build_merged(registry, services, &merged_len);
    tu_view(bytes, len, &db);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(bytes);
    free(merged);
    return 0;
}

/* The two databases the damage tests take apart.  */
#define EACH_DATABASE(b, n)                                                                    \
    for (int which_ = 0; which_ < 2; which_++)                                                 \
        for (const uint8_t *b = which_ ? merged : bytes; b; b = NULL)                          \
            for (size_t n = which_ ? merged_len : len; n; n = 0)

#define NAME(n, p) tu_describe(&db, iana_db_by_name(&db, n, p))
#define PORT(n, p) tu_describe(&db, iana_db_by_port(&db, n, p))

static void by_name(void **state)
{
    (void)state;
    assert_string_equal(NAME("msp", IANA_ANY_PROTO), "msp 18/tcp");       /* first wins */
    assert_string_equal(NAME("msp", IANA_TCP), "msp 18/tcp");
    assert_string_equal(NAME("msp", IANA_UDP), "-");
    assert_string_equal(NAME("www", IANA_TCP), "http 80/tcp");            /* alias */
    assert_string_equal(NAME("www", IANA_UDP), "-");
    assert_string_equal(NAME("http", IANA_ANY_PROTO), "http 80/tcp");
    assert_string_equal(NAME("http", IANA_SCTP), "http 80/sctp");
    assert_string_equal(NAME("bgp", IANA_ANY_PROTO), "bgp 179/sctp");
    assert_string_equal(NAME("wide", IANA_UDP), "wide 100/udp");          /* range: first port */
    assert_string_equal(NAME("nosuch", IANA_ANY_PROTO), "-");
    assert_string_equal(NAME("", IANA_ANY_PROTO), "-");
    assert_string_equal(NAME("_sd", IANA_ANY_PROTO), "-");                /* never served */
}

static void by_name_case(void **state)
{
    (void)state;
    /* Exact case first, then ASCII case-insensitive, registered spelling. */
    assert_string_equal(NAME("HTTP", IANA_ANY_PROTO), "http 80/tcp");
    assert_string_equal(NAME("WwW", IANA_TCP), "http 80/tcp");
    assert_string_equal(NAME("mixed", IANA_ANY_PROTO), "mixed 91/tcp");   /* exact beats earlier folded */
    assert_string_equal(NAME("Mixed", IANA_ANY_PROTO), "Mixed 90/udp");
    assert_string_equal(NAME("MIXED", IANA_ANY_PROTO), "Mixed 90/udp");   /* folded: first in order */
    assert_string_equal(NAME("MIXED", IANA_TCP), "mixed 91/tcp");
}

/* Case folding is ASCII whatever the caller's locale: in a Turkish one,
 * strcasecmp("I", "i") is not a match.  LOCPATH points at a tr_TR.UTF-8
 * the Makefile builds with localedef.  */
static void by_name_case_in_turkish_locale(void **state)
{
    (void)state;
    if (!setlocale(LC_ALL, "tr_TR.UTF-8"))
        skip();
    assert_string_equal(NAME("WWW", IANA_TCP), "http 80/tcp");
    assert_string_equal(NAME("MIXED", IANA_ANY_PROTO), "Mixed 90/udp");
    assert_string_equal(NAME("mIxed", IANA_TCP), "mixed 91/tcp");
    assert_int_equal(iana_proto_code("SCTP"), IANA_SCTP);
    assert_true(iana_db_portless(&db, "_SD") >= 0);
}

static int back_to_c_locale(void **state)
{
    (void)state;
    setlocale(LC_ALL, "C");
    return 0;
}

static void by_port(void **state)
{
    (void)state;
    assert_string_equal(PORT(42, IANA_TCP), "name 42/tcp");
    assert_string_equal(PORT(80, IANA_ANY_PROTO), "http 80/tcp");
    assert_string_equal(PORT(80, IANA_SCTP), "http 80/sctp");
    assert_string_equal(PORT(81, IANA_ANY_PROTO), "-");
    assert_string_equal(PORT(101, IANA_TCP), "wide 100/tcp");             /* inside the range */
    assert_string_equal(PORT(102, IANA_TCP), "single 102/tcp");           /* single beats range */
    assert_string_equal(PORT(102, IANA_UDP), "wide 100/udp");
    assert_string_equal(PORT(103, IANA_ANY_PROTO), "later 103/sctp");     /* single, any protocol */
    assert_string_equal(PORT(101, IANA_ANY_PROTO), "wide 100/tcp");
    assert_string_equal(PORT(104, IANA_TCP), "-");
    assert_string_equal(PORT(2438, IANA_ANY_PROTO), "msp 2438/tcp");
    assert_string_equal(PORT(0, IANA_ANY_PROTO), "-");
    assert_string_equal(PORT(65535, IANA_ANY_PROTO), "-");
}

static void protocols(void **state)
{
    (void)state;
    assert_int_equal(iana_proto_code("TCP"), IANA_TCP);
    assert_int_equal(iana_proto_code("Sctp"), IANA_SCTP);
    assert_int_equal(iana_proto_code("dccp"), IANA_DCCP);
    assert_int_equal(iana_proto_code(NULL), IANA_ANY_PROTO);
    assert_int_equal(iana_proto_code("udplite"), -1);
    assert_int_equal(iana_proto_code(""), -1);
    /* Every string of up to five characters from the letters of the
     * names, in both cases, and a few others, against strcasecmp in the C
     * locale: the parser reads words, not bytes, so lengths and prefixes
     * are where it could go wrong.  */
    static const char alphabet[] = "tcpudsTCPUDSx@`";
    static const char *const names[IANA_NPROTO] = {"tcp", "udp", "sctp", "dccp"};
    const size_t na = sizeof alphabet - 1;
    char q[6];
    size_t count = 1;
    for (size_t n = 0; n <= 5; n++, count *= na) {
        for (size_t k = 0; k < count; k++) {
            size_t x = k;
            for (size_t i = 0; i < n; i++, x /= na)
                q[i] = alphabet[x % na];
            q[n] = '\0';
            int want = -1;
            for (int p = 0; p < IANA_NPROTO; p++)
                if (strcasecmp(q, names[p]) == 0)
                    want = p;
            if (iana_proto_code(q) != want)
                fail_msg("iana_proto_code(\"%s\") = %d, expected %d", q, iana_proto_code(q), want);
        }
    }
}

static void enumeration(void **state)
{
    (void)state;
    struct iana_cursor c = {0};
    uint32_t entry;
    uint16_t port;
    char seen[2048] = "";
    size_t n = 0;
    for (; iana_db_cursor_get(&db, &c, &entry, &port); iana_db_cursor_next(&db, &c), n++) {
        struct iana_view v;
        assert_int_equal(iana_db_entry(&db, entry, &v), 0);
        char line[64];
        snprintf(line, sizeof line, "%s/%u/%s ", v.names, port, iana_proto_name(v.proto));
        strcat(seen, line);
    }
    assert_int_equal(n, db.enum_count);
    assert_string_equal(seen,
        "msp/18/tcp name/42/tcp nameserver/42/tcp http/80/tcp http/80/udp http/80/sctp "
        "Mixed/90/udp mixed/91/tcp wide/100/tcp wide/101/tcp wide/102/tcp wide/103/tcp "
        "single/102/tcp wide/100/udp wide/101/udp wide/102/udp wide/103/udp later/103/sctp "
        "msp/2438/tcp bgp/179/sctp ");
    /* The end stays the end.  */
    iana_db_cursor_next(&db, &c);
    assert_false(iana_db_cursor_get(&db, &c, &entry, &port));
}

static void metadata(void **state)
{
    (void)state;
    int64_t e = iana_db_by_name(&db, "single", IANA_TCP);
    assert_string_equal(iana_db_meta(&db, (uint32_t)e, IANA_META_DESCRIPTION), "single beats range");
    int64_t p = iana_db_portless(&db, "_SD");
    assert_true(p >= 0);
    assert_string_equal(iana_db_portless_name(&db, (uint32_t)p), "_sd");
    assert_string_equal(iana_db_portless_meta(&db, (uint32_t)p, IANA_META_DESCRIPTION), "DNS-SD name");
    assert_int_equal(iana_db_portless(&db, "http"), -1);
}

static void verify_accepts_what_compile_wrote(void **state)
{
    (void)state;
    const char *why = NULL;
    struct iana_db m;
    assert_int_equal(iana_db_verify(&db, &why), 0);
    tu_view(merged, merged_len, &m);
    assert_int_equal(m.file_count, 5);
    assert_int_equal(iana_db_verify(&m, &why), 0);
}

/* Any change to any byte: the view rejects it or verify does.  */
static void verify_rejects_every_changed_byte(void **state)
{
    (void)state;
    EACH_DATABASE(b, n) {
        uint8_t *copy = malloc(n);
        assert_non_null(copy);
        for (size_t i = 0; i < n; i++)
            for (int bit = 0; bit < 8; bit += 3) {
                struct iana_db d;
                const char *why;
                memcpy(copy, b, n);
                copy[i] ^= (uint8_t)(1u << bit);
                if (iana_db_view(copy, n, &d, &why) == 0 && iana_db_verify(&d, &why) == 0)
                    fail_msg("byte %zu bit %d flipped and still verified", i, bit);
            }
        free(copy);
    }
}

static void view_rejects_every_truncation(void **state)
{
    (void)state;
    EACH_DATABASE(b, full) {
        for (size_t n = 0; n < full; n++) {
            struct iana_db d;
            const char *why = NULL;
            uint8_t *copy = malloc(n + 1); /* exact size, so ASan sees overreads */
            memcpy(copy, b, n);
            assert_int_equal(iana_db_view(copy, n, &d, &why), -1);
            assert_non_null(why);
            free(copy);
        }
    }
}

/* Everything a reader can do with a view it accepted; must stay inside it
 * (ASan checks that in `make check-sanitize`) and must end.  */
static void exercise(const struct iana_db *d)
{
    static const char *const names[] = {"msp", "http", "HTTP", "www", "wide", "_sd", "",
                                        "a-name-that-is-longer-than-any-in-the-file"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        for (int p = 0; p <= IANA_ANY_PROTO; p++) {
            int64_t e = iana_db_by_name(d, names[i], p);
            struct iana_view v;
            if (e >= 0 && iana_db_entry(d, (uint32_t)e, &v) == 0)
                assert_true(v.names_len > 0 && v.proto < IANA_NPROTO);
        }
    for (uint32_t port = 0; port < 65536; port += port < 200 ? 1 : 997)
        for (int p = 0; p <= IANA_ANY_PROTO; p++)
            (void)iana_db_by_port(d, (uint16_t)port, p);
    struct iana_cursor c = {0};
    uint32_t entry, steps = 0;
    uint16_t port;
    for (; iana_db_cursor_get(d, &c, &entry, &port); iana_db_cursor_next(d, &c))
        assert_true(++steps <= d->enum_count + 65536);
    for (uint32_t i = 0; i < d->entry_count && i < 64; i++)
        (void)strlen(iana_db_meta(d, i, IANA_META_DESCRIPTION));
    (void)iana_db_portless(d, "_sd");
    (void)strlen(iana_db_source_path(d));
    (void)strlen(iana_db_services_path(d));

    /* The services file's lines, and the answers of both layers.  */
    static const char *const protos[] = {NULL, "tcp", "ddp", "", "TCP", "udplite"};
    static const char *const file_names[] = {"whois", "nicname", "echo", "msp", "many", "h",
                                             "noproto", "x"};
    for (size_t i = 0; i < sizeof file_names / sizeof file_names[0]; i++)
        for (size_t p = 0; p < sizeof protos / sizeof protos[0]; p++) {
            int64_t a = iana_db_service_by_name(d, file_names[i], protos[p]);
            struct iana_view v;
            assert_true(a >= -1 && a < (int64_t)d->file_count + d->entry_count);
            if (a >= 0 && iana_db_answer(d, (uint32_t)a, &v) == 0)
                assert_true(v.names_len > 0 && v.proto_len > 0 && v.proto_name[v.proto_len - 1] == 0);
        }
    static const uint16_t ports[] = {4, 18, 43, 99, 1234, 80, 0};
    for (size_t i = 0; i < sizeof ports / sizeof ports[0]; i++)
        for (size_t p = 0; p < sizeof protos / sizeof protos[0]; p++)
            for (int wide = 0; wide < 2; wide++) {
                int64_t a = iana_db_service_by_port(d, ports[i], wide, protos[p]);
                assert_true(a >= -1 && a < (int64_t)d->file_count + d->entry_count);
            }
    for (uint32_t a = 0; a < d->file_count + 4 && a < 64; a++) {
        struct iana_view v;
        (void)iana_db_answer_bounded(d, a, &v);
        (void)iana_db_answer(d, a, &v);
    }
    struct iana_db r;
    iana_db_registry_only(d, &r);
    assert_int_equal(iana_db_service_by_name(&r, "echo", "ddp"), -1);
    (void)iana_db_services_state(d, "/nonexistent/services", NULL);
}

static void lookups_survive_every_changed_byte(void **state)
{
    (void)state;
    static const uint8_t patterns[] = {0x01, 0x80, 0xff};
    EACH_DATABASE(b, n) {
        size_t accepted = 0;
        for (size_t i = 0; i < n; i++)
            for (size_t k = 0; k < sizeof patterns; k++) {
                uint8_t *copy = malloc(n);
                struct iana_db d;
                const char *why;
                memcpy(copy, b, n);
                copy[i] ^= patterns[k];
                if (iana_db_view(copy, n, &d, &why) == 0) {
                    accepted++;
                    exercise(&d);
                }
                free(copy);
            }
        /* Most damage lands in data the header cannot vouch for.  */
        assert_true(accepted > n);
    }
}

static void hostile_header_values(void **state)
{
    (void)state;
    static const uint32_t values[] = {0, 1, 2, 3, 0x7fffffff, 0x80000000, 0xfffffffc, 0xffffffff};
    EACH_DATABASE(b, n)
        for (size_t off = 0; off + 4 <= offsetof(struct iana_header, source_sha256); off += 4)
            for (size_t k = 0; k < sizeof values / sizeof values[0]; k++) {
                uint8_t *copy = malloc(n);
                struct iana_db d;
                const char *why;
                const uint32_t le = iana_le32(values[k]); /* as the file holds it */
                memcpy(copy, b, n);
                memcpy(copy + off, &le, 4);
                if (iana_db_view(copy, n, &d, &why) == 0)
                    exercise(&d);
                free(copy);
            }
}

static size_t count_files(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    size_t n = 0;
    assert_non_null(d);
    while ((de = readdir(d)))
        n += de->d_name[0] != '.' || (de->d_name[1] && de->d_name[1] != '.');
    closedir(d);
    return n;
}

static void write_is_atomic(void **state)
{
    (void)state;
    char err[256], *dir, *path;
    struct stat sb;
    assert_true(asprintf(&dir, "%s/atomic", tu_tmpdir()) > 0);
    assert_int_equal(mkdir(dir, 0700), 0);
    assert_true(asprintf(&path, "%s/services.db", dir) > 0);
    umask(077); /* the database is 0644 whatever the umask */
    assert_int_equal(db_write_file(path, bytes, len, err, sizeof err), 0);
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 07777, 0644);
    assert_int_equal((size_t)sb.st_size, len);
    assert_int_equal(count_files(dir), 1);
    /* A failed write leaves nothing behind and the target as it was.  */
    char *bad;
    assert_true(asprintf(&bad, "%s/no/such/dir/services.db", dir) > 0);
    assert_int_equal(db_write_file(bad, bytes, len, err, sizeof err), -1);
    assert_non_null(strstr(err, "No such file or directory"));
    assert_int_equal(count_files(dir), 1);
    umask(022);
    free(bad);
    free(path);
    free(dir);
}

static void open_maps_and_rejects(void **state)
{
    (void)state;
    struct iana_db d;
    const char *why;
    char *good = tu_write("good.db", bytes, len);
    assert_int_equal(iana_db_open(good, &d, &why), 0);
    assert_string_equal(NAME("bgp", IANA_SCTP), tu_describe(&d, iana_db_by_name(&d, "bgp", IANA_SCTP)));
    iana_db_close(&d);
    assert_int_equal(iana_db_open("/nonexistent.db", &d, &why), -1);
    assert_int_equal(errno, ENOENT);
    char *bad = tu_write("short.db", bytes, len - 1);
    assert_int_equal(iana_db_open(bad, &d, &why), -1);
    assert_int_equal(errno, EINVAL);
    assert_non_null(why);
    assert_int_equal(iana_db_open(tu_tmpdir(), &d, &why), -1);
    free(good);
    free(bad);
}

static void bundled_registry_verifies(void **state)
{
    (void)state;
    struct registry reg;
    struct entry_set set;
    char err[256];
    uint8_t *b;
    size_t n;
    struct iana_db d;
    const char *why;
    assert_int_equal(registry_read("data/service-names-port-numbers.csv", &reg, err, sizeof err), 0);
    assert_int_equal(registry_entries(&reg, &set, NULL), 0);
    const struct db_sources src = {.set = &set, .source_sha256 = reg.sha256};
    assert_int_equal(db_build(&src, &b, &n, err, sizeof err), 0);
    tu_view(b, n, &d);
    assert_int_equal(iana_db_verify(&d, &why), 0);
    assert_memory_equal(d.hdr->source_sha256, reg.sha256, 32);
    /* Every entry answers by its own name (or an earlier entry does) and
     * every spelling round-trips through the index.  */
    for (uint32_t i = 0; i < d.entry_count; i++) {
        struct iana_view v;
        assert_int_equal(iana_db_entry(&d, i, &v), 0);
        int64_t hit = iana_db_by_name(&d, v.names, v.proto);
        assert_true(hit >= 0 && hit <= (int64_t)i);
        int64_t ph = iana_db_by_port(&d, v.port_lo, v.proto);
        assert_true(ph >= 0);
    }
    free(b);
    entry_set_free(&set);
    registry_free(&reg);
}

/* Long names alike in their first and last eight bytes, with every
 * protocol: they share nothing but what the hash of their middles tells
 * apart, and more of them than two buckets hold must still be placed and
 * found, each with its own port, in any case.  */
static void long_names_alike_at_both_ends(void **state)
{
    (void)state;
    char *csv = NULL;
    size_t csv_len = 0;
    FILE *f = open_memstream(&csv, &csv_len);
    fputs(TU_HEADER, f);
    enum { N = 40 };
    for (int i = 0; i < N; i++)
        for (int p = 0; p < IANA_NPROTO; p++)
            fprintf(f, "service-%02d-of-the-same-long-kind,%d,%s,alike,,,,,,,,\n", i, 1000 + i,
                    iana_proto_name((unsigned)p));
    fclose(f);
    size_t n;
    uint8_t *b = tu_build(csv, &n);
    struct iana_db d;
    const char *why;
    tu_view(b, n, &d);
    assert_int_equal(iana_db_verify(&d, &why), 0);
    for (int i = 0; i < N; i++) {
        char name[64];
        snprintf(name, sizeof name, "SERVICE-%02d-of-the-same-LONG-kind", i);
        for (int p = 0; p <= IANA_ANY_PROTO; p++) {
            struct iana_view v;
            int64_t e = iana_db_by_name(&d, name, p);
            assert_true(e >= 0);
            assert_int_equal(iana_db_entry(&d, (uint32_t)e, &v), 0);
            assert_int_equal(v.port_lo, 1000 + i);
            if (p != IANA_ANY_PROTO)
                assert_int_equal(v.proto, p);
        }
    }
    free(b);
    free(csv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(by_name),
        cmocka_unit_test(by_name_case),
        cmocka_unit_test_teardown(by_name_case_in_turkish_locale, back_to_c_locale),
        cmocka_unit_test(by_port),
        cmocka_unit_test(protocols),
        cmocka_unit_test(enumeration),
        cmocka_unit_test(metadata),
        cmocka_unit_test(verify_accepts_what_compile_wrote),
        cmocka_unit_test(verify_rejects_every_changed_byte),
        cmocka_unit_test(view_rejects_every_truncation),
        cmocka_unit_test(lookups_survive_every_changed_byte),
        cmocka_unit_test(hostile_header_values),
        cmocka_unit_test(write_is_atomic),
        cmocka_unit_test(open_maps_and_rejects),
        cmocka_unit_test(bundled_registry_verifies),
        cmocka_unit_test(long_names_alike_at_both_ends),
    };
    return cmocka_run_group_tests_name("db", tests, setup, teardown);
}
