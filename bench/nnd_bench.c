/* nnd_bench.c — training and inference throughput of one model on one backend
 * preference, and the machine's sgemm peak to judge it against.
 *
 *   nnd_bench MODEL.nnd --backend LIST --steps N [--warmup W] [--infer-batch 256]
 *             [--infer-batches K] [--max-seconds S] [--threads T] [--guard] [--json]
 *   nnd_bench --sgemm-peak [--json]
 *
 * One configuration per process, so that the peak RSS reported (ru_maxrss)
 * belongs to that configuration alone; bench/run starts one process per row
 * of its table. Timings are wall-clock (CLOCK_MONOTONIC); CPU time is
 * reported beside them so that a run that did not get its cores shows it.
 * --max-seconds bounds each timed phase: on a machine shared with other work
 * a configuration can run ten times slower than it should, and a benchmark
 * suite must still end; the steps actually timed are reported.
 *
 * What a training step is here is what runtime/train.c does per batch:
 * indices from the epoch's seeded shuffle, nnd_dataset_batch (bytes scaled
 * to floats), set both inputs, forward(training=1), backward, step at the
 * model's learning rate. Two things of train.c are left out unless --guard
 * asks for them, because the PyTorch reference has no counterpart: the scan
 * of every gradient for NaN/infinity and the running accuracy. Only full
 * batches are used: train.c's short last batch of an epoch (60,000 % 64 = 32
 * samples) would reallocate the session twice per epoch, which is not what
 * a throughput figure should average in.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifdef _OPENMP
#include <omp.h>
#endif
#ifdef NND_BENCH_HAVE_BLAS
#include <cblas.h>
#endif

#include <nnd/nnd.h>

#include "bench_epoch.h"
#include "data.h"
#include "ir.h"
#include "plugin_loader.h"
#include "rng.h"
#include "session_profile.h"
#include "shape.h"
#include "train.h"

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static double cpu_seconds(void) {
  struct rusage u;
  getrusage(RUSAGE_SELF, &u);
  return (double)u.ru_utime.tv_sec + (double)u.ru_utime.tv_usec * 1e-6 +
         (double)u.ru_stime.tv_sec + (double)u.ru_stime.tv_usec * 1e-6;
}

static double peak_rss_mib(void) {
  struct rusage u;
  getrusage(RUSAGE_SELF, &u);
  return (double)u.ru_maxrss / 1024.0; /* Linux reports KiB */
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static int omp_threads(void) {
#ifdef _OPENMP
  return omp_get_max_threads();
#else
  return 1;
#endif
}

static int openblas_threads(void) {
#if defined(NND_BENCH_HAVE_BLAS) && defined(NND_HAVE_OPENBLAS_THREADS)
  return openblas_get_num_threads();
#else
  return 0;
#endif
}

/* A JSON string without the escapes our own names never need, but a path
 * might. */
static void json_str(FILE *out, const char *s) {
  fputc('"', out);
  for (; s && *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') fprintf(out, "\\%c", c);
    else if (c < 0x20) fprintf(out, "\\u%04x", c);
    else fputc(c, out);
  }
  fputc('"', out);
}

/* ------------------------------------------------------------ sgemm peak */

#ifdef NND_BENCH_HAVE_BLAS
/* Best of several single cblas_sgemm calls of n x n x n, after one call that
 * warms caches, pages and OpenBLAS's buffers. Best, not mean: the question is
 * what the machine can do, and the other runs on it only ever slow it down. */
static double sgemm_gflops(int n, double min_seconds) {
  size_t nn = (size_t)n * (size_t)n;
  float *a = malloc(nn * sizeof *a), *b = malloc(nn * sizeof *b), *c = malloc(nn * sizeof *c);
  if (!a || !b || !c) {
    free(a);
    free(b);
    free(c);
    return NAN;
  }
  nnd_rng rng = nnd_rng_for(1, "sgemm");
  for (size_t i = 0; i < nn; i++) {
    a[i] = (float)nnd_rng_uniform(&rng) - 0.5f;
    b[i] = (float)nnd_rng_uniform(&rng) - 0.5f;
    c[i] = 0;
  }
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a, n, b, n, 0.0f, c, n);
  double best = INFINITY, spent = 0;
  for (int rep = 0; rep < 3 || (spent < min_seconds && rep < 50); rep++) {
    double t0 = now();
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a, n, b, n, 0.0f, c,
                n);
    double t = now() - t0;
    spent += t;
    if (t < best) best = t;
  }
  free(a);
  free(b);
  free(c);
  return 2.0 * (double)n * (double)n * (double)n / best * 1e-9;
}
#endif

