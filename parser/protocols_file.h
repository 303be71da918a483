/* Reading a protocols(5) file exactly as glibc's nss_files reads
 * /etc/protocols (nss/nss_files/files-proto.c, files-parse.c,
 * nss/nss_readline.c, through nssfile.h), so that a database merging it
 * answers as `protocols: files iana` would.  The line parser is libc's own
 * (_nss_files_parse_protoent) when libc exports it; else ours, which reads
 * as Debian 12's glibc 2.36 does.
 *
 * nss_files' rules, however odd: a line is cut at its first '#' or NUL;
 * fields are split by the six ASCII white-space characters (CR among
 * them, so CRLF files read as LF ones); the number is strtoul's value in
 * base 10 (after optional blanks and a sign), refused above 32 bits (so
 * "-1" too, which strtoul makes the largest value), then an int: so
 * "4294967295" is -1, and 300 is 300, not a protocol an IP header can
 * carry but what getprotobynumber(300) finds; "0x10" and "6a" are
 * refused, as is a line with a name and no number.  A refused line is skipped with a warning naming FILE:LINE.
 * Names and aliases are kept as bytes, compared later with strcmp as
 * nss_files compares them; the first line in file order answers.  */
#ifndef NSS_IANA_PARSER_PROTOCOLS_FILE_H
#define NSS_IANA_PARSER_PROTOCOLS_FILE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "nssfile.h"

/* One line nss_files accepts: what its getprotoent returns for it.  */
struct protocols_line {
    unsigned line;            /* physical line, from 1 */
    const char *name;
    const char **aliases;
    size_t nalias;
    int32_t number;           /* p_proto, any int */
};

struct protocols_file {
    char *path;               /* as given */
    int present;              /* 0: there was no such file (ENOENT) */
    struct nssfile_id id;     /* to tell later whether it changed */
    struct protocols_line *lines; /* file order */
    size_t nlines;
    size_t rejected;          /* lines with a protocol that nss_files skips */
    unsigned nphys;           /* physical lines read */
    char **text;              /* per line: the buffer its strings live in */
};

#define PROTOCOLS_FILE_MAX_BYTES (64u << 20)

/* Reads PATH.  A missing file is not an error: present = 0, no lines.
 * Warnings ("FILE:LINE: warning: ...") go to `warn` unless it is NULL.
 * Returns 0, or -1 with "FILE: message" in err.  */
int protocols_file_read(const char *path, struct protocols_file *pf, FILE *warn,
                        char *err, size_t errlen);
/* The same for bytes in memory; `path` only names them in messages and
 * the identity is left zero but for size and hash.  */
int protocols_file_parse(const char *path, const void *data, size_t len,
                         struct protocols_file *pf, FILE *warn, char *err, size_t errlen);
void protocols_file_free(struct protocols_file *pf);

/* Whether lines go through libc's own line parser when libc exports it (1,
 * the default), or always through ours (0: for the tests that hold the two
 * against each other).  */
extern int protocols_file_use_glibc;

#endif
