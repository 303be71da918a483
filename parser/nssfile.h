/* What glibc's nss_files does to a file before and around its per-database
 * line parser (nss/nss_readline.c, nss/nss_files/files-parse.c), shared by
 * the readers of /etc/services (services.c) and /etc/protocols
 * (protocols_file.c), so that both keep the same quirks from one place:
 *   - the file is read whole, with the identity fstat gave it while it was
 *     read (to tell later whether it changed) and its hash;
 *   - it is cut into physical lines at '\n' (fgets), the '\n' kept;
 *   - __nss_readline's step: leading white space skipped, blank lines and
 *     comments passed over, the rest moved to the front by strlen() bytes,
 *     without the NUL, so a line without a '\n' (the last one, or one cut
 *     short by a NUL byte) keeps bytes of its old tail;
 *   - files-parse.c's STRING_FIELD and its trailing list (the aliases).
 * White space is isspace() in every locale glibc ships: six ASCII bytes.  */
#ifndef NSS_IANA_PARSER_NSSFILE_H
#define NSS_IANA_PARSER_NSSFILE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* What identifies the file that was read: as fstat saw it before the bytes
 * were read, and their hash.  */
struct nssfile_id {
    uint64_t dev, ino, size;
    int64_t mtime_sec;
    uint32_t mtime_nsec;
    uint64_t hash;            /* iana_file_hash of the bytes (vocab.h) */
};

static inline int nssfile_is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

/* PATH's bytes (malloc'd, *data NULL when empty) and identity.  A missing
 * file (ENOENT) is not an error: returns 0 with *present = 0.  Returns 0,
 * or -1 with "PATH: message" in err (unreadable, not a regular file, over
 * max bytes, changing while it is read, out of memory).  */
int nssfile_load(const char *path, size_t max, char **data, size_t *len, struct nssfile_id *id,
                 int *present, char *err, size_t errlen);

/* The next physical line of [*p, end): its length with its '\n' if it has
 * one; *p moves past it.  0 at the end.  */
size_t nssfile_next_line(const char **p, const char *end);

/* __nss_readline's step on one physical line, `len` bytes of `buf` (which
 * has room for a NUL after them).  Returns 0 for a line without an entry
 * (blank, comment); else 1, with the line in buf as nss_files' line parser
 * receives it.  */
int nssfile_readline(char *buf, size_t len);

/* STRING_FIELD (terminator isspace, swallowing): the field at *linep, cut
 * off at the next white space, which is skipped with the white space after
 * it.  */
char *nssfile_string_field(char **linep);

/* The trailing list: the rest of the line split at white space, as
 * pointers into it (malloc'd; *n of them).  Returns 0, or -1 when out of
 * memory.  */
int nssfile_list(char *line, const char ***list, size_t *n);

/* nss_files' line parser for one database, as libc exports it
 * (_nss_files_parse_servent, _nss_files_parse_protoent: GLIBC_PRIVATE, in
 * libc.so.6 since glibc 2.34, in libnss_files.so.2 before), or NULL.  */
void *nssfile_libc_parser(const char *symbol);

/* That parser, if it is there and works() says it reads a plain line as
 * nss_files does; NULL otherwise.  Looked up once per probe: the tool is
 * single threaded, and so are the tests and fuzzers that call this.  */
struct nssfile_parser_probe {
    const char *symbol;
    int (*works)(void *parser);
    int looked;
    void *parser;
};
void *nssfile_probed_parser(struct nssfile_parser_probe *probe);

/* A line as services.c and protocols_file.c keep it begins so (struct
 * services_line, struct protocols_line): the aliases are malloc'd.  */
struct nssfile_line {
    unsigned line;            /* physical line, from 1 */
    const char *name;
    const char **aliases;
    size_t nalias;
};

/* A file's lines: the fields of struct services_file and struct
 * protocols_file, whose `lines` have their own type; NSSFILE_MOVE copies
 * them from one to the other.  */
struct nssfile {
    char *path;               /* as given */
    int present;              /* 0: there was no such file (ENOENT) */
    struct nssfile_id id;     /* to tell later whether it changed */
    void *lines;              /* file order, line_size bytes each */
    size_t nlines;
    size_t rejected;          /* lines with an entry that nss_files skips */
    unsigned nphys;           /* physical lines read */
    char **text;              /* per line: the buffer its strings live in */
};
#define NSSFILE_MOVE(dst, src)                                                 \
    ((dst)->path = (src).path, (dst)->present = (src).present, (dst)->id = (src).id, \
     (dst)->lines = (src).lines, (dst)->nlines = (src).nlines,                 \
     (dst)->rejected = (src).rejected, (dst)->nphys = (src).nphys, (dst)->text = (src).text)

/* How one database's lines are read: the size of its line struct (at
 * most NSSFILE_MAX_LINE_SIZE, beginning as struct nssfile_line), the
 * file's limit, and its line parser, which runs after __nss_readline's
 * step on a line with something on it: 1 with *line filled, 2 for a line
 * nss_files rejects (*why says why), -1 when out of memory.  That parser
 * is ours (parse, by the rules of glibc's files-*.c), or libc's own where
 * glibc() finds one to use: call() runs it on buf with `data` for its
 * pointers and, on 1, fills *line but for the aliases, which it returns
 * in *aliases (parse then says why a line libc rejects is rejected).  */
#define NSSFILE_MAX_LINE_SIZE 128
struct nssfile_reader {
    size_t line_size;
    size_t max_bytes;
    int (*parse)(char *buf, void *line, const char **why);
    void *(*glibc)(void);
    int (*call)(void *parser, char *buf, void *line, char ***aliases, void *data,
                size_t datalen);
};

/* The bytes of PATH, line by line as nss_files reads them: each
 * physical line copied, put through nssfile_readline and r->parse, kept
 * (with its copy) when it has an entry; a rejected line counted and said
 * on `warn` ("FILE:LINE: warning: WHY; glibc skips this line, and so does
 * the database") unless it is NULL.  Returns 0, or -1 with "FILE:
 * message" in err and *f freed.  */
int nssfile_parse(const struct nssfile_reader *r, const char *path, const void *data,
                  size_t len, struct nssfile *f, FILE *warn, char *err, size_t errlen);
/* The same for the file at PATH (nssfile_load): a missing one is not an
 * error (present = 0, no lines).  */
int nssfile_read(const struct nssfile_reader *r, const char *path, struct nssfile *f,
                 FILE *warn, char *err, size_t errlen);
/* Frees the lines, their aliases and copies, and the path; zeroes *f.  */
void nssfile_free(struct nssfile *f, size_t line_size);

#endif
