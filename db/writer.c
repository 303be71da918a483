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


/* A byte pool whose items are interned by a caller-given text key.  */
struct pool {
    char *buf;
    size_t len, cap;
    struct hsearch_data index;
    char **keys;
    size_t nkeys, maxkeys;
};

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

struct layout {
    struct pool strings, meta;
    uint32_t *names;          /* per entry: STRINGS offset of its names */
    struct iana_name_bucket *name_index;
    uint32_t nbuckets, nkeys;
    struct iana_port_index *port_index; /* followed by the records */
    uint32_t nports;
    uint32_t *meta_entry;
    struct iana_meta_tuple *tuples;
    uint32_t ntuples;
    struct iana_portless *portless;
    uint32_t source_path, services_path;
    uint64_t enum_count;
    struct file_layer {       /* the services file's lines */
        char *strings;
        size_t strings_len;
        struct iana_file_entry *entries;
        uint32_t count;
        uint32_t *names;      /* start[], then the keys: the FILE_NAMES section */
        size_t names_size;
        uint32_t name_buckets, name_keys;
        uint32_t *ports;
        size_t ports_size;
        uint32_t port_buckets;
    } file;
    struct proto_layer proto; /* the protocols sections */
};

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
static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* One (spelling, protocol) of an entry, on its way into the name index.  */
struct name_key {
    const char *spelling;
    uint32_t offset, len, proto, entry, flags;
    uint64_t hash;
    uint64_t prefix; /* the first 8 bytes folded, big-endian: sorts as fold_cmp */
};

static unsigned char ascii_lower(unsigned char c)
{
    return c + ((unsigned)(c - 'A') < 26u ? 'a' - 'A' : 0);
}

static int fold_cmp(const char *a, const char *b)
{
    for (;; a++, b++) {
        unsigned char x = ascii_lower((unsigned char)*a), y = ascii_lower((unsigned char)*b);
        if (x != y || !x)
            return x - y;
    }
}

/* By name in any case, then spelling, protocol and registry order.  */
static int by_spelling(const void *pa, const void *pb)
{
    const struct name_key *a = pa, *b = pb;
    if (a->prefix != b->prefix)
        return a->prefix < b->prefix ? -1 : 1;
    int c = fold_cmp(a->spelling, b->spelling);
    if (!c)
        c = strcmp(a->spelling, b->spelling);
    if (!c)
        c = (int)a->proto - (int)b->proto;
    return c ? c : (a->entry > b->entry) - (a->entry < b->entry);
}

/* Cuckoo insertion into `nbuckets` buckets: a key that finds both its
 * buckets full takes the slot of one already there, which moves to its
 * other bucket, and so on.  The choices come from a fixed-seed generator,
 * so the same registry gives the same file.  Returns the table, or NULL
 * with *grow set when some key found no place (more buckets needed) and
 * clear when out of memory.  */
static struct iana_name_bucket *place_keys(const struct name_key *keys, uint32_t nkeys,
                                           uint32_t nbuckets, bool *grow)
{
    struct iana_name_bucket *t = calloc(nbuckets, sizeof *t);
    uint32_t *who = malloc((size_t)nbuckets * IANA_NAME_BUCKET * sizeof *who);
    uint8_t *used = calloc(nbuckets, 1);
    uint64_t rng = UINT64_C(0x9e3779b97f4a7c15);
    *grow = false;
    if (!t || !who || !used)
        goto fail;
    for (uint32_t k = 0; k < nkeys; k++) {
        uint32_t cur = k, kick = 0;
        for (;; kick++) {
            uint32_t b[2];
            iana_name_buckets(keys[cur].hash, nbuckets, b);
            int j = used[b[0]] < IANA_NAME_BUCKET ? 0 : used[b[1]] < IANA_NAME_BUCKET ? 1 : -1;
            if (j >= 0) {
                who[b[j] * IANA_NAME_BUCKET + used[b[j]]++] = cur;
                break;
            }
            if (kick == 500) {
                *grow = true;
                goto fail;
            }
            rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
            uint32_t *victim = &who[b[rng & 1] * IANA_NAME_BUCKET + (rng >> 8) % IANA_NAME_BUCKET];
            uint32_t moved = *victim;
            *victim = cur;
            cur = moved;
        }
    }
    for (uint32_t b = 0; b < nbuckets; b++)
        for (uint32_t i = 0; i < used[b]; i++) {
            const struct name_key *k = &keys[who[b * IANA_NAME_BUCKET + i]];
            t[b].key[i] = k->offset | iana_name_tag(k->hash) << IANA_NAME_OFFSET_BITS;
            t[b].ref[i] = k->entry | k->proto << IANA_SLOT_PROTO_SHIFT |
                          k->len << IANA_SLOT_LEN_SHIFT | k->flags;
        }
    free(who);
    free(used);
    return t;
fail:
    free(t);
    free(who);
    free(used);
    return NULL;
}

