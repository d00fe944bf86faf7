/* run_state.c — see run_state.h. */
#include "run_state.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checkpoint.h"

int64_t nnd_run_batches(int64_t n, int batch) { return batch > 0 ? (n + batch - 1) / batch : 0; }

int nnd_run_state_meta(const nnd_run_state *s, const nnd_run_shape *r,
                       char text[NND_RUN_META_MAX][40], const char **keys, const char **values) {
  static const char *names[NND_RUN_META_MAX] = {
      "nnd.model", "nnd.epoch", "nnd.next_batch", "nnd.steps", "nnd.loss_sum", "nnd.correct",
      "nnd.seen", "nnd.seed", "nnd.batch", "nnd.validation", "nnd.train_samples"};
  snprintf(text[1], 40, "%d", s->epoch);
  snprintf(text[2], 40, "%lld", (long long)s->next_batch);
  snprintf(text[3], 40, "%lld", (long long)s->steps);
  snprintf(text[4], 40, "%.17g", s->loss_sum);
  snprintf(text[5], 40, "%lld", (long long)s->correct);
  snprintf(text[6], 40, "%lld", (long long)s->seen);
  snprintf(text[7], 40, "%llu", (unsigned long long)r->seed);
  snprintf(text[8], 40, "%d", r->batch);
  snprintf(text[9], 40, "%.17g", r->validation);
  snprintf(text[10], 40, "%lld", (long long)r->train_samples);
  for (int i = 0; i < NND_RUN_META_MAX; i++) {
    keys[i] = names[i];
    values[i] = i == 0 ? r->model : text[i];
  }
  return NND_RUN_META_MAX;
}

typedef struct {
  const struct nnd_checkpoint *c;
  const char *path;
  char *err;
  size_t es;
} reader;

__attribute__((format(printf, 2, 3))) static int fail(const reader *r, const char *fmt, ...) {
  int k = snprintf(r->err, r->es, "%s: ", r->path);
  if (k >= 0 && (size_t)k < r->es) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->err + k, r->es - (size_t)k, fmt, ap);
    va_end(ap);
  }
  return -1;
}

static const char *value_of(const reader *r, const char *key) {
  const char *v = nnd_checkpoint_meta(r->c, key);
  if (!v) fail(r, "run state %s is missing", key);
  return v;
}

/* A decimal integer, all of the text, in [lo, hi]. The range error names
 * what the range is (`what`). */
static int get_int(const reader *r, const char *key, int64_t lo, int64_t hi, const char *what,
                   int64_t *out) {
  const char *v = value_of(r, key);
  if (!v) return -1;
  char *end;
  errno = 0;
  long long x = strtoll(v, &end, 10);
  if (!((*v >= '0' && *v <= '9') || (*v == '-' && v[1] >= '0' && v[1] <= '9')) || *end ||
      errno)
    return fail(r, "run state %s = \"%s\" is not an integer", key, v);
  if (x < lo && lo == 0 && hi == INT64_MAX)
    return fail(r, "run state %s = %lld is negative", key, x);
  if (x < lo || x > hi)
    return fail(r, "run state %s = %lld is outside %lld to %lld (%s)", key, x, (long long)lo,
                (long long)hi, what);
  *out = x;
  return 0;
}

static int get_double(const reader *r, const char *key, double *out) {
  const char *v = value_of(r, key);
  if (!v) return -1;
  char *end;
  double x = strtod(v, &end);
  if (end == v || *end || isspace((unsigned char)v[0])) /* strtod would skip it */
    return fail(r, "run state %s = \"%s\" is not a number", key, v);
  if (!isfinite(x)) return fail(r, "run state %s = \"%s\" is not finite", key, v);
  *out = x;
  return 0;
}

/* The model, seed and the settings that fix what a position in an epoch
 * means must be this run's. */
