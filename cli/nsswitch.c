/* iana on the services and protocols lines of nsswitch.conf: the edit on
 * strings (the file I/O is nsswitch_file.c).  See nsswitch.h for the
 * syntax this follows and why.  */
#define _GNU_SOURCE
#include "nsswitch.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "nsswitch_line.h"

/* --- the edit ------------------------------------------------------------ */

/* The line's end, "\n" or "\r\n" or nothing.  */
static void put_end(FILE *out, const struct line *l)
{
    fwrite(l->s + l->len, 1, l->full - l->len, out);
}

/* Whether glibc takes the line for database `db`.  glibc 2.36 reads only
 * lines that end in '\n': at the end of the file it stops before it
 * processes a last line without one (nss_database_reload_1 tests feof
 * before process_line).  */
static int is_db_line(struct line *l, const char *db)
{
    return l->newline && names_db(l, db);
}

/* Where glibc starts reading sources: after the name and the blanks and
 * colons that follow it.  */
static size_t list_start(const struct line *l)
{
    size_t i = l->anchor;
    while (i < l->len && is_space(l->s[i]))
        i++;
    return i;
}

/* A source name or a "[...]" block.  */
struct token {
    size_t start, end;
    int block;
};

/* The token at or after *pos; 0 at the end of the list: the end of the
 * line, or a '#' that starts a token.  */
static int next_token(const struct line *l, size_t *pos, struct token *t)
{
    const char *s = l->s;
    size_t i = *pos;
    while (i < l->len && is_space(s[i]))
        i++;
    if (i == l->len || s[i] == '#')
        return 0;
    t->start = i;
    t->block = s[i] == '[';
    if (t->block) {
        while (i < l->len && s[i] != ']')
            i++;
        i += i < l->len; /* the ']' */
    } else {
        while (i < l->len && !is_space(s[i]) && s[i] != '[')
            i++;
    }
    t->end = *pos = i;
    return 1;
}

static int source_is(const struct line *l, const struct token *t, const char *name)
{
    size_t n = strlen(name);
    return !t->block && t->end - t->start == n && memcmp(l->s + t->start, name, n) == 0;
}

/* The blocks right after a source belong to it: the end of the last one,
 * or `end` if there are none.  Moves *pos past them.  */
static size_t skip_blocks(const struct line *l, size_t *pos, size_t end)
{
    struct token t;
    size_t look = *pos;
    while (next_token(l, &look, &t) && t.block) {
        end = t.end;
        *pos = look;
    }
    return end;
}

static const char *skip_blanks(const char *s, const char *e)
{
    while (s < e && is_space(*s))
        s++;
    return s;
}

/* Whether [s, e) starts with `word`, in any case (as glibc compares status
 * and action names); moves *s past it.  */
static int take_word(const char **s, const char *e, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(e - *s) < n || strncasecmp(*s, word, n) != 0)
        return 0;
    *s += n;
    return 1;
}

/* Whether glibc reads the block as ACTION: blanks where its parser skips
 * them (after '[', around '=', before ']'; not between '!' and the
 * status), names in any case, and nothing else in the brackets.  */
static int is_action(const struct line *l, const struct token *t)
{
    const char *s = l->s + t->start + 1, *e = l->s + t->end; /* after '[' */
    s = skip_blanks(s, e);
    if (!take_word(&s, e, "!") || !take_word(&s, e, "UNAVAIL"))
        return 0;
    s = skip_blanks(s, e);
    if (!take_word(&s, e, "="))
        return 0;
    s = skip_blanks(s, e);
    if (!take_word(&s, e, "return"))
        return 0;
    s = skip_blanks(s, e);
    return take_word(&s, e, "]"); /* the block ends at its first ']' */
}

/* Whether the list starts with iana and ACTION as its first block.  (A
 * second block would end glibc's reading of the list, fallback and all;
 * but that is the line's own doing, and enable leaves it.)  */
static int enabled_already(const struct line *l)
{
    size_t pos = l->anchor;
    struct token t;
    if (!next_token(l, &pos, &t) || !source_is(l, &t, SOURCE))
        return 0;
    return next_token(l, &pos, &t) && t.block && is_action(l, &t);
}

