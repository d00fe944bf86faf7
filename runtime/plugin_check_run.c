/* plugin_check_run.c — one kernel on one small model, the way `nnd plugins
 * --check` runs it: over the session's kernel context (nnd_session_node_ctx)
 * but on the check's own buffers, each with guard floats on both sides, so
 * a write outside the output (or into an input) shows; forward twice on the
 * same inputs, which must agree bit for bit; backward with a fixed random
 * output gradient; and the layer-wise gradient check of node_check.c. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nnd/nnd.h>

#include "ir.h"
#include "plugin_check_internal.h"
#include "rng.h"
#include "session_internal.h"

#define GUARD 16
#define GUARD_BITS 0x7FBADBADu /* a NaN no kernel computes by accident */

static float *g_alloc(int64_t n) {
  float *p = calloc((size_t)n + 2 * GUARD, sizeof(float));
  if (!p) return NULL;
  uint32_t g = GUARD_BITS;
  for (int i = 0; i < GUARD; i++) {
    memcpy(&p[i], &g, sizeof g);
    memcpy(&p[GUARD + n + i], &g, sizeof g);
  }
  return p + GUARD;
}

static int g_intact(const float *p, int64_t n) {
  uint32_t g = GUARD_BITS;
  for (int i = 0; p && i < GUARD; i++)
    if (memcmp(&p[-GUARD + i], &g, sizeof g) || memcmp(&p[n + i], &g, sizeof g)) return 0;
  return 1;
}

static void g_free(float *p) {
  if (p) free(p - GUARD);
}

/* What one backend computed on the case's inputs. */
typedef struct {
  float *out, *grad[PC_MAX_INPUTS];
} computed;

typedef struct {
  nnd_session *s;
  const nnd_node *n;
  nnd_tensor in[PC_MAX_INPUTS], keep[PC_MAX_INPUTS], grad[PC_MAX_INPUTS], out, r;
  int wants[PC_MAX_INPUTS], writable[PC_MAX_INPUTS];
  float *ws;
  int64_t ws_floats;
} run;

static int fail(pc_result *res, const char *fmt, const char *a, const char *b) {
  if (!res->failed) snprintf(res->reason, sizeof res->reason, fmt, a, b);
  res->failed = 1;
  return -1;
}

static int setup(run *r, nnd_session *s, const nnd_node *n, uint64_t seed) {
  memset(r, 0, sizeof *r);
  r->s = s;
  r->n = n;
  nnd_rng rng = nnd_rng_for(seed, "plugin-check");
  for (int i = 0; i < n->n_inputs; i++) {
    const nnd_node *in = &s->m->nodes[n->inputs[i]];
    r->in[i] = r->keep[i] = r->grad[i] = s->val[in->id];
    if (!(r->in[i].data = g_alloc(r->in[i].numel)) ||
        !(r->keep[i].data = g_alloc(r->in[i].numel)))
      return -1;
    for (int64_t j = 0; j < r->in[i].numel; j++) {
      double u = nnd_rng_uniform(&rng);
      r->keep[i].data[j] = in->type.dtype == NND_CLASS ? (float)floor(u * (double)in->type.classes)
                           : in->type.dtype == NND_BINARY ? (float)(u < 0.5)
                           : in->kind == NND_NODE_PARAM && !in->trainable ? (float)(0.5 + u)
                           : (float)(2 * u - 1);
    }
    /* running statistics are the one input a kernel may write (batchnorm) */
    r->writable[i] = in->kind == NND_NODE_PARAM && !in->trainable;
    r->wants[i] = in->type.dtype == NND_FLOAT && !r->writable[i];
    if (r->wants[i] && !(r->grad[i].data = g_alloc(r->in[i].numel))) return -1;
    if (!r->wants[i]) r->grad[i].data = NULL;
  }
  r->out = r->r = s->val[n->id];
  if (!(r->out.data = g_alloc(r->out.numel)) || !(r->r.data = g_alloc(r->r.numel))) return -1;
  for (int64_t j = 0; j < r->r.numel; j++) r->r.data[j] = (float)(2 * nnd_rng_uniform(&rng) - 1);
  r->ws_floats = (int64_t)((s->ws_size[n->id] + sizeof(float) - 1) / sizeof(float));
  if (!(r->ws = g_alloc(r->ws_floats))) return -1;
  return 0;
}

static void teardown(run *r) {
  for (int i = 0; r->n && i < r->n->n_inputs; i++) {
    g_free(r->in[i].data);
    g_free(r->keep[i].data);
    g_free(r->grad[i].data);
  }
  g_free(r->out.data);
  g_free(r->r.data);
  g_free(r->ws);
}

