/* glibc's nss_files as an oracle: see nss_files.h.  */
#include "nss_files.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <nss.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz_util.h"

/* libc.so.6's exports (nss/nss.h types).  _nss_files_parse_servent is
 * nss_files' line parser: 1 parsed, 0 rejected, -1 out of room in `data`.  */
extern int _nss_files_parse_servent(char *line, struct servent *result, void *data,
                                    size_t datalen, int *errnop);
extern enum nss_status _nss_files_setservent(int stayopen);
extern enum nss_status _nss_files_endservent(void);
extern enum nss_status _nss_files_getservent_r(struct servent *result, char *buffer,
                                               size_t buflen, int *errnop);
extern enum nss_status _nss_files_getservbyname_r(const char *name, const char *proto,
                                                  struct servent *result, char *buffer,
                                                  size_t buflen, int *errnop);
extern enum nss_status _nss_files_getservbyport_r(int port, const char *proto,
                                                  struct servent *result, char *buffer,
                                                  size_t buflen, int *errnop);

int nf_overmount(const char **why, int *err)
{
    char tmp[] = "/tmp/fuzz_services.XXXXXX";
    struct stat sb, ours, there;
    *err = 0;
#define FAIL(reason) do { *err = errno; *why = reason; return -1; } while (0)
    if (geteuid() != 0) {
        *why = "not root";
        return -1;
    }
    if (stat(NF_ETC_SERVICES, &sb) < 0 || !S_ISREG(sb.st_mode))
        FAIL("no regular " NF_ETC_SERVICES " to mount over");
    if (unshare(CLONE_NEWNS) < 0)
        FAIL("unshare(CLONE_NEWNS) failed");
    /* Private: a mount made here never propagates to the machine's.  */
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
        FAIL("cannot make / private in the new namespace");
    int fd = mkstemp(tmp);
    if (fd < 0)
        FAIL("mkstemp in /tmp failed");
    int rc = mount(tmp, NF_ETC_SERVICES, NULL, MS_BIND, NULL);
    int e = errno;
    unlink(tmp);
    if (rc < 0) {
        close(fd);
        errno = e;
        FAIL("bind mount over " NF_ETC_SERVICES " failed");
    }
    if (fstat(fd, &ours) < 0 || stat(NF_ETC_SERVICES, &there) < 0 ||
        ours.st_ino != there.st_ino || ours.st_dev != there.st_dev) {
        close(fd);
        FAIL("the bind mount does not show the temporary file");
    }
#undef FAIL
    return fd;
}

/* The buffer handed to nss_files, grown on ERANGE; a servent it returned
 * lives there until the next call.  */
static char *gbuf;
static size_t gbuflen;

static void grow_gbuf(void)
{
    CHECK(gbuflen < (1u << 24), "nss_files asks for more than 16 MiB");
    gbuflen = gbuflen ? gbuflen * 2 : 4096;
    free(gbuf);
    gbuf = malloc(gbuflen);
    CHECK(gbuf != NULL, "out of memory");
}

static char *xstrdup(const char *s)
{
    char *d = strdup(s);
    CHECK(d != NULL, "out of memory");
    return d;
}

static void add(struct nf_lines *m, const struct servent *se)
{
    if (m->n == m->cap) {
        m->cap = m->cap ? 2 * m->cap : 64;
        m->l = realloc(m->l, m->cap * sizeof *m->l);
        CHECK(m->l != NULL, "out of memory");
    }
    struct nf_line *l = &m->l[m->n++];
    size_t n = 0;
    while (se->s_aliases[n])
        n++;
    l->name = xstrdup(se->s_name);
    l->proto = xstrdup(se->s_proto);
    l->port = ntohs((uint16_t)se->s_port);
    l->nalias = n;
    l->aliases = malloc((n + 1) * sizeof *l->aliases);
    CHECK(l->aliases != NULL, "out of memory");
    for (size_t a = 0; a < n; a++)
        l->aliases[a] = xstrdup(se->s_aliases[a]);
}

void nf_lines_free(struct nf_lines *m)
{
    for (size_t i = 0; i < m->n; i++) {
        free(m->l[i].name);
        free(m->l[i].proto);
        for (size_t a = 0; a < m->l[i].nalias; a++)
            free(m->l[i].aliases[a]);
        free(m->l[i].aliases);
    }
    free(m->l);
    memset(m, 0, sizeof *m);
}

/* A status of nss_files: found, not found, or (ERANGE) ask again with a
 * bigger buffer, which brings the same line again; anything else aborts.  */
