/* data_fixtures.h — what the data suites (test_data.c, test_data_hostile.c)
 * share: a fresh temporary directory per suite, data calls as
 * nnd_call_resolve leaves them, files written with known contents, and
 * "opens" / "fails with these words" checks. Each suite that includes it
 * gets its own copy (static), so the suites stay independent. */
#ifndef NND_TEST_DATA_FIXTURES_H
#define NND_TEST_DATA_FIXTURES_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "data.h"
#include "tests.h"

#define FIXTURE_UNUSED __attribute__((unused))

static char dir[64] FIXTURE_UNUSED;

static inline int suite_init(void) {
  strcpy(dir, "/tmp/nnd_test_data_XXXXXX");
  return mkdtemp(dir) ? 0 : -1;
}

static inline int suite_clean(void) {
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  int status;
  free(run_command(cmd, &status));
  return status;
}

/* ------------------------------------------------------------ helpers */

/* A data call as nnd_call_resolve leaves it: every argument named. */
typedef struct {
  nnd_value call;
  nnd_value items[8];
  const char *names[8];
} tcall;

static inline void begin(tcall *c, const char *fn) {
  memset(c, 0, sizeof *c);
  c->call = (nnd_value){.kind = NND_VAL_CALL, .str = fn, .items = c->items, .names = c->names};
}
static inline void put(tcall *c, const char *name, nnd_value v) {
  c->names[c->call.count] = name;
  c->items[c->call.count++] = v;
}
static inline nnd_value num(double v) {
  return (nnd_value){.kind = NND_VAL_NUMBER, .num = v, .is_int = v == floor(v)};
}
static inline nnd_value str(const char *s) { return (nnd_value){.kind = NND_VAL_STRING, .str = s}; }

static inline const nnd_value *idx_call(tcall *c, const char *images, const char *labels,
                                 double scale) {
  begin(c, "idx");
  put(c, "images", str(images));
  put(c, "labels", str(labels));
  put(c, "scale", num(scale));
  return &c->call;
}

static inline const nnd_value *csv_call(tcall *c, const char *path, const char *label, int header,
                                 const char *delim, double scale) {
  begin(c, "csv");
  put(c, "path", str(path));
  put(c, "label", str(label));
  put(c, "header", (nnd_value){.kind = NND_VAL_BOOL, .num = header});
  put(c, "delimiter", str(delim));
  put(c, "scale", num(scale));
  return &c->call;
}

/* moons(n, noise, seed), xor(...) and blobs(n, centers, features, std, seed) */
static inline const nnd_value *synth(tcall *c, const char *fn, int64_t n, double noise, double seed) {
  begin(c, fn);
  put(c, "n", num((double)n));
  put(c, "noise", num(noise));
  put(c, "seed", num(seed));
  return &c->call;
}
static inline const nnd_value *blobs(tcall *c, int64_t n, int centers, int features, double std,
                              double seed) {
  synth(c, "blobs", n, std, seed);
  c->names[1] = "std";
  put(c, "centers", num(centers));
  put(c, "features", num(features));
  return &c->call;
}

/* A path in the temporary directory (four live at once). */
static inline const char *tmp(const char *name) {
  static char p[4][256];
  static int k;
  k = (k + 1) % 4;
  snprintf(p[k], sizeof p[k], "%s/%s", dir, name);
  return p[k];
}

static inline void write_file(const char *name, const void *data, size_t n) {
  FILE *f = fopen(tmp(name), "wb");
  CU_ASSERT_FATAL(f != NULL);
  CU_ASSERT(fwrite(data, 1, n, f) == n);
  fclose(f);
}

static inline void write_text(const char *name, const char *text) { write_file(name, text, strlen(text)); }

static inline void write_gz(const char *name, const void *data, size_t n) {
  gzFile g = gzopen(tmp(name), "wb");
  CU_ASSERT_FATAL(g != NULL);
  CU_ASSERT(gzwrite(g, data, (unsigned)n) == (int)n);
  gzclose(g);
}

/* An IDX file: big-endian magic and dims, then n data bytes, gzipped when
 * gz. `ndims` may differ from the magic's to make bad files. */
