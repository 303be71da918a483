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

static const char *const proto_names[IANA_NPROTO] = {"tcp", "udp", "sctp", "dccp"};

int iana_proto_code(const char *proto)
{
    if (!proto)
        return IANA_ANY_PROTO;
    /* The first letter tells them apart: one comparison, not four.  */
    static const int8_t by_letter[26] = {
        ['t' - 'a'] = IANA_TCP + 1, ['u' - 'a'] = IANA_UDP + 1,
        ['s' - 'a'] = IANA_SCTP + 1, ['d' - 'a'] = IANA_DCCP + 1,
    };
    unsigned letter = (unsigned)((unsigned char)proto[0] | 0x20) - 'a';
    int p = letter < 26 ? by_letter[letter] - 1 : -1;
    if (p < 0)
        return -1;
    const char *want = proto_names[p];
    size_t i = 1;
    for (; want[i]; i++)
        if ((proto[i] | 0x20) != want[i])
            return -1;
    return proto[i] == '\0' ? p : -1;
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
    if (memcmp(h.magic, IANA_MAGIC, IANA_MAGIC_LEN) != 0)
        REJECT("not an nss-iana database (bad magic)");
    if (h.byte_order != IANA_BYTE_ORDER_MARK)
        REJECT("written for another byte order");
    if (h.version != IANA_FORMAT_VERSION)
        REJECT("unsupported format version");
    if (h.header_size != IANA_HEADER_SIZE)
        REJECT("bad header size");
    if (h.file_size != size)
        REJECT("size differs from the header (truncated or extended)");
    for (size_t i = 0; i < sizeof h.reserved / sizeof h.reserved[0]; i++)
        if (h.reserved[i])
            REJECT("reserved header fields set");
    if (h.entry_count >= (1u << 29))
        REJECT("entry count out of range");

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
        {IANA_SEC_NAME_INDEX, h.name_keys, sizeof(struct iana_name_slot)},
        {IANA_SEC_PORT_INDEX, h.port_count, sizeof(struct iana_port_record)},
        {IANA_SEC_META_ENTRY, h.entry_count, sizeof(uint32_t)},
        {IANA_SEC_META_TUPLES, h.tuple_count, sizeof(struct iana_meta_tuple)},
        {IANA_SEC_PORTLESS, h.portless_count, sizeof(struct iana_portless)},
    };
    for (size_t i = 0; i < sizeof sized / sizeof sized[0]; i++) {
        uint64_t fixed = sized[i].sec == IANA_SEC_PORT_INDEX ? sizeof(struct iana_port_index)
                       : sized[i].sec == IANA_SEC_NAME_INDEX ? ((uint64_t)h.name_buckets + 1) * 4
                       : 0;
        if (h.section[sized[i].sec].size != fixed + sized[i].count * sized[i].width)
            REJECT("section size does not match its count");
    }
    if (h.name_buckets == 0)
        REJECT("empty name index");
    if (!string_section_ok(base, h.section[IANA_SEC_STRINGS]) ||
        !string_section_ok(base, h.section[IANA_SEC_META_STRINGS]))
        REJECT("string section not NUL-delimited");
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
    db->strings = (const char *)base + h.section[IANA_SEC_STRINGS].offset;
    db->strings_size = h.section[IANA_SEC_STRINGS].size;
    db->entries = (const void *)(base + h.section[IANA_SEC_ENTRIES].offset);
    db->name_bucket = (const void *)(base + h.section[IANA_SEC_NAME_INDEX].offset);
    db->name_key = (const void *)(db->name_bucket + h.name_buckets + 1);
    db->port_index = (const void *)(base + h.section[IANA_SEC_PORT_INDEX].offset);
    db->port_records = (const void *)(db->port_index + 1);
    db->meta_strings = (const char *)base + h.section[IANA_SEC_META_STRINGS].offset;
    db->meta_strings_size = h.section[IANA_SEC_META_STRINGS].size;
    db->meta_entry = (const void *)(base + h.section[IANA_SEC_META_ENTRY].offset);
    db->tuples = (const void *)(base + h.section[IANA_SEC_META_TUPLES].offset);
    db->portless = (const void *)(base + h.section[IANA_SEC_PORTLESS].offset);
    return 0;
}

