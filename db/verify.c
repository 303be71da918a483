#define _GNU_SOURCE
#include "verify.h"

#include <nettle/sha2.h>
#include <stddef.h>
#include <stdlib.h>
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
    for (unsigned long i = 0; i <= v->nalias; i++, p += strlen(p) + 1)
        if (strcmp(p, s) == 0)
            return 1;
    return 0;
}

/* A FILE_NAMES or FILE_PORTS index: start[] runs from 0 to nkeys without
 * going back, and every key of a bucket names a line, in file order, and
 * belongs there (`fits`).  */
static int file_index_ok(const uint32_t *start, const struct iana_file_key *keys,
                         uint32_t nbuckets, uint32_t nkeys, const struct iana_db *db,
                         int (*fits)(const struct iana_db *, const struct iana_view *,
                                     uint32_t tag, uint32_t bucket))
{
    if (iana_le32(start[0]) != 0 || iana_le32(start[nbuckets]) != nkeys)
        return -1;
    for (uint32_t b = 0; b < nbuckets; b++) {
        const uint32_t lo = iana_le32(start[b]), hi = iana_le32(start[b + 1]);
        if (lo > hi || hi > nkeys)
            return -1; /* a later bucket going back is found only later */
        for (uint32_t k = lo; k < hi; k++) {
            struct iana_view v;
            const struct iana_file_key key = iana_file_key_le(keys[k]);
            if (iana_db_answer(db, key.entry, &v) < 0 || key.entry >= db->file_count ||
                (k > lo && key.entry < iana_le32(keys[k - 1].entry)) ||
                !fits(db, &v, key.tag, b))
                return -1;
        }
    }
    return 0;
}

static int any_key_fits(const struct iana_db *db, const struct iana_view *v, uint32_t tag,
                        uint32_t bucket)
{
    (void)db, (void)v, (void)tag, (void)bucket; /* file_names_ok checks the name keys */
    return 1;
}

struct name_triple {
    uint32_t entry, tag, bucket;
};

static int triple_cmp(const void *pa, const void *pb)
{
    const struct name_triple *a = pa, *b = pb;
    if (a->entry != b->entry)
        return a->entry < b->entry ? -1 : 1;
    if (a->tag != b->tag)
        return a->tag < b->tag ? -1 : 1;
    return (a->bucket > b->bucket) - (a->bucket < b->bucket);
}

/* The name keys are exactly one (entry, tag, bucket) for each distinct
 * hash of each line's names: both sides sorted and compared, so a line of
 * thousands of aliases costs n log n, not n squared.  */
static int file_names_ok(const struct iana_db *db)
{
    size_t total = 0;
    for (uint32_t i = 0; i < db->file_count; i++)
        total += 1 + (size_t)iana_le32(db->file_entries[i].nalias);
    struct name_triple *want = calloc(total + 1, sizeof *want);
    struct name_triple *have = calloc((size_t)db->file_name_keys + 1, sizeof *have);
    int rc = -1;
    if (!want || !have)
        goto out;
    size_t n = 0;
    for (uint32_t i = 0; i < db->file_count; i++) {
        struct iana_view v;
        if (iana_db_answer(db, i, &v) < 0)
            goto out;
        const char *p = v.names;
        for (unsigned long a = 0; a <= v.nalias; a++, p += strlen(p) + 1) {
            uint64_t h = iana_spelling_hash(p, strlen(p));
            want[n++] = (struct name_triple){i, iana_file_name_tag(h),
                                             iana_file_name_bucket(h, db->file_name_buckets)};
        }
    }
    qsort(want, n, sizeof *want, triple_cmp);
    size_t u = 0;
    for (size_t k = 0; k < n; k++)
        if (!u || triple_cmp(&want[u - 1], &want[k]) != 0)
            want[u++] = want[k];
    size_t m = 0;
    for (uint32_t b = 0; b < db->file_name_buckets; b++)
        for (uint32_t k = iana_le32(db->file_name_start[b]);
             k < iana_le32(db->file_name_start[b + 1]); k++) {
            const struct iana_file_key key = iana_file_key_le(db->file_name_keys_at[k]);
            have[m++] = (struct name_triple){key.entry, key.tag, b};
        }
    qsort(have, m, sizeof *have, triple_cmp);
    rc = u == m && memcmp(want, have, u * sizeof *want) == 0 ? 0 : -1;
out:
    free(want);
    free(have);
    return rc;
}

static int port_key_fits(const struct iana_db *db, const struct iana_view *v, uint32_t tag,
                         uint32_t bucket)
{
    return tag == v->port_lo && iana_file_port_bucket(v->port_lo, db->file_port_buckets) == bucket;
}

/* The services file's lines: each intact, each found by each of its names
 * and by its port, with its protocol, at itself or an earlier line.  */
