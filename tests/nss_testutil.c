/* See nss_testutil.h.  */
#define _GNU_SOURCE
#include "nss_testutil.h"

#include <dlfcn.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "testutil.h"

const char *tu_module_path(void)
{
    const char *path = getenv("NSS_IANA_MODULE");
    return path ? path : "build/libnss_iana.so.2";
}

int tu_load_module(const char *path, size_t n, const char *const names[], void *fns[])
{
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        fprintf(stderr, "dlopen: %s\n", dlerror());
        return -1;
    }
    int ok = 1;
    for (size_t i = 0; i < n; i++) {
        char sym[64];
        snprintf(sym, sizeof sym, "_nss_iana_%s", names[i]);
        fns[i] = dlsym(h, sym);
        ok &= fns[i] != NULL;
    }
    return ok ? 0 : -1;
}

/* A private copy of the module, so that its state (the cached mapping)
 * starts empty: dlopen of the same file would share the loaded one.  */
static char *module_copy(const char *name)
{
    FILE *in = fopen(tu_module_path(), "rb");
    char *copy = NULL, data[1 << 16];
    size_t k, total = 0;
    if (!in || asprintf(&copy, "%s/%s", tu_tmpdir(), name) < 0)
        return NULL;
    FILE *out = fopen(copy, "wb");
    while (out && (k = fread(data, 1, sizeof data, in)) > 0)
        total += fwrite(data, 1, k, out);
    fclose(in);
    if (!out || fclose(out) != 0 || total == 0) {
        free(copy);
        return NULL;
    }
    return copy;
}

void tu_in_fresh_module(const char *db, const char *copy_name, int (*load)(const char *path),
                        int (*check)(void))
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        setenv("NSS_IANA_DB", db, 1);
        char *copy = module_copy(copy_name);
        if (!copy || load(copy) != 0)
            _exit(2);
        _exit(check() ? 0 : 1);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

size_t tu_pad(size_t mis)
{
    const size_t align = _Alignof(char *);
    return (align - mis % align) % align;
}

void tu_check_guards(const char *area, size_t size, size_t mis, size_t buflen)
{
    for (size_t i = mis + buflen; i < size; i++)
        if ((unsigned char)area[i] != TU_GUARD)
            fail_msg("wrote at %zu past a %zu-byte buffer", i - mis - buflen, buflen);
    for (size_t i = 0; i < mis; i++)
        assert_int_equal((unsigned char)area[i], TU_GUARD);
}

char *tu_guard_page(void)
{
    long page = sysconf(_SC_PAGESIZE);
    char *map = mmap(NULL, (size_t)page * 2, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(map != MAP_FAILED);
    assert_int_equal(mprotect(map + page, (size_t)page, PROT_NONE), 0);
    return map + page;
}

void tu_guard_page_free(char *end)
{
    long page = sysconf(_SC_PAGESIZE);
    munmap(end - page, (size_t)page * 2);
}