int iana_db_open(const char *path, struct iana_db *db, const char **why)
{
    struct stat sb;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    *why = NULL;
    memset(db, 0, sizeof *db);
    if (fd < 0)
        return -1;
    if (fstat(fd, &sb) < 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    if (!S_ISREG(sb.st_mode) || sb.st_size < (off_t)IANA_HEADER_SIZE ||
        (uint64_t)sb.st_size > UINT32_MAX) {
        close(fd);
        *why = S_ISREG(sb.st_mode) ? "size out of range" : "not a regular file";
        errno = EINVAL;
        return -1;
    }
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
    return 0;
}

void iana_db_close(struct iana_db *db)
{
    if (db->mapped)
        munmap((void *)db->base, db->size);
    memset(db, 0, sizeof *db);
}

int iana_db_entry(const struct iana_db *db, uint32_t index, struct iana_view *v)
{
    if (index >= db->entry_count)
        return -1;
    struct iana_entry e = db->entries[index];
    if (e.names == 0 || e.names_len == 0 || e.names >= db->strings_size ||
        e.names_len > db->strings_size - e.names || e.proto >= IANA_NPROTO ||
        e.port_lo > e.port_hi)
        return -1;
    /* The block holds exactly 1 + nalias strings, the name not empty, so
     * callers can walk it without bounds of their own.  */
    const char *names = db->strings + e.names;
    if (names[0] == '\0' || names[e.names_len - 1] != '\0')
        return -1;
    /* Without aliases nothing walks the block: a NUL inside it would only
     * shorten the name.  With aliases, count the strings once.  */
    if (e.nalias) {
        unsigned nuls = 0;
        for (unsigned i = 0; i < e.names_len; i++)
            nuls += names[i] == '\0';
        if (nuls != (unsigned)e.nalias + 1)
            return -1;
    }
    v->names = names;
    v->names_len = e.names_len;
    v->nalias = e.nalias;
    v->port_lo = e.port_lo;
    v->port_hi = e.port_hi;
    v->proto = e.proto;
    v->flags = e.flags;
    return 0;
}

int64_t iana_db_by_name(const struct iana_db *db, const char *name, int proto)
{
    uint32_t exact = UINT32_MAX, folded = UINT32_MAX;
    const uint32_t hash = iana_name_hash(name), tag = iana_name_tag(hash);
    const uint32_t b = iana_home_slot(hash, db->name_buckets);
    uint32_t k = db->name_bucket[b], end = db->name_bucket[b + 1];
    if (end > db->name_keys)
        return -1;

    /* Every spelling of this name in any case and protocol is in this
     * bucket: keep the earliest exact and folded hit.  An exact hit for one
     * protocol ends the scan: (spelling, protocol) keys are unique.  */
    for (; k < end; k++) {
        struct iana_name_slot s = db->name_key[k];
        uint32_t entry = s.ref >> 3;
        uint32_t off = s.key & (IANA_MAX_STRINGS - 1);
        if (s.key >> IANA_NAME_OFFSET_BITS != tag || off >= db->strings_size ||
            (proto != IANA_ANY_PROTO && (int)(s.ref & 7) != proto))
            continue;
        const char *key = db->strings + off;
        if (strcmp(key, name) == 0) {
            if (entry < exact)
                exact = entry;
            if (proto != IANA_ANY_PROTO)
                break;
        } else if (entry < folded && iana_ascii_caseeq(key, name)) {
            folded = entry;
        }
    }
    uint32_t hit = exact != UINT32_MAX ? exact : folded;
    return hit < db->entry_count ? (int64_t)hit : -1;
}

int64_t iana_db_by_port(const struct iana_db *db, uint16_t port, int proto)
{
    uint64_t word = db->port_index->bits[port / 64];
    uint64_t below = word & ((UINT64_C(1) << (port % 64)) - 1);
    if (!(word >> (port % 64) & 1) || (unsigned)proto > IANA_ANY_PROTO)
        return -1;
    uint32_t rec = db->port_index->rank[port / 64] + iana_popcount64(below);
    if (rec >= db->port_count)
        return -1;
    uint32_t entry = db->port_records[rec].entry[proto];
    return entry < db->entry_count ? (int64_t)entry : -1;
}

bool iana_db_cursor_get(const struct iana_db *db, const struct iana_cursor *c,
                        uint32_t *entry, uint16_t *port)
{
    struct iana_view v;
    if (iana_db_entry(db, c->entry, &v) < 0 || c->port_offset > (uint32_t)(v.port_hi - v.port_lo))
        return false;
    *entry = c->entry;
    *port = (uint16_t)(v.port_lo + c->port_offset);
    return true;
}

void iana_db_cursor_next(const struct iana_db *db, struct iana_cursor *c)
{
    struct iana_view v;
    if (iana_db_entry(db, c->entry, &v) == 0 &&
        c->port_offset < (uint32_t)(v.port_hi - v.port_lo)) {
        c->port_offset++;
    } else if (c->entry < db->entry_count) {
        c->entry++;
        c->port_offset = 0;
    }
}

static const char *meta_string(const struct iana_db *db, uint32_t off)
{
    return off < db->meta_strings_size ? db->meta_strings + off : "";
}

static const char *tuple_field(const struct iana_db *db, uint32_t tuple, enum iana_meta_field f)
{
    if (tuple >= db->tuple_count || (unsigned)f >= IANA_NMETA)
        return "";
    return meta_string(db, db->tuples[tuple].field[f]);
}

const char *iana_db_meta(const struct iana_db *db, uint32_t entry, enum iana_meta_field f)
{
    return entry < db->entry_count ? tuple_field(db, db->meta_entry[entry], f) : "";
}

int64_t iana_db_portless(const struct iana_db *db, const char *name)
{
    for (uint32_t i = 0; i < db->portless_count; i++)
        if (iana_ascii_caseeq(meta_string(db, db->portless[i].name), name))
            return i;
    return -1;
}

const char *iana_db_portless_name(const struct iana_db *db, uint32_t index)
{
    return index < db->portless_count ? meta_string(db, db->portless[index].name) : "";
}

const char *iana_db_portless_meta(const struct iana_db *db, uint32_t index,
                                  enum iana_meta_field f)
{
    return index < db->portless_count ? tuple_field(db, db->portless[index].tuple, f) : "";
}
