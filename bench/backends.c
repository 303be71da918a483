/* The backends and what one pass of lookups calls: glibc's getservbyname_r,
 * getservbyport_r and getservent_r for a backend glibc dispatches to, or
 * the reader's API for "direct"; and choosing the backend, by
 * __nss_configure_lookup or by rewriting the services line of a
 * bind-mounted /etc/nsswitch.conf.  */
#include <errno.h>
#include <netdb.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <nss.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

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

/* getaddrinfo(NULL, name, hints) with only ai_family = AF_UNSPEC set, as
 * a server or client asks for a service by name: glibc asks the backend
 * for every protocol it knows (tcp, udp, dccp, udplite, sctp twice), then
 * sorts the loopback addresses it returns.  */
static unsigned long gai_pass(const struct addrinfo *hints, size_t from, size_t n,
                              unsigned long *errors)
{
    unsigned long hits = 0;
    for (size_t i = from; i < from + n; i++) {
        const struct query *q = &gaiq[i % nq];
        struct addrinfo *res;
        bench_oracle_answer = -1;
        int rc = getaddrinfo(NULL, q->name, hints, &res);
        if (rc == 0) {
            hits++;
            freeaddrinfo(res);
        } else if (rc != EAI_SERVICE && rc != EAI_NONAME) {
            ++*errors;
        }
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

/* A backend with a file of its own (NAME:LABEL:FILE) has it bind-mounted
 * over /etc/services, on top of what the child was started with, while it
 * is measured.  From a mount namespace of this process's own, so that no
 * mount outlives it, however it was started.  */
static void private_mounts(void)
{
    static bool done;
    if (!done && (unshare(CLONE_NEWNS) != 0 ||
                  mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0))
        die("a mount namespace of its own: %s", strerror(errno));
    done = true;
}

static void bind_services(const char *file)
{
    static const char *bound; /* ours over /etc/services, or NULL */
    if (file == bound || (file && bound && strcmp(file, bound) == 0))
        return;
    if (bound && umount2("/etc/services", MNT_DETACH) != 0)
        die("umount /etc/services: %s", strerror(errno));
    bound = NULL;
    if (file && mount(file, "/etc/services", NULL, MS_BIND, NULL) != 0)
        die("mount --bind %s /etc/services: %s", file, strerror(errno));
    bound = file;
}

void select_backend(const struct backend *b)
{
    static int last_len;
    static const char *last_line;
    direct = b->direct;
    if (direct)
        return;
    bind_services(b->services);
    if (nsswitch_file) {
        /* The same line again would only make glibc read the file again.  */
        if (last_line && strcmp(last_line, b->line) == 0)
            return;
        last_line = b->line;
        FILE *f = fopen(nsswitch_file, "we");
        if (!f)
            die("%s: %s", nsswitch_file, strerror(errno));
        int len = fprintf(f, "services: %s\n", b->line);
        if (len == last_len)
            len += fprintf(f, "\n");
        bool bad = len <= 0 || ferror(f);
        if (fclose(f) != 0 || bad)
            die("%s: cannot write", nsswitch_file);
        last_len = len;
    } else if (__nss_configure_lookup("services", b->line) != 0) {
        die("__nss_configure_lookup(services, %s) failed", b->line);
    }
}

unsigned long glibc_gai(size_t from, size_t n, unsigned long *errors)
{
    const struct addrinfo hints = {.ai_family = AF_UNSPEC};
    return gai_pass(&hints, from, n, errors);
}

/* The same as a server binding its port asks: IPv4, AI_PASSIVE.  One
 * address (0.0.0.0), so glibc has nothing to sort and asks no socket:
 * what is left is mostly the services lookups.  */
unsigned long glibc_gai4(size_t from, size_t n, unsigned long *errors)
{
    const struct addrinfo hints = {.ai_family = AF_INET, .ai_flags = AI_PASSIVE};
    return gai_pass(&hints, from, n, errors);
}

const char *const kind_name[] = {"byname", "byport", "enum", "gai", "gai4"};

int gai_lookups(void)
{
    /* glibc 2.42 added an MPTCP row (SOCK_STREAM, IPPROTO_MPTCP) to
     * getaddrinfo's table, asked too when no socktype is given: a glibc
     * that knows it takes the protocol for a numeric service, an older one
     * says EAI_SOCKTYPE.  No backend is asked.  */
    struct addrinfo hints = {.ai_family = AF_INET, .ai_flags = AI_PASSIVE,
                             .ai_socktype = SOCK_STREAM, .ai_protocol = 262}, *res;
    if (getaddrinfo(NULL, "80", &hints, &res) != 0)
        return 6;
    freeaddrinfo(res);
    return 7;
}

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
    if (k == GAI || k == GAI4)
        return direct ? NULL : k == GAI ? glibc_gai : glibc_gai4;
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

/* The backends a spec may name, and their services lines.  */
static const struct {
    const char *name, *line;
} known[] = {
    {"floor", "floor"},
    {"iana", "iana"},
    {"noindex", "noindex"},
    {"files", "files"},
    {"db", "db"},
    {"direct", NULL},
    {"files-iana", "files iana"},
    /* libnss-resolve's idiom for an authoritative source with a fallback:
     * iana answers, files only when iana is unavailable.  */
    {"iana-files", "iana [!UNAVAIL=return] files"},
};

/* "floor:floor.glibc,iana:iana.glibc,direct:iana.direct", a label's
 * backend with a file of its own over /etc/services as "files:LABEL:FILE".  */
size_t parse_backends(char *spec, struct backend *bs, size_t max)
{
    size_t nb = 0;
    for (char *save = NULL, *t = strtok_r(spec, ",", &save); t && nb < max;
         t = strtok_r(NULL, ",", &save)) {
        char *colon = strchr(t, ':'), *file = colon ? strchr(colon + 1, ':') : NULL;
        if (colon)
            *colon = '\0';
        if (file)
            *file++ = '\0';
        const char *name = t, *label = colon ? colon + 1 : t;
        size_t k = 0;
        while (k < sizeof known / sizeof known[0] && strcmp(name, known[k].name) != 0)
            k++;
        if (k == sizeof known / sizeof known[0])
            die("unknown backend %s", name);
        bs[nb++] = (struct backend){.name = name, .label = label, .line = known[k].line,
                                    .direct = known[k].line == NULL, .services = file};
        if (file)
            private_mounts();
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
