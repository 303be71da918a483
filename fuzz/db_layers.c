/* fuzz_db's checks of the answers as NSS sees them (db/reader.h): a
 * merged services file's lines, then the registry's entries, in one
 * numbering; see db_layers.h.  */
#include "db_layers.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz_util.h"

/* Lines enumerated at most.  A file of a few KB can declare hundreds of
 * 0-65535 ranges; the enumeration's length is checked exactly when it is
 * below this.  */
#define ENUM_CAP (1u << 16)
/* Answers decoded one by one at most: file lines and entries.  */
#define ANSWER_CAP 4096u
/* Lines a brute-force `files` lookup reads at most, per query.  */
#define FILE_SCAN_CAP 4096u

/* The answers' numbering (db/reader.h): lines 0 .. file_count - 1, then
 * file_count + i for entry i.  */
static uint64_t answer_count(const struct iana_db *db)
{
    return (uint64_t)db->file_count + db->entry_count;
}

/* What iana_db_answer_bounded gives (the NSS module copies from it): a
 * line's names and protocol inside FILE_STRINGS, back to back, the
 * protocol the block's last string; an entry's names inside STRINGS and
 * one of the four protocols; either way a name that is not empty and a
 * NUL-terminated block.  */
static void bounded_view_ok(const struct iana_db *db, uint32_t a, const struct iana_view *v)
{
    const bool line = a < db->file_count;
    const char *sec = line ? db->file_strings : db->strings;
    const size_t sec_size = line ? db->file_strings_size : db->strings_size;
    CHECK(v->names > sec && v->names_len > 0 && v->names_len <= sec_size &&
              (size_t)(v->names - sec) <= sec_size - v->names_len,
          "answer %u: names outside %s", a, line ? "FILE_STRINGS" : "STRINGS");
    CHECK(v->names[0] != '\0' && v->names[v->names_len - 1] == '\0',
          "answer %u: empty name or unterminated block", a);
    CHECK(v->proto_name != NULL && v->proto_len > 0 && strlen(v->proto_name) == v->proto_len - 1,
          "answer %u: protocol of %zu bytes", a, v->proto_len);
    if (line) {
        CHECK(v->proto_name == v->names + v->names_len &&
                  v->proto_len <= sec_size - (size_t)(v->proto_name - sec),
              "answer %u: the protocol does not end the line's block inside FILE_STRINGS", a);
        const struct iana_file_entry e = iana_file_entry_le(db->file_entries[a]);
        CHECK(v->proto == IANA_NPROTO && v->port_lo == v->port_hi && v->port_lo == e.port &&
                  v->line == e.line && v->nalias == e.nalias,
              "answer %u: line fields", a);
    } else {
        CHECK(v->proto < IANA_NPROTO && strcmp(v->proto_name, iana_proto_name(v->proto)) == 0 &&
                  v->port_lo <= v->port_hi && v->line == 0,
              "answer %u: entry fields", a);
    }
}

/* Any answer index: refused, or decoded bounded, or in full; never outside
 * the numbering; on a verified file every one inside it decodes.  A full
 * decode holds exactly 1 + nalias strings (an entry without aliases may
 * hold fewer: nothing walks it).  Returns whether it decoded in full.  */
static bool answer_ok(const struct iana_db *db, bool verified, uint32_t a, struct iana_view *v)
{
    struct iana_view b;
    const bool bounded = iana_db_answer_bounded(db, a, &b) == 0;
    const bool full = iana_db_answer(db, a, v) == 0;
    CHECK(!bounded || a < answer_count(db), "answer %u of %llu decodes", a,
          (unsigned long long)answer_count(db));
    CHECK(!full || bounded, "answer %u decodes in full, not bounded", a);
    if (bounded)
        bounded_view_ok(db, a, &b);
    if (!full) {
        CHECK(!verified || a >= answer_count(db), "verified file: answer %u does not decode", a);
        return false;
    }
    CHECK(v->names == b.names && v->names_len == b.names_len && v->nalias == b.nalias &&
              v->proto_name == b.proto_name && v->proto_len == b.proto_len &&
              v->port_lo == b.port_lo && v->port_hi == b.port_hi && v->proto == b.proto &&
              v->line == b.line,
          "answer %u: full and bounded views differ", a);
    size_t off = 0;
    for (unsigned i = 0; i <= v->nalias; i++) {
        CHECK(off < v->names_len, "answer %u: string %u starts past names_len %zu", a, i,
              v->names_len);
        size_t n = strlen(v->names + off);
        CHECK(!verified || n > 0, "verified file: answer %u has an empty alias %u", a, i);
        off += n + 1;
    }
    CHECK(a >= db->file_count && v->nalias == 0 ? off <= v->names_len : off == v->names_len,
          "answer %u: names_len %zu, %u aliases walk %zu bytes", a, v->names_len, v->nalias, off);
    return true;
}

