/* The database reader: see db/format.h for the layout, db/reader.h for the
 * contract.  Every offset that comes from the file is checked before use.  */
#define _GNU_SOURCE
#include "reader.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
/* x86 only, so little-endian: the SIMD scan compares the file's words as
 * they lie.  Every other host takes the portable path.  */
#if defined(__SSE2__) && !defined(IANA_NO_SIMD) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define IANA_SIMD 1
#include <emmintrin.h>
#endif

static const char *const proto_names[IANA_NPROTO] = {"tcp", "udp", "sctp", "dccp"};

/* Branch-free past the first bytes, on purpose: callers mix protocols and
 * NULL (getaddrinfo asks tcp then udp), and a mispredicted branch costs
 * more than this whole function.  */
int iana_proto_code(const char *proto)
{
#define WORD(a, b, c, d) ((uint32_t)(a) | (uint32_t)(b) << 8 | (uint32_t)(c) << 16 | (uint32_t)(d) << 24)
    /* The names as words (iana_load32 reads little-endian on every host),
     * at the index the multiply below gives each (a perfect hash of the
     * four).  */
    static const uint32_t word_of[IANA_NPROTO] = {
        [IANA_TCP] = WORD('t', 'c', 'p', 0), [IANA_UDP] = WORD('u', 'd', 'p', 0),
        [IANA_SCTP] = WORD('s', 'c', 't', 'p'), [IANA_DCCP] = WORD('d', 'c', 'c', 'p'),
    };
#undef WORD
    const uint32_t null = proto == NULL;
    /* NULL reads a stand-in and is decided at the end.  */
    const char *p = (const char *)((uintptr_t)proto | (-(uintptr_t)null & (uintptr_t)"any"));
    /* A byte is read only when the one before it is not the NUL.  A name
     * has 3 or 4 letters: bytes 0-3 are inside it, and the byte after its
     * last letter must be the NUL (byte 3, else byte 4).  */
    if (!p[0] || !p[1] || !p[2])
        return null ? IANA_ANY_PROTO : -1;
    const uint32_t w = (uint32_t)iana_fold64(iana_load32(p));
    const uint32_t idx = (uint32_t)(w * 0x19a0u) >> 30;
    const uint32_t ok = (word_of[idx] == w) & (p[3 + (p[3] != 0)] == 0);
    const int code = (int)(idx | (0u - !ok)); /* -1 unless ok */
    return code ^ ((code ^ IANA_ANY_PROTO) & -(int)null);
}

const char *iana_proto_name(unsigned code)
{
    return code < IANA_NPROTO ? proto_names[code] : NULL;
}

/* A string section must start and end with NUL: then every offset inside
 * it starts a string that ends inside it.  */
static bool string_section_ok(const uint8_t *base, struct iana_section_ref s)
{
    return s.size >= 1 && base[s.offset] == 0 && base[s.offset + s.size - 1] == 0;
}

