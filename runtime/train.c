/* train.c — see train.h.
 *
 * Resuming is exact: the order of an epoch is a function of (seed, epoch),
 * dropout masks of (seed, node, step, sample), and a checkpoint records the epoch,
 * the next batch, the step count, the optimizer state and the epoch's
 * running sums — so a run stopped and resumed equals one that never stopped. */
#include "train.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "checkpoint.h"
#include "comm.h"
#include "rng.h"
#include "run_state.h"
#include "session_internal.h"
#include "shape.h"
#include "train_dist.h"

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static double setting_num(const nnd_model *m, const char *key, double fallback) {
  const nnd_setting *s = nnd_ir_setting(m, key);
  return s ? nnd_num(&s->value, fallback) : fallback;
}

double nnd_schedule_lr(const nnd_value *schedule, double base, int epoch, int epochs) {
  if (!schedule || schedule->kind != NND_VAL_CALL) return base;
  if (strcmp(schedule->str, "step") == 0) {
    double every = nnd_num(nnd_call_arg(schedule, "every"), 1);
    double gamma = nnd_num(nnd_call_arg(schedule, "gamma"), 0.1);
    return base * pow(gamma, floor(epoch / (every < 1 ? 1 : every)));
  }
  if (strcmp(schedule->str, "cosine") == 0) {
    /* nnd.nnd(5): from lr at the first epoch to min_lr at the last (epoch
     * epochs - 1), both exactly; one epoch is the first: lr */
    double min_lr = nnd_num(nnd_call_arg(schedule, "min_lr"), 0);
    if (epochs <= 1 || epoch <= 0) return base;
    if (epoch >= epochs - 1) return min_lr;
    double t = (double)epoch / (epochs - 1);
    return min_lr + (base - min_lr) * (1 + cos(3.14159265358979323846 * t)) / 2;
  }
  return base;
}

/* ------------------------------------------------------------ binding */

int nnd_train_bind(const nnd_model *m, const nnd_dataset *d, nnd_data_binding *b, char *err,
                   size_t err_size) {
  memset(b, 0, sizeof *b);
  int64_t features = nnd_dataset_features(d);
  const char *source = nnd_dataset_name(d)[0] ? nnd_dataset_name(d) : "the synthetic data";
  const nnd_node *misfit = NULL; /* as many values as a sample, another layout */
  int binary = 0;
  for (int i = 0; i < m->n_nodes; i++) {
    const nnd_node *n = &m->nodes[i];
    if (n->kind != NND_NODE_INPUT) continue;
    if (n->type.dtype != NND_FLOAT && !b->target) {
      b->target = n->name;
      b->classes = n->type.dtype == NND_CLASS ? (int)n->type.classes : 2;
      binary = n->type.dtype == NND_BINARY;
    } else if (n->type.dtype == NND_FLOAT && nnd_type_numel(&n->type) == features &&
               !b->features) {
      /* the data module says which shapes take its samples */
      if (nnd_dataset_check_input(d, n->name, n->type.dim, n->type.ndim, NULL, 0) == 0)
        b->features = n->name;
      else if (!misfit)
        misfit = n;
    }
  }
  if (!b->features && misfit)
    return nnd_dataset_check_input(d, misfit->name, misfit->type.dim, misfit->type.ndim, err,
                                   err_size);
  if (!b->features) {
    snprintf(err, err_size, "%s: its samples have %lld values, but no float input of the "
                            "model has that many", source, (long long)features);
    return -1;
  }
  if (!b->target) {
    snprintf(err, err_size, "the model has no class or binary input for the labels of %s",
             source);
    return -1;
  }
  /* every label a class of the target, or an error naming its file and row
     now rather than a kernel's "sample 8 of the batch" steps later */
  if (nnd_dataset_check_labels(d, b->target, b->classes, binary, err, err_size) != 0)
    return -1;
  /* the prediction is what the loss on the target compares with it */
  nnd_prediction p;
  if (nnd_model_prediction(m, b->target, &p) == 0) {
    b->prediction = p.node;
    b->prediction_kind = p.kind;
  }
  return 0;
}

