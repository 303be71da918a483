/* libnss_iana.so.2: glibc NSS `services` backend over the nss-iana database.
 *
 * This file only adapts db/ to the NSS contract: the getservent cursor,
 * and copying an answer into the caller's buffer; nss_iana_mapping.c keeps
 * the database in memory and current.  A
 * database that merged /etc/services answers only while /etc/services is
 * the file it merged: after an edit the module says UNAVAIL, and with
 * `services: iana [!UNAVAIL=return] files` glibc asks nss_files instead,
 * until the database is rebuilt.  */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <nss.h>
#include <pthread.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "db/reader.h"
#include "nss_iana_mapping.h"

#define EXPORT __attribute__((visibility("default")))

EXPORT nss_getservbyname_r _nss_iana_getservbyname_r;
EXPORT nss_getservbyport_r _nss_iana_getservbyport_r;
EXPORT nss_setservent _nss_iana_setservent;
EXPORT nss_getservent_r _nss_iana_getservent_r;
EXPORT nss_endservent _nss_iana_endservent;

/* nscd calls _nss_<module>_init once with a callback that registers files
 * whose change must flush a database's cache, as nss_files does for
 * /etc/services.  struct traced_file is glibc's private nscd ABI (nscd/
 * nscd.h); it is mirrored here so nscd drops its services cache when our
 * database is replaced.  Its mtime is a __time64_t since glibc 2.34 (a
 * time_t before: 4 bytes on 32-bit hosts, where every later field was 4
 * bytes earlier); the rest is unchanged since 2.21.  */
struct nscd_traced_file {
    int64_t mtime;
    struct nscd_traced_file *next;
    int call_res_init;
    int inotify_descr[2];
    char dname[PATH_MAX];
    char *sfname;
    char fname[];
};

/* nscd reads these fields where its own compiler put them: a mirror that
 * differs must fail the build, not write over nscd's memory.  The offsets
 * are glibc's declaration laid out by each ABI's rules (int64_t aligned
 * to 8 on 64-bit hosts; to 4 on i386 and 8 on armhf, which moves no field
 * on 32-bit hosts and only pads the end).  */
