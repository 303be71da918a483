/* A site's services(5) file merged into the registry's entries
 * (`iana-services compile --local`).  Reading is strict, like the CSV's:
 * the first bad line stops it with "FILE:LINE: message", so a typo never
 * quietly drops a site's name.  */
#define _GNU_SOURCE
#include "registry.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The columns a services(5) line has no value for.  One shared empty
 * string: local_free() frees only the name and the description.  */
static char no_value[1];

/* The database keeps an entry's name and aliases, with their NULs, in at
 * most 255 bytes (struct iana_entry.names_len).  */
#define MAX_NAMES_BLOCK 255

__attribute__((format(printf, 5, 6)))
static void seterr(char *err, size_t errlen, const char *path, unsigned line,
                   const char *fmt, ...)
{
    int n = line ? snprintf(err, errlen, "%s:%u: ", path, line)
                 : snprintf(err, errlen, "%s: ", path);
    if (n < 0 || (size_t)n >= errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
    va_end(ap);
}

/* --- reading ------------------------------------------------------------- */

/* What glibc's files backend takes as a field separator.  */
static int is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static int parse_port(const char *s, size_t n, uint16_t *out)
{
    unsigned long v = 0;
    if (n == 0 || n > 5)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (unsigned long)(s[i] - '0');
    }
    if (v > 65535)
        return -1;
    *out = (uint16_t)v;
    return 0;
}

static int parse_proto(const char *s)
{
    static const char *const names[IANA_NPROTO] = {"tcp", "udp", "sctp", "dccp"};
    for (int p = 0; p < IANA_NPROTO; p++)
        if (iana_ascii_caseeq(s, names[p]))
            return p;
    return -1;
}

/* The comment after '#', blanks at both ends trimmed: the description.  */
static char *comment_text(const char *hash, const char *end)
{
    const char *s = hash + 1;
    while (s < end && is_blank(*s))
        s++;
    while (end > s && is_blank(end[-1]))
        end--;
    return strndup(s, (size_t)(end - s));
}

/* Splits [s, end) at blanks into at most `max` NUL-terminated fields of
 * `buf` (which has room for end - s + 1 bytes).  Returns the count.  */
static size_t split_fields(const char *s, const char *end, char *buf, char **field, size_t max)
{
    size_t n = 0;
    memcpy(buf, s, (size_t)(end - s));
    buf[end - s] = '\0';
    for (char *p = buf; *p && n < max;) {
        while (is_blank(*p))
            *p++ = '\0';
        if (!*p)
            break;
        field[n++] = p;
        while (*p && !is_blank(*p))
            p++;
    }
    return n;
}

static int check_name(const char *path, unsigned line, const char *what, const char *name,
                      char *err, size_t errlen)
{
    const char *problem = registry_name_problem(name);
    if (problem)
        seterr(err, errlen, path, line, "%s \"%s\" %s", what, name, problem);
    return problem ? -1 : 0;
}

/* "port/protocol", one port: services(5) has no ranges.  */
static int parse_port_proto(const char *path, unsigned line, const char *s,
                            struct registry_row *row, char *err, size_t errlen)
{
    const char *slash = strchr(s, '/');
    if (!slash) {
        seterr(err, errlen, path, line, "expected port/protocol, got \"%s\"", s);
        return -1;
    }
    if (parse_port(s, (size_t)(slash - s), &row->port_lo) < 0) {
        seterr(err, errlen, path, line, "bad port number \"%.*s\"", (int)(slash - s), s);
        return -1;
    }
    if ((row->proto = parse_proto(slash + 1)) < 0) {
        seterr(err, errlen, path, line, "unknown transport protocol \"%s\"", slash + 1);
        return -1;
    }
    row->port_hi = row->port_lo;
    row->has_port = 1;
    return 0;
}

static void line_free(struct local_line *l)
{
    for (size_t i = 0; i < l->nalias; i++)
        free(l->aliases[i]);
    free(l->aliases);
    if (l->row.col[COL_NAME] != no_value)
        free(l->row.col[COL_NAME]);
    if (l->row.col[COL_DESCRIPTION] != no_value)
        free(l->row.col[COL_DESCRIPTION]);
}

