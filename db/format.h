/* The nss-iana database file format, version 4.  This header is its only
 * description; db/writer.c writes it and db/reader.c reads it.
 *
 * One file, written once by `iana-services compile`, mapped read-only by
 * every process.  All integers are little-endian and fixed width, on every
 * host (iana_le32() and its kin below convert), so one file means the same
 * everywhere and every writer writes the same bytes; every offset is
 * relative to the start of the file.  Sections start on an 8-byte
 * boundary (NAME_INDEX on a 64-byte one), appear in the order of enum
 * iana_section and never overlap.
 *
 *   header          struct iana_header (IANA_HEADER_SIZE bytes)
 *   STRINGS         NUL-terminated names.  Byte 0 is NUL (offset 0 = "no
 *                   string") and the last byte is NUL, so any offset inside
 *                   the section starts a string that ends inside it.
 *   ENTRIES         struct iana_entry[entry_count], in registry order.
 *   NAME_INDEX      struct iana_name_bucket[name_buckets], on a 64-byte
 *                   boundary: a bucket is one cache line.  A hash table
 *                   with two choices (bucketed cuckoo hashing): a key is in
 *                   one of the two buckets iana_name_buckets() gives for
 *                   the hash of its ASCII-lower-cased spelling, and a
 *                   lookup reads both, side by side, and nothing else of
 *                   the index.  One key per distinct (spelling, protocol),
 *                   pointing at the first entry in registry order that has
 *                   it as name or alias; name_keys counts them.  A key
 *                   carries 12 bits of the hash and the spelling's length,
 *                   so only the string of a key that matches is read.
 *   PORT_INDEX      struct iana_port_index, then struct iana_port_record
 *                   [port_count]: a bitmap of the ports anything answers
 *                   on, with the count of set bits before each 64-bit word,
 *                   so a port's record is found by rank with no probing and
 *                   a port nothing answers on costs one load.  A record
 *                   names the entry that answers per protocol (the first
 *                   single-port entry, else the first range) and for any
 *                   protocol (the best of those, by the same rule).
 *   FILE_STRINGS    like STRINGS, for the services file's lines: for each,
 *                   its name, aliases and protocol, back to back.
 *   FILE_ENTRIES    struct iana_file_entry[file_count]: the lines of the
 *                   merged services file that nss_files accepts, in file
 *                   order.  Empty when no file was merged.
 *   FILE_NAMES      uint32_t start[file_name_buckets + 1], then struct
 *                   iana_file_key[file_name_keys]: the keys of bucket b are
 *                   keys[start[b] .. start[b+1]), in file order.  One key
 *                   per line and distinct hash of its name and aliases,
 *                   filed under iana_file_name_bucket() of the hash.
 *   FILE_PORTS      the same shape (file_port_buckets), one key per line,
 *                   filed under iana_file_port_bucket() of its port.
 *   PROTO_STRINGS   like STRINGS, for the protocols answers: each one's
 *                   name and aliases, back to back.
 *   PROTO_ENTRIES   struct iana_proto_entry[proto_count]: the protocols
 *                   answers in one numbering, the merged protocols file's
 *                   lines first (proto_file_count of them, in file order),
 *                   then the served entries of IANA's protocol numbers
 *                   registry (parser/protocols.h), in registry order.
 *   PROTO_NAMES     uint32_t start[proto_name_buckets + 1], then struct
 *                   iana_proto_key[proto_name_keys]: the keys of bucket b
 *                   are keys[start[b] .. start[b+1]), in entry order.  One
 *                   key per entry and distinct spelling of its name and
 *                   aliases, filed under iana_proto_name_bucket() of its
 *                   iana_spelling_hash(), which folds ASCII case: every
 *                   spelling of a name, in any case, is in one bucket.
 *   PROTO_NUMBERS   uint32_t first[256]: the registry entry that answers
 *                   for each number (the first in registry order), or
 *                   IANA_NO_ENTRY; then struct iana_proto_number
 *                   [proto_number_keys]: for each number a line of the
 *                   protocols file has, the first such line, sorted by the
 *                   number as an unsigned 32-bit value.
 *   -- nothing below is read by NSS lookups --
 *   META_STRINGS    like STRINGS: descriptions, assignees, contacts, dates,
 *                   the paths of the registry and services file merged.
 *                   Checked where it is read.
 *   META_ENTRY      uint32_t[entry_count]: the META_TUPLE of each entry.
 *   META_TUPLES     struct iana_meta_tuple[tuple_count], shared by entries
 *                   whose registry rows say the same things.
 *   PORTLESS        struct iana_portless[portless_count]: names registered
 *                   without a port (DNS-SD service names), for the CLI.
 *   PROTO_META      like STRINGS: the protocol registry's descriptions and
 *                   references, the paths of its CSV and of the protocols
 *                   file merged.  Checked where it is read.
 *
 * Every spelling of a name, in any case and for any protocol, has one hash
 * and so the same two buckets.  The answer is the exact spelling before any
 * other case, then the first entry in registry order.  Two flags let a lookup stop
 * at the first key that matches: IANA_SLOT_FIRST marks, for each spelling,
 * the key of its earliest entry (the answer for "any protocol"), and
 * IANA_SLOT_SOLE marks keys whose spelling is the only one of its name in
 * any case (so a case-insensitive match is as good as an exact one).
 *
 * The answers: a database that merged a services file answers as glibc's
 * `services: files iana` would with the registry alone after the file: its
 * lines first, compared exactly as nss_files compares them (strcmp on
 * names, aliases and protocol strings; the first line in file order), and
 * only if none answers, the registry's entries.  Enumeration gives the
 * file's lines, then the registry's.  header.services says which file that
 * was (its identity when it was read) so that the module can tell when it
 * has changed, and step aside (UNAVAIL) until the database is rebuilt.
 *
 * The protocols answers are `protocols: files iana`'s the same way: by
 * name, the first line of the protocols file with the name or alias
 * (strcmp), else the registry's entry with it exactly, else in ASCII case
 * (no name of one registry entry is another's in any case, so the order
 * of that search does not matter); by number, the first line with the
 * number (any int, as nss_files compares them), else the registry's.
 * Enumeration: the file's lines, then the registry's.  header.protocols
 * is the protocols file merged, as header.services is the services file:
 * when it has changed, the module steps aside for protocol lookups alone.
 *
 * `checksum` is the SHA-256 of the whole file with the checksum field itself
 * set to zero: it covers everything after the header and the header too.
 */
