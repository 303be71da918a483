/* libFuzzer: arbitrary bytes as a database.  iana_db_view decides; on what
 * it accepts, every reader call the NSS module and the CLI make must stay
 * inside the bytes (ASan: the input is copied into a buffer of exactly its
 * size), terminate, and return indexes inside the file's counts.  On what
 * iana_db_verify also accepts, answers must be consistent with the entries
 * they name (README "What it answers").
 *
 * Both layers too (db_layers.c): the registry's entries and a merged
 * services file's lines (db/format.h FILE_*), answered in one numbering
 * (db/reader.h): lookups as `services: files iana`, every answer decoded,
 * the enumeration across both, the registry_only view, and the merged
 * file's state on disk.  And the protocols answers (db_protocols.c): the
 * protocols file's lines and the protocol numbers registry's entries.
 *
 * Each input runs twice: as it is, and with its header's file_size and
 * checksum set to match, so mutations get past the size check and
 * iana_db_verify's checksum to the structural checks behind them.  */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "../db/reader.h"
#include "../db/verify.h"
#include "db_layers.h"
#include "db_protocols.h"
#include "fuzz_util.h"

#define SAMPLE_SLOTS 8

static char long_name[1100];

/* An entry that decodes lies inside STRINGS and its block holds exactly
 * nalias + 1 NUL-terminated strings, the name not empty (db/reader.h), so
 * the NSS module can copy names_len bytes and walk them.  A verified file
 * has no empty alias either.  */
static bool entry_ok(const struct iana_db *db, bool verified, uint32_t index,
                     struct iana_view *v)
{
    if (iana_db_entry(db, index, v) < 0)
        return false;
    CHECK(index < db->entry_count, "entry %u of %u decodes", index, db->entry_count);
    CHECK(v->names > db->strings && v->names_len > 0 &&
              v->names + v->names_len <= db->strings + db->strings_size,
          "entry %u names outside STRINGS", index);
    CHECK(v->proto < IANA_NPROTO && v->port_lo <= v->port_hi, "entry %u fields", index);
    CHECK(v->names[0] != '\0' && v->names[v->names_len - 1] == '\0',
          "entry %u: empty name or unterminated block", index);
    size_t off = 0;
    for (unsigned i = 0; i <= v->nalias; i++) {
        CHECK(off < v->names_len, "entry %u: string %u starts past names_len %zu", index, i,
              v->names_len);
        size_t n = strlen(v->names + off);
        CHECK(!verified || n > 0, "verified file: entry %u has an empty alias %u", index, i);
        off += n + 1;
    }
    CHECK(v->nalias == 0 ? off <= v->names_len : off == v->names_len,
          "entry %u: names_len %zu, %u aliases walk %zu bytes", index, v->names_len, v->nalias,
          off);
    return true;
}

static bool has_spelling_fold(const struct iana_view *v, const char *q)
{
    const char *p = v->names;
    for (unsigned i = 0; i <= v->nalias; i++, p += strlen(p) + 1)
        if (strcasecmp(p, q) == 0)
            return true;
    return false;
}

static void lookup_name(const struct iana_db *db, bool verified, const char *name)
{
    for (int p = 0; p <= IANA_ANY_PROTO; p++) {
        int64_t r = iana_db_by_name(db, name, p);
        CHECK(r >= -1 && r < (int64_t)db->entry_count, "by_name(\"%.40s\", %d) = %lld",
              name, p, (long long)r);
        struct iana_view v;
        if (r < 0 || !entry_ok(db, verified, (uint32_t)r, &v)) {
            CHECK(r < 0 || !verified, "verified file: by_name(\"%.40s\") names a bad entry",
                  name);
            continue;
        }
        if (verified)
            CHECK((p == IANA_ANY_PROTO || v.proto == p) && has_spelling_fold(&v, name),
                  "verified file: by_name(\"%.40s\", %d) = %lld, which does not have it", name,
                  p, (long long)r);
    }
}

static void lookup_port(const struct iana_db *db, bool verified, uint16_t port)
{
    for (int p = 0; p <= IANA_ANY_PROTO; p++) {
        int64_t r = iana_db_by_port(db, port, p);
        CHECK(r >= -1 && r < (int64_t)db->entry_count, "by_port(%u, %d) = %lld", port, p,
              (long long)r);
        struct iana_view v;
        if (r < 0 || !entry_ok(db, verified, (uint32_t)r, &v)) {
            CHECK(r < 0 || !verified, "verified file: by_port(%u) names a bad entry", port);
            continue;
        }
        if (verified)
            CHECK((p == IANA_ANY_PROTO || v.proto == p) && port >= v.port_lo && port <= v.port_hi,
                  "verified file: by_port(%u, %d) = %lld, which does not cover it", port, p,
                  (long long)r);
    }
}

