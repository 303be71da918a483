/* nsswitch.conf read, edited (nsswitch.c) and put back: the atomic
 * replace that keeps the file's mode, owner, extended attributes and
 * immutable flag, and the warnings about the lines glibc would not read
 * as meant.  See nsswitch.h.  */
#define _GNU_SOURCE
#include "nsswitch.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "nsswitch_line.h"

/* --- the file ------------------------------------------------------------ */

/* nsswitch.conf is a few KiB; a bound keeps a wrong --nsswitch argument
 * from being read into memory whole.  An off_t, as st_size is: compared
 * with an unsigned int, a 32-bit off_t (a build without
 * _FILE_OFFSET_BITS=64) would be converted to unsigned.  */
#define MAX_BYTES ((off_t)1 << 20)

__attribute__((format(printf, 3, 4)))
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

static int read_text(const char *path, char **text, struct stat *st, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fstat(fd, st) < 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        return fail(err, errlen, "%s: %s", path, strerror(e));
    }
    if (!S_ISREG(st->st_mode) || st->st_size > MAX_BYTES) {
        close(fd);
        return fail(err, errlen, "%s: %s", path, S_ISREG(st->st_mode)
                    ? "over 1 MiB: not an nsswitch.conf" : "not a regular file");
    }
    size_t len = 0, cap = (size_t)st->st_size + 1;
    char *buf = malloc(cap + 1);
    ssize_t n = 0;
    /* Up to EOF, not st_size: the file may be growing under us.  */
    while (buf && len < cap && (n = read(fd, buf + len, cap - len)) > 0)
        len += (size_t)n;
    int e = buf ? errno : ENOMEM;
    close(fd);
    if (!buf || n < 0 || len >= cap) {
        free(buf);
        return fail(err, errlen, "%s: %s", path,
                    len >= cap ? "changed while being read" : strerror(e));
    }
    buf[len] = '\0';
    if (strlen(buf) != len) {
        free(buf);
        return fail(err, errlen, "%s: NUL byte: not an nsswitch.conf", path);
    }
    *text = buf;
    return 0;
}

static int write_all(int fd, const char *s, size_t len)
{
    while (len) {
        ssize_t n = write(fd, s, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        s += n;
        len -= (size_t)n;
    }
    return 0;
}

/* The original's extended attributes onto the new file: a rename would
 * drop them otherwise, and with them its ACL (system.posix_acl_access),
 * its SELinux label (security.selinux) and whatever an administrator put
 * in user.*.  A file system without them (ENOTSUP) has none to lose.
 * 0, or -1 with errno set and the attribute's name in *name (malloc'd,
 * NULL if the failure was in listing them).  */
static int copy_xattrs(int from, int to, char **name)
{
    char *names = NULL, *value = NULL;
    ssize_t len = 0, n;
    int rc = -1;
    *name = NULL;
    /* Sizes are asked first; a list or value that grew in between gives
     * ERANGE, and is asked again.  */
    for (;;) {
        if ((len = flistxattr(from, NULL, 0)) <= 0) {
            rc = len == 0 || errno == ENOTSUP ? 0 : -1;
            goto out;
        }
        free(names);
        if (!(names = malloc((size_t)len)))
            goto out;
        if ((len = flistxattr(from, names, (size_t)len)) >= 0)
            break;
        if (errno != ERANGE)
            goto out;
    }
    for (const char *a = names; a < names + len; a += strlen(a) + 1) {
        for (;;) {
            if ((n = fgetxattr(from, a, NULL, 0)) < 0)
                break;
            free(value);
            if (!(value = malloc((size_t)n + 1))) {
                n = -1;
                break;
            }
            if ((n = fgetxattr(from, a, value, (size_t)n)) >= 0 || errno != ERANGE)
                break;
        }
        if (n < 0 || fsetxattr(to, a, value, (size_t)n, 0) < 0) {
            if (errno == ENOTSUP)
                continue;
            *name = strdup(a);
            goto out;
        }
    }
    rc = 0;
out:;
    int e = errno;
    free(names);
    free(value);
    errno = e;
    return rc;
}

/* The new file in `tmp` with the original's mode, owner and extended
 * attributes, on disk.  0, or -1 with the reason in err.  */
static int fill_temp(int fd, const char *path, const char *tmp, const char *text,
                     const struct stat *orig, char *err, size_t errlen)
{
    struct stat now;
    if (fchmod(fd, orig->st_mode & 07777) < 0 || fstat(fd, &now) < 0 ||
        ((now.st_uid != orig->st_uid || now.st_gid != orig->st_gid) &&
         fchown(fd, orig->st_uid, orig->st_gid) < 0) ||
        write_all(fd, text, strlen(text)) < 0)
        return fail(err, errlen, "%s: writing %s: %s", path, tmp, strerror(errno));
    /* After the chmod: setting the ACL sets the group bits to its mask,
     * which is what the original's mode has.  */
    int src = open(path, O_RDONLY | O_CLOEXEC);
    char *name = NULL;
    if (src < 0 || copy_xattrs(src, fd, &name) < 0) {
        int e = errno;
        if (src >= 0)
            close(src);
        fail(err, errlen, "%s: copying %s%s to the new file: %s; left as it is", path,
             name ? "its extended attribute " : "its extended attributes", name ? name : "",
             strerror(e));
        free(name);
        return -1;
    }
    close(src);
    if (fsync(fd) < 0)
        return fail(err, errlen, "%s: writing %s: %s", path, tmp, strerror(errno));
    return 0;
}

/* Whether the file is still the one that was read: another editor may have
 * replaced it meanwhile, and its change must not be lost.  */
static int unchanged_since(const char *path, const struct stat *orig)
{
    struct stat now;
    return stat(path, &now) == 0 && now.st_dev == orig->st_dev && now.st_ino == orig->st_ino &&
           now.st_size == orig->st_size && now.st_mtim.tv_sec == orig->st_mtim.tv_sec &&
           now.st_mtim.tv_nsec == orig->st_mtim.tv_nsec;
}

/* The inode flags chattr sets, of `path`; 0 if they cannot be read.  */
static int inode_flags(const char *path)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC), flags = 0;
    if (fd < 0)
        return 0;
    if (ioctl(fd, FS_IOC_GETFLAGS, &flags) < 0)
        flags = 0;
    close(fd);
    return flags;
}

