/* Shared by the libFuzzer harnesses: a check that survives NDEBUG and says
 * what failed before aborting, so libFuzzer records the input as a crash.  */
#ifndef NSS_IANA_FUZZ_UTIL_H
#define NSS_IANA_FUZZ_UTIL_H

#include <stdio.h>
#include <stdlib.h>

#define CHECK(cond, ...)                                                     \
    do {                                                                     \
        if (!(cond)) {                                                       \
            fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, \
                    #cond);                                                  \
            fprintf(stderr, __VA_ARGS__);                                    \
            fputc('\n', stderr);                                             \
            abort();                                                         \
        }                                                                    \
    } while (0)

#endif
