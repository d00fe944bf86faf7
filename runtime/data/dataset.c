/* dataset.c — see data.h. Dispatches a data call to its source by name and
 * holds what every source shares: the batch copy, the accessors, freeing,
 * and the helpers declared in dataset_internal.h. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "dataset_internal.h"

nnd_dataset *nnd_data_new(const char *name) {
  nnd_dataset *d = calloc(1, sizeof *d);
  if (!d) return NULL;
  d->name = strdup(name ? name : "");
  if (!d->name) {
    free(d);
    return NULL;
  }
  d->scale = 1;
  return d;
}

int nnd_data_fail(char *err, size_t err_size, const char *fmt, ...) {
  if (err && err_size > 0) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, err_size, fmt, ap);
    va_end(ap);
  }
  return -1;
}

char *nnd_data_path(const char *base_dir, const char *path) {
  size_t nb = base_dir ? strlen(base_dir) : 0, np = strlen(path);
  /* "Relative paths in a model file resolve against the file's own
     directory" (doc/design.md); an absolute path or no directory wins as is */
  if (path[0] == '/' || nb == 0) return strdup(path);
  int slash = base_dir[nb - 1] != '/';
  char *p = malloc(nb + (size_t)slash + np + 1);
  if (!p) return NULL;
  memcpy(p, base_dir, nb);
  if (slash) p[nb] = '/';
  memcpy(p + nb + (size_t)slash, path, np + 1);
  return p;
}

/* 2 GiB: Fashion-MNIST's 47 MB and EMNIST's 550 MB of pixels fit with room
   to spare, and no data file nnd is meant for comes near it; it is a
   variable only so tests and fuzzers can lower it. */
static size_t max_bytes = (size_t)1 << 31;

size_t nnd_data_max_bytes(void) { return max_bytes; }

void nnd_data_set_max_bytes(size_t bytes) { max_bytes = bytes; }

const char *nnd_data_size_text(size_t bytes, char *buf, size_t n) {
  static const char *unit[] = {"KiB", "MiB", "GiB", "TiB"};
  int u = -1;
  size_t v = bytes;
  while (u < 3 && v >= 1024 && v % 1024 == 0) {
    v /= 1024;
    u++;
  }
  if (u >= 1)
    snprintf(buf, n, "%zu bytes (%zu %s)", bytes, v, unit[u]);
  else
    snprintf(buf, n, "%zu bytes", bytes);
  return buf;
}

int nnd_data_gz_fail(const char *path, int zerr, const char *zmsg, char *err, size_t err_size) {
  if (zerr == Z_ERRNO) return nnd_data_fail(err, err_size, "%s: %s", path, strerror(errno));
  size_t n = strlen(path);
  if (!zmsg || !*zmsg) zmsg = "unknown error";
  if (strncmp(zmsg, path, n) == 0 && zmsg[n] == ':' && zmsg[n + 1] == ' ') zmsg += n + 2;
  /* Z_BUF_ERROR is zlib's "unexpected end of file": the file was cut short */
  return nnd_data_fail(err, err_size, "%s: %s gzip data (zlib: %s)", path,
                       zerr == Z_BUF_ERROR ? "truncated" : "corrupt", zmsg);
}

const char *nnd_data_str_arg(const nnd_value *call, const char *name) {
  const nnd_value *v = nnd_call_arg(call, name);
  return v && v->kind == NND_VAL_STRING && v->str ? v->str : NULL;
}

