/* synthetic.c — seeded toy sets: moons(n, noise, seed), blobs(n, centers,
 * features, std, seed), xor(n, noise, seed).
 *
 * Every number comes from splitmix64 streams (rng.h) in a fixed order, so
 * a call gives bit-identical data on every machine and run. The sample
 * stream is named after the source and n ("blobs/n=1000"): a test set is
 * then written as the same call with another n — same seed, so blobs keeps
 * its centers (the same problem), but samples independent of the training
 * ones. Another seed gives another problem for blobs.
 *
 * Classes are interleaved (sample i of blobs has class i % centers, moons
 * alternate) rather than sorted as scikit-learn leaves them before its
 * shuffle, so that any prefix of the set is balanced without shuffling;
 * xor's class follows its random point. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "dataset_internal.h"
#include "rng.h"

#define PI 3.14159265358979323846

/* An integer argument in [lo, hi]; the schema already checked most of
 * this, but the runtime may be handed a call built by other code. */
static int int_arg(const nnd_value *call, const char *src, const char *name, double def,
                   double lo, double hi, int64_t *out, char *err, size_t es) {
  double v = nnd_num(nnd_call_arg(call, name), def);
  if (!(v >= lo && v <= hi) || v != floor(v))
    return nnd_data_fail(err, es, "%s: %s must be an integer from %.0f to %.0f, not %g", src,
                         name, lo, hi, v);
  *out = (int64_t)v;
  return 0;
}

static int std_arg(const nnd_value *call, const char *src, const char *name, double def,
                   double *out, char *err, size_t es) {
  double v = nnd_num(nnd_call_arg(call, name), def);
  if (!(v >= 0) || !isfinite(v))
    return nnd_data_fail(err, es, "%s: %s must be a finite number >= 0, not %g", src, name, v);
  *out = v;
  return 0;
}

static int seed_arg(const nnd_value *call, const char *src, uint64_t *out, char *err,
                    size_t es) {
  double v = nnd_num(nnd_call_arg(call, "seed"), 0);
  /* doubles hold integers exactly up to 2^53; the schema gives a double */
  if (!(v >= 0 && v <= 9007199254740992.0) || v != floor(v))
    return nnd_data_fail(err, es, "%s: seed must be an integer from 0 to 2^53, not %g", src, v);
  *out = (uint64_t)v;
  return 0;
}

/* The stream samples are drawn from: see the top of the file for why n is
 * part of its name. */
static nnd_rng sample_rng(uint64_t seed, const char *src, int64_t n) {
  char name[64];
  snprintf(name, sizeof name, "%s/n=%lld", src, (long long)n);
  return nnd_rng_for(seed, name);
}

/* A dataset for n samples of `features` floats, or -1 with a message. */
static int alloc_set(const char *src, int64_t n, int64_t features, int classes,
                     nnd_dataset **out, char *err, size_t es) {
  *out = NULL;
  if ((uint64_t)n > SIZE_MAX / sizeof(float) / ((uint64_t)features + 1))
    return nnd_data_fail(err, es, "%s: %lld samples of %lld values are too many", src,
                         (long long)n, (long long)features);
  /* a line of the model file asks for this much: the same cap as files */
  const size_t bytes = (size_t)n * ((size_t)features + 1) * sizeof(float);
  if (bytes > nnd_data_max_bytes()) {
    char limit[64];
    return nnd_data_fail(err, es,
                         "%s: %lld samples of %lld values need %zu bytes, more than the %s a "
                         "data set may hold",
                         src, (long long)n, (long long)features, bytes,
                         nnd_data_size_text(nnd_data_max_bytes(), limit, sizeof limit));
  }
  nnd_dataset *d = nnd_data_new("");
  if (d) {
    d->values = malloc((size_t)(n * features) * sizeof *d->values);
    d->labels = malloc((size_t)n * sizeof *d->labels);
  }
  if (!d || !d->values || !d->labels) {
    nnd_dataset_free(d);
    return nnd_data_fail(err, es, "%s: out of memory for %lld samples", src, (long long)n);
  }
  d->n = n;
  d->features = features;
  d->classes = classes;
  *out = d;
  return 0;
}

/* scikit-learn's make_moons: class 0 the upper half circle of radius 1
 * around (0, 0), class 1 the lower one around (1, 0.5); n / 2 samples in
 * class 0 and the rest (one more when n is odd) in class 1, evenly spaced
 * along each arc, then Gaussian noise of std `noise` on both coordinates. */
