/* libnss_iana.so.2: glibc NSS `services` backend over the nss-iana database.
 *
 * This file only adapts db/ to the NSS contract: it owns the current
 * mapping (replaced when the file is, checked at most twice a second), the
 * getservent cursor, and copying an answer into the caller's buffer.  A
 * database that merged /etc/services answers only while /etc/services is
 * the file it merged: after an edit the module says UNAVAIL, and with
 * `services: iana [!UNAVAIL=return] files` glibc asks nss_files instead,
 * until the database is rebuilt.  */
#define _GNU_SOURCE
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <nss.h>
#include <pthread.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>

#include "db/reader.h"

#ifndef NSS_IANA_DEFAULT_DB
#define NSS_IANA_DEFAULT_DB "/var/lib/nss_iana/services.db"
#endif

#define EXPORT __attribute__((visibility("default")))

EXPORT nss_getservbyname_r _nss_iana_getservbyname_r;
EXPORT nss_getservbyport_r _nss_iana_getservbyport_r;
EXPORT nss_setservent _nss_iana_setservent;
EXPORT nss_getservent_r _nss_iana_getservent_r;
EXPORT nss_endservent _nss_iana_endservent;

/* nscd calls _nss_<module>_init once with a callback that registers files
 * whose change must flush a database's cache, as nss_files does for
 * /etc/services.  struct traced_file is glibc's private nscd ABI (nscd/
 * nscd.h, unchanged from 2.21 through 2.36 and later); it is mirrored here
 * so nscd drops its services cache when our database is replaced.  */
struct nscd_traced_file {
    int64_t mtime;
    struct nscd_traced_file *next;
    int call_res_init;
    int inotify_descr[2];
    char dname[4096];         /* PATH_MAX */
    char *sfname;
    char fname[];
};
#define NSCD_SERVDB 3          /* enum dbtype: pwddb, grpdb, hstdb, servdb */
typedef void nscd_register_fn(size_t, struct nscd_traced_file *);
EXPORT void _nss_iana_init(nscd_register_fn *cb);

/* A mapped database and the identity of the file it came from.  Replaced
 * mappings are never unmapped: another thread may still be copying out of
 * one, and nothing tells us when it has finished.  They stay chained to
 * the current one instead, one per replacement of the file (weekly, say):
 * address space, not memory, as their pages are the page cache's.  This
 * bookkeeping lives exactly as long as the file mapping it describes, so it
 * is static for the first file and mapped for the next ones, never
 * malloc'd: there is no destructor, because at exit() other threads may
 * still be looking up.  */
struct mapping {
    struct iana_db db;        /* with the identity of the file it maps */
    struct iana_db registry;  /* the same without the services file's lines */
    struct mapping *retired;  /* the mapping this one replaced */
    struct iana_file_id known; /* another identity of the services file
                               * found to hold the merged bytes (a copy, a
                               * container's overlay), or zero: reload_lock */
};

/* The newest mapping, and what lookups answer from: its database; its
 * registry alone while the services file it merged is deleted (nss_files
 * then has nothing to say); NULL while that file is another one.  */
static _Atomic(struct mapping *) current;
static _Atomic(const struct iana_db *) serving;
/* When the file is to be looked at again (CLOCK_MONOTONIC_COARSE, ns: a
 * vDSO read, no system call).  Every half second serves a replaced file
 * within a second with room to spare, at two stats a second at most.  */
static _Atomic int64_t next_check;
#define RECHECK_NS 500000000
/* Inside nscd, which calls us only on a cache miss and flushes its cache
 * the moment the file is replaced, the file is looked at on every call:
 * otherwise nscd would cache our last answer from the old file for hours. */
static atomic_bool in_nscd;

static pthread_mutex_t reload_lock = PTHREAD_MUTEX_INITIALIZER;

static pthread_mutex_t cursor_lock = PTHREAD_MUTEX_INITIALIZER;