int nnd_dataset_open(const nnd_value *call, const char *base_dir, nnd_dataset **out,
                     char *err, size_t err_size) {
  if (out) *out = NULL;
  if (!out) return nnd_data_fail(err, err_size, "no place to return the data source");
  if (!call || call->kind != NND_VAL_CALL || !call->str)
    return nnd_data_fail(err, err_size,
                         "a data source must be a call such as idx(...), csv(...), "
                         "moons(...), blobs(...) or xor(...)");
  const char *name = call->str;
  if (strcmp(name, "idx") == 0) return nnd_data_idx_open(call, base_dir, out, err, err_size);
  if (strcmp(name, "csv") == 0) return nnd_data_csv_open(call, base_dir, out, err, err_size);
  if (strcmp(name, "moons") == 0) return nnd_data_moons_open(call, out, err, err_size);
  if (strcmp(name, "blobs") == 0) return nnd_data_blobs_open(call, out, err, err_size);
  if (strcmp(name, "xor") == 0) return nnd_data_xor_open(call, out, err, err_size);
  /* Caffe's lesson: say what would have been accepted */
  return nnd_data_fail(err, err_size,
                       "unknown data source \"%s\" (known sources: idx, csv, moons, blobs, xor)",
                       name);
}

void nnd_dataset_free(nnd_dataset *d) {
  if (!d) return;
  free(d->name);
  free(d->bytes);
  free(d->values);
  free(d->labels);
  free(d->label_file);
  free(d->label_column);
  free(d->lines);
  free(d);
}

int64_t nnd_dataset_size(const nnd_dataset *d) { return d ? d->n : 0; }

int64_t nnd_dataset_features(const nnd_dataset *d) { return d ? d->features : 0; }

int nnd_dataset_classes(const nnd_dataset *d) { return d ? d->classes : 0; }

int nnd_dataset_image_shape(const nnd_dataset *d, int *rows, int *cols) {
  int r = d ? d->rows : 0, c = d ? d->cols : 0;
  if (rows) *rows = r;
  if (cols) *cols = c;
  /* the return value is 1 for an image source, so callers can branch on it */
  return r > 0 && c > 0;
}

/* How many samples ahead the batch gather asks for the bytes. A batch of
 * 64 shuffled Fashion-MNIST images took 47-53 us without prefetching and
 * about 30 us with it, at any distance from 1 to 8 (the conversion itself
 * is the rest); 4 leaves room for a slower memory. */
#define PREFETCH_AHEAD 4

static void prefetch_sample(const nnd_dataset *d, int64_t s) {
  const uint8_t *p = d->bytes + s * d->features;
  for (int64_t k = 0; k < d->features; k += 64) __builtin_prefetch(p + k);
}

void nnd_dataset_batch(const nnd_dataset *d, const int64_t *index, int n, float *x, float *y) {
  if (!d || n <= 0) return;
  const int64_t f = d->features;
  for (int i = 0; i < n; i++) {
    const int64_t s = index[i];
    float *dst = x + (int64_t)i * f;
    if (d->bytes) {
      const uint8_t *src = d->bytes + s * f;
      /* a shuffled batch reads samples from all over the data, each a
         cache miss the hardware prefetcher cannot guess: ask for the lines
         of a sample PREFETCH_AHEAD ahead while this one is converted */
      if (i == 0)
        for (int j = 1; j < PREFETCH_AHEAD && j < n; j++) prefetch_sample(d, index[j]);
      if (i + PREFETCH_AHEAD < n) prefetch_sample(d, index[i + PREFETCH_AHEAD]);
      for (int64_t k = 0; k < f; k++) dst[k] = d->lut[src[k]];
    } else if (d->scale == 1) {
      /* the common case keeps the stored floats exactly */
      memcpy(dst, d->values + s * f, (size_t)f * sizeof *dst);
    } else {
      const float *src = d->values + s * f;
      for (int64_t k = 0; k < f; k++) dst[k] = (float)((double)src[k] * d->scale);
    }
    if (y) y[i] = d->labels[s];
  }
}

const uint8_t *nnd_dataset_image(const nnd_dataset *d, int64_t i) {
  if (!d || !d->bytes || i < 0 || i >= d->n) return NULL;
  return d->bytes + i * d->features;
}

const char *nnd_dataset_name(const nnd_dataset *d) { return d && d->name ? d->name : ""; }


