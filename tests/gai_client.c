/* getaddrinfo and getnameinfo as real programs call them, for
 * tests/clients.sh: glibc turns a service name into ports by asking the
 * services database (getservbyname_r once per transport it knows:
 * tcp, udp, dccp, udplite, sctp twice), and a port into a name by
 * getservbyport_r.  This prints what comes back; the script compares.
 *
 *   gai_client gai SERVICE [SOCKTYPE]
 *       getaddrinfo(NULL, SERVICE) with ai_family AF_INET, AI_PASSIVE and
 *       ai_socktype SOCKTYPE (0 - the default -, stream, dgram, seqpacket,
 *       dccp); one line per result:  SOCKTYPE PROTOCOL PORT
 *       e.g. "SOCK_SEQPACKET IPPROTO_SCTP 179"
 *   gai_client ni PORT [dgram]
 *       getnameinfo of 127.0.0.1:PORT with NI_NUMERICHOST (and NI_DGRAM
 *       if "dgram" is given); prints the service it returns
 *
 * A getaddrinfo or getnameinfo error prints "error EAI_..." and exits 2;
 * bad usage exits 1.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

struct name {
    int value;
    const char *name;
};

static const struct name socktypes[] = {
    {SOCK_STREAM, "SOCK_STREAM"},       {SOCK_DGRAM, "SOCK_DGRAM"},
    {SOCK_SEQPACKET, "SOCK_SEQPACKET"}, {SOCK_DCCP, "SOCK_DCCP"},
    {SOCK_RAW, "SOCK_RAW"},             {0, NULL},
};

static const struct name protocols[] = {
    {IPPROTO_TCP, "IPPROTO_TCP"},   {IPPROTO_UDP, "IPPROTO_UDP"},
    {IPPROTO_SCTP, "IPPROTO_SCTP"}, {IPPROTO_DCCP, "IPPROTO_DCCP"},
    {IPPROTO_UDPLITE, "IPPROTO_UDPLITE"}, {0, NULL},
};

static const struct name gai_errors[] = {
    {EAI_AGAIN, "EAI_AGAIN"},       {EAI_BADFLAGS, "EAI_BADFLAGS"},
    {EAI_FAIL, "EAI_FAIL"},         {EAI_FAMILY, "EAI_FAMILY"},
    {EAI_MEMORY, "EAI_MEMORY"},     {EAI_NONAME, "EAI_NONAME"},
    {EAI_SERVICE, "EAI_SERVICE"},   {EAI_SOCKTYPE, "EAI_SOCKTYPE"},
    {EAI_SYSTEM, "EAI_SYSTEM"},     {EAI_OVERFLOW, "EAI_OVERFLOW"},
    {EAI_NODATA, "EAI_NODATA"},     {EAI_ADDRFAMILY, "EAI_ADDRFAMILY"},
    {0, NULL},
};

/* The symbolic name of VALUE in TABLE, else the number itself.  */
static void print_name(const struct name *table, int value)
{
    for (; table->name; table++)
        if (table->value == value) {
            fputs(table->name, stdout);
            return;
        }
    printf("%d", value);
}

static int gai_failed(int rc)
{
    fputs("error ", stdout);
    print_name(gai_errors, rc);
    printf(" (%s)\n", rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
    return 2;
}

static int parse_socktype(const char *s, int *out)
{
    if (strcmp(s, "0") == 0)
        *out = 0;
    else if (strcmp(s, "stream") == 0)
        *out = SOCK_STREAM;
    else if (strcmp(s, "dgram") == 0)
        *out = SOCK_DGRAM;
    else if (strcmp(s, "seqpacket") == 0)
        *out = SOCK_SEQPACKET;
    else if (strcmp(s, "dccp") == 0)
        *out = SOCK_DCCP;
    else
        return -1;
    return 0;
}

static int do_gai(const char *service, int socktype)
{
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_INET;
    hints.ai_flags = AI_PASSIVE;
    hints.ai_socktype = socktype;
    int rc = getaddrinfo(NULL, service, &hints, &res);
    if (rc != 0)
        return gai_failed(rc);
    for (const struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        struct sockaddr_in sin;
        if (ai->ai_family != AF_INET || ai->ai_addrlen < sizeof sin) {
            printf("unexpected family %d, address length %u\n", ai->ai_family,
                   (unsigned)ai->ai_addrlen);
            continue;
        }
        memcpy(&sin, ai->ai_addr, sizeof sin);
        print_name(socktypes, ai->ai_socktype);
        putchar(' ');
        print_name(protocols, ai->ai_protocol);
        printf(" %u\n", (unsigned)ntohs(sin.sin_port));
    }
    freeaddrinfo(res);
    return 0;
}

static int do_ni(long port, int dgram)
{
    struct sockaddr_in sin;
    char host[NI_MAXHOST], serv[NI_MAXSERV];
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr) != 1)
        return 1;
    int rc = getnameinfo((const struct sockaddr *)&sin, sizeof sin, host, sizeof host, serv,
                         sizeof serv, NI_NUMERICHOST | (dgram ? NI_DGRAM : 0));
    if (rc != 0)
        return gai_failed(rc);
    printf("%s\n", serv);
    return 0;
}

static int usage(void)
{
    fprintf(stderr, "usage: gai_client gai SERVICE [0|stream|dgram|seqpacket|dccp]\n"
                    "       gai_client ni PORT [dgram]\n");
    return 1;
}

int main(int argc, char **argv)
{
    int rc;
    if (argc >= 3 && argc <= 4 && strcmp(argv[1], "gai") == 0) {
        int socktype = 0;
        if (argc == 4 && parse_socktype(argv[3], &socktype) != 0)
            return usage();
        rc = do_gai(argv[2], socktype);
    } else if (argc >= 3 && argc <= 4 && strcmp(argv[1], "ni") == 0) {
        char *end;
        errno = 0;
        long port = strtol(argv[2], &end, 10);
        if (errno || *end || end == argv[2] || port < 0 || port > 65535)
            return usage();
        if (argc == 4 && strcmp(argv[3], "dgram") != 0)
            return usage();
        rc = do_ni(port, argc == 4);
    } else
        return usage();
    if (fflush(stdout) != 0)
        return 1;
    return rc;
}
