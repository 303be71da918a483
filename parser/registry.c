/* IANA registry CSV -> rows.  libcsv does the CSV; this file feeds it one
 * physical line at a time so every record knows the line it starts on, and
 * checks each field as it arrives.  */
#define _GNU_SOURCE
#include "registry.h"

#include <csv.h>
#include <errno.h>
#include <fcntl.h>
#include <nettle/sha2.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const column_names[NCOLUMNS] = {
    [COL_NAME] = "Service Name",
    [COL_PORT] = "Port Number",
    [COL_PROTO] = "Transport Protocol",
    [COL_DESCRIPTION] = "Description",
    [COL_ASSIGNEE] = "Assignee",
    [COL_CONTACT] = "Contact",
    [COL_REGISTERED] = "Registration Date",
    [COL_MODIFIED] = "Modification Date",
    [COL_REFERENCE] = "Reference",
    [COL_NOTES] = "Assignment Notes",
};

/* Columns without which the file is not the port registry.  */
static const enum registry_column required[] = {COL_NAME, COL_PORT, COL_PROTO};

#define MAX_FIELDS 64

struct parse_state {
    const char *path;
    struct registry *reg;
    size_t cap;
    unsigned line;            /* physical line being fed */
    unsigned record_line;     /* line the current record started on */
    int in_record;
    unsigned cr_line;         /* an unquoted CR here awaits its LF, or 0 */
    int have_header;
    int colmap[MAX_FIELDS];   /* CSV field index -> column, or -1 */
    size_t nheader;
    size_t nfield;            /* fields seen in the current record */
    char *field[MAX_FIELDS];
    int failed;
    char *err;
    size_t errlen;
};

/* The rows' strings, copied into blocks that are freed together: one
 * allocation per 64 KiB instead of one per field (a registry has some
 * 170,000 fields; malloc and free were a fifth of a compile).  */
struct registry_text {
    struct registry_text *next;
    size_t used, size;
    char bytes[];
};

static char *text_dup(struct registry *reg, const char *s, size_t len)
{
    struct registry_text *t = reg->text;
    if (!t || t->size - t->used < len + 1) {
        size_t size = len + 1 > 65536 ? len + 1 : 65536;
        if (!(t = malloc(sizeof *t + size)))
            return NULL;
        *t = (struct registry_text){reg->text, 0, size};
        reg->text = t;
    }
    char *copy = memcpy(t->bytes + t->used, s, len);
    copy[len] = '\0';
    t->used += len + 1;
    return copy;
}

__attribute__((format(printf, 3, 4)))
static void fail(struct parse_state *st, unsigned line, const char *fmt, ...)
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

static int parse_port(const char *s, uint16_t *out)
{
    unsigned long v = 0;
    if (!*s || strlen(s) > 5)
        return -1;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        v = v * 10 + (unsigned long)(*s - '0');
    }
    if (v > 65535)
        return -1;
    *out = (uint16_t)v;
    return 0;
}

static int parse_proto(const char *s)
{
    static const char *const names[IANA_NPROTO] = {"tcp", "udp", "sctp", "dccp"};
    if (!*s)
        return PROTO_BLANK;
    for (int p = 0; p < IANA_NPROTO; p++)
        if (iana_ascii_caseeq(s, names[p]))
            return p;
    return -2;
}

static void check_row(struct parse_state *st, struct registry_row *row)
{
    const char *port = row->col[COL_PORT];
    if (*port) {
        char lo[8], *dash = strchr(port, '-');
        size_t n = dash ? (size_t)(dash - port) : strlen(port);
        if (n >= sizeof lo) {
            fail(st, row->line, "bad port number \"%s\"", port);
            return;
        }
        memcpy(lo, port, n);
        lo[n] = '\0';
        if (parse_port(lo, &row->port_lo) < 0 ||
            parse_port(dash ? dash + 1 : lo, &row->port_hi) < 0) {
            fail(st, row->line, "bad port number \"%s\"", port);
            return;
        }
        if (row->port_hi < row->port_lo) {
            fail(st, row->line, "reversed port range \"%s\"", port);
            return;
        }
        row->has_port = 1;
    }
    row->proto = parse_proto(row->col[COL_PROTO]);
    if (row->proto == -2)
        fail(st, row->line, "unknown transport protocol \"%s\"", row->col[COL_PROTO]);
}

/* libcsv ends a record at a CR as at an LF.  A CR that is not the first
 * half of a CRLF would split a record in two (a description and a new,
 * port-less name from its second half) and would leave the line count
 * behind it: refuse it.  Inside quotes a CR is data.  */
