/* A real NSS client for the end-to-end and differential tests: it asks
 * glibc (getservbyname_r, getservbyport_r, getservent_r) with the services
 * database pointed at one backend by __nss_configure_lookup, and prints
 * each answer in one canonical line, so two backends can be diffed.
 *
 *   nss_client BACKEND [QUERY...]     queries from argv, else stdin lines:
 *     name NAME PROTO                  PROTO "-" asks for any protocol
 *     port NUMBER PROTO
 *     ports FROM TO                    every port in FROM..TO, for tcp,
 *                                      udp, sctp, dccp and "-"
 *     enum                             the whole setservent/getservent run
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

static void print_servent(const struct servent *s)
{
    printf("%s %d/%s", s->s_name, ntohs((uint16_t)s->s_port), s->s_proto);
    for (char **a = s->s_aliases; *a; a++)
        printf(" %s", *a);
    putchar('\n');
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
        else                                                              \
            printf("NOTFOUND\n");                                         \
    } while (0)

static const char *proto_arg(const char *p)
{
    return strcmp(p, "-") == 0 ? NULL : p;
}

static void by_name(const char *name, const char *proto)
{
    printf("name %s %s -> ", name, proto);
    ASK(getservbyname_r(name, proto_arg(proto), &se, buf, buflen, &res));
}

static void by_port(long port, const char *proto)
{
    printf("port %ld %s -> ", port, proto);
    ASK(getservbyport_r((int)htons((uint16_t)port), proto_arg(proto), &se, buf, buflen, &res));
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
    else if (strcmp(verb, "ports") == 0 && a && b)
        for (long p = strtol(a, NULL, 10); p <= strtol(b, NULL, 10); p++)
            for (size_t i = 0; i < sizeof protos / sizeof protos[0]; i++)
                by_port(p, protos[i]);
    else if (strcmp(verb, "enum") == 0)
        enumerate();
    else {
        fprintf(stderr, "nss_client: bad query: %s\n", verb);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: nss_client BACKEND [QUERY...]\n");
        return 2;
    }
    if (__nss_configure_lookup("services", argv[1]) != 0) {
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
