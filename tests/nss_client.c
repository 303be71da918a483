/* A real NSS client for the end-to-end and differential tests: it asks
 * glibc (getservbyname_r, getservbyport_r, getservent_r) with the services
 * database pointed at one backend by __nss_configure_lookup, and prints
 * each answer in one canonical line, so two backends can be diffed.
 *
 *   nss_client [-x] BACKEND [QUERY...]   queries from argv, else stdin lines:
 *     name NAME PROTO                  PROTO "-" asks for any protocol
 *     port NUMBER PROTO                asks htons((uint16_t)NUMBER)
 *     portint INT PROTO                passes INT to getservbyport_r as is
 *     ports FROM TO [PROTO...]         every port in FROM..TO, for each PROTO
 *                                      (default tcp, udp, sctp, dccp and "-")
 *     enum                             the whole setservent/getservent run
 *     setent STAYOPEN | next N | endent  setservent, N getservent_r calls (one
 *                                      line each: the entry or END), endservent
 *
 *   BACKEND "-" leaves the services line to /etc/nsswitch.conf, as on an
 *   installed system; anything else is a whole services line ("files iana",
 *   "iana [!UNAVAIL=return] files").
 *   -x: NAME and PROTO are %XX-escaped, so any byte can be asked ("%00" is
 *   the empty string, "%2D" a protocol called "-"), and every string in the
 *   output is escaped the same way (bytes <= ' ', >= 0x7f and '%'), so an
 *   answer holding any bytes stays one line that compares exactly; an error
 *   other than not found prints "ERROR rc", and an s_port outside 0-65535
 *   is shown raw.
 *
 * Built with -DCLIENT_PROTOCOLS=1 it is proto_client, the same for the
 * protocols database (getprotobyname_r, getprotobynumber_r,
 * getprotoent_r), always as with -x (an UNAVAIL backend alone gives
 * "ERROR 2", ENOENT):
 *
 *   proto_client BACKEND [QUERY...]     queries from argv, else stdin lines:
 *     name NAME          NAME %XX-escaped ("%00" is the empty string)
 *     number INT         getprotobynumber_r(INT)
 *     numbers FROM TO    every number in FROM..TO
 *     enum               the whole setprotoent/getprotoent run
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <nss.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef CLIENT_PROTOCOLS
#define CLIENT_PROTOCOLS 0
#endif
/* The database asked, and the name the messages give.  */
static const int protocols = CLIENT_PROTOCOLS;
static const char *const self = CLIENT_PROTOCOLS ? "proto_client" : "nss_client";

static char *buf;
static size_t buflen = CLIENT_PROTOCOLS ? 16 : 64;
static int escaped = CLIENT_PROTOCOLS; /* -x, always for protocols */

static void put(const char *s)
{
    if (!escaped) {
        fputs(s, stdout);
        return;
    }
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p <= ' ' || *p >= 0x7f || *p == '%')
            printf("%%%02X", *p);
        else
            putchar(*p);
}

static void print_servent(const struct servent *s)
{
    put(s->s_name);
    printf(" %d/", ntohs((uint16_t)s->s_port));
    put(s->s_proto);
    for (char **a = s->s_aliases; *a; a++) {
        putchar(' ');
        put(*a);
    }
    if (escaped && (s->s_port < 0 || s->s_port > 0xffff))
        printf(" [s_port=%#x]", (unsigned)s->s_port);
    putchar('\n');
}

static void print_protoent(const struct protoent *p)
{
    put(p->p_name);
    printf(" %d", p->p_proto);
    for (char **a = p->p_aliases; *a; a++) {
        putchar(' ');
        put(*a);
    }
    putchar('\n');
}