/* Why `what` (the file, or its directory) cannot be replaced or written
 * in, and what to do, for the errors that the bare strerror() leaves a
 * puzzle: an attribute set with chattr (EPERM even for root), a bind
 * mount (rename onto a mount point is EBUSY, across mounts EXDEV), a
 * read-only mount.  NULL for other errors.  Into buf.  */
static const char *cause(int e, const char *what, char *buf, size_t len)
{
    int flags = e == EPERM || e == EACCES ? inode_flags(what) : 0;
    if (flags & FS_IMMUTABLE_FL)
        snprintf(buf, len, "is immutable (chattr +i): clear the attribute first (chattr -i "
                 "%s), and set it again after", what);
    else if (flags & FS_APPEND_FL)
        snprintf(buf, len, "is append-only (chattr +a): clear the attribute first (chattr -a "
                 "%s), and set it again after", what);
    else if (e == EBUSY || e == EXDEV)
        snprintf(buf, len, "is a mount point (bind-mounted?): edit the file it comes from, "
                 "or unmount it");
    else if (e == EROFS)
        snprintf(buf, len, "is on a read-only file system: edit it where it is writable, or "
                 "remount it read-write");
    else
        return NULL;
    return buf;
}

static int replace_file(const char *path, const char *text, const struct stat *orig,
                        char *err, size_t errlen)
{
    char *d = strdup(path), *b = strdup(path), *tmp = NULL;
    const char *dir = d ? dirname(d) : NULL, *base = b ? basename(b) : NULL;
    int fd = -1, rc = -1;
    if (!dir || !base || asprintf(&tmp, "%s/.%s.iana-XXXXXX", dir, base) < 0) {
        tmp = NULL;
        fail(err, errlen, "%s: %s", path, strerror(ENOMEM));
        goto out;
    }
    char why[PATH_MAX + 160];
    if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0) {
        int e = errno;
        if (cause(e, dir, why, sizeof why))
            fail(err, errlen, "%s: its directory %s %s (cannot write a temporary file there: "
                 "%s)", path, dir, why, strerror(e));
        else
            fail(err, errlen, "%s: cannot write a temporary file in %s: %s", path, dir,
                 strerror(e));
        free(tmp);
        tmp = NULL;
        goto out;
    }
    if (fill_temp(fd, path, tmp, text, orig, err, errlen) < 0)
        goto out;
    if (close(fd) < 0) {
        fd = -1;
        fail(err, errlen, "%s: writing %s: %s", path, tmp, strerror(errno));
        goto out;
    }
    fd = -1;
    if (!unchanged_since(path, orig)) {
        fail(err, errlen, "%s: changed while being edited; left as it is, try again", path);
        goto out;
    }
    if (rename(tmp, path) < 0) {
        int e = errno;
        if (cause(e, path, why, sizeof why))
            fail(err, errlen, "%s: %s (rename: %s)", path, why, strerror(e));
        else
            fail(err, errlen, "%s: %s", path, strerror(e));
        goto out;
    }
    free(tmp);
    tmp = NULL;
    /* The rename itself on disk; the edit is done even if this fails.  */
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    rc = 0;
out:
    if (fd >= 0)
        close(fd);
    if (tmp)
        unlink(tmp);
    free(tmp);
    free(d);
    free(b);
    return rc;
}

