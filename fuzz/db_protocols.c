/* fuzz_db's checks of the protocols answers: see db_protocols.h.  */
#include "db_protocols.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

#include "fuzz_util.h"

#define SAMPLE 8
/* Answers decoded one by one, and enumerated, at most.  */
#define CAP 4096u

/* What iana_db_proto_bounded gives (the module copies from it): a block
 * inside PROTO_STRINGS, a name that is not empty, a NUL at its end, fewer
 * aliases than bytes; what iana_db_proto gives also holds exactly
 * 1 + nalias non-empty strings.  */
static bool answer_ok(const struct iana_db *db, bool verified, uint32_t a,
                      struct iana_proto_view *v)
{
    struct iana_proto_view full;
    int b = iana_db_proto_bounded(db, a, v);
    int f = iana_db_proto(db, a, &full);
    CHECK(f < 0 || b == 0, "answer %u decodes whole but not bounded", a);
    CHECK(!verified || b == f, "verified file: answer %u decodes one way only", a);
    if (b < 0)
        return false;
    CHECK(a >= db->proto_from && a < db->proto_count, "answer %u of %u..%u decodes", a,
          db->proto_from, db->proto_count);
    CHECK(v->names > db->proto_strings && v->names_len > 0 &&
              v->names_len <= db->proto_strings_size &&
              (size_t)(v->names - db->proto_strings) <= db->proto_strings_size - v->names_len,
          "answer %u: names outside PROTO_STRINGS", a);
    CHECK(v->names[v->names_len - 1] == '\0' && v->nalias < v->names_len,
          "answer %u: unterminated block or too many aliases", a);
    CHECK(v->from_file == (a < db->proto_file_count), "answer %u: from_file", a);
    if (f == 0) {
        size_t off = 0;
        for (unsigned i = 0; i <= full.nalias; i++) {
            size_t n = strlen(full.names + off);
            CHECK(n > 0 && off + n < full.names_len, "answer %u: string %u", a, i);
            off += n + 1;
        }
        CHECK(off == full.names_len, "answer %u: %u aliases walk %zu of %zu bytes", a,
              full.nalias, off, full.names_len);
    }
    if (verified)
        CHECK(v->from_file || (v->number >= 0 && v->number <= 255),
              "verified file: registry answer %u has number %d", a, (int)v->number);
    return f == 0;
}

static bool has_spelling(const struct iana_proto_view *v, const char *q, bool fold)
{
    const char *p = v->names;
    for (unsigned i = 0; i <= v->nalias; i++, p += strlen(p) + 1)
        if (fold ? iana_ascii_caseeq(p, q) : strcmp(p, q) == 0)
            return true;
    return false;
}

static void by_name(const struct iana_db *db, bool verified, const char *name)
{
    int64_t r = iana_db_proto_by_name(db, name);
    CHECK(r >= -1 && r < (int64_t)db->proto_count, "proto_by_name(\"%.40s\") = %lld", name,
          (long long)r);
    struct iana_proto_view v;
    if (r < 0)
        return;
    CHECK(r >= db->proto_from, "proto_by_name(\"%.40s\") = %lld, before the answers", name,
          (long long)r);
    if (!answer_ok(db, verified, (uint32_t)r, &v)) {
        CHECK(!verified, "verified file: proto_by_name(\"%.40s\") names a bad answer", name);
        return;
    }
    if (verified)
        CHECK(has_spelling(&v, name, false) ||
                  (!v.from_file && has_spelling(&v, name, true)),
              "verified file: proto_by_name(\"%.40s\") = %lld, which lacks it", name,
              (long long)r);
}

static void by_number(const struct iana_db *db, bool verified, int n)
{
    int64_t r = iana_db_proto_by_number(db, n);
    CHECK(r >= -1 && r < (int64_t)db->proto_count, "proto_by_number(%d) = %lld", n,
          (long long)r);
    struct iana_proto_view v;
    if (r < 0)
        return;
    if (!answer_ok(db, verified, (uint32_t)r, &v)) {
        CHECK(!verified, "verified file: proto_by_number(%d) names a bad answer", n);
        return;
    }
    if (verified)
        CHECK(v.number == n, "verified file: proto_by_number(%d) = %lld, number %d", n,
              (long long)r, (int)v.number);
}

