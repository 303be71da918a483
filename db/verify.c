#define _GNU_SOURCE
#include "verify.h"

#include <nettle/sha2.h>
#include <stddef.h>
#include <string.h>

void iana_db_checksum(const uint8_t *data, size_t size, uint8_t out[32])
{
    static const uint8_t zero[32];
    const size_t at = offsetof(struct iana_header, checksum);
    struct sha256_ctx sha;
    sha256_init(&sha);
    sha256_update(&sha, at, data);
    sha256_update(&sha, sizeof zero, zero);
    sha256_update(&sha, size - at - sizeof zero, data + at + sizeof zero);
    sha256_digest(&sha, 32, out);
}

static int entry_has_spelling(const struct iana_view *v, const char *s)
{
    const char *p = v->names;
    for (unsigned i = 0; i <= v->nalias; i++, p += strlen(p) + 1)
        if (strcmp(p, s) == 0)
            return 1;
    return 0;
}

int iana_db_verify(const struct iana_db *db, const char **why)
{
    const struct iana_header *h = db->hdr;
    uint8_t sum[32];
    struct iana_view v;
    uint64_t lines = 0;

#define REJECT(reason) do { *why = reason; return -1; } while (0)
    iana_db_checksum(db->base, db->size, sum);
    if (memcmp(sum, h->checksum, sizeof sum) != 0)
        REJECT("checksum mismatch: the file was changed after it was written");
    for (uint32_t i = 0; i < db->entry_count; i++) {
        if (iana_db_entry(db, i, &v) < 0 || memmem(v.names, v.names_len, "\0\0", 2))
            REJECT("damaged entry");
        if (db->meta_entry[i] >= db->tuple_count)
            REJECT("entry metadata out of range");
        lines += (uint64_t)v.port_hi - v.port_lo + 1;
    }
    if (lines != db->enum_count)
        REJECT("enumeration count does not match the entries");

    /* The name index: every key is in one of the buckets of its hash, with
     * its tag, and names a spelling of its entry.  */
    uint32_t keys = 0;
    for (uint32_t bi = 0; bi < db->name_buckets; bi++) {
        const struct iana_name_bucket *bk = &db->name_index[bi];
        for (int i = 0; i < IANA_NAME_BUCKET; i++) {
            uint32_t key = bk->key[i], ref = bk->ref[i];
            if (key == 0 && ref == 0)
                continue;
            uint32_t off = iana_key_offset(key), len = iana_ref_len(ref);
            if (off == 0 || len == 0 || off + len >= db->strings_size ||
                strlen(db->strings + off) != len ||
                iana_db_entry(db, iana_ref_entry(ref), &v) < 0 ||
                v.proto != iana_ref_proto(ref) || !entry_has_spelling(&v, db->strings + off))
                REJECT("name index key does not match its entry");
            uint32_t b[2];
            uint64_t hash = iana_spelling_hash(db->strings + off, len);
            iana_name_buckets(hash, db->name_buckets, b);
            if (key >> IANA_NAME_OFFSET_BITS != iana_name_tag(hash) || (bi != b[0] && bi != b[1]))
                REJECT("name index key out of place");
            keys++;
        }
    }
    if (keys != db->name_keys)
        REJECT("name index key count does not match the header");
    /* Every spelling of every entry is found, at this entry or an earlier
     * one with the same spelling and protocol; for any protocol, no later.  */
    for (uint32_t i = 0; i < db->entry_count; i++) {
        iana_db_entry(db, i, &v);
        const char *p = v.names;
        for (unsigned a = 0; a <= v.nalias; a++, p += strlen(p) + 1) {
            struct iana_view hit;
            int64_t e = iana_db_by_name(db, p, v.proto), any = iana_db_by_name(db, p, IANA_ANY_PROTO);
            if (e < 0 || e > i || iana_db_entry(db, (uint32_t)e, &hit) < 0 ||
                hit.proto != v.proto || !entry_has_spelling(&hit, p) || any < 0 || any > e)
                REJECT("name index does not find a name of an entry");
        }
    }

    /* The port index: ranks agree with the bitmap, and every record's
     * entries cover the port, with the protocol they are filed under.  */
    uint32_t n = 0;
    for (uint32_t w = 0; w < 1024; w++) {
        if (db->port_index->rank[w] != n)
            REJECT("port index rank does not match its bitmap");
        n += iana_popcount64(db->port_index->bits[w]);
    }
    if (n != db->port_count)
        REJECT("port index bitmap does not match the record count");
    for (uint32_t port = 0; port < 65536; port++) {
        int64_t any = iana_db_by_port(db, (uint16_t)port, IANA_ANY_PROTO);
        int64_t best = -1;
        uint64_t best_rank = UINT64_MAX;
        for (int proto = 0; proto < IANA_NPROTO; proto++) {
            int64_t e = iana_db_by_port(db, (uint16_t)port, proto);
            if (e < 0)
                continue;
            if (iana_db_entry(db, (uint32_t)e, &v) < 0 || v.proto != proto ||
                port < v.port_lo || port > v.port_hi)
                REJECT("port index record does not match its entry");
            uint64_t rank = (uint64_t)(v.port_lo != v.port_hi) << 32 | (uint64_t)e;
            if (rank < best_rank)
                best_rank = rank, best = e;
        }
        if (any != best)
            REJECT("port index answer for any protocol is not the best one");
    }
    for (uint32_t r = 0; r < db->port_count; r++)
        for (int proto = 0; proto <= IANA_NPROTO; proto++)
            if (db->port_records[r].entry[proto] != IANA_NO_ENTRY &&
                db->port_records[r].entry[proto] >= db->entry_count)
                REJECT("port index record out of range");

    if (db->meta_strings_size == 0 || db->meta_strings[0] != '\0' ||
        db->meta_strings[db->meta_strings_size - 1] != '\0')
        REJECT("metadata strings not NUL-delimited");
    for (uint32_t i = 0; i < db->tuple_count; i++)
        for (int f = 0; f < IANA_NMETA; f++)
            if (db->tuples[i].field[f] >= db->meta_strings_size)
                REJECT("metadata string out of range");
    if (db->local_file >= db->meta_strings_size)
        REJECT("local file name out of range");
    for (uint32_t i = 0; i < db->portless_count; i++)
        if (db->portless[i].name >= db->meta_strings_size ||
            db->portless[i].tuple >= db->tuple_count)
            REJECT("portless name out of range");
#undef REJECT
    return 0;
}
