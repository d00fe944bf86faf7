/* cmd_gradcheck.c — `nnd gradcheck FILE`: central finite differences of the
 * total loss against backward, for every trainable parameter (Caffe's
 * gradient checker, ggml's test-backend-ops). Inputs the model gives no value
 * get seeded random data.
 *
 * First, layer by layer (Caffe's checker, node_check.c): every op node's
 * kernel on random inputs at its own shapes. This decides.
 *
 * Then the whole model, per parameter. Along random directions v (PyTorch's fast
 * gradcheck): the change of the loss along v against g.v; a sum over every
 * element, it stands well above float32 rounding. The MEDIAN error over the
 * directions counts: a wrong gradient is wrong along every direction, while
 * a kink the step happens to cross (ReLU outputs tied at 0 in a max-pool
 * window are everywhere in a CNN) spoils only some. Element by
 * element on a sample: what a student compares by hand, shown for
 * information, because one float32 element's difference quotient is only good
 * to about 1e-3 of the loss. The step is halved until two estimates agree; a
 * kink (ReLU at 0, a pooling tie) that keeps them apart is counted, not
 * failed; a row where every element met one checked nothing and fails.
 * Any NaN or infinity (loss, gradient, error) fails. */
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

/* A step that moves the loss by about eps of itself: far above float32
 * rounding of the loss (about 1e-6 of it after a deep network's sums), yet
 * small enough for a smooth function to look linear. Kept in [lo, hi]. */
static double step_for(const options *o, double loss, double slope, double lo, double hi) {
  double h = o->eps * fmax(1.0, fabs(loss)) / fmax(fabs(slope), 1e-12);
  return fmin(fmax(h, lo), hi);
}

/* Infinite, not NaN, when either side is not finite: every comparison with
 * NaN is false, so a NaN error would pass `err > tolerance` tests. */
static double rel_error(double a, double n, double floor) {
  double e = fabs(a - n) / fmax(fmax(fabs(a), fabs(n)), floor);
  return isfinite(e) ? e : INFINITY;
}