/* The text of the line without its iana sources, each taken with the
 * blocks after it; the first thing in the list is taken with the blanks
 * after it (which is how enable put it there, with one blank after it),
 * anything later with the blanks before it.  Counts the sources taken and
 * the other tokens, sources and blocks.  */
static void strip_sources(FILE *out, const struct line *l, unsigned *taken, unsigned *others)
{
    size_t pos = l->anchor, prev = l->anchor, copied = 0;
    int first = 1;
    struct token t;
    *taken = *others = 0;
    while (next_token(l, &pos, &t)) {
        if (!source_is(l, &t, SOURCE)) {
            (*others)++;
            prev = t.end;
            first = 0;
            continue;
        }
        size_t from = prev, stop = skip_blocks(l, &pos, t.end);
        if (first) {
            from = t.start;
            while (stop < l->len && is_space(l->s[stop]))
                stop++;
        }
        fwrite(l->s + copied, 1, from - copied, out);
        copied = prev = stop;
        (*taken)++;
    }
    fwrite(l->s + copied, 1, l->len - copied, out);
}

/* `word` where the sources start, before them and their comment, with a
 * blank after it if anything follows; a blank before it only if it would
 * otherwise touch the name or its colon at the end of the line.  */
static void put_first(FILE *out, const struct line *l, const char *word)
{
    size_t at = list_start(l);
    int before = at == l->len && !is_space(l->s[at - 1]);
    fwrite(l->s, 1, at, out);
    fprintf(out, "%s%s%s", before ? " " : "", word, at < l->len ? " " : "");
    fwrite(l->s + at, 1, l->len - at, out);
}

/* The text of the line without its iana sources, as a line of its own
 * (malloc'd into *kept, with the same anchor).  0, or -1 with errno ENOMEM.  */
static int stripped(const struct line *l, char **kept, struct line *n, unsigned *taken,
                    unsigned *others)
{
    size_t len;
    *kept = NULL;
    FILE *k = open_memstream(kept, &len);
    if (!k)
        return -1;
    strip_sources(k, l, taken, others);
    if (fclose(k) != 0 || !*kept) {
        free(*kept);
        *kept = NULL;
        errno = ENOMEM;
        return -1;
    }
    /* Edits are all after the anchor, so it is where it was.  */
    *n = (struct line){.s = *kept, .len = len, .anchor = l->anchor};
    return 0;
}

/* Finishes an open_memstream() edit: 0, or -1 with errno ENOMEM.  */
static int close_edit(FILE *out, char **buf, struct nsswitch_edit *edit)
{
    if (fclose(out) != 0 || !*buf) {
        free(*buf);
        errno = ENOMEM;
        return -1;
    }
    edit->text = *buf;
    return 0;
}

/* "DB: " APPENDED_TAIL, with the line end of the line before it, at the
 * end of the text; or before a last line without a line end, which glibc
 * does not read and whose being read must not depend on us.  */
static int append_line(const char *text, const char *db, struct nsswitch_edit *edit)
{
    struct line l = {0}, prev = {0};
    const char *p = text, *at = text + strlen(text);
    while (next_line(&p, &l)) {
        if (!l.newline) {
            at = l.s;
            break;
        }
        prev = l;
    }
    const char *end = prev.s && prev.full - prev.len == 2 ? "\r\n" : "\n";
    if (asprintf(&edit->text, "%.*s%s: %s%s%s", (int)(at - text), text, db, APPENDED_TAIL, end,
                 at) < 0) {
        edit->text = NULL;
        errno = ENOMEM;
        return -1;
    }
    edit->change = NSSWITCH_LINE_ADDED;
    edit->line = prev.number + 1;
    return 0;
}

