/* A services(5) file as glibc 2.36's nss_files reads it: see services.h.
 * Each physical line is put through the same steps, in the same order, as
 * __nss_readline and the LINE_PARSER of files-service.c put it through,
 * on a copy of the line, so that their quirks are ours too.  */
#define _GNU_SOURCE
#include "services.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../vocab.h"

/* isspace() in every locale glibc ships: only these six bytes.  */
static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

__attribute__((format(printf, 3, 4)))
static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* A field that runs to the next white space, which is cut off and, with
 * the white space after it, skipped (files-parse.c's STRING_FIELD with
 * swallowing).  */
static char *string_field(char **linep)
{
    char *field = *linep, *line = field;
    while (*line && !is_space(*line))
        line++;
    if (*line) {
        *line = '\0';
        do
            line++;
        while (is_space(*line));
    }
    *linep = line;
    return field;
}

/* The port: strtoul's value, clamped to 32 bits as glibc's strtou32 does
 * on 64-bit hosts, of which htons keeps the low 16; then one '/' or the
 * end of the line.  NULL when nss_files rejects the line.  */
static const char *port_field(char **linep, uint16_t *port)
{
    char *line = *linep, *end;
    unsigned long v = strtoul(line, &end, 10);
    if (sizeof v > 4 && v > 0xffffffffUL)
        v = 0xffffffffUL;
    if (end == line)
        return "no port number";
    if (*end == '/')
        end++;
    else if (*end != '\0')
        return "port number followed by something other than '/'";
    *port = (uint16_t)v;
    *linep = end;
    return NULL;
}

/* The aliases: the rest of the line split at white space (parse_list).  */
static int alias_fields(char *line, struct services_line *out)
{
    size_t max = strlen(line) / 2 + 1, n = 0;
    const char **list = malloc(max * sizeof *list);
    if (!list)
        return -1;
    while (*line) {
        while (is_space(*line))
            line++;
        char *elt = line;
        while (*line && !is_space(*line))
            line++;
        if (line > elt)
            list[n++] = elt;
        if (*line)
            *line++ = '\0';
    }
    out->aliases = list;
    out->nalias = n;
    return 0;
}

/* One physical line, with its '\n' if it has one, as `len` bytes of `buf`
 * (which has room for a NUL after them).  Returns 1 with *out filled, 0 for
 * a line without a service (blank, comment), 2 for a line nss_files
 * rejects (*why says why), -1 when out of memory.  */
static int parse_line(char *buf, size_t len, struct services_line *out, const char **why)
{
    buf[len] = '\0';
    /* __nss_readline: leading white space skipped, empty lines and
     * comments passed over, the rest moved to the front.  It moves
     * strlen() bytes, not the NUL, so a line without a '\n' (the last, or
     * one cut short by a NUL byte) keeps bytes of its old tail: reproduced
     * here, not fixed, since that is what nss_files then parses.  */
    char *p = buf;
    while (is_space(*p))
        p++;
    if (*p == '\0' || *p == '#')
        return 0;
    if (p != buf)
        memmove(buf, p, strlen(p));

    /* LINE_PARSER: the line ends at the first '#' or '\n'.  */
    char *line = buf, *cut = strpbrk(line, "#\n");
    if (cut)
        *cut = '\0';
    memset(out, 0, sizeof *out);
    out->name = string_field(&line);
    if ((*why = port_field(&line, &out->port)))
        return 2;
    out->proto = string_field(&line);
    return alias_fields(line, out) < 0 ? -1 : 1;
}

static int add_line(struct services_file *sf, size_t *cap, const struct services_line *l,
                    char *text)
{
    if (sf->nlines == *cap) {
        size_t bigger = *cap ? *cap * 2 : 64;
        struct services_line *lines = reallocarray(sf->lines, bigger, sizeof *lines);
        char **texts = reallocarray(sf->text, bigger, sizeof *texts);
        if (lines)
            sf->lines = lines;
        if (texts)
            sf->text = texts;
        if (!lines || !texts)
            return -1;
        *cap = bigger;
    }
    sf->text[sf->nlines] = text;
    sf->lines[sf->nlines++] = *l;
    return 0;
}

