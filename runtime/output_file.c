/* output_file.c — see output_file.h. */
#include "output_file.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct nnd_output {
  FILE *f;
  char *path, *tmp;
  const char *role;
};

static int fail(char *err, size_t n, const char *role, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static int fail(char *err, size_t n, const char *role, const char *path, const char *fmt, ...) {
  if (!err || n == 0) return -1;
  int k = role ? snprintf(err, n, "%s %s: ", role, path ? path : "")
               : snprintf(err, n, "%s: ", path ? path : "");
  if (k >= 0 && (size_t)k < n) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err + k, n - (size_t)k, fmt, ap);
    va_end(ap);
  }
  return -1;
}

static const char *kind_of(mode_t m) {
  if (S_ISDIR(m)) return "a directory";
  if (S_ISCHR(m)) return "a character device";
  if (S_ISBLK(m)) return "a block device";
  if (S_ISFIFO(m)) return "a FIFO";
  if (S_ISSOCK(m)) return "a socket";
  return "not a plain file";
}

int nnd_output_check(const char *role, const char *path, char *err, size_t err_size) {
  if (!path || !*path) return fail(err, err_size, role, path, "no file name given");
  struct stat st;
  if (lstat(path, &st) != 0) {
    if (errno == ENOENT) return 0;
    return fail(err, err_size, role, path, "cannot inspect it: %s", strerror(errno));
  }
  /* rename replaces the link, not what it points to: neither is what the
     user meant, so a link is refused rather than guessed about */
  if (S_ISLNK(st.st_mode))
    return fail(err, err_size, role, path, "is a symbolic link; nnd writes only regular files "
                "(name the file itself)");
  if (!S_ISREG(st.st_mode))
    return fail(err, err_size, role, path, "not a regular file (%s); nnd writes only regular "
                "files", kind_of(st.st_mode));
  return 0;
}

/* Create PATH.tmp.XXXXXXXX with open(..., 0666): the kernel applies the
 * user's umask, which mkstemp's fixed 0600 would not (and reading the umask
 * means setting it, which races with other threads of an embedding
 * program). O_EXCL makes the name ours; a taken one is retried. */
static int create_temp(const char *path, char **tmp_out) {
  size_t plen = strlen(path);
  char *tmp = malloc(plen + 32);
  if (!tmp) return errno = ENOMEM, -1;
  static unsigned counter;
  uint64_t x = (uint64_t)getpid() * 0x9E3779B97F4A7C15ull ^ (uint64_t)time(NULL);
  for (int attempt = 0; attempt < 100; attempt++) {
    x ^= (uint64_t)++counter * 0xBF58476D1CE4E5B9ull;
    x ^= x >> 31;
    snprintf(tmp, plen + 32, "%s.tmp.%08x", path, (unsigned)(x & 0xffffffffu));
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0) {
      *tmp_out = tmp;
      return fd;
    }
    if (errno != EEXIST) break;
  }
  int saved = errno;
  free(tmp);
  errno = saved;
  return -1;
}

int nnd_output_open(const char *role, const char *path, nnd_output **out, char *err,
                    size_t err_size) {
  *out = NULL;
  if (nnd_output_check(role, path, err, err_size) != 0) return -1;
  nnd_output *o = calloc(1, sizeof *o);
  if (!o || !(o->path = strdup(path))) {
    free(o);
    return fail(err, err_size, role, path, "out of memory");
  }
  o->role = role;
  /* The temporary file lives in the target's directory: rename is atomic
   * only within one filesystem. */
  int fd = create_temp(path, &o->tmp);
  if (fd < 0) {
    fail(err, err_size, role, path, "cannot create a temporary file in its directory: %s",
         strerror(errno));
    free(o->path);
    free(o);
    return -1;
  }
  /* a replaced file keeps its mode (and so who may read it) */
  struct stat st;
  if (stat(path, &st) == 0) (void)fchmod(fd, st.st_mode & 07777); /* best effort */
  if (!(o->f = fdopen(fd, "wb"))) {
    fail(err, err_size, role, path, "cannot open %s: %s", o->tmp, strerror(errno));
    close(fd);
    nnd_output_abort(o);
    return -1;
  }
  *out = o;
  return 0;
}

FILE *nnd_output_stream(nnd_output *o) { return o ? o->f : NULL; }

void nnd_output_abort(nnd_output *o) {
  if (!o) return;
  if (o->f) fclose(o->f);
  if (o->tmp) unlink(o->tmp);
  free(o->tmp);
  free(o->path);
  free(o);
}