static inline void write_idx(const char *name, int gz, uint32_t magic, int ndims, const uint32_t *dims,
                      const void *data, size_t n) {
  static unsigned char b[16 + 25 * 784];
  uint32_t words[4] = {magic, dims[0], ndims > 1 ? dims[1] : 0, ndims > 2 ? dims[2] : 0};
  for (int w = 0; w <= ndims; w++)
    for (int k = 0; k < 4; k++) b[4 * w + k] = (unsigned char)(words[w] >> (24 - 8 * k));
  memcpy(b + 4 * (ndims + 1), data, n);
  (gz ? write_gz : write_file)(name, b, 4 * (size_t)(ndims + 1) + n);
}

/* The known pair: 3 images of 2x3 and labels 2, 0, 7. */
static const unsigned char FIXTURE_UNUSED PIX[18] = {0,  1,  2,  3,   4,   5,   10,  20, 30,
                                      40, 50, 60, 255, 254, 128, 127, 64, 0};
static const unsigned char FIXTURE_UNUSED LAB[3] = {2, 0, 7};
static const uint32_t FIXTURE_UNUSED IMG_DIMS[3] = {3, 2, 3},
                                      FIXTURE_UNUSED LAB_DIMS[1] = {3};

static inline void write_good_pair(void) {
  write_idx("img.idx", 0, 0x803, 3, IMG_DIMS, PIX, 18);
  write_idx("lab.idx", 0, 0x801, 1, LAB_DIMS, LAB, 3);
}

/* The source the call opens; the test stops here when it does not. */
static inline nnd_dataset *open_ok(const nnd_value *call, const char *base) {
  char err[512] = "";
  nnd_dataset *d = NULL;
  if (nnd_dataset_open(call, base, &d, err, sizeof err) != 0)
    fprintf(stderr, "\nunexpected data error: %s\n", err);
  CU_ASSERT_FATAL(d != NULL);
  return d;
}

/* Opening fails, and the message holds both needles (b may be NULL). */
static inline int open_fails(const nnd_value *call, const char *a, const char *b) {
  char err[512] = "";
  nnd_dataset *d = NULL;
  int rc = nnd_dataset_open(call, "", &d, err, sizeof err);
  int ok = rc == -1 && d == NULL && strstr(err, a) && (!b || strstr(err, b));
  if (!ok)
    fprintf(stderr, "\nexpected an error with \"%s\" / \"%s\", got rc=%d: %s\n", a, b ? b : "",
            rc, err);
  nnd_dataset_free(d);
  return ok;
}

/* idx() of two files of the temporary directory fails with a and b. */
static inline int idx_fails(const char *img, const char *lab, const char *a, const char *b) {
  tcall c;
  return open_fails(idx_call(&c, tmp(img), tmp(lab), 1), a, b);
}

static inline int csv_fails(const char *file, const char *label, int header, const char *delim,
                     const char *a, const char *b) {
  tcall c;
  return open_fails(csv_call(&c, tmp(file), label, header, delim, 1), a, b);
}

/* All of a set, up to 4000 values, into X and Y. */
static float X[4000] FIXTURE_UNUSED, Y[2000] FIXTURE_UNUSED;
static inline void all(const nnd_dataset *d) {
  int64_t index[2000], n = nnd_dataset_size(d);
  CU_ASSERT_FATAL(n <= 2000 && n * nnd_dataset_features(d) <= 4000);
  for (int64_t i = 0; i < n; i++) index[i] = i;
  nnd_dataset_batch(d, index, (int)n, X, Y);
}

/* The batch of samples index[0..n) is want_x, want_y to the bit. */
static inline int batch_is(const nnd_dataset *d, int n, const int64_t *index, const float *want_x,
                    const float *want_y) {
  float x[64], y[8];
  int64_t f = nnd_dataset_features(d);
  nnd_dataset_batch(d, index, n, x, y);
  for (int64_t k = 0; k < n * f; k++)
    if (memcmp(&x[k], &want_x[k], sizeof *x) != 0)
      return fprintf(stderr, "\nx[%d] = %.9g, expected %.9g\n", (int)k, x[k], want_x[k]), 0;
  for (int i = 0; i < n; i++)
    if (memcmp(&y[i], &want_y[i], sizeof *y) != 0)
      return fprintf(stderr, "\ny[%d] = %.9g, expected %.9g\n", i, y[i], want_y[i]), 0;
  return 1;
}


#endif