int iana_db_view(const void *data, size_t size, struct iana_db *db, const char **why)
{
    const uint8_t *base = data;
    struct iana_header h;

    memset(db, 0, sizeof *db);
#define REJECT(reason) do { *why = reason; return -1; } while (0)
    if (size < sizeof h)
        REJECT("shorter than the header");
    memcpy(&h, base, sizeof h);
    iana_header_le(&h); /* host order from here on */
    if (memcmp(h.magic, IANA_MAGIC, IANA_MAGIC_LEN) != 0)
        REJECT("not an nss-iana database (bad magic)");
    /* Every writer writes little-endian: a mark that reads swapped is a
     * file from a writer that did not (or damage).  */
    if (h.byte_order != IANA_BYTE_ORDER_MARK)
        REJECT("written for another byte order");
    if (h.version != IANA_FORMAT_VERSION)
        REJECT("unsupported format version");
    if (h.header_size != IANA_HEADER_SIZE)
        REJECT("bad header size");
    if (h.file_size != size)
        REJECT("size differs from the header (truncated or extended)");
    if (h.reserved)
        REJECT("reserved header fields set");
    if (h.entry_count >= (1u << 29) || h.file_count >= (1u << 29))
        REJECT("entry count out of range");
    if (h.services.state > IANA_FILE_ABSENT || (h.services.state != IANA_FILE_PRESENT && h.file_count))
        REJECT("services file state out of range");
    if (h.proto_reserved)
        REJECT("reserved header fields set");
    if (h.proto_count >= (1u << 29) || h.proto_file_count > h.proto_count ||
        h.proto_name_keys >= (1u << 29) || h.proto_name_buckets >= (1u << 29) ||
        h.proto_number_keys > h.proto_file_count)
        REJECT("protocol count out of range");
    if (h.protocols.state > IANA_FILE_ABSENT ||
        (h.protocols.state != IANA_FILE_PRESENT && h.proto_file_count))
        REJECT("protocols file state out of range");

    /* Sections: in order, aligned, inside the file, not overlapping.  */
    uint64_t end = IANA_HEADER_SIZE;
    for (int s = 0; s < IANA_NSECTIONS; s++) {
        uint64_t off = h.section[s].offset, len = h.section[s].size;
        if (off % 8 || off < end || off + len > size)
            REJECT("section out of bounds or overlapping");
        end = off + len;
    }
    const struct { int sec; uint64_t count, width; } sized[] = {
        {IANA_SEC_ENTRIES, h.entry_count, sizeof(struct iana_entry)},
        {IANA_SEC_NAME_INDEX, h.name_buckets, sizeof(struct iana_name_bucket)},
        {IANA_SEC_PORT_INDEX, h.port_count, sizeof(struct iana_port_record)},
        {IANA_SEC_META_ENTRY, h.entry_count, sizeof(uint32_t)},
        {IANA_SEC_META_TUPLES, h.tuple_count, sizeof(struct iana_meta_tuple)},
        {IANA_SEC_PORTLESS, h.portless_count, sizeof(struct iana_portless)},
        {IANA_SEC_FILE_ENTRIES, h.file_count, sizeof(struct iana_file_entry)},
        {IANA_SEC_FILE_NAMES, h.file_name_keys, sizeof(struct iana_file_key)},
        {IANA_SEC_FILE_PORTS, h.file_count, sizeof(struct iana_file_key)},
        {IANA_SEC_PROTO_ENTRIES, h.proto_count, sizeof(struct iana_proto_entry)},
        {IANA_SEC_PROTO_NAMES, h.proto_name_keys, sizeof(struct iana_proto_key)},
        {IANA_SEC_PROTO_NUMBERS, h.proto_number_keys, sizeof(struct iana_proto_number)},
    };
    for (size_t i = 0; i < sizeof sized / sizeof sized[0]; i++) {
        /* Sections that start with a fixed part, then their records.  */
        uint64_t fixed = sized[i].sec == IANA_SEC_PORT_INDEX ? sizeof(struct iana_port_index)
                       : sized[i].sec == IANA_SEC_FILE_NAMES ? 4 * ((uint64_t)h.file_name_buckets + 1)
                       : sized[i].sec == IANA_SEC_FILE_PORTS ? 4 * ((uint64_t)h.file_port_buckets + 1)
                       : sized[i].sec == IANA_SEC_PROTO_NAMES
                           ? 4 * ((uint64_t)h.proto_name_buckets + 1)
                       : sized[i].sec == IANA_SEC_PROTO_NUMBERS ? 4 * 256
                       : 0;
        if (h.section[sized[i].sec].size != fixed + sized[i].count * sized[i].width)
            REJECT("section size does not match its count");
    }
    if (h.name_buckets == 0 || h.section[IANA_SEC_NAME_INDEX].offset % 64 ||
        h.name_keys > (uint64_t)h.name_buckets * IANA_NAME_BUCKET)
        REJECT("empty or misaligned name index");
    /* META_STRINGS is checked where it is read (meta_string): lookups
     * never touch it, and its pages stay unread in every process.  */
    if (!string_section_ok(base, h.section[IANA_SEC_STRINGS]) ||
        !string_section_ok(base, h.section[IANA_SEC_FILE_STRINGS]) ||
        !string_section_ok(base, h.section[IANA_SEC_PROTO_STRINGS]))
        REJECT("string section not NUL-delimited");
    if (h.file_name_buckets == 0 || h.file_port_buckets == 0 || h.proto_name_buckets == 0)
        REJECT("empty services file index");
#undef REJECT

    db->base = base;
    db->size = size;
    db->hdr = data;
    /* Counts from the copy just validated: the mapping is not re-read for
     * them, so a file rewritten in place cannot widen what was checked.  */
    db->entry_count = h.entry_count;
    db->enum_count = h.enum_count;
    db->name_buckets = h.name_buckets;
    db->name_keys = h.name_keys;
    db->port_count = h.port_count;
    db->tuple_count = h.tuple_count;
    db->portless_count = h.portless_count;
    db->source_path = h.source_path;
    db->services_path = h.services_path;
    db->services = h.services;
    db->file_count = h.file_count;
    db->file_name_buckets = h.file_name_buckets;
    db->file_name_keys = h.file_name_keys;
    db->file_port_buckets = h.file_port_buckets;
    db->file_strings = (const char *)base + h.section[IANA_SEC_FILE_STRINGS].offset;
    db->file_strings_size = h.section[IANA_SEC_FILE_STRINGS].size;
    db->file_entries = (const void *)(base + h.section[IANA_SEC_FILE_ENTRIES].offset);
    db->file_name_start = (const void *)(base + h.section[IANA_SEC_FILE_NAMES].offset);
    db->file_name_keys_at = (const void *)(db->file_name_start + h.file_name_buckets + 1);
    db->file_port_start = (const void *)(base + h.section[IANA_SEC_FILE_PORTS].offset);
    db->file_port_keys_at = (const void *)(db->file_port_start + h.file_port_buckets + 1);
    db->protocols = h.protocols;
    db->proto_count = h.proto_count;
    db->proto_file_count = h.proto_file_count;
    db->proto_from = 0;
    db->proto_name_buckets = h.proto_name_buckets;
    db->proto_name_keys = h.proto_name_keys;
    db->proto_number_keys = h.proto_number_keys;
    db->proto_source_path = h.proto_source_path;
    db->protocols_path = h.protocols_path;
    db->proto_strings = (const char *)base + h.section[IANA_SEC_PROTO_STRINGS].offset;
    db->proto_strings_size = h.section[IANA_SEC_PROTO_STRINGS].size;
    db->proto_entries = (const void *)(base + h.section[IANA_SEC_PROTO_ENTRIES].offset);
    db->proto_name_start = (const void *)(base + h.section[IANA_SEC_PROTO_NAMES].offset);
    db->proto_keys = (const void *)(db->proto_name_start + h.proto_name_buckets + 1);
    db->proto_first = (const void *)(base + h.section[IANA_SEC_PROTO_NUMBERS].offset);
    db->proto_numbers = (const void *)(db->proto_first + 256);
    db->proto_meta = (const char *)base + h.section[IANA_SEC_PROTO_META].offset;
    db->proto_meta_size = h.section[IANA_SEC_PROTO_META].size;
    db->strings = (const char *)base + h.section[IANA_SEC_STRINGS].offset;
    db->strings_size = h.section[IANA_SEC_STRINGS].size;
    db->entries = (const void *)(base + h.section[IANA_SEC_ENTRIES].offset);
    db->name_index = (const void *)(base + h.section[IANA_SEC_NAME_INDEX].offset);
    db->port_index = (const void *)(base + h.section[IANA_SEC_PORT_INDEX].offset);
    db->port_records = (const void *)(db->port_index + 1);
    db->meta_strings = (const char *)base + h.section[IANA_SEC_META_STRINGS].offset;
    db->meta_strings_size = h.section[IANA_SEC_META_STRINGS].size;
    db->meta_entry = (const void *)(base + h.section[IANA_SEC_META_ENTRY].offset);
    db->tuples = (const void *)(base + h.section[IANA_SEC_META_TUPLES].offset);
    db->portless = (const void *)(base + h.section[IANA_SEC_PORTLESS].offset);
    return 0;
}