static int build_name_index(struct layout *L, const struct entry_set *set, char *err,
                            size_t errlen)
{
    size_t nspell = 0;
    for (size_t i = 0; i < set->nentries; i++)
        nspell += 1 + set->entries[i].nalias;
    struct name_key *all = calloc(nspell + 1, sizeof *all);
    if (!all)
        return -1;
    size_t n = 0;
    for (size_t i = 0; i < set->nentries; i++) {
        const struct service_entry *e = &set->entries[i];
        uint32_t off = L->names[i];
        for (size_t a = 0; a <= e->nalias; a++) {
            const char *spelling = L->strings.buf + off;
            uint32_t len = (uint32_t)strlen(spelling);
            uint64_t prefix = 0;
            for (uint32_t c = 0; c < 8; c++) {
                prefix = prefix << 8 | ascii_lower(c < len ? (unsigned char)spelling[c] : 0);
            }
            all[n++] = (struct name_key){spelling, off, len, e->proto, (uint32_t)i, 0, 0, prefix};
            off += len + 1;
        }
    }
    /* Sorted, a name's spellings are side by side: keep the first entry of
     * each (spelling, protocol) and set the flags of format.h.  */
    qsort(all, n, sizeof *all, by_spelling);
    size_t nkeys = 0;
    for (size_t k = 0; k < n; k++) {
        if (nkeys && strcmp(all[nkeys - 1].spelling, all[k].spelling) == 0 &&
            all[nkeys - 1].proto == all[k].proto)
            continue;
        all[nkeys++] = all[k];
    }
    for (size_t g = 0, gend; g < nkeys; g = gend) { /* one name, any case */
        for (gend = g + 1; gend < nkeys && fold_cmp(all[g].spelling, all[gend].spelling) == 0;)
            gend++;
        /* A name's keys all share its two buckets: sixteen slots.  */
        if (gend - g > 2 * IANA_NAME_BUCKET) {
            seterr(err, errlen, "%s: more than %d spellings and protocols of one name",
                   all[g].spelling, 2 * IANA_NAME_BUCKET);
            free(all);
            return -2;
        }
        for (size_t sp = g, send; sp < gend; sp = send) { /* one spelling */
            size_t first = sp;
            for (send = sp + 1; send < gend && strcmp(all[sp].spelling, all[send].spelling) == 0;
                 send++)
                if (all[send].entry < all[first].entry)
                    first = send;
            all[first].flags |= IANA_SLOT_FIRST;
            for (size_t k = sp; k < send; k++)
                all[k].flags |= sp == g && send == gend ? IANA_SLOT_SOLE : 0;
        }
    }

    for (size_t k = 0; k < nkeys; k++)
        all[k].hash = iana_spelling_hash(all[k].spelling, all[k].len);
    /* About 7/8 full: two choices of eight slots place that many easily.  */
    uint32_t nbuckets = (uint32_t)(nkeys / (IANA_NAME_BUCKET * 9 / 10) + 1);
    struct iana_name_bucket *table;
    bool grow;
    while (!(table = place_keys(all, (uint32_t)nkeys, nbuckets, &grow)) && grow &&
           nbuckets < nkeys + 1)
        nbuckets += nbuckets / 16 + 1;
    free(all);
    if (!table && grow) { /* only when more than 16 keys share a 64-bit hash */
        seterr(err, errlen, "names whose hashes collide: the name index cannot hold them");
        return -2;
    }
    if (!table)
        return -1;
    L->name_index = table;
    L->nbuckets = nbuckets;
    L->nkeys = (uint32_t)nkeys;
    return 0;
}