/* -x arguments: %XX to its byte, in place; "%00" ends the string there.  */
static char *unescape(char *s)
{
    static const char hex[] = "0123456789abcdef0123456789ABCDEF";
    char *out = s;
    for (const char *in = s; *in; out++) {
        const char *hi, *lo;
        if (in[0] == '%' && in[1] && in[2] && (hi = strchr(hex, in[1])) && (lo = strchr(hex, in[2]))) {
            *out = (char)(((hi - hex) % 16) * 16 + (lo - hex) % 16);
            in += 3;
        } else
            *out = *in++;
    }
    *out = '\0';
    return s;
}

/* A bigger buffer, after glibc said ERANGE.  */
static void grow(void)
{
    buflen *= 2;
    if (!(buf = realloc(buf, buflen)))
        abort();
}

/* One lookup's line: the entry (a struct servent or protoent), or why not.  */
static void answer(int rc, const void *res)
{
    if (rc == 0 && res) {
        if (protocols)
            print_protoent(res);
        else
            print_servent(res);
    } else if (rc == 0 || !escaped)
        printf("NOTFOUND\n");
    else
        printf("ERROR %d\n", rc);
}

/* Ask again with a bigger buffer for as long as glibc says ERANGE: that
 * exercises the module's ERANGE path on every entry with aliases.  */
#define ASK(type, call)                                                   \
    do {                                                                  \
        struct type ent, *res = NULL;                                     \
        int rc;                                                           \
        while ((rc = (call)) == ERANGE)                                   \
            grow();                                                       \
        answer(rc, res);                                                  \
    } while (0)

/* The next entry of the enumeration into `ent`: getservent_r's or
 * getprotoent_r's result, the entry in *res.  */
union ent {
    struct servent se;
    struct protoent pe;
};

static int next_of(union ent *ent, const void **res)
{
    int rc;
    if (protocols) {
        struct protoent *r = NULL;
        rc = getprotoent_r(&ent->pe, buf, buflen, &r);
        *res = r;
    } else {
        struct servent *r = NULL;
        rc = getservent_r(&ent->se, buf, buflen, &r);
        *res = r;
    }
    return rc;
}

/* The protocol argument as given on the query line: "-" is none; with
 * -x it is unescaped (a copy: a port sweep asks it many times).  */
static const char *proto_arg(const char *p, char *copy, size_t size)
{
    if (strcmp(p, "-") == 0)
        return NULL;
    if (!escaped)
        return p;
    snprintf(copy, size, "%s", p);
    return unescape(copy);
}

static void by_name(char *name, const char *proto)
{
    char copy[4096];
    printf("name %s %s -> ", name, proto);
    const char *p = proto_arg(proto, copy, sizeof copy);
    if (escaped)
        unescape(name);
    ASK(servent, getservbyname_r(name, p, &ent, buf, buflen, &res));
}

/* PORT is the int getservbyport_r is given: network byte order is the
 * caller's business (by_port), or deliberately not (portint).  */
static void by_port_int(const char *verb, long shown, int port, const char *proto)
{
    char copy[4096];
    printf("%s %ld %s -> ", verb, shown, proto);
    ASK(servent, getservbyport_r(port, proto_arg(proto, copy, sizeof copy), &ent, buf, buflen, &res));
}

static void by_port(long port, const char *proto)
{
    by_port_int("port", port, (int)htons((uint16_t)port), proto);
}

static void by_number(long n)
{
    printf("number %ld -> ", n);
    ASK(protoent, getprotobynumber_r((int)n, &ent, buf, buflen, &res));
}

static void set_ent(int stayopen)
{
    if (protocols)
        setprotoent(stayopen);
    else
        setservent(stayopen);
}

static void end_ent(void)
{
    if (protocols)
        endprotoent();
    else
        endservent();
}

static void enumerate(void)
{
    set_ent(0);
    for (;;) {
        union ent ent;
        const void *res = NULL;
        int rc = next_of(&ent, &res);
        if (rc == ERANGE) {
            grow();
            continue;
        }
        if (rc != 0 || !res)
            break;
        answer(0, res);
    }
    end_ent();
}