static nnd_kernel_ctx context(run *r) {
  nnd_kernel_ctx k = nnd_session_node_ctx(r->s, r->n->id, 1);
  k.inputs = r->in;
  k.output = r->out;
  k.seed = 0x5EED;
  k.workspace = r->s->ws_size[r->n->id] ? r->ws : NULL;
  return k;
}

/* Every guard intact and every read-only input as it was. */
static int intact(run *r, pc_result *res, const char *when) {
  for (int i = 0; i < r->n->n_inputs; i++) {
    const char *name = r->s->m->nodes[r->n->inputs[i]].name;
    if (!g_intact(r->in[i].data, r->in[i].numel))
      return fail(res, "%s wrote outside input `%s`", when, name);
    if (!r->writable[i] &&
        memcmp(r->in[i].data, r->keep[i].data, (size_t)r->in[i].numel * sizeof(float)))
      return fail(res, "%s modified its input `%s`", when, name);
    if (r->grad[i].data && !g_intact(r->grad[i].data, r->grad[i].numel))
      return fail(res, "%s wrote outside the gradient of `%s`", when, name);
  }
  if (!g_intact(r->out.data, r->out.numel))
    return fail(res, "%s wrote outside its output%s", when, "");
  if (!g_intact(r->r.data, r->r.numel))
    return fail(res, "%s wrote outside the output gradient%s", when, "");
  if (!g_intact(r->ws, r->ws_floats))
    return fail(res, "%s wrote outside its workspace%s", when, "");
  return 0;
}

static int forward(run *r, pc_result *res) {
  for (int i = 0; i < r->n->n_inputs; i++)
    memcpy(r->in[i].data, r->keep[i].data, (size_t)r->in[i].numel * sizeof(float));
  nnd_kernel_ctx k = context(r);
  r->s->error[0] = 0;
  if (r->s->kernel[r->n->id]->forward(&k) != 0)
    return fail(res, "forward refused a node its schema accepted: %.500s%s", r->s->error[0] ? r->s->error : "no message", "");
  return intact(r, res, "forward");
}

static int all_finite(const float *p, int64_t n) {
  for (int64_t i = 0; i < n; i++)
    if (!isfinite(p[i])) return 0;
  return 1;
}

/* A kernel flagged NND_KERNEL_ASSIGNS_GRADS must store every element of the
 * gradients grad_assign names: backward again over buffers holding NaN,
 * every gradient assigned, must give what adding into zeros gave (c). */
static int check_stores(run *r, pc_result *res, const computed *c) {
  if (!(r->s->kernel[r->n->id]->flags & NND_KERNEL_ASSIGNS_GRADS)) return 0;
  nnd_kernel_ctx k = context(r);
  k.grad_output = &r->r;
  k.grad_inputs = r->grad;
  for (int i = 0; i < r->n->n_inputs && i < 32; i++) {
    if (!r->grad[i].data) continue;
    for (int64_t j = 0; j < r->grad[i].numel; j++) r->grad[i].data[j] = NAN;
    k.grad_assign |= 1u << i;
  }
  r->s->error[0] = 0;
  if (r->s->kernel[r->n->id]->backward(&k) != 0)
    return fail(res, "backward storing its gradients failed: %.500s%s",
                r->s->error[0] ? r->s->error : "no message", "");
  if (intact(r, res, "backward storing its gradients") != 0) return -1;
  for (int i = 0; i < r->n->n_inputs; i++)
    for (int64_t j = 0; r->grad[i].data && j < r->grad[i].numel; j++)
      if (!(r->grad[i].data[j] == c->grad[i][j]))
        return fail(res, "backward told to store (grad_assign) the gradient of `%s` left or "
                         "added to what the buffer held%s",
                    r->s->m->nodes[r->n->inputs[i]].name, "");
  return 0;
}

/* Forward twice (bitwise equal), then backward; what came out goes to c. */
static int compute(run *r, pc_result *res, computed *c) {
  if (forward(r, res) != 0) return -1;
  if (!(c->out = malloc((size_t)r->out.numel * sizeof(float) + 1))) return -1;
  memcpy(c->out, r->out.data, (size_t)r->out.numel * sizeof(float));
  if (forward(r, res) != 0) return -1;
  if (memcmp(c->out, r->out.data, (size_t)r->out.numel * sizeof(float)))
    return fail(res, "forward is not deterministic: two runs on the same inputs differ%s%s", "",
                "");
  if (!all_finite(c->out, r->out.numel))
    return fail(res, "forward wrote NaN or infinity on inputs in [-1, 1]%s%s", "", "");
  for (int i = 0; i < r->n->n_inputs; i++)
    if (r->grad[i].data) memset(r->grad[i].data, 0, (size_t)r->grad[i].numel * sizeof(float));
  nnd_kernel_ctx k = context(r);
  k.grad_output = &r->r;
  k.grad_inputs = r->grad;
  r->s->error[0] = 0;
  if (r->s->kernel[r->n->id]->backward(&k) != 0)
    return fail(res, "backward failed: %.500s%s", r->s->error[0] ? r->s->error : "no message", "");
  if (intact(r, res, "backward") != 0) return -1;
  for (int i = 0; i < r->n->n_inputs; i++) {
    if (!r->grad[i].data) continue;
    if (!all_finite(r->grad[i].data, r->grad[i].numel))
      return fail(res, "backward wrote NaN or infinity into the gradient of `%s`%s",
                  r->s->m->nodes[r->n->inputs[i]].name, "");
    if (!(c->grad[i] = malloc((size_t)r->grad[i].numel * sizeof(float) + 1))) return -1;
    memcpy(c->grad[i], r->grad[i].data, (size_t)r->grad[i].numel * sizeof(float));
  }
  return check_stores(r, res, c);
}