static int build_port_index(struct layout *L, const struct entry_set *set)
{
    /* Who answers (port, proto): the first single-port entry, else the
     * first range.  winner[] holds entry + 1, 0 for nobody.  */
    uint32_t *winner = calloc((size_t)65536 * IANA_NPROTO, sizeof *winner);
    if (!winner)
        return -1;
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < set->nentries; i++) {
            const struct service_entry *e = &set->entries[i];
            if ((e->port_lo != e->port_hi) != pass)
                continue;
            for (uint32_t p = e->port_lo; p <= e->port_hi; p++)
                if (!winner[p * IANA_NPROTO + e->proto])
                    winner[p * IANA_NPROTO + e->proto] = (uint32_t)i + 1;
        }
    size_t nports = 0;
    for (uint32_t p = 0; p < 65536; p++)
        for (int proto = 0; proto < IANA_NPROTO; proto++)
            if (winner[p * IANA_NPROTO + proto]) {
                nports++;
                break;
            }
    L->port_index = calloc(1, sizeof *L->port_index + nports * sizeof(struct iana_port_record));
    if (!L->port_index) {
        free(winner);
        return -1;
    }
    struct iana_port_record *rec = (struct iana_port_record *)(L->port_index + 1);
    uint32_t n = 0;
    for (uint32_t p = 0; p < 65536; p++) {
        if (p % 64 == 0)
            L->port_index->rank[p / 64] = n;
        uint32_t any = IANA_NO_ENTRY, any_rank = UINT32_MAX, *w = &winner[p * IANA_NPROTO];
        struct iana_port_record r;
        for (int proto = 0; proto < IANA_NPROTO; proto++) {
            r.entry[proto] = w[proto] ? w[proto] - 1 : IANA_NO_ENTRY;
            if (!w[proto])
                continue;
            /* Any protocol: single-port entries first, then registry order. */
            const struct service_entry *e = &set->entries[w[proto] - 1];
            uint32_t rank = (uint32_t)(e->port_lo != e->port_hi) << 31 | (w[proto] - 1);
            if (rank < any_rank)
                any_rank = rank, any = w[proto] - 1;
        }
        if (any == IANA_NO_ENTRY)
            continue;
        r.entry[IANA_ANY_PROTO] = any;
        rec[n++] = r;
        L->port_index->bits[p / 64] |= UINT64_C(1) << (p % 64);
    }
    L->nports = n;
    free(winner);
    return 0;
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

/* A FILE_NAMES or FILE_PORTS section: keys (tag, entry) in file order,
 * each with its bucket, into start[nbuckets + 1] and the keys grouped by
 * bucket, file order kept within each (a counting sort, stable).  */
static uint32_t *file_index(const uint32_t *bucket, const struct iana_file_key *keys,
                            uint32_t nkeys, uint32_t nbuckets, size_t *size)
{
    *size = ((size_t)nbuckets + 1) * 4 + (size_t)nkeys * sizeof *keys;
    uint32_t *sec = calloc(1, *size);
    if (!sec)
        return NULL;
    uint32_t *start = sec;
    struct iana_file_key *out = (struct iana_file_key *)(void *)(start + nbuckets + 1);
    for (uint32_t k = 0; k < nkeys; k++)
        start[bucket[k] + 1]++;
    for (uint32_t b = 0; b < nbuckets; b++)
        start[b + 1] += start[b];
    uint32_t *fill = malloc(((size_t)nbuckets + 1) * sizeof *fill);
    if (!fill) {
        free(sec);
        return NULL;
    }
    memcpy(fill, start, ((size_t)nbuckets + 1) * sizeof *fill);
    for (uint32_t k = 0; k < nkeys; k++)
        out[fill[bucket[k]]++] = keys[k];
    free(fill);
    return sec;
}

