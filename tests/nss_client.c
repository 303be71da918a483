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
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <nss.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *buf;
static size_t buflen = 64;
static int escaped;             /* -x */

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

/* Ask again with a bigger buffer for as long as glibc says ERANGE: that
 * exercises the module's ERANGE path on every entry with aliases.  */
#define ASK(call)                                                         \
    do {                                                                  \
        struct servent se, *res = NULL;                                   \
        int rc;                                                           \
        while ((rc = (call)) == ERANGE) {                                 \
            buflen *= 2;                                                  \
            if (!(buf = realloc(buf, buflen)))                            \
                abort();                                                  \
        }                                                                 \
        if (rc == 0 && res)                                               \
            print_servent(res);                                           \
        else if (rc == 0 || !escaped)                                     \
            printf("NOTFOUND\n");                                         \
        else                                                              \
            printf("ERROR %d\n", rc);                                     \
    } while (0)

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
    ASK(getservbyname_r(name, p, &se, buf, buflen, &res));
}

/* PORT is the int getservbyport_r is given: network byte order is the
 * caller's business (by_port), or deliberately not (portint).  */
static void by_port_int(const char *verb, long shown, int port, const char *proto)
{
    char copy[4096];
    printf("%s %ld %s -> ", verb, shown, proto);
    ASK(getservbyport_r(port, proto_arg(proto, copy, sizeof copy), &se, buf, buflen, &res));
}

static void by_port(long port, const char *proto)
{
    by_port_int("port", port, (int)htons((uint16_t)port), proto);
}

static void enumerate(void)
{
    setservent(0);
    for (;;) {
        struct servent se, *res = NULL;
        int rc = getservent_r(&se, buf, buflen, &res);
        if (rc == ERANGE) {
            buflen *= 2;
            if (!(buf = realloc(buf, buflen)))
                abort();
            continue;
        }
        if (rc != 0 || !res)
            break;
        print_servent(res);
    }
    endservent();
}

/* One getservent_r, on the enumeration as the calls before left it.  */
static void next_entry(void)
{
    struct servent se, *res = NULL;
    int rc;
    printf("next -> ");
    while ((rc = getservent_r(&se, buf, buflen, &res)) == ERANGE) {
        buflen *= 2;
        if (!(buf = realloc(buf, buflen)))
            abort();
    }
    if (rc == 0 && res)
        print_servent(res);
    else
        printf("END\n");
}

static int run(char *line)
{
    static const char *const protos[] = {"tcp", "udp", "sctp", "dccp", "-"};
    char *save = NULL, *verb = strtok_r(line, " \t\n", &save);
    char *a = strtok_r(NULL, " \t\n", &save), *b = strtok_r(NULL, " \t\n", &save);
    if (!verb)
        return 0;
    if (strcmp(verb, "name") == 0 && a && b)
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
        setservent((int)strtol(a, NULL, 10));
    } else if (strcmp(verb, "next") == 0 && a)
        for (long n = strtol(a, NULL, 10); n > 0; n--)
            next_entry();
    else if (strcmp(verb, "endent") == 0) {
        printf("endent\n");
        endservent();
    }
    else {
        fprintf(stderr, "nss_client: bad query: %s\n", verb);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "-x") == 0) {
        escaped = 1;
        argv++;
        argc--;
    }
    if (argc < 2) {
        fprintf(stderr, "usage: nss_client [-x] BACKEND [QUERY...]\n");
        return 2;
    }
    if (strcmp(argv[1], "-") != 0 && __nss_configure_lookup("services", argv[1]) != 0) {
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
