/* cmd_gradcheck.c — `nnd gradcheck FILE`: central finite differences of the
 * total loss against backward, for every trainable parameter (Caffe's
 * gradient checker, ggml's test-backend-ops). Inputs the model gives no value
 * get seeded random data.
 *
 * Two checks per parameter. Along random directions v (PyTorch's fast
 * gradcheck): the change of the loss along v against g.v; a sum over every
 * element, it stands well above float32 rounding. The MEDIAN error over the
 * directions decides: a wrong gradient is wrong along every direction, while
 * a kink the step happens to cross (ReLU outputs tied at 0 in a max-pool
 * window are everywhere in a CNN) spoils only some. Element by
 * element on a sample: what a student compares by hand, shown for
 * information, because one float32 element's difference quotient is only good
 * to about 1e-3 of the loss. The step is halved until two estimates agree; a
 * kink (ReLU at 0, a pooling tie) that keeps them apart is counted, not
 * failed. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "ir.h"
#include "rng.h"

#define DIRECTIONS 5

typedef struct {
  double eps, tolerance;
  int samples, batch, verbose;
  uint64_t seed;
} options;

typedef struct {
  int checked, kinks;
  double worst_element, median_direction, worst_direction;
} result;

static int by_value(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* The loss with p = keep + t * dir (dir NULL: only element `at` moves). */
static double loss_at(nnd_session *s, nnd_tensor *p, const float *keep, const float *dir,
                      int64_t at, double t, int *failed) {
  if (dir)
    for (int64_t j = 0; j < p->numel; j++) p->data[j] = (float)(keep[j] + t * dir[j]);
  else
    p->data[at] = (float)(keep[at] + t);
  if (nnd_session_forward(s, 1) != 0) *failed = 1;
  double l = nnd_session_loss(s);
  memcpy(p->data, keep, (size_t)p->numel * sizeof(float));
  return l;
}

/* The derivative along dir (or of element at) by central differences,
 * halving the step until two estimates agree. 0 when they do. */
static int derivative(nnd_session *s, nnd_tensor *p, const float *keep, const float *dir,
                      int64_t at, double h, double tol, double *out, int *failed) {
  double prev = 0;
  for (int step = 0; step < 4 && !*failed; step++, h /= 2) {
    double est = (loss_at(s, p, keep, dir, at, h, failed) -
                  loss_at(s, p, keep, dir, at, -h, failed)) / (2 * h);
    if (step > 0 && fabs(est - prev) <= tol / 2 * fmax(fmax(fabs(est), fabs(prev)), 1e-2)) {
      *out = est;
      return 0;
    }
    prev = est;
  }
  return -1;
}

static double rel_error(double a, double n, double floor) {
  return fabs(a - n) / fmax(fmax(fabs(a), fabs(n)), floor);
}

static int check_param(nnd_session *s, const nnd_node *n, const options *o, result *r) {
  nnd_tensor p, g;
  memset(r, 0, sizeof *r);
  if (nnd_session_value(s, n->name, &p) != 0 || nnd_session_grad(s, n->name, &g) != 0)
    return 0;  /* no gradient reaches it: nothing to compare */
  float *keep = malloc((size_t)p.numel * sizeof *keep);
  float *grad = malloc((size_t)p.numel * sizeof *grad);
  float *dir = malloc((size_t)p.numel * sizeof *dir);
  if (!keep || !grad || !dir) {
    free(keep), free(grad), free(dir);
    return -1;
  }
  memcpy(keep, p.data, (size_t)p.numel * sizeof *keep);
  /* forward does not touch gradients, but the check must not depend on it */
  memcpy(grad, g.data, (size_t)p.numel * sizeof *grad);
  nnd_rng rng = nnd_rng_for(o->seed, n->name);
  int failed = 0, n_dir = 0;
  double errors[DIRECTIONS];
  for (int d = 0; d < DIRECTIONS && !failed; d++) {
    double analytic = 0;
    for (int64_t j = 0; j < p.numel; j++) {
      dir[j] = (float)nnd_rng_normal(&rng);
      analytic += (double)grad[j] * dir[j];
    }
    double numeric;
    double h = o->eps / sqrt((double)p.numel);  /* keeps the whole move about eps */
    if (derivative(s, &p, keep, dir, 0, h, o->tolerance, &numeric, &failed) != 0) {
      r->kinks++;
      continue;
    }
    double err = rel_error(analytic, numeric, 1e-6);
    if (o->verbose && err > o->tolerance)
      printf("  %s along a random direction: backward %.6g, finite differences %.6g\n",
             n->name, analytic, numeric);
    if (err > r->worst_direction) r->worst_direction = err;
    errors[n_dir++] = err;
  }
  if (n_dir > 0) {
    qsort(errors, (size_t)n_dir, sizeof *errors, by_value);
    r->median_direction = errors[n_dir / 2];
  }
  int64_t count = p.numel <= o->samples ? p.numel : o->samples;
  for (int64_t k = 0; k < count && !failed; k++) {
    int64_t i = p.numel <= o->samples ? k : (int64_t)(nnd_rng_next(&rng) % (uint64_t)p.numel);
    double numeric;
    if (derivative(s, &p, keep, NULL, i, o->eps * fmax(1.0, fabs(keep[i])), o->tolerance,
                   &numeric, &failed) != 0) {
      r->kinks++;
      continue;
    }
    double err = rel_error(grad[i], numeric, 1e-2);
    if (o->verbose && err > o->tolerance)
      printf("  %s[%lld]: backward %.6g, finite differences %.6g\n", n->name, (long long)i,
             grad[i], numeric);
    if (err > r->worst_element) r->worst_element = err;
    r->checked++;
  }
  free(keep);
  free(grad);
  free(dir);
  return failed ? -1 : 0;
}