static void stray_cr(struct parse_state *st)
{
    fail(st, st->cr_line, "stray carriage return: only LF or CRLF ends a record");
}

static void on_field(void *data, size_t len, void *ctx)
{
    struct parse_state *st = ctx;
    if (st->failed)
        return;
    if (st->cr_line) {
        stray_cr(st);
        return;
    }
    if (st->nfield >= MAX_FIELDS) {
        fail(st, st->record_line, "more than %d fields", MAX_FIELDS);
        return;
    }
    const char *s = data ? data : "";
    if (memchr(s, '\0', len)) {
        fail(st, st->record_line, "NUL byte in field %zu", st->nfield + 1);
        return;
    }
    if (!utf8_valid((const unsigned char *)s, len)) {
        fail(st, st->record_line, "invalid UTF-8 in field %zu", st->nfield + 1);
        return;
    }
    char *copy = text_dup(st->reg, s, len);
    if (!copy) {
        fail(st, st->record_line, "%s", strerror(ENOMEM));
        return;
    }
    st->field[st->nfield++] = copy;
}

static void drop_fields(struct parse_state *st)
{
    st->nfield = 0; /* their bytes stay in the registry's text until it is freed */
}

static void take_header(struct parse_state *st)
{
    st->nheader = st->nfield;
    for (size_t i = 0; i < st->nfield; i++) {
        st->colmap[i] = -1;
        for (int c = 0; c < NCOLUMNS; c++) {
            if (strcmp(st->field[i], column_names[c]) != 0)
                continue;
            /* Taking the first of two and ignoring the other would be a
             * guess at which one the file's author meant.  */
            for (size_t k = 0; k < i; k++)
                if (st->colmap[k] == c) {
                    fail(st, st->record_line, "duplicate header column \"%s\"",
                         column_names[c]);
                    return;
                }
            st->colmap[i] = c;
        }
    }
    for (size_t r = 0; r < sizeof required / sizeof required[0]; r++) {
        int found = 0;
        for (size_t i = 0; i < st->nheader; i++)
            found |= st->colmap[i] == (int)required[r];
        if (!found) {
            fail(st, st->record_line, "missing header column \"%s\"",
                 column_names[required[r]]);
            return;
        }
    }
    st->have_header = 1;
}

static void take_row(struct parse_state *st)
{
    /* Fewer fields is as wrong as more: a row that lost its tail (a
     * download cut short) must not be served as if its columns were empty.  */
    if (st->nfield != st->nheader) {
        fail(st, st->record_line, "%zu fields, but the header has %zu",
             st->nfield, st->nheader);
        return;
    }
    struct registry *reg = st->reg;
    if (reg->nrows == st->cap) {
        size_t cap = st->cap ? st->cap * 2 : 1024;
        struct registry_row *rows = reallocarray(reg->rows, cap, sizeof *rows);
        if (!rows) {
            fail(st, st->record_line, "%s", strerror(ENOMEM));
            return;
        }
        reg->rows = rows;
        st->cap = cap;
    }
    struct registry_row *row = &reg->rows[reg->nrows];
    memset(row, 0, sizeof *row);
    row->line = st->record_line;
    for (size_t i = 0; i < st->nfield; i++) {
        int c = st->colmap[i];
        if (c >= 0 && !row->col[c]) {
            row->col[c] = st->field[i];
            st->field[i] = NULL;
        }
    }
    reg->nrows++;
    for (int c = 0; c < NCOLUMNS; c++) {
        if (!row->col[c] && !(row->col[c] = text_dup(reg, "", 0))) {
            fail(st, st->record_line, "%s", strerror(ENOMEM));
            return;
        }
    }
    check_row(st, row);
}

/* With CSV_REPALL_NL this is called for every unquoted CR and LF, also
 * those that end no record (no fields: a blank line, the LF of a CRLF).
 * A record ended by a CR is kept until its LF says the CR was no stray.  */
static void on_record(int term, void *ctx)
{
    struct parse_state *st = ctx;
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
    /* csv_fini() ending a record the bytes did not: IANA's file ends in
     * CRLF and an LF copy in LF, so this is a file cut short, and its last
     * row may have lost fields or the end of one.  */
    if (term == -1)
        fail(st, st->record_line, "cut short: the last record has no line end");
    if (!st->failed) {
        if (!st->have_header)
            take_header(st);
        else
            take_row(st);
    }
    drop_fields(st);
    st->in_record = 0;
}

