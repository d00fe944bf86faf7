/* node_check.c — Caffe's layer-wise gradient checker: one op node's kernel,
 * at the node's own shapes and attributes and the session's batch, on fresh
 * random inputs, backward against central finite differences of
 * L = sum(output * R) for a fixed random R.
 *
 * Checking node by node keeps each difference quotient well above float32
 * rounding, and random inputs keep clear of the ties that a whole network's
 * ReLU zeros create in a max-pool window, where no derivative exists. The
 * step is halved until two estimates agree; an element where they never do
 * sits on a kink and is counted, not failed. Any NaN or infinity in the
 * output or a gradient makes *worst infinite: a comparison with NaN is
 * false, so without this a NaN gradient would look like no error at all. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <nnd/nnd.h>

#include "rng.h"
#include "session_internal.h"

typedef struct {
  nnd_session *s;
  int id;
  nnd_tensor in[64], grad[64], out, r;
  void *ws;
} check;

/* The node's context, over the check's own copies of its tensors. */
static nnd_kernel_ctx context(check *c) {
  nnd_kernel_ctx k = nnd_session_node_ctx(c->s, c->id, 1);
  k.inputs = c->in;
  k.output = c->out;
  k.seed = 0x5EED;  /* one dropout mask for every evaluation */
  k.workspace = c->ws;
  return k;
}

static double objective(check *c, int *failed) {
  nnd_kernel_ctx k = context(c);
  if (c->s->kernel[c->id]->forward(&k) != 0) *failed = 1;
  double l = 0;
  for (int64_t i = 0; i < c->out.numel; i++) l += (double)c->out.data[i] * c->r.data[i];
  return l;
}

static int backward(check *c) {
  nnd_kernel_ctx k = context(c);
  k.grad_output = &c->r;
  k.grad_inputs = c->grad;
  return c->s->kernel[c->id]->backward(&k);
}

static float *fresh(const nnd_tensor *like, nnd_tensor *t) {
  *t = *like;
  t->data = calloc((size_t)like->numel + 1, sizeof(float));
  return t->data;
}

int nnd_session_check_node(nnd_session *s, const char *name, double eps, int samples,
                           uint64_t seed, double *worst, int *checked, int *kinks) {
  const nnd_node *n = nnd_ir_find(s->m, name);
  *worst = 0;
  *checked = *kinks = 0;
  if (!n || n->kind != NND_NODE_OP || !s->kernel[n->id] || n->n_inputs > 64) return -1;
  check c;
  memset(&c, 0, sizeof c);
  c.s = s;
  c.id = n->id;
  nnd_rng rng = nnd_rng_for(seed, n->name);
  int failed = 0;
  for (int i = 0; i < n->n_inputs && !failed; i++) {
    const nnd_node *in = &s->m->nodes[n->inputs[i]];
    if (!fresh(&s->val[in->id], &c.in[i])) failed = 1;
    for (int64_t j = 0; !failed && j < c.in[i].numel; j++) {
      double u = nnd_rng_uniform(&rng);
      c.in[i].data[j] = in->type.dtype == NND_CLASS ? (float)floor(u * (double)in->type.classes)
                        : in->type.dtype == NND_BINARY ? (float)(u < 0.5)
                        /* statistics such as a running variance stay positive */
                        : in->kind == NND_NODE_PARAM && !in->trainable ? (float)(0.5 + u)
                        : (float)(2 * u - 1);
    }
    int wants = in->type.dtype == NND_FLOAT && !(in->kind == NND_NODE_PARAM && !in->trainable);
    if (!failed && wants && !fresh(&c.in[i], &c.grad[i])) failed = 1;
  }
  if (!failed && (!fresh(&s->val[n->id], &c.out) || !fresh(&s->val[n->id], &c.r))) failed = 1;
  for (int64_t j = 0; !failed && j < c.r.numel; j++)
    c.r.data[j] = (float)(2 * nnd_rng_uniform(&rng) - 1);
  if (!failed && s->ws_size[n->id] && !(c.ws = calloc(1, s->ws_size[n->id]))) failed = 1;
  if (!failed && !isfinite(objective(&c, &failed))) *worst = INFINITY;
  if (!failed && backward(&c) != 0) failed = 1;
  for (int i = 0; i < n->n_inputs && !failed; i++)
    for (int64_t j = 0; c.grad[i].data && j < c.grad[i].numel; j++)
      if (!isfinite(c.grad[i].data[j])) *worst = INFINITY;
  for (int i = 0; i < n->n_inputs && !failed; i++) {
    if (!c.grad[i].data) continue;
    int64_t count = c.in[i].numel < samples ? c.in[i].numel : samples;
    for (int64_t k = 0; k < count && !failed; k++) {
      int64_t j = c.in[i].numel <= samples ? k
                  : (int64_t)(nnd_rng_next(&rng) % (uint64_t)c.in[i].numel);
      float keep = c.in[i].data[j];
      double h = eps, prev = 0, est = 0;
      int agreed = 0;
      for (int step = 0; step < 4 && !agreed && !failed; step++, h /= 2) {
        c.in[i].data[j] = (float)(keep + h);
        double plus = objective(&c, &failed);
        c.in[i].data[j] = (float)(keep - h);
        double minus = objective(&c, &failed);
        c.in[i].data[j] = keep;
        est = (plus - minus) / (2 * h);
        agreed = step > 0 && fabs(est - prev) <= 5e-3 * fmax(fmax(fabs(est), fabs(prev)), 1e-2);
        prev = est;
      }
      if (!agreed) {
        (*kinks)++;
        continue;
      }
      double a = c.grad[i].data[j];
      double err = fabs(a - est) / fmax(fmax(fabs(a), fabs(est)), 1e-2);
      if (!isfinite(err) || err > *worst) *worst = isfinite(err) ? err : INFINITY;
      (*checked)++;
    }
  }
  for (int i = 0; i < n->n_inputs; i++) {
    free(c.in[i].data);
    free(c.grad[i].data);
  }
  free(c.out.data);
  free(c.r.data);
  free(c.ws);
  return failed ? -1 : 0;
}
