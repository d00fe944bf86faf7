/* kernel_harness.c — see kernel_harness.h. */
#include "kernel_harness.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attr.h"
#include "shape.h"

static uint64_t next_random(uint64_t *s) {
  uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

static double uniform(uint64_t *s) { return (double)(next_random(s) >> 11) / 9007199254740992.0; }

static nnd_tensor make_tensor(const nnd_type *t, int batch) {
  nnd_tensor x;
  memset(&x, 0, sizeof x);
  x.batched = t->batched;
  int k = 0;
  if (t->batched) x.dim[k++] = batch;
  for (int i = 0; i < t->ndim; i++) x.dim[k++] = t->dim[i];
  x.ndim = k;
  x.numel = 1;
  for (int i = 0; i < k; i++) x.numel *= x.dim[i];
  x.data = calloc((size_t)x.numel + 1, sizeof(float));
  return x;
}

/* A literal's batch: its leading dimension when it has one more dim than
 * the per-sample shape, else 1. */
static int literal_batch(const nnd_node *n) {
  int nd;
  int64_t dim[NND_MAX_DIMS + 1];
  char msg[128];
  if (n->value.kind == NND_VAL_NONE) return 0;
  if (n->type.dtype != NND_FLOAT)
    return n->value.kind == NND_VAL_LIST ? n->value.count : 1;
  if (nnd_literal_shape(&n->value, &nd, dim, msg, sizeof msg) != 0) return 0;
  return nd > n->type.ndim ? (int)dim[0] : 1;
}

static void fill(const nnd_value *v, nnd_tensor *x) {
  /* a scalar literal fills the whole tensor; a single sample repeats */
  int64_t n = nnd_literal_flatten(v, x->data, x->numel);
  if (n <= 0) return;
  for (int64_t i = n; i < x->numel; i++) x->data[i] = x->data[i % n];
}

int kt_setup(kt_case *c, const char *src, const char *name, int batch, uint64_t seed) {
  memset(c, 0, sizeof *c);
  c->seed = seed;
  nnd_diag_list *d = NULL;
  if (nnd_compile_string("case.nnd", src, strlen(src), &c->model, &d) != 0) {
    char *text = nnd_diag_render(d, 0);
    snprintf(c->message, sizeof c->message, "compile failed:\n%s", text ? text : "");
    free(text);
    nnd_diag_list_free(d);
    return -1;
  }
  nnd_diag_list_free(d);
  c->node = nnd_ir_find(c->model, name);
  if (!c->node || c->node->kind != NND_NODE_OP) {
    snprintf(c->message, sizeof c->message, "no op node `%s`", name);
    return -1;
  }
  const nnd_model *m = c->model;
  c->batch = batch;
  for (int i = 0; i < c->node->n_inputs; i++) {
    int b = literal_batch(&m->nodes[c->node->inputs[i]]);
    if (b > 0 && m->nodes[c->node->inputs[i]].type.batched) c->batch = b;
  }
  c->n_inputs = c->node->n_inputs;
  uint64_t s = seed;
  for (int i = 0; i < c->n_inputs; i++) {
    const nnd_node *in = &m->nodes[c->node->inputs[i]];
    c->in[i] = make_tensor(&in->type, c->batch);
    c->grad_in[i] = make_tensor(&in->type, c->batch);
    c->is_label[i] = in->type.dtype != NND_FLOAT;
    if (in->value.kind == NND_VAL_NUMBER || in->value.kind == NND_VAL_LIST) {
      fill(&in->value, &c->in[i]);
      continue;
    }
    for (int64_t k = 0; k < c->in[i].numel; k++) {
      if (in->type.dtype == NND_CLASS)
        c->in[i].data[k] = (float)(next_random(&s) % (uint64_t)in->type.classes);
      else if (in->type.dtype == NND_BINARY)
        c->in[i].data[k] = (float)(next_random(&s) & 1);
      else
        c->in[i].data[k] = (float)(2 * uniform(&s) - 1);
    }
  }
  c->out = make_tensor(&c->node->type, c->batch);
  c->grad_out = make_tensor(&c->node->type, c->batch);
  for (int64_t k = 0; k < c->grad_out.numel; k++)
    c->grad_out.data[k] = (float)(2 * uniform(&s) - 1);
  return 0;
}

void kt_free(kt_case *c) {
  for (int i = 0; i < c->n_inputs; i++) {
    free(c->in[i].data);
    free(c->grad_in[i].data);
  }
  free(c->out.data);
  free(c->grad_out.data);
  free(c->workspace);
  nnd_model_free(c->model);
  memset(c, 0, sizeof *c);
}

void kt_set(kt_case *c, int i, const float *values) {
  memcpy(c->in[i].data, values, (size_t)c->in[i].numel * sizeof(float));
}

static nnd_kernel_ctx make_ctx(kt_case *c, int training) {
  nnd_kernel_ctx k;
  memset(&k, 0, sizeof k);
  k.size = sizeof k;
  k.op = c->node->op->name;
  k.n_inputs = c->n_inputs;
  k.inputs = c->in;
  k.output = c->out;
  k.attrs = c->node->attrs;
  k.training = training;
  k.seed = c->seed;
  k.message = c->message;
  k.message_size = sizeof c->message;
  return k;
}

static int ensure_workspace(kt_case *c, const nnd_kernel *k, int training) {
  if (!k->workspace) return 0;
  nnd_kernel_ctx ctx = make_ctx(c, training);
  size_t need = k->workspace(&ctx);
  if (need <= c->workspace_size) return 0;
  free(c->workspace);
  c->workspace = calloc(1, need);
  c->workspace_size = c->workspace ? need : 0;
  return c->workspace ? 0 : -1;
}

int kt_forward(kt_case *c, const nnd_kernel *k, int training) {
  if (ensure_workspace(c, k, training) != 0) return -1;
  nnd_kernel_ctx ctx = make_ctx(c, training);
  ctx.workspace = c->workspace;
  ctx.workspace_size = c->workspace_size;
  return k->forward(&ctx);
}

int kt_backward(kt_case *c, const nnd_kernel *k, int training) {
  for (int i = 0; i < c->n_inputs; i++)
    memset(c->grad_in[i].data, 0, (size_t)c->grad_in[i].numel * sizeof(float));
  nnd_tensor grads[KT_MAX_INPUTS];
  for (int i = 0; i < c->n_inputs; i++) {
    grads[i] = c->grad_in[i];
    if (c->is_label[i]) grads[i].data = NULL;
  }
  nnd_kernel_ctx ctx = make_ctx(c, training);
  ctx.workspace = c->workspace;
  ctx.workspace_size = c->workspace_size;
  ctx.grad_output = &c->grad_out;
  ctx.grad_inputs = grads;
  return k->backward(&ctx);
}

/* L = sum(out * R), accumulated in double. */
static double objective(kt_case *c, const nnd_kernel *k, int training, int *failed) {
  if (kt_forward(c, k, training) != 0) *failed = 1;
  double l = 0;
  for (int64_t i = 0; i < c->out.numel; i++) l += (double)c->out.data[i] * c->grad_out.data[i];
  return l;
}

double kt_gradcheck(kt_case *c, const nnd_kernel *k, int training, double eps) {
  int failed = 0;
  /* any NaN or infinity fails: `err > worst` alone is false for NaN */
  double worst = isfinite(objective(c, k, training, &failed)) ? 0 : INFINITY;
  if (failed || kt_backward(c, k, training) != 0) return -1;
  for (int i = 0; i < c->n_inputs; i++) {
    if (c->is_label[i]) continue;
    nnd_tensor *x = &c->in[i];
    for (int64_t j = 0; j < x->numel; j++) {
      float keep = x->data[j];
      x->data[j] = keep + (float)eps;
      double plus = objective(c, k, training, &failed);
      x->data[j] = keep - (float)eps;
      double minus = objective(c, k, training, &failed);
      x->data[j] = keep;
      double numeric = (plus - minus) / (2 * eps);
      double analytic = c->grad_in[i].data[j];
      /* max, not the sum: |a| + |n| would halve every error (a 2% error
       * would pass a 1e-2 tolerance) */
      double err = fabs(analytic - numeric) / fmax(1e-2, fmax(fabs(analytic), fabs(numeric)));
      if (!isfinite(err)) err = INFINITY;
      if (err > worst) worst = err;
    }
  }
  objective(c, k, training, &failed);  /* leave the output as it was */
  return failed ? -1 : worst;
}

int kt_close(const float *got, const float *want, int64_t n, double tol, const char *what) {
  for (int64_t i = 0; i < n; i++) {
    double d = fabs((double)got[i] - want[i]);
    /* written so that NaN and infinity (in either) fail */
    if (!isfinite(got[i]) || !isfinite(want[i]) || !(d <= tol * fmax(1.0, fabs(want[i])))) {
      fprintf(stderr, "\n%s: element %lld is %.9g, expected %.9g\n", what, (long long)i,
              got[i], want[i]);
      return 0;
    }
  }
  return 1;
}
