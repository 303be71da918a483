/* A long-running NSS client for tests/stale.sh: asks glibc for one service
 * by name every 2 ms, through the services line given (passed to
 * __nss_configure_lookup), and prints each change of answer with the time
 * (CLOCK_REALTIME in ms, as `date +%s%3N` prints it), until it has run
 * SECONDS.  A first line "MS started" says it is asking.
 *
 *   stale_client LINE NAME PROTO SECONDS
 *
 * Lines: "MS port/proto" or "MS NOTFOUND".  */
#define _GNU_SOURCE
#include <netdb.h>
#include <netinet/in.h>
#include <nss.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double ms_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) * 1e3 + (double)(t.tv_nsec - t0->tv_nsec) / 1e6;
}

static long long wall_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: stale_client LINE NAME PROTO SECONDS\n");
        return 2;
    }
    if (__nss_configure_lookup("services", argv[1]) != 0) {
        fprintf(stderr, "stale_client: bad services line \"%s\"\n", argv[1]);
        return 2;
    }
    const char *proto = strcmp(argv[3], "-") == 0 ? NULL : argv[3];
    double limit = atof(argv[4]) * 1e3;
    struct timespec t0, pause = {0, 2000000};
    char last[64] = "", now[64];
    clock_gettime(CLOCK_MONOTONIC, &t0);
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("%lld started\n", wall_ms());
    while (ms_since(&t0) < limit) {
        struct servent se, *res = NULL;
        char buf[4096];
        if (getservbyname_r(argv[2], proto, &se, buf, sizeof buf, &res) == 0 && res)
            snprintf(now, sizeof now, "%d/%s", ntohs((uint16_t)res->s_port), res->s_proto);
        else
            snprintf(now, sizeof now, "NOTFOUND");
        if (strcmp(now, last) != 0) {
            printf("%lld %s\n", wall_ms(), now);
            strcpy(last, now);
        }
        nanosleep(&pause, NULL);
    }
    return 0;
}
