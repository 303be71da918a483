/* iana on the services line of nsswitch.conf: the edit on strings, then
 * the file I/O.  See nsswitch.h for the syntax this follows and why.  */
#define _GNU_SOURCE
#include "nsswitch.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SOURCE "iana"
#define NEW_LINE "services: files iana\n"

/* --- the edit ------------------------------------------------------------ */

/* isspace() in the C locale, which is what glibc's parser uses.  */
static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

/* One line of the file: [s, s + len), without its newline.  */
struct line {
    const char *s;
    size_t len;
    int newline;      /* a '\n' ends it (the last line may lack one) */
    unsigned number;  /* from 1 */
    size_t anchor;    /* services lines: just after the name and its colons */
};

/* The next line at *p, or 0 at the end of the text.  */
static int next_line(const char **p, struct line *l)
{
    if (!**p)
        return 0;
    const char *nl = strchr(*p, '\n');
    l->s = *p;
    l->len = nl ? (size_t)(nl - *p) : strlen(*p);
    l->newline = nl != NULL;
    l->number++;
    *p = nl ? nl + 1 : *p + l->len;
    return 1;
}

/* Whether the line names the services database, as glibc decides it; sets
 * the anchor, where a source goes when the list is empty.  */
static int is_services_line(struct line *l)
{
    const char *s = l->s;
    size_t i = 0, len = l->len;
    while (i < len && is_space(s[i]))
        i++;
    size_t name = i;
    while (i < len && !is_space(s[i]) && s[i] != ':')
        i++;
    if (i - name != 8 || memcmp(s + name, "services", 8) != 0)
        return 0;
    if (i == len && !l->newline)
        return 0; /* glibc skips a name with nothing at all after it */
    l->anchor = i;
    for (; i < len && (is_space(s[i]) || s[i] == ':'); i++)
        if (s[i] == ':')
            l->anchor = i + 1;
    return 1;
}

/* A source name or a "[...]" block.  */
struct token {
    size_t start, end;
    int block;
};

/* The token at or after *pos; 0 at the end of the list: the end of the
 * line, or a '#' that starts a token.  */
static int next_token(const struct line *l, size_t *pos, struct token *t)
{
    const char *s = l->s;
    size_t i = *pos;
    while (i < l->len && is_space(s[i]))
        i++;
    if (i == l->len || s[i] == '#')
        return 0;
    t->start = i;
    t->block = s[i] == '[';
    if (t->block) {
        while (i < l->len && s[i] != ']')
            i++;
        i += i < l->len; /* the ']' */
    } else {
        while (i < l->len && !is_space(s[i]) && s[i] != '[')
            i++;
    }
    t->end = *pos = i;
    return 1;
}

static int source_is(const struct line *l, const struct token *t, const char *name)
{
    size_t n = strlen(name);
    return !t->block && t->end - t->start == n && memcmp(l->s + t->start, name, n) == 0;
}

/* The blocks right after a source belong to it: the end of the last one,
 * or `end` if there are none.  Moves *pos past them.  */
static size_t skip_blocks(const struct line *l, size_t *pos, size_t end)
{
    struct token t;
    size_t look = *pos;
    while (next_token(l, &look, &t) && t.block) {
        end = t.end;
        *pos = look;
    }
    return end;
}

/* Where enable puts the source: after `files` and its blocks, else after
 * the last token, else at the anchor.  Sets *has if the line has iana.  */
static size_t insertion_point(const struct line *l, int *has)
{
    size_t pos = l->anchor, last = l->anchor, files = 0;
    int seen_files = 0;
    struct token t;
    *has = 0;
    while (next_token(l, &pos, &t)) {
        last = t.end;
        if (t.block)
            continue;
        *has |= source_is(l, &t, SOURCE);
        if (!seen_files && source_is(l, &t, "files")) {
            seen_files = 1;
            files = skip_blocks(l, &pos, t.end);
            last = files;
        }
    }
    return seen_files ? files : last;
}

/* `word` inserted at `at` of the line, after a blank, and before one if
 * the text there would otherwise run into it ("]db", "#comment").  */