static int sgemm_peak(int json) {
#ifdef NND_BENCH_HAVE_BLAS
  const int sizes[] = {1024, 2048};
  double g[2];
  for (int i = 0; i < 2; i++) g[i] = sgemm_gflops(sizes[i], 1.0);
  double peak = g[0] > g[1] ? g[0] : g[1];
  const char *core = "";
#ifdef NND_HAVE_OPENBLAS_THREADS
  core = openblas_get_corename();
#endif
  if (json) {
    printf("{\"kind\":\"sgemm\",\"openblas_threads\":%d,\"openblas_core\":", openblas_threads());
    json_str(stdout, core);
    printf(",\"gflops_1024\":%.3f,\"gflops_2048\":%.3f,\"peak_gflops\":%.3f}\n", g[0], g[1],
           peak);
  } else {
    printf("cblas_sgemm, %d OpenBLAS thread(s), core %s\n", openblas_threads(),
           core[0] ? core : "?");
    for (int i = 0; i < 2; i++)
      printf("  %d^3: %8.2f GFLOP/s\n", sizes[i], g[i]);
    printf("  peak:   %8.2f GFLOP/s\n", peak);
  }
  return 0;
#else
  if (json)
    printf("{\"kind\":\"sgemm\",\"error\":\"built without a CBLAS\"}\n");
  else
    fprintf(stderr, "nnd_bench: built without a CBLAS (configure found none): no sgemm peak\n");
  return 3;
#endif
}

/* ------------------------------------------------------------ FLOP count */

/* The layers whose multiply-adds dominate, and what they cost. A layer's
 * forward is counted as 2 FLOPs per multiply-add of its product; biases,
 * activations, pooling, the loss and the optimizer are not counted (they are
 * O(elements), not O(products), and PyTorch's figures would leave them out
 * too). A training step counts, per layer, the forward product once more for
 * each operand whose gradient is *needed*: the weight's (when trainable) and
 * the data input's only when a trainable parameter lies upstream of it. So
 * the first layer is counted at 2x its forward, the others at 3x: that is
 * the work a training step cannot avoid. What the executor is asked for is
 * reported beside it as "executed" (the operands the session keeps a
 * gradient for): the two agree now that sessions opened like `nnd train`'s
 * (no_input_grads) skip dL/dimage; a difference would show wasted work. */
typedef struct {
  int node;
  const char *name, *op;
  double macs;           /* per sample (batched output), else per batch */
  int per_batch;         /* unbatched: computed once per batch, not per sample */
  int n_operands;        /* operands whose gradient could be asked for */
  int operand[2];        /* node ids: data input, then weight (or matmul's b) */
} layer;

typedef struct {
  layer *l;
  int n;
} layers;

static int is_counted_op(const char *op) {
  return strcmp(op, "dense") == 0 || strcmp(op, "conv1d") == 0 || strcmp(op, "conv2d") == 0 ||
         strcmp(op, "matmul") == 0;
}

static int find_layers(const nnd_model *m, layers *out) {
  out->n = 0;
  out->l = calloc((size_t)m->n_nodes + 1, sizeof *out->l);
  if (!out->l) return -1;
  for (int id = 0; id < m->n_nodes; id++) {
    const nnd_node *n = &m->nodes[id];
    if (n->kind != NND_NODE_OP || !n->op || !is_counted_op(n->op->name)) continue;
    layer *l = &out->l[out->n++];
    l->node = id;
    l->name = n->name;
    l->op = n->op->name;
    l->per_batch = !n->type.batched;
    double out_elems = (double)nnd_type_numel(&n->type);
    const nnd_type *x = &m->nodes[n->inputs[0]].type;
    if (strcmp(l->op, "matmul") == 0) {
      l->macs = out_elems * (double)x->dim[x->ndim - 1];
      l->n_operands = 2;
      l->operand[0] = n->inputs[0];
      l->operand[1] = n->inputs[1];
    } else {
      /* dense: out = units, weight [units, in]; conv: out = [F, spatial...],
         weight [F, C, k...]: either way out elements x (weight elements / F) */
      const nnd_node *w = &m->nodes[n->inputs[n->n_data_inputs]];
      double per_out = (double)nnd_type_numel(&w->type) / (double)w->type.dim[0];
      l->macs = out_elems * per_out;
      l->n_operands = 2;
      l->operand[0] = n->inputs[0];
      l->operand[1] = n->inputs[n->n_data_inputs];
    }
  }
  return 0;
}

/* upstream[id]: a trainable parameter feeds node id, so its gradient is
 * needed to train (the nodes are in topological order). */
static char *trainable_upstream(const nnd_model *m) {
  char *up = calloc((size_t)m->n_nodes + 1, 1);
  if (!up) return NULL;
  for (int id = 0; id < m->n_nodes; id++) {
    const nnd_node *n = &m->nodes[id];
    if (n->kind == NND_NODE_PARAM) up[id] = (char)(n->trainable != 0);
    if (n->kind != NND_NODE_OP) continue;
    for (int k = 0; k < n->n_inputs && !up[id]; k++) up[id] = up[n->inputs[k]];
  }
  return up;
}

typedef struct {
  double fwd, train, train_executed; /* FLOPs per sample at the given batch */
} flops;

