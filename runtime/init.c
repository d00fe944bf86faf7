/* init.c — see init.h. Fans follow PyTorch: for a weight [out, in, k...],
 * fan_in = in * prod(k) and fan_out = out * prod(k). */
#include "init.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "attr.h"
#include "shape.h"

nnd_rng nnd_rng_for(uint64_t seed, const char *name) {
  uint64_t h = 1469598103934665603ull ^ seed;
  for (const char *p = name; *p; p++) h = (h ^ (unsigned char)*p) * 1099511628211ull;
  nnd_rng r = {h};
  nnd_rng_next(&r);
  return r;
}

double nnd_rng_normal(nnd_rng *r) {
  /* Box-Muller; 1 - u keeps the logarithm finite */
  double u = 1.0 - nnd_rng_uniform(r), v = nnd_rng_uniform(r);
  return sqrt(-2.0 * log(u)) * cos(2.0 * 3.14159265358979323846 * v);
}

static void fans(const nnd_type *t, double *fan_in, double *fan_out) {
  if (t->ndim == 0) {
    *fan_in = *fan_out = 1;
    return;
  }
  if (t->ndim == 1) {
    *fan_in = *fan_out = (double)t->dim[0];
    return;
  }
  double receptive = 1;
  for (int i = 2; i < t->ndim; i++) receptive *= (double)t->dim[i];
  *fan_in = (double)t->dim[1] * receptive;
  *fan_out = (double)t->dim[0] * receptive;
}

static double arg(const nnd_value *call, const char *name, double fallback) {
  return nnd_num(nnd_call_arg(call, name), fallback);
}

static int is_normal(const nnd_value *call) {
  const nnd_value *d = nnd_call_arg(call, "distribution");
  return d && d->kind == NND_VAL_STRING && strcmp(d->str, "normal") == 0;
}

int nnd_init_fill(const nnd_value *init, const nnd_type *t, nnd_rng *rng, float *out,
                  char *msg, size_t msg_n) {
  int64_t n = nnd_type_numel(t);
  if (init->kind == NND_VAL_NUMBER) {
    for (int64_t i = 0; i < n; i++) out[i] = (float)init->num;
    return 0;
  }
  if (init->kind == NND_VAL_LIST) {
    int64_t k = nnd_literal_flatten(init, out, n);
    for (int64_t i = k; i < n; i++) out[i] = k > 0 ? out[i % k] : 0;
    return 0;
  }
  if (init->kind != NND_VAL_CALL) {
    snprintf(msg, msg_n, "a parameter needs an initializer or a literal");
    return -1;
  }
  const char *name = init->str;
  double fan_in, fan_out;
  fans(t, &fan_in, &fan_out);
  double gain = arg(init, "gain", 1);
  double lo = 0, hi = 0, mean = 0, std = -1, constant = 0;
  int use_constant = 0;
  if (strcmp(name, "xavier") == 0 || strcmp(name, "glorot") == 0) {
    if (is_normal(init)) std = gain * sqrt(2.0 / (fan_in + fan_out));
    else hi = gain * sqrt(6.0 / (fan_in + fan_out)), lo = -hi;
  } else if (strcmp(name, "he") == 0 || strcmp(name, "kaiming") == 0) {
    if (is_normal(init)) std = gain * sqrt(2.0 / fan_in);
    else hi = gain * sqrt(6.0 / fan_in), lo = -hi;
  } else if (strcmp(name, "uniform") == 0) {
    lo = arg(init, "low", -0.05);
    hi = arg(init, "high", 0.05);
  } else if (strcmp(name, "normal") == 0) {
    mean = arg(init, "mean", 0);
    std = arg(init, "std", 0.01);
  } else if (strcmp(name, "zeros") == 0) {
    use_constant = 1;
  } else if (strcmp(name, "ones") == 0) {
    use_constant = 1;
    constant = 1;
  } else if (strcmp(name, "constant") == 0) {
    use_constant = 1;
    constant = arg(init, "value", 0);
  } else {
    snprintf(msg, msg_n, "initializer `%s` has no implementation", name);
    return -1;
  }
  for (int64_t i = 0; i < n; i++) {
    double v = use_constant ? constant
               : std >= 0   ? mean + std * nnd_rng_normal(rng)
                            : lo + (hi - lo) * nnd_rng_uniform(rng);
    out[i] = (float)v;
  }
  return 0;
}