/* Every answer index (up to ANSWER_CAP), and some past the end.  */
void layers_answers(const struct iana_db *db, bool verified)
{
    struct iana_view v;
    const uint64_t count = answer_count(db);
    for (uint64_t a = 0; a < count && a < ANSWER_CAP; a++)
        (void)answer_ok(db, verified, (uint32_t)a, &v);
    const uint32_t odd[] = {db->file_count - 1, db->file_count, (uint32_t)count - 1,
                            (uint32_t)count,    (uint32_t)count + 1, UINT32_MAX};
    for (size_t k = 0; k < sizeof odd / sizeof odd[0]; k++)
        (void)answer_ok(db, verified, odd[k], &v);
}

/* A name among a block's strings, exactly (strcmp, as nss_files), walking
 * no further than names_len.  */
static bool has_spelling_exact(const struct iana_view *v, const char *q)
{
    const char *p = v->names, *end = v->names + v->names_len;
    for (unsigned i = 0; i <= v->nalias && p < end; i++) {
        size_t n = strnlen(p, (size_t)(end - p));
        if (n == strlen(q) && memcmp(p, q, n) == 0)
            return true;
        p += n + 1;
    }
    return false;
}

/* `files` by brute force over the lines of a verified file: the first
 * with the name (or port) and the protocol string, NULL being any.  -2
 * when there are too many lines to read for each query.  */
static int64_t files_by_name(const struct iana_db *db, const char *name, const char *proto)
{
    if (db->file_count > FILE_SCAN_CAP)
        return -2;
    for (uint32_t i = 0; i < db->file_count; i++) {
        struct iana_view v;
        if (iana_db_answer(db, i, &v) == 0 && (!proto || strcmp(v.proto_name, proto) == 0) &&
            has_spelling_exact(&v, name))
            return i;
    }
    return -1;
}

static int64_t files_by_port(const struct iana_db *db, uint16_t port, const char *proto)
{
    if (db->file_count > FILE_SCAN_CAP)
        return -2;
    for (uint32_t i = 0; i < db->file_count; i++) {
        struct iana_view v;
        if (iana_db_answer(db, i, &v) == 0 && v.port_lo == port &&
            (!proto || strcmp(v.proto_name, proto) == 0))
            return i;
    }
    return -1;
}

/* The protocols a `files iana` lookup is asked with: any, the registry's
 * (in its own case), one only a file can have, and the empty string.  */
static const char *const file_protos[] = {NULL, "tcp", "ddp", ""};
#define NFILE_PROTOS (sizeof file_protos / sizeof file_protos[0])

/* One `files iana` answer, on any file: in the numbering; a line only if
 * it decodes and has the name (or port, and no wide port was asked) and
 * the very protocol; otherwise the registry's answer after the lines, as
 * the registry_only view gives it.  On a verified file: exactly the first
 * such line, by brute force.  */
static void check_service(const struct iana_db *db, bool verified, int64_t r, int64_t reg, int64_t reg_ro, int64_t files,
                          const char *name, uint16_t port, bool wide, const char *proto)
{
    const char *what = name ? name : "(port)";
    const char *pn = proto ? proto : "(null)";
    CHECK(r >= -1 && r < (int64_t)answer_count(db), "service \"%.40s\" %u/%s = %lld", what, port,
          pn, (long long)r);
    CHECK(reg_ro == reg, "registry_only: \"%.40s\" %u/%s = %lld, the registry %lld", what, port,
          pn, (long long)reg_ro, (long long)reg);
    if (r >= 0 && r < (int64_t)db->file_count) {
        struct iana_view v;
        CHECK(iana_db_answer_bounded(db, (uint32_t)r, &v) == 0 && !wide &&
                  (!proto || strcmp(v.proto_name, proto) == 0) &&
                  (name ? has_spelling_exact(&v, name) : v.port_lo == port),
              "service \"%.40s\" %u/%s = line %lld, which does not have it", what, port, pn,
              (long long)r);
    } else {
        CHECK(r == (reg < 0 ? -1 : reg + (int64_t)db->file_count),
              "service \"%.40s\" %u/%s = %lld, not the registry's %lld after %u lines", what,
              port, pn, (long long)r, (long long)reg, db->file_count);
    }
    if (verified && files != -2) {
        int64_t want = files >= 0 ? files : reg < 0 ? -1 : reg + (int64_t)db->file_count;
        CHECK(r == want, "verified file: service \"%.40s\" %u%s/%s = %lld, expected %lld", what,
              port, wide ? " (wide)" : "", pn, (long long)r, (long long)want);
    }
}