static flops count_flops(const nnd_model *m, const layers *ls, const char *up,
                         nnd_session *s, int batch) {
  flops f = {0, 0, 0};
  for (int i = 0; i < ls->n; i++) {
    const layer *l = &ls->l[i];
    double one = 2.0 * l->macs / (l->per_batch ? batch : 1);
    int needed = 0, executed = 0;
    for (int k = 0; k < l->n_operands; k++) {
      int id = l->operand[k];
      needed += up[id] != 0;
      nnd_tensor g;
      executed += s && nnd_session_grad(s, m->nodes[id].name, &g) == 0;
    }
    f.fwd += one;
    f.train += one * (1 + needed);
    f.train_executed += one * (1 + executed);
  }
  return f;
}

/* ------------------------------------------------------------ the bench */

typedef struct {
  const char *model_path, *backends;
  const char *plugin_dirs[16];
  int n_plugin_dirs;
  int steps, warmup, infer_batch, infer_batches, infer_warmup, guard, json;
  int latency;           /* single-sample forwards to time after inference; 0: none */
  int profile;           /* training steps to profile per node after the timed ones */
  double max_seconds;    /* per timed phase; 0: no limit */
} options;

/* The CLI's search (cli/cli_runtime.c): --plugin-dir, then the plugins built
 * beside the program in a build tree, then NND_PLUGIN_PATH and the installed
 * directory (both inside nnd_load_plugins). */
static int load_plugins(const options *o) {
  const char *dirs[20];
  int n = 0;
  for (int i = 0; i < o->n_plugin_dirs; i++) dirs[n++] = o->plugin_dirs[i];
  const char *build = nnd_plugin_build_tree_dir();
  if (build) dirs[n++] = build;
  return nnd_load_plugins(dirs, n);
}

static int setting_int(const nnd_model *m, const char *key, int fallback) {
  const nnd_setting *st = nnd_ir_setting(m, key);
  return st ? (int)nnd_num(&st->value, fallback) : fallback;
}

/* The batches of training, in train.c's order: epoch e is the identity
 * shuffled by the stream "epoch e" of the model's seed. */
typedef struct {
  int64_t *order, n;
  int64_t next;       /* first sample of the next batch in order */
  int epoch, batch;
  uint64_t seed;
} batcher;

static void start_epoch(batcher *b) {
  for (int64_t i = 0; i < b->n; i++) b->order[i] = i;
  char key[32];
  snprintf(key, sizeof key, "epoch %d", b->epoch);
  nnd_rng rng = nnd_rng_for(b->seed, key);
  nnd_rng_shuffle(&rng, b->order, b->n);
  b->next = 0;
}

static const int64_t *next_batch(batcher *b) {
  if (b->next + b->batch > b->n) {
    b->epoch++;
    start_epoch(b);
  }
  const int64_t *idx = b->order + b->next;
  b->next += b->batch;
  return idx;
}

typedef struct {
  nnd_session *s;
  const nnd_dataset *d;
  const nnd_data_binding *bind;
  float *x, *y;
  int64_t features;
  int guard;
  int64_t correct;
} stepper;

static int feed(stepper *t, const int64_t *idx, int n) {
  nnd_dataset_batch(t->d, idx, n, t->x, t->y);
  if (nnd_session_set_input(t->s, t->bind->features, t->x, (int64_t)n * t->features) != 0 ||
      nnd_session_set_input(t->s, t->bind->target, t->y, n) != 0)
    return -1;
  return 0;
}

/* train.c's guard and tally, for --guard: every gradient checked finite, and
 * the predictions of the batch counted. */
static int guard_step(stepper *t, int n) {
  if (!isfinite(nnd_session_loss(t->s))) return -1;
  int64_t np = 0;
  const float *g = nnd_session_param_grads(t->s, &np);
  for (int64_t i = 0; i < np; i++)
    if (!isfinite(g[i])) return -1;
  nnd_tensor p;
  if (t->bind->prediction && nnd_session_value(t->s, t->bind->prediction, &p) == 0) {
    int64_t per = p.numel / n;
    for (int i = 0; i < n; i++) {
      const float *row = p.data + (int64_t)i * per;
      int pred = 0;
      for (int64_t k = 1; k < per; k++)
        if (row[k] > row[pred]) pred = (int)k;
      t->correct += pred == (int)t->y[i];
    }
  }
  return 0;
}

static int train_step(stepper *t, batcher *b) {
  if (feed(t, next_batch(b), b->batch) != 0 || nnd_session_forward(t->s, 1) != 0 ||
      nnd_session_backward(t->s) != 0)
    return -1;
  if (t->guard && guard_step(t, b->batch) != 0) return -2;
  return nnd_session_step(t->s, -1);
}