static void names_of(const struct iana_db *db, bool verified, uint32_t a)
{
    struct iana_proto_view v;
    if (!answer_ok(db, verified, a, &v))
        return;
    const char *p = v.names;
    for (unsigned i = 0; i <= v.nalias && i < SAMPLE; i++, p += strlen(p) + 1) {
        char flipped[128];
        size_t n = 0;
        for (; p[n] && n + 1 < sizeof flipped; n++)
            flipped[n] = (char)((p[n] >= 'a' && p[n] <= 'z') || (p[n] >= 'A' && p[n] <= 'Z')
                                    ? p[n] ^ 0x20
                                    : p[n]);
        flipped[n] = '\0';
        by_name(db, verified, p);
        by_name(db, verified, flipped);
    }
    by_number(db, verified, v.number);
}

static void exercise_view(const struct iana_db *db, bool verified)
{
    static const char *const fixed[] = {"tcp", "TCP", "sctp", "ipv6-icmp", "", "reserved"};
    for (size_t k = 0; k < sizeof fixed / sizeof fixed[0]; k++)
        by_name(db, verified, fixed[k]);
    static const int numbers[] = {0, 6, 58, 132, 255, 256, -1, INT_MIN, INT_MAX};
    for (size_t k = 0; k < sizeof numbers / sizeof numbers[0]; k++)
        by_number(db, verified, numbers[k]);
    /* The first answers, the first of the registry, the last; and the
     * spellings the name index holds.  */
    for (uint32_t a = 0; a < db->proto_count && a < SAMPLE; a++)
        names_of(db, verified, a);
    for (uint32_t a = db->proto_file_count; a < db->proto_count && a < db->proto_file_count + SAMPLE; a++)
        names_of(db, verified, a);
    if (db->proto_count)
        names_of(db, verified, db->proto_count - 1);
    for (uint32_t k = 0; k < db->proto_name_keys && k < SAMPLE; k++) {
        uint32_t at = iana_le32(db->proto_keys[k].spelling);
        if (at < db->proto_strings_size)
            by_name(db, verified, db->proto_strings + at);
    }
    for (uint32_t k = 0; k < db->proto_number_keys && k < SAMPLE; k++)
        by_number(db, verified, (int)iana_le32(db->proto_numbers[k].number));
    /* Past the end, and the enumeration.  */
    struct iana_proto_view v;
    CHECK(iana_db_proto_bounded(db, db->proto_count, &v) < 0 &&
              iana_db_proto_bounded(db, UINT32_MAX, &v) < 0,
          "an answer past the end decodes");
    uint32_t a, c = 0;
    for (; c < CAP && iana_db_proto_cursor_get(db, c, &a); c++) {
        CHECK(a == db->proto_from + c, "cursor %u gives answer %u", c, a);
        (void)answer_ok(db, verified, a, &v);
    }
    if (verified && c < CAP)
        CHECK(c == db->proto_count - db->proto_from, "verified file: the enumeration stops "
              "at %u of %u answers", c, db->proto_count - db->proto_from);
    CHECK(!iana_db_proto_cursor_get(db, UINT32_MAX, &a), "cursor UINT32_MAX gives an answer");
    for (uint32_t i = 0; i < db->proto_count && i < SAMPLE; i++) {
        const char *d = iana_db_proto_description(db, i), *r = iana_db_proto_reference(db, i);
        CHECK(d && r && strlen(d) < db->proto_meta_size + 1 && strlen(r) < db->proto_meta_size + 1,
              "metadata of answer %u", i);
    }
    CHECK(*iana_db_proto_description(db, UINT32_MAX) == '\0', "description past the end");
    (void)strlen(iana_db_proto_source_path(db));
    (void)strlen(iana_db_protocols_path(db));
}

void protocols_exercise(const struct iana_db *db, bool verified)
{
    exercise_view(db, verified);
    struct iana_db ro;
    iana_db_protocols_registry_only(db, &ro);
    CHECK(ro.proto_from == db->proto_file_count && ro.protocols.state == IANA_FILE_NONE,
          "protocols registry_only view");
    exercise_view(&ro, verified);
    /* Without the file's lines, no answer is one of them.  */
    for (int n = 0; n < 256; n += 51) {
        int64_t r = iana_db_proto_by_number(&ro, n);
        CHECK(r < 0 || r >= db->proto_file_count, "registry_only: number %d answers line %lld",
              n, (long long)r);
    }
    int saved = errno = 4242;
    enum iana_services_state st = iana_db_protocols_state(db, "/nonexistent/fuzz_db", NULL);
    CHECK(errno == saved, "protocols_state changed errno");
    CHECK(st == (db->protocols.state == IANA_FILE_PRESENT ? IANA_SERVICES_GONE
                                                          : IANA_SERVICES_CURRENT),
          "protocols_state of a missing file: %d (state %u)", (int)st, db->protocols.state);
    CHECK(iana_db_protocols_state(&ro, "/", NULL) == IANA_SERVICES_CURRENT,
          "protocols_state of the registry_only view");
}
