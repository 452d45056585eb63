/* fsutil.c - filesystem helpers (see fsutil.h). */
#include "core/fsutil.h"
#include "core/xalloc.h"
#include "plait/error.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int plait_read_file(const char *path, size_t limit, char **out, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return plait_error_set(errno == ENOENT ? PLAIT_ENOTFOUND : PLAIT_EIO, "cannot open %s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return plait_error_set(PLAIT_EIO, "cannot stat %s: %s", path, strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return plait_error_set(PLAIT_EINVALID, "%s is not a regular file", path);
    }
    if (limit && (size_t)st.st_size > limit) {
        close(fd);
        return plait_error_set(PLAIT_EINVALID, "%s is %lld bytes, over the %zu-byte limit", path, (long long)st.st_size, limit);
    }
    size_t cap = (size_t)st.st_size + 1, n = 0;
    char *buf = xmalloc(cap);
    for (;;) {
        if (n + 1 >= cap) {
            if (limit && n > limit) { /* grew while we read */
                free(buf);
                close(fd);
                return plait_error_set(PLAIT_EINVALID, "%s grew past the %zu-byte limit while being read", path, limit);
            }
            cap *= 2;
            buf = xrealloc(buf, cap);
        }
        ssize_t r = read(fd, buf + n, cap - n - 1);
        if (r < 0) {
            if (errno == EINTR) continue;
            int e = errno;
            free(buf);
            close(fd);
            return plait_error_set(PLAIT_EIO, "cannot read %s: %s", path, strerror(e));
        }
        if (r == 0) break;
        n += (size_t)r;
    }
    close(fd);
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return PLAIT_OK;
}

int plait_write_file_atomic(const char *path, const void *data, size_t len)
{
    char *tmp = xasprintf("%s.tmp.%d", path, (int)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        int rc = plait_error_set(PLAIT_EIO, "cannot create %s: %s", tmp, strerror(errno));
        free(tmp);
        return rc;
    }
    const char *p = data;
    size_t left = len;
    while (left) {
        ssize_t w = write(fd, p, left);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            int rc = plait_error_set(PLAIT_EIO, "cannot write %s: %s", tmp, strerror(errno));
            close(fd);
            unlink(tmp);
            free(tmp);
            return rc;
        }
        p += w;
        left -= (size_t)w;
    }
    if (fsync(fd) != 0 || close(fd) != 0 || rename(tmp, path) != 0) {
        int rc = plait_error_set(PLAIT_EIO, "cannot commit %s: %s", path, strerror(errno));
        unlink(tmp);
        free(tmp);
        return rc;
    }
    free(tmp);
    char *dir = plait_path_dirname(path);
    int dfd = open(*dir ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    free(dir);
    return PLAIT_OK;
}

char *plait_path_join(const char *a, const char *b)
{
    if (!a || !*a) return xstrdup(b);
    if (!b || !*b) return xstrdup(a);
    if (b[0] == '/') return xstrdup(b);
    size_t la = strlen(a);
    return xasprintf("%s%s%s", a, a[la - 1] == '/' ? "" : "/", b);
}

void plait_path_normalise(char *p)
{
    int abs = p[0] == '/';
    char *parts[512];
    int n = 0, up = 0;
    char *save = NULL;
    char *copy = xstrdup(p);
    for (char *t = strtok_r(copy, "/", &save); t; t = strtok_r(NULL, "/", &save)) {
        if (strcmp(t, ".") == 0) continue;
        if (strcmp(t, "..") == 0) {
            if (n > 0 && strcmp(parts[n - 1], "..") != 0) n--;
            else if (!abs) parts[n++] = t, up++;
            continue;
        }
        if (n < 512) parts[n++] = t;
    }
    char *w = p;
    if (abs) *w++ = '/';
    for (int i = 0; i < n; i++) {
        size_t l = strlen(parts[i]);
        memmove(w, parts[i], l);
        w += l;
        if (i + 1 < n) *w++ = '/';
    }
    if (w == p) *w++ = abs ? '/' : '.';
    *w = '\0';
    (void)up;
    free(copy);
}

char *plait_path_dirname(const char *p)
{
    const char *s = strrchr(p, '/');
    if (!s) return xstrdup("");
    if (s == p) return xstrdup("/");
    return xstrndup(p, (size_t)(s - p));
}

const char *plait_path_basename(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

int plait_is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

int plait_is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int plait_mkdirs(const char *path)
{
    char *p = xstrdup(path);
    for (char *s = p + 1; *s; s++) {
        if (*s != '/') continue;
        *s = '\0';
        if (mkdir(p, 0755) != 0 && errno != EEXIST) goto fail;
        *s = '/';
    }
    if (mkdir(p, 0755) != 0 && errno != EEXIST) goto fail;
    free(p);
    return PLAIT_OK;
fail:;
    int rc = plait_error_set(PLAIT_EIO, "cannot create directory %s: %s", p, strerror(errno));
    free(p);
    return rc;
}

uint64_t plait_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
