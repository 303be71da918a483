/* The query set: every process builds the same one from the same export
 * with a fixed seed, so the rows of different children ask the same
 * questions.  */
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench.h"

static uint64_t rng_state = SEED;
static uint64_t rnd(void) /* splitmix64 */
{
    uint64_t z = (rng_state += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}
static size_t rnd_below(size_t n)
{
    return (size_t)(rnd() % n);
}

/* What libnss_noindex.so.2 answers (bench/nss_noindex.c): stored before
 * every glibc call, whichever the backend, so every row pays the store.  */
int64_t bench_oracle_answer;

static const char *const protos[] = {"tcp", "udp", "sctp", "dccp"};

struct line *lines;
size_t nlines;
struct alias *aliases;
size_t naliases;
struct query *nameq, *portq;
size_t nq;
struct query *gaiq;

static const char *proto_static(const char *p)
{
    for (size_t i = 0; i < 4; i++)
        if (strcmp(p, protos[i]) == 0)
            return protos[i];
    return NULL;
}

/* What a services(5) file holds.  */
struct services_file {
    struct line *lines;
    size_t nlines;
    struct alias *aliases;
    size_t naliases;
};

/* services(5) lines: name port/proto aliases... # comment */
static void parse_services(const char *path, struct services_file *sf)
{
    *sf = (struct services_file){0};
    FILE *f = fopen(path, "re");
    if (!f)
        die("%s: %s", path, strerror(errno));
    char *buf = NULL;
    size_t cap = 0, lcap = 0, acap = 0;
    while (getline(&buf, &cap, f) > 0) {
        char *hash = strchr(buf, '#');
        if (hash)
            *hash = '\0';
        char *save = NULL;
        char *name = strtok_r(buf, " \t\r\n", &save);
        char *pp = name ? strtok_r(NULL, " \t\r\n", &save) : NULL;
        if (!pp)
            continue;
        char *slash = strchr(pp, '/');
        if (!slash)
            continue;
        *slash = '\0';
        const char *proto = proto_static(slash + 1);
        long port = strtol(pp, NULL, 10);
        if (!proto || port < 0 || port > 65535)
            continue;
        if (sf->nlines == lcap)
            sf->lines = xrealloc(sf->lines, (lcap = lcap ? 2 * lcap : 16384) * sizeof *sf->lines);
        sf->lines[sf->nlines++] = (struct line){xstrdup(name), (uint16_t)port, proto};
        for (char *a; (a = strtok_r(NULL, " \t\r\n", &save));) {
            if (sf->naliases == acap)
                sf->aliases =
                    xrealloc(sf->aliases, (acap = acap ? 2 * acap : 256) * sizeof *sf->aliases);
            sf->aliases[sf->naliases++] = (struct alias){xstrdup(a), proto};
        }
    }
    free(buf);
    fclose(f);
    if (sf->nlines == 0)
        die("%s: no services lines", path);
}

void load_export(const char *path)
{
    struct services_file sf;
    parse_services(path, &sf);
    lines = sf.lines;
    nlines = sf.nlines;
    aliases = sf.aliases;
    naliases = sf.naliases;
}

/* NULL a quarter of the time, the entry's own protocol a third, else any
 * of the four.  */
static const char *pick_proto(const char *own)
{
    unsigned r = (unsigned)rnd_below(100);
    if (r < 25)
        return NULL;
    if (r < 60 && own)
        return own;
    return protos[rnd_below(4)];
}

/* Name queries: 40% names, 20% aliases, 10% names in upper case (the
 * case-insensitive path), 30% misses (random strings, and real names with a
 * suffix that makes them unknown).  Port queries: half ports from the
 * registry, half uniform over 0-65535.  Fixed seed: every process builds
 * the same set from the same export.  */
void make_queries(size_t n)
{
    rng_state = SEED;
    nq = n;
    nameq = xmalloc(n * sizeof *nameq);
    portq = xmalloc(n * sizeof *portq);
    for (size_t i = 0; i < n; i++) {
        unsigned r = (unsigned)rnd_below(100);
        const struct line *l = &lines[rnd_below(nlines)];
        char *name;
        const char *own = l->proto;
        if (r < 40) {
            name = xstrdup(l->name);
        } else if (r < 60 && naliases) {
            const struct alias *a = &aliases[rnd_below(naliases)];
            name = xstrdup(a->name);
            own = a->proto;
        } else if (r < 70) {
            name = xstrdup(l->name);
            for (char *p = name; *p; p++)
                *p = (char)toupper((unsigned char)*p);
        } else if (r < 85) {
            size_t len = 4 + rnd_below(9);
            name = xmalloc(len + 1);
            for (size_t k = 0; k < len; k++)
                name[k] = (char)('a' + rnd_below(26));
            name[len] = '\0';
            own = NULL;
        } else {
            name = xasprintf("%s-nx%u", l->name, (unsigned)rnd_below(100));
            own = NULL;
        }
        nameq[i] = (struct query){.name = name, .proto = pick_proto(own), .answer = -1};

        const struct line *pl = &lines[rnd_below(nlines)];
        if (rnd_below(2))
            portq[i] = (struct query){.port = (int)htons(pl->port), .proto = pick_proto(pl->proto),
                                      .answer = -1};
        else
            portq[i] = (struct query){.port = (int)htons((uint16_t)rnd_below(65536)),
                                      .proto = pick_proto(NULL), .answer = -1};
    }
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static char *random_name(void)
{
    size_t len = 4 + rnd_below(9);
    char *name = xmalloc(len + 1);
    for (size_t k = 0; k < len; k++)
        name[k] = (char)('a' + rnd_below(26));
    name[len] = '\0';
    return name;
}

/* Service names as programs give them to getaddrinfo: half are names or
 * aliases of netbase's file (the well-known ones, which every
 * configuration answers), 30% names only the full registry has, 20% no
 * one's.  A seed of their own: the other query sets stay as they were.  */
void make_gai_queries(size_t n, const char *netbase)
{
    struct services_file nb;
    parse_services(netbase, &nb);
    size_t nk = 0;
    const char **known = xmalloc((nb.nlines + nb.naliases) * sizeof *known);
    for (size_t i = 0; i < nb.nlines; i++)
        known[nk++] = nb.lines[i].name;
    for (size_t i = 0; i < nb.naliases; i++)
        known[nk++] = nb.aliases[i].name;
    qsort(known, nk, sizeof *known, cmp_str);
    size_t nd = 0; /* each name once, whatever its protocols */
    for (size_t i = 0; i < nk; i++)
        if (nd == 0 || strcmp(known[nd - 1], known[i]) != 0)
            known[nd++] = known[i];
    size_t nonly = 0;
    const char **only = xmalloc(nlines * sizeof *only);
    for (size_t i = 0; i < nlines; i++)
        if (!bsearch(&lines[i].name, known, nd, sizeof *known, cmp_str))
            only[nonly++] = lines[i].name;
    rng_state = SEED ^ UINT64_C(0x6a1);
    gaiq = xmalloc(n * sizeof *gaiq);
    for (size_t i = 0; i < n; i++) {
        unsigned r = (unsigned)rnd_below(100);
        const char *name = r < 50                ? known[rnd_below(nd)]
                           : r < 80 && nonly > 0 ? only[rnd_below(nonly)]
                                                 : random_name();
        gaiq[i] = (struct query){.name = name, .answer = -1};
    }
    free(only);
}

/* The reader's answer to every query, for noindex to give.  */
void compute_answers(void)
{
    for (size_t i = 0; i < nq; i++) {
        int pn = iana_proto_code(nameq[i].proto), pp = iana_proto_code(portq[i].proto);
        nameq[i].answer = pn >= 0 ? iana_db_by_name(&db, nameq[i].name, pn) : -1;
        portq[i].answer = pp >= 0 ? iana_db_by_port(&db, ntohs((uint16_t)portq[i].port), pp) : -1;
    }
}
