/* log_file.c — a training log (--log, sweep's --log-dir) kept whole in
 * memory and rewritten atomically (output_file.c) after every epoch.
 *
 * Why rewrite rather than append: the file on disk is then always a log of
 * whole epochs, the old one or the new one, and a write error (a full disk)
 * is seen at the epoch it happens, through the same checked path as every
 * other output. Appending to a temporary and renaming it would need a copy
 * after each rename anyway, and a log is small (a CSV row per epoch; with
 * --log-steps a line per step, still a few MB for a long run), so writing
 * it whole costs little next to an epoch. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "output_file.h"

int cli_log_open(cli_log *l, const char *role, const char *path, int keep_existing,
                 const char *header, char *err, size_t err_size) {
  memset(l, 0, sizeof *l);
  l->role = role;
  l->path = path;
  if (nnd_output_check(role, path, err, err_size) != 0) return -1;
  if (!(l->mem = open_memstream(&l->buf, &l->len))) {
    snprintf(err, err_size, "%s %s: out of memory", role, path);
    return -1;
  }
  FILE *old = keep_existing ? fopen(path, "rb") : NULL;
  if (old) {
    char chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, old)) > 0) fwrite(chunk, 1, n, l->mem);
    fclose(old);
  } else if (header) {
    fprintf(l->mem, "%s\n", header);
  }
  /* written now, so an unwritable place is refused before any training */
  return cli_log_save(l, err, err_size);
}

int cli_log_save(cli_log *l, char *err, size_t err_size) {
  if (!l->mem) return 0;
  if (fflush(l->mem) != 0 || ferror(l->mem)) {
    snprintf(err, err_size, "%s %s: out of memory", l->role, l->path);
    return -1;
  }
  return nnd_output_write(l->role, l->path, l->buf, l->len, err, err_size);
}

void cli_log_close(cli_log *l) {
  if (l->mem) fclose(l->mem);
  free(l->buf);
  memset(l, 0, sizeof *l);
}