/* The number of the text's last line if it has no line end and would be
 * a line for `db` with one, else 0: glibc skips that line, and whoever
 * wrote it is unlikely to know.  */
static unsigned unread_line(const char *text, const char *db)
{
    struct line l = {0};
    const char *p = text;
    while (next_line(&p, &l))
        if (!l.newline)
            return names_db(&l, db) ? l.number : 0;
    return 0;
}

/* The databases glibc 2.36 reads lines for (nss/databases.def): a line
 * naming any other is skipped whole, whatever it holds.  */
static int glibc_database(const char *s, size_t n)
{
    static const char *const names[] = {
        "aliases", "ethers", "group", "group_compat", "gshadow", "hosts", "initgroups",
        "netgroup", "networks", "passwd", "passwd_compat", "protocols", "publickey", "rpc",
        "services", "shadow", "shadow_compat",
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strlen(names[i]) == n && memcmp(names[i], s, n) == 0)
            return 1;
    return 0;
}

/* Whether [s + *i, s + n) starts with one of `words` (in any case, as
 * glibc compares them), ended by a blank, '=' or ']'; moves *i past it.  */
static int one_of(const char *s, size_t *i, size_t n, const char *const *words)
{
    size_t w = *i;
    while (*i < n && !is_space(s[*i]) && s[*i] != '=' && s[*i] != ']')
        (*i)++;
    for (; *words; words++)
        if (strlen(*words) == *i - w && strncasecmp(*words, s + w, *i - w) == 0)
            return 1;
    return 0;
}

/* Whether glibc 2.36 fails to parse the line (nss_action_parse.c), with
 * the offset of the block it fails on in *at.  It reads a source up to a
 * blank or '[', then one block, each "!"? STATUS = ACTION up to ']'; a
 * list that goes on with a second block simply ends there, but a status
 * or action it does not know, a missing '=' or ']' fail the whole file:
 * every lookup of every database then fails.  '#' is nothing to it, so a
 * '[' in a trailing comment counts too.  */
static int glibc_rejects(const struct line *l, size_t *at)
{
    static const char *const statuses[] = {"SUCCESS", "UNAVAIL", "NOTFOUND", "TRYAGAIN", NULL};
    static const char *const actions[] = {"RETURN", "CONTINUE", "MERGE", NULL};
    const char *s = l->s;
    size_t i = 0, n = l->len;
    while (i < n && is_space(s[i]))
        i++;
    size_t name = i;
    while (i < n && !is_space(s[i]) && s[i] != ':')
        i++;
    if (!glibc_database(s + name, i - name))
        return 0;
    for (;;) {
        while (i < n && (is_space(s[i]) || s[i] == ':'))
            i++;
        size_t source = i;
        while (i < n && !is_space(s[i]) && s[i] != '[')
            i++;
        if (i == source)
            return 0; /* the end, or a block where a source should be: the list ends */
        while (i < n && is_space(s[i]))
            i++;
        if (i == n || s[i] != '[')
            continue;
        *at = i++;
        do {
            while (i < n && is_space(s[i]))
                i++;
            i += i < n && s[i] == '!';
            if (!one_of(s, &i, n, statuses))
                return 1;
            while (i < n && is_space(s[i]))
                i++;
            if (i == n || s[i] != '=')
                return 1;
            i++;
            while (i < n && is_space(s[i]))
                i++;
            if (!one_of(s, &i, n, actions))
                return 1;
            while (i < n && is_space(s[i]))
                i++;
        } while (i < n && s[i] != ']');
        if (i == n)
            return 1;
        i++;
    }
}

/* After enable: what would keep glibc from ever asking iana although the
 * services line puts it first.  A line glibc cannot parse, anywhere in the
 * file (it then reads none of it), and a file others cannot read (their
 * processes then use glibc's default, files).  */
static void warn_unreachable(FILE *out, const char *path, const char *text,
                             const struct stat *st)
{
    struct line l = {0};
    const char *p = text;
    size_t at;
    while (next_line(&p, &l))
        if (l.newline && glibc_rejects(&l, &at)) {
            fprintf(out, "warning: %s: line %u: glibc cannot parse the block at \"%.*s\", so it "
                    "reads nothing of the file and every lookup fails, iana's included: "
                    "correct or remove the block (a '#' does not start a comment there)\n",
                    path, l.number, (int)(l.len - at > 24 ? 24 : l.len - at), l.s + at);
            break;
        }
    if (!(st->st_mode & S_IROTH))
        fprintf(out, "warning: %s: other users cannot read it (mode %04o), and glibc in their "
                "processes then uses its default, files, without iana: chmod a+r %s\n", path,
                (unsigned)(st->st_mode & 07777), path);
}

