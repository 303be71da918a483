/* Reading a services(5) file exactly as glibc's nss_files reads
 * /etc/services (nss/nss_files/files-service.c, files-parse.c,
 * nss/nss_readline.c, through nssfile.h), so that a database merging it answers as
 * `services: files iana` would.  The line parser is libc's own when libc
 * exports it; else ours, by the rules of the glibc it runs on (below).
 *
 * Every rule of nss_files is kept, however odd: a line is cut at its first
 * '#' or NUL; fields are split by the six ASCII white-space characters
 * (CR among them, so CRLF files read as LF ones); the port is strtoul's
 * value, refused above 32 bits (-1 too), of which the low 16 are kept
 * (70000 is 4464); a slash may follow it and the protocol is whatever
 * comes next, "" included; a line nss_files rejects (no port, "12x") is
 * skipped, with a warning naming FILE:LINE.  Names, aliases and protocols
 * are kept as bytes, compared later with strcmp, as nss_files compares
 * them.  The port's base and the slashes differ between glibc releases
 * (struct services_port_rules).  */
#ifndef NSS_IANA_PARSER_SERVICES_H
#define NSS_IANA_PARSER_SERVICES_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "nssfile.h"

/* One line nss_files accepts: what its getservent returns for it.  */
struct services_line {
    unsigned line;            /* physical line, from 1 */
    const char *name;
    const char **aliases;
    size_t nalias;
    const char *proto;        /* any string, "" too */
    uint16_t port;            /* host order */
};

struct services_file {
    char *path;               /* as given */
    int present;              /* 0: there was no such file (ENOENT) */
    struct nssfile_id id;     /* to tell later whether it changed */
    struct services_line *lines; /* file order */
    size_t nlines;
    size_t rejected;          /* lines with a service that nss_files skips */
    unsigned nphys;           /* physical lines read */
    char **text;              /* per line: the buffer its strings live in */
};

/* Reads PATH.  A missing file is not an error: present = 0, no lines (as
 * nss_files, which then has nothing to say).  Warnings ("FILE:LINE:
 * warning: ...") go to `warn` unless it is NULL.  Returns 0, or -1 with
 * "FILE: message" in err (unreadable, not a regular file, over
 * SERVICES_MAX_BYTES, changing while it is read, out of memory).  */
int services_read(const char *path, struct services_file *sf, FILE *warn,
                  char *err, size_t errlen);
/* The same for bytes in memory; `path` only names them in messages and
 * the identity is left zero but for size and hash.  */
int services_parse(const char *path, const void *data, size_t len, struct services_file *sf,
                   FILE *warn, char *err, size_t errlen);
void services_free(struct services_file *sf);

/* more's lines after sf's, as if more's bytes followed sf's on a line of
 * their own: their numbers go on from sf's last physical line.  more is
 * left empty (services_free it all the same).  Returns 0, or -1 (out of
 * memory, both unchanged).  */
int services_append(struct services_file *sf, struct services_file *more);

#define SERVICES_MAX_BYTES (64u << 20)

/* Whether lines go through libc's own nss_files line parser when libc
 * exports it (1, the default), or always through ours (0: for the tests
 * that hold the two against each other).  */
extern int services_use_glibc;

/* How nss_files reads the port and the slashes after it, which changed in
 * glibc 2.43 (those seen so far; 2.42 untried):
 *   2.36, 2.41 (Debian 12, 13)  base 0 (0x50 and 0120 are 80, 08 refused),
 *                               every '/' after it ("12//tcp" is tcp)
 *   2.43 (Debian 14)            base 10 (0120 is 120, 0x50 refused), one
 *                               '/' ("12//tcp" is protocol "/tcp")
 * Only our own parser needs them (where libc exports none).  */
struct services_port_rules {
    int base;                 /* strtoul's: 0 or 10 */
    int every_slash;          /* 1: all the '/' after the port; 0: one */
};

/* The running glibc's rules, by behaviour: what its exported parser makes
 * of two probe lines; else what nss_files answers over them as a private
 * /etc/services (a forked child in a mount namespace of its own); else
 * the newest glibc's (2.43).  Returns how they were found.  */
enum { SERVICES_RULES_ASSUMED, SERVICES_RULES_FROM_PARSER, SERVICES_RULES_FROM_NSS_FILES };
int services_port_rules_detect(struct services_port_rules *r);
/* The second way alone: 0, or -1 where it cannot be done (no mount
 * namespace to be had, no /etc/services to mount over).  */
int services_port_rules_from_nss_files(struct services_port_rules *r);

/* The rules our parser uses: detected on first use, unless set (tests: a
 * glibc's rules held against its parser; NULL detects again).  */
const struct services_port_rules *services_port_rules_current(void);
void services_port_rules_set(const struct services_port_rules *r);

#endif