static int64_t count_correct(nnd_session *s, const char *prediction, const float *y, int n) {
  nnd_tensor p;
  if (!prediction || nnd_session_value(s, prediction, &p) != 0 || p.numel < n) return 0;
  int64_t per = p.numel / n, correct = 0;
  for (int i = 0; i < n; i++) {
    const float *row = p.data + (int64_t)i * per;
    int pred = 0;
    for (int64_t k = 1; k < per; k++)
      if (row[k] > row[pred]) pred = (int)k;
    correct += pred == (int)y[i];
  }
  return correct;
}

/* Where one training step's time goes: n more steps with the session's
 * per-node profile on (session_profile.c) and the batch gather timed here.
 * Printed as a table, or as one JSON line of kind "profile". */
static int profile_steps(const options *o, stepper *t, batcher *b, int n) {
  nnd_session *s = t->s;
  if (nnd_session_profile_start(s) != 0) return -1;
  double gather = 0, t0 = now();
  int steps = 0;
  while (steps < n && !(o->max_seconds > 0 && now() - t0 >= o->max_seconds)) {
    double g0 = now();
    if (feed(t, next_batch(b), b->batch) != 0) return -1;
    gather += now() - g0;
    if (nnd_session_forward(s, 1) != 0 || nnd_session_backward(s) != 0 ||
        nnd_session_step(s, -1) != 0)
      return -1;
    steps++;
  }
  double total = now() - t0, per = 1e3 / steps; /* ms per step */
  const nnd_model *m = s->m;
  double kernels = 0;
  for (int id = 0; id < m->n_nodes; id++) {
    const nnd_node_profile *p = nnd_session_profile_node(s, id);
    kernels += p->forward + p->backward;
  }
  double other = total - kernels - s->profile_zero - s->profile_step - gather;
  if (o->json) {
    printf("{\"kind\":\"profile\",\"model_file\":");
    json_str(stdout, o->model_path);
    printf(",\"backends\":");
    json_str(stdout, o->backends ? o->backends : "default");
    printf(",\"omp_threads\":%d,\"batch\":%d,\"steps\":%d,\"step_ms\":%.4f", omp_threads(),
           b->batch, steps, total * per);
    printf(",\"gather_ms\":%.4f,\"zero_ms\":%.4f,\"optimizer_ms\":%.4f,\"other_ms\":%.4f",
           gather * per, s->profile_zero * per, s->profile_step * per, other * per);
    printf(",\"nodes\":[");
    int first = 1;
    for (int id = 0; id < m->n_nodes; id++) {
      const nnd_node_profile *p = nnd_session_profile_node(s, id);
      if (!p->forward_calls && !p->backward_calls) continue;
      printf("%s{\"name\":", first ? "" : ",");
      json_str(stdout, m->nodes[id].name);
      printf(",\"op\":");
      json_str(stdout, m->nodes[id].op->name);
      printf(",\"backend\":");
      json_str(stdout, nnd_session_backend(s, m->nodes[id].name));
      printf(",\"forward_ms\":%.4f,\"backward_ms\":%.4f}", p->forward * per, p->backward * per);
      first = 0;
    }
    printf("]}\n");
    return 0;
  }
  printf("profile    %d steps at batch %d: %.3f ms/step\n", steps, b->batch, total * per);
  printf("  %-24s %-10s %-8s %9s %9s %6s\n", "node", "op", "kernel", "fwd ms", "bwd ms", "%");
  for (int id = 0; id < m->n_nodes; id++) {
    const nnd_node_profile *p = nnd_session_profile_node(s, id);
    if (!p->forward_calls && !p->backward_calls) continue;
    printf("  %-24s %-10s %-8s %9.3f %9.3f %5.1f%%\n", m->nodes[id].name, m->nodes[id].op->name,
           nnd_session_backend(s, m->nodes[id].name), p->forward * per, p->backward * per,
           100 * (p->forward + p->backward) / total);
  }
  const struct {
    const char *what;
    double seconds;
  } rest[] = {{"batch gather", gather},
              {"gradient zeroing", s->profile_zero},
              {"optimizer", s->profile_step},
              {"executor, other", other}};
  for (size_t i = 0; i < sizeof rest / sizeof rest[0]; i++)
    printf("  %-44s %9.3f %5.1f%%\n", rest[i].what, rest[i].seconds * per,
           100 * rest[i].seconds / total);
  return 0;
}

static void usage(FILE *out) {
  fprintf(out,
          "usage: nnd_bench MODEL.nnd [--backend LIST] [--steps N] [--warmup W]\n"
          "                 [--infer-batch B] [--infer-batches K] [--infer-warmup K]\n"
          "                 [--max-seconds S]\n"
          "                 [--latency N] [--threads T] [--plugin-dir DIR]... [--guard]\n"
          "                 [--profile N] [--json]\n"
          "       nnd_bench MODEL.nnd --epoch [--epochs E] [--step-ms MS] [--backend LIST]\n"
          "       nnd_bench --sgemm-peak [--threads T] [--json]\n"
          "\n"
          "Times N training steps at the model's batch (after W warm-up steps), then K\n"
          "inference batches of B test samples. --threads sets the OpenMP threads (and\n"
          "OpenBLAS's for --sgemm-peak); by default OMP_NUM_THREADS / OPENBLAS_NUM_THREADS.\n"
          "--max-seconds stops each timed phase after S seconds (at least one step).\n"
          "--guard adds train.c's NaN check and accuracy tally to every step.\n"
          "--latency N times N single-sample forwards (batch 1) after inference.\n"
          "--profile N times N more training steps per node and kernel (forward,\n"
          "backward), the gradient zeroing, the optimizer and the batch gather.\n"
          "--epoch runs the trainer itself (E epochs, default the model's) and says\n"
          "where each epoch's time goes against a steady step of MS milliseconds.\n");
}

