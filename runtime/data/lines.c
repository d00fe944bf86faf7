/* lines.c — see nnd_lines in dataset_internal.h: the text of a CSV file
 * one line at a time, so that what is held is one line and a block, never
 * the whole text (a 2 MB gzip of newlines is 2 GB of it). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "dataset_internal.h"

#define BLOCK (1 << 16)

int nnd_lines_open(nnd_lines *r, const char *path, char *err, size_t es) {
  memset(r, 0, sizeof *r);
  r->path = path;
  errno = 0;
  r->gz = gzopen(path, "rb");
  if (!r->gz)
    return nnd_data_fail(err, es, "%s: %s", path, errno ? strerror(errno) : "out of memory");
  return 0;
}

void nnd_lines_mem(nnd_lines *r, const char *name, const char *text, size_t len) {
  memset(r, 0, sizeof *r);
  r->path = name;
  r->mem = text ? text : "";
  r->mem_len = text ? len : 0;
}

void nnd_lines_close(nnd_lines *r) {
  if (r->gz) gzclose(r->gz);
  free(r->buf);
  r->gz = NULL;
  r->buf = NULL;
}

/* The NUL at buf[z] as a message: its line and character. */
static int nul_error(nnd_lines *r, size_t z, char *err, size_t es) {
  int64_t line = r->line + 1;
  size_t start = r->start;
  for (size_t i = r->start; i < z; i++)
    if (r->buf[i] == '\n') {
      line++;
      start = i + 1;
    }
  return nnd_data_fail(err, es,
                       "%s:%lld: a NUL byte at character %lld of the line: a CSV file is "
                       "text, and this one is not",
                       r->path, (long long)line, (long long)(z - start + 1));
}

/* Read one more block after buf[end]: 1, 0 at the end, -1 on an error. */
static int fill(nnd_lines *r, char *err, size_t es) {
  const size_t limit = nnd_data_max_bytes();
  if (r->start > 0) { /* the lines before start are done with */
    memmove(r->buf, r->buf + r->start, r->end - r->start);
    r->end -= r->start;
    r->start = 0;
  }
  /* room for a block and a NUL; a small buffer in memory needs less */
  size_t need = BLOCK + 1;
  if (!r->gz && r->mem_len - r->mem_pos < BLOCK) need = r->mem_len - r->mem_pos + 1;
  if (r->cap - r->end < need) {
    /* a line longer than the cap would not fit in any file either */
    if (r->cap > limit + (size_t)2 * BLOCK)
      return nnd_data_fail(err, es, "%s:%lld: a line longer than the most a data file may hold",
                           r->path, (long long)r->line + 1);
    size_t ncap = r->cap < BLOCK ? 4 * BLOCK : 2 * r->cap;
    if (!r->gz && r->cap == 0 && need < BLOCK) ncap = need;
    if (ncap < r->end + need) ncap = r->end + need;
    char *nb = realloc(r->buf, ncap);
    if (!nb) return nnd_data_fail(err, es, "%s: out of memory", r->path);
    r->buf = nb;
    r->cap = ncap;
  }
  size_t got;
  if (r->gz) {
    int n = gzread(r->gz, r->buf + r->end, BLOCK);
    int zerr = Z_OK;
    const char *msg = gzerror(r->gz, &zerr);
    if (n < 0 || zerr != Z_OK) return nnd_data_gz_fail(r->path, zerr, msg, err, es);
    got = (size_t)n;
  } else {
    got = r->mem_len - r->mem_pos < BLOCK ? r->mem_len - r->mem_pos : BLOCK;
    memcpy(r->buf + r->end, r->mem + r->mem_pos, got);
    r->mem_pos += got;
  }
  if (got == 0) return 0;
  /* BOM: the first bytes of the text only */
  if (r->total == 0 && got >= 3 && memcmp(r->buf + r->end, "\xEF\xBB\xBF", 3) == 0) {
    memmove(r->buf + r->end, r->buf + r->end + 3, got - 3);
    got -= 3;
    r->total = 3;
  }
  const char *z = memchr(r->buf + r->end, '\0', got);
  r->end += got;
  r->total += got;
  if (z) return nul_error(r, (size_t)(z - r->buf), err, es);
  if (r->total > limit) {
    char text[64];
    return nnd_data_fail(err, es, "%s: more than %s of text, the most a data file may hold",
                         r->path, nnd_data_size_text(limit, text, sizeof text));
  }
  return 1;
}

int nnd_lines_next(nnd_lines *r, char **line, char *err, size_t es) {
  *line = NULL;
  size_t scanned = r->start;
  for (;;) {
    char *nl = r->end > scanned ? memchr(r->buf + scanned, '\n', r->end - scanned) : NULL;
    if (nl || (r->eof && r->end > r->start)) {
      char *s = r->buf + r->start;
      size_t n;
      if (nl) {
        *nl = '\0';
        n = (size_t)(nl - s);
        r->start = (size_t)(nl - r->buf) + 1;
      } else { /* the last line, without a line end: fill left room for its NUL */
        n = r->end - r->start;
        s[n] = '\0';
        r->start = r->end;
      }
      if (n > 0 && s[n - 1] == '\r') s[n - 1] = '\0';
      r->line++;
      *line = s;
      return 1;
    }
    if (r->eof) return 0;
    size_t offset = r->end - r->start; /* already searched, relative to start */
    int got = fill(r, err, es);
    if (got < 0) return -1;
    if (got == 0) r->eof = 1;
    scanned = r->start + offset;
  }
}