/* Who may have written a file the module trusts: root or us, and nobody
 * else through the mode.  */
static const char *untrusted(const struct stat *sb, bool dir)
{
    if (sb->st_uid != 0 && sb->st_uid != geteuid())
        return dir ? "directory owned by another user" : "owned by another user";
    if (sb->st_mode & (S_IWGRP | S_IWOTH))
        return dir ? "directory writable by group or others" : "writable by group or others";
    return NULL;
}

static int open_fd(const char *path, bool trusted, bool check_dir, struct stat *sb,
                   const char **why)
{
    *why = NULL;
    if (check_dir) {
        char dir[4096];
        const char *slash = strrchr(path, '/');
        size_t n = slash ? (size_t)(slash - path) : 0;
        if (n == 0 || n >= sizeof dir) {
            memcpy(dir, slash ? "/" : ".", 2);
        } else {
            memcpy(dir, path, n);
            dir[n] = '\0';
        }
        if (stat(dir, sb) < 0)
            return -1;
        if ((*why = untrusted(sb, true))) {
            errno = EPERM;
            return -1;
        }
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | (trusted ? O_NONBLOCK : 0));
    if (fd < 0)
        return -1;
    if (fstat(fd, sb) < 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    const char *bad = !S_ISREG(sb->st_mode) ? "not a regular file"
                    : trusted ? untrusted(sb, false) : NULL;
    if (bad || sb->st_size < (off_t)IANA_HEADER_SIZE || (uint64_t)sb->st_size > UINT32_MAX) {
        close(fd);
        *why = bad ? bad : "size out of range";
        errno = bad && S_ISREG(sb->st_mode) ? EPERM : EINVAL;
        return -1;
    }
    return fd;
}

int iana_db_open_fd_trusted(const char *path, bool check_dir, struct stat *sb,
                            const char **why)
{
    return open_fd(path, true, check_dir, sb, why);
}

size_t iana_db_lookup_bytes(const void *header, size_t size)
{
    struct iana_header h;
    memcpy(&h, header, sizeof h);
    iana_header_le(&h);
    uint64_t end = h.section[IANA_SEC_META_STRINGS].offset;
    if (memcmp(h.magic, IANA_MAGIC, IANA_MAGIC_LEN) != 0 || end < IANA_HEADER_SIZE || end > size)
        return 0;
    return (size_t)end;
}

static int open_db(const char *path, struct iana_db *db, const char **why)
{
    struct stat sb;
    memset(db, 0, sizeof *db);
    int fd = open_fd(path, false, false, &sb, why);
    if (fd < 0)
        return -1;
    void *p = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_SHARED, fd, 0);
    int e = errno;
    close(fd); /* the mapping outlives the descriptor, and the file's name */
    if (p == MAP_FAILED) {
        errno = e;
        return -1;
    }
    if (iana_db_view(p, (size_t)sb.st_size, db, why) < 0) {
        munmap(p, (size_t)sb.st_size);
        errno = EINVAL;
        return -1;
    }
    db->mapped = true;
    db->dev = sb.st_dev;
    db->ino = sb.st_ino;
    db->mtime = sb.st_mtim;
    db->ctime = sb.st_ctim;
    return 0;
}

int iana_db_open(const char *path, struct iana_db *db, const char **why)
{
    return open_db(path, db, why);
}


void iana_db_close(struct iana_db *db)
{
    if (db->mapped)
        munmap((void *)db->base, db->size);
    memset(db, 0, sizeof *db);
}