static int parse_int(const char *flag, const char *v, int min, int *out) {
  char *end = NULL;
  errno = 0;
  long x = v ? strtol(v, &end, 10) : 0;
  if (!v || *end || errno || x < min || x > INT_MAX) {
    fprintf(stderr, "nnd_bench: %s takes a whole number >= %d\n", flag, min);
    return -1;
  }
  *out = (int)x;
  return 0;
}

/* A failure after the model is open: in JSON mode still one parseable line,
 * so that bench/run can put "failed: why" in its table instead of a hole. */
static int fail(const options *o, const char *what, const char *why) {
  if (o->json) {
    printf("{\"kind\":\"train\",\"model_file\":");
    json_str(stdout, o->model_path);
    printf(",\"backends\":");
    json_str(stdout, o->backends ? o->backends : "");
    printf(",\"error\":");
    char msg[1400];
    snprintf(msg, sizeof msg, "%s: %s", what, why);
    json_str(stdout, msg);
    printf("}\n");
  }
  fprintf(stderr, "nnd_bench: %s: %s\n", what, why);
  return 1;
}

static int bench(const options *o) {
  load_plugins(o);
  nnd_model *m = NULL;
  nnd_diag_list *diags = NULL;
  if (nnd_compile_file(o->model_path, &m, &diags) != 0) {
    char *text = nnd_diag_render(diags, 0);
    /* the rendered diagnostics already name the file, and end in a newline */
    size_t len = text ? strlen(text) : 0;
    while (len > 0 && text[len - 1] == '\n') text[--len] = '\0';
    int rc = fail(o, "compile", text ? text : "the model does not compile");
    free(text);
    nnd_diag_list_free(diags);
    return rc;
  }
  nnd_diag_list_free(diags);

  int rc = 1;
  char err[1024];
  nnd_session *s = NULL;
  nnd_dataset *train = NULL, *test = NULL;
  layers ls = {NULL, 0};
  char *up = NULL;
  batcher b = {0};
  float *x = NULL, *y = NULL;
  int64_t *test_index = NULL;

  const nnd_setting *data = nnd_ir_setting(m, "data");
  const nnd_setting *test_setting = nnd_ir_setting(m, "test");
  if (!data) {
    rc = fail(o, o->model_path, "the train block has no `data`");
    goto done;
  }
  if (nnd_dataset_open(&data->value, m->dir, &train, err, sizeof err) != 0 ||
      (test_setting && nnd_dataset_open(&test_setting->value, m->dir, &test, err, sizeof err) != 0)) {
    rc = fail(o, "data", err);
    goto done;
  }
  nnd_data_binding bind;
  if (nnd_train_bind(m, train, &bind, err, sizeof err) != 0) {
    rc = fail(o, "data", err);
    goto done;
  }
  /* without a test set, inference runs over the training images */
  const nnd_dataset *infer_data = test ? test : train;

  /* as `nnd train` opens its session: no gradients for the model's inputs */
  nnd_session_options so = {.size = sizeof so, .backends = o->backends, .no_input_grads = 1};
  if (nnd_session_new(m, &so, &s, err, sizeof err) != 0) {
    rc = fail(o, "session", err);
    goto done;
  }
  int batch = setting_int(m, "batch", 32);
  int64_t features = nnd_dataset_features(train);
  int max_batch = batch > o->infer_batch ? batch : o->infer_batch;
  x = malloc((size_t)max_batch * (size_t)features * sizeof *x);
  y = malloc((size_t)max_batch * sizeof *y);
  b.n = nnd_dataset_size(train);
  b.order = malloc((size_t)(b.n + 1) * sizeof *b.order);
  test_index = malloc((size_t)(nnd_dataset_size(infer_data) + 1) * sizeof *test_index);
  up = trainable_upstream(m);
  if (!x || !y || !b.order || !test_index || !up || find_layers(m, &ls) != 0) {
    rc = fail(o, "bench", "out of memory");
    goto done;
  }
  if (b.n < batch) {
    rc = fail(o, "data", "fewer training samples than one batch");
    goto done;
  }
  b.batch = batch;
  b.seed = (uint64_t)setting_int(m, "seed", 42);
  start_epoch(&b);

  if (nnd_session_set_batch(s, batch) != 0) {
    rc = fail(o, "set_batch", nnd_session_error(s));
    goto done;
  }
  flops tf = count_flops(m, &ls, up, s, batch);
  stepper t = {s, train, &bind, x, y, features, o->guard, 0};

  /* ---- training */
  for (int i = 0; i < o->warmup; i++) {
    int r = train_step(&t, &b);
    if (r != 0) {
      rc = fail(o, "warm-up step", r == -2 ? "loss or gradient not finite" : nnd_session_error(s));
      goto done;
    }
  }
  t.correct = 0;
  double loss_sum = 0;
  int steps = 0;
  double c0 = cpu_seconds(), t0 = now();
  while (steps < o->steps && !(o->max_seconds > 0 && now() - t0 >= o->max_seconds)) {
    int r = train_step(&t, &b);
    if (r != 0) {
      rc = fail(o, "training step", r == -2 ? "loss or gradient not finite" : nnd_session_error(s));
      goto done;
    }
    loss_sum += nnd_session_loss(s);
    steps++;
  }
  double train_s = now() - t0, train_cpu = cpu_seconds() - c0;
  double train_sps = (double)steps * batch / train_s;
  if (o->profile && profile_steps(o, &t, &b, o->profile) != 0) {
    rc = fail(o, "profile", nnd_session_error(s));
    goto done;
  }

  /* ---- inference: the test set in order, as nnd_evaluate reads it */
  int64_t n_infer = nnd_dataset_size(infer_data);
  for (int64_t i = 0; i < n_infer; i++) test_index[i] = i;
  int ib = o->infer_batch;
  if (n_infer < ib) {
    rc = fail(o, "inference", "fewer test samples than one inference batch");
    goto done;
  }
  if (nnd_session_set_batch(s, ib) != 0) {
    rc = fail(o, "set_batch", nnd_session_error(s));
    goto done;
  }
  flops inf = count_flops(m, &ls, up, NULL, ib);
  stepper it = {s, infer_data, &bind, x, y, features, 0, 0};
  int64_t full = n_infer / ib; /* full batches in the test set; cycle through them */
  int64_t correct = 0;
  int infer_batches = 0;
  for (int i = 0; i < o->infer_warmup; i++)
    if (feed(&it, test_index + (i % full) * ib, ib) != 0 || nnd_session_forward(s, 0) != 0) {
      rc = fail(o, "inference", nnd_session_error(s));
      goto done;
    }
  double ic0 = cpu_seconds(), it0 = now();
  while (infer_batches < o->infer_batches &&
         !(o->max_seconds > 0 && now() - it0 >= o->max_seconds)) {
    const int64_t *idx = test_index + (infer_batches % full) * ib;
    if (feed(&it, idx, ib) != 0 || nnd_session_forward(s, 0) != 0) {
      rc = fail(o, "inference", nnd_session_error(s));
      goto done;
    }
    correct += count_correct(s, bind.prediction, y, ib);
    infer_batches++;
  }
  double infer_s = now() - it0, infer_cpu = cpu_seconds() - ic0;
  double infer_sps = (double)infer_batches * ib / infer_s;

  /* ---- batch-1 latency: one sample through the C API, as an embedding
     program runs it (set the input, forward, read the output) */
  double lat_best = 0, lat_median = 0;
  int lat_n = 0;
  if (o->latency > 0) {
    double *lat = malloc((size_t)o->latency * sizeof *lat);
    if (!lat || nnd_session_set_batch(s, 1) != 0) {
      free(lat);
      rc = fail(o, "latency", lat ? nnd_session_error(s) : "out of memory");
      goto done;
    }
    stepper lt = {s, infer_data, &bind, x, y, features, 0, 0};
    double l0 = now();
    for (int i = -10; i < o->latency; i++) { /* 10 untimed */
      int64_t idx = test_index[(i + 10) % n_infer];
      double a = now();
      nnd_tensor out;
      if (feed(&lt, &idx, 1) != 0 || nnd_session_forward(s, 0) != 0 ||
          (bind.prediction && nnd_session_value(s, bind.prediction, &out) != 0)) {
        free(lat);
        rc = fail(o, "latency", nnd_session_error(s));
        goto done;
      }
      if (i >= 0) lat[lat_n++] = now() - a;
      if (o->max_seconds > 0 && now() - l0 >= o->max_seconds && lat_n >= 1) break;
    }
    qsort(lat, (size_t)lat_n, sizeof *lat, cmp_double);
    lat_best = lat[0] * 1e6;
    lat_median = lat[lat_n / 2] * 1e6;
    free(lat);
  }
  double rss = peak_rss_mib();

  /* the backends that ran the counted layers, and the optimizer's */
  const char *opt_backend = NULL;
  const char *opt = nnd_session_optimizer(s, &opt_backend);
  double epoch_samples = (double)nnd_dataset_size(train);

  if (o->json) {
    printf("{\"kind\":\"train\",\"model\":");
    json_str(stdout, m->name);
    printf(",\"model_file\":");
    json_str(stdout, o->model_path);
    printf(",\"backends\":");
    json_str(stdout, o->backends ? o->backends : (getenv("NND_BACKEND") ? getenv("NND_BACKEND") : ""));
    printf(",\"omp_threads\":%d,\"openblas_threads\":%d", omp_threads(), openblas_threads());
    printf(",\"params\":%lld,\"batch\":%d,\"steps\":%d,\"steps_asked\":%d,\"warmup\":%d",
           (long long)nnd_model_param_count(m), batch, steps, o->steps, o->warmup);
    printf(",\"guard\":%s,\"max_seconds\":%g", o->guard ? "true" : "false", o->max_seconds);
    printf(",\"train_seconds\":%.6f,\"train_cpu_seconds\":%.6f,\"train_samples_per_s\":%.3f",
           train_s, train_cpu, train_sps);
    printf(",\"step_ms\":%.4f,\"epoch_samples\":%.0f,\"epoch_seconds\":%.3f",
           train_s / steps * 1e3, epoch_samples, epoch_samples / train_sps);
    printf(",\"train_flop_per_sample\":%.0f,\"train_flop_executed_per_sample\":%.0f", tf.train,
           tf.train_executed);
    printf(",\"train_gflops\":%.4f,\"train_gflops_executed\":%.4f", tf.train * train_sps * 1e-9,
           tf.train_executed * train_sps * 1e-9);
    printf(",\"mean_loss\":%.6f", loss_sum / steps);
    if (o->guard) printf(",\"train_accuracy\":%.4f", (double)t.correct / ((double)steps * batch));
    printf(",\"infer_batch\":%d,\"infer_batches\":%d,\"infer_batches_asked\":%d", ib,
           infer_batches, o->infer_batches);
    printf(",\"infer_seconds\":%.6f", infer_s);
    printf(",\"infer_cpu_seconds\":%.6f,\"infer_samples_per_s\":%.3f", infer_cpu, infer_sps);
    printf(",\"infer_flop_per_sample\":%.0f,\"infer_gflops\":%.4f", inf.fwd,
           inf.fwd * infer_sps * 1e-9);
    printf(",\"infer_accuracy\":%.4f", (double)correct / ((double)infer_batches * ib));
    if (lat_n > 0)
      printf(",\"latency_samples\":%d,\"latency_best_us\":%.2f,\"latency_median_us\":%.2f",
             lat_n, lat_best, lat_median);
    printf(",\"peak_rss_mib\":%.2f,\"kernels\":{", rss);
    for (int i = 0; i < ls.n; i++) {
      const char *be = nnd_session_backend(s, ls.l[i].name);
      if (i) putchar(',');
      json_str(stdout, ls.l[i].name);
      putchar(':');
      json_str(stdout, be ? be : "?");
    }
    printf("},\"optimizer\":");
    json_str(stdout, opt ? opt : "");
    printf(",\"optimizer_backend\":");
    json_str(stdout, opt_backend ? opt_backend : "");
    printf("}\n");
  } else {
    printf("%s (%s), backends %s, %d OpenMP thread(s)\n", m->name, o->model_path,
           o->backends ? o->backends : "(default)", omp_threads());
    printf("counted layers (2 FLOPs per multiply-add):\n");
    for (int i = 0; i < ls.n; i++) {
      const char *be = nnd_session_backend(s, ls.l[i].name);
      printf("  %-24s %-7s %10.3f MFLOP/sample forward  on %s\n", ls.l[i].name, ls.l[i].op,
             2 * ls.l[i].macs * 1e-6 / (ls.l[i].per_batch ? batch : 1), be ? be : "?");
    }
    printf("optimizer %s on %s\n", opt ? opt : "-", opt_backend ? opt_backend : "-");
    printf("training   batch %d, %d steps after %d warm-up%s%s\n", batch, steps, o->warmup,
           o->guard ? ", with the NaN guard" : "",
           steps < o->steps ? " (cut short by --max-seconds)" : "");
    printf("  %.1f samples/s, %.3f ms/step, %.1f s per %.0f-sample epoch\n", train_sps,
           train_s / steps * 1e3, epoch_samples / train_sps, epoch_samples);
    printf("  %.2f GFLOP/s (%.3f MFLOP/sample needed; %.3f executed: %.2f GFLOP/s)\n",
           tf.train * train_sps * 1e-9, tf.train * 1e-6, tf.train_executed * 1e-6,
           tf.train_executed * train_sps * 1e-9);
    printf("  CPU %.2f s for %.2f s wall (%.2f cores busy), mean loss %.4f\n", train_cpu,
           train_s, train_cpu / train_s, loss_sum / steps);
    printf("inference  batch %d, %d batches%s\n", ib, infer_batches,
           infer_batches < o->infer_batches ? " (cut short by --max-seconds)" : "");
    printf("  %.1f samples/s, %.2f GFLOP/s, accuracy %.4f, %.2f cores busy\n", infer_sps,
           inf.fwd * infer_sps * 1e-9, (double)correct / ((double)infer_batches * ib),
           infer_cpu / infer_s);
    if (lat_n > 0)
      printf("batch-1 latency (%d samples): best %.1f us, median %.1f us\n", lat_n, lat_best,
             lat_median);
    printf("peak RSS %.1f MiB\n", rss);
  }
  rc = 0;

done:
  nnd_session_free(s);
  nnd_dataset_free(train);
  nnd_dataset_free(test);
  free(ls.l);
  free(up);
  free(b.order);
  free(x);
  free(y);
  free(test_index);
  nnd_model_free(m);
  return rc;
}