#define NSCD_AT(field, off) \
    _Static_assert(offsetof(struct nscd_traced_file, field) == (off), \
                   "struct traced_file: " #field " is not where glibc's nscd has it")
#if defined __GLIBC__ && __SIZEOF_POINTER__ == 4 && !__GLIBC_PREREQ(2, 34)
#error "glibc before 2.34 on a 32-bit host: nscd's struct traced_file has a 4-byte mtime"
#endif
_Static_assert(PATH_MAX == 4096, "struct traced_file: glibc's dname is PATH_MAX, 4096 on Linux");
NSCD_AT(mtime, 0);
NSCD_AT(next, 8);
#if __SIZEOF_POINTER__ == 8
NSCD_AT(call_res_init, 16);
NSCD_AT(inotify_descr, 20);
NSCD_AT(dname, 28);
NSCD_AT(sfname, 4128);
NSCD_AT(fname, 4136);
_Static_assert(sizeof(struct nscd_traced_file) == 4136, "struct traced_file: size");
#elif __SIZEOF_POINTER__ == 4
NSCD_AT(call_res_init, 12);
NSCD_AT(inotify_descr, 16);
NSCD_AT(dname, 24);
NSCD_AT(sfname, 4120);
NSCD_AT(fname, 4124);
_Static_assert(sizeof(struct nscd_traced_file) == 4124 || sizeof(struct nscd_traced_file) == 4128,
               "struct traced_file: size");
#else
#error "struct traced_file: its layout on this ABI is not known; see glibc's nscd/nscd.h"
#endif
#undef NSCD_AT
#define NSCD_SERVDB 3          /* enum dbtype: pwddb, grpdb, hstdb, servdb */
typedef void nscd_register_fn(size_t, struct nscd_traced_file *);
EXPORT void _nss_iana_init(nscd_register_fn *cb);

static enum nss_status unavailable(int *errnop)
{
    *errnop = ENOENT;
    return NSS_STATUS_UNAVAIL;
}

/* Copy the answer `v`, on `port` (host order; -1: its first port), into
 * the caller's buffer: the alias pointer array first, aligned by address,
 * then the strings.  All sizes are computed before anything is written.  */
static enum nss_status fill_view(const struct iana_db *db, const struct iana_view *vp, int32_t port,
                                 struct servent *result, char *buffer, size_t buflen, int *errnop)
{
    const struct iana_view v = *vp;
    const char *proto = v.proto_name;
    size_t proto_len = v.proto_len;
    size_t pad = -(uintptr_t)buffer & (alignof(char *) - 1);
    /* A block holds 1 + nalias non-empty strings, so nalias < names_len;
     * and no sum may wrap, whatever the file says, with a 32-bit size_t.  */
    size_t ptrs, needed;
    if (v.nalias >= v.names_len ||
        __builtin_mul_overflow((size_t)v.nalias + 1, sizeof(char *), &ptrs) ||
        __builtin_add_overflow(pad + ptrs, v.names_len, &needed) ||
        __builtin_add_overflow(needed, proto_len, &needed))
        return unavailable(errnop);
    if (buflen < needed) {
        *errnop = ERANGE;
        return NSS_STATUS_TRYAGAIN;
    }

    char **aliases = (char **)(void *)(buffer + pad);
    char *names = buffer + pad + ptrs, *end = names + v.names_len;
    /* Most name blocks are short: copy a fixed 32 bytes when both sides
     * have them (the bytes past the block are the database's own, and are
     * overwritten or left in the caller's buffer), so the copy does not
     * branch on the length as memcpy must.  */
    enum { SHORT_COPY = 32 };
    /* A file line's block lies in FILE_STRINGS: no fixed-size copy.  */
    size_t src_left = v.proto == IANA_NPROTO ? 0 : db->strings_size - (size_t)(v.names - db->strings);
    if (v.names_len <= SHORT_COPY && buflen - pad - ptrs >= SHORT_COPY && src_left >= SHORT_COPY)
        memcpy(names, v.names, SHORT_COPY);
    else
        memcpy(names, v.names, v.names_len);
    /* The aliases follow the name, each after a NUL inside the block.  */
    char *p = names;
    for (unsigned i = 0; i < v.nalias; i++) {
        p = memchr(p, '\0', (size_t)(end - p));
        if (!p || ++p >= end)
            return unavailable(errnop);
        aliases[i] = p;
    }
    aliases[v.nalias] = NULL;
    result->s_name = names;
    result->s_aliases = aliases;
    result->s_proto = memcpy(end, proto, proto_len);
    result->s_port = (int)htons(port < 0 ? v.port_lo : (uint16_t)port);
    return NSS_STATUS_SUCCESS;
}

static enum nss_status fill(const struct iana_db *db, uint32_t index, int32_t port,
                            struct servent *result, char *buffer, size_t buflen, int *errnop)
{
    struct iana_view v;
    if (iana_db_answer_bounded(db, index, &v) < 0)
        return unavailable(errnop);
    return fill_view(db, &v, port, result, buffer, buflen, errnop);
}

/* Each answer is computed from a snapshot and given only if the database
 * was not replaced meanwhile (nss_iana_mapping.h); else computed again.  */
enum nss_status _nss_iana_getservbyname_r(const char *name, const char *protocol,
                                          struct servent *result, char *buffer,
                                          size_t buflen, int *errnop)
{
    struct snapshot s;
    enum nss_status status;
    do {
        if (!mapping_get(&s, MAPPING_SERVICES))
            return unavailable(errnop);
        int64_t hit = name ? iana_db_service_by_name(&s.db, name, protocol) : -1;
        status = hit < 0 ? NSS_STATUS_NOTFOUND
                         : fill(&s.db, (uint32_t)hit, -1, result, buffer, buflen, errnop);
    } while (!mapping_still(&s));
    return status;
}

enum nss_status _nss_iana_getservbyport_r(int port, const char *protocol,
                                          struct servent *result, char *buffer,
                                          size_t buflen, int *errnop)
{
    /* nss_files compares the whole int with its lines' 16-bit ports.  */
    uint16_t host_port = ntohs((uint16_t)port);
    bool wide = (unsigned)port > 0xffff;
    struct snapshot s;
    enum nss_status status;
    do {
        if (!mapping_get(&s, MAPPING_SERVICES))
            return unavailable(errnop);
        int64_t hit = iana_db_service_by_port(&s.db, host_port, wide, protocol);
        status = hit < 0 ? NSS_STATUS_NOTFOUND
                         : fill(&s.db, (uint32_t)hit, host_port, result, buffer, buflen, errnop);
    } while (!mapping_still(&s));
    return status;
}

/* The enumeration: the line under it, and two places: that of the line
 * given last (where it goes on from after a replacement:
 * iana_db_cursor_resync), and that of the line under it, from give() to
 * step().  step() only says which is which: a copy of a place just written
 * would wait for the stores that wrote it (about 1 ns of 42 a line).  */
struct services_cursor {
    struct iana_cursor at;
    struct iana_place place[2];
    unsigned given;            /* place[given] is the line given last's */
};
_Static_assert(sizeof(struct services_cursor) <= sizeof(((struct mapping_cursor *)0)->at),
               "the services cursor fits a mapping_cursor");

static void services_resync(const struct iana_db *db, void *at)
{
    struct services_cursor *c = at;
    iana_db_cursor_resync(db, &c->at, &c->place[c->given]);
}

static int services_give(const struct iana_db *db, void *at, void *result, char *buffer,
                         size_t buflen, int *errnop)
{
    struct services_cursor *c = at;
    struct iana_view v;
    uint16_t port;
    if (!iana_db_cursor_view(db, &c->at, &v, &port, &c->place[!c->given]))
        return NSS_STATUS_NOTFOUND;
    return fill_view(db, &v, port, result, buffer, buflen, errnop);
}

static void services_step(void *at)
{
    struct services_cursor *c = at;
    c->given = !c->given;
    iana_db_cursor_step(&c->at, &c->place[c->given]);
}

static const struct mapping_enum_ops services_enum = {
    MAPPING_SERVICES, MAPPING_SERVICES_CURSOR, services_resync, services_give, services_step,
};
static struct mapping_cursor cursor;

enum nss_status _nss_iana_setservent(int stayopen)
{
    (void)stayopen; /* the database is always open */
    return mapping_rewind(&services_enum, &cursor);
}

enum nss_status _nss_iana_endservent(void)
{
    mapping_end(&services_enum, &cursor);
    return NSS_STATUS_SUCCESS;
}

enum nss_status _nss_iana_getservent_r(struct servent *result, char *buffer, size_t buflen,
                                       int *errnop)
{
    return mapping_enumerate(&services_enum, &cursor, result, buffer, buflen, errnop);
}

/* One file for nscd to watch, in memory nscd keeps for ever.  */
static void trace(nscd_register_fn *cb, const char *path)
{
    const char *slash = strrchr(path, '/');
    size_t len = strlen(path);
    if (!slash || len >= PATH_MAX)
        return;
    struct nscd_traced_file *traced = mmap(NULL, sizeof *traced + len + 1, PROT_READ | PROT_WRITE,
                                           MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (traced == MAP_FAILED)
        return;
    traced->mtime = 0;
    traced->inotify_descr[0] = traced->inotify_descr[1] = -1;
    memcpy(traced->fname, path, len + 1);
    memcpy(traced->dname, path, (size_t)(slash - path));
    traced->dname[slash - path] = '\0';
    traced->sfname = traced->fname + (slash - path) + 1;
    traced->call_res_init = 0;
    cb(NSCD_SERVDB, traced);
}

void _nss_iana_init(nscd_register_fn *cb)
{
    /* Registered once per nscd process and referred to by nscd for ever.
     * Mapped, not static: 8 KiB of .bss would cost every process that
     * loads the module one more mapping.  The database, and the services
     * file it merged: an edit to that must flush nscd's answers as well,
     * and nss_files, which would register it, may never be loaded.  */
    static atomic_bool registered;
    if (!cb || atomic_exchange(&registered, true))
        return;
    mapping_in_nscd();
    trace(cb, mapping_db_path(NULL));
    trace(cb, IANA_SERVICES_FILE);
}