/* One getservent_r, on the enumeration as the calls before left it.  */
static void next_entry(void)
{
    union ent ent;
    const void *res = NULL;
    int rc;
    printf("next -> ");
    while ((rc = next_of(&ent, &res)) == ERANGE)
        grow();
    if (rc == 0 && res)
        answer(0, res);
    else
        printf("END\n");
}

/* A protocols query line (proto_client).  */
static int run_protocols(const char *verb, char *a, const char *b)
{
    if (strcmp(verb, "name") == 0 && a) {
        printf("name %s -> ", a);
        unescape(a);
        ASK(protoent, getprotobyname_r(a, &ent, buf, buflen, &res));
    } else if (strcmp(verb, "number") == 0 && a)
        by_number(strtol(a, NULL, 10));
    else if (strcmp(verb, "numbers") == 0 && a && b)
        for (long n = strtol(a, NULL, 10); n <= strtol(b, NULL, 10); n++)
            by_number(n);
    else if (strcmp(verb, "enum") == 0)
        enumerate();
    else
        return -1;
    return 0;
}

static int run(char *line)
{
    static const char *const protos[] = {"tcp", "udp", "sctp", "dccp", "-"};
    char *save = NULL, *verb = strtok_r(line, " \t\n", &save);
    char *a = strtok_r(NULL, " \t\n", &save), *b = strtok_r(NULL, " \t\n", &save);
    if (!verb)
        return 0;
    int bad = 0;
    if (protocols)
        bad = run_protocols(verb, a, b) != 0;
    else if (strcmp(verb, "name") == 0 && a && b)
        by_name(a, b);
    else if (strcmp(verb, "port") == 0 && a && b)
        by_port(strtol(a, NULL, 10), b);
    else if (strcmp(verb, "portint") == 0 && a && b)
        by_port_int("portint", strtol(a, NULL, 10), (int)strtol(a, NULL, 10), b);
    else if (strcmp(verb, "ports") == 0 && a && b) {
        const char *list[64];
        size_t n = 0;
        for (char *p; n < sizeof list / sizeof list[0] && (p = strtok_r(NULL, " \t\n", &save));)
            list[n++] = p;
        for (long p = strtol(a, NULL, 10); p <= strtol(b, NULL, 10); p++)
            for (size_t i = 0; i < (n ? n : sizeof protos / sizeof protos[0]); i++)
                by_port(p, n ? list[i] : protos[i]);
    } else if (strcmp(verb, "enum") == 0)
        enumerate();
    else if (strcmp(verb, "setent") == 0 && a) {
        printf("setent %s\n", a);
        set_ent((int)strtol(a, NULL, 10));
    } else if (strcmp(verb, "next") == 0 && a)
        for (long n = strtol(a, NULL, 10); n > 0; n--)
            next_entry();
    else if (strcmp(verb, "endent") == 0) {
        printf("endent\n");
        end_ent();
    } else
        bad = 1;
    if (bad) {
        fprintf(stderr, "%s: bad query: %s\n", self, verb);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (!protocols && argc > 1 && strcmp(argv[1], "-x") == 0) {
        escaped = 1;
        argv++;
        argc--;
    }
    if (argc < 2) {
        fprintf(stderr, "usage: %s%s BACKEND [QUERY...]\n", self, protocols ? "" : " [-x]");
        return 2;
    }
    if (strcmp(argv[1], "-") != 0 && __nss_configure_lookup(protocols ? "protocols" : "services", argv[1]) != 0) {
        perror("__nss_configure_lookup");
        return 2;
    }
    if (!(buf = malloc(buflen)))
        return 2;
    if (argc > 2) {
        for (int i = 2; i < argc; i++)
            if (run(argv[i]) < 0)
                return 2;
    } else {
        char *line = NULL;
        size_t cap = 0;
        while (getline(&line, &cap, stdin) > 0)
            if (run(line) < 0)
                return 2;
        free(line);
    }
    free(buf);
    return fflush(stdout) == 0 ? 0 : 1;
}