static int file_layer_ok(const struct iana_db *db, const char **why)
{
#define REJECT(reason) do { *why = reason; return -1; } while (0)
    if (db->services.state > IANA_FILE_ABSENT ||
        (db->file_count && db->services.state != IANA_FILE_PRESENT))
        REJECT("services file state out of range");
    if (db->file_strings_size == 0 || db->file_strings[0] != '\0')
        REJECT("services file strings not NUL-delimited");
    for (uint32_t i = 0; i < db->file_count; i++) {
        struct iana_view v;
        if (iana_db_answer(db, i, &v) < 0 || memmem(v.names, v.names_len, "\0\0", 2))
            REJECT("damaged services file line");
        const struct iana_file_entry e = iana_file_entry_le(db->file_entries[i]);
        if (e.zero)
            REJECT("services file line has reserved bits set");
        if (e.line == 0 || (i && e.line <= iana_le32(db->file_entries[i - 1].line)))
            REJECT("services file line numbers not in file order from 1");
    }
    if (file_index_ok(db->file_name_start, db->file_name_keys_at, db->file_name_buckets,
                      db->file_name_keys, db, any_key_fits) < 0 || file_names_ok(db) < 0 ||
        file_index_ok(db->file_port_start, db->file_port_keys_at, db->file_port_buckets,
                      db->file_count, db, port_key_fits) < 0)
        REJECT("services file index key out of place");
    for (uint32_t i = 0; i < db->file_count; i++) {
        struct iana_view v, hit;
        iana_db_answer(db, i, &v);
        int64_t at = iana_db_service_by_port(db, v.port_lo, false, v.proto_name);
        if (at < 0 || at > i || iana_db_answer(db, (uint32_t)at, &hit) < 0 ||
            hit.port_lo != v.port_lo || strcmp(hit.proto_name, v.proto_name) != 0)
            REJECT("services file index does not find a line by its port");
        /* Each name found by a lookup too, end to end (the index was shown
         * exact above; a line of thousands of aliases is asked its first
         * 256, as every lookup reads the whole line).  */
        const char *p = v.names;
        for (unsigned long a = 0; a <= v.nalias && a < 256; a++, p += strlen(p) + 1) {
            at = iana_db_service_by_name(db, p, v.proto_name);
            if (at < 0 || at > i || iana_db_answer(db, (uint32_t)at, &hit) < 0 ||
                !entry_has_spelling(&hit, p) || strcmp(hit.proto_name, v.proto_name) != 0)
                REJECT("services file index does not find a line by its name");
        }
    }
    return 0;
#undef REJECT
}

static int proto_has_spelling(const struct iana_proto_view *v, const char *s)
{
    const char *p = v->names;
    for (unsigned long i = 0; i <= v->nalias; i++, p += strlen(p) + 1)
        if (strcmp(p, s) == 0)
            return 1;
    return 0;
}

/* The protocols sections (format.h, PROTO_*): every answer whole, every
 * key in its place and in entry order, every name and number found at its
 * entry or an earlier one that has it too.  */
