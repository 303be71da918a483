/* Entries -> database bytes -> file.  See db/format.h for the layout.  */
#define _GNU_SOURCE
#include "writer.h"
#include "proto_writer.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <search.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/fs.h>
#include <stdbool.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "format.h"
#include "proto_writer.h"
#include "verify.h"

#include "writer_parts.h"


static int pool_init(struct pool *p, size_t maxkeys)
{
    memset(p, 0, sizeof *p);
    p->maxkeys = maxkeys + 1;
    p->keys = calloc(p->maxkeys, sizeof *p->keys);
    p->buf = calloc(1, 1); /* offset 0: the empty string */
    p->len = p->cap = 1;
    return p->keys && p->buf && hcreate_r(p->maxkeys * 2, &p->index) ? 0 : -1;
}

static void pool_free(struct pool *p)
{
    for (size_t i = 0; i < p->nkeys; i++)
        free(p->keys[i]);
    free(p->keys);
    free(p->buf);
    hdestroy_r(&p->index);
}

static int pool_append(struct pool *p, const void *bytes, size_t n, uint32_t *off)
{
    if (p->len + n > UINT32_MAX)
        return -1;
    if (p->len + n > p->cap) {
        size_t cap = (p->len + n) * 2;
        char *b = realloc(p->buf, cap);
        if (!b)
            return -1;
        p->buf = b;
        p->cap = cap;
    }
    memcpy(p->buf + p->len, bytes, n);
    *off = (uint32_t)p->len;
    p->len += n;
    return 0;
}

/* Returns 1 if `key` was new (and `bytes` appended), 0 if it was already
 * there; *off is the item's offset either way.  -1 on failure.  */
static int pool_intern(struct pool *p, const char *key, const void *bytes, size_t n,
                       uint32_t *off)
{
    ENTRY item = {.key = (char *)key}, *found = NULL;
    if (hsearch_r(item, FIND, &found, &p->index)) {
        *off = (uint32_t)(uintptr_t)found->data;
        return 0;
    }
    if (p->nkeys == p->maxkeys || pool_append(p, bytes, n, off) < 0)
        return -1;
    if (!(item.key = p->keys[p->nkeys] = strdup(key)))
        return -1;
    p->nkeys++;
    item.data = (void *)(uintptr_t)*off;
    return hsearch_r(item, ENTER, &found, &p->index) ? 1 : -1;
}

static int pool_string(struct pool *p, const char *s, uint32_t *off)
{
    if (!*s) {
        *off = 0;
        return 0;
    }
    return pool_intern(p, s, s, strlen(s) + 1, off) < 0 ? -1 : 0;
}

/* Bytes of an entry's name and aliases with their NULs.  */
static size_t names_len(const struct service_entry *e)
{
    size_t n = strlen(e->name) + 1;
    for (size_t a = 0; a < e->nalias; a++)
        n += strlen(e->aliases[a]) + 1;
    return n;
}

static int add_names(struct layout *L, const struct entry_set *set)
{
    for (size_t i = 0; i < set->nentries; i++) {
        const struct service_entry *e = &set->entries[i];
        size_t n = names_len(e);
        char *seq = malloc(n), *key = malloc(n);
        if (!seq || !key) {
            free(seq);
            free(key);
            return -1;
        }
        char *q = stpcpy(seq, e->name) + 1;
        for (size_t a = 0; a < e->nalias; a++)
            q = stpcpy(q, e->aliases[a]) + 1;
        /* Names are whitespace-free tokens, so '\n' can stand for NUL.  */
        for (size_t k = 0; k < n; k++)
            key[k] = seq[k] ? seq[k] : '\n';
        key[n - 1] = '\0';
        int rc = pool_intern(&L->strings, key, seq, n, &L->names[i]);
        free(seq);
        free(key);
        if (rc < 0)
            return -1;
    }
    return 0;
}