/* Bytes of a line's name, aliases and protocol with their NULs.  */
static size_t line_bytes(const struct services_line *l)
{
    size_t n = strlen(l->name) + 1 + strlen(l->proto) + 1;
    for (size_t a = 0; a < l->nalias; a++)
        n += strlen(l->aliases[a]) + 1;
    return n;
}

static int build_file_layer(struct file_layer *F, const struct services_file *sf, char *err,
                            size_t errlen)
{
    size_t nlines = sf ? sf->nlines : 0, bytes = 1, nnames = 0;
    for (size_t i = 0; i < nlines; i++) {
        bytes += line_bytes(&sf->lines[i]);
        nnames += 1 + sf->lines[i].nalias;
    }
    if (nlines >= (1u << 29) || bytes > UINT32_MAX || nnames >= UINT32_MAX) {
        seterr(err, errlen, "%s: more lines or names than the format holds", sf->path);
        return -2;
    }
    size_t nkeys_max = nnames > nlines ? nnames : nlines;
    F->count = (uint32_t)nlines;
    F->strings_len = bytes;
    F->strings = calloc(1, bytes);
    F->entries = calloc(nlines + 1, sizeof *F->entries);
    struct iana_file_key *keys = calloc(nkeys_max + 1, sizeof *keys);
    uint32_t *bucket = calloc(nkeys_max + 1, sizeof *bucket);
    uint64_t *hash = calloc(nnames + 1, sizeof *hash); /* of each key */
    int rc = -1;
    if (!F->strings || !F->entries || !keys || !bucket || !hash)
        goto out;
    size_t at = 1, nkeys = 0;
    for (size_t i = 0; i < nlines; i++) {
        const struct services_line *l = &sf->lines[i];
        size_t start = at, first_key = nkeys;
        for (size_t a = 0; a <= l->nalias; a++) {
            const char *name = a ? l->aliases[a - 1] : l->name;
            size_t len = strlen(name);
            uint64_t h = iana_spelling_hash(name, len);
            memcpy(F->strings + at, name, len + 1);
            at += len + 1;
            /* One key per distinct hash of the line's names: on a tag
             * match a lookup compares all of the line's names anyway.  */
            size_t k = first_key;
            while (k < nkeys && hash[k] != h)
                k++;
            if (k == nkeys) {
                hash[nkeys] = h;
                keys[nkeys++] = (struct iana_file_key){iana_file_name_tag(h), (uint32_t)i};
            }
        }
        memcpy(F->strings + at, l->proto, strlen(l->proto) + 1);
        at += strlen(l->proto) + 1;
        F->entries[i] = (struct iana_file_entry){
            .names = (uint32_t)start,
            .names_len = (uint32_t)(at - start),
            .nalias = (uint32_t)l->nalias,
            .line = l->line,
            .port = l->port,
        };
    }
    /* About one key a bucket: a lookup reads one or two keys.  */
    F->name_keys = (uint32_t)nkeys;
    F->name_buckets = (uint32_t)nkeys + 1;
    for (size_t k = 0; k < nkeys; k++)
        bucket[k] = iana_file_name_bucket(hash[k], F->name_buckets);
    if (!(F->names = file_index(bucket, keys, F->name_keys, F->name_buckets, &F->names_size)))
        goto out;
    F->port_buckets = F->count + 1;
    for (uint32_t i = 0; i < F->count; i++) {
        keys[i] = (struct iana_file_key){sf->lines[i].port, i};
        bucket[i] = iana_file_port_bucket(sf->lines[i].port, F->port_buckets);
    }
    if (!(F->ports = file_index(bucket, keys, F->count, F->port_buckets, &F->ports_size)))
        goto out;
    rc = 0;
out:
    free(keys);
    free(bucket);
    free(hash);
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
        seterr(err, errlen, "%zu entries: more than the format holds", set->nentries);
        return -1;
    }
    for (size_t i = 0; i < set->nentries; i++) {
        L.enum_count += (uint64_t)set->entries[i].port_hi - set->entries[i].port_lo + 1;
        const struct service_entry *e = &set->entries[i];
        if (names_len(e) > UINT8_MAX) {
            seterr(err, errlen, "%s: name and aliases over %u bytes", e->name, UINT8_MAX);
            return -1;
        }
        for (size_t a = 0; a <= e->nalias; a++) {
            const char *s = a ? e->aliases[a - 1] : e->name;
            if (strlen(s) > IANA_MAX_NAME) {
                seterr(err, errlen, "%s: name over %u characters", s, IANA_MAX_NAME);
                return -1;
            }
        }
    }
    if (L.enum_count > UINT32_MAX) {
        seterr(err, errlen, "too many (entry, port) pairs for the format");
        return -1;
    }
    if (pool_init(&L.strings, set->nentries) < 0 || pool_init(&L.meta, nrows_meta) < 0 ||
        !(L.names = calloc(set->nentries + 1, sizeof *L.names)) || add_names(&L, set) < 0 ||
        (rc = build_name_index(&L, set, err, errlen)) < 0 || build_port_index(&L, set) < 0 ||
        build_meta(&L, src) < 0 || (rc = build_file_layer(&L.file, src->services, err, errlen)) < 0 ||
        /* -2: err says why */
        (rc = proto_layer_build(&L.proto, src->protocols, src->protocols_file,
                                src->protocols_source_path, src->protocols_path, err,
                                errlen) < 0 ? -2 : 0) < 0) {
        if (rc != -2)
            seterr(err, errlen, "out of memory, or a section over 4 GiB");
        rc = -1;
        goto out;
    }
    if (L.strings.len > IANA_MAX_STRINGS) {
        seterr(err, errlen, "names over %u MiB: more than the format holds",
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
            seterr(err, errlen, "database would be over 4 GiB");
            goto out;
        }
    }
    h.file_size = (uint32_t)size;

    uint8_t *buf = calloc(1, size);
    if (!buf) {
        seterr(err, errlen, "out of memory");
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

bool db_set_immutable(const char *path, bool on)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW | O_NOCTTY);
    if (fd < 0)
        return false;
    int flags = 0;
    bool ok = ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0;
    if (ok && !(flags & FS_IMMUTABLE_FL) != !on) {
        flags = on ? flags | FS_IMMUTABLE_FL : flags & ~FS_IMMUTABLE_FL;
        ok = ioctl(fd, FS_IOC_SETFLAGS, &flags) == 0;
    }
    close(fd);
    return ok;
}

