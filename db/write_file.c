/* The database written to its file: the atomic replace (a temporary file,
 * fsync, rename, the directory fsync'ed) with its side files, the old one
 * kept when asked, the temporaries removed on a signal, and the immutable
 * flag around it.  */
#define _GNU_SOURCE
#include "writer.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/fs.h>
#include <stdbool.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "writer_parts.h"


bool db_set_immutable(const char *path, bool on)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW | O_NOCTTY);
    if (fd < 0)
        return false;
    int flags = 0;
    bool ok = ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0;
    if (ok && !(flags & FS_IMMUTABLE_FL) != !on) {
        flags = on ? flags | FS_IMMUTABLE_FL : flags & ~FS_IMMUTABLE_FL;
        ok = ioctl(fd, FS_IOC_SETFLAGS, &flags) == 0;
    }
    close(fd);
    return ok;
}

int db_immutable_state(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW | O_NOCTTY);
    int flags = 0, rc = -1;
    if (fd >= 0 && ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0)
        rc = (flags & FS_IMMUTABLE_FL) != 0;
    if (fd >= 0) {
        int e = errno;
        close(fd);
        errno = e;
    }
    return rc;
}

static bool is_immutable(const char *path)
{
    return db_immutable_state(path) == 1;
}

/* The temporary files being written, for the signal handler: fixed
 * buffers (nothing to free or allocate in a handler), each valid while
 * its `pending` flag is set, which is set only after the name is
 * complete.  */
static char pending_tmp[DB_MAX_SIDE_FILES + 1][PATH_MAX];
static volatile sig_atomic_t pending[DB_MAX_SIDE_FILES + 1];

static void set_pending(int slot, const char *tmp)
{
    size_t n = strlen(tmp);
    pending[slot] = 0;
    if (n < sizeof pending_tmp[slot]) {
        memcpy(pending_tmp[slot], tmp, n + 1);
        pending[slot] = 1;
    }
}

/* unlink, signal and raise are async-signal-safe.  The signal is blocked
 * while this runs, so the raise takes effect on return, with the default
 * action: the parent sees the process killed by that signal, as before.  */
static void remove_pending_and_die(int sig)
{
    for (int i = 0; i <= DB_MAX_SIDE_FILES; i++)
        if (pending[i])
            unlink(pending_tmp[i]);
    signal(sig, SIG_DFL);
    raise(sig);
}

static const int cleanup_sigs[] = {SIGTERM, SIGINT, SIGHUP};

void db_write_cleanup_on_signals(void)
{
    for (size_t i = 0; i < sizeof cleanup_sigs / sizeof cleanup_sigs[0]; i++) {
        struct sigaction old, sa = {.sa_handler = remove_pending_and_die};
        sigemptyset(&sa.sa_mask);
        if (sigaction(cleanup_sigs[i], NULL, &old) == 0 && old.sa_handler != SIG_IGN)
            sigaction(cleanup_sigs[i], &sa, NULL);
    }
}

int db_write_file(const char *path, const uint8_t *data, size_t len, char *err, size_t errlen)
{
    return db_write_files(path, data, len, 0, NULL, 0, NULL, err, errlen);
}

int db_write_file_flags(const char *path, const uint8_t *data, size_t len, unsigned flags,
                        char *err, size_t errlen)
{
    return db_write_files(path, data, len, flags, NULL, 0, NULL, err, errlen);
}

/* `path`'s bytes in a new temporary file beside it (".BASE.XXXXXX"),
 * written, fsync'd, mode 0644, closed: *tmp malloc'd, and in pending
 * slot `slot`.  Returns 0, or -1 with *tmp NULL and nothing left.  */
static int write_temp(const char *path, const uint8_t *data, size_t len, int slot, char **tmp,
                      char *err, size_t errlen)
{
    char *copy = strdup(path);
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    int fd = -1;
    *tmp = NULL;
    if (!copy || asprintf(tmp, "%s/.%s.XXXXXX", dirname(copy), base) < 0) {
        *tmp = NULL;
        free(copy);
        db_seterr(err, errlen, "%s: %s", path, strerror(ENOMEM));
        return -1;
    }
    free(copy);
    if ((fd = mkostemp(*tmp, O_CLOEXEC)) < 0) {
        db_seterr(err, errlen, "%s: cannot create a temporary file: %s", path, strerror(errno));
        goto fail_name;
    }
    set_pending(slot, *tmp);
    for (size_t done = 0; done < len;) {
        ssize_t n = write(fd, data + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            db_seterr(err, errlen, "%s: write: %s", *tmp, n < 0 ? strerror(errno) : "short write");
            goto fail;
        }
        done += (size_t)n;
    }
    if (fsync(fd) < 0 || fchmod(fd, 0644) < 0) {
        db_seterr(err, errlen, "%s: %s", *tmp, strerror(errno));
        goto fail;
    }
    int rc = close(fd);
    fd = -1;
    if (rc < 0) {
        db_seterr(err, errlen, "%s: close: %s", *tmp, strerror(errno));
        goto fail;
    }
    return 0;
fail:
    if (fd >= 0)
        close(fd);
    unlink(*tmp);
    pending[slot] = 0;
fail_name:
    free(*tmp);
    *tmp = NULL;
    return -1;
}

/* A second name for the file `path` holds now, to put it back with if the
 * swap fails: *bak malloc'd (a temporary file's name, which the writers'
 * lock sweeps if the process is killed), or NULL if there is no file.  */
