/* What test_nss.c and test_nss_proto.c share to call the module's entry
 * points directly: the built module dlopen'ed, a private copy of it in a
 * child (no cached mapping), and the buffers at every size and
 * misalignment with guard bytes around them or a guard page after.  */
#ifndef NSS_IANA_NSS_TESTUTIL_H
#define NSS_IANA_NSS_TESTUTIL_H

#include <stddef.h>

/* $NSS_IANA_MODULE, or build/libnss_iana.so.2.  */
const char *tu_module_path(void);
/* dlopen()s `path` and resolves each "_nss_iana_" + names[i] into fns[i];
 * 0, or -1 if the module or any symbol is missing.  */
int tu_load_module(const char *path, size_t n, const char *const names[], void *fns[]);
/* In a child, with NSS_IANA_DB=`db`, loads a private copy of the module
 * (tu_tmpdir()/copy_name, through `load`, which points the test's entry
 * points at it) and runs `check`; asserts the child said yes.  */
void tu_in_fresh_module(const char *db, const char *copy_name, int (*load)(const char *path),
                        int (*check)(void));

/* The byte around a buffer under test, and the room for misalignment.  */
enum { TU_GUARD = 0xa5, TU_SLACK = 64 };
/* Bytes a fill() pads at `mis` past an aligned start: up to the pointer
 * alignment of this ABI, as glibc's nss_files pads (__alignof__ (char *)).  */
size_t tu_pad(size_t mis);
/* `area` (size bytes) was filled with TU_GUARD and a call was given
 * area + mis, buflen bytes: fails if it wrote outside them.  */
void tu_check_guards(const char *area, size_t size, size_t mis, size_t buflen);
/* A page whose next page is inaccessible: returns where the first ends,
 * so that a buffer of n bytes is end - n; tu_guard_page_free(end).  */
char *tu_guard_page(void);
void tu_guard_page_free(char *end);

#endif