int iana_db_entry_bounded(const struct iana_db *db, uint32_t index, struct iana_view *v)
{
    if (index >= db->entry_count)
        return -1;
    struct iana_entry e = iana_entry_le(db->entries[index]);
    if (e.names == 0 || e.names_len == 0 || e.names >= db->strings_size ||
        e.names_len > db->strings_size - e.names || e.proto >= IANA_NPROTO ||
        e.port_lo > e.port_hi)
        return -1;
    const char *names = db->strings + e.names;
    if (names[0] == '\0' || names[e.names_len - 1] != '\0')
        return -1;
    static const uint8_t proto_len_of[IANA_NPROTO] = {4, 4, 5, 5}; /* with NUL */
    v->names = names;
    v->names_len = e.names_len;
    v->nalias = e.nalias;
    v->proto_name = proto_names[e.proto];
    v->proto_len = proto_len_of[e.proto];
    v->port_lo = e.port_lo;
    v->port_hi = e.port_hi;
    v->proto = e.proto;
    v->line = 0;
    return 0;
}

/* A services file line: its block lies inside FILE_STRINGS, starts with a
 * name and ends with the protocol's NUL; the protocol is the block's last
 * string.  Like iana_db_entry_bounded, the names part may hold fewer
 * strings than 1 + nalias.  */
static int file_entry_bounded(const struct iana_db *db, uint32_t index, struct iana_view *v)
{
    if (index >= db->file_count)
        return -1;
    struct iana_file_entry e = iana_file_entry_le(db->file_entries[index]);
    if (e.names == 0 || e.names_len < 3 || e.names >= db->file_strings_size ||
        e.names_len > db->file_strings_size - e.names)
        return -1;
    const char *names = db->file_strings + e.names;
    if (names[0] == '\0' || names[e.names_len - 1] != '\0')
        return -1;
    const char *nul = memrchr(names, '\0', e.names_len - 1); /* before the protocol */
    if (!nul)
        return -1;
    v->names = names;
    v->names_len = (size_t)(nul + 1 - names);
    v->nalias = e.nalias;
    v->proto_name = nul + 1;
    v->proto_len = e.names_len - v->names_len;
    v->port_lo = v->port_hi = e.port;
    v->proto = IANA_NPROTO;
    v->line = e.line;
    return 0;
}

int iana_db_answer_bounded(const struct iana_db *db, uint32_t answer, struct iana_view *v)
{
    return answer < db->file_count ? file_entry_bounded(db, answer, v)
                                   : iana_db_entry_bounded(db, answer - db->file_count, v);
}

/* The names part holds exactly 1 + nalias strings.  */
static int names_complete(const struct iana_view *v)
{
    unsigned long nuls = 0;
    for (size_t i = 0; i < v->names_len; i++)
        nuls += v->names[i] == '\0';
    return nuls == (unsigned long)v->nalias + 1 ? 0 : -1;
}

int iana_db_answer(const struct iana_db *db, uint32_t answer, struct iana_view *v)
{
    if (answer >= db->file_count)
        return iana_db_entry(db, answer - db->file_count, v);
    return file_entry_bounded(db, answer, v) < 0 ? -1 : names_complete(v);
}

int iana_db_entry(const struct iana_db *db, uint32_t index, struct iana_view *v)
{
    if (iana_db_entry_bounded(db, index, v) < 0)
        return -1;
    /* The block holds exactly 1 + nalias strings, the name not empty, so
     * callers can walk it without bounds of their own.  Without aliases
     * nothing walks it: a NUL inside would only shorten the name.  */
    return v->nalias ? names_complete(v) : 0;
}

/* Which slots of a bucket could hold the name, as a bit mask: the tag and
 * length, and the protocol asked for (for any protocol, the first key of
 * its spelling).  No branches: all eight slots at once.  */
#ifdef IANA_SIMD
static uint32_t bucket_candidates(const struct iana_name_bucket *b, uint32_t tag_key,
                                  uint32_t want_ref, uint32_t ref_mask)
{
    const __m128i key_mask = _mm_set1_epi32((int)~(IANA_MAX_STRINGS - 1));
    const __m128i tag = _mm_set1_epi32((int)tag_key), want = _mm_set1_epi32((int)want_ref),
                  rmask = _mm_set1_epi32((int)ref_mask);
    uint32_t mask = 0;
    for (int half = 0; half < 2; half++) {
        __m128i k = _mm_loadu_si128((const __m128i *)(const void *)&b->key[4 * half]);
        __m128i r = _mm_loadu_si128((const __m128i *)(const void *)&b->ref[4 * half]);
        __m128i m = _mm_and_si128(_mm_cmpeq_epi32(_mm_and_si128(k, key_mask), tag),
                                  _mm_cmpeq_epi32(_mm_and_si128(r, rmask), want));
        mask |= (uint32_t)_mm_movemask_ps(_mm_castsi128_ps(m)) << (4 * half);
    }
    return mask;
}
#else
static uint32_t bucket_candidates(const struct iana_name_bucket *b, uint32_t tag_key,
                                  uint32_t want_ref, uint32_t ref_mask)
{
    uint32_t mask = 0;
    for (int i = 0; i < IANA_NAME_BUCKET; i++)
        mask |= (uint32_t)(((iana_le32(b->key[i]) & ~(IANA_MAX_STRINGS - 1)) == tag_key) &
                           ((iana_le32(b->ref[i]) & ref_mask) == want_ref)) << i;
    return mask;
}
#endif

/* Case-insensitive comparison of the bytes between the two words, for
 * names over 16 bytes.  */
static bool middle_caseeq(const char *a, const char *b, size_t len)
{
    for (size_t i = 8; i + 8 < len; i += 8)
        if (iana_fold64(iana_load64(a + i)) != iana_fold64(iana_load64(b + i)))
            return false;
    return true;
}