/* Fills `l` from the fields of one service line.  */
static int take_fields(const char *path, unsigned line, char **field, size_t n,
                       struct local_line *l, char *err, size_t errlen)
{
    if (n < 2) {
        seterr(err, errlen, path, line, "expected \"name port/protocol [alias...]\"");
        return -1;
    }
    if (check_name(path, line, "service name", field[0], err, errlen) < 0 ||
        parse_port_proto(path, line, field[1], &l->row, err, errlen) < 0)
        return -1;
    for (size_t i = 2; i < n; i++)
        if (check_name(path, line, "alias", field[i], err, errlen) < 0)
            return -1;
    if (!(l->row.col[COL_NAME] = strdup(field[0])) ||
        (n > 2 && !(l->aliases = calloc(n - 2, sizeof *l->aliases))))
        goto nomem;
    for (size_t i = 2; i < n; i++) {
        if (!(l->aliases[l->nalias] = strdup(field[i])))
            goto nomem;
        l->nalias++;
    }
    return 0;
nomem:
    seterr(err, errlen, path, line, "%s", strerror(ENOMEM));
    return -1;
}

/* One physical line [s, end): 0 with *l filled, 1 if it has no service
 * (blank or comment), -1 with a message.  */
static int parse_line(const char *path, unsigned line, const char *s, const char *end,
                      struct local_line *l, char *err, size_t errlen)
{
    const char *hash = memchr(s, '#', (size_t)(end - s));
    const char *text_end = hash ? hash : end;
    char *buf = malloc((size_t)(text_end - s) + 1);
    /* Fields are at least one byte and a blank apart: this many at most.  */
    size_t max = (size_t)(text_end - s) / 2 + 1;
    char **field = calloc(max, sizeof *field);
    int rc = -1;

    memset(l, 0, sizeof *l);
    for (int c = 0; c < NCOLUMNS; c++)
        l->row.col[c] = no_value;
    l->row.line = line;
    if (!buf || !field) {
        seterr(err, errlen, path, line, "%s", strerror(ENOMEM));
        goto out;
    }
    size_t n = split_fields(s, text_end, buf, field, max);
    if (n == 0) {
        rc = 1;
        goto out;
    }
    if (take_fields(path, line, field, n, l, err, errlen) < 0)
        goto out;
    if (hash && hash + 1 < end) {
        char *d = comment_text(hash, end);
        if (!d) {
            seterr(err, errlen, path, line, "%s", strerror(ENOMEM));
            goto out;
        }
        l->row.col[COL_DESCRIPTION] = d;
    }
    rc = 0;
out:
    if (rc < 0)
        line_free(l);
    free(buf);
    free(field);
    return rc;
}

static int add_line(struct local_services *loc, size_t *cap, const struct local_line *l)
{
    if (loc->nlines == *cap) {
        size_t bigger = *cap ? *cap * 2 : 64;
        struct local_line *lines = reallocarray(loc->lines, bigger, sizeof *lines);
        if (!lines)
            return -1;
        loc->lines = lines;
        *cap = bigger;
    }
    loc->lines[loc->nlines++] = *l;
    return 0;
}

int local_parse(const char *path, const void *data, size_t len,
                struct local_services *loc, char *err, size_t errlen)
{
    const char *p = data, *end = p + len;
    size_t cap = 0;
    unsigned line = 0;

    memset(loc, 0, sizeof *loc);
    if (!(loc->path = strdup(path))) {
        seterr(err, errlen, path, 0, "%s", strerror(ENOMEM));
        return -1;
    }
    if (memchr(data, '\0', len)) {
        const char *nul = memchr(data, '\0', len);
        for (const char *q = data; q < nul; q++)
            line += *q == '\n';
        seterr(err, errlen, path, line + 1, "NUL byte");
        return -1;
    }
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *eol = nl ? nl : end;
        struct local_line l;
        int rc = parse_line(path, ++line, p, eol, &l, err, errlen);
        if (rc < 0)
            return -1;
        if (rc == 0 && add_line(loc, &cap, &l) < 0) {
            line_free(&l);
            seterr(err, errlen, path, line, "%s", strerror(ENOMEM));
            return -1;
        }
        p = nl ? nl + 1 : end;
    }
    return 0;
}

int local_read(const char *path, struct local_services *loc, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    size_t len = 0, cap = 0;
    char *buf = NULL;
    ssize_t n = 0;

    memset(loc, 0, sizeof *loc);
    if (fd < 0) {
        seterr(err, errlen, path, 0, "%s", strerror(errno));
        return -1;
    }
    /* To EOF rather than by st_size, so pipes work; bounded like the CSV.  */
    for (;;) {
        if (len == cap) {
            char *bigger = cap < REGISTRY_MAX_BYTES ? realloc(buf, cap + 65536) : NULL;
            if (!bigger) {
                n = -1;
                errno = cap < REGISTRY_MAX_BYTES ? ENOMEM : EFBIG;
                break;
            }
            buf = bigger;
            cap += 65536;
        }
        if ((n = read(fd, buf + len, cap - len)) <= 0)
            break;
        len += (size_t)n;
    }
    int saved = errno;
    close(fd);
    if (n < 0) {
        seterr(err, errlen, path, 0, "%s", saved == EFBIG ? "file too large" : strerror(saved));
        free(buf);
        return -1;
    }
    int rc = local_parse(path, buf ? buf : "", len, loc, err, errlen);
    free(buf);
    return rc;
}

