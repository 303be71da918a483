/* libnss_floor.so.2: the benchmark's floor.  A glibc NSS `services` backend
 * that does the least a real one can: it answers every query with one fixed
 * entry, copied into the caller's buffer the way a real backend must (alias
 * pointer array, name, aliases, protocol), honouring ERANGE.  What glibc's
 * NSS dispatch plus that copy costs is the floor every other backend is
 * measured against.  Built only for `make bench`; never installed.
 *
 * getservent_r returns the fixed entry NSS_FLOOR_ENUM times (read at
 * setservent; default 1), so an enumeration can be as long as the registry's
 * and be compared line for line.  */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <nss.h>
#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define EXPORT __attribute__((visibility("default")))

EXPORT nss_getservbyname_r _nss_floor_getservbyname_r;
EXPORT nss_getservbyport_r _nss_floor_getservbyport_r;
EXPORT nss_setservent _nss_floor_setservent;
EXPORT nss_getservent_r _nss_floor_getservent_r;
EXPORT nss_endservent _nss_floor_endservent;

/* name, one alias, NUL-separated: one memcpy, like a real backend.  */
static const char names[] = "floor\0floor-alias";
#define NALIAS 1

static enum nss_status fill(int port_net, const char *proto, struct servent *result,
                            char *buffer, size_t buflen, int *errnop)
{
    size_t proto_len = strlen(proto) + 1;
    size_t pad = -(uintptr_t)buffer & (alignof(char *) - 1);
    size_t ptrs = (NALIAS + 1) * sizeof(char *);
    size_t needed = pad + ptrs + sizeof names + proto_len;
    if (buflen < needed) {
        *errnop = ERANGE;
        return NSS_STATUS_TRYAGAIN;
    }
    char **aliases = (char **)(void *)(buffer + pad);
    char *p = buffer + pad + ptrs;
    memcpy(p, names, sizeof names);
    result->s_name = p;
    aliases[0] = p + sizeof "floor";
    aliases[1] = NULL;
    result->s_aliases = aliases;
    result->s_proto = memcpy(p + sizeof names, proto, proto_len);
    result->s_port = port_net;
    return NSS_STATUS_SUCCESS;
}

enum nss_status _nss_floor_getservbyname_r(const char *name, const char *protocol,
                                           struct servent *result, char *buffer,
                                           size_t buflen, int *errnop)
{
    (void)name;
    return fill((int)htons(9), protocol ? protocol : "tcp", result, buffer, buflen, errnop);
}

enum nss_status _nss_floor_getservbyport_r(int port, const char *protocol,
                                           struct servent *result, char *buffer,
                                           size_t buflen, int *errnop)
{
    return fill(port, protocol ? protocol : "tcp", result, buffer, buflen, errnop);
}

/* Only the benchmark's main thread enumerates: no lock.  */
static unsigned long enum_left;

enum nss_status _nss_floor_setservent(int stayopen)
{
    (void)stayopen;
    const char *n = getenv("NSS_FLOOR_ENUM");
    enum_left = n && *n ? strtoul(n, NULL, 10) : 1;
    return NSS_STATUS_SUCCESS;
}

enum nss_status _nss_floor_endservent(void)
{
    enum_left = 0;
    return NSS_STATUS_SUCCESS;
}

enum nss_status _nss_floor_getservent_r(struct servent *result, char *buffer, size_t buflen,
                                        int *errnop)
{
    if (enum_left == 0)
        return NSS_STATUS_NOTFOUND;
    enum nss_status s = fill((int)htons(9), "tcp", result, buffer, buflen, errnop);
    if (s == NSS_STATUS_SUCCESS)
        enum_left--;
    return s;
}