static void computed_free(computed *c) {
  free(c->out);
  for (int i = 0; i < PC_MAX_INPUTS; i++) free(c->grad[i]);
}

static double rel_error(const float *a, const float *b, int64_t n) {
  double worst = 0;
  for (int64_t i = 0; i < n; i++) {
    double e = fabs((double)a[i] - b[i]) / fmax(fmax(fabs(a[i]), fabs(b[i])), 1e-2);
    if (!isfinite(e)) return INFINITY;
    if (e > worst) worst = e;
  }
  return worst;
}

/* A session for model m on exactly one backend, batch 2. NULL when that
 * backend's kernel does not take this node (supports() said no). */
static nnd_session *session_on(const nnd_model *m, const char *backend, char *err, size_t n) {
  nnd_session_options o = {.size = sizeof o, .backends = backend, .has_seed = 1, .seed = 7};
  nnd_session *s = NULL;
  if (nnd_session_new(m, &o, &s, err, n) != 0) return NULL;
  if (nnd_session_set_batch(s, 4) != 0) {
    snprintf(err, n, "%s", nnd_session_error(s));
    nnd_session_free(s);
    return NULL;
  }
  return s;
}

int pc_run_case(const nnd_model *m, const char *backend, const char *ref, int must_run,
                pc_result *res) {
  char err[1024] = "";
  const nnd_node *n = nnd_ir_find(m, "y");
  if (!n || n->kind != NND_NODE_OP || n->n_inputs > PC_MAX_INPUTS) {
    res->skipped++;
    return 0;
  }
  nnd_session *s = session_on(m, backend, err, sizeof err);
  if (!s) {
    /* a kernel may decline a node its reference runs; the reference may not
       decline what the schema accepted */
    if (must_run) return fail(res, "the schema accepts a node no kernel runs: %.500s%s", err, "");
    res->skipped++;
    return 0;
  }
  run r;
  computed mine = {0}, theirs = {0};
  int rc = setup(&r, s, n, 11) == 0 ? compute(&r, res, &mine) : -1;
  if (rc == 0 && ref && strcmp(ref, backend) != 0) {
    nnd_session *rs = session_on(m, ref, err, sizeof err);
    run rr;
    if (rs && setup(&rr, rs, nnd_ir_find(m, "y"), 11) == 0) {
      pc_result scratch = {0};
      if (compute(&rr, &scratch, &theirs) == 0) {
        double e = rel_error(mine.out, theirs.out, r.out.numel);
        for (int i = 0; i < n->n_inputs; i++)
          if (mine.grad[i] && theirs.grad[i]) {
            double g = rel_error(mine.grad[i], theirs.grad[i], r.grad[i].numel);
            e = g > e ? g : e;
          }
        if (e > res->ref_error) res->ref_error = e;
        if (!(e <= PC_REF_TOL))
          fail(res, "does not agree with the %s kernel (forward or backward)%s", ref, "");
      }
      teardown(&rr);
    }
    nnd_session_free(rs);
  }
  teardown(&r);
  computed_free(&mine);
  computed_free(&theirs);
  if (rc == 0) {
    double worst = 0;
    int checked = 0, kinks = 0;
    if (nnd_session_check_node(s, "y", 1e-2, 32, 5, &worst, &checked, &kinks) != 0)
      fail(res, "gradient check: the kernel failed: %.500s%s", nnd_session_error(s), "");
    if (worst > res->grad_error || !isfinite(worst)) res->grad_error = worst; /* -1: none yet */
    if (!(worst <= PC_GRAD_TOL))
      fail(res, "backward disagrees with central finite differences%s%s", "", "");
    else if (checked == 0 && kinks > 0)
      fail(res, "gradient check: no element could be checked (the difference quotients never "
                "settle: a forward that is not a function of its inputs?)%s%s", "", "");
  }
  res->cases++;
  nnd_session_free(s);
  return rc;
}
