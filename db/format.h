/* The nss-iana database file format, version 1.  This header is its only
 * description; db/writer.c writes it and db/reader.c reads it.
 *
 * One file, written once by `iana-services compile`, mapped read-only by
 * every process.  All integers are little-endian and fixed width; every
 * offset is relative to the start of the file.  Sections start on an 8-byte
 * boundary, appear in the order of enum iana_section and never overlap.
 *
 *   header          struct iana_header (IANA_HEADER_SIZE bytes)
 *   STRINGS         NUL-terminated names.  Byte 0 is NUL (offset 0 = "no
 *                   string") and the last byte is NUL, so any offset inside
 *                   the section starts a string that ends inside it.
 *   ENTRIES         struct iana_entry[entry_count], in registry order.
 *   NAME_INDEX      uint32_t bucket[name_buckets + 1], then struct
 *                   iana_name_slot key[name_keys]: a hash table in cdb's
 *                   manner.  Keys are grouped by bucket, the bucket chosen
 *                   by iana_name_hash() of the ASCII-lower-cased spelling;
 *                   bucket b's keys are key[bucket[b]] .. key[bucket[b+1]-1].
 *                   One key per distinct (spelling, protocol), pointing at
 *                   the first entry in registry order that has it as name
 *                   or alias.  Each key keeps 8 bits of the hash beside its
 *                   offset, so a lookup rejects other keys without touching
 *                   their strings.
 *   PORT_INDEX      struct iana_port_index, then struct iana_port_record
 *                   [port_count]: a bitmap of the ports anything answers
 *                   on, with the count of set bits before each 64-bit word,
 *                   so a port's record is found by rank with no probing and
 *                   a port nothing answers on costs one load.  A record
 *                   names the entry that answers per protocol (the first
 *                   single-port entry, else the first range) and for any
 *                   protocol (the best of those, by the same rule).
 *   -- nothing below is read by NSS lookups --
 *   META_STRINGS    like STRINGS: descriptions, assignees, contacts, dates.
 *   META_ENTRY      uint32_t[entry_count]: the META_TUPLE of each entry.
 *   META_TUPLES     struct iana_meta_tuple[tuple_count], shared by entries
 *                   whose registry rows say the same things.
 *   PORTLESS        struct iana_portless[portless_count]: names registered
 *                   without a port (DNS-SD service names), for the CLI.
 *
 * Every spelling of a name, in any case and for any protocol, lands in one
 * bucket, so a lookup scans that bucket alone (a key or two) and keeps the
 * best match: exact case before folded, then registry order.
 *
 * `checksum` is the SHA-256 of the whole file with the checksum field itself
 * set to zero: it covers everything after the header and the header too.
 */
#ifndef NSS_IANA_DB_FORMAT_H
#define NSS_IANA_DB_FORMAT_H

#include <stdint.h>

#define IANA_MAGIC "NSSIANA\x1a"
#define IANA_MAGIC_LEN 8
#define IANA_FORMAT_VERSION 1u
#define IANA_BYTE_ORDER_MARK 0x01020304u /* reads 0x04030201 when swapped */
#define IANA_HEADER_SIZE 192u

/* Protocol codes, in the order getaddrinfo asks.  */
enum iana_proto { IANA_TCP, IANA_UDP, IANA_SCTP, IANA_DCCP, IANA_NPROTO };
#define IANA_ANY_PROTO IANA_NPROTO /* lookup argument: "any protocol" */

enum iana_section {
    IANA_SEC_STRINGS,
    IANA_SEC_ENTRIES,
    IANA_SEC_NAME_INDEX,
    IANA_SEC_PORT_INDEX,
    IANA_SEC_META_STRINGS,
    IANA_SEC_META_ENTRY,
    IANA_SEC_META_TUPLES,
    IANA_SEC_PORTLESS,
    IANA_NSECTIONS
};

struct iana_section_ref {
    uint32_t offset;
    uint32_t size;
};

struct iana_header {
    char magic[IANA_MAGIC_LEN];
    uint32_t version;
    uint32_t byte_order;     /* IANA_BYTE_ORDER_MARK */
    uint32_t header_size;    /* IANA_HEADER_SIZE */
    uint32_t file_size;      /* must equal the size of the file */
    uint32_t entry_count;
    uint32_t enum_count;     /* getservent lines: ports summed over entries */
    uint32_t name_buckets;
    uint32_t port_count;     /* ports with a record in PORT_INDEX */
    uint32_t tuple_count;
    uint32_t portless_count;
    uint32_t name_keys;
    uint32_t reserved[3];    /* zero */
    struct iana_section_ref section[IANA_NSECTIONS];
    uint8_t source_sha256[32]; /* of the registry CSV it was compiled from */
    uint8_t checksum[32];
};