void local_free(struct local_services *loc)
{
    for (size_t i = 0; i < loc->nlines; i++)
        line_free(&loc->lines[i]);
    free(loc->lines);
    free(loc->path);
    memset(loc, 0, sizeof *loc);
}

/* --- merging ------------------------------------------------------------- */

static int spelled(const struct service_entry *e, const char *name, int exact)
{
    if (exact ? strcmp(e->name, name) == 0 : iana_ascii_caseeq(e->name, name))
        return 1;
    for (size_t a = 0; a < e->nalias; a++)
        if (exact ? strcmp(e->aliases[a], name) == 0 : iana_ascii_caseeq(e->aliases[a], name))
            return 1;
    return 0;
}

static long find_spelling(const struct entry_set *set, const struct registry_row *row,
                          const char *name, int exact)
{
    for (size_t i = 0; i < set->nentries; i++) {
        const struct service_entry *e = &set->entries[i];
        if (e->proto == row->proto && e->port_lo == row->port_lo && spelled(e, name, exact))
            return (long)i;
    }
    return -1;
}

/* The entry a local line names: its protocol, its first port (the port a
 * lookup by name answers with), and one of the line's names (its name
 * first, then its aliases; exact case before any case) as the entry's name
 * or an alias.  So "whois 43/tcp nicname", as /etc/services has it, finds
 * the registry's nicname.  -1 if none.  */
static long find_entry(const struct entry_set *set, const struct local_line *l)
{
    for (int exact = 1; exact >= 0; exact--) {
        long i = find_spelling(set, &l->row, l->row.col[COL_NAME], exact);
        for (size_t a = 0; i < 0 && a < l->nalias; a++)
            i = find_spelling(set, &l->row, l->aliases[a], exact);
        if (i >= 0)
            return i;
    }
    return -1;
}

/* The first entry other than `self` with protocol `proto` that has `name`
 * in any case: the one a lookup by that name might answer instead.  */
static long other_with_name(const struct entry_set *set, size_t self, uint8_t proto,
                            const char *name)
{
    for (size_t i = 0; i < set->nentries; i++)
        if (i != self && set->entries[i].proto == proto && spelled(&set->entries[i], name, 0))
            return (long)i;
    return -1;
}

static void warn_name_taken(const struct entry_set *set, size_t self, const char *name,
                            const char *path, unsigned line, FILE *warn)
{
    const struct service_entry *e = &set->entries[self];
    long o = other_with_name(set, self, e->proto, name);
    if (o < 0 || !warn)
        return;
    const struct service_entry *other = &set->entries[o];
    static const char *const proto[IANA_NPROTO] = {"tcp", "udp", "sctp", "dccp"};
    if ((size_t)o < self)
        fprintf(warn, "%s:%u: warning: \"%s\" already names %s %u/%s, which comes first "
                "and answers for it by name\n", path, line, name, other->name,
                other->port_lo, proto[other->proto]);
    else
        fprintf(warn, "%s:%u: warning: \"%s\" also names %s %u/%s; %s %u/%s comes first "
                "and now answers for it by name\n", path, line, name, other->name,
                other->port_lo, proto[other->proto], e->name, e->port_lo, proto[e->proto]);
}

/* A new single-port entry on a port that an earlier range covers, with no
 * earlier single-port entry there: by port the module answers the new
 * entry (single ports win), nss_files reading the export the range's
 * earlier line.  The same condition registry_entries() counts.  */
static void check_range_overlap(struct entry_set *set, size_t self, const char *path,
                                unsigned line, FILE *warn)
{
    const struct service_entry *e = &set->entries[self];
    long range = -1;
    for (size_t i = 0; i < self; i++) {
        const struct service_entry *r = &set->entries[i];
        if (r->proto != e->proto || e->port_lo < r->port_lo || e->port_lo > r->port_hi)
            continue;
        if (r->port_lo == r->port_hi)
            return; /* an earlier single-port entry answers anyway */
        if (range < 0)
            range = (long)i;
    }
    if (range < 0)
        return;
    set->summary.range_overlaps++;
    const struct service_entry *r = &set->entries[range];
    if (warn)
        fprintf(warn, "%s:%u: warning: range %s %u-%u comes before single-port entry %s "
                "on port %u\n", path, line, r->name, r->port_lo, r->port_hi, e->name,
                e->port_lo);
}