int iana_db_verify_protocols(const struct iana_db *db, const char **why)
{
    struct iana_proto_view v, hit;
#define REJECT(reason) do { *why = reason; return -1; } while (0)
    if (db->proto_meta_size == 0 || db->proto_meta[0] != '\0' ||
        db->proto_meta[db->proto_meta_size - 1] != '\0')
        REJECT("protocol metadata strings not NUL-delimited");
    if (db->proto_source_path >= db->proto_meta_size || db->protocols_path >= db->proto_meta_size)
        REJECT("protocols source path out of range");
    for (uint32_t i = 0; i < db->proto_count; i++) {
        const struct iana_proto_entry *e = &db->proto_entries[i];
        uint32_t flags = iana_le32(e->flags), number = iana_le32(e->number);
        uint32_t desc = iana_le32(e->description), ref = iana_le32(e->reference);
        if (iana_db_proto(db, i, &v) < 0 || memmem(v.names, v.names_len, "\0\0", 2))
            REJECT("damaged protocol entry");
        if (flags & ~IANA_PROTO_FLAGS || desc >= db->proto_meta_size || ref >= db->proto_meta_size)
            REJECT("protocol entry flags or metadata out of range");
        if (i < db->proto_file_count ? flags || desc || ref : number > 255)
            REJECT("protocol entry out of its layer");
    }
    /* PROTO_NAMES */
    const uint32_t nb = db->proto_name_buckets;
    if (iana_le32(db->proto_name_start[0]) != 0 ||
        iana_le32(db->proto_name_start[nb]) != db->proto_name_keys)
        REJECT("protocol name index does not span its keys");
    for (uint32_t b = 0; b < nb; b++) {
        uint32_t lo = iana_le32(db->proto_name_start[b]);
        uint32_t hi = iana_le32(db->proto_name_start[b + 1]);
        if (lo > hi || hi > db->proto_name_keys)
            REJECT("protocol name index bucket out of range");
        for (uint32_t k = lo; k < hi; k++) {
            const struct iana_proto_key *key = &db->proto_keys[k];
            uint32_t entry = iana_le32(key->entry), at = iana_le32(key->spelling);
            /* A string of the entry's block (each entry's block was
             * checked whole above): inside it, where a string starts.  */
            if (at == 0 || iana_db_proto_bounded(db, entry, &v) < 0 ||
                at < (size_t)(v.names - db->proto_strings) ||
                at >= (size_t)(v.names - db->proto_strings) + v.names_len ||
                db->proto_strings[at - 1] != '\0')
                REJECT("protocol name key does not match its entry");
            const char *sp = db->proto_strings + at;
            uint64_t hash = iana_spelling_hash(sp, strlen(sp));
            if (iana_proto_name_bucket(hash, nb) != b ||
                iana_le32(key->tag) != (uint32_t)(hash >> 32))
                REJECT("protocol name key out of place");
            if (k > lo && iana_le32(db->proto_keys[k - 1].entry) > entry)
                REJECT("protocol name keys out of entry order");
        }
    }
    for (uint32_t i = 0; i < db->proto_count; i++) {
        iana_db_proto(db, i, &v);
        const char *p = v.names;
        for (unsigned a = 0; a <= v.nalias; a++, p += strlen(p) + 1) {
            /* This entry, or an earlier one that has the same spelling
             * (a line of the file before this one).  */
            int64_t e = iana_db_proto_by_name(db, p);
            if (e < 0 || e > i ||
                (e < i && (iana_db_proto(db, (uint32_t)e, &hit) < 0 || !proto_has_spelling(&hit, p))))
                REJECT("protocol name index does not find a name of an entry");
        }
    }
    /* PROTO_NUMBERS */
    for (uint32_t k = 0; k < db->proto_number_keys; k++) {
        uint32_t number = iana_le32(db->proto_numbers[k].number);
        uint32_t entry = iana_le32(db->proto_numbers[k].entry);
        if (entry >= db->proto_file_count ||
            iana_le32(db->proto_entries[entry].number) != number ||
            (k > 0 && iana_le32(db->proto_numbers[k - 1].number) >= number))
            REJECT("protocol number key does not match its entry");
    }
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t entry = iana_le32(db->proto_first[n]);
        if (entry != IANA_NO_ENTRY &&
            (entry < db->proto_file_count || entry >= db->proto_count ||
             iana_le32(db->proto_entries[entry].number) != n))
            REJECT("protocol number table does not match its entry");
    }
    for (uint32_t i = 0; i < db->proto_count; i++) {
        iana_db_proto(db, i, &v);
        int64_t e = iana_db_proto_by_number(db, v.number);
        /* A line's number answers with that line or an earlier one; the
         * registry's, with the file's first line of it, or the registry's
         * first entry of it.  */
        if (e < 0 || e > i || iana_db_proto(db, (uint32_t)e, &hit) < 0 || hit.number != v.number)
            REJECT("protocol number index does not find a number of an entry");
    }
#undef REJECT
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
        if (iana_le32(db->meta_entry[i]) >= db->tuple_count)
            REJECT("entry metadata out of range");
        lines += (uint64_t)v.port_hi - v.port_lo + 1;
    }
    if (lines != db->enum_count)
        REJECT("enumeration count does not match the entries");
    if (file_layer_ok(db, why) < 0 || iana_db_verify_protocols(db, why) < 0)
        return -1;

    /* The name index: every key is in one of the buckets of its hash, with
     * its tag, and names a spelling of its entry.  */
    uint32_t keys = 0;
    for (uint32_t bi = 0; bi < db->name_buckets; bi++) {
        const struct iana_name_bucket *bk = &db->name_index[bi];
        for (int i = 0; i < IANA_NAME_BUCKET; i++) {
            uint32_t key = iana_le32(bk->key[i]), ref = iana_le32(bk->ref[i]);
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
        if (iana_le32(db->port_index->rank[w]) != n)
            REJECT("port index rank does not match its bitmap");
        n += iana_popcount64(iana_le64(db->port_index->bits[w]));
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
            if (iana_le32(db->port_records[r].entry[proto]) != IANA_NO_ENTRY &&
                iana_le32(db->port_records[r].entry[proto]) >= db->entry_count)
                REJECT("port index record out of range");

    if (db->meta_strings_size == 0 || db->meta_strings[0] != '\0' ||
        db->meta_strings[db->meta_strings_size - 1] != '\0')
        REJECT("metadata strings not NUL-delimited");
    for (uint32_t i = 0; i < db->tuple_count; i++)
        for (int f = 0; f < IANA_NMETA; f++)
            if (iana_le32(db->tuples[i].field[f]) >= db->meta_strings_size)
                REJECT("metadata string out of range");
    if (db->source_path >= db->meta_strings_size || db->services_path >= db->meta_strings_size)
        REJECT("source path out of range");
    for (uint32_t i = 0; i < db->portless_count; i++)
        if (iana_le32(db->portless[i].name) >= db->meta_strings_size ||
            iana_le32(db->portless[i].tuple) >= db->tuple_count)
            REJECT("portless name out of range");
#undef REJECT
    return 0;
}
