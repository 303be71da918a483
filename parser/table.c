/* IANA registry CSV -> records.  libcsv does the CSV; this file feeds it one
 * physical line at a time so every record knows the line it starts on, and
 * checks each field as it arrives.  */
#define _GNU_SOURCE
#include "table.h"

#include <csv.h>
#include <errno.h>
#include <fcntl.h>
#include <nettle/sha2.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_FIELDS 64

struct table_parse {
    const struct table_spec *spec;
    const char *path;
    struct table_text **text;
    struct table_rows *rows;
    unsigned line;            /* physical line being fed */
    unsigned record_line;     /* line the current record started on */
    int in_record;
    unsigned cr_line;         /* an unquoted CR here awaits its LF, or 0 */
    int have_header;
    int colmap[MAX_FIELDS];   /* CSV field index -> column, or -1 */
    size_t nheader;
    size_t nfield;            /* fields seen in the current record */
    char *field[MAX_FIELDS];
    char *empty;              /* the "" of every column a header lacks */
    int failed;
    char *err;
    size_t errlen;
};

/* One allocation per 64 KiB instead of one per field (the services
 * registry has some 170,000 fields; malloc and free were a fifth of a
 * compile).  */
struct table_text {
    struct table_text *next;
    size_t used, size;
    char bytes[];
};

char *table_text_dup(struct table_text **text, const char *s, size_t len)
{
    struct table_text *t = *text;
    if (!t || t->size - t->used < len + 1) {
        size_t size = len + 1 > 65536 ? len + 1 : 65536;
        if (!(t = malloc(sizeof *t + size)))
            return NULL;
        *t = (struct table_text){*text, 0, size};
        *text = t;
    }
    char *copy = memcpy(t->bytes + t->used, s, len);
    copy[len] = '\0';
    t->used += len + 1;
    return copy;
}

void table_text_free(struct table_text **text)
{
    for (struct table_text *t = *text, *next; t; t = next) {
        next = t->next;
        free(t);
    }
    *text = NULL;
}

void table_fail(struct table_parse *st, unsigned line, const char *fmt, ...)
{
    if (st->failed)
        return;
    st->failed = 1;
    int n = line ? snprintf(st->err, st->errlen, "%s:%u: ", st->path, line)
                 : snprintf(st->err, st->errlen, "%s: ", st->path);
    if (n < 0 || (size_t)n >= st->errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(st->err + n, st->errlen - (size_t)n, fmt, ap);
    va_end(ap);
}

/* Strict UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF).  */
static int utf8_valid(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned char c = s[i];
        size_t len;
        uint32_t cp;
        if (c < 0x80) {
            i++;
            continue;
        } else if (c >= 0xc2 && c <= 0xdf) {
            len = 2, cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            len = 3, cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            len = 4, cp = c & 0x07;
        } else {
            return 0;
        }
        if (n - i < len)
            return 0;
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return 0;
            cp = cp << 6 | (s[i + k] & 0x3f);
        }
        if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
            (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
            return 0;
        i += len;
    }
    return 1;
}

/* libcsv ends a record at a CR as at an LF.  A CR that is not the first
 * half of a CRLF would split a record in two (a description and a new
 * record from its second half) and would leave the line count behind it:
 * refuse it.  Inside quotes a CR is data.  */
static void stray_cr(struct table_parse *st)
{
    table_fail(st, st->cr_line, "stray carriage return: only LF or CRLF ends a record");
}

static void on_field(void *data, size_t len, void *ctx)
{
    struct table_parse *st = ctx;
    if (st->failed)
        return;
    if (st->cr_line) {
        stray_cr(st);
        return;
    }
    if (st->nfield >= MAX_FIELDS) {
        table_fail(st, st->record_line, "more than %d fields", MAX_FIELDS);
        return;
    }
    const char *s = data ? data : "";
    if (memchr(s, '\0', len)) {
        table_fail(st, st->record_line, "NUL byte in field %zu", st->nfield + 1);
        return;
    }
    if (!utf8_valid((const unsigned char *)s, len)) {
        table_fail(st, st->record_line, "invalid UTF-8 in field %zu", st->nfield + 1);
        return;
    }
    char *copy = table_text_dup(st->text, s, len);
    if (!copy) {
        table_fail(st, st->record_line, "%s", strerror(ENOMEM));
        return;
    }
    st->field[st->nfield++] = copy;
}