static int check_param(nnd_session *s, const nnd_node *n, const options *o, double loss,
                       result *r) {
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
  for (int64_t j = 0; j < p.numel; j++)
    if (!isfinite(grad[j])) r->worst_direction = r->worst_element = INFINITY;
  nnd_rng rng = nnd_rng_for(o->seed, n->name);
  int failed = 0, n_dir = 0;
  r->median_direction = -1;  /* stays so when every direction met a kink */
  double errors[DIRECTIONS];
  for (int d = 0; d < DIRECTIONS && !failed; d++) {
    double analytic = 0;
    for (int64_t j = 0; j < p.numel; j++) {
      dir[j] = (float)nnd_rng_normal(&rng);
      analytic += (double)grad[j] * dir[j];
    }
    double numeric;
    double h = step_for(o, loss, analytic, 1e-6, 1.0 / sqrt((double)p.numel));
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
    double scale = fmax(1.0, fabs(keep[i]));
    if (derivative(s, &p, keep, NULL, i, step_for(o, loss, grad[i], 1e-4 * scale, 0.1 * scale),
                   o->tolerance,
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

/* ReLU, leaky ReLU and max-pooling make a network piecewise: differences
 * of the whole model's loss cross their kinks (ReLU zeros tied in a pooling
 * window are everywhere in a CNN), so only the layer-wise check can decide. */
static int has_kinks(const nnd_model *m) {
  for (int i = 0; i < m->n_nodes; i++) {
    const nnd_node *n = &m->nodes[i];
    if (n->kind == NND_NODE_OP && (strcmp(n->op->name, "relu") == 0 ||
                                   strcmp(n->op->name, "leaky_relu") == 0 ||
                                   strcmp(n->op->name, "maxpool") == 0))
      return 1;
  }
  return 0;
}

static int check_layers(nnd_session *s, const nnd_model *m, const options *o) {
  int status = EXIT_OK;
  printf("layers (each kernel against finite differences, random inputs at its shapes)\n");
  printf("  %-34s %-20s %8s %6s %9s\n", "node", "op", "elements", "kinks", "worst");
  for (int i = 0; i < m->n_nodes; i++) {
    const nnd_node *n = &m->nodes[i];
    if (n->kind != NND_NODE_OP) continue;
    double worst;
    int checked, kinks;
    if (nnd_session_check_node(s, n->name, o->eps, o->samples, o->seed, &worst, &checked,
                               &kinks) != 0) {
      fprintf(stderr, "nnd gradcheck: %s: %s\n", n->name, nnd_session_error(s));
      return EXIT_MODEL;
    }
    /* no element checked: kinks everywhere (or a NaN forward) is no pass;
     * a node with no float input to differentiate has nothing to check */
    int none = checked == 0 && kinks == 0;
    int ok = checked > 0 && worst <= o->tolerance;
    printf("  %-34s %-20s %8d %6d %9.3g  %s\n", n->name, n->op->name, checked, kinks, worst,
           ok ? "ok" : none && worst <= o->tolerance ? "no gradient" : "FAIL");
    if (!ok && !(none && worst <= o->tolerance)) status = EXIT_MODEL;
  }
  return status;
}

static int check_model(nnd_session *s, const nnd_model *m, const options *o, int decides) {
  int status = EXIT_OK;
  printf("\nparameters (the whole model's loss along %d random directions%s)\n", DIRECTIONS,
         decides ? "" : "; for information: the model has ReLU or max-pool kinks");
  printf("  %-34s %9s %9s %9s %6s %9s\n", "parameter", "median", "worst", "elements",
         "kinks", "element");
  for (int i = 0; i < m->n_nodes; i++) {
    const nnd_node *n = &m->nodes[i];
    if (n->kind != NND_NODE_PARAM || !n->trainable) continue;
    result r;
    if (check_param(s, n, o, nnd_session_loss(s), &r) != 0) {
      cli_error("gradcheck", nnd_session_error(s));
      return EXIT_MODEL;
    }
    int determined = r.median_direction >= 0;
    int ok = determined && r.median_direction <= o->tolerance && isfinite(r.worst_direction) &&
             isfinite(r.worst_element);
    printf("  %-34s %9.3g %9.3g %9d %6d %9.3g  %s\n", n->name,
           determined ? r.median_direction : NAN, r.worst_direction, r.checked, r.kinks,
           r.worst_element,
           ok ? "ok" : !determined ? "kinks only" : decides ? "FAIL" : "differs");
    if ((decides || !isfinite(r.worst_direction) || !isfinite(r.worst_element)) && !ok)
      status = EXIT_MODEL;
  }
  return status;
}

int cmd_gradcheck(int argc, char **argv) {
  options o = {1e-2, 1e-2, 32, 2, 0, 1};
  const char *file = NULL;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    int has_value = i + 1 < argc;
    char *end = NULL;
    if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0) {
      o.verbose = 1;
      continue;
    }
    if (a[0] != '-') {
      if (file) return cli_usage_error("gradcheck", "expected one model file");
      file = a;
      continue;
    }
    if (strcmp(a, "--tolerance") && strcmp(a, "--eps") && strcmp(a, "--samples") &&
        strcmp(a, "--batch") && strcmp(a, "--seed"))
      return cli_usage_error("gradcheck", "unknown option '%s'", a);
    if (!has_value) return cli_usage_error("gradcheck", "%s needs a value", a);
    const char *v = argv[++i];
    double x = strtod(v, &end);
    if (end == v || *end || !(x > 0) || (strcmp(a, "--seed") == 0 && x != floor(x)))
      return cli_usage_error("gradcheck", "%s takes a positive number, not '%s'", a, v);
    if (strcmp(a, "--tolerance") == 0) o.tolerance = x;
    else if (strcmp(a, "--eps") == 0) o.eps = x;
    else if (strcmp(a, "--samples") == 0) o.samples = (int)fmin(x, 1e6);
    else if (strcmp(a, "--batch") == 0) o.batch = (int)fmin(x, 1 << 16);
    else o.seed = (uint64_t)x;
  }
  if (!file) return cli_usage_error("gradcheck", "expected a model file");
  nnd_model *m = NULL;
  if (cli_compile(file, &m) != EXIT_OK) return EXIT_MODEL;
  nnd_session *s = NULL;
  char err[1024];
  nnd_session_options so = {.size = sizeof so, .backends = cli_options.backends};
  if (nnd_session_new(m, &so, &s, err, sizeof err) != 0) {
    cli_error("gradcheck", err);
    nnd_model_free(m);
    return EXIT_MODEL;
  }
  int status = EXIT_OK;
  if (nnd_session_literal_batch(s) == 0 && nnd_session_set_batch(s, o.batch) != 0) {
    cli_error("gradcheck", nnd_session_error(s));
    status = EXIT_MODEL;
  }
  if (status == EXIT_OK) cli_random_inputs(m, s, o.seed);
  if (status == EXIT_OK && (nnd_session_forward(s, 1) != 0 ||
                            (m->n_losses && nnd_session_backward(s) != 0))) {
    cli_error("gradcheck", nnd_session_error(s));
    status = EXIT_MODEL;
  }
  /* a loss that is not finite fails, after the layers say where it comes from */
  int bad_loss = status == EXIT_OK && m->n_losses && !isfinite(nnd_session_loss(s));
  if (bad_loss)
    fprintf(stderr, "nnd gradcheck: the loss is %g on the random inputs\n", nnd_session_loss(s));
  if (status == EXIT_OK) status = check_layers(s, m, &o);
  if (bad_loss) status = EXIT_MODEL;
  if (m->n_losses == 0) {
    printf("\nthe model has no loss: only its layers are checked\n");
  } else {
    int model_status = check_model(s, m, &o, !has_kinks(m));
    if (status == EXIT_OK) status = model_status;
  }
  printf("%s (tolerance %g)\n", status == EXIT_OK ? "gradients match" : "gradients differ",
         o.tolerance);
  nnd_session_free(s);
  nnd_model_free(m);
  return status;
}