/* The words and hash of a queried name, computed once for both layers.  */
struct query {
    const char *name;
    size_t len;
    uint64_t q[2], fq[2]; /* its two words, and folded */
    uint64_t hash;
};

static void query_init(struct query *k, const char *name, size_t len)
{
    k->name = name;
    k->len = len;
    iana_name_words(name, len, k->q);
    k->fq[0] = iana_fold64(k->q[0]);
    k->fq[1] = iana_fold64(k->q[1]);
    k->hash = iana_name_hash(name, len, k->fq);
}

static int64_t registry_by_name(const struct iana_db *db, const struct query *qy, int proto)
{
    const char *name = qy->name;
    const size_t len = qy->len;
    const uint64_t *q = qy->q, *fq = qy->fq, hash = qy->hash;
    uint32_t b[2];
    iana_name_buckets(hash, db->name_buckets, b);
    const struct iana_name_bucket *bucket[2] = {&db->name_index[b[0]], &db->name_index[b[1]]};

    /* A key must have the tag and the length; the protocol, or for any
     * protocol the flag of the first key of its spelling.  */
    const uint32_t tag_key = iana_name_tag(hash) << IANA_NAME_OFFSET_BITS;
    const bool any = proto == IANA_ANY_PROTO;
    const uint32_t ref_mask = 63u << IANA_SLOT_LEN_SHIFT |
                              (any ? IANA_SLOT_FIRST : 7u << IANA_SLOT_PROTO_SHIFT);
    const uint32_t want_ref = (uint32_t)len << IANA_SLOT_LEN_SHIFT |
                              (any ? IANA_SLOT_FIRST : (uint32_t)proto << IANA_SLOT_PROTO_SHIFT);
    uint32_t mask = bucket_candidates(bucket[0], tag_key, want_ref, ref_mask) |
                    (b[1] != b[0] ? bucket_candidates(bucket[1], tag_key, want_ref, ref_mask)
                                        << IANA_NAME_BUCKET
                                  : 0);
    uint32_t folded = UINT32_MAX;
    while (mask) {
        const unsigned slot = (unsigned)__builtin_ctz(mask);
        mask &= mask - 1;
        const struct iana_name_bucket *bk = bucket[slot / IANA_NAME_BUCKET];
        const uint32_t ref = iana_le32(bk->ref[slot % IANA_NAME_BUCKET]);
        const uint32_t off = iana_key_offset(iana_le32(bk->key[slot % IANA_NAME_BUCKET]));
        const uint32_t entry = iana_ref_entry(ref);
        if (off == 0 || (size_t)off + len >= db->strings_size) /* the string and its NUL */
            continue;
        __builtin_prefetch(&db->entries[entry < db->entry_count ? entry : 0]);
        const char *key = db->strings + off;
        uint64_t k[2];
        iana_name_words(key, len, k);
        if (iana_fold64(k[0]) != fq[0] || iana_fold64(k[1]) != fq[1] ||
            (len > 16 && !middle_caseeq(key, name, len)))
            continue;
        /* The only spelling of its name, or this very spelling: the answer.
         * Otherwise the earliest entry among the other spellings.  */
        if ((ref & IANA_SLOT_SOLE) ||
            (k[0] == q[0] && k[1] == q[1] && (len <= 16 || memcmp(key, name, len) == 0)))
            return entry < db->entry_count ? (int64_t)entry : -1;
        if (entry < folded)
            folded = entry;
    }
    return folded < db->entry_count ? (int64_t)folded : -1;
}

int64_t iana_db_by_name(const struct iana_db *db, const char *name, int proto)
{
    const size_t len = strlen(name);
    if (len - 1 >= IANA_MAX_NAME || (unsigned)proto > IANA_ANY_PROTO) /* len 0 too */
        return -1;
    struct query k;
    query_init(&k, name, len);
    return registry_by_name(db, &k, proto);
}

int64_t iana_db_by_port(const struct iana_db *db, uint16_t port, int proto)
{
    /* Branch-free up to the answer: a port nothing answers on reads record
     * 0 (there is one: a database answers on some port) and gives none.  */
    uint64_t word = iana_le64(db->port_index->bits[port / 64]);
    uint64_t below = word & ((UINT64_C(1) << (port % 64)) - 1);
    uint32_t rec = iana_le32(db->port_index->rank[port / 64]) + iana_popcount64(below);
    if (db->port_count == 0)
        return -1;
    bool ok = (word >> (port % 64) & 1) & (rec < db->port_count) & ((unsigned)proto <= IANA_ANY_PROTO);
    uint32_t entry = iana_le32(db->port_records[ok ? rec : 0].entry[ok ? proto : 0]);
    return (ok & (entry < db->entry_count)) ? (int64_t)entry : -1;
}

/* --- the services file's lines --------------------------------------- */

/* Keys [*lo, *hi) of bucket b of a FILE_NAMES or FILE_PORTS index, checked
 * against the key count: false if the file says otherwise.  */
static bool file_bucket(const uint32_t *start, uint32_t b, uint32_t nkeys, uint32_t *lo,
                        uint32_t *hi)
{
    *lo = iana_le32(start[b]);
    *hi = iana_le32(start[b + 1]);
    return *lo <= *hi && *hi <= nkeys;
}

/* nss_files' protocol test: any, or the very string.  */
static bool file_proto_matches(const struct iana_view *v, const char *proto)
{
    return !proto || strcmp(v->proto_name, proto) == 0;
}

