/* The module's database in memory: see nss_iana_mapping.h.
 *
 * Where the bytes live.  One region of address space per process, reserved
 * once (twice the file's size, readable zero pages until used) and used
 * again for every replacement of the file, so that a process holds a fixed
 * number of mappings however often the file is replaced; a file too large
 * for it gets a new region twice its size, and the old one stays, unused,
 * for any reader still in it (a bound of log2 of the growth).  Into the
 * region goes either
 *   - the file itself, mapped shared, when it is immutable (the tools set
 *     FS_IMMUTABLE_FL on the default database): nobody can truncate or
 *     rewrite it in place, so its pages cannot vanish under a reader, and
 *     every process shares them;
 *   - or else a private copy of the part lookups read: a `cp` over the file,
 *     a truncation or a rewrite can then change nothing a process reads.  It
 *     costs the process that much memory (about 450 KiB for IANA's registry)
 *     where the shared mapping costs only the pages it touches.
 *
 * Replacing it while other threads read.  `pub` (the view readers copy) and
 * the region's contents change only between the two steps of `pub.gen`,
 * which is odd meanwhile.  A reader copies the view when the count is even
 * and the same before and after, answers from the copy, and checks the
 * count again: if it moved, the bytes it read may be a mix of two files,
 * and it answers again.  Whatever it read, it read inside the region (the
 * region never shrinks, and every view's bounds lie inside it), so a mix is
 * never a crash, and a reader stopped for seconds in the middle of a copy
 * is no harm.  A new file is checked in full before it goes into a region
 * that readers may be in.  */
#define _GNU_SOURCE
#include "nss_iana_mapping.h"

#include <errno.h>
#include <linux/fs.h>
#include <nss.h>
#include <pthread.h>
#include <sched.h>
#include <stddef.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifndef NSS_IANA_DEFAULT_DB
#define NSS_IANA_DEFAULT_DB "/var/lib/nss_iana/services.db"
#endif

/* What readers copy.  Written only by the thread holding the reload lock,
 * between the two steps of gen.  The view lookups answer from is held as
 * words, each read and written whole (relaxed atomics: plain loads and
 * stores on every architecture), so that a copy that overlapped a write
 * is a mix of whole words, thrown away, never a torn one.  */
#define VIEW_WORDS MAPPING_VIEW_WORDS
_Static_assert(IANA_DB_LOOKUP_BYTES % sizeof(uintptr_t) == 0, "the view is whole words");
/* A services lookup copies the services fields, a protocols one the
 * protocols fields, which follow them.  */
#define SERVICES_WORDS (offsetof(struct iana_db, proto_strings) / sizeof(uintptr_t))
_Static_assert(offsetof(struct iana_db, proto_strings) % sizeof(uintptr_t) == 0,
               "the protocols fields start on a word");
static struct {
    _Atomic uint64_t gen;                  /* odd while being written */
    _Atomic uintptr_t view[VIEW_WORDS];    /* the lookups' part of the view */
    atomic_bool available;                 /* for services lookups */
    atomic_bool proto_available;           /* for protocols lookups */
} pub;
/* What was published last, whole: the reloader's own, under the reload
 * lock.  */
static struct {
    struct iana_db db;
    bool available, proto_available;
} published;

/* The reloader's own state, under the reload lock.  */
static struct {
    char *base;            /* the region: cap bytes, readable everywhere */
    size_t cap;
    size_t used;           /* page-rounded bytes at its start that hold a file */
    struct iana_db view;   /* of the region, with the identity of its file */
    bool loaded;
    struct iana_file_seen known; /* another identity of the services file
                            * found to hold the bytes view merged, or zero */
    struct iana_file_seen proto_known; /* the same for the protocols file */
} w;

/* When the files are to be looked at again (CLOCK_MONOTONIC_COARSE, ns: a
 * vDSO read, no system call).  Every half second serves a replaced file
 * within a second with room to spare, at a few stats a second at most.  */
static _Atomic int64_t next_check;
#define RECHECK_NS 500000000
static atomic_bool in_nscd;
/* Whether a look at the files has ended in this process: before it, there
 * is no database to answer from yet.  */