/* Make the rename durable. Filesystems that cannot sync a directory say
 * EINVAL; there is nothing more to do on them, so that is not an error. */
static int sync_dir(const char *path) {
  const char *slash = strrchr(path, '/');
  char *dir = !slash          ? strdup(".")
              : slash == path ? strdup("/")
                              : strndup(path, (size_t)(slash - path));
  if (!dir) return -1;
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  free(dir);
  if (fd < 0) return -1;
  int rc = fsync(fd) == 0 || errno == EINVAL ? 0 : -1;
  int saved = errno;
  close(fd);
  errno = saved;
  return rc;
}

int nnd_output_commit(nnd_output *o, char *err, size_t err_size) {
  if (!o) return -1;
  const char *role = o->role, *path = o->path;
  /* ferror catches a failed write buffered earlier; fflush and fsync the
     ones still pending (a full disk often shows only at fsync or close) */
  int bad = ferror(o->f) || fflush(o->f) != 0 || fsync(fileno(o->f)) != 0;
  int saved = errno;
  int closed = fclose(o->f);
  o->f = NULL;
  if (bad || closed != 0) {
    if (!bad) saved = errno;
    fail(err, err_size, role, path, "cannot write it: %s", saved ? strerror(saved) : "write error");
    nnd_output_abort(o);
    return -1;
  }
  /* the target may have become something else while we wrote */
  if (nnd_output_check(role, path, err, err_size) != 0) {
    nnd_output_abort(o);
    return -1;
  }
  if (rename(o->tmp, path) != 0) {
    fail(err, err_size, role, path, "cannot rename %s over it: %s", o->tmp, strerror(errno));
    nnd_output_abort(o);
    return -1;
  }
  free(o->tmp);
  o->tmp = NULL; /* renamed: no longer ours to remove */
  int rc = 0;
  if (sync_dir(path) != 0)
    rc = fail(err, err_size, role, path, "written, but syncing its directory failed (%s); it "
              "may not survive a power loss", strerror(errno));
  nnd_output_abort(o);
  return rc;
}

int nnd_output_write(const char *role, const char *path, const void *data, size_t len,
                     char *err, size_t err_size) {
  nnd_output *o;
  if (nnd_output_open(role, path, &o, err, err_size) != 0) return -1;
  if (len && fwrite(data, 1, len, o->f) != len) {
    fail(err, err_size, role, path, "cannot write it: %s", strerror(errno));
    nnd_output_abort(o);
    return -1;
  }
  return nnd_output_commit(o, err, err_size);
}

/* ---- same-file check -------------------------------------------------- */

/* The absolute name of a path that may not exist yet: its directory
 * resolved, plus its last component. */
static char *canonical_name(const char *path) {
  const char *slash = strrchr(path, '/');
  char *dir = !slash          ? strdup(".")
              : slash == path ? strdup("/")
                              : strndup(path, (size_t)(slash - path));
  const char *base = slash ? slash + 1 : path;
  char *real = dir ? realpath(dir, NULL) : NULL;
  free(dir);
  if (!real) return strdup(path);
  size_t n = strlen(real) + strlen(base) + 2;
  char *out = malloc(n);
  if (out) snprintf(out, n, "%s/%s", real, base);
  free(real);
  return out;
}

static int same_file(const char *a, const char *b) {
  struct stat sa, sb;
  int ea = stat(a, &sa) == 0, eb = stat(b, &sb) == 0;
  if (ea && eb) return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
  if (ea != eb) return 0;
  /* neither exists yet: the same name in the same directory */
  char *ca = canonical_name(a), *cb = canonical_name(b);
  int same = ca && cb ? strcmp(ca, cb) == 0 : strcmp(a, b) == 0;
  free(ca);
  free(cb);
  return same;
}

int nnd_paths_distinct(const nnd_path_use *uses, int n, char *err, size_t err_size) {
  for (int j = 1; j < n; j++)
    for (int i = 0; i < j; i++) {
      const nnd_path_use *a = &uses[i], *b = &uses[j];
      if (!a->path || !b->path || (!a->is_output && !b->is_output)) continue;
      if (a->group && a->group == b->group) continue;
      if (!same_file(a->path, b->path)) continue;
      /* the output first: it is the one that would destroy the other */
      const nnd_path_use *out = b->is_output ? b : a, *other = out == b ? a : b;
      snprintf(err, err_size, "%s and %s name the same file: %s", out->role, other->role,
               out->path);
      return -1;
    }
  return 0;
}