int services_parse(const char *path, const void *data, size_t len, struct services_file *sf,
                   FILE *warn, char *err, size_t errlen)
{
    const char *p = data, *end = p + len;
    size_t cap = 0;
    unsigned lineno = 0;

    memset(sf, 0, sizeof *sf);
    sf->present = 1;
    sf->id.size = len;
    sf->id.hash = iana_file_hash(IANA_FILE_HASH_INIT, data, len);
    if (!(sf->path = strdup(path)))
        goto nomem;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
        char *buf = malloc(n + 1);
        struct services_line l;
        const char *why = NULL;
        if (!buf)
            goto nomem;
        memcpy(buf, p, n);
        lineno++;
        p += n;
        int rc = parse_line(buf, n, &l, &why);
        if (rc == 1) {
            l.line = lineno;
            if (add_line(sf, &cap, &l, buf) < 0) {
                free(l.aliases);
                free(buf);
                goto nomem;
            }
            continue;
        }
        free(buf);
        if (rc < 0)
            goto nomem;
        if (rc == 2) {
            sf->rejected++;
            if (warn)
                fprintf(warn, "%s:%u: warning: %s; glibc skips this line, and so does the "
                        "database\n", path, lineno, why);
        }
    }
    return 0;
nomem:
    seterr(err, errlen, "%s: %s", path, strerror(ENOMEM));
    services_free(sf);
    return -1;
}

static int same_identity(const struct stat *a, const struct stat *b)
{
    return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
           a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/* The whole file, and the identity it had while it was read: fstat before
 * and after must agree, or the file changed underfoot and is read again.  */
static int read_whole(const char *path, int fd, char **data, size_t *len, struct stat *sb,
                      char *err, size_t errlen)
{
    for (int attempt = 0; attempt < 5; attempt++) {
        struct stat after;
        size_t cap = 0, n = 0;
        char *buf = NULL;
        if (fstat(fd, sb) < 0 || lseek(fd, 0, SEEK_SET) < 0) {
            seterr(err, errlen, "%s: %s", path, strerror(errno));
            return -1;
        }
        if (!S_ISREG(sb->st_mode)) {
            seterr(err, errlen, "%s: not a regular file", path);
            return -1;
        }
        for (;;) {
            if (n == cap) {
                char *bigger = cap < SERVICES_MAX_BYTES ? realloc(buf, cap + 65536) : NULL;
                if (!bigger) {
                    seterr(err, errlen, "%s: %s", path,
                           cap < SERVICES_MAX_BYTES ? strerror(ENOMEM) : "file too large");
                    free(buf);
                    return -1;
                }
                buf = bigger;
                cap += 65536;
            }
            ssize_t got = read(fd, buf + n, cap - n);
            if (got < 0 && errno == EINTR)
                continue;
            if (got < 0) {
                seterr(err, errlen, "%s: %s", path, strerror(errno));
                free(buf);
                return -1;
            }
            if (got == 0)
                break;
            n += (size_t)got;
        }
        if (fstat(fd, &after) == 0 && same_identity(sb, &after) && (off_t)n == sb->st_size) {
            *data = buf;
            *len = n;
            return 0;
        }
        free(buf);
    }
    seterr(err, errlen, "%s: keeps changing while it is read", path);
    return -1;
}

int services_read(const char *path, struct services_file *sf, FILE *warn,
                  char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    memset(sf, 0, sizeof *sf);
    if (fd < 0 && errno == ENOENT) {
        if (!(sf->path = strdup(path))) {
            seterr(err, errlen, "%s: %s", path, strerror(ENOMEM));
            return -1;
        }
        return 0; /* present = 0: what the database records */
    }
    if (fd < 0) {
        seterr(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    char *data = NULL;
    size_t len = 0;
    struct stat sb;
    int rc = read_whole(path, fd, &data, &len, &sb, err, errlen);
    close(fd);
    if (rc == 0 && (rc = services_parse(path, data ? data : "", len, sf, warn, err, errlen)) == 0) {
        sf->id.dev = (uint64_t)sb.st_dev;
        sf->id.ino = (uint64_t)sb.st_ino;
        sf->id.mtime_sec = (int64_t)sb.st_mtim.tv_sec;
        sf->id.mtime_nsec = (uint32_t)sb.st_mtim.tv_nsec;
    }
    free(data);
    return rc;
}

void services_free(struct services_file *sf)
{
    for (size_t i = 0; i < sf->nlines; i++) {
        free(sf->lines[i].aliases);
        free(sf->text[i]);
    }
    free(sf->lines);
    free(sf->text);
    free(sf->path);
    memset(sf, 0, sizeof *sf);
}
