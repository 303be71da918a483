/* A real NSS client for the protocols tests, as nss_client is for
 * services: it asks glibc (getprotobyname_r, getprotobynumber_r,
 * getprotoent_r) with the protocols database pointed at one backend by
 * __nss_configure_lookup, and prints each answer as one canonical line,
 * every string %XX-escaped (bytes <= ' ', >= 0x7f and '%'), so that two
 * backends can be diffed whatever the names hold.
 *
 *   proto_client BACKEND [QUERY...]     queries from argv, else stdin lines:
 *     name NAME          NAME %XX-escaped ("%00" is the empty string)
 *     number INT         getprotobynumber_r(INT)
 *     numbers FROM TO    every number in FROM..TO
 *     enum               the whole setprotoent/getprotoent run
 *
 *   BACKEND "-" leaves the protocols line to /etc/nsswitch.conf; anything
 *   else is a whole protocols line ("files iana").  An error other than not
 *   found prints "ERROR rc" (an UNAVAIL backend alone gives ENOENT).  */
#define _GNU_SOURCE
#include <errno.h>
#include <netdb.h>
#include <nss.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *buf;
static size_t buflen = 16;

static void put(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p <= ' ' || *p >= 0x7f || *p == '%')
            printf("%%%02X", *p);
        else
            putchar(*p);
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

/* Again with a bigger buffer for as long as glibc says ERANGE.  */
#define ASK(call)                                                         \
    do {                                                                  \
        struct protoent pe, *res = NULL;                                  \
        int rc;                                                           \
        while ((rc = (call)) == ERANGE) {                                 \
            buflen *= 2;                                                  \
            if (!(buf = realloc(buf, buflen)))                            \
                abort();                                                  \
        }                                                                 \
        if (rc == 0 && res)                                               \
            print_protoent(res);                                          \
        else if (rc == 0)                                                 \
            printf("NOTFOUND\n");                                         \
        else                                                              \
            printf("ERROR %d\n", rc);                                     \
    } while (0)

static void by_number(long n)
{
    printf("number %ld -> ", n);
    ASK(getprotobynumber_r((int)n, &pe, buf, buflen, &res));
}

static void enumerate(void)
{
    setprotoent(0);
    for (;;) {
        struct protoent pe, *res = NULL;
        int rc = getprotoent_r(&pe, buf, buflen, &res);
        if (rc == ERANGE) {
            buflen *= 2;
            if (!(buf = realloc(buf, buflen)))
                abort();
            continue;
        }
        if (rc != 0 || !res)
            break;
        print_protoent(res);
    }
    endprotoent();
}

static int run(char *line)
{
    char *save = NULL, *verb = strtok_r(line, " \t\n", &save);
    char *a = strtok_r(NULL, " \t\n", &save), *b = strtok_r(NULL, " \t\n", &save);
    if (!verb)
        return 0;
    if (strcmp(verb, "name") == 0 && a) {
        printf("name %s -> ", a);
        unescape(a);
        ASK(getprotobyname_r(a, &pe, buf, buflen, &res));
    } else if (strcmp(verb, "number") == 0 && a) {
        by_number(strtol(a, NULL, 10));
    } else if (strcmp(verb, "numbers") == 0 && a && b) {
        for (long n = strtol(a, NULL, 10); n <= strtol(b, NULL, 10); n++)
            by_number(n);
    } else if (strcmp(verb, "enum") == 0) {
        enumerate();
    } else {
        fprintf(stderr, "proto_client: bad query: %s\n", verb);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: proto_client BACKEND [QUERY...]\n");
        return 2;
    }
    if (strcmp(argv[1], "-") != 0 && __nss_configure_lookup("protocols", argv[1]) != 0) {
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