static size_t names_bytes(const struct service_entry *e)
{
    size_t n = strlen(e->name) + 1;
    for (size_t a = 0; a < e->nalias; a++)
        n += strlen(e->aliases[a]) + 1;
    return n;
}

/* Adds `alias` to entry `self` unless it already has that spelling in some
 * case.  Returns 1 if added, 0 if not needed, -1 with a message.  */
static int add_alias(struct entry_set *set, size_t self, const char *alias, const char *path,
                     unsigned line, FILE *warn, char *err, size_t errlen)
{
    struct service_entry *e = &set->entries[self];
    if (spelled(e, alias, 0))
        return 0;
    if (names_bytes(e) + strlen(alias) + 1 > MAX_NAMES_BLOCK) {
        seterr(err, errlen, path, line, "alias \"%s\" of \"%s\": its names would take over "
               "%d bytes", alias, e->name, MAX_NAMES_BLOCK);
        return -1;
    }
    const char **a = reallocarray(e->aliases, e->nalias + 1, sizeof *a);
    if (!a) {
        seterr(err, errlen, path, line, "%s", strerror(ENOMEM));
        return -1;
    }
    e->aliases = a;
    warn_name_taken(set, self, alias, path, line, warn);
    e->aliases[e->nalias++] = alias;
    return 1;
}

/* A line naming no entry: a new one after all the others.  */
static int append_entry(struct entry_set *set, const struct local_line *l, FILE *warn,
                        const char *path, char *err, size_t errlen)
{
    struct service_entry *grown = reallocarray(set->entries, set->nentries + 1, sizeof *grown);
    if (!grown) {
        seterr(err, errlen, path, l->row.line, "%s", strerror(ENOMEM));
        return -1;
    }
    set->entries = grown;
    size_t self = set->nentries++;
    set->entries[self] = (struct service_entry){
        .name = l->row.col[COL_NAME],
        .port_lo = l->row.port_lo,
        .port_hi = l->row.port_hi,
        .proto = (uint8_t)l->row.proto,
        .flags = IANA_ENTRY_LOCAL,
        .row = &l->row,
    };
    set->summary.entries++;
    set->summary.per_proto[l->row.proto]++;
    warn_name_taken(set, self, l->row.col[COL_NAME], path, l->row.line, warn);
    check_range_overlap(set, self, path, l->row.line, warn);
    for (size_t a = 0; a < l->nalias; a++)
        if (add_alias(set, self, l->aliases[a], path, l->row.line, warn, err, errlen) < 0)
            return -1;
    return 0;
}

/* A line naming an entry: its other names go onto that entry.  */
static int extend_entry(struct entry_set *set, size_t self, const struct local_line *l,
                        struct local_summary *sum, FILE *warn, const char *path,
                        char *err, size_t errlen)
{
    size_t added = 0;
    for (size_t a = 0; a <= l->nalias; a++) {
        const char *name = a == 0 ? l->row.col[COL_NAME] : l->aliases[a - 1];
        int rc = add_alias(set, self, name, path, l->row.line, warn, err, errlen);
        if (rc < 0)
            return -1;
        added += (size_t)rc;
    }
    sum->aliases_added += added;
    if (!added)
        sum->unchanged++;
    return 0;
}

int local_merge(struct entry_set *set, const struct local_services *loc,
                struct local_summary *sum, FILE *warn, char *err, size_t errlen)
{
    /* Registry entries given local aliases, counted once each.  */
    char *extended = calloc(set->nentries + 1, 1);
    int rc = -1;

    memset(sum, 0, sizeof *sum);
    if (!extended) {
        seterr(err, errlen, loc->path, 0, "%s", strerror(ENOMEM));
        return -1;
    }
    size_t registry_entries = set->nentries;
    for (size_t i = 0; i < loc->nlines; i++) {
        const struct local_line *l = &loc->lines[i];
        long self = find_entry(set, l);
        sum->lines++;
        if (self < 0) {
            if (append_entry(set, l, warn, loc->path, err, errlen) < 0)
                goto out;
            sum->entries_added++;
            continue;
        }
        size_t before = sum->aliases_added;
        if (extend_entry(set, (size_t)self, l, sum, warn, loc->path, err, errlen) < 0)
            goto out;
        if (sum->aliases_added > before && (size_t)self < registry_entries &&
            !extended[self]) {
            extended[self] = 1;
            sum->entries_extended++;
        }
    }
    rc = 0;
out:
    free(extended);
    return rc;
}