int registry_parse(const char *path, const void *data, size_t len,
                   struct registry *reg, char *err, size_t errlen)
{
    struct parse_state st = {.path = path, .reg = reg, .err = err, .errlen = errlen};
    struct csv_parser csv;
    const unsigned char *p = data, *end = p + len;

    memset(reg, 0, sizeof *reg);
    if (err && errlen)
        err[0] = '\0';
    if (!(reg->path = strdup(path)))
        return -1;
    {
        struct sha256_ctx sha;
        sha256_init(&sha);
        sha256_update(&sha, len, data);
        sha256_digest(&sha, sizeof reg->sha256, reg->sha256);
    }
    if (len == 0) {
        fail(&st, 0, "empty file");
        return -1;
    }
    if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
        p += 3;
    if (csv_init(&csv, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL | CSV_REPALL_NL) != 0) {
        fail(&st, 0, "%s", strerror(ENOMEM));
        return -1;
    }
    while (p < end && !st.failed) {
        const unsigned char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
        st.line++;
        /* The line that holds the first byte past the limit, whether it
         * is all there (a file) or cut where registry_read stopped reading
         * (a pipe): the same message either way, and never a registry
         * whose last row the limit cut short.  */
        if ((size_t)(p - (const unsigned char *)data) + n > REGISTRY_MAX_BYTES) {
            fail(&st, st.line, "file too large: over %u MiB, not a port registry",
                 REGISTRY_MAX_BYTES >> 20);
            break;
        }
        if (!st.in_record && !(n == 1 || (n == 2 && p[0] == '\r'))) {
            st.in_record = 1;
            st.record_line = st.line;
        }
        if (csv_parse(&csv, p, n, on_field, on_record, &st) != n)
            fail(&st, st.record_line, "%s", csv_error(&csv) == CSV_EPARSE
                                                ? "malformed quoting: a stray '\"' in a field"
                                                : csv_strerror(csv_error(&csv)));
        p += n;
    }
    /* A CR as the last byte: a CRLF file cut between its CR and LF.  */
    if (!st.failed && st.cr_line)
        fail(&st, st.nfield ? st.record_line : st.cr_line,
             "cut short: the last record has no line end");
    if (!st.failed && csv_fini(&csv, on_field, on_record, &st) != 0)
        fail(&st, st.record_line, "%s", csv_error(&csv) == CSV_EPARSE
                                            ? "unterminated quoted field"
                                            : csv_strerror(csv_error(&csv)));
    drop_fields(&st);
    csv_free(&csv);
    if (!st.failed && !st.have_header)
        fail(&st, 0, "no header row");
    return st.failed ? -1 : 0;
}

int registry_read(const char *path, struct registry *reg, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat sb;
    if (fd < 0 || fstat(fd, &sb) < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        memset(reg, 0, sizeof *reg);
        if (fd >= 0)
            close(fd);
        return -1;
    }
    size_t cap = 0, len = 0;
    char *buf = NULL;
    ssize_t n = 0;
    /* Read to EOF rather than trusting st_size: pipes and /proc say 0.  */
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
        if ((n = read(fd, buf + len, cap - len)) <= 0)
            break;
        len += (size_t)n;
        if (len > REGISTRY_MAX_BYTES)
            break; /* a byte past the limit: registry_parse refuses it */
    }
    int saved = buf ? errno : ENOMEM;
    close(fd);
    if (!buf || n < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(saved));
        free(buf);
        memset(reg, 0, sizeof *reg);
        return -1;
    }
    int rc = registry_parse(path, buf, len, reg, err, errlen);
    free(buf);
    return rc;
}

const char *registry_newest_date(const struct registry *reg)
{
    const char *newest = "";
    for (size_t i = 0; i < reg->nrows; i++)
        for (int c = COL_REGISTERED; c <= COL_MODIFIED; c++)
            if (strcmp(reg->rows[i].col[c], newest) > 0)
                newest = reg->rows[i].col[c];
    return newest;
}

void registry_free(struct registry *reg)
{
    for (struct registry_text *t = reg->text, *next; t; t = next) {
        next = t->next;
        free(t);
    }
    free(reg->rows);
    free(reg->path);
    memset(reg, 0, sizeof *reg);
}

const char *registry_name_problem(const char *name)
{
    const unsigned char *s = (const unsigned char *)name;
    if (!*s)
        return "is empty";
    for (; *s; s++)
        if (*s < 0x21 || *s > 0x7e || *s == '#')
            return "is not a single printable-ASCII token";
    if ((const char *)s - name > REGISTRY_MAX_NAME)
        return "is longer than 63 characters";
    return NULL;
}

int registry_name_ok(const char *name)
{
    return registry_name_problem(name) == NULL;
}