int main(int argc, char **argv) {
  options o = {.steps = 100, .warmup = 5, .infer_batch = 256, .infer_batches = 20,
               .infer_warmup = 2};
  int sgemm = 0, threads = 0, epoch = 0, epochs = 0;
  double step_ms = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    int bad = 0;
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      usage(stdout);
      return 0;
    } else if (strcmp(a, "--json") == 0) {
      o.json = 1;
    } else if (strcmp(a, "--guard") == 0) {
      o.guard = 1;
    } else if (strcmp(a, "--profile") == 0) {
      if (parse_int(a, argv[++i], 1, &o.profile) != 0) return 2;
    } else if (strcmp(a, "--epoch") == 0) {
      epoch = 1;
    } else if (strcmp(a, "--epochs") == 0) {
      bad = parse_int(a, v, 1, &epochs), i++;
    } else if (strcmp(a, "--latency") == 0) {
      bad = parse_int(a, v, 1, &o.latency), i++;
    } else if (strcmp(a, "--step-ms") == 0) {
      char *end = NULL;
      step_ms = v ? strtod(v, &end) : -1;
      if (!v || *end || !(step_ms >= 0)) {
        fprintf(stderr, "nnd_bench: --step-ms takes a number of milliseconds >= 0\n");
        return 2;
      }
      i++;
    } else if (strcmp(a, "--sgemm-peak") == 0) {
      sgemm = 1;
    } else if (strcmp(a, "--backend") == 0 && v) {
      o.backends = v;
      i++;
    } else if (strcmp(a, "--plugin-dir") == 0 && v) {
      if (o.n_plugin_dirs == 16) {
        fprintf(stderr, "nnd_bench: at most 16 --plugin-dir\n");
        return 2;
      }
      o.plugin_dirs[o.n_plugin_dirs++] = v;
      i++;
    } else if (strcmp(a, "--steps") == 0) {
      bad = parse_int(a, v, 1, &o.steps), i++;
    } else if (strcmp(a, "--warmup") == 0) {
      bad = parse_int(a, v, 0, &o.warmup), i++;
    } else if (strcmp(a, "--infer-batch") == 0) {
      bad = parse_int(a, v, 1, &o.infer_batch), i++;
    } else if (strcmp(a, "--infer-batches") == 0) {
      bad = parse_int(a, v, 1, &o.infer_batches), i++;
    } else if (strcmp(a, "--infer-warmup") == 0) {
      bad = parse_int(a, v, 0, &o.infer_warmup), i++;
    } else if (strcmp(a, "--max-seconds") == 0) {
      char *end = NULL;
      o.max_seconds = v ? strtod(v, &end) : -1;
      if (!v || *end || !(o.max_seconds >= 0)) {
        fprintf(stderr, "nnd_bench: --max-seconds takes a number of seconds >= 0\n");
        return 2;
      }
      i++;
    } else if (strcmp(a, "--threads") == 0) {
      bad = parse_int(a, v, 1, &threads), i++;
    } else if (a[0] != '-' && !o.model_path) {
      o.model_path = a;
    } else {
      fprintf(stderr, "nnd_bench: unexpected argument '%s'\n", a);
      usage(stderr);
      return 2;
    }
    if (bad) return 2;
  }
  if (threads > 0) {
    /* This program is linked with OpenMP and OpenBLAS, which read their
       environment when the process starts, before main: setting it now only
       informs what we start later, so the pools are told directly too. */
    char n[16];
    snprintf(n, sizeof n, "%d", threads);
    setenv("OMP_NUM_THREADS", n, 1);
#ifdef _OPENMP
    omp_set_num_threads(threads);
#endif
    if (sgemm) {
      setenv("OPENBLAS_NUM_THREADS", n, 1);
#if defined(NND_BENCH_HAVE_BLAS) && defined(NND_HAVE_OPENBLAS_THREADS)
      openblas_set_num_threads(threads);
#endif
    }
  }
  if (sgemm) return sgemm_peak(o.json);
  if (!o.model_path) {
    usage(stderr);
    return 2;
  }
  if (epoch) {
    load_plugins(&o);
    nnd_bench_epoch_options eo = {o.model_path, o.backends, epochs, step_ms, o.json};
    return nnd_bench_epoch(&eo);
  }
  return bench(&o);
}
