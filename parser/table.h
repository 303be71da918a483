/* IANA's registries as CSV tables: the reading the services and the
 * protocols registries share.
 *
 * table_parse() reads bytes as IANA publishes its CSV files (UTF-8 with or
 * without BOM, CRLF or LF record ends, quoted fields with newlines and
 * doubled quotes), finds the columns by their header names, and hands each
 * record after the header to the caller with the line it starts on.  The
 * first problem stops it with "FILE:LINE: what is wrong" (or "FILE: what"):
 * a header column named twice or a required one missing, a record with
 * more or fewer fields than the header, a file that does not end where a
 * record ends (cut short), a CR outside quotes that is not half of a CRLF,
 * a stray or unterminated quote, a NUL byte, invalid UTF-8, more bytes than
 * the table's limit.  What the caller finds wrong in a record it reports
 * through table_fail(), which stops the reading the same way.  */
#ifndef NSS_IANA_PARSER_TABLE_H
#define NSS_IANA_PARSER_TABLE_H

#include <stddef.h>
#include <stdint.h>

/* The fields' strings, copied into blocks that are freed together.  */
struct table_text;
char *table_text_dup(struct table_text **text, const char *s, size_t len);
void table_text_free(struct table_text **text);

#define TABLE_MAX_COLUMNS 16

struct table_parse; /* one table_parse() call's state */

struct table_spec {
    const char *const *columns; /* header names, by column number */
    unsigned ncolumns;          /* at most TABLE_MAX_COLUMNS */
    const unsigned *required;   /* columns without which it is not this table */
    unsigned nrequired;
    size_t max_bytes;           /* a whole number of MiB */
    const char *what;           /* "a port registry": a file too large is "not <what>" */
    /* Each record after the header becomes a row: a zeroed struct of
     * row_size bytes whose `unsigned` at line_at is the line the record
     * starts on and whose `char *[ncolumns]` at col_at are its fields by
     * column number ("" for a column the header lacks, never NULL; the
     * strings live in the text given to table_parse).  check() then looks
     * at the row and table_fail()s what is wrong with it.  */
    size_t row_size, line_at, col_at;
    size_t first_rows;          /* the rows' first allocation */
    void (*check)(struct table_parse *tp, void *row);
};

/* A table's rows (malloc'd), in file order.  */
struct table_rows {
    void *rows;
    size_t nrows, cap;
};

/* Returns 0, or -1 with the message in err.  Rows go to *rows, strings to
 * *text: the caller frees both (free(rows->rows), table_text_free), on
 * failure too.  */
int table_parse(const struct table_spec *spec, const char *path, const void *data,
                size_t len, struct table_text **text, struct table_rows *rows, char *err,
                size_t errlen);

/* What a registry's parse is: *path_copy a copy of path, sha256 that of
 * the bytes, then table_parse.  On failure the caller frees what is set
 * (*path_copy, rows->rows, *text) as after a success.  */
int table_parse_registry(const struct table_spec *spec, const char *path, const void *data,
                         size_t len, char **path_copy, uint8_t sha256[32],
                         struct table_text **text, struct table_rows *rows, char *err,
                         size_t errlen);

/* Stops table_parse with "FILE:LINE: message" (line 0: "FILE: message");
 * only the first call of a parse counts.  */
__attribute__((format(printf, 3, 4)))
void table_fail(struct table_parse *tp, unsigned line, const char *fmt, ...);

/* A regular file's bytes (malloc'd), read to EOF rather than by st_size
 * (/proc says 0), but no further than one byte past max_bytes, which
 * table_parse then refuses.  Anything else (a FIFO, a device, a
 * directory) is refused at once, without blocking: a registry recorded
 * for rebuilds must be a file.  Returns 0, or -1 with "FILE: reason".  */
int table_slurp(const char *path, size_t max_bytes, char **buf, size_t *len,
                char *err, size_t errlen);
/* The same, for a pipe too (compile /dev/stdin, <(curl ...)): read,
 * blocking, to EOF.  */
int table_slurp_stream(const char *path, size_t max_bytes, char **buf, size_t *len,
                       char *err, size_t errlen);

/* SHA-256 of the bytes: what names a snapshot of a registry.  */
void table_sha256(const void *data, size_t len, uint8_t out[32]);

/* A name a services(5) or protocols(5) line can hold: one token of
 * printable ASCII without '#', which nss_files would read as a comment,
 * and at most TABLE_MAX_NAME characters.  NULL, or why not ("is empty").  */
#define TABLE_MAX_NAME 63
const char *table_name_problem(const char *name);

#endif