static int keep_old(const char *path, char **bak, char *err, size_t errlen)
{
    char *copy = strdup(path);
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    *bak = NULL;
    if (!copy || asprintf(bak, "%s/.%s.XXXXXX", dirname(copy), base) < 0) {
        *bak = NULL;
        free(copy);
        db_seterr(err, errlen, "%s: %s", path, strerror(ENOMEM));
        return -1;
    }
    free(copy);
    for (int tries = 0; tries < 100; tries++) {
        int fd = mkostemp(*bak, O_CLOEXEC);
        if (fd < 0)
            break;
        close(fd);
        unlink(*bak);
        if (link(path, *bak) == 0)
            return 0;
        if (errno == ENOENT) {
            free(*bak);
            *bak = NULL;
            return 0;
        }
        if (errno != EEXIST)
            break;
        memcpy(*bak + strlen(*bak) - 6, "XXXXXX", 6);
    }
    db_seterr(err, errlen, "%s: cannot keep its previous version: %s", path, strerror(errno));
    free(*bak);
    *bak = NULL;
    return -1;
}

static void fsync_dir_of(const char *path)
{
    char *copy = strdup(path);
    int dirfd = copy ? open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
    if (dirfd >= 0) {
        fsync(dirfd);
        close(dirfd);
    }
    free(copy);
}

int db_write_files(const char *path, const uint8_t *data, size_t len, unsigned flags,
                   const struct db_side_file *side, size_t nside, int *attr_errno, char *err,
                   size_t errlen)
{
    char *tmp[DB_MAX_SIDE_FILES + 1] = {0}, *bak[DB_MAX_SIDE_FILES] = {0};
    bool had[DB_MAX_SIDE_FILES] = {0};
    size_t placed = 0;
    int rc = -1;
    bool was_immutable = false, cleared = false;
    sigset_t block, saved;
    if (attr_errno)
        *attr_errno = 0;
    if (nside > DB_MAX_SIDE_FILES) {
        db_seterr(err, errlen, "%s: too many files to write with it", path);
        return -1;
    }
    /* Every file written in full first: nothing is replaced until all of
     * them are on disk.  */
    for (size_t i = 0; i < nside; i++)
        if (write_temp(side[i].path, side[i].data ? side[i].data : (const uint8_t *)"",
                       side[i].len, (int)i + 1, &tmp[i + 1], err, errlen) < 0)
            goto out;
    if (write_temp(path, data, len, 0, &tmp[0], err, errlen) < 0)
        goto out;
    /* From here to the end, the swap is not cut short by the signals the
     * tool cleans up after: they come once it is done or undone.  */
    sigemptyset(&block);
    for (size_t i = 0; i < sizeof cleanup_sigs / sizeof cleanup_sigs[0]; i++)
        sigaddset(&block, cleanup_sigs[i]);
    sigprocmask(SIG_BLOCK, &block, &saved);
    /* An immutable file cannot be renamed over: cleared first (the step
     * that fails without CAP_LINUX_IMMUTABLE), before any file is
     * replaced, and set again if the swap fails.  */
    was_immutable = is_immutable(path);
    if (was_immutable && !db_set_immutable(path, false)) {
        db_seterr(err, errlen, "%s: cannot clear its immutable attribute: %s", path, strerror(errno));
        goto unblock;
    }
    cleared = was_immutable;
    /* The files beside it, each with its previous version kept under a
     * second name until the database is in.  */
    for (; placed < nside; placed++) {
        const char *sp = side[placed].path;
        if (keep_old(sp, &bak[placed], err, errlen) < 0)
            goto undo;
        had[placed] = bak[placed] != NULL;
        if (rename(tmp[placed + 1], sp) < 0) {
            db_seterr(err, errlen, "%s: rename: %s", sp, strerror(errno));
            if (bak[placed]) {
                unlink(bak[placed]);
                free(bak[placed]);
                bak[placed] = NULL;
            }
            goto undo;
        }
        pending[placed + 1] = 0;
        free(tmp[placed + 1]);
        tmp[placed + 1] = NULL;
    }
    if (rename(tmp[0], path) < 0) {
        db_seterr(err, errlen, "%s: rename: %s", path, strerror(errno));
        goto undo;
    }
    pending[0] = 0; /* the name is the database's now */
    free(tmp[0]);
    tmp[0] = NULL;
    cleared = false;
    /* Where the file system has it: no cp, truncate or > can then rewrite
     * the file under the processes that map it.  */
    if (flags & DB_WRITE_IMMUTABLE) {
        if (!db_set_immutable(path, true) && attr_errno)
            *attr_errno = errno ? errno : EPERM;
    }
    for (size_t i = 0; i < nside; i++)
        if (bak[i])
            unlink(bak[i]);
    /* Make the renames themselves durable.  */
    fsync_dir_of(path);
    for (size_t i = 0; i < nside; i++)
        fsync_dir_of(side[i].path);
    rc = 0;
    goto unblock;
undo:
    /* The files beside it put back as they were: the old version by its
     * second name, or none where there was none.  */
    while (placed-- > 0) {
        if (had[placed])
            rename(bak[placed], side[placed].path);
        else
            unlink(side[placed].path);
        free(bak[placed]);
        bak[placed] = NULL;
    }
unblock:
    if (cleared)
        db_set_immutable(path, true);
    sigprocmask(SIG_SETMASK, &saved, NULL);
out:
    for (size_t i = 0; i <= nside; i++)
        if (tmp[i]) {
            unlink(tmp[i]);
            pending[i] = 0;
            free(tmp[i]);
        }
    for (size_t i = 0; i < nside; i++)
        if (bak[i]) {
            free(bak[i]);
        }
    return rc;
}