int nsswitch_enable_db(const char *text, const char *db, struct nsswitch_edit *edit)
{
    struct line l = {0}, last = {0}, n;
    const char *p = text;
    memset(edit, 0, sizeof *edit);
    while (next_line(&p, &l))
        if (is_db_line(&l, db))
            last = l;
    if (!last.s)
        return append_line(text, db, edit);

    edit->line = last.number;
    if (enabled_already(&last))
        return 0;
    char *kept, *buf = NULL;
    size_t size;
    unsigned taken, others;
    if (stripped(&last, &kept, &n, &taken, &others) < 0)
        return -1;
    FILE *out = open_memstream(&buf, &size);
    if (!out) {
        free(kept);
        return -1;
    }
    fwrite(text, 1, (size_t)(last.s - text), out);
    put_first(out, &n, ENTRY);
    fputs(last.s + last.len, out);
    free(kept);
    edit->change = taken ? NSSWITCH_MOVED : NSSWITCH_ADDED;
    return close_edit(out, &buf, edit);
}

/* Whether the line is the one append_line() writes for `db`.  */
static int is_appended(const struct line *l, const char *db)
{
    size_t n = strlen(db);
    return l->newline && l->len == n + 2 + strlen(APPENDED_TAIL) && memcmp(l->s, db, n) == 0 &&
           memcmp(l->s + n, ": ", 2) == 0 &&
           memcmp(l->s + n + 2, APPENDED_TAIL, l->len - n - 2) == 0;
}

/* One line without its iana sources, into `out`.  A list left
 * with no source gets files: an empty one would answer nothing.  0, or -1
 * with errno ENOMEM.  */
static int strip_line(FILE *out, const struct line *l, enum nsswitch_change *change)
{
    char *kept;
    struct line n;
    unsigned taken, others;
    if (stripped(l, &kept, &n, &taken, &others) < 0)
        return -1;
    if (taken && !others)
        put_first(out, &n, "files");
    else
        fwrite(n.s, 1, n.len, out);
    free(kept);
    *change = !taken ? NSSWITCH_UNCHANGED : others ? NSSWITCH_REMOVED : NSSWITCH_REMOVED_FILES;
    return 0;
}

int nsswitch_disable_db(const char *text, const char *db, struct nsswitch_edit *edit)
{
    struct line l = {0};
    const char *p = text;
    char *buf = NULL;
    size_t size;
    int failed = 0;
    memset(edit, 0, sizeof *edit);
    FILE *out = open_memstream(&buf, &size);
    if (!out)
        return -1;
    while (!failed && next_line(&p, &l)) {
        enum nsswitch_change c = NSSWITCH_UNCHANGED;
        /* A last line without a line end is not read, but loses its iana
         * too, should it ever be.  */
        if (!names_db(&l, db))
            fwrite(l.s, 1, l.len, out);
        else if (is_appended(&l, db))
            c = NSSWITCH_LINE_REMOVED;
        else
            failed = strip_line(out, &l, &c) < 0;
        if (c != NSSWITCH_LINE_REMOVED)
            put_end(out, &l);
        if (c != NSSWITCH_UNCHANGED) {
            edit->change = c;
            edit->line = l.number;
        }
    }
    if (failed) {
        fclose(out);
        free(buf);
        memset(edit, 0, sizeof *edit);
        errno = ENOMEM;
        return -1;
    }
    if (close_edit(out, &buf, edit) < 0)
        return -1;
    if (edit->change == NSSWITCH_UNCHANGED) {
        free(edit->text);
        edit->text = NULL;
    }
    return 0;
}

int nsswitch_enable(const char *text, struct nsswitch_edit *edit)
{
    return nsswitch_enable_db(text, "services", edit);
}

int nsswitch_disable(const char *text, struct nsswitch_edit *edit)
{
    return nsswitch_disable_db(text, "services", edit);
}

void nsswitch_edit_free(struct nsswitch_edit *edit)
{
    free(edit->text);
    memset(edit, 0, sizeof *edit);
}

char *nsswitch_line(const char *text, unsigned line)
{
    struct line l = {0};
    const char *p = text;
    while (next_line(&p, &l))
        if (l.number == line)
            return strndup(l.s, l.full - (size_t)l.newline);
    return NULL;
}

const char *const nsswitch_dbs[NSSWITCH_NDB] = {"services", "protocols"};
