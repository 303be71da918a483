/* The backends and what one pass of lookups calls: glibc's getservbyname_r,
 * getservbyport_r and getservent_r for a backend glibc dispatches to, or
 * the reader's API for "direct"; and choosing the backend, by
 * __nss_configure_lookup or by rewriting the services line of a
 * bind-mounted /etc/nsswitch.conf.  */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <nss.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench.h"

bool direct;                  /* the reader API instead of glibc */
struct iana_db db;
static volatile size_t sink;  /* keeps direct lookups from being optimised out */

unsigned long glibc_byname(size_t from, size_t n, unsigned long *errors)
{
    char buf[BUFLEN];
    struct servent se, *res;
    unsigned long hits = 0;
    for (size_t i = from; i < from + n; i++) {
        const struct query *q = &nameq[i % nq];
        bench_oracle_answer = q->answer;
        int rc = getservbyname_r(q->name, q->proto, &se, buf, sizeof buf, &res);
        if (rc == 0 && res)
            hits++;
        else if (rc != 0 && rc != ENOENT)
            ++*errors;
    }
    return hits;
}

unsigned long glibc_byport(size_t from, size_t n, unsigned long *errors)
{
    char buf[BUFLEN];
    struct servent se, *res;
    unsigned long hits = 0;
    for (size_t i = from; i < from + n; i++) {
        const struct query *q = &portq[i % nq];
        bench_oracle_answer = q->answer;
        int rc = getservbyport_r(q->port, q->proto, &se, buf, sizeof buf, &res);
        if (rc == 0 && res)
            hits++;
        else if (rc != 0 && rc != ENOENT)
            ++*errors;
    }
    return hits;
}

unsigned long direct_byname(size_t from, size_t n, unsigned long *errors)
{
    unsigned long hits = 0;
    size_t s = 0;
    for (size_t i = from; i < from + n; i++) {
        const struct query *q = &nameq[i % nq];
        int proto = iana_proto_code(q->proto);
        int64_t hit = proto < 0 ? -1 : iana_db_by_name(&db, q->name, proto);
        struct iana_view v;
        if (hit >= 0) {
            if (iana_db_entry(&db, (uint32_t)hit, &v) == 0) {
                hits++;
                s += v.names_len + v.port_lo;
            } else {
                ++*errors;
            }
        }
    }
    sink += s;
    return hits;
}

unsigned long direct_byport(size_t from, size_t n, unsigned long *errors)
{
    unsigned long hits = 0;
    size_t s = 0;
    for (size_t i = from; i < from + n; i++) {
        const struct query *q = &portq[i % nq];
        int proto = iana_proto_code(q->proto);
        int64_t hit = proto < 0 ? -1 : iana_db_by_port(&db, ntohs((uint16_t)q->port), proto);
        struct iana_view v;
        if (hit >= 0) {
            if (iana_db_entry(&db, (uint32_t)hit, &v) == 0) {
                hits++;
                s += v.names_len + v.port_lo;
            } else {
                ++*errors;
            }
        }
    }
    sink += s;
    return hits;
}

/* One whole enumeration: the number of lines.  */
static unsigned long enumerate(unsigned long *errors)
{
    unsigned long n = 0;
    if (direct) {
        struct iana_cursor c = {0, 0};
        uint32_t entry;
        uint16_t port;
        size_t s = 0;
        for (; iana_db_cursor_get(&db, &c, &entry, &port); iana_db_cursor_next(&db, &c)) {
            struct iana_view v;
            if (iana_db_entry(&db, entry, &v) == 0)
                s += v.names_len + port;
            n++;
        }
        sink += s;
        return n;
    }
    char buf[BUFLEN];
    struct servent se, *res;
    setservent(0);
    for (;;) {
        int rc = getservent_r(&se, buf, sizeof buf, &res);
        if (rc != 0 || !res) {
            if (rc != 0 && rc != ENOENT)
                ++*errors;
            break;
        }
        n++;
    }
    endservent();
    return n;
}

/* --nsswitch FILE: the child runs with FILE bind-mounted over
 * /etc/nsswitch.conf and chooses a backend by rewriting its services line,
 * as an installed system is configured, instead of __nss_configure_lookup
 * (which also turns off glibc's check of that file on every call).  glibc
 * looks for a change by size and times, and times can repeat within a
 * clock tick: a rewrite never leaves the file its previous size.  */
const char *nsswitch_file;

void select_backend(const struct backend *b)
{
    static int last_len;
    direct = b->direct;
    if (direct)
        return;
    if (nsswitch_file) {
        FILE *f = fopen(nsswitch_file, "we");
        if (!f)
            die("%s: %s", nsswitch_file, strerror(errno));
        int len = fprintf(f, "services: %s\n", b->name);
        if (len == last_len)
            len += fprintf(f, "\n");
        bool bad = len <= 0 || ferror(f);
        if (fclose(f) != 0 || bad)
            die("%s: cannot write", nsswitch_file);
        last_len = len;
    } else if (__nss_configure_lookup("services", b->name) != 0) {
        die("__nss_configure_lookup(services, %s) failed", b->name);
    }
}

const char *const kind_name[] = {"byname", "byport", "enum"};

static unsigned long enum_pass(size_t from, size_t n, unsigned long *errors)
{
    (void)from;
    (void)n;
    return enumerate(errors);
}

pass_fn *pass_of(enum kind k)
{
    if (k == ENUM)
        return enum_pass;
    if (k == BYNAME)
        return direct ? direct_byname : glibc_byname;
    return direct ? direct_byport : glibc_byport;
}

static void open_direct(void)
{
    const char *path = getenv("NSS_IANA_DB");
    const char *why = NULL;
    if (!path || iana_db_open(path, &db, &why) < 0)
        die("direct: cannot open %s: %s", path ? path : "(NSS_IANA_DB unset)",
            why ? why : strerror(errno));
}

/* "floor:floor.glibc,iana:iana.glibc,direct:iana.direct" */
size_t parse_backends(char *spec, struct backend *bs, size_t max)
{
    size_t nb = 0;
    for (char *save = NULL, *t = strtok_r(spec, ",", &save); t && nb < max;
         t = strtok_r(NULL, ",", &save)) {
        char *colon = strchr(t, ':');
        if (colon)
            *colon = '\0';
        const char *name = t, *label = colon ? colon + 1 : t;
        if (strcmp(name, "floor") && strcmp(name, "iana") && strcmp(name, "files") &&
            strcmp(name, "db") && strcmp(name, "direct") && strcmp(name, "noindex"))
            die("unknown backend %s", name);
        bs[nb++] = (struct backend){name, label, strcmp(name, "direct") == 0};
        if ((bs[nb - 1].direct || strcmp(name, "noindex") == 0) && !db.base)
            open_direct();
    }
    return nb;
}

/* The backend answers http/tcp with port 80: it is there and reads what
 * it was given.  */
bool answers_http(const struct backend *b)
{
    select_backend(b);
    if (direct) {
        int64_t hit = iana_db_by_name(&db, "http", IANA_TCP);
        struct iana_view v;
        return hit >= 0 && iana_db_entry(&db, (uint32_t)hit, &v) == 0 && v.port_lo == 80;
    }
    char buf[BUFLEN];
    struct servent se, *res = NULL;
    bench_oracle_answer = db.base ? iana_db_by_name(&db, "http", IANA_TCP) : -1;
    return getservbyname_r("http", "tcp", &se, buf, sizeof buf, &res) == 0 && res &&
           ntohs((uint16_t)se.s_port) == 80;
}
