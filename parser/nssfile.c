/* The steps nss_files takes with every file it reads: see nssfile.h.  */
#define _GNU_SOURCE
#include "nssfile.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../vocab.h"

__attribute__((format(printf, 3, 4)))
static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static int same_identity(const struct stat *a, const struct stat *b)
{
    return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
           a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/* The whole file, and the identity it had while it was read: fstat before
 * and after must agree, or the file changed underfoot and is read again.  */
static int read_whole(const char *path, int fd, size_t max, char **data, size_t *len,
                      struct stat *sb, char *err, size_t errlen)
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
                char *bigger = cap < max ? realloc(buf, cap + 65536) : NULL;
                if (!bigger) {
                    seterr(err, errlen, "%s: %s", path,
                           cap < max ? strerror(ENOMEM) : "file too large");
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

void *nssfile_libc_parser(const char *symbol)
{
    void *fn = dlsym(RTLD_DEFAULT, symbol);
    if (!fn) {
        /* Kept open: the parser is used for as long as the process runs.  */
        void *h = dlopen("libnss_files.so.2", RTLD_LAZY | RTLD_LOCAL);
        fn = h ? dlsym(h, symbol) : NULL;
        if (h && !fn)
            dlclose(h);
    }
    return fn;
}

int nssfile_load(const char *path, size_t max, char **data, size_t *len, struct nssfile_id *id,
                 int *present, char *err, size_t errlen)
{
    *data = NULL;
    *len = 0;
    *present = 0;
    memset(id, 0, sizeof *id);
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0 && errno == ENOENT)
        return 0;
    if (fd < 0) {
        seterr(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    struct stat sb;
    int rc = read_whole(path, fd, max, data, len, &sb, err, errlen);
    close(fd);
    if (rc < 0)
        return -1;
    *present = 1;
    id->dev = (uint64_t)sb.st_dev;
    id->ino = (uint64_t)sb.st_ino;
    id->size = *len;
    id->mtime_sec = (int64_t)sb.st_mtim.tv_sec;
    id->mtime_nsec = (uint32_t)sb.st_mtim.tv_nsec;
    id->hash = iana_file_hash(IANA_FILE_HASH_INIT, *data ? *data : "", *len);
    return 0;
}

size_t nssfile_next_line(const char **p, const char *end)
{
    if (*p >= end)
        return 0;
    const char *nl = memchr(*p, '\n', (size_t)(end - *p));
    size_t n = nl ? (size_t)(nl - *p) + 1 : (size_t)(end - *p);
    *p += n;
    return n;
}

int nssfile_readline(char *buf, size_t len)
{
    buf[len] = '\0';
    char *p = buf;
    while (nssfile_is_space(*p))
        p++;
    if (*p == '\0' || *p == '#')
        return 0;
    /* strlen(p) bytes, not the NUL: the quirk kept (see nssfile.h).  */
    if (p != buf)
        memmove(buf, p, strlen(p));
    return 1;
}

char *nssfile_string_field(char **linep)
{
    char *field = *linep, *line = field;
    while (*line && !nssfile_is_space(*line))
        line++;
    if (*line) {
        *line = '\0';
        do
            line++;
        while (nssfile_is_space(*line));
    }
    *linep = line;
    return field;
}

int nssfile_list(char *line, const char ***listp, size_t *np)
{
    size_t max = strlen(line) / 2 + 1, n = 0;
    const char **list = malloc(max * sizeof *list);
    if (!list)
        return -1;
    while (*line) {
        while (nssfile_is_space(*line))
            line++;
        char *elt = line;
        while (*line && !nssfile_is_space(*line))
            line++;
        if (line > elt)
            list[n++] = elt;
        if (*line)
            *line++ = '\0';
    }
    *listp = list;
    *np = n;
    return 0;
}

void *nssfile_probed_parser(struct nssfile_parser_probe *probe)
{
    if (!probe->looked) {
        probe->looked = 1;
        void *cand = nssfile_libc_parser(probe->symbol);
        probe->parser = cand && probe->works(cand) ? cand : NULL;
    }
    return probe->parser;
}

static char *line_at(const struct nssfile *f, size_t line_size, size_t i)
{
    return (char *)f->lines + i * line_size;
}

/* A line's aliases, read as bytes: the line is the reader's own struct.  */
static void free_aliases(const void *line)
{
    const char **aliases;
    memcpy(&aliases, (const char *)line + offsetof(struct nssfile_line, aliases), sizeof aliases);
    free(aliases);
}

static int add_line(struct nssfile *f, size_t line_size, size_t *cap, const void *line,
                    char *text)
{
    if (f->nlines == *cap) {
        size_t bigger = *cap ? *cap * 2 : 64;
        void *lines = reallocarray(f->lines, bigger, line_size);
        char **texts = reallocarray(f->text, bigger, sizeof *texts);
        if (lines)
            f->lines = lines;
        if (texts)
            f->text = texts;
        if (!lines || !texts)
            return -1;
        *cap = bigger;
    }
    f->text[f->nlines] = text;
    memcpy(line_at(f, line_size, f->nlines++), line, line_size);
    return 0;
}

/* A line through libc's parser `fn` (struct nssfile_reader).  */
static int parse_with_glibc(const struct nssfile_reader *r, void *fn, char *buf, void *line,
                            const char **why)
{
    /* Room for the pointers of every alias the line could have.  */
    size_t n = strlen(buf);
    size_t datalen = (n / 2 + 4) * sizeof(char *);
    void *data = malloc(datalen);
    char *copy = strdup(buf); /* the line before glibc's parser cuts it up */
    char **aliases = NULL;
    if (!data || !copy) {
        free(data);
        free(copy);
        return -1;
    }
    int rc = r->call(fn, buf, line, &aliases, data, datalen);
    if (rc != 1) {
        free(data);
        /* Ours says why.  */
        _Alignas(max_align_t) unsigned char ours[NSSFILE_MAX_LINE_SIZE] = {0};
        if (rc > 0 || r->parse(copy, ours, why) != 2)
            *why = "rejected by this glibc's nss_files";
        free_aliases(ours);
        free(copy);
        return rc < 0 ? -1 : 2;
    }
    free(copy);
    size_t nalias = 0;
    while (aliases[nalias])
        nalias++;
    const char **list = malloc((nalias + 1) * sizeof *list);
    if (list)
        memcpy(list, aliases, nalias * sizeof *list);
    memcpy((char *)line + offsetof(struct nssfile_line, aliases), &list, sizeof list);
    memcpy((char *)line + offsetof(struct nssfile_line, nalias), &nalias, sizeof nalias);
    free(data);
    return list ? 1 : -1;
}

int nssfile_parse(const struct nssfile_reader *r, const char *path, const void *data,
                  size_t len, struct nssfile *f, FILE *warn, char *err, size_t errlen)
{
    const char *p = data, *end = p + len;
    size_t cap = 0;
    unsigned lineno = 0;
    _Alignas(max_align_t) unsigned char line[NSSFILE_MAX_LINE_SIZE];

    memset(f, 0, sizeof *f);
    f->present = 1;
    f->id.size = len;
    f->id.hash = iana_file_hash(IANA_FILE_HASH_INIT, data, len);
    if (r->line_size > sizeof line || !(f->path = strdup(path)))
        goto nomem;
    while (p < end) {
        const char *start = p;
        size_t n = nssfile_next_line(&p, end);
        char *buf = malloc(n + 1);
        const char *why = NULL;
        if (!buf)
            goto nomem;
        memcpy(buf, start, n);
        lineno++;
        int rc = 0;
        if (nssfile_readline(buf, n)) {
            void *fn = r->glibc ? r->glibc() : NULL;
            rc = fn ? parse_with_glibc(r, fn, buf, line, &why) : r->parse(buf, line, &why);
        }
        if (rc == 1) {
            memcpy(line + offsetof(struct nssfile_line, line), &lineno, sizeof lineno);
            if (add_line(f, r->line_size, &cap, line, buf) < 0) {
                free_aliases(line);
                free(buf);
                goto nomem;
            }
            continue;
        }
        free(buf);
        if (rc < 0)
            goto nomem;
        if (rc == 2) {
            f->rejected++;
            if (warn)
                fprintf(warn, "%s:%u: warning: %s; glibc skips this line, and so does the "
                        "database\n", path, lineno, why);
        }
    }
    f->nphys = lineno;
    return 0;
nomem:
    seterr(err, errlen, "%s: %s", path, strerror(ENOMEM));
    nssfile_free(f, r->line_size);
    return -1;
}

int nssfile_read(const struct nssfile_reader *r, const char *path, struct nssfile *f,
                 FILE *warn, char *err, size_t errlen)
{
    char *data;
    size_t len;
    struct nssfile_id id;
    int present;
    memset(f, 0, sizeof *f);
    if (nssfile_load(path, r->max_bytes, &data, &len, &id, &present, err, errlen) < 0)
        return -1;
    if (!present) {
        if (!(f->path = strdup(path))) {
            seterr(err, errlen, "%s: %s", path, strerror(ENOMEM));
            return -1;
        }
        return 0; /* present = 0: what the database records */
    }
    int rc = nssfile_parse(r, path, data ? data : "", len, f, warn, err, errlen);
    if (rc == 0)
        f->id = id;
    free(data);
    return rc;
}

void nssfile_free(struct nssfile *f, size_t line_size)
{
    for (size_t i = 0; i < f->nlines; i++) {
        free_aliases(line_at(f, line_size, i));
        free(f->text[i]);
    }
    free(f->lines);
    free(f->text);
    free(f->path);
    memset(f, 0, sizeof *f);
}