static void service_name(const struct iana_db *db, const struct iana_db *ro, bool verified,
                         const char *name, const char *proto)
{
    int code = iana_proto_code(proto);
    int64_t reg = code < 0 ? -1 : iana_db_by_name(db, name, code);
    check_service(db, verified, iana_db_service_by_name(db, name, proto), reg,
                  iana_db_service_by_name(ro, name, proto),
                  verified ? files_by_name(db, name, proto) : -2, name, 0, false, proto);
}

static void service_port(const struct iana_db *db, const struct iana_db *ro, bool verified,
                         uint16_t port, bool wide, const char *proto)
{
    int code = iana_proto_code(proto);
    int64_t reg = code < 0 ? -1 : iana_db_by_port(db, port, code);
    int64_t files = !verified ? -2 : wide ? -1 : files_by_port(db, port, proto);
    check_service(db, verified, iana_db_service_by_port(db, port, wide, proto), reg,
                  iana_db_service_by_port(ro, port, wide, proto), files, NULL, port, wide, proto);
}

void layers_by_name(const struct iana_db *db, const struct iana_db *ro, bool verified,
                             const char *name, const char *line_proto)
{
    for (size_t k = 0; k < NFILE_PROTOS; k++)
        service_name(db, ro, verified, name, file_protos[k]);
    if (line_proto)
        service_name(db, ro, verified, name, line_proto);
}

void layers_by_port(const struct iana_db *db, const struct iana_db *ro, bool verified,
                             uint16_t port, const char *line_proto)
{
    for (int wide = 0; wide < 2; wide++) {
        for (size_t k = 0; k < NFILE_PROTOS; k++)
            service_port(db, ro, verified, port, wide, file_protos[k]);
        if (line_proto)
            service_port(db, ro, verified, port, wide, line_proto);
    }
}

/* The enumeration, across both layers.  */
void layers_enumerate(const struct iana_db *db, bool verified)
{
    const uint64_t count = answer_count(db);
    struct iana_view v;
    /* The cursor stops at the first answer that does not decode: the lines
     * before it are all it may yield.  */
    uint64_t expected = 0;
    for (uint64_t a = 0; a < count && answer_ok(db, verified, (uint32_t)a, &v); a++)
        expected += (uint64_t)v.port_hi - v.port_lo + 1;
    if (verified)
        CHECK(expected == (uint64_t)db->file_count + db->enum_count,
              "verified file: %llu lines, %u file lines + enum_count %u",
              (unsigned long long)expected, db->file_count, db->enum_count);

    struct iana_cursor c = {0};
    uint32_t answer, prev = 0;
    uint16_t port;
    uint64_t steps = 0, limit = expected < ENUM_CAP ? expected : ENUM_CAP;
    while (steps <= limit && iana_db_cursor_get(db, &c, &answer, &port)) {
        CHECK(answer < count && answer >= prev && answer_ok(db, verified, answer, &v) &&
                  port >= v.port_lo && port <= v.port_hi &&
                  (answer >= db->file_count || answer == steps),
              "line %llu: answer %u port %u", (unsigned long long)steps, answer, port);
        prev = answer;
        iana_db_cursor_next(db, &c);
        steps++;
    }
    if (expected <= ENUM_CAP) {
        CHECK(steps == expected, "enumeration gave %llu lines, expected %llu",
              (unsigned long long)steps, (unsigned long long)expected);
        CHECK(!iana_db_cursor_get(db, &c, &answer, &port), "enumeration does not end");
    }

    /* Cursors nobody should hold, and stepping past the end.  */
    const struct iana_cursor odd[] = {
        {(uint32_t)count, 0},      {(uint32_t)count, UINT32_MAX}, {UINT32_MAX, UINT32_MAX},
        {0, UINT32_MAX},           {0, 65535},                    {UINT32_MAX - 1, 0},
        {db->file_count, 0},       {db->file_count - 1, 1},       {db->file_count, 65535},
        {db->entry_count, 0},
    };
    for (size_t k = 0; k < sizeof odd / sizeof odd[0]; k++) {
        c = odd[k];
        for (int s = 0; s < 3; s++) {
            if (iana_db_cursor_get(db, &c, &answer, &port))
                CHECK(answer < count, "odd cursor %zu gave answer %u", k, answer);
            iana_db_cursor_next(db, &c);
        }
    }
}