__attribute__((format(printf, 3, 4)))
void db_seterr(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

const enum registry_column db_meta_column[IANA_NMETA] = {
    [IANA_META_DESCRIPTION] = COL_DESCRIPTION,
    [IANA_META_ASSIGNEE] = COL_ASSIGNEE,
    [IANA_META_CONTACT] = COL_CONTACT,
    [IANA_META_REGISTERED] = COL_REGISTERED,
    [IANA_META_MODIFIED] = COL_MODIFIED,
    [IANA_META_REFERENCE] = COL_REFERENCE,
};

static int add_tuple(struct layout *L, struct pool *tuples, const struct registry_row *row,
                     uint32_t *index)
{
    struct iana_meta_tuple t;
    char key[IANA_NMETA * 8 + 1];
    for (int f = 0; f < IANA_NMETA; f++) {
        if (pool_string(&L->meta, row->col[db_meta_column[f]], &t.field[f]) < 0)
            return -1;
        /* The tuple's key: its offsets in hex (not snprintf: this runs
         * for every row, and formatting was a sixth of a compile).  */
        for (int d = 0; d < 8; d++)
            key[f * 8 + d] = "0123456789abcdef"[t.field[f] >> (28 - 4 * d) & 15];
    }
    key[IANA_NMETA * 8] = '\0';
    uint32_t off;
    if (pool_intern(tuples, key, &t, sizeof t, &off) < 0)
        return -1;
    *index = (off - 1) / (uint32_t)sizeof t; /* the pool starts with one NUL */
    return 0;
}

static int build_meta(struct layout *L, const struct db_sources *src)
{
    const struct entry_set *set = src->set;
    if ((src->source_path && pool_string(&L->meta, src->source_path, &L->source_path) < 0) ||
        (src->services_path &&
         pool_string(&L->meta, src->services_path, &L->services_path) < 0))
        return -1;
    struct pool tuples;
    size_t n = set->nentries + set->nportless;
    int rc = -1;
    if (pool_init(&tuples, n) < 0 ||
        !(L->meta_entry = calloc(set->nentries + 1, sizeof *L->meta_entry)) ||
        !(L->portless = calloc(set->nportless + 1, sizeof *L->portless)))
        goto out;
    for (size_t i = 0; i < set->nentries; i++)
        if (add_tuple(L, &tuples, set->entries[i].row, &L->meta_entry[i]) < 0)
            goto out;

    for (size_t i = 0; i < set->nportless; i++)
        if (pool_string(&L->meta, set->portless[i]->col[COL_NAME], &L->portless[i].name) < 0 ||
            add_tuple(L, &tuples, set->portless[i], &L->portless[i].tuple) < 0)
            goto out;
    L->ntuples = (uint32_t)((tuples.len - 1) / sizeof(struct iana_meta_tuple));
    if (!(L->tuples = malloc(tuples.len)))
        goto out;
    memcpy(L->tuples, tuples.buf + 1, tuples.len - 1);
    rc = 0;
out:
    pool_free(&tuples);
    return rc;
}

/* How a section's integers lie, for put_section.  */
enum section_kind {
    SEC_BYTES,        /* no integers (strings), or written in place */
    SEC_WORDS,        /* uint32_t throughout: the name index, the services
                       * file's indexes, the metadata's tables */
    SEC_PORT_INDEX,   /* the bitmap's uint64_t words, then uint32_t ones */
    SEC_FILE_ENTRIES, /* struct iana_file_entry[] */
};

struct section_src {
    const void *data;
    size_t size;
    enum section_kind kind;
};

_Static_assert(sizeof(struct iana_name_bucket) % 4 == 0 && sizeof(struct iana_file_key) == 8 &&
                   sizeof(struct iana_meta_tuple) == 4 * IANA_NMETA &&
                   sizeof(struct iana_portless) == 8 && sizeof(struct iana_port_record) % 4 == 0 &&
                   sizeof(struct iana_proto_entry) == 32 && sizeof(struct iana_proto_key) == 12 &&
                   sizeof(struct iana_proto_number) == 8,
               "SEC_WORDS sections hold nothing but uint32_t");

static void put_words32(uint8_t *dst, const uint8_t *src, size_t size)
{
    for (size_t at = 0; at + 4 <= size; at += 4) {
        uint32_t w;
        memcpy(&w, src + at, 4);
        w = iana_le32(w);
        memcpy(dst + at, &w, 4);
    }
}

/* A section built in host order, laid down in the file's (little-endian:
 * a copy on little-endian hosts).  */
static void put_section(uint8_t *dst, const struct section_src *s)
{
    const uint8_t *src = s->data;
    switch (s->kind) {
    case SEC_BYTES:
        memcpy(dst, src, s->size);
        break;
    case SEC_PORT_INDEX: {
        const size_t bits = sizeof ((struct iana_port_index *)0)->bits;
        for (size_t at = 0; at < bits; at += 8) {
            uint64_t w;
            memcpy(&w, src + at, 8);
            w = iana_le64(w);
            memcpy(dst + at, &w, 8);
        }
        put_words32(dst + bits, src + bits, s->size - bits); /* rank[], the records */
        break;
    }
    case SEC_WORDS:
        put_words32(dst, src, s->size);
        break;
    case SEC_FILE_ENTRIES:
        for (size_t at = 0; at + sizeof(struct iana_file_entry) <= s->size;
             at += sizeof(struct iana_file_entry)) {
            struct iana_file_entry e;
            memcpy(&e, src + at, sizeof e);
            e = iana_file_entry_le(e);
            memcpy(dst + at, &e, sizeof e);
        }
        break;
    }
}

static void layout_free(struct layout *L)
{
    pool_free(&L->strings);
    pool_free(&L->meta);
    free(L->names);
    free(L->name_index);
    free(L->port_index);
    free(L->meta_entry);
    free(L->tuples);
    free(L->portless);
    free(L->file.strings);
    free(L->file.entries);
    free(L->file.names);
    free(L->file.ports);
    proto_layer_free(&L->proto);
}


int db_build(const struct db_sources *src, uint8_t **out, size_t *outlen, char *err,
             size_t errlen)
{
    const struct entry_set *set = src->set;
    struct layout L = {0};
    size_t nrows_meta = (set->nentries + set->nportless) * IANA_NMETA;
    int rc = -1;

    *out = NULL;
    *outlen = 0;
    if (set->nentries >= IANA_MAX_ENTRIES) {
        db_seterr(err, errlen, "%zu entries: more than the format holds", set->nentries);
        return -1;
    }
    for (size_t i = 0; i < set->nentries; i++) {
        L.enum_count += (uint64_t)set->entries[i].port_hi - set->entries[i].port_lo + 1;
        const struct service_entry *e = &set->entries[i];
        if (names_len(e) > UINT8_MAX) {
            db_seterr(err, errlen, "%s: name and aliases over %u bytes", e->name, UINT8_MAX);
            return -1;
        }
        for (size_t a = 0; a <= e->nalias; a++) {
            const char *s = a ? e->aliases[a - 1] : e->name;
            if (strlen(s) > IANA_MAX_NAME) {
                db_seterr(err, errlen, "%s: name over %u characters", s, IANA_MAX_NAME);
                return -1;
            }
        }
    }
    if (L.enum_count > UINT32_MAX) {
        db_seterr(err, errlen, "too many (entry, port) pairs for the format");
        return -1;
    }
    if (pool_init(&L.strings, set->nentries) < 0 || pool_init(&L.meta, nrows_meta) < 0 ||
        !(L.names = calloc(set->nentries + 1, sizeof *L.names)) || add_names(&L, set) < 0 ||
        (rc = db_build_name_index(&L, set, err, errlen)) < 0 || db_build_port_index(&L, set) < 0 ||
        build_meta(&L, src) < 0 || (rc = db_build_file_layer(&L.file, src->services, err, errlen)) < 0 ||
        /* -2: err says why */
        (rc = proto_layer_build(&L.proto, src->protocols, src->protocols_file,
                                src->protocols_source_path, src->protocols_path, err,
                                errlen) < 0 ? -2 : 0) < 0) {
        if (rc != -2)
            db_seterr(err, errlen, "out of memory, or a section over 4 GiB");
        rc = -1;
        goto out;
    }
    if (L.strings.len > IANA_MAX_STRINGS) {
        db_seterr(err, errlen, "names over %u MiB: more than the format holds",
               IANA_MAX_STRINGS >> 20);
        goto out;
    }

    /* The sections as built, in host order; put_section lays each down in
     * the file's.  ENTRIES is written in place below.  */
    const struct section_src sec[IANA_NSECTIONS] = {
        [IANA_SEC_STRINGS] = {L.strings.buf, L.strings.len, SEC_BYTES},
        [IANA_SEC_ENTRIES] = {NULL, set->nentries * sizeof(struct iana_entry), SEC_BYTES},
        [IANA_SEC_NAME_INDEX] = {L.name_index, (size_t)L.nbuckets * sizeof(struct iana_name_bucket),
                                 SEC_WORDS},
        [IANA_SEC_PORT_INDEX] = {L.port_index, sizeof(struct iana_port_index) +
                                               L.nports * sizeof(struct iana_port_record),
                                 SEC_PORT_INDEX},
        [IANA_SEC_FILE_STRINGS] = {L.file.strings, L.file.strings_len, SEC_BYTES},
        [IANA_SEC_FILE_ENTRIES] = {L.file.entries, L.file.count * sizeof(struct iana_file_entry),
                                   SEC_FILE_ENTRIES},
        [IANA_SEC_FILE_NAMES] = {L.file.names, L.file.names_size, SEC_WORDS},
        [IANA_SEC_FILE_PORTS] = {L.file.ports, L.file.ports_size, SEC_WORDS},
        [IANA_SEC_PROTO_STRINGS] = {L.proto.strings, L.proto.strings_len, SEC_BYTES},
        [IANA_SEC_PROTO_ENTRIES] = {L.proto.entries,
                                    L.proto.count * sizeof(struct iana_proto_entry), SEC_WORDS},
        [IANA_SEC_PROTO_NAMES] = {L.proto.names, L.proto.names_size, SEC_WORDS},
        [IANA_SEC_PROTO_NUMBERS] = {L.proto.numbers, L.proto.numbers_size, SEC_WORDS},
        [IANA_SEC_PROTO_META] = {L.proto.meta, L.proto.meta_len, SEC_BYTES},
        [IANA_SEC_META_STRINGS] = {L.meta.buf, L.meta.len, SEC_BYTES},
        [IANA_SEC_META_ENTRY] = {L.meta_entry, set->nentries * sizeof(uint32_t), SEC_WORDS},
        [IANA_SEC_META_TUPLES] = {L.tuples, L.ntuples * sizeof(struct iana_meta_tuple), SEC_WORDS},
        [IANA_SEC_PORTLESS] = {L.portless, set->nportless * sizeof(struct iana_portless),
                               SEC_WORDS},
    };
    struct iana_header h = {
        .version = IANA_FORMAT_VERSION,
        .byte_order = IANA_BYTE_ORDER_MARK,
        .header_size = IANA_HEADER_SIZE,
        .entry_count = (uint32_t)set->nentries,
        .enum_count = (uint32_t)L.enum_count,
        .name_buckets = L.nbuckets,
        .name_keys = L.nkeys,
        .port_count = L.nports,
        .tuple_count = L.ntuples,
        .portless_count = (uint32_t)set->nportless,
        .file_count = L.file.count,
        .file_name_buckets = L.file.name_buckets,
        .file_name_keys = L.file.name_keys,
        .file_port_buckets = L.file.port_buckets,
        .source_path = L.source_path,
        .services_path = L.services_path,
        .proto_count = L.proto.count,
        .proto_file_count = L.proto.file_count,
        .proto_name_buckets = L.proto.name_buckets,
        .proto_name_keys = L.proto.name_keys,
        .proto_number_keys = L.proto.number_keys,
        .proto_source_path = L.proto.source_path,
        .protocols_path = L.proto.protocols_path,
    };
    const struct services_file *sf = src->services;
    if (sf) {
        h.services = (struct iana_file_id){
            .dev = sf->id.dev, .ino = sf->id.ino, .size = sf->id.size,
            .mtime_sec = sf->id.mtime_sec, .mtime_nsec = sf->id.mtime_nsec,
            .state = sf->present ? IANA_FILE_PRESENT : IANA_FILE_ABSENT,
            .hash = sf->present ? sf->id.hash : 0,
        };
        if (!sf->present)
            h.services.size = 0;
    }
    const struct protocols_file *pf = src->protocols_file;
    if (pf) {
        h.protocols = (struct iana_file_id){
            .dev = pf->id.dev, .ino = pf->id.ino, .size = pf->present ? pf->id.size : 0,
            .mtime_sec = pf->id.mtime_sec, .mtime_nsec = pf->id.mtime_nsec,
            .state = pf->present ? IANA_FILE_PRESENT : IANA_FILE_ABSENT,
            .hash = pf->present ? pf->id.hash : 0,
        };
    }
    if (src->protocols_sha256)
        memcpy(h.proto_source_sha256, src->protocols_sha256, 32);
    memcpy(h.magic, IANA_MAGIC, IANA_MAGIC_LEN);
    memcpy(h.source_sha256, src->source_sha256, 32);
    uint64_t size = IANA_HEADER_SIZE;
    for (int s = 0; s < IANA_NSECTIONS; s++) {
        uint64_t align = s == IANA_SEC_NAME_INDEX ? 64 : 8; /* a bucket a cache line */
        size = (size + align - 1) & ~(align - 1);
        h.section[s].offset = (uint32_t)size;
        h.section[s].size = (uint32_t)sec[s].size;
        size += sec[s].size;
        if (size > UINT32_MAX || sec[s].size > UINT32_MAX) {
            db_seterr(err, errlen, "database would be over 4 GiB");
            goto out;
        }
    }
    h.file_size = (uint32_t)size;

    uint8_t *buf = calloc(1, size);
    if (!buf) {
        db_seterr(err, errlen, "out of memory");
        goto out;
    }
    for (int s = 0; s < IANA_NSECTIONS; s++)
        if (sec[s].data && sec[s].size)
            put_section(buf + h.section[s].offset, &sec[s]);
    struct iana_entry *ent = (struct iana_entry *)(buf + h.section[IANA_SEC_ENTRIES].offset);
    for (size_t i = 0; i < set->nentries; i++) {
        const struct service_entry *e = &set->entries[i];
        ent[i] = iana_entry_le((struct iana_entry){
            .names = L.names[i],
            .port_lo = e->port_lo,
            .port_hi = e->port_hi,
            .proto = e->proto,
            .nalias = (uint8_t)e->nalias,
            .names_len = (uint8_t)names_len(e),
        });
    }
    iana_header_le(&h);
    memcpy(buf, &h, sizeof h);
    iana_db_checksum(buf, size, ((struct iana_header *)buf)->checksum);
    *out = buf;
    *outlen = size;
    rc = 0;
out:
    layout_free(&L);
    return rc;
}