int db_immutable_state(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW | O_NOCTTY);
    int flags = 0, rc = -1;
    if (fd >= 0 && ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0)
        rc = (flags & FS_IMMUTABLE_FL) != 0;
    if (fd >= 0) {
        int e = errno;
        close(fd);
        errno = e;
    }
    return rc;
}

static bool is_immutable(const char *path)
{
    return db_immutable_state(path) == 1;
}

/* The temporary files being written, for the signal handler: fixed
 * buffers (nothing to free or allocate in a handler), each valid while
 * its `pending` flag is set, which is set only after the name is
 * complete.  */
static char pending_tmp[DB_MAX_SIDE_FILES + 1][PATH_MAX];
static volatile sig_atomic_t pending[DB_MAX_SIDE_FILES + 1];

static void set_pending(int slot, const char *tmp)
{
    size_t n = strlen(tmp);
    pending[slot] = 0;
    if (n < sizeof pending_tmp[slot]) {
        memcpy(pending_tmp[slot], tmp, n + 1);
        pending[slot] = 1;
    }
}

/* unlink, signal and raise are async-signal-safe.  The signal is blocked
 * while this runs, so the raise takes effect on return, with the default
 * action: the parent sees the process killed by that signal, as before.  */
static void remove_pending_and_die(int sig)
{
    for (int i = 0; i <= DB_MAX_SIDE_FILES; i++)
        if (pending[i])
            unlink(pending_tmp[i]);
    signal(sig, SIG_DFL);
    raise(sig);
}

static const int cleanup_sigs[] = {SIGTERM, SIGINT, SIGHUP};

void db_write_cleanup_on_signals(void)
{
    for (size_t i = 0; i < sizeof cleanup_sigs / sizeof cleanup_sigs[0]; i++) {
        struct sigaction old, sa = {.sa_handler = remove_pending_and_die};
        sigemptyset(&sa.sa_mask);
        if (sigaction(cleanup_sigs[i], NULL, &old) == 0 && old.sa_handler != SIG_IGN)
            sigaction(cleanup_sigs[i], &sa, NULL);
    }
}