static void take_header(struct table_parse *st)
{
    const struct table_spec *spec = st->spec;
    st->nheader = st->nfield;
    for (size_t i = 0; i < st->nfield; i++) {
        st->colmap[i] = -1;
        for (unsigned c = 0; c < spec->ncolumns; c++) {
            if (strcmp(st->field[i], spec->columns[c]) != 0)
                continue;
            /* Taking the first of two and ignoring the other would be a
             * guess at which one the file's author meant.  */
            for (size_t k = 0; k < i; k++)
                if (st->colmap[k] == (int)c) {
                    table_fail(st, st->record_line, "duplicate header column \"%s\"",
                               spec->columns[c]);
                    return;
                }
            st->colmap[i] = (int)c;
        }
    }
    for (unsigned r = 0; r < spec->nrequired; r++) {
        int found = 0;
        for (size_t i = 0; i < st->nheader; i++)
            found |= st->colmap[i] == (int)spec->required[r];
        if (!found) {
            table_fail(st, st->record_line, "missing header column \"%s\"",
                       spec->columns[spec->required[r]]);
            return;
        }
    }
    st->have_header = 1;
}

static void take_record(struct table_parse *st)
{
    /* Fewer fields is as wrong as more: a record that lost its tail (a
     * download cut short) must not be served as if its columns were empty.  */
    if (st->nfield != st->nheader) {
        table_fail(st, st->record_line, "%zu fields, but the header has %zu",
                   st->nfield, st->nheader);
        return;
    }
    const struct table_spec *spec = st->spec;
    struct table_rows *rs = st->rows;
    if (rs->nrows == rs->cap) {
        size_t cap = rs->cap ? rs->cap * 2 : spec->first_rows;
        void *rows = reallocarray(rs->rows, cap, spec->row_size);
        if (!rows) {
            table_fail(st, st->record_line, "%s", strerror(ENOMEM));
            return;
        }
        rs->rows = rows;
        rs->cap = cap;
    }
    char *row = (char *)rs->rows + rs->nrows++ * spec->row_size;
    char *col[TABLE_MAX_COLUMNS];
    for (unsigned c = 0; c < spec->ncolumns; c++)
        col[c] = st->empty;
    for (size_t i = 0; i < st->nfield; i++)
        if (st->colmap[i] >= 0)
            col[st->colmap[i]] = st->field[i];
    memset(row, 0, spec->row_size);
    memcpy(row + spec->line_at, &st->record_line, sizeof st->record_line);
    memcpy(row + spec->col_at, col, spec->ncolumns * sizeof col[0]);
    spec->check(st, row);
}

/* With CSV_REPALL_NL this is called for every unquoted CR and LF, also
 * those that end no record (no fields: a blank line, the LF of a CRLF).
 * A record ended by a CR is kept until its LF says the CR was no stray.  */
static void on_record(int term, void *ctx)
{
    struct table_parse *st = ctx;
    if (st->cr_line) {
        if (term != '\n')
            stray_cr(st);
        st->cr_line = 0;
    } else if (term == '\r') {
        st->cr_line = st->line;
        return;
    }
    if (st->nfield == 0) {
        st->in_record = 0;
        return;
    }
    /* csv_fini() ending a record the bytes did not: IANA's files end in
     * a line end, so this is a file cut short, and its last record may
     * have lost fields or the end of one.  */
    if (term == -1)
        table_fail(st, st->record_line, "cut short: the last record has no line end");
    if (!st->failed) {
        if (!st->have_header)
            take_header(st);
        else
            take_record(st);
    }
    st->nfield = 0; /* the fields' bytes stay in the text until it is freed */
    st->in_record = 0;
}

int table_parse(const struct table_spec *spec, const char *path, const void *data,
                size_t len, struct table_text **text, struct table_rows *rows, char *err,
                size_t errlen)
{
    struct table_parse st = {.spec = spec, .path = path, .text = text, .rows = rows,
                             .err = err, .errlen = errlen};
    struct csv_parser csv;
    const unsigned char *p = data, *end = p + len;

    if (err && errlen)
        err[0] = '\0';
    if (spec->ncolumns > TABLE_MAX_COLUMNS) {
        table_fail(&st, 0, "%u columns, more than a table has", spec->ncolumns);
        return -1;
    }
    if (len == 0) {
        table_fail(&st, 0, "empty file");
        return -1;
    }
    if (!(st.empty = table_text_dup(text, "", 0))) {
        table_fail(&st, 0, "%s", strerror(ENOMEM));
        return -1;
    }
    if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
        p += 3;
    if (csv_init(&csv, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL | CSV_REPALL_NL) != 0) {
        table_fail(&st, 0, "%s", strerror(ENOMEM));
        return -1;
    }
    while (p < end && !st.failed) {
        const unsigned char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
        st.line++;
        /* The line that holds the first byte past the limit, whether it
         * is all there (a file) or cut where table_slurp stopped reading
         * (a pipe): the same message either way, and never a table whose
         * last record the limit cut short.  */
        if ((size_t)(p - (const unsigned char *)data) + n > spec->max_bytes) {
            table_fail(&st, st.line, "file too large: over %zu MiB, not %s",
                       spec->max_bytes >> 20, spec->what);
            break;
        }
        if (!st.in_record && !(n == 1 || (n == 2 && p[0] == '\r'))) {
            st.in_record = 1;
            st.record_line = st.line;
        }
        if (csv_parse(&csv, p, n, on_field, on_record, &st) != n)
            table_fail(&st, st.record_line, "%s", csv_error(&csv) == CSV_EPARSE
                                                      ? "malformed quoting: a stray '\"' in a field"
                                                      : csv_strerror(csv_error(&csv)));
        p += n;
    }
    /* A CR as the last byte: a CRLF file cut between its CR and LF.  */
    if (!st.failed && st.cr_line)
        table_fail(&st, st.nfield ? st.record_line : st.cr_line,
                   "cut short: the last record has no line end");
    if (!st.failed && csv_fini(&csv, on_field, on_record, &st) != 0)
        table_fail(&st, st.record_line, "%s", csv_error(&csv) == CSV_EPARSE
                                                  ? "unterminated quoted field"
                                                  : csv_strerror(csv_error(&csv)));
    /* Blanks after the last line end: libcsv trims them to no field and no
     * record at all, but they are the start of a line the file lost.  */
    if (!st.failed && st.have_header && end[-1] != '\n')
        table_fail(&st, st.line, "cut short: the last record has no line end");
    csv_free(&csv);
    if (!st.failed && !st.have_header)
        table_fail(&st, 0, "no header row");
    return st.failed ? -1 : 0;
}

