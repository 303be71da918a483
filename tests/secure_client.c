/* For tests/secure.sh: loads the module from an absolute path (the dynamic
 * loader ignores LD_LIBRARY_PATH in a setuid program, dlopen of a full
 * path still works) and asks it for one name, printing the NSS status and
 * whether the kernel marked the process AT_SECURE.
 *
 *   secure_client MODULE NAME  ->  "AT_SECURE=0|1 status=SUCCESS|NOTFOUND|UNAVAIL|..."  */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <netdb.h>
#include <nss.h>
#include <stdio.h>
#include <sys/auxv.h>

int main(int argc, char **argv)
{
    if (argc != 3)
        return 2;
    void *h = dlopen(argv[1], RTLD_NOW);
    nss_getservbyname_r *byname = h ? (nss_getservbyname_r *)dlsym(h, "_nss_iana_getservbyname_r") : NULL;
    if (!byname) {
        fprintf(stderr, "secure_client: %s\n", dlerror());
        return 2;
    }
    struct servent se;
    char buf[1024];
    int err = 0;
    enum nss_status st = byname(argv[2], NULL, &se, buf, sizeof buf, &err);
    const char *name = st == NSS_STATUS_SUCCESS ? "SUCCESS" : st == NSS_STATUS_NOTFOUND ? "NOTFOUND"
                     : st == NSS_STATUS_UNAVAIL ? "UNAVAIL" : "OTHER";
    printf("AT_SECURE=%lu status=%s\n", getauxval(AT_SECURE), name);
    return 0;
}