#ifndef NSS_IANA_DB_FORMAT_H
#define NSS_IANA_DB_FORMAT_H

#include <stdint.h>

#include "../vocab.h"

/* A file integer in host order, or a host integer in file order: one
 * operation both ways.  Every multi-byte field read from the file, and
 * written to it, goes through these.  The identity on little-endian hosts,
 * so no code at all there; a byte swap (one instruction, or a byte-reversed
 * load) on big-endian ones such as s390x.  */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
static inline uint16_t iana_le16(uint16_t x) { return x; }
static inline uint32_t iana_le32(uint32_t x) { return x; }
static inline uint64_t iana_le64(uint64_t x) { return x; }
#elif defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
static inline uint16_t iana_le16(uint16_t x) { return __builtin_bswap16(x); }
static inline uint32_t iana_le32(uint32_t x) { return __builtin_bswap32(x); }
static inline uint64_t iana_le64(uint64_t x) { return __builtin_bswap64(x); }
#else
#error "neither a little-endian nor a big-endian host"
#endif

#define IANA_MAGIC "NSSIANA\x1a"
#define IANA_MAGIC_LEN 8
#define IANA_FORMAT_VERSION 4u
#define IANA_BYTE_ORDER_MARK 0x01020304u /* reads 0x04030201 when swapped */
#define IANA_HEADER_SIZE 440u

enum iana_section {
    IANA_SEC_STRINGS,
    IANA_SEC_ENTRIES,
    IANA_SEC_NAME_INDEX,
    IANA_SEC_PORT_INDEX,
    IANA_SEC_FILE_STRINGS,
    IANA_SEC_FILE_ENTRIES,
    IANA_SEC_FILE_NAMES,
    IANA_SEC_FILE_PORTS,
    IANA_SEC_PROTO_STRINGS,
    IANA_SEC_PROTO_ENTRIES,
    IANA_SEC_PROTO_NAMES,
    IANA_SEC_PROTO_NUMBERS,
    IANA_SEC_META_STRINGS,
    IANA_SEC_META_ENTRY,
    IANA_SEC_META_TUPLES,
    IANA_SEC_PORTLESS,
    IANA_SEC_PROTO_META,
    IANA_NSECTIONS
};