static int slurp(const char *path, size_t max_bytes, bool stream, char **out, size_t *outlen,
                 char *err, size_t errlen)
{
    /* O_NONBLOCK: a FIFO opens at once, with no writer, and is refused
     * below instead of blocking the writer (and its lock) for ever.  */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | (stream ? 0 : O_NONBLOCK));
    struct stat sb;
    *out = NULL;
    *outlen = 0;
    if (fd < 0 || fstat(fd, &sb) < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    if (!stream && !S_ISREG(sb.st_mode)) {
        snprintf(err, errlen, "%s: not a regular file (%s): a registry must be a file that "
                              "can be read again", path,
                 S_ISFIFO(sb.st_mode) ? "a FIFO" : S_ISDIR(sb.st_mode) ? "a directory"
                 : S_ISCHR(sb.st_mode) || S_ISBLK(sb.st_mode) ? "a device" : "a socket");
        close(fd);
        return -1;
    }
    if (!stream && fcntl(fd, F_SETFL, 0) < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    size_t cap = 0, len = 0;
    char *buf = NULL;
    ssize_t n = 0;
    for (;;) {
        if (len == cap) {
            size_t want = len + (sb.st_size > 0 ? (size_t)sb.st_size : 0) + 65536;
            char *bigger = realloc(buf, want);
            if (!bigger) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = bigger;
            cap = want;
        }
        if ((n = read(fd, buf + len, cap - len)) < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        len += (size_t)n;
        if (len > max_bytes)
            break; /* a byte past the limit: table_parse refuses it */
    }
    int saved = buf ? errno : ENOMEM;
    close(fd);
    if (!buf || n < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(saved));
        free(buf);
        return -1;
    }
    *out = buf;
    *outlen = len;
    return 0;
}

int table_parse_registry(const struct table_spec *spec, const char *path, const void *data,
                         size_t len, char **path_copy, uint8_t sha256[32],
                         struct table_text **text, struct table_rows *rows, char *err,
                         size_t errlen)
{
    if (!(*path_copy = strdup(path))) {
        snprintf(err, errlen, "%s: %s", path, strerror(ENOMEM));
        return -1;
    }
    table_sha256(data, len, sha256);
    return table_parse(spec, path, data, len, text, rows, err, errlen);
}

int table_slurp(const char *path, size_t max_bytes, char **out, size_t *outlen, char *err,
                size_t errlen)
{
    return slurp(path, max_bytes, false, out, outlen, err, errlen);
}

int table_slurp_stream(const char *path, size_t max_bytes, char **out, size_t *outlen,
                       char *err, size_t errlen)
{
    return slurp(path, max_bytes, true, out, outlen, err, errlen);
}

void table_sha256(const void *data, size_t len, uint8_t out[32])
{
    struct sha256_ctx sha;
    sha256_init(&sha);
    sha256_update(&sha, len, data);
    sha256_digest(&sha, SHA256_DIGEST_SIZE, out);
}

const char *table_name_problem(const char *name)
{
    const unsigned char *s = (const unsigned char *)name;
    if (!*s)
        return "is empty";
    for (; *s; s++)
        if (*s < 0x21 || *s > 0x7e || *s == '#')
            return "is not a single printable-ASCII token";
#define STR_(x) #x
#define STR(x) STR_(x)
    if ((const char *)s - name > TABLE_MAX_NAME)
        return "is longer than " STR(TABLE_MAX_NAME) " characters";
    return NULL;
}