static void put_word(FILE *out, const struct line *l, size_t at, const char *word)
{
    fwrite(l->s, 1, at, out);
    fprintf(out, " %s%s", word, at < l->len && !is_space(l->s[at]) ? " " : "");
    fwrite(l->s + at, 1, l->len - at, out);
}

/* Finishes an open_memstream() edit: 0, or -1 with errno ENOMEM.  */
static int close_edit(FILE *out, char **buf, struct nsswitch_edit *edit)
{
    if (fclose(out) != 0 || !*buf) {
        free(*buf);
        errno = ENOMEM;
        return -1;
    }
    edit->text = *buf;
    return 0;
}

static int append_services_line(const char *text, struct nsswitch_edit *edit)
{
    size_t len = strlen(text);
    int bare_end = len > 0 && text[len - 1] != '\n';
    unsigned lines = 0;
    for (const char *p = text; *p; p++)
        lines += *p == '\n';
    if (asprintf(&edit->text, "%s%s%s", text, bare_end ? "\n" : "", NEW_LINE) < 0) {
        edit->text = NULL;
        errno = ENOMEM;
        return -1;
    }
    edit->change = NSSWITCH_LINE_ADDED;
    edit->line = lines + (unsigned)bare_end + 1;
    return 0;
}

int nsswitch_enable(const char *text, struct nsswitch_edit *edit)
{
    struct line l = {0}, last = {0};
    const char *p = text;
    memset(edit, 0, sizeof *edit);
    while (next_line(&p, &l))
        if (is_services_line(&l))
            last = l;
    if (!last.s)
        return append_services_line(text, edit);

    int has;
    size_t at = insertion_point(&last, &has);
    edit->line = last.number;
    if (has)
        return 0;
    char *buf = NULL;
    size_t size;
    FILE *out = open_memstream(&buf, &size);
    if (!out)
        return -1;
    fwrite(text, 1, (size_t)(last.s - text), out);
    put_word(out, &last, at, SOURCE);
    fputs(last.s + last.len, out);
    edit->change = NSSWITCH_ADDED;
    return close_edit(out, &buf, edit);
}

/* One services line without its iana sources, each taken with the blanks
 * before it (back to the previous token or the anchor) and the blocks after
 * it.  A list left with no source gets files.  Returns 0, or -1 when out of
 * memory.  */
static int strip_line(FILE *out, const struct line *l, enum nsswitch_change *change)
{
    size_t pos = l->anchor, prev = l->anchor, copied = 0, kept_len;
    int removed = 0, others = 0;
    struct token t;
    char *kept = NULL;
    FILE *k = open_memstream(&kept, &kept_len);
    if (!k)
        return -1;
    while (next_token(l, &pos, &t)) {
        if (!source_is(l, &t, SOURCE)) {
            others += !t.block;
            prev = t.end;
            continue;
        }
        size_t stop = skip_blocks(l, &pos, t.end);
        fwrite(l->s + copied, 1, prev - copied, k);
        copied = prev = stop;
        removed = 1;
    }
    fwrite(l->s + copied, 1, l->len - copied, k);
    if (fclose(k) != 0 || !kept) {
        free(kept);
        return -1;
    }
    /* Edits are all after the anchor, so it is where it was.  */
    struct line n = {.s = kept, .len = kept_len, .anchor = l->anchor};
    if (removed && !others)
        put_word(out, &n, n.anchor, "files");
    else
        fwrite(n.s, 1, n.len, out);
    free(kept);
    *change = !removed ? NSSWITCH_UNCHANGED : others ? NSSWITCH_REMOVED : NSSWITCH_REMOVED_FILES;
    return 0;
}

int nsswitch_disable(const char *text, struct nsswitch_edit *edit)
{
    struct line l = {0};
    const char *p = text;
    char *buf = NULL;
    size_t size;
    int failed = 0;
    memset(edit, 0, sizeof *edit);
    FILE *out = open_memstream(&buf, &size);
    if (!out)
        return -1;
    while (!failed && next_line(&p, &l)) {
        enum nsswitch_change c = NSSWITCH_UNCHANGED;
        if (!is_services_line(&l))
            fwrite(l.s, 1, l.len, out);
        else
            failed = strip_line(out, &l, &c) < 0;
        if (l.newline)
            fputc('\n', out);
        if (c != NSSWITCH_UNCHANGED) {
            edit->change = c;
            edit->line = l.number;
        }
    }
    if (failed) {
        fclose(out);
        free(buf);
        memset(edit, 0, sizeof *edit);
        errno = ENOMEM;
        return -1;
    }
    if (close_edit(out, &buf, edit) < 0)
        return -1;
    if (edit->change == NSSWITCH_UNCHANGED) {
        free(edit->text);
        edit->text = NULL;
    }
    return 0;
}

