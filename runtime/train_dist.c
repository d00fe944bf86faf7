/* train_dist.c — see train_dist.h. */
#include "train_dist.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ir_dump.h"
#include "shape.h"
#include "session_internal.h"

static uint64_t fnv1a(uint64_t h, const void *data, size_t n) {
  const unsigned char *p = data;
  for (size_t i = 0; i < n; i++) {
    h ^= p[i];
    h *= 0x100000001b3ull;
  }
  return h;
}

uint64_t nnd_dist_fingerprint(const nnd_model *m, int64_t n_params, const nnd_dataset *train,
                              const nnd_dataset *test) {
  uint64_t h = 0xcbf29ce484222325ull;
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  if (f) {
    nnd_ir_dump(m, f);
    fclose(f);
    h = fnv1a(h, text, len);
  }
  free(text);
  int64_t shape[5] = {n_params, train ? nnd_dataset_size(train) : -1,
                      train ? nnd_dataset_features(train) : -1,
                      test ? nnd_dataset_size(test) : -1, test ? nnd_dataset_features(test) : -1};
  return fnv1a(h, shape, sizeof shape);
}

int nnd_dist_check_same(nnd_comm *c, uint64_t fingerprint, char *err, size_t err_size) {
  uint64_t root = fingerprint;
  if (c->bcast(c, &root, sizeof root, 0, err, err_size) != 0) return -2;
  double *differs = calloc((size_t)c->n_ranks, sizeof *differs);
  if (!differs) return snprintf(err, err_size, "out of memory"), -2;
  differs[c->rank] = root != fingerprint;
  if (c->sum_doubles(c, differs, (size_t)c->n_ranks, err, err_size) != 0) {
    free(differs);
    return -2;
  }
  int first = -1, count = 0;
  for (int r = 0; r < c->n_ranks; r++)
    if (differs[r] != 0) {
      if (first < 0) first = r;
      count++;
    }
  free(differs);
  if (first < 0) return 0;
  snprintf(err, err_size, "rank %d (host %s)%s compiled a different model, settings or data "
           "than rank 0 (host %s): every process must train the same model file with the "
           "same --set options on the same data", first, c->host(c, first),
           count > 1 ? " and others" : "", c->host(c, 0));
  return -1;
}

static int64_t frozen_floats(const nnd_model *m) {
  int64_t n = 0;
  for (int id = 0; id < m->n_nodes; id++)
    if (m->nodes[id].kind == NND_NODE_PARAM && !m->nodes[id].trainable)
      n += nnd_type_numel(&m->nodes[id].type);
  return n;
}

int nnd_dist_share_state(nnd_comm *c, nnd_session *s, nnd_run_state *st, char *err,
                         size_t err_size) {
  size_t state = s->opt ? (size_t)s->n_params * (size_t)s->opt->state_floats : 0;
  if (c->bcast(c, s->params, (size_t)s->n_params * sizeof(float), 0, err, err_size) != 0 ||
      c->bcast(c, s->frozen, (size_t)frozen_floats(s->m) * sizeof(float), 0, err,
               err_size) != 0 ||
      (state && c->bcast(c, s->opt_state, state * sizeof(float), 0, err, err_size) != 0) ||
      c->bcast(c, &s->steps, sizeof s->steps, 0, err, err_size) != 0 ||
      c->bcast(c, st, sizeof *st, 0, err, err_size) != 0)
    return -1;
  return 0;
}