static void metadata(const struct iana_db *db)
{
    const uint32_t entries[] = {0, 1, 2, db->entry_count - 1, db->entry_count, UINT32_MAX};
    for (size_t k = 0; k < sizeof entries / sizeof entries[0]; k++)
        for (int f = 0; f <= IANA_NMETA; f++) {
            const char *s = iana_db_meta(db, entries[k], (enum iana_meta_field)f);
            CHECK(s != NULL, "meta NULL");
            (void)strlen(s);
        }
    const uint32_t idx[] = {0, 1, db->portless_count - 1, db->portless_count, UINT32_MAX};
    for (size_t k = 0; k < sizeof idx / sizeof idx[0]; k++) {
        const char *name = iana_db_portless_name(db, idx[k]);
        CHECK(name != NULL, "portless name NULL");
        (void)strlen(name);
        for (int f = 0; f <= IANA_NMETA; f++) {
            const char *s = iana_db_portless_meta(db, idx[k], (enum iana_meta_field)f);
            CHECK(s != NULL, "portless meta NULL");
            (void)strlen(s);
        }
        if (idx[k] < db->portless_count) {
            int64_t r = iana_db_portless(db, name);
            CHECK(r >= 0 && r <= (int64_t)idx[k], "portless(\"%.40s\") = %lld, at %u", name,
                  (long long)r, idx[k]);
        }
    }
    (void)strlen(iana_db_source_path(db));
    (void)strlen(iana_db_services_path(db));
    static const char *const names[] = {"http", "argus", "ZIGBEE-BRIDGE", ""};
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        int64_t r = iana_db_portless(db, names[k]);
        CHECK(r >= -1 && r < (int64_t)db->portless_count, "portless(\"%s\") = %lld", names[k],
              (long long)r);
    }
}

/* iana_proto_code: tcp, udp, sctp or dccp in any ASCII case; NULL is any;
 * anything else -1.  */
static void proto_code(const char *s)
{
    static const char *const names[IANA_NPROTO] = {"tcp", "udp", "sctp", "dccp"};
    int want = s ? -1 : IANA_ANY_PROTO;
    for (int p = 0; s && p < IANA_NPROTO && want < 0; p++) {
        size_t i = 0;
        for (; names[p][i]; i++) {
            char c = s[i] >= 'A' && s[i] <= 'Z' ? (char)(s[i] - 'A' + 'a') : s[i];
            if (c != names[p][i])
                break;
        }
        if (!names[p][i] && !s[i])
            want = p;
    }
    int got = iana_proto_code(s);
    CHECK(got == want, "iana_proto_code(\"%.8s\") = %d, expected %d", s ? s : "(null)", got,
          want);
    CHECK(got < 0 || got == IANA_ANY_PROTO || strcmp(iana_proto_name((unsigned)got), names[got]) == 0,
          "iana_proto_name(%d)", got);
}

/* A name or port asked of the registry (iana_db_by_*) and of both layers
 * (iana_db_service_by_*).  */
static void by_name(const struct iana_db *db, const struct iana_db *ro, bool verified,
                    const char *name)
{
    lookup_name(db, verified, name);
    layers_by_name(db, ro, verified, name, NULL);
}

static void by_port(const struct iana_db *db, const struct iana_db *ro, bool verified,
                    uint16_t port)
{
    lookup_port(db, verified, port);
    layers_by_port(db, ro, verified, port, NULL);
}

