/* One program, two C libraries: built against glibc it asks NSS (the
 * module, through nsswitch.conf), built with `musl-gcc -static` it reads
 * /etc/services itself.  tests/clients_export.sh diffs the two.
 *
 *   servfile_client < QUERIES
 *     name NAME PROTO    -> the port getservbyname_r(NAME, PROTO) gives, or -
 *     port NUMBER PROTO  -> the name getservbyport_r gives, or -
 *     proto NAME         -> the number getprotobyname gives, or -
 * (PROTO and NAME are ignored after "proto NAME".)
 * Each answer is printed after the query, on one line.  */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void)
{
    char line[512], op[8], arg[256], proto[32];
    while (fgets(line, sizeof line, stdin)) {
        int n = sscanf(line, "%7s %255s %31s", op, arg, proto);
        if (n == 2 && !strcmp(op, "proto")) {
            /* musl has no getprotobyname_r.  */
            struct protoent *p = getprotobyname(arg);
            if (p)
                printf("proto %s %d\n", arg, p->p_proto);
            else
                printf("proto %s -\n", arg);
            continue;
        }
        if (n != 3)
            continue;
        /* The _r calls with room to spare: musl's getservbyport() keeps
         * a name of at most 15 bytes (a 32-byte buffer).  */
        struct servent se, *s = NULL;
        char buf[4096];
        if (!strcmp(op, "name")) {
            if (getservbyname_r(arg, proto, &se, buf, sizeof buf, &s) != 0)
                s = NULL;
            if (s)
                printf("name %s %s %d\n", arg, proto, ntohs((unsigned short)s->s_port));
            else
                printf("name %s %s -\n", arg, proto);
        } else if (!strcmp(op, "port")) {
            if (getservbyport_r((int)htons((unsigned short)atoi(arg)), proto, &se, buf,
                                sizeof buf, &s) != 0)
                s = NULL;
            printf("port %s %s %s\n", arg, proto, s ? s->s_name : "-");
        }
    }
    return fflush(stdout) != 0;
}
