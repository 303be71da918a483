/* The entries' NAME_INDEX (names folded to lower case, hashed into buckets)
 * and PORT_INDEX (who answers each port and protocol) sections.  See
 * db/format.h for the layout.  */
#define _GNU_SOURCE
#include "writer_parts.h"

#include <stdlib.h>
#include <string.h>


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

int db_build_name_index(struct layout *L, const struct entry_set *set, char *err,
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
            db_seterr(err, errlen, "%s: more than %d spellings and protocols of one name",
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
        db_seterr(err, errlen, "names whose hashes collide: the name index cannot hold them");
        return -2;
    }
    if (!table)
        return -1;
    L->name_index = table;
    L->nbuckets = nbuckets;
    L->nkeys = (uint32_t)nkeys;
    return 0;
}

int db_build_port_index(struct layout *L, const struct entry_set *set)
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