void nsswitch_edit_free(struct nsswitch_edit *edit)
{
    free(edit->text);
    memset(edit, 0, sizeof *edit);
}

char *nsswitch_line(const char *text, unsigned line)
{
    struct line l = {0};
    const char *p = text;
    while (next_line(&p, &l))
        if (l.number == line)
            return strndup(l.s, l.len);
    return NULL;
}

/* --- the file ------------------------------------------------------------ */

/* nsswitch.conf is a few KiB; a bound keeps a wrong --nsswitch argument
 * from being read into memory whole.  */
#define MAX_BYTES (1u << 20)

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

/* The new file in `tmp` with the original's mode and owner, on disk.  */
static int fill_temp(int fd, const char *text, const struct stat *orig)
{
    struct stat now;
    if (fchmod(fd, orig->st_mode & 07777) < 0 || fstat(fd, &now) < 0)
        return -1;
    if ((now.st_uid != orig->st_uid || now.st_gid != orig->st_gid) &&
        fchown(fd, orig->st_uid, orig->st_gid) < 0)
        return -1;
    return write_all(fd, text, strlen(text)) < 0 || fsync(fd) < 0 ? -1 : 0;
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
    if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0) {
        fail(err, errlen, "%s: cannot write a temporary file in %s: %s", path, dir,
             strerror(errno));
        free(tmp);
        tmp = NULL;
        goto out;
    }
    if (fill_temp(fd, text, orig) < 0 || close(fd) < 0) {
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
        fail(err, errlen, "%s: %s", path, strerror(errno));
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

static void report(FILE *out, const char *path, const struct nsswitch_edit *edit,
                   const char *text)
{
    char *line = edit->line ? nsswitch_line(text, edit->line) : NULL;
    const char *shown = line ? line : "";
    switch (edit->change) {
    case NSSWITCH_ADDED:
        fprintf(out, "%s: iana added to the services line (line %u): %s\n", path, edit->line,
                shown);
        break;
    case NSSWITCH_LINE_ADDED:
        fprintf(out, "%s: there was no services line; added line %u: %s\n", path, edit->line,
                shown);
        break;
    case NSSWITCH_REMOVED:
        fprintf(out, "%s: iana removed from the services line (line %u): %s\n", path,
                edit->line, shown);
        break;
    case NSSWITCH_REMOVED_FILES:
        fprintf(out, "%s: iana removed from the services line (line %u), and files put in "
                "its place, since it had no other source: %s\n", path, edit->line, shown);
        break;
    case NSSWITCH_UNCHANGED:
        if (edit->line)
            fprintf(out, "%s: iana is already on the services line (line %u); nothing to "
                    "do\n", path, edit->line);
        else
            fprintf(out, "%s: iana is on no services line; nothing to do\n", path);
        break;
    }
    free(line);
}

int nsswitch_update(const char *path, int enable, FILE *out, char *err, size_t errlen)
{
    char *real = realpath(path, NULL), *text = NULL;
    struct nsswitch_edit edit = {0};
    struct stat st;
    int rc = -1;
    if (!real) {
        fail(err, errlen, "%s: %s", path, strerror(errno));
        goto out;
    }
    if (read_text(real, &text, &st, err, errlen) < 0)
        goto out;
    if ((enable ? nsswitch_enable(text, &edit) : nsswitch_disable(text, &edit)) < 0) {
        fail(err, errlen, "%s: %s", path, strerror(ENOMEM));
        goto out;
    }
    if (edit.change != NSSWITCH_UNCHANGED && replace_file(real, edit.text, &st, err, errlen) < 0)
        goto out;
    report(out, path, &edit, edit.text ? edit.text : text);
    rc = 0;
out:
    nsswitch_edit_free(&edit);
    free(text);
    free(real);
    return rc;
}