struct iana_section_ref {
    uint32_t offset;
    uint32_t size;
};

/* services.state */
enum iana_file_state {
    IANA_FILE_NONE,    /* none merged (compile --no-services): the registry only */
    IANA_FILE_PRESENT, /* merged; the database holds its lines */
    IANA_FILE_ABSENT,  /* merged, but there was no such file */
};

/* The services file merged, as fstat saw it when its bytes were read.  */
struct iana_file_id {
    uint64_t dev, ino, size;
    int64_t mtime_sec;
    uint32_t mtime_nsec;
    uint32_t state;          /* enum iana_file_state */
    uint64_t hash;           /* iana_file_hash() of its bytes (vocab.h) */
};

/* The file the module compares with header.services: the one nss_files
 * reads.  Fixed, not the path merged (which the tool keeps): in a chroot
 * or container it is that root's /etc/services.  */
#define IANA_SERVICES_FILE "/etc/services"
/* And the one compared with header.protocols.  */
#define IANA_PROTOCOLS_FILE "/etc/protocols"

struct iana_header {
    char magic[IANA_MAGIC_LEN];
    uint32_t version;
    uint32_t byte_order;     /* IANA_BYTE_ORDER_MARK */
    uint32_t header_size;    /* IANA_HEADER_SIZE */
    uint32_t file_size;      /* must equal the size of the file */
    uint32_t entry_count;
    uint32_t enum_count;     /* getservent lines: ports summed over entries */
    uint32_t name_buckets;   /* in NAME_INDEX */
    uint32_t port_count;     /* ports with a record in PORT_INDEX */
    uint32_t tuple_count;
    uint32_t portless_count;
    uint32_t name_keys;      /* keys in NAME_INDEX */
    uint32_t file_count;     /* lines in FILE_ENTRIES */
    uint32_t file_name_buckets, file_name_keys;
    uint32_t file_port_buckets; /* FILE_PORTS has file_count keys */
    uint32_t source_path;    /* META_STRINGS: absolute path of the CSV */
    uint32_t services_path;  /* META_STRINGS: absolute path of the services
                              * file merged, or 0 */
    uint32_t reserved;       /* zero */
    struct iana_file_id services;
    uint32_t proto_count;       /* answers in PROTO_ENTRIES */
    uint32_t proto_file_count;  /* of them, the protocols file's lines (first) */
    uint32_t proto_name_buckets, proto_name_keys;
    uint32_t proto_number_keys; /* the file's numbers in PROTO_NUMBERS */
    uint32_t proto_source_path; /* PROTO_META: absolute path of the protocols CSV */
    uint32_t protocols_path;    /* PROTO_META: the protocols file merged, or 0 */
    uint32_t proto_reserved;    /* zero */
    struct iana_file_id protocols; /* the protocols file merged, as services */
    struct iana_section_ref section[IANA_NSECTIONS];
    uint8_t source_sha256[32]; /* of the registry CSV it was compiled from */
    uint8_t proto_source_sha256[32]; /* of the protocol numbers CSV */
    uint8_t checksum[32];
};

struct iana_entry {
    uint32_t names;    /* STRINGS: name, then nalias aliases, back to back */
    uint16_t port_lo;  /* port_lo == port_hi unless a range */
    uint16_t port_hi;
    uint8_t proto;     /* enum iana_proto */
    uint8_t flags;     /* zero */
    uint8_t nalias;
    uint8_t names_len; /* bytes of the names with their NULs: one memcpy */
};

/* A bucket of name keys, as two arrays so a lookup tests all eight slots
 * at once.  key[i]: the spelling's STRINGS offset (IANA_NAME_OFFSET_BITS),
 * then 12 bits of its hash (the tag).  ref[i]: entry index (21 bits), its
 * protocol (3), the spelling's length (6), IANA_SLOT_SOLE, IANA_SLOT_FIRST.
 * An empty slot is zero in both.  */
#define IANA_NAME_BUCKET 8
struct iana_name_bucket {
    uint32_t key[IANA_NAME_BUCKET];
    uint32_t ref[IANA_NAME_BUCKET];
};

