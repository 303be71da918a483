/* `iana-services enable` / `disable`: iana on the services line of
 * /etc/nsswitch.conf.
 *
 * The edit is a pure function on the file's text, so that every case can be
 * tested on strings; nsswitch_update() adds the file I/O.  The line is read
 * as glibc 2.36 reads it (nss/nss_database.c, nss_action_parse.c): leading
 * blanks skipped, the database name "services" ended by a blank or ':', any
 * run of blanks and colons after it, then sources, each optionally followed
 * by "[STATUS=action ...]" blocks; when several lines name services the
 * last one counts.  A token that starts with '#' begins a comment that runs
 * to the end of the line (glibc itself would take it for a source name, a
 * harmless unavailable one), so `iana` goes before it.  Everything not
 * edited is kept byte for byte.  */
#ifndef NSS_IANA_CLI_NSSWITCH_H
#define NSS_IANA_CLI_NSSWITCH_H

#include <stddef.h>
#include <stdio.h>

#define NSSWITCH_CONF "/etc/nsswitch.conf"

enum nsswitch_change {
    NSSWITCH_UNCHANGED,      /* nothing needed doing */
    NSSWITCH_ADDED,          /* iana put on the services line */
    NSSWITCH_LINE_ADDED,     /* no services line: "services: files iana" appended */
    NSSWITCH_REMOVED,        /* iana taken off every services line */
    NSSWITCH_REMOVED_FILES,  /* ... and the line, left with no source, given
                              * files: an empty list would answer nothing */
};

struct nsswitch_edit {
    char *text;                  /* the whole new file (malloc'd), or NULL if unchanged */
    enum nsswitch_change change;
    unsigned line;               /* the services line edited or found, from 1; 0: none */
};

/* enable: iana right after `files` and the blocks that follow it, else after
 * the last source; nothing if the services line (the last) has it already.
 * A file without a services line gets "services: files iana", files being
 * glibc's default for services.
 * disable: every `iana` source on every services line removed, with the
 * blanks before it and the blocks after it, so that disable undoes enable
 * exactly.
 * Both return 0, or -1 with errno ENOMEM.  */
int nsswitch_enable(const char *text, struct nsswitch_edit *edit);
int nsswitch_disable(const char *text, struct nsswitch_edit *edit);
void nsswitch_edit_free(struct nsswitch_edit *edit);

/* The text of line `line` (from 1) of `text`, without its newline, as a
 * malloc'd string; NULL if out of memory or there is no such line.  */
char *nsswitch_line(const char *text, unsigned line);

/* Reads PATH (symbolic links followed), edits it, and if anything changed
 * replaces it atomically: a temporary file in the same directory with the
 * original's mode and owner, written, fsync'd, renamed over it, directory
 * fsync'd.  Says what was done, or that nothing needed doing, on `out`.
 * Returns 0, or -1 with "PATH: reason" in err.  */
int nsswitch_update(const char *path, int enable, FILE *out, char *err, size_t errlen);

#endif