/* nss_files' name test: the name or an alias, the very string.  */
static bool file_has_name(const struct iana_view *v, const char *name, size_t len)
{
    const char *p = v->names, *end = v->names + v->names_len;
    for (unsigned long i = 0; i <= v->nalias && p < end; i++) {
        size_t n = strnlen(p, (size_t)(end - p));
        if (n == len && memcmp(p, name, len) == 0)
            return true;
        p += n + 1;
    }
    return false;
}

static int64_t file_by_name(const struct iana_db *db, const struct query *qy, const char *proto)
{
    uint32_t lo, hi, tag = iana_file_name_tag(qy->hash);
    if (!file_bucket(db->file_name_start, iana_file_name_bucket(qy->hash, db->file_name_buckets),
                     db->file_name_keys, &lo, &hi))
        return -1;
    for (uint32_t k = lo; k < hi; k++) { /* in file order: the first match answers */
        struct iana_view v;
        const struct iana_file_key *key = &db->file_name_keys_at[k];
        if (iana_le32(key->tag) != tag || file_entry_bounded(db, iana_le32(key->entry), &v) < 0)
            continue;
        if (file_proto_matches(&v, proto) && file_has_name(&v, qy->name, qy->len))
            return iana_le32(key->entry);
    }
    return -1;
}

static int64_t file_by_port(const struct iana_db *db, uint16_t port, const char *proto)
{
    uint32_t lo, hi;
    if (!file_bucket(db->file_port_start, iana_file_port_bucket(port, db->file_port_buckets),
                     db->file_count, &lo, &hi))
        return -1;
    for (uint32_t k = lo; k < hi; k++) {
        struct iana_view v;
        const struct iana_file_key *key = &db->file_port_keys_at[k];
        if (iana_le32(key->tag) != port || file_entry_bounded(db, iana_le32(key->entry), &v) < 0)
            continue;
        if (v.port_lo == port && file_proto_matches(&v, proto))
            return iana_le32(key->entry);
    }
    return -1;
}

int64_t iana_db_service_by_name(const struct iana_db *db, const char *name, const char *proto)
{
    const size_t len = strlen(name);
    if (len == 0) /* nss_files never has an empty name; nor does the registry */
        return -1;
    struct query qy;
    query_init(&qy, name, len);
    if (db->file_count) {
        int64_t line = file_by_name(db, &qy, proto);
        if (line >= 0)
            return line;
    }
    int code = iana_proto_code(proto);
    if (len - 1 >= IANA_MAX_NAME || code < 0)
        return -1;
    int64_t e = registry_by_name(db, &qy, code);
    return e < 0 ? -1 : e + db->file_count;
}

int64_t iana_db_service_by_port(const struct iana_db *db, uint16_t port, bool wide,
                                const char *proto)
{
    if (db->file_count && !wide) {
        int64_t line = file_by_port(db, port, proto);
        if (line >= 0)
            return line;
    }
    int code = iana_proto_code(proto);
    int64_t e = code < 0 ? -1 : iana_db_by_port(db, port, code);
    return e < 0 ? -1 : e + db->file_count;
}

/* The identity of a stat, in the database's terms.  */
static bool stat_is(const struct stat *sb, const struct iana_file_id *id)
{
    return id->state == IANA_FILE_PRESENT && (uint64_t)sb->st_dev == id->dev &&
           (uint64_t)sb->st_ino == id->ino && (uint64_t)sb->st_size == id->size &&
           (int64_t)sb->st_mtim.tv_sec == id->mtime_sec &&
           (uint32_t)sb->st_mtim.tv_nsec == id->mtime_nsec;
}

/* Whether the file at `path`, which stat saw as *sb, holds exactly the
 * bytes the database merged.  */
static bool same_bytes(const struct iana_file_id *id, const char *path, const struct stat *sb)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0)
        return false;
    struct stat now;
    uint64_t hash = IANA_FILE_HASH_INIT, total = 0;
    char buf[4096];
    bool ok = fstat(fd, &now) == 0 && S_ISREG(now.st_mode) && now.st_ino == sb->st_ino &&
              now.st_dev == sb->st_dev;
    while (ok) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            ok = n == 0;
            break;
        }
        total += (uint64_t)n;
        if (total > id->size) /* growing while read: not the same */
            ok = false;
        hash = iana_file_hash(hash, buf, (size_t)n);
    }
    close(fd);
    return ok && total == id->size && hash == id->hash;
}

/* Whether nothing can have happened to the file stat saw as *sb since
 * the database `db` was written: its ctime is older than the database's
 * mtime (a view that is no file has none: never).  */
static bool untouched_since(const struct stat *sb, const struct iana_db *db)
{
    return sb->st_ctim.tv_sec < db->mtime.tv_sec ||
           (sb->st_ctim.tv_sec == db->mtime.tv_sec && sb->st_ctim.tv_nsec < db->mtime.tv_nsec);
}

static bool seen_is(const struct stat *sb, const struct iana_file_seen *known)
{
    return stat_is(sb, &known->id) && (int64_t)sb->st_ctim.tv_sec == known->ctime_sec &&
           (uint32_t)sb->st_ctim.tv_nsec == known->ctime_nsec;
}

/* The state of the file at `path` against the identity `id` the
 * database recorded for it (header.services or header.protocols).  */
