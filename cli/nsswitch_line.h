/* What the edit of nsswitch.conf's lines (nsswitch.c) and the file's
 * update (nsswitch_file.c) share: the entry written, a line as glibc
 * reads it.  Not an interface outside cli/nsswitch*.c.  */
#ifndef NSS_IANA_CLI_NSSWITCH_LINE_H
#define NSS_IANA_CLI_NSSWITCH_LINE_H

#include <stddef.h>
#include <string.h>

#define SOURCE "iana"
#define ACTION "[!UNAVAIL=return]"
#define ENTRY SOURCE " " ACTION
/* Written after "DATABASE: " when there is no line for the database;
 * files is glibc's default for services and protocols.  A tab after the
 * block, where the edit of an existing line always has one blank, tells
 * disable that the whole line is enable's.  */
#define APPENDED_TAIL ENTRY "\tfiles"

/* isspace() in the C locale, which is what glibc's parser uses.  */
static inline int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

/* One line of the file: its text [s, s + len), then its line end up to
 * s + full: "\n", or "\r\n" (the CR left out of the text, so that an edit
 * of a CRLF line keeps it last), or nothing on a last line without one.  */
struct line {
    const char *s;
    size_t len, full;
    int newline;      /* a '\n' ends it */
    unsigned number;  /* from 1 */
    size_t anchor;    /* services lines: just after the name and its colons */
};

/* The next line at *p, or 0 at the end of the text.  */
static inline int next_line(const char **p, struct line *l)
{
    if (!**p)
        return 0;
    const char *nl = strchr(*p, '\n');
    l->s = *p;
    l->newline = nl != NULL;
    l->full = nl ? (size_t)(nl - *p) + 1 : strlen(*p);
    l->len = l->full - (size_t)l->newline;
    if (l->newline && l->len > 0 && l->s[l->len - 1] == '\r')
        l->len--;
    l->number++;
    *p += l->full;
    return 1;
}

/* Whether the line names database `db` as glibc would read it if it did
 * read the line; sets the anchor.  */
static inline int names_db(struct line *l, const char *db)
{
    const char *s = l->s;
    size_t i = 0, len = l->len;
    while (i < len && is_space(s[i]))
        i++;
    size_t name = i;
    while (i < len && !is_space(s[i]) && s[i] != ':')
        i++;
    if (i - name != strlen(db) || memcmp(s + name, db, i - name) != 0)
        return 0;
    l->anchor = i;
    for (; i < len && (is_space(s[i]) || s[i] == ':'); i++)
        if (s[i] == ':')
            l->anchor = i + 1;
    return 1;
}

#endif