#define IANA_NAME_OFFSET_BITS 20
#define IANA_MAX_STRINGS (1u << IANA_NAME_OFFSET_BITS)
#define IANA_NAME_ENTRY_BITS 21
#define IANA_MAX_ENTRIES (1u << IANA_NAME_ENTRY_BITS)
#define IANA_MAX_NAME 63u     /* the longest spelling the index holds */
#define IANA_SLOT_PROTO_SHIFT 21
#define IANA_SLOT_LEN_SHIFT 24
#define IANA_SLOT_SOLE 0x40000000u
#define IANA_SLOT_FIRST 0x80000000u

static inline uint32_t iana_key_offset(uint32_t key) { return key & (IANA_MAX_STRINGS - 1); }
static inline uint32_t iana_ref_entry(uint32_t ref) { return ref & (IANA_MAX_ENTRIES - 1); }
static inline uint32_t iana_ref_proto(uint32_t ref) { return ref >> IANA_SLOT_PROTO_SHIFT & 7; }
static inline uint32_t iana_ref_len(uint32_t ref) { return ref >> IANA_SLOT_LEN_SHIFT & 63; }

struct iana_port_index {
    uint64_t bits[1024];       /* bit p % 64 of word p / 64: port p answers */
    uint32_t rank[1024];       /* set bits in the words before this one */
};

#define IANA_NO_ENTRY UINT32_MAX

struct iana_port_record {
    uint32_t entry[IANA_NPROTO + 1]; /* by protocol, then any; or none */
};

/* A line of the services file.  */
struct iana_file_entry {
    uint32_t names;      /* FILE_STRINGS: name, nalias aliases, protocol */
    uint32_t names_len;  /* bytes of all 2 + nalias strings with their NULs */
    uint32_t nalias;
    uint32_t line;       /* in the file, from 1: for the tool */
    uint16_t port;
    uint16_t zero;
};