/* The file iana_db_services_state is asked about: empty, so a database
 * that merged an empty file (size 0, the hash of nothing) finds it
 * current, and any other finds it changed.  Unlinked once made, and
 * reached through our descriptor.  */
static char empty_path[64];
static struct stat empty_st;

void layers_init(void)
{
    char tmp[] = "/tmp/fuzz_db.XXXXXX";
    int fd = mkstemp(tmp);
    CHECK(fd >= 0, "mkstemp: %s", strerror(errno));
    unlink(tmp);
    CHECK(fstat(fd, &empty_st) == 0, "fstat");
    snprintf(empty_path, sizeof empty_path, "/proc/self/fd/%d", fd);
}

void layers_services_state(const struct iana_db *db, const struct iana_db *ro)
{
    const struct iana_file_id *id = &db->services;
    const bool same = id->size == 0 && id->hash == IANA_FILE_HASH_INIT;
    const enum iana_services_state want =
        id->state == IANA_FILE_NONE      ? IANA_SERVICES_CURRENT
        : id->state == IANA_FILE_ABSENT ? IANA_SERVICES_CHANGED
        /* A view has no mtime: nothing tells that the file is untouched
         * since it was written, and its bytes decide even when its
         * identity is the one recorded.  */
        : same                          ? IANA_SERVICES_CURRENT
                                        : IANA_SERVICES_CHANGED;
    struct iana_file_seen known = {0};
    int saved = errno = 4242;
    enum iana_services_state st = iana_db_services_state(db, empty_path, &known);
    CHECK(errno == saved, "services_state changed errno");
    CHECK(st == want, "services_state: %d, expected %d (state %u, size %llu)", (int)st,
          (int)want, id->state, (unsigned long long)id->size);
    if (st == IANA_SERVICES_CURRENT && id->state == IANA_FILE_PRESENT)
        CHECK(known.id.state == IANA_FILE_PRESENT && known.id.ino == (uint64_t)empty_st.st_ino &&
                  iana_db_services_state(db, empty_path, &known) == IANA_SERVICES_CURRENT,
              "services_state: the identity found is not remembered");
    st = iana_db_services_state(db, "/nonexistent/fuzz_db", NULL);
    CHECK(st == (id->state == IANA_FILE_PRESENT ? IANA_SERVICES_GONE : IANA_SERVICES_CURRENT),
          "services_state of a missing file: %d (state %u)", (int)st, id->state);
    st = iana_db_services_state(db, "/", NULL);
    CHECK(st == (id->state == IANA_FILE_NONE ? IANA_SERVICES_CURRENT : IANA_SERVICES_CHANGED),
          "services_state of a directory: %d (state %u)", (int)st, id->state);
    CHECK(iana_db_services_state(ro, empty_path, NULL) == IANA_SERVICES_CURRENT &&
              iana_db_services_state(ro, "/", NULL) == IANA_SERVICES_CURRENT,
          "registry_only cares about the file");
}

/* The registry_only view: no lines, no file, and the same registry.  */
void layers_registry_only(const struct iana_db *db, const struct iana_db *ro, bool verified)
{
    CHECK(ro->file_count == 0 && ro->services.state == IANA_FILE_NONE && !ro->mapped &&
              ro->entry_count == db->entry_count && ro->base == db->base,
          "registry_only view");
    struct iana_cursor c = {0};
    uint32_t answer;
    uint16_t port;
    struct iana_view v;
    bool first = db->entry_count && iana_db_entry(db, 0, &v) == 0;
    bool got = iana_db_cursor_get(ro, &c, &answer, &port);
    CHECK(got == first && (!got || (answer == 0 && port == v.port_lo)),
          "registry_only enumeration starts with %d/%u", got ? (int)answer : -1, got ? port : 0);
    CHECK(!verified || !got || iana_db_answer(ro, 0, &v) == 0, "registry_only answer 0");
}

