/* dataset_internal.h — what the data sources (idx.c, csv.c, synthetic.c)
 * share with dataset.c: the one dataset structure every source fills, and
 * small helpers for arguments, paths and messages. Not installed. */
#ifndef NND_DATASET_INTERNAL_H
#define NND_DATASET_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "data.h"

/* One structure for every source rather than a vtable: a source is only ever
 * a block of samples plus labels, and the training loop's batch copy is then
 * a single branch-free loop per storage kind. Exactly one of `bytes` and
 * `values` is set. */
struct nnd_dataset {
  char *name;        /* the file read (resolved path), "" for synthetic sets */
  int64_t n;         /* samples */
  int64_t features;  /* values per sample */
  int classes;       /* max label + 1, or 0 for a regression target */
  int rows, cols;    /* image sources; 0 otherwise */
  uint8_t *bytes;    /* IDX: n * features raw bytes, converted per batch */
  float *values;     /* CSV, synthetic: n * features unscaled values */
  float *labels;     /* n labels as floats (class index or target) */
  double scale;      /* factor on every feature value, applied per batch */
  /* For byte sources, byte * scale computed once: the batch copy becomes a
     table lookup and gives bit-identical results on every call. */
  float lut[256];
};

/* A zeroed dataset named `name` (copied), scale 1; NULL when out of memory. */
nnd_dataset *nnd_data_new(const char *name);

/* Format a message into err (which may be NULL or of size 0) and return -1,
 * so that a failure path is one `return nnd_data_fail(...)`. */
#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
int nnd_data_fail(char *err, size_t err_size, const char *fmt, ...);

/* `path` resolved against base_dir (malloc'd): absolute paths and an empty
 * or NULL base_dir leave it as it is. NULL when out of memory. */
char *nnd_data_path(const char *base_dir, const char *path);

/* A gzip read failure of `path` as a message: zlib's own text without the
 * path it prefixes (the caller names the file once). -1. */
int nnd_data_gz_fail(const char *path, int zerr, const char *zmsg, char *err, size_t err_size);

/* The string argument `name` of call, or NULL when absent or not a string. */
const char *nnd_data_str_arg(const nnd_value *call, const char *name);

/* The per-source openers nnd_dataset_open dispatches to. Each either
 * returns 0 with *out set, or -1 with a message and nothing allocated. */
int nnd_data_idx_open(const nnd_value *call, const char *base_dir, nnd_dataset **out,
                      char *err, size_t err_size);
int nnd_data_csv_open(const nnd_value *call, const char *base_dir, nnd_dataset **out,
                      char *err, size_t err_size);
int nnd_data_moons_open(const nnd_value *call, nnd_dataset **out, char *err, size_t err_size);
int nnd_data_blobs_open(const nnd_value *call, nnd_dataset **out, char *err, size_t err_size);
int nnd_data_xor_open(const nnd_value *call, nnd_dataset **out, char *err, size_t err_size);

#endif