static atomic_bool looked;
/* The reload's is made robust on first use; the cursors' are plain (see
 * mapping_enumerate).  */
static pthread_mutex_t locks[MAPPING_NLOCKS] = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER,
                                                PTHREAD_MUTEX_INITIALIZER};
static pthread_once_t locks_made = PTHREAD_ONCE_INIT;

const char *mapping_db_path(bool *is_default)
{
    /* secure_getenv: a setuid program must not be pointed at another file.  */
    const char *env = secure_getenv("NSS_IANA_DB");
    if (is_default)
        *is_default = !(env && *env);
    return env && *env ? env : NSS_IANA_DEFAULT_DB;
}

void mapping_in_nscd(void)
{
    atomic_store(&in_nscd, true);
}

static size_t page_round(size_t n)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    return (n + page - 1) & ~(page - 1);
}

/* The file in the region is still the one at the path, unchanged.  The
 * ctime is part of it: a same-size rewrite can put the mtime back, never
 * the ctime, and a chattr -i moves it too, which must end the trust a
 * shared mapping puts in the file's immutability (prepare() looks at the
 * attribute again, and copies a file that lost it).  */
static bool same_file(const struct iana_db *db, const struct stat *sb)
{
    return db->dev == sb->st_dev && db->ino == sb->st_ino && (off_t)db->size == sb->st_size &&
           db->mtime.tv_sec == sb->st_mtim.tv_sec && db->mtime.tv_nsec == sb->st_mtim.tv_nsec &&
           db->ctime.tv_sec == sb->st_ctim.tv_sec && db->ctime.tv_nsec == sb->st_ctim.tv_nsec;
}

static bool is_immutable(int fd)
{
    int flags = 0;
    return ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0 && (flags & FS_IMMUTABLE_FL);
}

static bool read_all(int fd, char *dst, size_t n)
{
    for (size_t done = 0; done < n;) {
        ssize_t r = pread(fd, dst + done, n - done, (off_t)done);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return false;
        done += (size_t)r;
    }
    return true;
}

/* Zero pages over [from, to) of the region: readable, and nothing of any
 * file.  */