static enum iana_services_state file_state(const struct iana_db *db,
                                           const struct iana_file_id *id, const char *path,
                                           struct iana_file_seen *known)
{
    struct stat sb;
    if (id->state == IANA_FILE_NONE)
        return IANA_SERVICES_CURRENT;
    if (stat(path, &sb) < 0) {
        if (errno != ENOENT)
            return IANA_SERVICES_CHANGED;
        return id->state == IANA_FILE_ABSENT ? IANA_SERVICES_CURRENT : IANA_SERVICES_GONE;
    }
    if (id->state == IANA_FILE_ABSENT || !S_ISREG(sb.st_mode))
        return IANA_SERVICES_CHANGED;
    if ((stat_is(&sb, id) && untouched_since(&sb, db)) || (known && seen_is(&sb, known)))
        return IANA_SERVICES_CURRENT;
    if ((uint64_t)sb.st_size != id->size || !same_bytes(id, path, &sb))
        return IANA_SERVICES_CHANGED;
    if (known) {
        known->id = *id;
        known->id.dev = (uint64_t)sb.st_dev;
        known->id.ino = (uint64_t)sb.st_ino;
        known->id.mtime_sec = (int64_t)sb.st_mtim.tv_sec;
        known->id.mtime_nsec = (uint32_t)sb.st_mtim.tv_nsec;
        known->ctime_sec = (int64_t)sb.st_ctim.tv_sec;
        known->ctime_nsec = (uint32_t)sb.st_ctim.tv_nsec;
    }
    return IANA_SERVICES_CURRENT;
}

enum iana_services_state iana_db_services_state(const struct iana_db *db, const char *path,
                                                struct iana_file_seen *known)
{
    int saved = errno; /* a lookup that succeeds leaves errno alone */
    enum iana_services_state st = file_state(db, &db->services, path, known);
    errno = saved;
    return st;
}

enum iana_services_state iana_db_protocols_state(const struct iana_db *db, const char *path,
                                                 struct iana_file_seen *known)
{
    int saved = errno;
    enum iana_services_state st = file_state(db, &db->protocols, path, known);
    errno = saved;
    return st;
}

void iana_db_protocols_registry_only(const struct iana_db *db, struct iana_db *out)
{
    *out = *db;
    out->proto_from = db->proto_file_count;
    out->protocols.state = IANA_FILE_NONE;
    out->mapped = false; /* a view: closing it unmaps nothing */
}

void iana_db_registry_only(const struct iana_db *db, struct iana_db *out)
{
    *out = *db;
    out->file_count = 0;
    out->services.state = IANA_FILE_NONE;
    out->mapped = false; /* a view: closing it unmaps nothing */
}

/* --- enumeration ------------------------------------------------------- */

bool iana_db_cursor_get(const struct iana_db *db, const struct iana_cursor *c,
                        uint32_t *answer, uint16_t *port)
{
    struct iana_view v;
    if (iana_db_answer(db, c->entry, &v) < 0 || c->port_offset > (uint32_t)(v.port_hi - v.port_lo))
        return false;
    *answer = c->entry;
    *port = (uint16_t)(v.port_lo + c->port_offset);
    return true;
}

/* Past the line under the cursor, of an answer on `range` + 1 ports: its
 * next port, or the next answer.  */
static void advance(struct iana_cursor *c, uint32_t range)
{
    if (c->port_offset < range) {
        c->port_offset++;
    } else {
        c->entry++;
        c->port_offset = 0;
    }
}

void iana_db_cursor_next(const struct iana_db *db, struct iana_cursor *c)
{
    struct iana_view v;
    if (iana_db_answer(db, c->entry, &v) == 0)
        advance(c, (uint32_t)(v.port_hi - v.port_lo));
    else if (c->entry < (uint64_t)db->file_count + db->entry_count)
        advance(c, 0); /* past a damaged answer */
}

/* The first 8 bytes of a block (all of a shorter one, zero-padded), in
 * little-endian order, from a block with `room` bytes readable from its
 * start.  With 8 of them, one load and a mask: a block's length changes
 * from line to line, and a branch on it, mispredicted often, cost the
 * enumeration about 3 ns of the 43 it took a line.  */
static uint64_t names_head(const char *names, size_t len, size_t room)
{
    size_t n = len < 8 ? len : 8;
    if (n == 0) /* no block is empty */
        return 0;
    if (room >= 8)
        return iana_load64(names) & (~UINT64_C(0) >> (8 * (8 - n)));
    char head[8] = {0};
    memcpy(head, names, n);
    return iana_load64(head);
}

/* Bytes readable from a bounded view's names to the end of their section.  */
static size_t names_room(const struct iana_db *db, const struct iana_view *v)
{
    return v->proto == IANA_NPROTO ? db->file_strings_size - (size_t)(v->names - db->file_strings)
                                   : db->strings_size - (size_t)(v->names - db->strings);
}

static void place_of(const struct iana_db *db, const struct iana_view *v, uint32_t answer,
                     struct iana_place *p)
{
    *p = (struct iana_place){
        .head = names_head(v->names, v->names_len, names_room(db, v)),
        .answer = answer,
        .what = (uint32_t)v->port_lo | (uint32_t)v->port_hi << 16,
        .names_len = (uint16_t)v->names_len,
        .kind = v->proto,
        .set = true,
    };
}

static bool same_place(const struct iana_place *a, const struct iana_place *b)
{
    return a->head == b->head && a->what == b->what && a->names_len == b->names_len &&
           a->kind == b->kind;
}

