/* session_io.c — a session's state in a checkpoint: every parameter under
 * its node's name (so PyTorch-style names such as "logits.weight" carry
 * over), the optimizer state as one flat tensor, and the caller's metadata. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checkpoint.h"
#include "session_internal.h"
#include "train.h"

#define OPT_STATE "nnd.optimizer_state"

int64_t nnd_session_steps(const nnd_session *s) { return s->steps; }
void nnd_session_set_steps(nnd_session *s, int64_t steps) { s->steps = steps; }

static void tensor_of(const nnd_session *s, int id, nnd_ckpt_tensor *t) {
  const nnd_tensor *v = &s->val[id];
  t->name = s->m->nodes[id].name;
  t->data = v->data;
  t->ndim = v->ndim;
  for (int i = 0; i < v->ndim; i++) t->dim[i] = v->dim[i];
}

int nnd_session_save(nnd_session *s, const char *path, const char *const *keys,
                     const char *const *values, int n_meta, char *err, size_t err_size) {
  const nnd_model *m = s->m;
  nnd_ckpt_tensor *t = calloc((size_t)m->n_nodes + 2, sizeof *t);
  if (!t) return snprintf(err, err_size, "out of memory"), -1;
  int n = 0;
  for (int id = 0; id < m->n_nodes; id++)
    if (m->nodes[id].kind == NND_NODE_PARAM) tensor_of(s, id, &t[n++]);
  if (s->opt && s->opt->state_floats > 0) {
    t[n].name = OPT_STATE;
    t[n].data = s->opt_state;
    t[n].ndim = 1;
    t[n].dim[0] = s->n_params * s->opt->state_floats;
    n++;
  }
  int rc = nnd_checkpoint_save(path, t, n, keys, values, n_meta, err, err_size);
  free(t);
  return rc;
}

static int same_shape(const nnd_ckpt_tensor *c, const nnd_tensor *v) {
  if (c->ndim != v->ndim) return 0;
  for (int i = 0; i < v->ndim; i++)
    if (c->dim[i] != v->dim[i]) return 0;
  return 1;
}

static const char *shape_text(int ndim, const int64_t *dim, char *buf, size_t size) {
  size_t len = (size_t)snprintf(buf, size, "[");
  for (int i = 0; i < ndim && len < size; i++)
    len += (size_t)snprintf(buf + len, size - len, "%s%lld", i ? ", " : "", (long long)dim[i]);
  if (len < size) snprintf(buf + len, size - len, "]");
  return buf;
}

/* The index of the first NaN or infinity of n values, or -1. */
static int64_t first_non_finite(const float *v, int64_t n) {
  for (int64_t i = 0; i < n; i++)
    if (!isfinite(v[i])) return i;
  return -1;
}

int nnd_session_load_checkpoint(nnd_session *s, const nnd_checkpoint *c, const char *path,
                                int with_state, char *err, size_t err_size) {
  const nnd_model *m = s->m;
  int rc = 0;
  /* check everything first: a mismatch must not leave half-loaded weights */
  for (int id = 0; id < m->n_nodes && rc == 0; id++) {
    if (m->nodes[id].kind != NND_NODE_PARAM) continue;
    const nnd_ckpt_tensor *t = nnd_checkpoint_find(c, m->nodes[id].name);
    char a[128], b[128];
    int64_t bad = -1;
    if (!t) {
      snprintf(err, err_size, "%s: no tensor `%s`, which the model needs", path,
               m->nodes[id].name);
      rc = -1;
    } else if (!same_shape(t, &s->val[id])) {
      snprintf(err, err_size, "%s: `%s` is %s in the file but %s in the model", path, t->name,
               shape_text(t->ndim, t->dim, a, sizeof a),
               shape_text(s->val[id].ndim, s->val[id].dim, b, sizeof b));
      rc = -1;
    } else if ((bad = first_non_finite(t->data, s->val[id].numel)) >= 0) {
      /* a model with such a weight computes nothing but NaN */
      snprintf(err, err_size, "%s: `%s` holds NaN or infinity (value %lld of %lld): the "
               "weights are unusable", path, t->name, (long long)bad + 1,
               (long long)s->val[id].numel);
      rc = -1;
    }
  }
  const nnd_ckpt_tensor *st = with_state ? nnd_checkpoint_find(c, OPT_STATE) : NULL;
  int64_t want = s->opt ? s->n_params * s->opt->state_floats : 0;
  if (rc == 0 && with_state && want > 0 && !st) {
    /* fresh moments in the middle of a run are not the run resumed */
    snprintf(err, err_size, "%s: no optimizer state (`%s`), which resuming the model's "
             "optimizer needs", path, OPT_STATE);
    rc = -1;
  }
  if (rc == 0 && st && (st->ndim != 1 || st->dim[0] != want)) {
    snprintf(err, err_size, "%s: the optimizer state has %lld values, the model's optimizer "
                            "keeps %lld", path, (long long)(st->ndim == 1 ? st->dim[0] : -1),
             (long long)want);
    rc = -1;
  }
  if (rc == 0 && st && first_non_finite(st->data, want) >= 0) {
    snprintf(err, err_size, "%s: the optimizer state `%s` holds NaN or infinity", path,
             OPT_STATE);
    rc = -1;
  }
  for (int id = 0; id < m->n_nodes && rc == 0; id++) {
    if (m->nodes[id].kind != NND_NODE_PARAM) continue;
    const nnd_ckpt_tensor *t = nnd_checkpoint_find(c, m->nodes[id].name);
    memcpy(s->val[id].data, t->data, (size_t)s->val[id].numel * sizeof(float));
  }
  if (rc == 0 && st && want > 0) memcpy(s->opt_state, st->data, (size_t)want * sizeof(float));
  return rc;
}

int nnd_session_load(nnd_session *s, const char *path, int with_state,
                     struct nnd_checkpoint **meta, char *err, size_t err_size) {
  nnd_checkpoint *c = NULL;
  if (meta) *meta = NULL;
  if (nnd_checkpoint_load(path, &c, err, err_size) != 0) return -1;
  int rc = nnd_session_load_checkpoint(s, c, path, with_state, err, err_size);
  if (rc == 0 && meta) *meta = c;
  else nnd_checkpoint_free(c);
  return rc;
}