/* How many of n samples the prediction gets right; optionally tallied. */
static int64_t count_correct(nnd_session *s, const nnd_data_binding *b, const float *y, int n,
                             nnd_confusion *confusion) {
  nnd_tensor p;
  if (!b->prediction || nnd_session_value(s, b->prediction, &p) != 0 || p.numel < n) return 0;
  int64_t per = p.numel / n, correct = 0;
  for (int i = 0; i < n; i++) {
    int pred = nnd_pred_class(b->prediction_kind, p.data + (int64_t)i * per, per);
    int truth = (int)y[i];
    correct += pred == truth;
    if (confusion) nnd_confusion_add(confusion, truth, pred);
  }
  return correct;
}

static int feed(nnd_session *s, const nnd_dataset *d, const nnd_data_binding *b,
                const int64_t *index, int n, float *x, float *y) {
  if (nnd_session_batch(s) != n && nnd_session_set_batch(s, n) != 0) return -1;
  nnd_dataset_batch(d, index, n, x, y);
  if (nnd_session_set_input(s, b->features, x, n * nnd_dataset_features(d)) != 0 ||
      nnd_session_set_input(s, b->target, y, n) != 0)
    return -1;
  return 0;
}

/* Loss (weighted by batch size) and correct predictions over the samples
 * index[0..n), in inference mode, with caller-provided batch buffers of
 * `batch` samples. Shared by the test set and the validation split. */
static int evaluate_samples(nnd_session *s, const nnd_dataset *d, const nnd_data_binding *b,
                            const int64_t *index, int64_t n, int batch, float *x, float *y,
                            double *loss_sum, int64_t *correct, nnd_confusion *confusion) {
  *loss_sum = 0;
  *correct = 0;
  for (int64_t start = 0; start < n; start += batch) {
    int k = (int)(n - start < batch ? n - start : batch);
    if (feed(s, d, b, index + start, k, x, y) != 0 || nnd_session_forward(s, 0) != 0)
      return -1;
    *loss_sum += nnd_session_loss(s) * k;
    *correct += count_correct(s, b, y, k, confusion);
  }
  return 0;
}

int nnd_evaluate(nnd_session *s, const nnd_dataset *d, const nnd_data_binding *b,
                 double *loss, double *accuracy, nnd_confusion *confusion, char *err,
                 size_t err_size) {
  int batch = nnd_session_batch(s) > 1 ? nnd_session_batch(s) : 256;
  int64_t total = nnd_dataset_size(d), correct = 0;
  float *x = malloc((size_t)batch * (size_t)nnd_dataset_features(d) * sizeof *x);
  float *y = malloc((size_t)batch * sizeof *y);
  int64_t *index = malloc((size_t)(total + 1) * sizeof *index);
  double sum = 0;
  int rc = -1;
  if (!x || !y || !index) {
    snprintf(err, err_size, "out of memory");
  } else {
    for (int64_t i = 0; i < total; i++) index[i] = i;
    rc = evaluate_samples(s, d, b, index, total, batch, x, y, &sum, &correct, confusion);
    if (rc != 0) snprintf(err, err_size, "%s", nnd_session_error(s));
  }
  *loss = total ? sum / (double)total : NAN;
  *accuracy = total && b->prediction ? (double)correct / (double)total : NAN;
  free(x);
  free(y);
  free(index);
  return rc;
}

/* --------------------------------------------------------------- guard */

/* Whether all n floats are finite. It runs after every step over every
 * gradient (at batch 1 about as many floats as the step's multiply-adds),
 * so it is written to vectorise: x - x is +0 for a finite x and NaN for an
 * infinity or a NaN, and NaN survives the sums, kept in eight independent
 * accumulators (registers: no reassociation, so no -ffast-math needed). */
static int floats_finite(const float *v, int64_t n) {
  float a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    a0 += v[i] - v[i];
    a1 += v[i + 1] - v[i + 1];
    a2 += v[i + 2] - v[i + 2];
    a3 += v[i + 3] - v[i + 3];
    a4 += v[i + 4] - v[i + 4];
    a5 += v[i + 5] - v[i + 5];
    a6 += v[i + 6] - v[i + 6];
    a7 += v[i + 7] - v[i + 7];
  }
  for (; i < n; i++) a0 += v[i] - v[i];
  return a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 == 0; /* false for NaN */
}