struct iana_file_key {
    uint32_t tag;        /* names: hash >> 32; ports: the port */
    uint32_t entry;      /* FILE_ENTRIES index */
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

/* A protocols answer: a line of the protocols file, or a registry entry.
 * Nothing but uint32_t, so it is laid down word by word.  */
struct iana_proto_entry {
    uint32_t names;        /* PROTO_STRINGS: name, then nalias aliases */
    uint32_t names_len;    /* bytes of all 1 + nalias strings with their NULs */
    uint32_t nalias;
    uint32_t number;       /* p_proto's bits: 0-255 in the registry, any int
                            * on a line of the file */
    uint32_t line;         /* in its file (the CSV record's first), from 1 */
    uint32_t flags;        /* IANA_PROTO_*; zero on a line of the file */
    uint32_t description;  /* PROTO_META: the registry's Protocol column, or 0 */
    uint32_t reference;    /* PROTO_META, or 0 */
};
#define IANA_PROTO_IPV6_EXT 1u    /* an IPv6 extension header */
#define IANA_PROTO_DEPRECATED 2u  /* the keyword said "(deprecated)" */
#define IANA_PROTO_FLAGS 3u       /* every flag there is */

struct iana_proto_key {
    uint32_t tag;          /* iana_spelling_hash() >> 32 */
    uint32_t entry;        /* PROTO_ENTRIES index */
    uint32_t spelling;     /* PROTO_STRINGS: that name or alias */
};

struct iana_proto_number {
    uint32_t number;       /* as in iana_proto_entry */
    uint32_t entry;
};

_Static_assert(sizeof(struct iana_header) == IANA_HEADER_SIZE, "header size");
_Static_assert(sizeof(struct iana_entry) == 12, "entry size");
_Static_assert(sizeof(struct iana_name_bucket) == 64, "name bucket size");
_Static_assert(sizeof(struct iana_port_index) == 12288, "port index size");
_Static_assert(sizeof(struct iana_port_record) == 20, "port record size");
_Static_assert(sizeof(struct iana_file_entry) == 20, "file entry size");
_Static_assert(sizeof(struct iana_file_key) == 8, "file key size");
_Static_assert(sizeof(struct iana_file_id) == 48, "file identity size");
_Static_assert(sizeof(struct iana_proto_entry) == 32, "protocol entry size");
_Static_assert(sizeof(struct iana_proto_key) == 12, "protocol key size");
_Static_assert(sizeof(struct iana_proto_number) == 8, "protocol number key size");

/* Records with their integers converted between file and host order,
 * either way (the converse of the conversion is itself).  */
static inline struct iana_entry iana_entry_le(struct iana_entry e)
{
    e.names = iana_le32(e.names);
    e.port_lo = iana_le16(e.port_lo);
    e.port_hi = iana_le16(e.port_hi);
    return e;
}

static inline struct iana_file_entry iana_file_entry_le(struct iana_file_entry e)
{
    e.names = iana_le32(e.names);
    e.names_len = iana_le32(e.names_len);
    e.nalias = iana_le32(e.nalias);
    e.line = iana_le32(e.line);
    e.port = iana_le16(e.port);
    e.zero = iana_le16(e.zero);
    return e;
}

static inline struct iana_file_key iana_file_key_le(struct iana_file_key k)
{
    k.tag = iana_le32(k.tag);
    k.entry = iana_le32(k.entry);
    return k;
}

/* In place: the reader converts its copy of the header once, on open; the
 * writer converts the header it built just before it lays it down.  Every
 * field but the byte arrays (magic, source_sha256, checksum).  */
static inline void iana_header_le(struct iana_header *h)
{
#define IANA_LE(field, bits) (h->field = iana_le##bits(h->field))
    IANA_LE(version, 32), IANA_LE(byte_order, 32), IANA_LE(header_size, 32);
    IANA_LE(file_size, 32), IANA_LE(entry_count, 32), IANA_LE(enum_count, 32);
    IANA_LE(name_buckets, 32), IANA_LE(port_count, 32), IANA_LE(tuple_count, 32);
    IANA_LE(portless_count, 32), IANA_LE(name_keys, 32), IANA_LE(file_count, 32);
    IANA_LE(file_name_buckets, 32), IANA_LE(file_name_keys, 32);
    IANA_LE(file_port_buckets, 32), IANA_LE(source_path, 32), IANA_LE(services_path, 32);
    IANA_LE(reserved, 32);
    IANA_LE(services.dev, 64), IANA_LE(services.ino, 64), IANA_LE(services.size, 64);
    h->services.mtime_sec = (int64_t)iana_le64((uint64_t)h->services.mtime_sec);
    IANA_LE(services.mtime_nsec, 32), IANA_LE(services.state, 32), IANA_LE(services.hash, 64);
    IANA_LE(proto_count, 32), IANA_LE(proto_file_count, 32), IANA_LE(proto_name_buckets, 32);
    IANA_LE(proto_name_keys, 32), IANA_LE(proto_number_keys, 32);
    IANA_LE(proto_source_path, 32), IANA_LE(protocols_path, 32), IANA_LE(proto_reserved, 32);
    IANA_LE(protocols.dev, 64), IANA_LE(protocols.ino, 64), IANA_LE(protocols.size, 64);
    h->protocols.mtime_sec = (int64_t)iana_le64((uint64_t)h->protocols.mtime_sec);
    IANA_LE(protocols.mtime_nsec, 32), IANA_LE(protocols.state, 32);
    IANA_LE(protocols.hash, 64);
    for (int s = 0; s < IANA_NSECTIONS; s++)
        IANA_LE(section[s].offset, 32), IANA_LE(section[s].size, 32);
#undef IANA_LE
}

/* The name hash, shared by writer and reader.  A spelling is read as two
 * words that between them hold its first and last 8 bytes (overlapping
 * when shorter; for 1-3 bytes, bytes 0, len/2 and len-1), so a name of up
 * to 16 bytes is hashed and compared with two loads and no loop.  Words
 * are read little-endian on every host: the hash, and so the index the
 * writer lays out, is the same everywhere.  */
static inline uint64_t iana_load64(const char *p) { uint64_t v; __builtin_memcpy(&v, p, 8); return iana_le64(v); }
static inline uint32_t iana_load32(const char *p) { uint32_t v; __builtin_memcpy(&v, p, 4); return iana_le32(v); }

static inline void iana_name_words(const char *s, size_t len, uint64_t w[2])
{
    if (len >= 8) {
        w[0] = iana_load64(s);
        w[1] = iana_load64(s + len - 8);
    } else if (len >= 4) {
        w[0] = iana_load32(s);
        w[1] = iana_load32(s + len - 4);
    } else {
        w[0] = len ? (unsigned char)s[0] | (unsigned char)s[len / 2] << 8 |
                     (uint32_t)(unsigned char)s[len - 1] << 16
                   : 0;
        w[1] = 0;
    }
}

/* ASCII A-Z to a-z in every byte of a word at once; other bytes, UTF-8
 * included, unchanged.  Not tolower(): that follows the caller's locale,
 * and in a Turkish one "IMAP" would not match "imap".  */
static inline uint64_t iana_fold64(uint64_t x)
{
    const uint64_t low7 = UINT64_C(0x7f7f7f7f7f7f7f7f), high = UINT64_C(0x8080808080808080);
    uint64_t seven = x & low7;
    uint64_t ge_a = seven + UINT64_C(0x3f3f3f3f3f3f3f3f); /* bit 7: byte >= 'A' */
    uint64_t gt_z = seven + UINT64_C(0x2525252525252525); /* bit 7: byte > 'Z' */
    return x | ((ge_a & ~gt_z & ~x & high) >> 2);
}

/* Of the folded words, the length and, for names over 16 bytes, the
 * folded bytes between the words (so names alike at both ends still
 * differ): 64 bits, for the two buckets and the tag.  */
static inline uint64_t iana_name_hash(const char *s, size_t len, const uint64_t folded[2])
{
    uint64_t h = (folded[0] ^ (uint64_t)len << 56) * UINT64_C(0x9e3779b97f4a7c15);
    for (size_t i = 8; i + 8 < len; i += 8)
        h = (h ^ h >> 29 ^ iana_fold64(iana_load64(s + i))) * UINT64_C(0x9e3779b97f4a7c15);
    h = (h ^ h >> 29 ^ folded[1]) * UINT64_C(0xbf58476d1ce4e5b9);
    return h ^ h >> 31;
}

/* The hash of a spelling, from its own words: what the writer files a key
 * under and verify checks.  A lookup computes the same in steps, as it
 * keeps the words to compare.  */
static inline uint64_t iana_spelling_hash(const char *s, size_t len)
{
    uint64_t w[2];
    iana_name_words(s, len, w);
    w[0] = iana_fold64(w[0]);
    w[1] = iana_fold64(w[1]);
    return iana_name_hash(s, len, w);
}

/* Multiply-shift: a 32-bit value onto 0 .. n-1 by its high bits.  */
static inline uint32_t iana_reduce(uint32_t x, uint32_t n)
{
    return (uint32_t)(((uint64_t)x * n) >> 32);
}

/* The two buckets (they may be the same one) and the tag: bits of the
 * hash that the bucket choice does not use.  */
static inline void iana_name_buckets(uint64_t hash, uint32_t nbuckets, uint32_t b[2])
{
    b[0] = iana_reduce((uint32_t)hash, nbuckets);
    b[1] = iana_reduce((uint32_t)(hash >> 32), nbuckets);
}

static inline uint32_t iana_name_tag(uint64_t hash)
{
    return (uint32_t)hash & 0xfffu; /* the buckets take high bits of each half */
}

/* Where a services file line's keys are filed: by the hash of a name (the
 * same as the registry's, so a lookup hashes once), by a port.  */
static inline uint32_t iana_file_name_bucket(uint64_t hash, uint32_t nbuckets)
{
    return iana_reduce((uint32_t)hash, nbuckets);
}

static inline uint32_t iana_file_name_tag(uint64_t hash)
{
    return (uint32_t)(hash >> 32);
}

static inline uint32_t iana_proto_name_bucket(uint64_t hash, uint32_t nbuckets)
{
    return iana_reduce((uint32_t)hash, nbuckets);
}

static inline uint32_t iana_file_port_bucket(uint16_t port, uint32_t nbuckets)
{
    return iana_reduce(port * UINT32_C(0x9e3779b1), nbuckets);
}

/* Set bits of a word, without a call: baseline x86-64 has no popcnt.  */
static inline uint32_t iana_popcount64(uint64_t x)
{
    x = x - ((x >> 1) & UINT64_C(0x5555555555555555));
    x = (x & UINT64_C(0x3333333333333333)) + ((x >> 2) & UINT64_C(0x3333333333333333));
    x = (x + (x >> 4)) & UINT64_C(0x0f0f0f0f0f0f0f0f);
    return (uint32_t)((x * UINT64_C(0x0101010101010101)) >> 56);
}

#endif