/* A child forked while another thread held a lock would inherit it held
 * for ever: no reload (reload_lock is only tried), or a getservent that
 * never returns (cursor_lock).  The child has one thread, so both are free
 * again there.  The module is never unloaded (-z nodelete), so the handler
 * stays valid.  */
static void reset_locks_in_child(void)
{
    pthread_mutex_init(&reload_lock, NULL);
    pthread_mutex_init(&cursor_lock, NULL);
}

__attribute__((constructor)) static void register_fork_handler(void)
{
    pthread_atfork(NULL, NULL, reset_locks_in_child);
}
static const struct iana_db *cursor_db;   /* what the enumeration reads */
static struct iana_cursor cursor;

/* The database's path, and whether it is the default one (whose directory
 * is checked too: a path from the environment is the caller's own choice).  */
static const char *db_path(bool *is_default)
{
    /* secure_getenv: a setuid program must not be pointed at another file.  */
    const char *env = secure_getenv("NSS_IANA_DB");
    if (is_default)
        *is_default = !(env && *env);
    return env && *env ? env : NSS_IANA_DEFAULT_DB;
}

static bool same_file(const struct iana_db *db, const struct stat *sb)
{
    return db->dev == sb->st_dev && db->ino == sb->st_ino && (off_t)db->size == sb->st_size &&
           db->mtime.tv_sec == sb->st_mtim.tv_sec && db->mtime.tv_nsec == sb->st_mtim.tv_nsec;
}

/* Map the file at `path` if it is not what `old` already maps.  Called
 * under reload_lock.  */