static void zero_range(size_t from, size_t to)
{
    if (to > from)
        mmap(w.base + from, to - from, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
}

static void begin_write(void)
{
    atomic_fetch_add_explicit(&pub.gen, 1, memory_order_relaxed);
    atomic_thread_fence(memory_order_release);
}

static void end_write(void)
{
    atomic_fetch_add_explicit(&pub.gen, 1, memory_order_release);
}

/* A file about to go into the region.  */
struct incoming {
    int fd;
    struct stat sb;
    size_t size, lookup_bytes; /* the file's, and what a copy holds */
    bool shared;
    char *checked;             /* the bytes checked, elsewhere, or NULL */
    struct iana_db view;       /* of `checked` */
};

/* Opens and checks the file at `path`.  When readers may be in the region,
 * its bytes are checked elsewhere first (incoming.checked); a new region
 * has no readers, and the bytes are checked where they land.  */
static bool prepare(const char *path, bool check_dir, struct incoming *in)
{
    const char *why;
    memset(in, 0, sizeof *in);
    in->fd = iana_db_open_fd_trusted(path, check_dir, &in->sb, &why);
    if (in->fd < 0)
        return false;
    in->size = (size_t)in->sb.st_size;
    in->shared = is_immutable(in->fd);
    char header[IANA_HEADER_SIZE];
    if (!read_all(in->fd, header, sizeof header) ||
        !(in->lookup_bytes = iana_db_lookup_bytes(header, in->size)))
        goto fail;
    if (!w.base || in->size > w.cap) {
        size_t cap = page_round(in->size) * 2;
        void *base = mmap(NULL, cap, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (base == MAP_FAILED)
            goto fail;
        /* An old region stays as it is: a reader may still be in it.  */
        w.base = base;
        w.cap = cap;
        w.used = 0;
        w.loaded = false;
        return true;
    }
    void *p = in->shared ? mmap(NULL, in->size, PROT_READ, MAP_SHARED, in->fd, 0)
                         : mmap(NULL, in->size, PROT_READ | PROT_WRITE,
                                MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        goto fail;
    in->checked = p;
    if ((!in->shared && !read_all(in->fd, in->checked, in->lookup_bytes)) ||
        iana_db_view(in->checked, in->size, &in->view, &why) < 0)
        goto fail;
    return true;
fail:
    if (in->checked)
        munmap(in->checked, in->size);
    close(in->fd);
    return false;
}

static void release(struct incoming *in)
{
    if (in->checked)
        munmap(in->checked, in->size);
    close(in->fd);
}

/* The file into the start of the region, and w.view over it.  Between the
 * generation's two steps when readers may be in the region.  */
static bool place(struct incoming *in)
{
    const char *why;
    size_t n = page_round(in->size);
    void *p;
    if (in->shared) {
        p = mmap(w.base, in->size, PROT_READ, MAP_SHARED | MAP_FIXED, in->fd, 0);
    } else {
        p = mmap(w.base, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
        if (p != MAP_FAILED) {
            if (in->checked)
                memcpy(w.base, in->checked, in->lookup_bytes);
            else if (!read_all(in->fd, w.base, in->lookup_bytes))
                p = MAP_FAILED;
            mprotect(w.base, n, PROT_READ);
        }
    }
    if (p == MAP_FAILED || iana_db_view(w.base, in->size, &w.view, &why) < 0) {
        /* What is there is no database: readable zeros, and none served.  */
        zero_range(0, n > w.used ? n : w.used);
        w.used = 0;
        return w.loaded = false;
    }
    zero_range(n, w.used); /* what a larger file left beyond this one */
    w.used = n;
    w.view.dev = in->sb.st_dev;
    w.view.ino = in->sb.st_ino;
    w.view.mtime = in->sb.st_mtim;
    w.view.ctime = in->sb.st_ctim;
    memset(&w.known, 0, sizeof w.known);
    memset(&w.proto_known, 0, sizeof w.proto_known);
    return w.loaded = true;
}

/* What lookups should see, given the database in w and the state of the
 * services and protocols files it merged, each on its own.  Returns true
 * if that differs from pub.  */
static bool wanted(struct iana_db *db, bool *available, bool *proto_available)
{
    *available = *proto_available = false;
    memset(db, 0, sizeof *db);
    if (w.loaded) {
        *db = w.view;
        switch (iana_db_services_state(&w.view, IANA_SERVICES_FILE, &w.known)) {
        case IANA_SERVICES_CURRENT:
            *available = true;
            break;
        case IANA_SERVICES_GONE: /* nss_files has nothing to say: the registry alone */
            iana_db_registry_only(db, db);
            *available = true;
            break;
        case IANA_SERVICES_CHANGED: /* nss_files answers instead */
            break;
        }
        switch (iana_db_protocols_state(&w.view, IANA_PROTOCOLS_FILE, &w.proto_known)) {
        case IANA_SERVICES_CURRENT:
            *proto_available = true;
            break;
        case IANA_SERVICES_GONE:
            iana_db_protocols_registry_only(db, db);
            *proto_available = true;
            break;
        case IANA_SERVICES_CHANGED:
            break;
        }
    }
    return *available != published.available || *proto_available != published.proto_available ||
           memcmp(db, &published.db, sizeof *db) != 0;
}

/* The view and what is available, for readers.  Between the generation's
 * two steps.  */
static void publish(const struct iana_db *db, bool available, bool proto_available)
{
    uintptr_t words[VIEW_WORDS];
    memcpy(words, db, sizeof words);
    for (size_t i = 0; i < VIEW_WORDS; i++)
        atomic_store_explicit(&pub.view[i], words[i], memory_order_relaxed);
    atomic_store_explicit(&pub.available, available, memory_order_relaxed);
    atomic_store_explicit(&pub.proto_available, proto_available, memory_order_relaxed);
    published.db = *db;
    published.available = available;
    published.proto_available = proto_available;
}

/* Looks at the database and the services file again.  Under the reload lock.  */
static void reload(void)
{
    bool is_default;
    const char *path = mapping_db_path(&is_default);
    struct stat sb;
    struct incoming in;
    /* A database that was deleted keeps being served from the region; one
     * that was replaced is read if it passes every check, else the one we
     * have stays (a bad new file is not news).  */
    bool replace = !(w.loaded && (stat(path, &sb) < 0 || same_file(&w.view, &sb))) &&
                   prepare(path, is_default, &in);
    if (replace && !in.checked) { /* a new region: nobody reads it yet */
        place(&in);
        release(&in);
        replace = false;
    }
    if (replace) {
        begin_write();
        place(&in);
        release(&in);
        struct iana_db db;
        bool available, proto_available;
        wanted(&db, &available, &proto_available);
        publish(&db, available, proto_available);
        end_write();
        return;
    }
    struct iana_db db;
    bool available, proto_available;
    if (wanted(&db, &available, &proto_available)) {
        begin_write();
        publish(&db, available, proto_available);
        end_write();
    }
}

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void make_reload_lock(void)
{
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
    pthread_mutex_init(&locks[MAPPING_RELOAD], &attr);
    pthread_mutexattr_destroy(&attr);
}

/* Takes the reload's lock (waiting, or only if free): false if another
 * thread holds it.  *owner_died: its last holder died holding it.  */
static bool take_reload(bool wait, bool *owner_died)
{
    pthread_once(&locks_made, make_reload_lock);
    pthread_mutex_t *lock = &locks[MAPPING_RELOAD];
    int rc = wait ? pthread_mutex_lock(lock) : pthread_mutex_trylock(lock);
    *owner_died = rc == EOWNERDEAD;
    if (rc == EOWNERDEAD) {
        pthread_mutex_consistent(lock);
        rc = 0;
    }
    return rc == 0;
}

/* A replacement another thread was in the middle of, and will not end (a
 * fork took only this thread; or that thread died in it): what the region
 * holds is not known, so nothing is served until the next look at the
 * files, which this sets due.  Under the reload lock.  */
static void abandon_replacement(void)
{
    uint64_t g = atomic_load_explicit(&pub.gen, memory_order_relaxed);
    if (g & 1) {
        w.loaded = false;
        publish(&published.db, false, false);
        atomic_store_explicit(&pub.gen, g + 1, memory_order_release);
        atomic_store_explicit(&next_check, 0, memory_order_relaxed);
        atomic_store_explicit(&looked, false, memory_order_relaxed);
    }
}

/* The reload's lock, with cancellation disabled while it is held: the
 * state to give back, or -1 (and none taken) when !wait and another thread
 * holds it.  */
static int lock_reload(bool wait)
{
    int cancel_state;
    bool owner_died;
    pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &cancel_state);
    if (!take_reload(wait, &owner_died)) {
        pthread_setcancelstate(cancel_state, NULL);
        return -1;
    }
    if (owner_died)
        abandon_replacement();
    return cancel_state;
}

static void unlock_reload(int cancel_state)
{
    pthread_mutex_unlock(&locks[MAPPING_RELOAD]);
    pthread_setcancelstate(cancel_state, NULL);
}

/* A look at the files, due: out of line, so that a lookup that has
 * nothing to look at pays for none of it (its frame, its registers).  */
__attribute__((noinline, cold)) static void look_at_files(int64_t now)
{
    /* One thread looks; the others go on with what there is, once there is
     * something: before the first look has ended there is nothing, and a
     * thread that went on would answer UNAVAIL for a database that is
     * there (the first lookups of a many-threaded server, all at once).
     * Those wait for the first look, and do not look again.  */
    int cancel_state = lock_reload(false);
    if (cancel_state < 0) {
        if (atomic_load_explicit(&looked, memory_order_acquire))
            return;
        cancel_state = lock_reload(true);
        if (atomic_load_explicit(&looked, memory_order_acquire)) {
            unlock_reload(cancel_state);
            return;
        }
    }
    int saved = errno;
    reload();
    atomic_store_explicit(&next_check, now + RECHECK_NS, memory_order_relaxed);
    atomic_store_explicit(&looked, true, memory_order_release);
    errno = saved;
    unlock_reload(cancel_state);
}

static inline void check_files(void)
{
    int64_t now = now_ns();
    if (now < atomic_load_explicit(&next_check, memory_order_relaxed) &&
        !atomic_load_explicit(&in_nscd, memory_order_relaxed))
        return;
    look_at_files(now);
}

bool mapping_get(struct snapshot *s, enum mapping_part part)
{
    check_files();
    for (unsigned tries = 0;; tries++) {
        uint64_t g = atomic_load_explicit(&pub.gen, memory_order_acquire);
        if (g & 1) {
            /* A replacement takes microseconds, but its thread may be
             * descheduled in the middle of one: after a few yields, wait
             * for it on its lock, asleep (it holds the lock throughout,
             * and waits for nobody).  */
            if (tries < 64) {
                sched_yield();
            } else {
                unlock_reload(lock_reload(true));
            }
            continue;
        }
        bool available = atomic_load_explicit(
            part == MAPPING_PROTOCOLS ? &pub.proto_available : &pub.available,
            memory_order_relaxed);
        /* The lookups' part of the view only, and of it the part's
         * fields: the rest of s->db is not read by a lookup, and not
         * copied.  */
        if (part == MAPPING_SERVICES) {
#pragma GCC unroll 32
            for (size_t i = 0; i < SERVICES_WORDS; i++)
                s->words[i] = atomic_load_explicit(&pub.view[i], memory_order_relaxed);
        } else {
#pragma GCC unroll 32
            for (size_t i = SERVICES_WORDS; i < VIEW_WORDS; i++)
                s->words[i] = atomic_load_explicit(&pub.view[i], memory_order_relaxed);
        }
        atomic_thread_fence(memory_order_acquire);
        if (atomic_load_explicit(&pub.gen, memory_order_relaxed) == g) {
            s->gen = g;
            return available;
        }
    }
}

void mapping_end(const struct mapping_enum_ops *ops, struct mapping_cursor *c)
{
    pthread_mutex_lock(&locks[ops->lock]);
    memset(c, 0, sizeof *c);
    pthread_mutex_unlock(&locks[ops->lock]);
}

int mapping_rewind(const struct mapping_enum_ops *ops, struct mapping_cursor *c)
{
    struct snapshot s;
    bool available = mapping_get(&s, ops->part);
    mapping_end(ops, c);
    return available ? NSS_STATUS_SUCCESS : NSS_STATUS_UNAVAIL;
}

int mapping_enumerate(const struct mapping_enum_ops *ops, struct mapping_cursor *c, void *result,
                      char *buffer, size_t buflen, int *errnop)
{
    struct snapshot s;
    int status;
    /* Nothing here is a cancellation point but in a reload, which disables
     * it.  The lock is a plain one, not robust (9 ns a line more, a fifth
     * of the enumeration): a thread cancelled asynchronously in here would
     * leave the enumeration locked, but glibc's getXXent_r holds a lock of
     * its own around this call, which would be left held all the same.  */
    pthread_mutex_lock(&locks[ops->lock]);
    do {
        if (!mapping_get(&s, ops->part)) {
            *errnop = ENOENT;
            status = NSS_STATUS_UNAVAIL;
            break;
        }
        if (s.gen != c->gen) {
            ops->resync(&s.db, &c->at);
            c->gen = s.gen;
        }
        status = ops->give(&s.db, &c->at, result, buffer, buflen, errnop);
    } while (!mapping_still(&s));
    if (status == NSS_STATUS_SUCCESS)
        ops->step(&c->at);
    pthread_mutex_unlock(&locks[ops->lock]);
    return status;
}

bool mapping_still(const struct snapshot *s)
{
    atomic_thread_fence(memory_order_acquire);
    return atomic_load_explicit(&pub.gen, memory_order_relaxed) == s->gen;
}

/* A child forked while another thread held a lock would inherit it held
 * for ever: no reload, or an enumeration that never returns.  The child
 * has one thread, so all are free again there, and a replacement that
 * thread was in the middle of is given up.  The module is never unloaded
 * (-z nodelete), so the handler stays valid.  */
static void after_fork_child(void)
{
    for (size_t i = 0; i < MAPPING_NLOCKS; i++)
        pthread_mutex_init(&locks[i], NULL);
    make_reload_lock();
    abandon_replacement();
}

__attribute__((constructor)) static void register_fork_handler(void)
{
    pthread_atfork(NULL, NULL, after_fork_child);
}