bool iana_db_cursor_view(const struct iana_db *db, const struct iana_cursor *c,
                         struct iana_view *v, uint16_t *port, struct iana_place *here)
{
    if (iana_db_answer_bounded(db, c->entry, v) < 0 ||
        c->port_offset > (uint32_t)(v->port_hi - v->port_lo))
        return false;
    *port = (uint16_t)(v->port_lo + c->port_offset);
    place_of(db, v, c->entry, here);
    return true;
}

void iana_db_cursor_step(struct iana_cursor *c, const struct iana_place *here)
{
    advance(c, (here->what >> 16) - (here->what & 0xffff)); /* port_hi - port_lo */
}

/* The answer of `db` at *given's place nearest to its old number, or -1:
 * `place(db, i, &p)` tells answer i's place (false: none).  A scan of the
 * whole file, once per replacement.  */
static int64_t find_place(const struct iana_db *db, uint32_t count, const struct iana_place *given,
                          bool (*place)(const struct iana_db *, uint32_t, struct iana_place *))
{
    struct iana_place p;
    if (given->answer < count && place(db, given->answer, &p) && same_place(&p, given))
        return given->answer;
    for (uint32_t d = 1; d < count; d++) {
        if (given->answer >= d && given->answer - d < count &&
            place(db, given->answer - d, &p) && same_place(&p, given))
            return given->answer - d;
        if ((uint64_t)given->answer + d < count && place(db, given->answer + d, &p) &&
            same_place(&p, given))
            return given->answer + d;
    }
    return -1;
}

static bool service_place(const struct iana_db *db, uint32_t answer, struct iana_place *p)
{
    struct iana_view v;
    if (iana_db_answer_bounded(db, answer, &v) < 0)
        return false;
    place_of(db, &v, answer, p);
    return true;
}

void iana_db_cursor_resync(const struct iana_db *db, struct iana_cursor *c,
                           const struct iana_place *given)
{
    if (!given->set)
        return;
    uint32_t count = (uint32_t)((uint64_t)db->file_count + db->entry_count);
    int64_t at = find_place(db, count, given, service_place);
    if (at < 0 || at == given->answer)
        return;
    /* In the middle of the given line's range, or at the line after it.  */
    c->entry = c->entry == given->answer ? (uint32_t)at : (uint32_t)at + 1;
}

static void proto_place_of(const struct iana_proto_view *v, uint32_t answer, struct iana_place *p)
{
    *p = (struct iana_place){
        .head = names_head(v->names, v->names_len, 0),
        .answer = answer,
        .what = (uint32_t)v->number,
        .names_len = (uint16_t)v->names_len,
        .kind = v->from_file,
        .set = true,
    };
}

static bool proto_place(const struct iana_db *db, uint32_t answer, struct iana_place *p)
{
    struct iana_proto_view v;
    if (answer < db->proto_from || iana_db_proto_bounded(db, answer, &v) < 0)
        return false;
    proto_place_of(&v, answer, p);
    return true;
}

void iana_db_proto_place(const struct iana_proto_view *v, uint32_t answer, struct iana_place *p)
{
    proto_place_of(v, answer, p);
}

void iana_db_proto_resync(const struct iana_db *db, uint32_t *cursor, const struct iana_place *given)
{
    if (!given->set)
        return;
    /* The count is from proto_from, which a view without the file's lines
     * moves: recounted even when the answer's number is the same.  */
    int64_t at = find_place(db, db->proto_count, given, proto_place);
    if (at >= 0)
        *cursor = (uint32_t)at + 1 - db->proto_from;
}

static const char *meta_string(const struct iana_db *db, uint32_t off)
{
    /* The section must end with a NUL for any offset inside it to start a
     * string that ends inside it (iana_db_view leaves this to us).  */
    return off < db->meta_strings_size && db->meta_strings[db->meta_strings_size - 1] == '\0'
               ? db->meta_strings + off
               : "";
}

static const char *tuple_field(const struct iana_db *db, uint32_t tuple, enum iana_meta_field f)
{
    if (tuple >= db->tuple_count || (unsigned)f >= IANA_NMETA)
        return "";
    return meta_string(db, iana_le32(db->tuples[tuple].field[f]));
}

const char *iana_db_meta(const struct iana_db *db, uint32_t entry, enum iana_meta_field f)
{
    return entry < db->entry_count ? tuple_field(db, iana_le32(db->meta_entry[entry]), f) : "";
}

int64_t iana_db_portless(const struct iana_db *db, const char *name)
{
    for (uint32_t i = 0; i < db->portless_count; i++)
        if (iana_ascii_caseeq(meta_string(db, iana_le32(db->portless[i].name)), name))
            return i;
    return -1;
}

const char *iana_db_source_path(const struct iana_db *db)
{
    return db->source_path ? meta_string(db, db->source_path) : "";
}

const char *iana_db_services_path(const struct iana_db *db)
{
    return db->services_path ? meta_string(db, db->services_path) : "";
}

const char *iana_db_portless_name(const struct iana_db *db, uint32_t index)
{
    return index < db->portless_count ? meta_string(db, iana_le32(db->portless[index].name)) : "";
}

const char *iana_db_portless_meta(const struct iana_db *db, uint32_t index,
                                  enum iana_meta_field f)
{
    return index < db->portless_count ? tuple_field(db, iana_le32(db->portless[index].tuple), f)
                                      : "";
}