/* "[1, 28, 28]" into buf. */
static const char *shape_text(const int64_t *dim, int ndim, char *buf, size_t n) {
  size_t used = 0;
  buf[0] = '\0';
  for (int i = 0; i < ndim && used < n; i++) {
    int w = snprintf(buf + used, n - used, "%s%" PRId64, i ? ", " : "[", dim[i]);
    if (w < 0) break;
    used += (size_t)w;
  }
  if (used < n) snprintf(buf + used, n - used, ndim ? "]" : "[]");
  return buf;
}

/* dim without its size-1 dimensions, into out; the count. */
static int squeeze(const int64_t *dim, int ndim, int64_t *out) {
  int k = 0;
  for (int i = 0; i < ndim; i++)
    if (dim[i] != 1) out[k++] = dim[i];
  return k;
}

int nnd_dataset_check_input(const nnd_dataset *d, const char *input, const int64_t *dim,
                            int ndim, char *err, size_t err_size) {
  const char *source = d && d->name && d->name[0] ? d->name : "the synthetic data";
  char shape[160];
  if (!d || !dim || ndim < 0 || ndim > NND_MAX_DIMS)
    return nnd_data_fail(err, err_size, "no data or no input shape to check");
  int64_t numel = 1;
  for (int i = 0; i < ndim; i++) {
    if (dim[i] < 0 || (dim[i] > 0 && numel > INT64_MAX / dim[i])) {
      numel = -1;
      break;
    }
    numel *= dim[i];
  }
  shape_text(dim, ndim, shape, sizeof shape);
  if (numel != d->features)
    return nnd_data_fail(err, err_size,
                         "%s: its samples have %" PRId64 " values, but `%s` is %s per sample",
                         source, d->features, input, shape);
  if (d->rows <= 0 || d->cols <= 0) return 0; /* a CSV row has no shape */
  int64_t sq[NND_MAX_DIMS], img[2] = {d->rows, d->cols}, sq_img[2];
  const int k = squeeze(dim, ndim, sq), ki = squeeze(img, 2, sq_img);
  if ((k == ki && (k == 0 || memcmp(sq, sq_img, (size_t)k * sizeof *sq) == 0)) ||
      (k == 1 && sq[0] == d->features))
    return 0;
  return nnd_data_fail(err, err_size,
                       "%s: images of %dx%d pixels, but `%s` is %s per sample: an image "
                       "input is [%d, %d] or [%" PRId64 "] (size-1 dimensions may be added, "
                       "as in [1, %d, %d]); one of the same size in another layout would "
                       "cut the images into other rows",
                       source, d->rows, d->cols, input, shape, d->rows, d->cols, d->features,
                       d->rows, d->cols);
}

int nnd_dataset_check_labels(const nnd_dataset *d, const char *input, int64_t classes,
                             int binary, char *err, size_t err_size) {
  if (!d) return nnd_data_fail(err, err_size, "no data to check");
  for (int64_t i = 0; i < d->n; i++) {
    const float v = d->labels[i];
    if (v >= 0 && v < (double)classes && v == floorf(v)) continue;
    char where[320];
    const char *file = d->label_file ? d->label_file : d->name;
    if (!file || !file[0]) file = "the synthetic data";
    if (d->lines && d->label_column)
      snprintf(where, sizeof where, "%s:%" PRId64 ": %s", file, d->lines[i], d->label_column);
    else
      snprintf(where, sizeof where, "%s: sample %" PRId64, file, i + 1);
    if (binary)
      return nnd_data_fail(err, err_size,
                           "%s: label %g is not 0 or 1, which the binary target `%s` needs",
                           where, (double)v, input);
    return nnd_data_fail(err, err_size,
                         "%s: label %g is not a class of `%s` (an integer in 0..%" PRId64
                         ": `%s` has %" PRId64 " classes)",
                         where, (double)v, input, classes - 1, input, classes);
  }
  return 0;
}