static void exercise(const uint8_t *buf, size_t size)
{
    struct iana_db db;
    const char *why = NULL;
    if (iana_db_view(buf, size, &db, &why) < 0) {
        CHECK(why != NULL, "rejected without a reason");
        return;
    }
    CHECK(db.base == buf && db.size == size && (const void *)db.hdr == buf, "view fields");
    bool verified = iana_db_verify(&db, &why) == 0;
    CHECK(verified || why != NULL, "verify failed without a reason");
    struct iana_db ro;
    iana_db_registry_only(&db, &ro);

    static const char *const fixed[] = {"http", "www", "HTTP", "cl/1", "x11", ""};
    for (size_t k = 0; k < sizeof fixed / sizeof fixed[0]; k++)
        by_name(&db, &ro, verified, fixed[k]);
    by_name(&db, &ro, verified, long_name);

    /* Names the file itself holds: the first keys of the name index and
     * the first entry's names, each also with its case flipped.  */
    uint32_t taken = 0;
    for (uint32_t i = 0; i < db.name_buckets * IANA_NAME_BUCKET && taken < SAMPLE_SLOTS; i++) {
        uint32_t key = iana_key_offset(
            iana_le32(db.name_index[i / IANA_NAME_BUCKET].key[i % IANA_NAME_BUCKET]));
        if (!key || key >= db.strings_size)
            continue;
        char flipped[128];
        const char *s = db.strings + key;
        size_t n = 0;
        for (; s[n] && n + 1 < sizeof flipped; n++)
            flipped[n] = (char)((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= 'A' && s[n] <= 'Z')
                                    ? s[n] ^ 0x20
                                    : s[n]);
        flipped[n] = '\0';
        by_name(&db, &ro, verified, s);
        by_name(&db, &ro, verified, flipped);
        taken++;
    }
    struct iana_view v;
    if (db.entry_count && entry_ok(&db, verified, 0, &v)) {
        const char *p = v.names;
        for (unsigned i = 0; i <= v.nalias && i < SAMPLE_SLOTS; i++, p += strlen(p) + 1)
            by_name(&db, &ro, verified, p);
    }

    static const uint16_t ports[] = {0, 80, 6010, 65535};
    for (size_t k = 0; k < sizeof ports / sizeof ports[0]; k++)
        by_port(&db, &ro, verified, ports[k]);
    /* The first ports of the port index (its bitmap), and the ports of the
     * first entries.  */
    taken = 0;
    for (uint32_t w = 0; w < 1024 && taken < SAMPLE_SLOTS; w++)
        for (uint64_t bits = iana_le64(db.port_index->bits[w]); bits && taken < SAMPLE_SLOTS; taken++) {
            by_port(&db, &ro, verified, (uint16_t)(w * 64 + (uint32_t)__builtin_ctzll(bits)));
            bits &= bits - 1;
        }
    for (uint32_t i = 0; i < db.entry_count && i < SAMPLE_SLOTS / 2; i++)
        if (entry_ok(&db, verified, i, &v)) {
            by_port(&db, &ro, verified, v.port_lo);
            by_port(&db, &ro, verified, v.port_hi);
        }

    /* Names and ports of the services file's first lines (each with its
     * own protocol too), as far as their blocks go.  */
    for (uint32_t i = 0; i < db.file_count && i < SAMPLE_SLOTS; i++) {
        if (iana_db_answer_bounded(&db, i, &v) < 0)
            continue;
        const char *p = v.names, *end = v.names + v.names_len;
        for (unsigned k = 0; k <= v.nalias && k < SAMPLE_SLOTS && p < end; k++) {
            layers_by_name(&db, &ro, verified, p, v.proto_name);
            p += strlen(p) + 1;
        }
        layers_by_port(&db, &ro, verified, v.port_lo, v.proto_name);
    }

    layers_answers(&db, verified);
    layers_enumerate(&db, verified);
    layers_registry_only(&db, &ro, verified);
    layers_services_state(&db, &ro);
    protocols_exercise(&db, verified);
    metadata(&db);

    for (uint32_t i = 0; i < 4 && i <= db.entry_count; i++)
        (void)entry_ok(&db, verified, db.entry_count - i, &v);
    CHECK(iana_db_entry(&db, UINT32_MAX, &v) < 0, "entry UINT32_MAX decodes");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!long_name[0]) {
        memset(long_name, 'x', sizeof long_name - 1);
        layers_init();
    }

    /* The protocol argument, as the NSS module parses it: a few fixed
     * strings and the input's last bytes.  */
    static const char *const protos[] = {NULL, "tcp", "UDP", "Sctp", "dccP", "udplite", "tc",
                                         "tcpx", "", "t\xc3\xa7p", "\xd4" "CP"};
    for (size_t k = 0; k < sizeof protos / sizeof protos[0]; k++)
        proto_code(protos[k]);
    char tail[7] = {0};
    size_t t = size < 6 ? size : 6;
    if (t)
        memcpy(tail, data + size - t, t);
    proto_code(tail);
    CHECK(iana_proto_name(IANA_NPROTO) == NULL && iana_proto_name(UINT32_MAX) == NULL,
          "iana_proto_name out of range");

    /* Exactly `size` bytes on the heap: one byte past them is a redzone.  */
    uint8_t *buf = malloc(size ? size : 1);
    if (!buf)
        return 0;
    if (size)
        memcpy(buf, data, size);
    exercise(buf, size);

    /* Again with file_size and checksum made to match the bytes.  */
    if (size >= IANA_HEADER_SIZE && size <= UINT32_MAX &&
        memcmp(buf, IANA_MAGIC, IANA_MAGIC_LEN) == 0) {
        uint32_t fsize = iana_le32((uint32_t)size);
        uint8_t sum[32];
        memcpy(buf + offsetof(struct iana_header, file_size), &fsize, sizeof fsize);
        iana_db_checksum(buf, size, sum);
        memcpy(buf + offsetof(struct iana_header, checksum), sum, sizeof sum);
        if (memcmp(buf, data, size) != 0)
            exercise(buf, size);
    }
    free(buf);
    return 0;
}