int db_write_file(const char *path, const uint8_t *data, size_t len, char *err, size_t errlen)
{
    return db_write_files(path, data, len, 0, NULL, 0, NULL, err, errlen);
}

int db_write_file_flags(const char *path, const uint8_t *data, size_t len, unsigned flags,
                        char *err, size_t errlen)
{
    return db_write_files(path, data, len, flags, NULL, 0, NULL, err, errlen);
}

/* `path`'s bytes in a new temporary file beside it (".BASE.XXXXXX"),
 * written, fsync'd, mode 0644, closed: *tmp malloc'd, and in pending
 * slot `slot`.  Returns 0, or -1 with *tmp NULL and nothing left.  */
static int write_temp(const char *path, const uint8_t *data, size_t len, int slot, char **tmp,
                      char *err, size_t errlen)
{
    char *copy = strdup(path);
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    int fd = -1;
    *tmp = NULL;
    if (!copy || asprintf(tmp, "%s/.%s.XXXXXX", dirname(copy), base) < 0) {
        *tmp = NULL;
        free(copy);
        seterr(err, errlen, "%s: %s", path, strerror(ENOMEM));
        return -1;
    }
    free(copy);
    if ((fd = mkostemp(*tmp, O_CLOEXEC)) < 0) {
        seterr(err, errlen, "%s: cannot create a temporary file: %s", path, strerror(errno));
        goto fail_name;
    }
    set_pending(slot, *tmp);
    for (size_t done = 0; done < len;) {
        ssize_t n = write(fd, data + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            seterr(err, errlen, "%s: write: %s", *tmp, n < 0 ? strerror(errno) : "short write");
            goto fail;
        }
        done += (size_t)n;
    }
    if (fsync(fd) < 0 || fchmod(fd, 0644) < 0) {
        seterr(err, errlen, "%s: %s", *tmp, strerror(errno));
        goto fail;
    }
    int rc = close(fd);
    fd = -1;
    if (rc < 0) {
        seterr(err, errlen, "%s: close: %s", *tmp, strerror(errno));
        goto fail;
    }
    return 0;
fail:
    if (fd >= 0)
        close(fd);
    unlink(*tmp);
    pending[slot] = 0;
fail_name:
    free(*tmp);
    *tmp = NULL;
    return -1;
}

/* A second name for the file `path` holds now, to put it back with if the
 * swap fails: *bak malloc'd (a temporary file's name, which the writers'
 * lock sweeps if the process is killed), or NULL if there is no file.  */
static int keep_old(const char *path, char **bak, char *err, size_t errlen)
{
    char *copy = strdup(path);
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    *bak = NULL;
    if (!copy || asprintf(bak, "%s/.%s.XXXXXX", dirname(copy), base) < 0) {
        *bak = NULL;
        free(copy);
        seterr(err, errlen, "%s: %s", path, strerror(ENOMEM));
        return -1;
    }
    free(copy);
    for (int tries = 0; tries < 100; tries++) {
        int fd = mkostemp(*bak, O_CLOEXEC);
        if (fd < 0)
            break;
        close(fd);
        unlink(*bak);
        if (link(path, *bak) == 0)
            return 0;
        if (errno == ENOENT) {
            free(*bak);
            *bak = NULL;
            return 0;
        }
        if (errno != EEXIST)
            break;
        memcpy(*bak + strlen(*bak) - 6, "XXXXXX", 6);
    }
    seterr(err, errlen, "%s: cannot keep its previous version: %s", path, strerror(errno));
    free(*bak);
    *bak = NULL;
    return -1;
}

static void fsync_dir_of(const char *path)
{
    char *copy = strdup(path);
    int dirfd = copy ? open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
    if (dirfd >= 0) {
        fsync(dirfd);
        close(dirfd);
    }
    free(copy);
}