/* The first tensor holding a NaN or infinity after a step, or NULL. */
static const char *non_finite(nnd_session *s) {
  const nnd_model *m = s->m;
  if (!isfinite(nnd_session_loss(s))) return "the total loss";
  for (int id = 0; id < m->n_nodes; id++) {
    const nnd_node *n = &m->nodes[id];
    if (n->kind != NND_NODE_PARAM || !n->trainable || !s->grad[id].data) continue;
    if (!floats_finite(s->grad[id].data, s->grad[id].numel)) return n->name;
  }
  return NULL;
}

/* ---------------------------------------------------------- the loop */

typedef struct {
  const nnd_model *m;
  nnd_session *s;
  const nnd_train_options *o;
  nnd_dataset *train, *test;
  nnd_data_binding bind;
  int64_t *order, *epoch_order;
  int64_t n_train, n_holdout;
  float *x, *y;
  int batch, epochs, shuffle;
  double validation;
  uint64_t seed;
  int stepped; /* a step was taken: there is a new state to save */
  /* several processes (train_dist.h): dist when there is more than one rank;
     lead is the rank that reports and writes (rank 0, or the only one) */
  nnd_comm *comm;
  int dist, lead;
  int agreed;        /* the error returned is every rank's, not this one's */
  float *reduce;     /* a step's allreduce: gradients, then nnd_dist_extra */
  int64_t *test_index; /* 0, 1, ... for the ranks' shares of the test set */
  double comm_seconds; /* this epoch's in the steps' allreduce */
} run;

static void shape_of(const run *r, nnd_run_shape *shape) {
  shape->model = r->m->name;
  shape->seed = r->seed;
  shape->epochs = r->epochs;
  shape->batch = r->batch;
  shape->validation = r->validation;
  shape->train_samples = r->n_train;
}

/* Save the run at the given position. Before this process has taken a
 * step there is nothing new to save: the file keeps what it holds (the
 * state resumed from, or another run's checkpoint, which an interrupt in
 * the first second must not replace with epoch 0). */
static int save(run *r, int epoch, int64_t next_batch, double loss_sum, int64_t correct,
                int64_t seen, char *err, size_t err_size) {
  if (!r->o->checkpoint || !r->stepped || !r->lead) return 0;
  nnd_run_state st = {epoch, next_batch, nnd_session_steps(r->s), loss_sum, correct, seen};
  nnd_run_shape shape;
  shape_of(r, &shape);
  char text[NND_RUN_META_MAX][40];
  const char *keys[NND_RUN_META_MAX], *values[NND_RUN_META_MAX];
  int n = nnd_run_state_meta(&st, &shape, text, keys, values);
  return nnd_session_save(r->s, r->o->checkpoint, keys, values, n, err, err_size);
}

/* A new run must not replace an existing file (by default NAME.safetensors,
 * easily another run's finished checkpoint) unless it continues that very
 * file or the caller says to overwrite. */