int nnd_data_moons_open(const nnd_value *call, nnd_dataset **out, char *err, size_t es) {
  int64_t n;
  double noise;
  uint64_t seed;
  nnd_dataset *d;
  if (int_arg(call, "moons", "n", 1000, 1, 1e9, &n, err, es) != 0 ||
      std_arg(call, "moons", "noise", 0.1, &noise, err, es) != 0 ||
      seed_arg(call, "moons", &seed, err, es) != 0 ||
      alloc_set("moons", n, 2, 2, &d, err, es) != 0)
    return -1;
  const int64_t n_out = n / 2, n_in = n - n_out;
  nnd_rng rng = sample_rng(seed, "moons", n);
  for (int64_t i = 0; i < n; i++) {
    /* alternate classes; the odd sample out is the last of class 1 */
    int cls = i < 2 * n_out ? (int)(i % 2) : 1;
    int64_t k = i < 2 * n_out ? i / 2 : n_in - 1;
    int64_t count = cls ? n_in : n_out;
    double t = count > 1 ? PI * (double)k / (double)(count - 1) : 0;
    double x = cls ? 1 - cos(t) : cos(t);
    double y = cls ? 0.5 - sin(t) : sin(t);
    /* both draws always happen, so noise=0 and noise>0 share the stream */
    double nx = nnd_rng_normal(&rng), ny = nnd_rng_normal(&rng);
    d->values[2 * i] = (float)(x + noise * nx);
    d->values[2 * i + 1] = (float)(y + noise * ny);
    d->labels[i] = (float)cls;
  }
  *out = d;
  return 0;
}

/* scikit-learn's make_blobs: `centers` centers uniform in [-10, 10] per
 * feature (center_box), samples round-robin over them, each the center plus
 * Gaussian noise of std `std`. The centers have their own stream, drawn
 * from the seed alone, so they do not change with n. */
int nnd_data_blobs_open(const nnd_value *call, nnd_dataset **out, char *err, size_t es) {
  int64_t n, centers, features;
  double std;
  uint64_t seed;
  nnd_dataset *d;
  if (int_arg(call, "blobs", "n", 1000, 1, 1e9, &n, err, es) != 0 ||
      int_arg(call, "blobs", "centers", 3, 1, 1e6, &centers, err, es) != 0 ||
      int_arg(call, "blobs", "features", 2, 1, 1e6, &features, err, es) != 0 ||
      std_arg(call, "blobs", "std", 1, &std, err, es) != 0 ||
      seed_arg(call, "blobs", &seed, err, es) != 0)
    return -1;
  /* 1e6 * 1e6 doubles would not fit: refuse before allocating */
  if (centers * features > (int64_t)1 << 28)
    return nnd_data_fail(err, es, "blobs: %lld centers of %lld features are too many",
                         (long long)centers, (long long)features);
  double *c = malloc((size_t)(centers * features) * sizeof *c);
  if (!c) return nnd_data_fail(err, es, "blobs: out of memory");
  if (alloc_set("blobs", n, features, (int)centers, &d, err, es) != 0) {
    free(c);
    return -1;
  }
  nnd_rng crng = nnd_rng_for(seed, "blobs/centers");
  for (int64_t j = 0; j < centers * features; j++) c[j] = -10 + 20 * nnd_rng_uniform(&crng);
  nnd_rng rng = sample_rng(seed, "blobs", n);
  for (int64_t i = 0; i < n; i++) {
    int64_t cls = i % centers;
    for (int64_t j = 0; j < features; j++)
      d->values[i * features + j] = (float)(c[cls * features + j] + std * nnd_rng_normal(&rng));
    d->labels[i] = (float)cls;
  }
  free(c);
  *out = d;
  return 0;
}

/* Points uniform in [-1, 1]^2; the class is (x > 0) xor (y > 0) of the
 * clean point, then Gaussian jitter of std `noise` moves it, so with noise
 * some points cross the axes with their class: label noise near the
 * boundary, as in the usual XOR toy problem. */
int nnd_data_xor_open(const nnd_value *call, nnd_dataset **out, char *err, size_t es) {
  int64_t n;
  double noise;
  uint64_t seed;
  nnd_dataset *d;
  if (int_arg(call, "xor", "n", 1000, 1, 1e9, &n, err, es) != 0 ||
      std_arg(call, "xor", "noise", 0.1, &noise, err, es) != 0 ||
      seed_arg(call, "xor", &seed, err, es) != 0 ||
      alloc_set("xor", n, 2, 2, &d, err, es) != 0)
    return -1;
  nnd_rng rng = sample_rng(seed, "xor", n);
  for (int64_t i = 0; i < n; i++) {
    double x = -1 + 2 * nnd_rng_uniform(&rng), y = -1 + 2 * nnd_rng_uniform(&rng);
    double nx = nnd_rng_normal(&rng), ny = nnd_rng_normal(&rng);
    d->values[2 * i] = (float)(x + noise * nx);
    d->values[2 * i + 1] = (float)(y + noise * ny);
    d->labels[i] = (float)((x > 0) != (y > 0));
  }
  *out = d;
  return 0;
}