int db_write_files(const char *path, const uint8_t *data, size_t len, unsigned flags,
                   const struct db_side_file *side, size_t nside, int *attr_errno, char *err,
                   size_t errlen)
{
    char *tmp[DB_MAX_SIDE_FILES + 1] = {0}, *bak[DB_MAX_SIDE_FILES] = {0};
    bool had[DB_MAX_SIDE_FILES] = {0};
    size_t placed = 0;
    int rc = -1;
    bool was_immutable = false, cleared = false;
    sigset_t block, saved;
    if (attr_errno)
        *attr_errno = 0;
    if (nside > DB_MAX_SIDE_FILES) {
        seterr(err, errlen, "%s: too many files to write with it", path);
        return -1;
    }
    /* Every file written in full first: nothing is replaced until all of
     * them are on disk.  */
    for (size_t i = 0; i < nside; i++)
        if (write_temp(side[i].path, side[i].data ? side[i].data : (const uint8_t *)"",
                       side[i].len, (int)i + 1, &tmp[i + 1], err, errlen) < 0)
            goto out;
    if (write_temp(path, data, len, 0, &tmp[0], err, errlen) < 0)
        goto out;
    /* From here to the end, the swap is not cut short by the signals the
     * tool cleans up after: they come once it is done or undone.  */
    sigemptyset(&block);
    for (size_t i = 0; i < sizeof cleanup_sigs / sizeof cleanup_sigs[0]; i++)
        sigaddset(&block, cleanup_sigs[i]);
    sigprocmask(SIG_BLOCK, &block, &saved);
    /* An immutable file cannot be renamed over: cleared first (the step
     * that fails without CAP_LINUX_IMMUTABLE), before any file is
     * replaced, and set again if the swap fails.  */
    was_immutable = is_immutable(path);
    if (was_immutable && !db_set_immutable(path, false)) {
        seterr(err, errlen, "%s: cannot clear its immutable attribute: %s", path, strerror(errno));
        goto unblock;
    }
    cleared = was_immutable;
    /* The files beside it, each with its previous version kept under a
     * second name until the database is in.  */
    for (; placed < nside; placed++) {
        const char *sp = side[placed].path;
        if (keep_old(sp, &bak[placed], err, errlen) < 0)
            goto undo;
        had[placed] = bak[placed] != NULL;
        if (rename(tmp[placed + 1], sp) < 0) {
            seterr(err, errlen, "%s: rename: %s", sp, strerror(errno));
            if (bak[placed]) {
                unlink(bak[placed]);
                free(bak[placed]);
                bak[placed] = NULL;
            }
            goto undo;
        }
        pending[placed + 1] = 0;
        free(tmp[placed + 1]);
        tmp[placed + 1] = NULL;
    }
    if (rename(tmp[0], path) < 0) {
        seterr(err, errlen, "%s: rename: %s", path, strerror(errno));
        goto undo;
    }
    pending[0] = 0; /* the name is the database's now */
    free(tmp[0]);
    tmp[0] = NULL;
    cleared = false;
    /* Where the file system has it: no cp, truncate or > can then rewrite
     * the file under the processes that map it.  */
    if (flags & DB_WRITE_IMMUTABLE) {
        if (!db_set_immutable(path, true) && attr_errno)
            *attr_errno = errno ? errno : EPERM;
    }
    for (size_t i = 0; i < nside; i++)
        if (bak[i])
            unlink(bak[i]);
    /* Make the renames themselves durable.  */
    fsync_dir_of(path);
    for (size_t i = 0; i < nside; i++)
        fsync_dir_of(side[i].path);
    rc = 0;
    goto unblock;
undo:
    /* The files beside it put back as they were: the old version by its
     * second name, or none where there was none.  */
    while (placed-- > 0) {
        if (had[placed])
            rename(bak[placed], side[placed].path);
        else
            unlink(side[placed].path);
        free(bak[placed]);
        bak[placed] = NULL;
    }
unblock:
    if (cleared)
        db_set_immutable(path, true);
    sigprocmask(SIG_SETMASK, &saved, NULL);
out:
    for (size_t i = 0; i <= nside; i++)
        if (tmp[i]) {
            unlink(tmp[i]);
            pending[i] = 0;
            free(tmp[i]);
        }
    for (size_t i = 0; i < nside; i++)
        if (bak[i]) {
            free(bak[i]);
        }
    return rc;
}