static int check_target(const nnd_train_options *o, char *err, size_t err_size) {
  struct stat a, b;
  if (!o->checkpoint || o->overwrite || stat(o->checkpoint, &a) != 0) return 0;
  if (o->resume && stat(o->resume, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino)
    return 0;
  snprintf(err, err_size, "%s already exists: continue that run with --resume %s, replace it "
           "with --overwrite, or write elsewhere with --checkpoint PATH", o->checkpoint,
           o->checkpoint);
  return -1;
}

static int open_sources(run *r, char *err, size_t err_size) {
  const nnd_setting *data = nnd_ir_setting(r->m, "data"), *test = nnd_ir_setting(r->m, "test");
  if (!data) return snprintf(err, err_size, "%s: the train block has no `data`", r->m->path), -1;
  if (nnd_dataset_open(&data->value, r->m->dir, &r->train, err, err_size) != 0) return -1;
  if (test && nnd_dataset_open(&test->value, r->m->dir, &r->test, err, err_size) != 0) return -1;
  if (nnd_train_bind(r->m, r->train, &r->bind, err, err_size) != 0) return -1;
  /* the test set is checked as the data is (shapes, labels), now rather
     than by a kernel after an epoch of training, and must feed the same
     input */
  nnd_data_binding test_bind;
  if (r->test && nnd_train_bind(r->m, r->test, &test_bind, err, err_size) != 0) return -1;
  if (r->test && strcmp(test_bind.features, r->bind.features) != 0)
    return snprintf(err, err_size, "%s: its samples would feed `%s`, but the data's feed `%s`",
                    nnd_dataset_name(r->test), test_bind.features, r->bind.features),
           -1;
  int64_t n = nnd_dataset_size(r->train);
  r->order = malloc((size_t)(n + 1) * sizeof *r->order);
  r->epoch_order = malloc((size_t)(n + 1) * sizeof *r->epoch_order);
  r->x = malloc((size_t)r->batch * (size_t)nnd_dataset_features(r->train) * sizeof *r->x);
  r->y = malloc((size_t)r->batch * sizeof *r->y);
  if (!r->order || !r->epoch_order || !r->x || !r->y)
    return snprintf(err, err_size, "out of memory"), -1;
  if (r->dist) {
    int64_t params, n_test = r->test ? nnd_dataset_size(r->test) : 0;
    nnd_session_param_grads(r->s, &params);
    r->reduce = malloc((size_t)(params + nnd_dist_extra(r->comm->n_ranks)) * sizeof *r->reduce);
    r->test_index = malloc((size_t)(n_test + 1) * sizeof *r->test_index);
    if (!r->reduce || !r->test_index) return snprintf(err, err_size, "out of memory"), -1;
    for (int64_t i = 0; i < n_test; i++) r->test_index[i] = i;
  }
  for (int64_t i = 0; i < n; i++) r->order[i] = i;
  /* the validation split is held out of a fixed, seeded permutation */
  r->n_holdout = (int64_t)floor(r->validation * (double)n);
  if (r->n_holdout > 0) {
    nnd_rng rng = nnd_rng_for(r->seed, "validation");
    nnd_rng_shuffle(&rng, r->order, n);
  }
  r->n_train = n - r->n_holdout;
  if (r->n_train < 1) return snprintf(err, err_size, "no training samples left"), -1;
  return 0;
}

/* Loss and accuracy on the validation split and on the test source, each
 * when the model has it. */
static int evaluate_epoch_dist(run *r, nnd_epoch_stats *st, char *err, size_t err_size);

static int evaluate_epoch(run *r, nnd_epoch_stats *st, char *err, size_t err_size) {
  st->has_test = st->has_val = 0;
  if (r->dist) return evaluate_epoch_dist(r, st, err, err_size);
  if (r->n_holdout > 0) {
    double sum;
    int64_t correct;
    if (evaluate_samples(r->s, r->train, &r->bind, r->order + r->n_train, r->n_holdout,
                         r->batch, r->x, r->y, &sum, &correct, NULL) != 0) {
      snprintf(err, err_size, "%s", nnd_session_error(r->s));
      return -1;
    }
    st->val_loss = sum / (double)r->n_holdout;
    st->val_accuracy = (double)correct / (double)r->n_holdout;
    st->has_val = 1;
  }
  if (r->test) {
    if (nnd_evaluate(r->s, r->test, &r->bind, &st->test_loss, &st->test_accuracy, NULL, err,
                     err_size) != 0)
      return -1;
    st->has_test = 1;
  }
  return 0;
}

/* The same with several ranks: each evaluates its contiguous share of the
 * validation split and of the test set, and the sums are added up. */
static int evaluate_epoch_dist(run *r, nnd_epoch_stats *st, char *err, size_t err_size) {
  nnd_comm *c = r->comm;
  double sums[4] = {0, 0, 0, 0}; /* validation loss sum, correct; test's */
  int64_t lo, hi, correct, n_test = r->test ? nnd_dataset_size(r->test) : 0;
  if (r->n_holdout > 0) {
    nnd_comm_share(r->n_holdout, c->rank, c->n_ranks, &lo, &hi);
    if (evaluate_samples(r->s, r->train, &r->bind, r->order + r->n_train + lo, hi - lo,
                         r->batch, r->x, r->y, &sums[0], &correct, NULL) != 0)
      return snprintf(err, err_size, "%s", nnd_session_error(r->s)), -1;
    sums[1] = (double)correct;
  }
  if (r->test) {
    nnd_comm_share(n_test, c->rank, c->n_ranks, &lo, &hi);
    if (evaluate_samples(r->s, r->test, &r->bind, r->test_index + lo, hi - lo, r->batch, r->x,
                         r->y, &sums[2], &correct, NULL) != 0)
      return snprintf(err, err_size, "%s", nnd_session_error(r->s)), -1;
    sums[3] = (double)correct;
  }
  if (c->sum_doubles(c, sums, 4, err, err_size) != 0) return -1;
  if (r->n_holdout > 0) {
    st->val_loss = sums[0] / (double)r->n_holdout;
    st->val_accuracy = sums[1] / (double)r->n_holdout;
    st->has_val = 1;
  }
  if (r->test) {
    st->test_loss = n_test ? sums[2] / (double)n_test : NAN;
    st->test_accuracy = n_test && r->bind.prediction ? sums[3] / (double)n_test : NAN;
    st->has_test = 1;
  }
  return 0;
}

/* The message of a NaN or infinity after a step: `bad` names the tensor. */
static void non_finite_error(int epoch, int64_t b, const char *bad, const char *where,
                             char *err, size_t err_size) {
  int is_loss = strcmp(bad, "the total loss") == 0;
  snprintf(err, err_size, "epoch %d, step %lld: %s%s%s is not finite (NaN or infinity)%s; "
                          "training stopped, the last checkpoint is kept",
           epoch + 1, (long long)b + 1, is_loss ? "" : "the gradient of `", bad,
           is_loss ? "" : "`", where);
}

/* One step of the global batch of n samples at `index` with several ranks:
 * this rank's contiguous share forward and backward, its mean gradient
 * turned into a sum, one allreduce of every rank's sums (with the loss sum,
 * the correct count, the stop flags and the non-finite flags appended), and
 * the sum divided by n applied on every rank alike. */
static int dist_step(run *r, int epoch, int64_t b, const int64_t *index, int n, double lr,
                     double *loss, int64_t *correct, int *stop, char *err, size_t err_size) {
  nnd_comm *c = r->comm;
  int64_t lo, hi, P;
  nnd_comm_share(n, c->rank, c->n_ranks, &lo, &hi);
  int k = (int)(hi - lo);
  float *g = nnd_session_param_grads(r->s, &P), *red = r->reduce, *extra = red + P;
  memset(extra, 0, (size_t)nnd_dist_extra(c->n_ranks) * sizeof *extra);
  const char *bad = NULL;
  if (k > 0) {
    r->s->first_sample = lo; /* dropout masks by the global sample */
    if (feed(r->s, r->train, &r->bind, index + lo, k, r->x, r->y) != 0 ||
        nnd_session_forward(r->s, 1) != 0 || nnd_session_backward(r->s) != 0)
      return snprintf(err, err_size, "%s", nnd_session_error(r->s)), -1;
    bad = non_finite(r->s);
    /* losses average over the samples: k times the mean is this share's sum */
    for (int64_t i = 0; i < P; i++) red[i] = g[i] * (float)k;
    extra[NND_DIST_LOSS] = (float)(nnd_session_loss(r->s) * k);
    extra[NND_DIST_CORRECT] = (float)count_correct(r->s, &r->bind, r->y, k, NULL);
  } else {
    memset(red, 0, (size_t)P * sizeof *red); /* fewer samples than ranks */
  }
  extra[NND_DIST_STOP] = r->o->stop && *r->o->stop;
  extra[NND_DIST_BAD + c->rank] = bad != NULL;
  double t0 = now();
  if (c->sum_floats(c, red, (size_t)(P + nnd_dist_extra(c->n_ranks)), err, err_size) != 0)
    return -1;
  r->comm_seconds += now() - t0;
  for (int q = 0; q < c->n_ranks; q++) {
    if (extra[NND_DIST_BAD + q] == 0) continue;
    /* every rank stops here; the first rank that saw it says which tensor */
    char name[256] = "", where[320];
    if (q == c->rank) snprintf(name, sizeof name, "%s", bad);
    if (c->bcast(c, name, sizeof name, q, err, err_size) != 0) return -1;
    snprintf(where, sizeof where, " on rank %d (host %s)", q, c->host(c, q));
    non_finite_error(epoch, b, name, where, err, err_size);
    r->agreed = 1;
    return -1;
  }
  for (int64_t i = 0; i < P; i++) g[i] = red[i] / (float)n;
  if (nnd_session_step(r->s, lr) != 0)
    return snprintf(err, err_size, "%s", nnd_session_error(r->s)), -1;
  *loss = extra[NND_DIST_LOSS];
  *correct = (int64_t)extra[NND_DIST_CORRECT];
  *stop = extra[NND_DIST_STOP] > 0;
  return 0;
}

static int train_loop(run *r, int start_epoch, int64_t start_batch, double loss_sum,
                      int64_t correct, int64_t seen, char *err, size_t err_size) {
  const nnd_setting *opt = nnd_ir_setting(r->m, "optimizer");
  const nnd_setting *sched = nnd_ir_setting(r->m, "schedule");
  double base = opt ? nnd_num(nnd_call_arg(&opt->value, "lr"), 0.01) : 0.01;
  int64_t steps = nnd_run_batches(r->n_train, r->batch);
  for (int epoch = start_epoch; epoch < r->epochs; epoch++) {
    double lr = nnd_schedule_lr(sched ? &sched->value : NULL, base, epoch, r->epochs);
    memcpy(r->epoch_order, r->order, (size_t)r->n_train * sizeof *r->order);
    if (r->shuffle) {
      char key[32];
      snprintf(key, sizeof key, "epoch %d", epoch);
      nnd_rng rng = nnd_rng_for(r->seed, key);
      nnd_rng_shuffle(&rng, r->epoch_order, r->n_train);
    }
    double t0 = now(), last = 0;
    int stop_at_end = 0;
    r->comm_seconds = 0;
    for (int64_t b = start_batch; b < steps; b++) {
      /* with several ranks, a stop travels in the step's allreduce */
      if (!r->dist && r->o->stop && *r->o->stop) {
        if (save(r, epoch, b, loss_sum, correct, seen, err, err_size) != 0) return -1;
        return r->stepped ? 1 : 2;
      }
      int n = (int)(r->n_train - b * r->batch < r->batch ? r->n_train - b * r->batch : r->batch);
      if (r->dist) {
        double step_loss;
        int64_t step_correct;
        int stop;
        if (dist_step(r, epoch, b, r->epoch_order + b * r->batch, n, lr, &step_loss,
                      &step_correct, &stop, err, err_size) != 0)
          return -1;
        r->stepped = 1;
        loss_sum += step_loss;
        correct += step_correct;
        seen += n;
        /* a stop at an epoch's last step lets the epoch end (and be saved) */
        if (stop && b + 1 < steps) {
          if (save(r, epoch, b + 1, loss_sum, correct, seen, err, err_size) != 0) return -1;
          return 1;
        }
        stop_at_end = stop;
      } else {
        if (feed(r->s, r->train, &r->bind, r->epoch_order + b * r->batch, n, r->x, r->y) != 0 ||
            nnd_session_forward(r->s, 1) != 0 || nnd_session_backward(r->s) != 0) {
          snprintf(err, err_size, "%s", nnd_session_error(r->s));
          return -1;
        }
        const char *bad = non_finite(r->s);
        if (bad) {
          non_finite_error(epoch, b, bad, "", err, err_size);
          return -1;
        }
        if (nnd_session_step(r->s, lr) != 0) {
          snprintf(err, err_size, "%s", nnd_session_error(r->s));
          return -1;
        }
        r->stepped = 1;
        loss_sum += nnd_session_loss(r->s) * n;
        correct += count_correct(r->s, &r->bind, r->y, n, NULL);
        seen += n;
      }
      double t = now() - t0;
      if (r->o->on_progress && r->lead && (t - last >= r->o->progress_interval || b + 1 == steps)) {
        nnd_train_progress p = {epoch + 1, r->epochs, b + 1, steps, seen, loss_sum / seen, t};
        r->o->on_progress(&p, r->o->user);
        last = t;
      }
    }
    nnd_epoch_stats st = {0};
    st.epoch = epoch + 1;
    st.epochs = r->epochs;
    st.lr = lr;
    st.train_loss = seen ? loss_sum / seen : NAN;
    st.train_accuracy = seen && r->bind.prediction ? (double)correct / seen : NAN;
    if (r->dist) {
      int64_t P;
      nnd_session_param_grads(r->s, &P);
      st.ranks = r->comm->n_ranks;
      st.steps = steps - start_batch;
      st.comm_floats = P + nnd_dist_extra(r->comm->n_ranks);
      st.comm_seconds = r->comm_seconds;
    }
    if (evaluate_epoch(r, &st, err, err_size) != 0) return -1;
    st.seconds = now() - t0;
    r->s->first_sample = 0;
    if (nnd_session_set_batch(r->s, r->batch) != 0) {
      snprintf(err, err_size, "%s", nnd_session_error(r->s));
      return -1;
    }
    if (save(r, epoch + 1, 0, 0, 0, 0, err, err_size) != 0) return -1;
    if (r->o->on_epoch && r->lead) r->o->on_epoch(&st, r->o->user);
    if (stop_at_end && epoch + 1 < r->epochs) return 1;
    start_batch = 0;
    loss_sum = 0;
    correct = seen = 0;
  }
  return 0;
}

int nnd_train(nnd_session *s, const nnd_model *m, const nnd_train_options *o, char *err,
              size_t err_size) {
  return nnd_train_on(s, m, o, NULL, err, err_size);
}

int nnd_train_on(nnd_session *s, const nnd_model *m, const nnd_train_options *o,
                 nnd_comm *comm, char *err, size_t err_size) {
  run r;
  memset(&r, 0, sizeof r);
  r.m = m;
  r.s = s;
  r.o = o;
  r.batch = (int)setting_num(m, "batch", 32);
  r.epochs = (int)setting_num(m, "epochs", 1);
  r.shuffle = setting_num(m, "shuffle", 1) != 0;
  r.seed = (uint64_t)setting_num(m, "seed", 42);
  r.validation = setting_num(m, "validation", 0);
  r.comm = comm;
  r.dist = r.comm && r.comm->n_ranks > 1;
  r.lead = !r.dist || r.comm->rank == 0;
  /* rank 0 alone writes the checkpoint, so it alone checks where */
  int rc = r.lead ? check_target(o, err, err_size) : 0;
  if (rc == 0) rc = open_sources(&r, err, err_size);
  if (rc == 0 && nnd_session_set_batch(s, r.batch) != 0) {
    snprintf(err, err_size, "%s", nnd_session_error(s));
    rc = -1;
  }
  nnd_run_state st = {0};
  /* with several ranks rank 0 reads the checkpoint and sends the state */
  if (rc == 0 && o->resume && r.lead) {
    /* the run state is checked before anything of the file is used */
    nnd_checkpoint *c = NULL;
    nnd_run_shape shape;
    shape_of(&r, &shape);
    rc = nnd_checkpoint_load(o->resume, &c, err, err_size);
    if (rc == 0) rc = nnd_run_state_read(c, o->resume, &shape, &st, err, err_size);
    if (rc == 0) rc = nnd_session_load_checkpoint(s, c, o->resume, 1, err, err_size);
    if (rc == 0) nnd_session_set_steps(s, st.steps);
    nnd_checkpoint_free(c);
  }
  if (rc == 0 && r.dist) {
    /* the same model, settings and data everywhere, then the same state */
    int same = nnd_dist_check_same(r.comm, nnd_dist_fingerprint(m, s->n_params, r.train, r.test),
                                   err, err_size);
    if (same == -1) r.agreed = 1;
    rc = same == 0 ? nnd_dist_share_state(r.comm, s, &st, err, err_size) : -1;
  }
  if (rc == 0)
    rc = train_loop(&r, st.epoch, st.next_batch, st.loss_sum, st.correct, st.seen, err, err_size);
  nnd_dataset_free(r.train);
  nnd_dataset_free(r.test);
  free(r.order);
  free(r.epoch_order);
  free(r.x);
  free(r.y);
  free(r.reduce);
  free(r.test_index);
  /* an error of this rank alone: the others may be waiting for it */
  if (rc == -1 && r.dist && !r.agreed) rc = -3;
  return rc;
}