/* Entry flags.  */
#define IANA_ENTRY_LOCAL 0x01u /* from a site file (compile --local) */

struct iana_entry {
    uint32_t names;    /* STRINGS: name, then nalias aliases, back to back */
    uint16_t port_lo;  /* port_lo == port_hi unless a range */
    uint16_t port_hi;
    uint8_t proto;     /* enum iana_proto */
    uint8_t flags;
    uint8_t nalias;
    uint8_t names_len; /* bytes of the names with their NULs: one memcpy */
};

/* STRINGS offsets in name keys have 24 bits; the top 8 hold the tag.  */
#define IANA_NAME_OFFSET_BITS 24
#define IANA_MAX_STRINGS (1u << IANA_NAME_OFFSET_BITS)

struct iana_name_slot {
    uint32_t key;      /* STRINGS offset | tag << 24 */
    uint32_t ref;      /* entry index << 3 | proto */
};

static inline uint32_t iana_name_tag(uint32_t hash)
{
    return hash & 0xffu; /* the bucket comes from the high bits */
}

struct iana_port_index {
    uint64_t bits[1024];       /* bit p % 64 of word p / 64: port p answers */
    uint32_t rank[1024];       /* set bits in the words before this one */
};

#define IANA_NO_ENTRY UINT32_MAX

struct iana_port_record {
    uint32_t entry[IANA_NPROTO + 1]; /* by protocol, then any; or none */
};

enum iana_meta_field {
    IANA_META_DESCRIPTION,
    IANA_META_ASSIGNEE,
    IANA_META_CONTACT,
    IANA_META_REGISTERED,
    IANA_META_MODIFIED,
    IANA_META_REFERENCE,
    IANA_NMETA
};

struct iana_meta_tuple {
    uint32_t field[IANA_NMETA]; /* META_STRINGS offsets */
};

struct iana_portless {
    uint32_t name;     /* META_STRINGS */
    uint32_t tuple;    /* META_TUPLES index */
};

_Static_assert(sizeof(struct iana_header) == IANA_HEADER_SIZE, "header size");
_Static_assert(sizeof(struct iana_entry) == 12, "entry size");
_Static_assert(sizeof(struct iana_name_slot) == 8, "name slot size");
_Static_assert(sizeof(struct iana_port_index) == 12288, "port index size");
_Static_assert(sizeof(struct iana_port_record) == 20, "port record size");

/* Hashes shared by writer and reader: the ASCII-lower-cased key taken four
 * bytes at a time (one multiply per word, not per byte: names are short and
 * this is the hot loop), then a murmur3 finaliser so the high bits are
 * mixed too; the bucket is the multiply-shift reduction of the hash.  */
static inline uint32_t iana_mix32(uint32_t h)
{
    h ^= h >> 16;
    h *= 0x85ebca6bu;
    h ^= h >> 13;
    h *= 0xc2b2ae35u;
    h ^= h >> 16;
    return h;
}

static inline uint32_t iana_name_hash(const char *s)
{
    uint32_t h = 2166136261u, word = 0, n = 0;
    for (; *s; s++) {
        uint32_t c = (unsigned char)*s;
        c |= (uint32_t)(c - 'A' < 26u) << 5; /* ASCII lower case, no branch */
        word = word << 8 | c;
        if (++n % 4 == 0) {
            h = (h ^ word) * 0x9e3779b1u;
            h = h << 13 | h >> 19;
            word = 0;
        }
    }
    return iana_mix32((h ^ word) * 0x9e3779b1u ^ n);
}

/* ASCII case-insensitive equality.  Not strcasecmp: that follows the
 * caller's locale, and in a Turkish one "IMAP" would not match "imap".  */
static inline int iana_ascii_caseeq(const char *a, const char *b)
{
    for (;; a++, b++) {
        unsigned char x = (unsigned char)*a, y = (unsigned char)*b;
        if (x >= 'A' && x <= 'Z')
            x += 'a' - 'A';
        if (y >= 'A' && y <= 'Z')
            y += 'a' - 'A';
        if (x != y)
            return 0;
        if (!x)
            return 1;
    }
}

/* Set bits of a word, without a call: baseline x86-64 has no popcnt.  */
static inline uint32_t iana_popcount64(uint64_t x)
{
    x = x - ((x >> 1) & UINT64_C(0x5555555555555555));
    x = (x & UINT64_C(0x3333333333333333)) + ((x >> 2) & UINT64_C(0x3333333333333333));
    x = (x + (x >> 4)) & UINT64_C(0x0f0f0f0f0f0f0f0f);
    return (uint32_t)((x * UINT64_C(0x0101010101010101)) >> 56);
}

static inline uint32_t iana_home_slot(uint32_t hash, uint32_t nslots)
{
    return (uint32_t)(((uint64_t)hash * nslots) >> 32);
}

#endif
