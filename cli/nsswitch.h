/* `iana-services enable` / `disable`: iana on the services and protocols
 * lines of /etc/nsswitch.conf.
 *
 * enable makes the line read "services: iana [!UNAVAIL=return] ...", the
 * idiom of libnss-resolve for an authoritative source with a fallback:
 * iana answers (found, not found, or try again with a bigger buffer), and
 * only when it is unavailable does glibc go on to the sources after it.
 * The module is unavailable when its database is missing or invalid, and
 * whenever /etc/services is not what the database merged, so the sources
 * the line had before, kept after iana in their order with their blocks,
 * answer exactly as they did before enable.  Debian 12 ships
 * "services: db files", which becomes "services: iana [!UNAVAIL=return] db
 * files": db (libnss-db's makedb copy of /etc/services, UNAVAIL when
 * libnss-db is not installed) stays in the fallback, ahead of files as
 * before.  While iana is available, neither is asked: iana's answers are
 * those of "files iana", from /etc/services as it is, even where a db copy
 * that makedb has not rebuilt says otherwise.  This is the line the
 * package writes too (debian/libnss-iana.nss, dh_installnss's position
 * "first", which puts "iana [!UNAVAIL=return] " after the colon and its
 * blanks, as enable does).
 *
 * The edit is a pure function on the file's text, so that every case can be
 * tested on strings; nsswitch_update() adds the file I/O.  The line is read
 * as glibc 2.36 reads it (nss/nss_database.c, nss_action_parse.c): only
 * lines that end in '\n' (the last line of a file without one is never
 * processed), leading blanks skipped, the database name "services" ended by
 * a blank or ':', any run of blanks and colons after it, then sources, each
 * optionally followed by a "[STATUS=action ...]" block; when several lines
 * name services the last one counts.  A token that starts with '#' begins a
 * comment that runs to the end of the line (glibc itself would take it for
 * a source name, a harmless unavailable one), so nothing goes after it.
 * Everything not edited is kept byte for byte, CRLF line ends included.
 *
 * The protocols line is edited the same way, by the same rules with
 * "protocols" for "services" (the database answers both, and steps aside
 * for each when its own file, /etc/protocols or /etc/services, is not the
 * one merged): "protocols: iana [!UNAVAIL=return] files" on Debian 12.  */
#ifndef NSS_IANA_CLI_NSSWITCH_H
#define NSS_IANA_CLI_NSSWITCH_H

#include <stddef.h>
#include <stdio.h>

#define NSSWITCH_CONF "/etc/nsswitch.conf"

enum nsswitch_change {
    NSSWITCH_UNCHANGED,      /* nothing needed doing */
    NSSWITCH_ADDED,          /* "iana [!UNAVAIL=return]" put first */
    NSSWITCH_MOVED,          /* ... and iana taken from where it was (an
                              * older "files iana", or other blocks) */
    NSSWITCH_LINE_ADDED,     /* no services line: one added */
    NSSWITCH_REMOVED,        /* iana taken off every services line */
    NSSWITCH_REMOVED_FILES,  /* ... and the line, left with no source, given
                              * files: an empty list would answer nothing */
    NSSWITCH_LINE_REMOVED,   /* the line enable added, removed whole */
};

struct nsswitch_edit {
    char *text;                  /* the whole new file (malloc'd), or NULL if unchanged */
    enum nsswitch_change change;
    unsigned line;               /* the services line edited or found, from 1; 0: none */
};

/* enable: on the services line that counts (the last), every iana source
 * is taken off with its blocks, and "iana [!UNAVAIL=return]" put first,
 * where the list starts (after the name, its colon and the blanks after
 * that), with one blank between it and what follows; nothing is done if
 * the list starts with iana and that block already (in any case and
 * spacing glibc reads the same), its only one.  A file without a services
 * line that glibc reads gets "services: iana [!UNAVAIL=return] files"
 * (files being glibc's default for services) at its end, or before a last
 * line without a line end, which glibc does not read.
 * disable: on every services line, every iana source taken off with its
 * blocks, and with the blanks after it if it is first in the list, else
 * the blanks before it; a line exactly as enable adds it is removed whole.
 * So disable after enable gives the file back byte for byte, except where
 * enable had more to undo than it can record: an iana it moved (disable
 * leaves the line without it), and an empty list (disable puts files on a
 * line that has no source left, since an empty list answers nothing).
 * Both return 0, or -1 with errno ENOMEM.  */
int nsswitch_enable(const char *text, struct nsswitch_edit *edit);
int nsswitch_disable(const char *text, struct nsswitch_edit *edit);
/* The same for the line of database `db` ("services", "protocols").  */
int nsswitch_enable_db(const char *text, const char *db, struct nsswitch_edit *edit);
int nsswitch_disable_db(const char *text, const char *db, struct nsswitch_edit *edit);

/* The databases enable and disable edit, in this order.  */
#define NSSWITCH_NDB 2
extern const char *const nsswitch_dbs[NSSWITCH_NDB];
void nsswitch_edit_free(struct nsswitch_edit *edit);

/* The text of line `line` (from 1) of `text`, without its newline, as a
 * malloc'd string; NULL if out of memory or there is no such line.  */
char *nsswitch_line(const char *text, unsigned line);

/* Reads PATH (symbolic links followed), edits the line of each of
 * nsswitch_dbs in turn, and if anything changed
 * replaces it atomically: a temporary file in the same directory with the
 * original's mode, owner and extended attributes (its ACL and SELinux
 * label among them), written, fsync'd, renamed over it, directory
 * fsync'd.  Says what was done, or that nothing needed doing, on `out`.
 * Returns 0, or -1 with "PATH: reason" in err.  */
int nsswitch_update(const char *path, int enable, FILE *out, char *err, size_t errlen);
/* The same for the line of one database, `only` ("services" or
 * "protocols"; NULL: each of nsswitch_dbs): the package's upgrade to 0.3.0
 * puts iana on the protocols line alone.  */
int nsswitch_update_only(const char *path, int enable, const char *only, FILE *out, char *err,
                         size_t errlen);

#endif