static struct mapping *load(const char *path, bool check_dir, struct mapping *old)
{
    /* The first file a process maps needs no stat (iana_db_open has the
     * fstat) and no allocation: a first lookup costs the fewest system
     * calls and page faults that mapping a file can.  */
    static struct mapping first;
    static bool first_taken;
    struct stat sb;
    if (old && (stat(path, &sb) < 0 || same_file(&old->db, &sb)))
        return old;
    struct mapping *m = &first;
    if (first_taken) {
        m = mmap(NULL, sizeof *m, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (m == MAP_FAILED)
            return old;
    }
    const char *why;
    if (iana_db_open_trusted(path, check_dir, &m->db, &why) < 0) {
        if (m != &first)
            munmap(m, sizeof *m);
        return old; /* keep serving what we had: a bad new file is not news */
    }
    first_taken = true;
    iana_db_registry_only(&m->db, &m->registry);
    m->retired = old;
    return m;
}

/* The database to answer from, or NULL: UNAVAIL.  The files are looked at
 * again at most twice a second, by one thread while the others go on.  */
static const struct iana_db *get_db(void)
{
    const struct iana_db *db = atomic_load_explicit(&serving, memory_order_acquire);
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    int64_t now = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
    if (now < atomic_load_explicit(&next_check, memory_order_relaxed) &&
        !atomic_load_explicit(&in_nscd, memory_order_relaxed))
        return db; /* NULL too: a missing file is looked for twice a second */
    if (pthread_mutex_trylock(&reload_lock) != 0)
        return db;
    int saved = errno;
    struct mapping *m = atomic_load_explicit(&current, memory_order_acquire);
    bool is_default;
    const char *path = db_path(&is_default);
    struct mapping *fresh = load(path, is_default, m);
    if (fresh != m)
        atomic_store_explicit(&current, fresh, memory_order_release);
    db = NULL;
    if (fresh) {
        switch (iana_db_services_state(&fresh->db, IANA_SERVICES_FILE, &fresh->known)) {
        case IANA_SERVICES_CURRENT:
            db = &fresh->db;
            break;
        case IANA_SERVICES_GONE:
            db = &fresh->registry;
            break;
        case IANA_SERVICES_CHANGED: /* nss_files answers instead */
            break;
        }
    }
    atomic_store_explicit(&serving, db, memory_order_release);
    atomic_store_explicit(&next_check, now + RECHECK_NS, memory_order_relaxed);
    errno = saved;
    pthread_mutex_unlock(&reload_lock);
    return db;
}

static enum nss_status unavailable(int *errnop)
{
    *errnop = ENOENT;
    return NSS_STATUS_UNAVAIL;
}

/* Copy answer `index`, on `port` (host order; -1: its first port), into
 * the caller's buffer: the alias pointer array first, aligned by address,
 * then the strings.  All sizes are computed before anything is written.  */
static enum nss_status fill(const struct iana_db *db, uint32_t index, int32_t port,
                            struct servent *result, char *buffer, size_t buflen, int *errnop)
{
    struct iana_view v;
    if (iana_db_answer_bounded(db, index, &v) < 0)
        return unavailable(errnop);
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
    size_t src_left = v.line ? 0 : db->strings_size - (size_t)(v.names - db->strings);
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

enum nss_status _nss_iana_getservbyname_r(const char *name, const char *protocol,
                                          struct servent *result, char *buffer,
                                          size_t buflen, int *errnop)
{
    const struct iana_db *db = get_db();
    if (!db)
        return unavailable(errnop);
    int64_t hit = name ? iana_db_service_by_name(db, name, protocol) : -1;
    if (hit < 0)
        return NSS_STATUS_NOTFOUND;
    return fill(db, (uint32_t)hit, -1, result, buffer, buflen, errnop);
}

enum nss_status _nss_iana_getservbyport_r(int port, const char *protocol,
                                          struct servent *result, char *buffer,
                                          size_t buflen, int *errnop)
{
    const struct iana_db *db = get_db();
    if (!db)
        return unavailable(errnop);
    /* nss_files compares the whole int with its lines' 16-bit ports.  */
    uint16_t host_port = ntohs((uint16_t)port);
    bool wide = (unsigned)port > 0xffff;
    int64_t hit = iana_db_service_by_port(db, host_port, wide, protocol);
    if (hit < 0)
        return NSS_STATUS_NOTFOUND;
    return fill(db, (uint32_t)hit, host_port, result, buffer, buflen, errnop);
}

enum nss_status _nss_iana_setservent(int stayopen)
{
    (void)stayopen; /* the mapping is always open */
    const struct iana_db *db = get_db();
    pthread_mutex_lock(&cursor_lock);
    cursor_db = db;
    cursor = (struct iana_cursor){0};
    pthread_mutex_unlock(&cursor_lock);
    return db ? NSS_STATUS_SUCCESS : NSS_STATUS_UNAVAIL;
}

enum nss_status _nss_iana_endservent(void)
{
    pthread_mutex_lock(&cursor_lock);
    cursor_db = NULL;
    cursor = (struct iana_cursor){0};
    pthread_mutex_unlock(&cursor_lock);
    return NSS_STATUS_SUCCESS;
}

enum nss_status _nss_iana_getservent_r(struct servent *result, char *buffer, size_t buflen,
                                       int *errnop)
{
    enum nss_status status;
    uint32_t entry;
    uint16_t port;

    pthread_mutex_lock(&cursor_lock);
    if (!cursor_db) {
        cursor_db = get_db();
        cursor = (struct iana_cursor){0};
    }
    if (!cursor_db) {
        status = unavailable(errnop);
    } else if (!iana_db_cursor_get(cursor_db, &cursor, &entry, &port)) {
        status = NSS_STATUS_NOTFOUND;
    } else {
        status = fill(cursor_db, entry, port, result, buffer, buflen, errnop);
        /* ERANGE leaves the cursor where it is: the retry gets this line.  */
        if (status == NSS_STATUS_SUCCESS)
            iana_db_cursor_next(cursor_db, &cursor);
    }
    pthread_mutex_unlock(&cursor_lock);
    return status;
}

/* One file for nscd to watch, in memory nscd keeps for ever.  */
static void trace(nscd_register_fn *cb, const char *path)
{
    const char *slash = strrchr(path, '/');
    size_t len = strlen(path);
    if (!slash || len >= 4096)
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
    atomic_store(&in_nscd, true);
    trace(cb, db_path(NULL));
    trace(cb, IANA_SERVICES_FILE);
}