static bool found(enum nss_status st, int e, bool *retry)
{
    *retry = st == NSS_STATUS_TRYAGAIN && e == ERANGE;
    if (*retry) {
        grow_gbuf();
        return false;
    }
    CHECK(st == NSS_STATUS_SUCCESS || st == NSS_STATUS_NOTFOUND, "nss_files: status %d, errno %d",
          (int)st, e);
    return st == NSS_STATUS_SUCCESS;
}

void nf_enumerate(struct nf_lines *out)
{
    if (!gbuf)
        grow_gbuf();
    CHECK(_nss_files_setservent(0) == NSS_STATUS_SUCCESS, "setservent: %s", strerror(errno));
    for (;;) {
        struct servent se;
        bool retry;
        int e = 0;
        bool got = found(_nss_files_getservent_r(&se, gbuf, gbuflen, &e), e, &retry);
        if (retry)
            continue;
        if (!got)
            break;
        add(out, &se);
    }
    _nss_files_endservent();
}

bool nf_by_name(const char *name, const char *proto, struct servent *se)
{
    bool retry, got;
    if (!gbuf)
        grow_gbuf();
    do {
        int e = 0;
        got = found(_nss_files_getservbyname_r(name, proto, se, gbuf, gbuflen, &e), e, &retry);
    } while (retry);
    return got;
}

bool nf_by_port(int port, const char *proto, struct servent *se)
{
    bool retry, got;
    if (!gbuf)
        grow_gbuf();
    do {
        int e = 0;
        got = found(_nss_files_getservbyport_r(port, proto, se, gbuf, gbuflen, &e), e, &retry);
    } while (retry);
    return got;
}

/* glibc 2.36 nss/nss_readline.c, after fgets returned a line: leading
 * white space skipped; blank and comment lines passed over; the rest moved
 * to the front by strlen() bytes, without the NUL, so a line with no '\n'
 * keeps bytes of its old tail.  Then the line parser.  */
void nf_emulate(const void *data, size_t size, struct nf_lines *out)
{
    const char *p = data, *end = p + size;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
        char *buf = malloc(n + 1);
        CHECK(buf != NULL, "out of memory");
        memcpy(buf, p, n);
        buf[n] = '\0';
        p += n;
        char *s = buf;
        while (isspace((unsigned char)*s)) /* the C locale: the six ASCII ones */
            s++;
        if (*s != '\0' && *s != '#') {
            out->candidates++;
            if (s != buf)
                memmove(buf, s, strlen(s));
            /* Room for a pointer per alias the line could hold.  */
            size_t datalen = (n / 2 + 4) * sizeof(char *);
            void *pd = malloc(datalen);
            CHECK(pd != NULL, "out of memory");
            struct servent se;
            int e = 0;
            int rc = _nss_files_parse_servent(buf, &se, pd, datalen, &e);
            CHECK(rc == 0 || rc == 1, "_nss_files_parse_servent: %d (errno %d)", rc, e);
            if (rc == 1)
                add(out, &se);
            free(pd);
        }
        free(buf);
    }
}

static bool has_name(const struct nf_line *l, const char *name)
{
    if (strcmp(l->name, name) == 0)
        return true;
    for (size_t a = 0; a < l->nalias; a++)
        if (strcmp(l->aliases[a], name) == 0)
            return true;
    return false;
}

int64_t nf_rules_by_name(const struct nf_lines *m, const char *name, const char *proto)
{
    for (size_t i = 0; i < m->n; i++)
        if ((!proto || strcmp(m->l[i].proto, proto) == 0) && has_name(&m->l[i], name))
            return (int64_t)i;
    return -1;
}

int64_t nf_rules_by_port(const struct nf_lines *m, uint16_t port, bool wide, const char *proto)
{
    for (size_t i = 0; i < m->n && !wide; i++)
        if (m->l[i].port == port && (!proto || strcmp(m->l[i].proto, proto) == 0))
            return (int64_t)i;
    return -1;
}

bool nf_line_eq(const struct nf_line *a, const struct nf_line *b)
{
    if (strcmp(a->name, b->name) || strcmp(a->proto, b->proto) || a->port != b->port ||
        a->nalias != b->nalias)
        return false;
    for (size_t i = 0; i < a->nalias; i++)
        if (strcmp(a->aliases[i], b->aliases[i]))
            return false;
    return true;
}

bool nf_servent_is(const struct servent *se, const struct nf_line *l)
{
    if (strcmp(se->s_name, l->name) || strcmp(se->s_proto, l->proto) ||
        ntohs((uint16_t)se->s_port) != l->port)
        return false;
    size_t a = 0;
    for (; se->s_aliases[a]; a++)
        if (a >= l->nalias || strcmp(se->s_aliases[a], l->aliases[a]))
            return false;
    return a == l->nalias;
}