static int check_identity(const reader *r, const nnd_run_shape *run) {
  const char *model = value_of(r, "nnd.model");
  if (!model) return -1;
  if (strcmp(model, run->model) != 0)
    return fail(r, "saved by model `%s`, not `%s`", model, run->model);
  const char *seed = value_of(r, "nnd.seed");
  if (!seed) return -1;
  char *end;
  errno = 0;
  unsigned long long s = strtoull(seed, &end, 10);
  if (*seed < '0' || *seed > '9' || *end || errno)
    return fail(r, "run state nnd.seed = \"%s\" is not an integer", seed);
  if (s != run->seed)
    return fail(r, "trained with seed %llu, this run has seed %llu: resuming would change the "
                "data order", s, (unsigned long long)run->seed);
  int64_t batch, samples;
  double validation;
  if (get_int(r, "nnd.batch", 1, INT32_MAX, "a batch size", &batch) != 0 ||
      get_double(r, "nnd.validation", &validation) != 0 ||
      get_int(r, "nnd.train_samples", 1, INT64_MAX, "a sample count", &samples) != 0)
    return -1;
  static const char *why = "the position in the epoch would mean other samples";
  if (batch != run->batch)
    return fail(r, "saved with batch %lld; this run has batch %d: %s", (long long)batch,
                run->batch, why);
  if (validation != run->validation)
    return fail(r, "saved with validation %g; this run has validation %g: %s", validation,
                run->validation, why);
  if (samples != run->train_samples)
    return fail(r, "saved with %lld training samples; this run has %lld (has the data "
                "changed?): %s", (long long)samples, (long long)run->train_samples, why);
  return 0;
}

int nnd_run_state_read(const struct nnd_checkpoint *c, const char *path, const nnd_run_shape *run,
                       nnd_run_state *out, char *err, size_t err_size) {
  reader r = {c, path, err, err_size};
  memset(out, 0, sizeof *out);
  if (!nnd_checkpoint_meta(c, "nnd.model") && !nnd_checkpoint_meta(c, "nnd.epoch"))
    return fail(&r, "has no run state (weights only, or written by another program): use it "
                "with --weights, it cannot be resumed");
  if (!nnd_checkpoint_header_checked(c))
    return fail(&r, "was written by an earlier nnd whose checksum does not cover the run state; "
                "its weights can be used with --weights, but it cannot be resumed");
  if (check_identity(&r, run) != 0) return -1;
  int64_t batches = nnd_run_batches(run->train_samples, run->batch);
  int64_t epoch, next, steps, seen, correct;
  char what[64];
  snprintf(what, sizeof what, "the model trains %d epochs", run->epochs);
  if (get_int(&r, "nnd.epoch", 0, run->epochs, what, &epoch) != 0) return -1;
  /* after the last epoch, only its end */
  int64_t last = epoch == run->epochs ? 0 : batches - 1;
  snprintf(what, sizeof what, "%s", epoch == run->epochs ? "the run is finished"
                                                          : "the batches of an epoch");
  if (get_int(&r, "nnd.next_batch", 0, last, what, &next) != 0 ||
      get_int(&r, "nnd.steps", 0, INT64_MAX, "", &steps) != 0)
    return -1;
  if (steps != epoch * batches + next)
    return fail(&r, "run state nnd.epoch = %lld, nnd.next_batch = %lld and nnd.steps = %lld do "
                "not agree (epoch %lld, batch %lld of %lld per epoch is step %lld)",
                (long long)epoch, (long long)next, (long long)steps, (long long)epoch,
                (long long)next, (long long)batches, (long long)(epoch * batches + next));
  /* every batch before the position is full: the last one is never before it */
  int64_t want_seen = next * run->batch;
  if (get_int(&r, "nnd.seen", 0, INT64_MAX, "", &seen) != 0) return -1;
  if (seen != want_seen)
    return fail(&r, "run state nnd.seen = %lld does not match nnd.next_batch = %lld in batches "
                "of %d (%lld samples)", (long long)seen, (long long)next, run->batch,
                (long long)want_seen);
  if (get_int(&r, "nnd.correct", 0, seen, "the samples seen", &correct) != 0 ||
      get_double(&r, "nnd.loss_sum", &out->loss_sum) != 0)
    return -1;
  out->epoch = (int)epoch;
  out->next_batch = next;
  out->steps = steps;
  out->seen = seen;
  out->correct = correct;
  return 0;
}
