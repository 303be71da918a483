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
    /* A record after the header: its fields by column number, "" for a
     * column the header lacks, never NULL; the strings live in the text
     * given to table_parse.  */
    void (*record)(struct table_parse *tp, unsigned line, char **col, void *ctx);
};

/* Returns 0, or -1 with the message in err.  `ctx` goes to spec->record;
 * strings go to *text, which the caller frees with table_text_free, on
 * failure too.  */
int table_parse(const struct table_spec *spec, const char *path, const void *data,
                size_t len, struct table_text **text, void *ctx, char *err, size_t errlen);

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
