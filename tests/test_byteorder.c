/* The file's integers are little-endian on every host (db/format.h): what
 * the writer lays down is read back here byte by byte, with no help from
 * the host's own order, and compared with what the reader makes of it.  On
 * a little-endian host this holds trivially for the struct fields; on a
 * big-endian one (tests/ports/cross.sh runs this suite on s390x under
 * qemu) it is the whole point.  The name hash reads words of the spelling,
 * so it is checked the same way: words assembled from bytes.  */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../db/verify.h"
#include "testutil.h"

static const char registry[] = TU_HEADER
    "http,80,tcp,World Wide Web HTTP,,,,,,,,\n"
    "www,80,tcp,World Wide Web HTTP,,,,,,,,\"This is a duplicate of the \"\"http\"\" service\"\n"
    "http,80,udp,World Wide Web HTTP,,,,,,,,\n"
    "a-rather-long-service-name-here,4660,sctp,long name,,,,,,,,\n"
    "x11,6000-6063,tcp,X Window System,,,,,,,,\n"
    "ssh,22,tcp,The Secure Shell (SSH) Protocol,,,,,,,,\n"
    "dccp-thing,65535,dccp,the last port,,,,,,,,\n"
    "_sd,,,DNS-SD name,,,,,,,,\n";

static const char services[] =
    "whois 43/tcp nicname\n"
    "echo 4/ddp\n"
    "big 65534/udp b1 b2\n";

static uint8_t *bytes;
static size_t len;
static struct iana_db db;

static int setup(void **state)
{
    (void)state;
    bytes = tu_build_merged(registry, services, &len);
    tu_view(bytes, len, &db);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(bytes);
    return 0;
}

/* Little-endian, from bytes: the same on every host.  */
static uint64_t le_at(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = n; i-- > 0;)
        v = v << 8 | p[i];
    return v;
}
#define HDR(field) le_at(bytes + offsetof(struct iana_header, field), \
                         sizeof ((struct iana_header *)0)->field)

/* Where section s starts, from bytes; `need` bytes of it must lie inside
 * the file (a writer that wrote another order would send us astray).  */
static uint32_t section_at(int s, size_t need)
{
    const uint8_t *ref = bytes + offsetof(struct iana_header, section) +
                         (size_t)s * sizeof(struct iana_section_ref);
    uint32_t off = (uint32_t)le_at(ref, 4);
    assert_true(need <= le_at(ref + 4, 4) && off <= len && need <= len - off);
    return off;
}
#define sec_offset(s) section_at(s, 0)

/* Record i of section s, of `width` bytes each.  */
static const uint8_t *record(int s, size_t width, size_t i)
{
    return bytes + section_at(s, (i + 1) * width) + i * width;
}

static void header_is_little_endian(void **state)
{
    (void)state;
    static const uint8_t mark[4] = {0x04, 0x03, 0x02, 0x01};
    assert_memory_equal(bytes + offsetof(struct iana_header, byte_order), mark, 4);
    assert_int_equal(HDR(version), IANA_FORMAT_VERSION);
    assert_int_equal(HDR(header_size), IANA_HEADER_SIZE);
    assert_int_equal(HDR(file_size), len);
    assert_int_equal(HDR(entry_count), db.entry_count);
    assert_int_equal(HDR(enum_count), db.enum_count);
    assert_int_equal(HDR(name_buckets), db.name_buckets);
    assert_int_equal(HDR(name_keys), db.name_keys);
    assert_int_equal(HDR(port_count), db.port_count);
    assert_int_equal(HDR(file_count), db.file_count);
    assert_int_equal(HDR(file_name_buckets), db.file_name_buckets);
    assert_int_equal(HDR(file_port_buckets), db.file_port_buckets);
    assert_int_equal(HDR(services.size), db.services.size);
    assert_int_equal(HDR(services.size), sizeof services - 1);
    assert_true(HDR(services.hash) == db.services.hash);
    assert_true(HDR(services.hash) ==
                iana_file_hash(IANA_FILE_HASH_INIT, services, sizeof services - 1));
    assert_int_equal(HDR(services.state), IANA_FILE_PRESENT);
    assert_int_equal(sec_offset(IANA_SEC_STRINGS), (const uint8_t *)db.strings - bytes);
    assert_int_equal(sec_offset(IANA_SEC_ENTRIES), (const uint8_t *)db.entries - bytes);
    assert_int_equal(sec_offset(IANA_SEC_NAME_INDEX), (const uint8_t *)db.name_index - bytes);
    assert_int_equal(sec_offset(IANA_SEC_FILE_ENTRIES), (const uint8_t *)db.file_entries - bytes);
    assert_int_equal(iana_db_lookup_bytes(bytes, len), sec_offset(IANA_SEC_META_STRINGS));
}

/* Each entry's fields, from bytes, against the reader's view of it.  */
static void entries_are_little_endian(void **state)
{
    (void)state;
    assert_true(db.entry_count > 5);
    for (uint32_t i = 0; i < db.entry_count; i++) {
        const uint8_t *e = record(IANA_SEC_ENTRIES, sizeof(struct iana_entry), i);
        struct iana_view v;
        assert_int_equal(iana_db_entry(&db, i, &v), 0);
        assert_int_equal(le_at(e + offsetof(struct iana_entry, names), 4), v.names - db.strings);
        assert_int_equal(le_at(e + offsetof(struct iana_entry, port_lo), 2), v.port_lo);
        assert_int_equal(le_at(e + offsetof(struct iana_entry, port_hi), 2), v.port_hi);
    }
    for (uint32_t i = 0; i < db.file_count; i++) {
        const uint8_t *e = record(IANA_SEC_FILE_ENTRIES, sizeof(struct iana_file_entry), i);
        struct iana_view v;
        assert_int_equal(iana_db_answer(&db, i, &v), 0);
        assert_int_equal(le_at(e + offsetof(struct iana_file_entry, port), 2), v.port_lo);
        assert_int_equal(le_at(e + offsetof(struct iana_file_entry, line), 4), v.line);
        assert_int_equal(le_at(e + offsetof(struct iana_file_entry, nalias), 4), v.nalias);
    }
}

