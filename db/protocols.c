/* The protocols answers: lookups by name and number, the entries as
 * views, the enumeration, the state of the protocols file merged, and the
 * registry's metadata (format in db/format.h, PROTO_*).  Every file
 * integer through iana_le32(); every offset checked before it is used.  */
#define _GNU_SOURCE
#include "reader.h"

#include <string.h>

static bool proto_entry_at(const struct iana_db *db, uint32_t index, struct iana_proto_view *v)
{
    if (index >= db->proto_count)
        return false;
    const struct iana_proto_entry *e = &db->proto_entries[index];
    uint32_t names = iana_le32(e->names), len = iana_le32(e->names_len);
    /* The block lies inside PROTO_STRINGS and ends with a NUL; it starts a
     * string that ends inside the section (whose last byte is NUL).  */
    if (len == 0 || names == 0 || names >= db->proto_strings_size ||
        len > db->proto_strings_size - names || db->proto_strings[names + len - 1] != '\0')
        return false;
    v->names = db->proto_strings + names;
    v->names_len = len;
    v->nalias = iana_le32(e->nalias);
    v->number = (int32_t)iana_le32(e->number);
    v->line = iana_le32(e->line);
    v->flags = iana_le32(e->flags);
    v->from_file = index < db->proto_file_count;
    return v->nalias < len; /* each of 1 + nalias strings has a byte and a NUL */
}

int iana_db_proto_bounded(const struct iana_db *db, uint32_t index, struct iana_proto_view *v)
{
    return index >= db->proto_from && proto_entry_at(db, index, v) ? 0 : -1;
}

int iana_db_proto(const struct iana_db *db, uint32_t index, struct iana_proto_view *v)
{
    if (iana_db_proto_bounded(db, index, v) < 0)
        return -1;
    /* Exactly 1 + nalias non-empty strings fill the block.  */
    size_t n = 0;
    for (const char *p = v->names, *end = v->names + v->names_len; p < end; n++) {
        size_t l = strlen(p);
        if (l == 0)
            return -1;
        p += l + 1;
    }
    return n == (size_t)v->nalias + 1 ? 0 : -1;
}

int64_t iana_db_proto_by_name(const struct iana_db *db, const char *name)
{
    if (!name || db->proto_name_buckets == 0)
        return -1;
    size_t len = strlen(name);
    uint64_t hash = iana_spelling_hash(name, len);
    uint32_t b = iana_proto_name_bucket(hash, db->proto_name_buckets);
    uint32_t tag = (uint32_t)(hash >> 32);
    uint32_t lo = iana_le32(db->proto_name_start[b]), hi = iana_le32(db->proto_name_start[b + 1]);
    if (lo > hi || hi > db->proto_name_keys)
        return -1;
    int64_t folded = -1;
    /* Keys in entry order, the file's lines first: the first exact match
     * is `files iana`'s answer; a registry entry that has the name in
     * another case answers only if nothing has it exactly.  */
    for (uint32_t k = lo; k < hi; k++) {
        const struct iana_proto_key *key = &db->proto_keys[k];
        if (iana_le32(key->tag) != tag)
            continue;
        uint32_t entry = iana_le32(key->entry), at = iana_le32(key->spelling);
        if (entry < db->proto_from || entry >= db->proto_count || at >= db->proto_strings_size)
            continue;
        const char *s = db->proto_strings + at;
        if (strcmp(s, name) == 0)
            return entry;
        if (folded < 0 && entry >= db->proto_file_count && iana_ascii_caseeq(s, name))
            folded = entry;
    }
    return folded;
}

int64_t iana_db_proto_by_number(const struct iana_db *db, int number)
{
    if (db->proto_from == 0 && db->proto_number_keys) {
        uint32_t want = (uint32_t)number, lo = 0, hi = db->proto_number_keys;
        while (lo < hi) {
            uint32_t mid = lo + (hi - lo) / 2;
            uint32_t n = iana_le32(db->proto_numbers[mid].number);
            if (n == want) {
                uint32_t entry = iana_le32(db->proto_numbers[mid].entry);
                return entry < db->proto_file_count ? (int64_t)entry : -1;
            }
            if (n < want)
                lo = mid + 1;
            else
                hi = mid;
        }
    }
    if (number < 0 || number > 255 || db->proto_count == 0)
        return -1;
    uint32_t entry = iana_le32(db->proto_first[number]);
    return entry != IANA_NO_ENTRY && entry >= db->proto_file_count && entry < db->proto_count
               ? (int64_t)entry
               : -1;
}

/* --- enumeration ------------------------------------------------------- */

bool iana_db_proto_cursor_view(const struct iana_db *db, uint32_t cursor, uint32_t *entry,
                               struct iana_proto_view *v)
{
    uint64_t e = (uint64_t)db->proto_from + cursor;
    if (e >= db->proto_count || iana_db_proto_bounded(db, (uint32_t)e, v) < 0)
        return false;
    *entry = (uint32_t)e;
    return true;
}

bool iana_db_proto_cursor_get(const struct iana_db *db, uint32_t cursor, uint32_t *entry)
{
    struct iana_proto_view v;
    return iana_db_proto_cursor_view(db, cursor, entry, &v);
}

/* --- for the tool ------------------------------------------------------ */

static const char *proto_meta(const struct iana_db *db, uint32_t off)
{
    /* PROTO_META is checked here, where it is read: from off to a NUL
     * inside the section, or "".  */
    if (off == 0 || off >= db->proto_meta_size ||
        !memchr(db->proto_meta + off, '\0', db->proto_meta_size - off))
        return "";
    return db->proto_meta + off;
}

const char *iana_db_proto_description(const struct iana_db *db, uint32_t index)
{
    return index < db->proto_count ? proto_meta(db, iana_le32(db->proto_entries[index].description))
                                   : "";
}

const char *iana_db_proto_reference(const struct iana_db *db, uint32_t index)
{
    return index < db->proto_count ? proto_meta(db, iana_le32(db->proto_entries[index].reference))
                                   : "";
}

const char *iana_db_proto_source_path(const struct iana_db *db)
{
    return proto_meta(db, db->proto_source_path);
}

const char *iana_db_protocols_path(const struct iana_db *db)
{
    return proto_meta(db, db->protocols_path);
}
