/* The words the parser and the database share, owned by neither: data
 * flows parser -> db, so neither includes the other's headers for these.
 * Protocol codes, ASCII case folding that ignores the caller's locale, and
 * the hash that identifies a merged services file's bytes.  */
#ifndef NSS_IANA_VOCAB_H
#define NSS_IANA_VOCAB_H

#include <stddef.h>
#include <stdint.h>

/* The registry's transport protocols, in the order getaddrinfo asks.  */
enum iana_proto { IANA_TCP, IANA_UDP, IANA_SCTP, IANA_DCCP, IANA_NPROTO };
#define IANA_ANY_PROTO IANA_NPROTO /* lookup argument: "any protocol" */

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

/* 64-bit FNV-1a, continued from `h` (start with IANA_FILE_HASH_INIT).  It
 * tells whether a services file still holds the bytes that were merged
 * when its inode, device or time changed (a copy, a container's overlay, a
 * `touch`).  Not a defence: whoever can write /etc/services is root.  */
#define IANA_FILE_HASH_INIT UINT64_C(0xcbf29ce484222325)
static inline uint64_t iana_file_hash(uint64_t h, const void *data, size_t n)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * UINT64_C(0x100000001b3);
    return h;
}

#endif
