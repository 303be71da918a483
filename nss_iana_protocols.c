/* libnss_iana.so.2's `protocols` backend: getprotobyname, getprotobynumber
 * and getprotoent over the database's protocols answers (db/format.h,
 * PROTO_*), with the contract of the services one (nss_iana.c): NOTFOUND,
 * TRYAGAIN with ERANGE for a buffer too small, UNAVAIL without a database
 * or while /etc/protocols is not the file it merged, so that
 * `protocols: iana [!UNAVAIL=return] files` gives nss_files the lookup
 * then.  A changed /etc/services does not concern these lookups, nor a
 * changed /etc/protocols the services ones.  */
#define _GNU_SOURCE
#include <errno.h>
#include <netdb.h>
#include <nss.h>
#include <pthread.h>
#include <stdalign.h>
#include <stdbool.h>
#include <string.h>

#include "db/reader.h"
#include "nss_iana_mapping.h"

#define EXPORT __attribute__((visibility("default")))

EXPORT nss_getprotobyname_r _nss_iana_getprotobyname_r;
EXPORT nss_getprotobynumber_r _nss_iana_getprotobynumber_r;
EXPORT nss_setprotoent _nss_iana_setprotoent;
EXPORT nss_getprotoent_r _nss_iana_getprotoent_r;
EXPORT nss_endprotoent _nss_iana_endprotoent;

static enum nss_status unavailable(int *errnop)
{
    *errnop = ENOENT;
    return NSS_STATUS_UNAVAIL;
}

/* Answer `index` into the caller's buffer: the alias pointers first,
 * aligned by address, then the names; every size computed before anything
 * is written.  */
static enum nss_status fill_view(const struct iana_proto_view *vp, struct protoent *result,
                                 char *buffer, size_t buflen, int *errnop)
{
    const struct iana_proto_view v = *vp;
    size_t pad = -(uintptr_t)buffer & (alignof(char *) - 1);
    size_t ptrs, needed;
    if (v.nalias >= v.names_len ||
        __builtin_mul_overflow((size_t)v.nalias + 1, sizeof(char *), &ptrs) ||
        __builtin_add_overflow(pad + ptrs, v.names_len, &needed))
        return unavailable(errnop);
    if (buflen < needed) {
        *errnop = ERANGE;
        return NSS_STATUS_TRYAGAIN;
    }
    char **aliases = (char **)(void *)(buffer + pad);
    char *names = buffer + pad + ptrs, *end = names + v.names_len, *p = names;
    memcpy(names, v.names, v.names_len);
    for (unsigned i = 0; i < v.nalias; i++) {
        p = memchr(p, '\0', (size_t)(end - p));
        if (!p || ++p >= end)
            return unavailable(errnop);
        aliases[i] = p;
    }
    aliases[v.nalias] = NULL;
    result->p_name = names;
    result->p_aliases = aliases;
    result->p_proto = v.number;
    return NSS_STATUS_SUCCESS;
}

static enum nss_status fill(const struct iana_db *db, uint32_t index, struct protoent *result,
                            char *buffer, size_t buflen, int *errnop)
{
    struct iana_proto_view v;
    if (iana_db_proto_bounded(db, index, &v) < 0)
        return unavailable(errnop);
    return fill_view(&v, result, buffer, buflen, errnop);
}

enum nss_status _nss_iana_getprotobyname_r(const char *name, struct protoent *result,
                                           char *buffer, size_t buflen, int *errnop)
{
    struct snapshot s;
    enum nss_status status;
    do {
        if (!mapping_get(&s, MAPPING_PROTOCOLS))
            return unavailable(errnop);
        int64_t hit = iana_db_proto_by_name(&s.db, name);
        status = hit < 0 ? NSS_STATUS_NOTFOUND
                         : fill(&s.db, (uint32_t)hit, result, buffer, buflen, errnop);
    } while (!mapping_still(&s));
    return status;
}

enum nss_status _nss_iana_getprotobynumber_r(int number, struct protoent *result, char *buffer,
                                             size_t buflen, int *errnop)
{
    struct snapshot s;
    enum nss_status status;
    do {
        if (!mapping_get(&s, MAPPING_PROTOCOLS))
            return unavailable(errnop);
        int64_t hit = iana_db_proto_by_number(&s.db, number);
        status = hit < 0 ? NSS_STATUS_NOTFOUND
                         : fill(&s.db, (uint32_t)hit, result, buffer, buflen, errnop);
    } while (!mapping_still(&s));
    return status;
}

/* The enumeration, as the services one (nss_iana.c): answers given since
 * setprotoent, and the places of the one given last and of the one under
 * it.  */
struct protocols_cursor {
    uint32_t at;
    unsigned given;            /* place[given] is the line given last's */
    struct iana_place place[2];
};
_Static_assert(sizeof(struct protocols_cursor) <= sizeof(((struct mapping_cursor *)0)->at),
               "the protocols cursor fits a mapping_cursor");

static void protocols_resync(const struct iana_db *db, void *at)
{
    struct protocols_cursor *c = at;
    iana_db_proto_resync(db, &c->at, &c->place[c->given]);
}

static int protocols_give(const struct iana_db *db, void *at, void *result, char *buffer,
                          size_t buflen, int *errnop)
{
    struct protocols_cursor *c = at;
    struct iana_proto_view v;
    uint32_t answer;
    if (!iana_db_proto_cursor_view(db, c->at, &answer, &v))
        return NSS_STATUS_NOTFOUND;
    iana_db_proto_place(&v, answer, &c->place[!c->given]);
    return fill_view(&v, result, buffer, buflen, errnop);
}

static void protocols_step(void *at)
{
    struct protocols_cursor *c = at;
    c->given = !c->given;
    c->at++;
}

static const struct mapping_enum_ops protocols_enum = {
    MAPPING_PROTOCOLS, MAPPING_PROTOCOLS_CURSOR, protocols_resync, protocols_give, protocols_step,
};
static struct mapping_cursor cursor;

enum nss_status _nss_iana_setprotoent(int stayopen)
{
    (void)stayopen;
    return mapping_rewind(&protocols_enum, &cursor);
}

enum nss_status _nss_iana_endprotoent(void)
{
    mapping_end(&protocols_enum, &cursor);
    return NSS_STATUS_SUCCESS;
}

enum nss_status _nss_iana_getprotoent_r(struct protoent *result, char *buffer, size_t buflen,
                                        int *errnop)
{
    return mapping_enumerate(&protocols_enum, &cursor, result, buffer, buflen, errnop);
}