int cmd_gradcheck(int argc, char **argv) {
  options o = {1e-2, 1e-2, 32, 2, 0, 1};
  const char *file = NULL;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (i + 1 < argc && strcmp(a, "--tolerance") == 0) o.tolerance = atof(argv[++i]);
    else if (i + 1 < argc && strcmp(a, "--eps") == 0) o.eps = atof(argv[++i]);
    else if (i + 1 < argc && strcmp(a, "--samples") == 0) o.samples = atoi(argv[++i]);
    else if (i + 1 < argc && strcmp(a, "--batch") == 0) o.batch = atoi(argv[++i]);
    else if (i + 1 < argc && strcmp(a, "--seed") == 0) o.seed = strtoull(argv[++i], NULL, 10);
    else if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0) o.verbose = 1;
    else if (a[0] == '-') return cli_usage_error("gradcheck", "unknown option '%s'", a);
    else if (file) return cli_usage_error("gradcheck", "expected one model file");
    else file = a;
  }
  if (!file) return cli_usage_error("gradcheck", "expected a model file");
  if (o.tolerance <= 0 || o.eps <= 0 || o.samples < 1 || o.batch < 1)
    return cli_usage_error("gradcheck", "--tolerance, --eps, --samples and --batch are positive");
  nnd_model *m = NULL;
  if (cli_compile(file, &m) != EXIT_OK) return EXIT_MODEL;
  nnd_session *s = NULL;
  char err[1024];
  nnd_session_options so = {sizeof so, cli_options.backends, 0, 0};
  if (nnd_session_new(m, &so, &s, err, sizeof err) != 0) {
    fprintf(stderr, "nnd gradcheck: %s\n", err);
    nnd_model_free(m);
    return EXIT_MODEL;
  }
  int status = EXIT_OK;
  if (m->n_losses == 0) {
    fprintf(stderr, "nnd gradcheck: %s has no loss to differentiate\n", file);
    status = EXIT_MODEL;
  }
  if (status == EXIT_OK && nnd_session_literal_batch(s) == 0 &&
      (nnd_session_set_batch(s, o.batch) != 0 || cli_random_inputs(m, s, o.seed) != 0))
    status = EXIT_MODEL;
  if (status == EXIT_OK && (nnd_session_forward(s, 1) != 0 || nnd_session_backward(s) != 0)) {
    fprintf(stderr, "nnd gradcheck: %s\n", nnd_session_error(s));
    status = EXIT_MODEL;
  }
  if (status == EXIT_OK) {
    printf("%-36s %9s %9s %9s %6s %9s\n", "parameter", "median", "worst", "elements",
           "kinks", "element");
    for (int i = 0; i < m->n_nodes && status == EXIT_OK; i++) {
      const nnd_node *n = &m->nodes[i];
      if (n->kind != NND_NODE_PARAM || !n->trainable) continue;
      result r;
      if (check_param(s, n, &o, &r) != 0) {
        fprintf(stderr, "nnd gradcheck: %s\n", nnd_session_error(s));
        status = EXIT_MODEL;
        break;
      }
      int ok = r.median_direction <= o.tolerance;
      printf("%-36s %9.3g %9.3g %9d %6d %9.3g  %s\n", n->name, r.median_direction,
             r.worst_direction, r.checked, r.kinks, r.worst_element, ok ? "ok" : "FAIL");
      if (!ok) status = EXIT_MODEL;
    }
    printf("%s: the median relative error along %d random directions per parameter is "
           "%s the tolerance %g\n(element errors are for information: float32 limits them)\n",
           status == EXIT_OK ? "gradients match" : "gradients differ", DIRECTIONS,
           status == EXIT_OK ? "within" : "above", o.tolerance);
  }
  nnd_session_free(s);
  nnd_model_free(m);
  return status;
}
