/* What every part of the benchmark uses: dying with a message, memory that
 * cannot fail, and running a command (with its output, or its wall time
 * from spawn to reaped).  */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench/bench.h"

extern char **environ;

void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("bench: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(2);
}

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        die("out of memory");
    return p;
}

void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p)
        die("out of memory");
    return p;
}

char *xstrdup(const char *s)
{
    char *p = strdup(s);
    if (!p)
        die("out of memory");
    return p;
}

char *xvasprintf(const char *fmt, va_list ap)
{
    char *s;
    if (vasprintf(&s, fmt, ap) < 0)
        die("out of memory");
    return s;
}

char *xasprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = xvasprintf(fmt, ap);
    va_end(ap);
    return s;
}

char *absolute(const char *p)
{
    char *r = realpath(p, NULL);
    if (!r)
        die("%s: %s", p, strerror(errno));
    return r;
}

bool in_path(const char *prog)
{
    const char *path = getenv("PATH");
    if (!path)
        path = "/usr/bin:/bin";
    char *p = xstrdup(path);
    bool found = false;
    for (char *save = NULL, *d = strtok_r(p, ":", &save); d && !found; d = strtok_r(NULL, ":", &save)) {
        char *f = xasprintf("%s/%s", d, prog);
        found = access(f, X_OK) == 0;
        free(f);
    }
    free(p);
    return found;
}

int run(char *const argv[], char **out, double *elapsed_ns)
{
    int pfd[2] = {-1, -1};
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    if (out) {
        if (pipe2(pfd, O_CLOEXEC) < 0)
            die("pipe: %s", strerror(errno));
        posix_spawn_file_actions_adddup2(&fa, pfd[1], STDOUT_FILENO);
    } else {
        posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    }
    pid_t pid;
    double t0 = now_ns();
    int e = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (e != 0) {
        if (out) {
            close(pfd[0]);
            close(pfd[1]);
            *out = xstrdup("");
        }
        return -1;
    }
    if (out) {
        close(pfd[1]);
        size_t len = 0, cap = 4096;
        char *s = xmalloc(cap);
        ssize_t k;
        while ((k = read(pfd[0], s + len, cap - len - 1)) > 0 || (k < 0 && errno == EINTR)) {
            if (k < 0)
                continue;
            len += (size_t)k;
            if (cap - len < 2)
                s = xrealloc(s, cap *= 2);
        }
        s[len] = '\0';
        close(pfd[0]);
        *out = s;
    }
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            return -1;
    if (elapsed_ns)
        *elapsed_ns = now_ns() - t0;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
