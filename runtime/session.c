/* session.c — the executor: a compiled model, the kernel chosen for each
 * node, and every buffer a forward, backward and optimizer step need.
 *
 * Memory is planned, not grown: parameters, their gradients and optimizer
 * state live in flat buffers made once (KANN's collated layout, so an
 * optimizer is one loop); activations, their gradients and workspaces are one
 * block sized when the batch is set. Nothing is allocated inside a step. */
#include <math.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nnd/nnd.h>

#include "attr.h"
#include "init.h"
#include "kernel_choice.h"
#include "session_profile.h"
#include "plugin_loader.h"
#include "ir.h"
#include "registry.h"
#include "session_internal.h"
#include "shape.h"

#define MAX_BACKENDS 16

/* struct nnd_session: see session_internal.h */

static int set_error(nnd_session *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int set_error(nnd_session *s, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(s->error, sizeof s->error, fmt, ap);
  va_end(ap);
  return -1;
}

/* "file:line:col: node `x` (conv2d)" for messages about a node */
static const char *where(const nnd_node *n, char *buf, size_t size) {
  snprintf(buf, size, "%s:%d:%d: node `%s` (%s)", n->loc.file ? n->loc.file : "?",
           n->loc.line, n->loc.col, n->name, n->kind == NND_NODE_OP ? n->op->name : "value");
  return buf;
}

static void shape_for(const nnd_type *t, int batch, nnd_tensor *x) {
  int k = 0;
  x->batched = t->batched;
  if (t->batched) x->dim[k++] = batch;
  for (int i = 0; i < t->ndim; i++) x->dim[k++] = t->dim[i];
  x->ndim = k;
  x->numel = 1;
  for (int i = 0; i < k; i++) x->numel *= x->dim[i];
}

/* ------------------------------------------------------------ kernels */

/* Default preference: the fast standard backends first (blas computes only
 * the products, so openmp takes the rest), then every other backend that
 * registered kernels in the order they appeared, and the reference `naive`
 * last. */
static int default_backends(const char **out) {
  static const char *const fastest[] = {"blas", "openmp"};
  int n = 0, has_naive = 0;
  for (size_t f = 0; f < sizeof fastest / sizeof fastest[0]; f++)
    for (int i = 0; i < nnd_registry_kernel_count(); i++)
      if (strcmp(nnd_registry_kernel_at(i, NULL)->backend, fastest[f]) == 0) {
        out[n++] = fastest[f];
        break;
      }
  for (int i = 0; i < nnd_registry_kernel_count() && n < MAX_BACKENDS; i++) {
    const char *b = nnd_registry_kernel_at(i, NULL)->backend;
    if (strcmp(b, "naive") == 0) {
      has_naive = 1;
      continue;
    }
    int seen = 0;
    for (int k = 0; k < n; k++) seen |= strcmp(out[k], b) == 0;
    if (!seen) out[n++] = b;
  }
  if (has_naive && n < MAX_BACKENDS) out[n++] = "naive";
  return n;
}

nnd_kernel_ctx nnd_session_node_ctx(nnd_session *s, int id, int training) {
  const nnd_node *n = &s->m->nodes[id];
  nnd_kernel_ctx c;
  memset(&c, 0, sizeof c);
  c.size = sizeof c;
  c.host = nnd_plugin_host();
  c.op = n->op->name;
  c.n_inputs = n->n_inputs;
  c.inputs = s->in_val[id];
  c.output = s->val[id];
  c.attrs = n->attrs;
  c.training = training;
  c.seed = s->seed ^ ((uint64_t)id * 0x9E3779B97F4A7C15ull) ^ ((uint64_t)s->steps << 32);
  c.first_sample = s->first_sample;
  c.workspace = s->ws[id];
  c.workspace_size = s->ws_size[id];
  c.message = s->error;
  c.message_size = sizeof s->error;
  return c;
}

static int choose_kernels(nnd_session *s, const char *const *backends, int nb) {
  const nnd_model *m = s->m;
  for (int id = 0; id < m->n_nodes; id++) {
    const nnd_node *n = &m->nodes[id];
    if (n->kind != NND_NODE_OP) continue;
    for (int b = 0; b < nb && !s->kernel[id]; b++) {
      const nnd_kernel *k = nnd_registry_find_kernel(n->op->name, backends[b], NULL);
      if (!k) continue;
      if (k->supports) {
        nnd_kernel_ctx c = nnd_session_node_ctx(s, id, 1);
        if (!k->supports(&c)) continue;
      }
      s->kernel[id] = k;
      s->backend[id] = k->backend;
    }
    if (!s->kernel[id]) {
      char w[512], tried[256] = "";
      size_t len = 0;
      for (int b = 0; b < nb && len < sizeof tried; b++)
        len += (size_t)snprintf(tried + len, sizeof tried - len, "%s%s", b ? ", " : "",
                                backends[b]);
      /* a refused plugin may be the one that had the kernel */
      char refused[600];
      nnd_plugin_refusals(refused, sizeof refused);
      return set_error(s, "%s: no kernel runs this op (backends tried: %s)%s%s%s",
                       where(n, w, sizeof w), nb ? tried : "none",
                       nb ? "" : "; no plugin is loaded: is the naive plugin installed, "
                                 "or NND_PLUGIN_PATH set?",
                       refused[0] ? "; plugins refused: " : "", refused);
    }
  }
  return 0;
}

/* ---------------------------------------------------------- creation */

/* A node needs a gradient when it lies on a path from something that
 * takes one (a trainable parameter; a float input unless no_input_grads) to
 * a loss. Labels, constants and frozen statistics take none, and neither
 * does what depends only on them: without input gradients the first layer
 * skips its largest product (dx), and flatten(image) its copy. */
static void mark_gradient_paths(nnd_session *s, int input_grads) {
  const nnd_model *m = s->m;
  /* without memory for this, every path counts: more work, same results */
  char *source = calloc((size_t)m->n_nodes + 1, 1);
  for (int id = 0; source && id < m->n_nodes; id++) {
    const nnd_node *n = &m->nodes[id];
    int fl = n->type.dtype == NND_FLOAT;
    if (n->kind == NND_NODE_PARAM) source[id] = fl && n->trainable;
    else if (n->kind == NND_NODE_INPUT) source[id] = fl && input_grads;
    else if (n->kind == NND_NODE_OP)
      for (int k = 0; k < n->n_inputs; k++) source[id] |= source[n->inputs[k]];
  }
  for (int i = 0; i < m->n_losses; i++) s->needs_grad[m->losses[i].node] = 1;
  for (int id = m->n_nodes - 1; id >= 0; id--) {
    const nnd_node *n = &m->nodes[id];
    if (!s->needs_grad[id] || n->kind != NND_NODE_OP) continue;
    for (int k = 0; k < n->n_inputs; k++) s->needs_grad[n->inputs[k]] = 1;
  }
  for (int id = 0; id < m->n_nodes; id++) {
    const nnd_node *n = &m->nodes[id];
    if (n->type.dtype != NND_FLOAT || n->kind == NND_NODE_CONST ||
        (n->kind == NND_NODE_PARAM && !n->trainable) || (source && !source[id]))
      s->needs_grad[id] = 0;
  }
  free(source);
}

/* Parameters (flat, trainable first), constants and unbatched op outputs:
 * everything whose size does not depend on the batch. */
static int allocate_fixed(nnd_session *s) {
  const nnd_model *m = s->m;
  int64_t n_train = 0, n_frozen = 0, n_fixed = 0;
  const int64_t limit = (int64_t)(SIZE_MAX / sizeof(float) / 2);
  for (int id = 0; id < m->n_nodes; id++) {
    const nnd_node *n = &m->nodes[id];
    int64_t k = nnd_type_numel(&n->type), *sum = NULL;
    if (n->kind == NND_NODE_PARAM) sum = n->trainable ? &n_train : &n_frozen;
    else if (!n->type.batched) sum = &n_fixed;
    if (sum && (k < 0 || __builtin_add_overflow(*sum, k, sum) || *sum > limit)) {
      char w[512];
      return set_error(s, "%s: it and the %s before it hold more floats than memory can "
                       "address", where(n, w, sizeof w),
                       n->kind == NND_NODE_PARAM ? "parameters" : "fixed-size values");
    }
  }
  s->n_params = n_train;
  s->params = calloc((size_t)n_train + 1, sizeof(float));
  s->param_grads = calloc((size_t)n_train + 1, sizeof(float));
  s->frozen = calloc((size_t)n_frozen + 1, sizeof(float));
  s->fixed = calloc((size_t)n_fixed + 1, sizeof(float));
  s->fixed_grads = calloc((size_t)n_fixed + 1, sizeof(float));
  if (!s->params || !s->param_grads || !s->frozen || !s->fixed || !s->fixed_grads)
    return set_error(s, "out of memory for %lld parameters", (long long)n_train);
  int64_t at_train = 0, at_frozen = 0, at_fixed = 0;
  char msg[256];
  for (int id = 0; id < m->n_nodes; id++) {
    const nnd_node *n = &m->nodes[id];
    if (n->type.batched) continue;
    nnd_tensor *v = &s->val[id], *g = &s->grad[id];
    shape_for(&n->type, 1, v);
    *g = *v;
    if (n->kind == NND_NODE_PARAM && n->trainable) {
      v->data = s->params + at_train;
      g->data = s->param_grads + at_train;
      at_train += v->numel;
    } else if (n->kind == NND_NODE_PARAM) {
      v->data = s->frozen + at_frozen;
      g->data = NULL;
      at_frozen += v->numel;
    } else {
      v->data = s->fixed + at_fixed;
      g->data = s->fixed_grads + at_fixed;
      at_fixed += v->numel;
    }
    if (n->kind == NND_NODE_PARAM || n->kind == NND_NODE_CONST) {
      nnd_rng rng = nnd_rng_for(s->seed, n->name);
      char w[512];
      if (nnd_init_fill(&n->value, &n->type, &rng, v->data, msg, sizeof msg) != 0)
        return set_error(s, "%s: %s", where(n, w, sizeof w), msg);
    }
  }
  return 0;
}

static uint64_t model_seed(const nnd_model *m) {
  const nnd_setting *seed = nnd_ir_setting(m, "seed");
  return seed ? (uint64_t)seed->value.num : 42;
}

/* The optimizer of the first backend in the preference list that has it. */
static int setup_optimizer(nnd_session *s, const char *const *backends, int nb) {
  const nnd_setting *opt = nnd_ir_setting(s->m, "optimizer");
  if (!opt || opt->value.kind != NND_VAL_CALL) return 0;
  s->opt_call = &opt->value;
  s->default_lr = nnd_num(nnd_call_arg(&opt->value, "lr"), 0.01);
  for (int b = 0; b < nb && !s->opt; b++)
    s->opt = nnd_registry_find_optimizer(opt->value.str, backends[b], NULL);
  if (s->opt) {
    int64_t n;
    if (s->opt->state_floats < 0 ||
        __builtin_mul_overflow(s->n_params, (int64_t)s->opt->state_floats, &n) ||
        (uint64_t)n >= SIZE_MAX / sizeof(float))
      return set_error(s, "optimizer `%s` of %s: %d floats of state for each of %lld "
                       "parameters are more than memory can address", s->opt->name,
                       s->opt->backend, s->opt->state_floats, (long long)s->n_params);
    s->opt_state = calloc((size_t)n + 1, sizeof(float));
    if (!s->opt_state) return set_error(s, "out of memory for the optimizer state");
  }
  return 0;
}

static int relayout(nnd_session *s, int batch);

int nnd_session_new(const nnd_model *m, const nnd_session_options *opts,
                    nnd_session **out, char *err, size_t err_size) {
  *out = NULL;
  nnd_session *s = calloc(1, sizeof *s);
  if (!s) {
    snprintf(err, err_size, "out of memory");
    return -1;
  }
  s->m = m;
  s->seed = opts && opts->has_seed ? opts->seed : model_seed(m);
  int n = m->n_nodes;
  s->kernel = calloc((size_t)n + 1, sizeof *s->kernel);
  s->backend = calloc((size_t)n + 1, sizeof *s->backend);
  s->val = calloc((size_t)n + 1, sizeof *s->val);
  s->grad = calloc((size_t)n + 1, sizeof *s->grad);
  s->in_val = calloc((size_t)n + 1, sizeof *s->in_val);
  s->in_grad = calloc((size_t)n + 1, sizeof *s->in_grad);
  s->needs_grad = calloc((size_t)n + 1, sizeof *s->needs_grad);
  s->grad_written = calloc((size_t)n + 1, 1);
  s->ws = calloc((size_t)n + 1, sizeof *s->ws);
  s->ws_size = calloc((size_t)n + 1, sizeof *s->ws_size);
  s->loss_values = calloc((size_t)m->n_losses + 1, sizeof *s->loss_values);
  int failed = !s->kernel || !s->backend || !s->val || !s->grad || !s->in_val ||
               !s->in_grad || !s->needs_grad || !s->grad_written || !s->ws || !s->ws_size || !s->loss_values;
  for (int id = 0; id < n && !failed; id++) {
    int k = m->nodes[id].n_inputs;
    if (m->nodes[id].kind != NND_NODE_OP) continue;
    s->in_val[id] = calloc((size_t)k + 1, sizeof(nnd_tensor));
    s->in_grad[id] = calloc((size_t)k + 1, sizeof(nnd_tensor));
    failed = !s->in_val[id] || !s->in_grad[id];
  }
  if (failed) {
    snprintf(err, err_size, "out of memory");
    nnd_session_free(s);
    return -1;
  }
  int input_grads = !(opts && opts->size >= offsetof(nnd_session_options, no_input_grads) +
                                                 sizeof opts->no_input_grads &&
                       opts->no_input_grads);
  mark_gradient_paths(s, input_grads);
  const char *list[MAX_BACKENDS];
  int from_env = !(opts && opts->backends);
  const char *pref = from_env ? getenv("NND_BACKEND") : opts->backends;
  int nb;
  if (pref && *pref) {
    /* a name no plugin registered is an error, not a silent fall back to
       naive (a typo would otherwise run everything on the slowest backend) */
    char msg[700];
    nb = nnd_registry_parse_backends(pref, list, MAX_BACKENDS - 1, msg, sizeof msg);
    if (nb < 0) {
      snprintf(err, err_size, "%s%s", from_env ? "NND_BACKEND: " : "", msg);
      nnd_session_free(s);
      return -1;
    }
  } else {
    nb = default_backends(list);
  }
  /* naive is the reference and always the last fallback (doc/design.md, "Plugins") */
  int has_naive = 0;
  for (int i = 0; i < nb; i++) has_naive |= strcmp(list[i], "naive") == 0;
  if (!has_naive && nb < MAX_BACKENDS && nnd_registry_kernel_count() > 0) list[nb++] = "naive";
  for (int i = 0; i < nb && i < (int)(sizeof s->pref / sizeof s->pref[0]); i++)
    s->pref[s->n_pref++] = list[i];
  /* a backend the user names is a pin: its order, no measuring */
  if (!(pref && *pref)) {
    char msg[300];
    int mode = nnd_kernel_choice_mode(msg, sizeof msg);
    if (mode < 0) {
      snprintf(err, err_size, "%s", msg);
      nnd_session_free(s);
      return -1;
    }
    if (mode == 1) s->choice = calloc((size_t)n + 1, sizeof *s->choice);
  }
  int batch = nnd_session_literal_batch(s);
  if (batch < 1) batch = 1;
  if (allocate_fixed(s) != 0 || nnd_session_set_batch(s, batch) != 0 ||
      choose_kernels(s, list, nb) != 0 || setup_optimizer(s, list, nb) != 0) {
    snprintf(err, err_size, "%s", s->error);
    nnd_session_free(s);
    return -1;
  }
  /* workspaces depend on the kernels: size them now they are chosen */
  if (relayout(s, batch) != 0) {
    snprintf(err, err_size, "%s", s->error);
    nnd_session_free(s);
    return -1;
  }
  *out = s;
  return 0;
}

void nnd_session_free(nnd_session *s) {
  if (!s) return;
  for (int id = 0; s->m && id < s->m->n_nodes; id++) {
    if (s->in_val) free(s->in_val[id]);
    if (s->in_grad) free(s->in_grad[id]);
  }
  free(s->ws_block);
  free(s->kernel);
  free(s->backend);
  free(s->choice);
  free(s->profile);
  free(s->val);
  free(s->grad);
  free(s->in_val);
  free(s->in_grad);
  free(s->needs_grad);
  free(s->grad_written);
  free(s->ws);
  free(s->ws_size);
  free(s->params);
  free(s->param_grads);
  free(s->frozen);
  free(s->fixed);
  free(s->fixed_grads);
  free(s->batch_block);
  free(s->opt_state);
  free(s->loss_values);
  free(s);
}

const char *nnd_session_error(const nnd_session *s) { return s ? s->error : "no session"; }

/* ------------------------------------------------------------- batches */

/* How many samples an input's literal holds, 0 without a literal. */
static int literal_samples(const nnd_node *n) {
  if (n->kind != NND_NODE_INPUT || n->value.kind == NND_VAL_NONE) return 0;
  if (n->type.dtype != NND_FLOAT) return n->value.kind == NND_VAL_LIST ? n->value.count : 1;
  int nd;
  int64_t dim[NND_MAX_DIMS + 1];
  char msg[64];
  if (nnd_literal_shape(&n->value, &nd, dim, msg, sizeof msg) != 0) return 0;
  return nd > n->type.ndim ? (int)dim[0] : 1;
}

int nnd_session_literal_batch(const nnd_session *s) {
  int batch = 0;
  for (int id = 0; id < s->m->n_nodes; id++) {
    int k = literal_samples(&s->m->nodes[id]);
    if (k > batch) batch = k;
  }
  return batch;
}

int nnd_session_batch(const nnd_session *s) { return s->batch; }

static int fill_literals(nnd_session *s) {
  for (int id = 0; id < s->m->n_nodes; id++) {
    const nnd_node *n = &s->m->nodes[id];
    int k = literal_samples(n);
    if (k == 0) continue;
    if (k != 1 && k != s->batch) {
      char w[512];
      return set_error(s, "%s: the value has %d samples but the batch is %d",
                       where(n, w, sizeof w), k, s->batch);
    }
    nnd_tensor *v = &s->val[id];
    int64_t got = nnd_literal_flatten(&n->value, v->data, v->numel);
    for (int64_t i = got; i < v->numel; i++) v->data[i] = v->data[i % got];
  }
  return 0;
}

int nnd_session_batch_floats(const nnd_model *m, const int *needs_grad, int batch,
                             int64_t *floats, char *msg, size_t msg_n) {
  /* the block is allocated as (total + 1) floats: that many bytes must fit */
  const int64_t limit = (int64_t)((SIZE_MAX / sizeof(float) - 1) < (uint64_t)INT64_MAX
                                      ? SIZE_MAX / sizeof(float) - 1
                                      : (uint64_t)INT64_MAX);
  int64_t total = 0;
  for (int id = 0; id < m->n_nodes; id++) {
    const nnd_node *n = &m->nodes[id];
    if (!n->type.batched) continue;
    int64_t per = nnd_type_numel(&n->type), k;
    if (per < 0 || __builtin_mul_overflow(per, (int64_t)batch, &k) ||
        (needs_grad[id] && __builtin_mul_overflow(k, (int64_t)2, &k)) ||
        __builtin_add_overflow(total, k, &total) || total > limit) {
      char w[512];
      snprintf(msg, msg_n, "%s: a batch of %d of it and the values before it hold more "
               "floats than memory can address", where(n, w, sizeof w), batch);
      return -1;
    }
  }
  *floats = total;
  return 0;
}

/* Point every batched value (and gradient) into block, laid out for batch,
 * and every op's view of its inputs at them. block NULL: no data. */
static void lay_out(nnd_session *s, int batch, float *block) {
  const nnd_model *m = s->m;
  int64_t at = 0;
  for (int id = 0; id < m->n_nodes; id++) {
    if (!m->nodes[id].type.batched) continue;
    shape_for(&m->nodes[id].type, batch, &s->val[id]);
    s->val[id].data = block ? block + at : NULL;
    at += s->val[id].numel;
    s->grad[id] = s->val[id];
    s->grad[id].data = s->needs_grad[id] && block ? block + at : NULL;
    if (s->needs_grad[id]) at += s->val[id].numel;
  }
  for (int id = 0; id < m->n_nodes; id++) {
    const nnd_node *n = &m->nodes[id];
    if (n->kind != NND_NODE_OP) continue;
    for (int k = 0; k < n->n_inputs; k++) {
      int in = n->inputs[k];
      s->in_val[id][k] = s->val[in];
      s->in_grad[id][k] = s->grad[in];
      if (!s->needs_grad[in]) s->in_grad[id][k].data = NULL;
    }
  }
}

/* The workspace of node id for the current layout, rounded up to 64 bytes
 * (each starts on a cache line); -1 when that overflows. */
static int workspace_of(nnd_session *s, int id, size_t *out) {
  *out = 0;
  const nnd_kernel *k = s->kernel[id];
  if (!k || !k->workspace) return 0;
  nnd_kernel_ctx c = nnd_session_node_ctx(s, id, 1);
  size_t want = k->workspace(&c);
  if (__builtin_add_overflow(want, (size_t)63, out)) return -1;
  *out = *out / 64 * 64;
  return 0;
}

/* Lay the session out for batch. All or nothing: the new blocks are
 * allocated before anything changes, and when one cannot be, the session
 * keeps its old batch and blocks, whole (no pointer into a freed block). */
/* What relayout replaced, to put back when it fails half-way. */
typedef struct {
  const nnd_kernel **old_kernel; /* NULL when the choice is fixed */
  const char **old_backend;
  int old_batch, reuse;          /* reuse: block is old_block, laid out again */
  float *old_block, *block;
} relayout_undo;

static void roll_back(nnd_session *s, relayout_undo *u) {
  size_t n = (size_t)s->m->n_nodes;
  if (u->old_kernel && u->old_backend) {
    memcpy(s->kernel, u->old_kernel, n * sizeof *u->old_kernel);
    memcpy(s->backend, u->old_backend, n * sizeof *u->old_backend);
  }
  free(u->old_kernel);
  free(u->old_backend);
  lay_out(s, u->old_batch, u->old_block);
  if (!u->reuse) free(u->block);
}

static int relayout(nnd_session *s, int batch) {
  const nnd_model *m = s->m;
  char msg[768], w[512];
  int64_t floats;
  if (nnd_session_batch_floats(m, s->needs_grad, batch, &floats, msg, sizeof msg) != 0)
    return set_error(s, "%s", msg);
  /* A batch that fits in the block already held (the epoch's short last
     batch, the test set's, a batch of 1 after training) is laid out inside
     it: no second block next to the first while the batch changes, and
     nothing to allocate and free twice an epoch. It starts zeroed, as a
     new block does (a failure below lays the old batch out again over
     zeros, as over a new block). */
  int reuse = s->batch_block && floats <= s->block_floats;
  float *block = reuse ? s->batch_block : calloc((size_t)floats + 1, sizeof(float));
  if (!block)
    return set_error(s, "out of memory for a batch of %d (%lld floats of values and gradients)",
                     batch, (long long)floats);
  if (reuse) memset(block, 0, (size_t)floats * sizeof(float));
  /* the kernels for these shapes, measured (kernel_choice.c); what they
     replace is kept aside so that a failure below leaves the session as
     it was (roll_back) */
  relayout_undo u = {.old_batch = s->batch, .old_block = s->batch_block, .block = block,
                     .reuse = reuse};
  lay_out(s, batch, block);
  if (s->choice) {
    u.old_kernel = malloc(((size_t)m->n_nodes + 1) * sizeof *u.old_kernel);
    u.old_backend = malloc(((size_t)m->n_nodes + 1) * sizeof *u.old_backend);
    if (u.old_kernel && u.old_backend) {
      memcpy(u.old_kernel, s->kernel, (size_t)m->n_nodes * sizeof *u.old_kernel);
      memcpy(u.old_backend, s->backend, (size_t)m->n_nodes * sizeof *u.old_backend);
    }
    if (!u.old_kernel || !u.old_backend || nnd_kernel_choice_apply(s, batch) != 0) {
      roll_back(s, &u);
      return set_error(s, "out of memory measuring the kernels for a batch of %d", batch);
    }
  }
  /* workspaces depend on the shapes just laid out */
  size_t ws_total = 0, largest = 0;
  int largest_id = -1, bad_id = -1;
  for (int id = 0; id < m->n_nodes && bad_id < 0; id++) {
    size_t size;
    if (workspace_of(s, id, &size) != 0 || __builtin_add_overflow(ws_total, size, &ws_total))
      bad_id = id;
    else if (size > largest)
      largest = size, largest_id = id;
  }
  char *ws = NULL;
  int ws_reuse = bad_id < 0 && ws_total <= s->ws_capacity;
  if (bad_id < 0 && ws_total && !ws_reuse) ws = calloc(1, ws_total);
  if (bad_id >= 0 || (ws_total && !ws_reuse && !ws)) {
    roll_back(s, &u);
    int id = bad_id >= 0 ? bad_id : largest_id;
    const nnd_node *n = &m->nodes[id];
    if (bad_id >= 0)
      return set_error(s, "%s, %s kernel: the size of its workspace for a batch of %d "
                       "overflows (kept the batch of %d)", where(n, w, sizeof w),
                       s->kernel[id]->backend, batch, u.old_batch);
    return set_error(s, "%s, %s kernel: out of memory for the kernel workspaces of a batch "
                     "of %d (%zu bytes, %zu of them this node's; kept the batch of %d)",
                     where(n, w, sizeof w), s->kernel[id]->backend, batch, ws_total, largest,
                     u.old_batch);
  }
  /* commit */
  free(u.old_kernel);
  free(u.old_backend);
  if (!reuse) {
    free(u.old_block);
    s->batch_block = block;
    s->block_floats = floats;
  }
  s->batch = batch;
  if (ws_reuse) {
    ws = s->ws_block;
    if (ws_total) memset(ws, 0, ws_total); /* zeroed when laid out, as the contract says */
  } else {
    free(s->ws_block);
    s->ws_block = ws;
    s->ws_capacity = ws_total;
  }
  /* by offset: ws is NULL when no kernel has a workspace, and even NULL + 0
     is undefined behaviour (UBSan's pointer-overflow check) */
  size_t off = 0;
  for (int id = 0; id < m->n_nodes; id++) {
    (void)workspace_of(s, id, &s->ws_size[id]);  /* the same sizes: checked above */
    s->ws[id] = s->ws_size[id] ? ws + off : NULL;
    off += s->ws_size[id];
  }
  return fill_literals(s);
}

int nnd_session_set_batch(nnd_session *s, int batch) {
  if (batch < 1) return set_error(s, "the batch size must be at least 1, not %d", batch);
  if (batch == s->batch) return 0;
  return relayout(s, batch);
}

/* ------------------------------------------------------------ running */

static int find_node(const nnd_session *s, const char *name) {
  const nnd_node *n = nnd_ir_find(s->m, name);
  return n ? n->id : -1;
}

int nnd_session_set_input(nnd_session *s, const char *name, const float *data, int64_t n) {
  int id = find_node(s, name);
  if (id < 0 || s->m->nodes[id].kind != NND_NODE_INPUT)
    return set_error(s, "the model has no input `%s`", name);
  if (n != s->val[id].numel)
    return set_error(s, "input `%s` takes %lld values for a batch of %d, got %lld", name,
                     (long long)s->val[id].numel, s->batch, (long long)n);
  memcpy(s->val[id].data, data, (size_t)n * sizeof(float));
  return 0;
}

static int kernel_failed(nnd_session *s, int id, const char *pass) {
  char w[512], detail[1024];
  snprintf(detail, sizeof detail, "%s", s->error[0] ? s->error : "failed");
  return set_error(s, "%s, %s kernel, %s: %s", where(&s->m->nodes[id], w, sizeof w),
                   s->backend[id], pass, detail);
}

int nnd_session_forward(nnd_session *s, int training) {
  const nnd_model *m = s->m;
  for (int id = 0; id < m->n_nodes; id++) {
    if (!s->kernel[id]) continue;
    nnd_kernel_ctx c = nnd_session_node_ctx(s, id, training);
    s->error[0] = '\0';
    double t0 = s->profile ? nnd_profile_now() : 0;
    if (s->kernel[id]->forward(&c) != 0) return kernel_failed(s, id, "forward");
    if (s->profile) {
      s->profile[id].forward += nnd_profile_now() - t0;
      s->profile[id].forward_calls++;
    }
  }
  s->total = 0;
  for (int i = 0; i < m->n_losses; i++) {
    s->loss_values[i] = s->val[m->losses[i].node].data[0];
    s->total += m->losses[i].weight * s->loss_values[i];
  }
  return 0;
}

/* Zeroes node j's gradient unless it was written already in this pass. */
static void zero_unwritten(nnd_session *s, int j) {
  if (s->grad_written[j] || !s->grad[j].data) return;
  memset(s->grad[j].data, 0, (size_t)s->grad[j].numel * sizeof(float));
  s->grad_written[j] = 1;
}

/* Which of node id's input gradients its backward may store rather than
 * add (nnd_kernel_ctx.grad_assign): those no later node has written in
 * this pass, when the kernel says it honours that and the input appears
 * once among the node's inputs. The others are zeroed now, just before
 * their first writer, unless written already. */
static uint32_t first_writes(nnd_session *s, int id) {
  const nnd_node *n = &s->m->nodes[id];
  int assigns = s->kernel[id]->flags & NND_KERNEL_ASSIGNS_GRADS;
  uint32_t bits = 0;
  for (int i = 0; i < n->n_inputs; i++) {
    int j = n->inputs[i];
    if (!s->in_grad[id][i].data || s->grad_written[j]) continue;
    int once = i < 32;
    for (int k = 0; k < n->n_inputs && once; k++) once = k == i || n->inputs[k] != j;
    if (assigns && once) bits |= 1u << i;
    else zero_unwritten(s, j);
  }
  for (int i = 0; i < n->n_inputs && i < 32; i++)
    if (bits >> i & 1u) s->grad_written[n->inputs[i]] = 1;
  return bits;
}

/* Gradients are written by their consumers in reverse order; the first
 * writer of each either stores (a kernel that honours grad_assign) or adds
 * into a buffer zeroed just before it, while it is about to be touched
 * anyway. What no kernel wrote (a parameter whose only consumer needs no
 * backward) is zeroed at the end, as the optimizer reads every gradient. */
int nnd_session_backward(nnd_session *s) {
  const nnd_model *m = s->m;
  memset(s->grad_written, 0, (size_t)m->n_nodes);
  double t0 = s->profile ? nnd_profile_now() : 0;
  for (int i = 0; i < m->n_losses; i++) {
    int j = m->losses[i].node;
    zero_unwritten(s, j);
    s->grad[j].data[0] += (float)m->losses[i].weight;
  }
  if (s->profile) s->profile_zero += nnd_profile_now() - t0;
  for (int id = m->n_nodes - 1; id >= 0; id--) {
    if (!s->kernel[id] || !s->needs_grad[id]) continue;
    nnd_kernel_ctx c = nnd_session_node_ctx(s, id, 1);
    c.grad_output = &s->grad[id];
    c.grad_inputs = s->in_grad[id];
    double z0 = s->profile ? nnd_profile_now() : 0;
    c.grad_assign = first_writes(s, id);
    if (s->profile) s->profile_zero += nnd_profile_now() - z0;
    s->error[0] = '\0';
    double k0 = s->profile ? nnd_profile_now() : 0;
    if (s->kernel[id]->backward(&c) != 0) return kernel_failed(s, id, "backward");
    if (s->profile) {
      s->profile[id].backward += nnd_profile_now() - k0;
      s->profile[id].backward_calls++;
    }
  }
  t0 = s->profile ? nnd_profile_now() : 0;
  for (int id = 0; id < m->n_nodes; id++)
    if (s->needs_grad[id]) zero_unwritten(s, id);
  if (s->profile) s->profile_zero += nnd_profile_now() - t0;
  return 0;
}

int nnd_session_step(nnd_session *s, double lr) {
  if (!s->opt_call) return set_error(s, "the model has no optimizer");
  if (!s->opt)
    return set_error(s, "optimizer `%s` has no implementation in the loaded plugins",
                     s->opt_call->str);
  s->steps++;
  nnd_optim_ctx c;
  memset(&c, 0, sizeof c);
  c.size = sizeof c;
  c.host = nnd_plugin_host();
  c.params = s->params;
  c.grads = s->param_grads;
  c.state = s->opt_state;
  c.n = s->n_params;
  c.call = s->opt_call;
  c.lr = lr < 0 ? s->default_lr : lr;
  c.step = s->steps;
  c.message = s->error;
  c.message_size = sizeof s->error;
  s->error[0] = '\0';
  double t0 = s->profile ? nnd_profile_now() : 0;
  int failed = s->opt->step(&c) != 0;
  if (s->profile) s->profile_step += nnd_profile_now() - t0;
  if (failed) {
    char detail[1024];
    snprintf(detail, sizeof detail, "%s", s->error);
    return set_error(s, "optimizer `%s`: %s", s->opt->name, detail);
  }
  return 0;
}

double nnd_session_loss(const nnd_session *s) { return s->total; }
int nnd_session_loss_count(const nnd_session *s) { return s->m->n_losses; }

double nnd_session_loss_term(const nnd_session *s, int i, const char **node_name,
                             double *weight) {
  if (i < 0 || i >= s->m->n_losses) return NAN;
  if (node_name) *node_name = s->m->nodes[s->m->losses[i].node].name;
  if (weight) *weight = s->m->losses[i].weight;
  return s->loss_values[i];
}

int nnd_session_value(const nnd_session *s, const char *name, nnd_tensor *out) {
  int id = find_node(s, name);
  if (id < 0) return -1;
  *out = s->val[id];
  return 0;
}

int nnd_session_grad(const nnd_session *s, const char *name, nnd_tensor *out) {
  int id = find_node(s, name);
  if (id < 0 || !s->needs_grad[id] || !s->grad[id].data) return -1;
  *out = s->grad[id];
  return 0;
}

const char *nnd_session_backend(const nnd_session *s, const char *name) {
  int id = find_node(s, name);
  return id < 0 ? NULL : s->backend[id];
}

const char *nnd_session_optimizer(const nnd_session *s, const char **backend) {
  if (backend) *backend = s->opt ? s->opt->backend : NULL;
  return s->opt ? s->opt->name : NULL;
}

float *nnd_session_params(nnd_session *s, int64_t *n) {
  if (n) *n = s->n_params;
  return s->params;
}

float *nnd_session_param_grads(nnd_session *s, int64_t *n) {
  if (n) *n = s->n_params;
  return s->param_grads;
}