/* Says what was done to db's line; `before` is the text the edit was made
 * on, `after` the text it made, `final` the file's text now.  */
static void report(FILE *out, const char *path, const char *db,
                   const struct nsswitch_edit *edit, const char *before, const char *after,
                   const char *final)
{
    char *line = !edit->line ? NULL : nsswitch_line(edit->change == NSSWITCH_LINE_REMOVED
                                                    ? before : after, edit->line);
    size_t n = line ? strlen(line) : 0;
    if (n && line[n - 1] == '\r')
        line[n - 1] = '\0'; /* a CRLF line shown as a line */
    const char *shown = line ? line : "";
    switch (edit->change) {
    case NSSWITCH_ADDED:
        fprintf(out, "%s: iana put first on the %s line (line %u): %s\n", path, db,
                edit->line, shown);
        break;
    case NSSWITCH_MOVED:
        fprintf(out, "%s: iana moved to the front of the %s line (line %u): %s\n",
                path, db, edit->line, shown);
        break;
    case NSSWITCH_LINE_ADDED:
        fprintf(out, "%s: there was no %s line; added line %u: %s\n", path, db,
                edit->line, shown);
        break;
    case NSSWITCH_REMOVED:
        fprintf(out, "%s: iana removed from the %s line (line %u): %s\n", path, db,
                edit->line, shown);
        break;
    case NSSWITCH_REMOVED_FILES:
        fprintf(out, "%s: iana removed from the %s line (line %u), and files put in "
                "its place, since it had no other source: %s\n", path, db, edit->line, shown);
        break;
    case NSSWITCH_LINE_REMOVED:
        fprintf(out, "%s: removed line %u, the %s line enable adds: %s\n", path,
                edit->line, db, shown);
        break;
    case NSSWITCH_UNCHANGED:
        if (edit->line)
            fprintf(out, "%s: iana is first on the %s line already (line %u); nothing "
                    "to do\n", path, db, edit->line);
        else
            fprintf(out, "%s: iana is on no %s line; nothing to do\n", path, db);
        break;
    }
    free(line);
    unsigned unread = unread_line(final, db);
    if (unread)
        fprintf(out, "note: %s: line %u names %s but has no line end, and glibc does "
                "not read a last line without one\n", path, unread, db);
}

int nsswitch_update(const char *path, int enable, FILE *out, char *err, size_t errlen)
{
    return nsswitch_update_only(path, enable, NULL, out, err, errlen);
}

int nsswitch_update_only(const char *path, int enable, const char *only, FILE *out, char *err,
                         size_t errlen)
{
    char *real = realpath(path, NULL), *text = NULL;
    struct nsswitch_edit edit[NSSWITCH_NDB] = {{0}};
    struct stat st;
    int rc = -1;
    if (!real) {
        fail(err, errlen, "%s: %s", path, strerror(errno));
        goto out;
    }
    if (read_text(real, &text, &st, err, errlen) < 0)
        goto out;
    /* Each database's line in turn, on the text the one before left; the
     * file replaced once.  */
    const char *now = text;
    for (size_t i = 0; i < NSSWITCH_NDB; i++) {
        if (only && strcmp(only, nsswitch_dbs[i]) != 0)
            continue;
        if ((enable ? nsswitch_enable_db(now, nsswitch_dbs[i], &edit[i])
                    : nsswitch_disable_db(now, nsswitch_dbs[i], &edit[i])) < 0) {
            fail(err, errlen, "%s: %s", path, strerror(ENOMEM));
            goto out;
        }
        if (edit[i].text)
            now = edit[i].text;
    }
    if (now != text && replace_file(real, now, &st, err, errlen) < 0)
        goto out;
    const char *before = text;
    for (size_t i = 0; i < NSSWITCH_NDB; i++) {
        if (only && strcmp(only, nsswitch_dbs[i]) != 0)
            continue;
        const char *after = edit[i].text ? edit[i].text : before;
        report(out, path, nsswitch_dbs[i], &edit[i], before, after, now);
        before = after;
    }
    if (enable)
        warn_unreachable(out, path, now, &st);
    rc = 0;
out:
    for (size_t i = 0; i < NSSWITCH_NDB; i++)
        nsswitch_edit_free(&edit[i]);
    free(text);
    free(real);
    return rc;
}
