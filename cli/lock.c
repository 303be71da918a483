/* The writers' lock on a database: see lock.h.  */
#define _GNU_SOURCE
#include "lock.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define QUIET_WAIT_MS 1000 /* a compile takes well under this: no message for it */

/* The names db_write_file gives its temporary files for DB and the files
 * kept beside it (DB.http, DB.csv, DB.sources, DB.protocols.csv,
 * DB.protocols.http), and the second names db_write_files keeps their
 * previous versions under during a swap: ".BASE.XXXXXX",
 * ".BASE.http.XXXXXX", ".BASE.csv.XXXXXX", ".BASE.sources.XXXXXX",
 * ".BASE.protocols.csv.XXXXXX", ".BASE.protocols.http.XXXXXX", mkstemp's
 * six letters or digits last.  Nothing else is taken, not even another
 * database's.  */
static int is_temp_of(const char *name, const char *base)
{
    static const char *const kept[] = {"", "http.", "csv.", "sources.", "protocols.csv.",
                                       "protocols.http."};
    size_t nb = strlen(base), n = strlen(name);
    if (n < nb + 8 || name[0] != '.' || strncmp(name + 1, base, nb) != 0 || name[nb + 1] != '.')
        return 0;
    const char *rest = name + nb + 2, *x = name + n - 6;
    int known = 0;
    for (size_t i = 0; i < sizeof kept / sizeof kept[0]; i++)
        if ((size_t)(x - rest) == strlen(kept[i]) && strncmp(rest, kept[i], strlen(kept[i])) == 0)
            known = 1;
    if (!known)
        return 0;
    for (int i = 0; i < 6; i++) {
        char c = x[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
            return 0;
    }
    return 1;
}

static void sweep(const char *dir, const char *base, const char *who)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    int dfd = dirfd(d);
    struct dirent *e;
    while ((e = readdir(d))) {
        struct stat sb;
        if (!is_temp_of(e->d_name, base) ||
            fstatat(dfd, e->d_name, &sb, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(sb.st_mode))
            continue;
        if (unlinkat(dfd, e->d_name, 0) == 0)
            fprintf(stderr, "iana-services: %s: removed %s/%s, left by a writer that was "
                            "killed\n", who, dir, e->d_name);
    }
    closedir(d);
}

/* The pid the holder wrote, or 0 (none, or not alive: a holder killed
 * before it could clear it, which may be another process's pid by now,
 * is the best we can say of).  */
static long holder_pid(int fd)
{
    char buf[24];
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    char *end;
    long pid = strtol(buf, &end, 10);
    if (pid <= 0 || (*end != '\n' && *end != '\0'))
        return 0;
    return kill((pid_t)pid, 0) == 0 || errno == EPERM ? pid : 0;
}

static int wait_for_lock(int fd, const char *path, const char *who)
{
    for (int waited = 0; waited < QUIET_WAIT_MS; waited += 50) {
        if (flock(fd, LOCK_EX | LOCK_NB) == 0)
            return 0;
        if (errno != EWOULDBLOCK && errno != EINTR)
            return -1;
        nanosleep(&(struct timespec){0, 50 * 1000 * 1000}, NULL);
    }
    long pid = holder_pid(fd);
    if (pid)
        fprintf(stderr, "iana-services: %s: waiting for the lock on %s, held by another "
                        "iana-services (pid %ld)\n", who, path, pid);
    else
        fprintf(stderr, "iana-services: %s: waiting for the lock on %s, held by another "
                        "process\n", who, path);
    while (flock(fd, LOCK_EX) < 0)
        if (errno != EINTR)
            return -1;
    return 0;
}

int db_lock(const char *db, const char *who)
{
    char *path = NULL, *copy = strdup(db), *copy2 = strdup(db);
    int fd = -1;
    if (!copy || !copy2 || asprintf(&path, "%s.lock", db) < 0) {
        path = NULL;
        fprintf(stderr, "iana-services: %s: %s: %s\n", who, db, strerror(ENOMEM));
        goto out;
    }
    const char *dir = dirname(copy), *base = basename(copy2);
    /* As db_write_file does: the default directory on a new system, made
     * 0755 whatever the umask, so every user can read the database.  */
    struct stat sb;
    if (stat(dir, &sb) < 0 && errno == ENOENT && mkdir(dir, 0755) == 0)
        chmod(dir, 0755);
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0644);
    if (fd < 0 && errno == EACCES) /* another user's lock file: locking needs no write */
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
    if (fd < 0) {
        fprintf(stderr, "iana-services: %s: %s: %s\n", who, path, strerror(errno));
        goto out;
    }
    /* 0644 whatever the umask: a lock file only its maker could open
     * would lock every other user out of the database's directory.  */
    if (fstat(fd, &sb) == 0 && sb.st_uid == geteuid() && (sb.st_mode & 07777) != 0644)
        fchmod(fd, 0644);
    if (wait_for_lock(fd, path, who) < 0) {
        fprintf(stderr, "iana-services: %s: %s: lock: %s\n", who, path, strerror(errno));
        close(fd);
        fd = -1;
        goto out;
    }
    /* Failing here only costs the waiters' message its pid.  */
    char pid[24];
    int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) == 0 && pwrite(fd, pid, (size_t)n, 0) != n && ftruncate(fd, 0) < 0) {
        /* a stale or partial pid: holder_pid checks the form */
    }
    sweep(dir, base, who);
out:
    free(path);
    free(copy);
    free(copy2);
    return fd;
}

void db_unlock(int fd)
{
    if (fd < 0)
        return;
    /* No pid of ours for the next waiter to name once we are gone.  */
    if (ftruncate(fd, 0) < 0) {
        /* a read-only lock file: we never wrote to it */
    }
    close(fd); /* the flock goes with the last descriptor */
}