/* Every name key, from bytes: its string's hash (from words assembled
 * little-endian) puts it in this bucket with this tag, and its reference
 * names an entry that has the spelling.  And every port: its bit, from
 * bytes, is set exactly when the reader answers on it.  */
static void indexes_are_little_endian(void **state)
{
    (void)state;
    uint32_t keys = 0;
    for (uint32_t b = 0; b < db.name_buckets; b++)
        for (int i = 0; i < IANA_NAME_BUCKET; i++) {
            const uint8_t *bk = record(IANA_SEC_NAME_INDEX, sizeof(struct iana_name_bucket), b);
            uint32_t key = (uint32_t)le_at(bk + 4 * i, 4);
            uint32_t ref = (uint32_t)le_at(bk + 4 * (IANA_NAME_BUCKET + i), 4);
            if (!key && !ref)
                continue;
            keys++;
            assert_true(iana_key_offset(key) < db.strings_size);
            const char *s = db.strings + iana_key_offset(key);
            uint64_t h = iana_spelling_hash(s, strlen(s));
            uint32_t want[2];
            iana_name_buckets(h, db.name_buckets, want);
            assert_true(b == want[0] || b == want[1]);
            assert_int_equal(key >> IANA_NAME_OFFSET_BITS, iana_name_tag(h));
            assert_int_equal(iana_ref_len(ref), strlen(s));
            struct iana_view v;
            assert_int_equal(iana_db_entry(&db, iana_ref_entry(ref), &v), 0);
            assert_int_equal(v.proto, iana_ref_proto(ref));
        }
    assert_int_equal(keys, db.name_keys);
    for (uint32_t port = 0; port < 65536; port++) {
        uint64_t word = le_at(bytes + section_at(IANA_SEC_PORT_INDEX, 8192) + port / 64 * 8, 8);
        assert_int_equal(word >> (port % 64) & 1,
                         iana_db_by_port(&db, (uint16_t)port, IANA_ANY_PROTO) >= 0);
    }
}

/* The words the name hash and the protocol parser read: little-endian
 * whatever the host, or the index differs from one host to another.  */
static void name_words_are_little_endian(void **state)
{
    (void)state;
    static const char text[] = "a-rather-long-service-name-here\x80\xff";
    for (size_t at = 0; at + 8 < sizeof text; at++) {
        assert_true(iana_load64(text + at) == le_at((const uint8_t *)text + at, 8));
        assert_true(iana_load32(text + at) == le_at((const uint8_t *)text + at, 4));
    }
    /* The hash of a spelling, from words built byte by byte.  */
    static const char *const names[] = {"a", "ab", "ssh", "http", "x11-ssh", "whois++",
                                        "a-rather-long-service-name-here"};
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        const char *s = names[k];
        size_t n = strlen(s);
        uint64_t w[2];
        if (n >= 8) {
            w[0] = le_at((const uint8_t *)s, 8), w[1] = le_at((const uint8_t *)s + n - 8, 8);
        } else if (n >= 4) {
            w[0] = le_at((const uint8_t *)s, 4), w[1] = le_at((const uint8_t *)s + n - 4, 4);
        } else {
            w[0] = (uint64_t)(uint8_t)s[0] | (uint64_t)(uint8_t)s[n / 2] << 8 |
                   (uint64_t)(uint8_t)s[n - 1] << 16;
            w[1] = 0;
        }
        w[0] = iana_fold64(w[0]);
        w[1] = iana_fold64(w[1]);
        assert_true(iana_spelling_hash(s, n) == iana_name_hash(s, n, w));
    }
    /* And the protocol names, read as words: found on any host.  */
    assert_int_equal(iana_proto_code("tcp"), IANA_TCP);
    assert_int_equal(iana_proto_code("UDP"), IANA_UDP);
    assert_int_equal(iana_proto_code("sctp"), IANA_SCTP);
    assert_int_equal(iana_proto_code("Dccp"), IANA_DCCP);
    assert_string_equal(tu_describe(&db, iana_db_by_name(&db, "www", iana_proto_code("tcp"))),
                        "http 80/tcp");
    assert_true(iana_db_service_by_name(&db, "big", "udp") >= 0);
    assert_true(iana_db_service_by_port(&db, 43, false, "tcp") >= 0);
}

/* A file whose mark reads swapped was written in the other byte order
 * (by no writer of ours): refused, with that reason.  */
static void swapped_mark_refused(void **state)
{
    (void)state;
    uint8_t *copy = malloc(len);
    assert_non_null(copy);
    memcpy(copy, bytes, len);
    static const uint8_t swapped[4] = {0x01, 0x02, 0x03, 0x04};
    memcpy(copy + offsetof(struct iana_header, byte_order), swapped, 4);
    struct iana_db d;
    const char *why = NULL;
    assert_int_equal(iana_db_view(copy, len, &d, &why), -1);
    assert_string_equal(why, "written for another byte order");
    free(copy);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(header_is_little_endian),
        cmocka_unit_test(entries_are_little_endian),
        cmocka_unit_test(indexes_are_little_endian),
        cmocka_unit_test(name_words_are_little_endian),
        cmocka_unit_test(swapped_mark_refused),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
