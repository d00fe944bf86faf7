/* kernel_choice.c — the kernel of each node measured, not assumed.
 *
 * Which backend computes a node fastest depends on the machine and on the
 * node's shapes: blas and openmp trade places on the same convolution
 * between machines, and oneDNN wins some shapes and loses others. So when
 * the user did not pin a backend (--backend, NND_BACKEND), every backend in
 * the default list that has a kernel for a node and supports it is timed on
 * the node's real shapes (the session's own buffers and batch; a forward,
 * and a backward where training computes one at that batch: see "Forward
 * only" below) for a few interleaved rounds,
 * and the fastest one runs the node (one within 5% of the fastest that comes
 * earlier in the preference list wins the tie, so near ties do not flip
 * from run to run). The naive reference is timed only when nothing
 * else has the op. The result is kept per node and batch size, so changing
 * the batch back and forth (training, evaluation, a short last batch)
 * measures each size once.
 *
 * The choice can differ between runs and machines, and kernels of different
 * backends round float sums differently: a measured choice can change the
 * last digits of a result (within float rounding), never more; the
 * conformance tests hold every backend to naive's numbers. Pinning makes a
 * run reproducible to the bit: NND_KERNEL_CHOICE=fixed takes the first
 * backend of the preference list that has the kernel (the behaviour before
 * this file), as does any explicit --backend / NND_BACKEND list. The test
 * suite runs with NND_KERNEL_CHOICE=fixed.
 *
 * batchnorm is never timed (its forward updates running statistics that
 * belong to the model); nor is a node whose candidates are one.
 *
 * Forward only except at the training batch. The session cannot know
 * whether a backward will follow at a batch, but the model says at which
 * batch it trains (the train block's `batch`, 32 by default as in the
 * trainer): at that batch a node on a gradient path is timed forward and
 * backward; at any other (evaluation and inference batches, 256 in the
 * benchmark, 1 for latency, and the trainer's one short last batch of an
 * epoch) the forward alone, as evaluation runs it (not training, no
 * gradients). Timing a backward there would bring gradient-sized scratch
 * (an output gradient and input gradients at that batch, tens of MB for a
 * convolution at 256) and the backward part of the workspace into memory,
 * next to the session's blocks, for at most one step an epoch. A program
 * that does train at another batch still gets a valid choice, measured on
 * the forward. The entry records which it was (nnd_choice_entry's
 * backward). Scratch and the shared workspace are freed after each node. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "kernel_choice.h"
#include "plugin_loader.h"
#include "registry.h"

#define MIN_ITERS 3
#define MAX_ITERS 10
#define BUDGET_S 0.02   /* per candidate, after the warm-up call */
#define TIE 0.05        /* within 5% of the fastest counts as as fast */

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

int nnd_kernel_choice_mode(char *msg, size_t msg_n) {
  const char *v = getenv("NND_KERNEL_CHOICE");
  if (!v || !*v || strcmp(v, "measure") == 0) return 1;
  if (strcmp(v, "fixed") == 0) return 0;
  snprintf(msg, msg_n, "NND_KERNEL_CHOICE: `%s` is neither `measure` (time each backend's "
                       "kernel per node, the default) nor `fixed` (the preference order)", v);
  return -1;
}

/* Scratch for timing one node: its batched inputs and output, and (when a
 * backward is timed) zeroed gradients of the output and of each input that
 * takes one. The session's own block is left alone: set_batch measures
 * before it frees the old batch's block, so timing on the new block would
 * bring all of it into memory (every value of every node, 90 MB of
 * fashion_cnn at batch 256) while the old one is still held; scratch costs
 * one node's tensors at a time, freed before the next node. Inputs hold
 * zeros, as a freshly laid out block does; they are written (not left as
 * untouched pages that all read one shared zero page) so that the
 * kernels read real memory. Unbatched inputs (parameters) are the
 * session's own. */
typedef struct {
  float *gout, *gin[NND_CHOICE_MAX_INPUTS], *out, *in[NND_CHOICE_MAX_INPUTS];
  nnd_tensor gin_t[NND_CHOICE_MAX_INPUTS], gout_t, in_t[NND_CHOICE_MAX_INPUTS], out_t;
} scratch;

/* Scratch and the timing workspace are mapped from the system directly,
 * not taken from malloc: glibc raises its mmap threshold to the size of
 * the largest mapped block freed (up to 32 MB) and its trim threshold to
 * twice that, so after freeing a node's 25 MB of scratch the next blocks
 * came from the heap and up to 50 MB of freed heap stayed resident (58 MiB
 * of heap in nnd_bench's inference phase). A mapping's pages go back to
 * the system when it is unmapped. The length is kept just before the data
 * (a 64-byte header keeps the data aligned). */
#define MAP_HEADER 64

/* Under AddressSanitizer the blocks come from malloc after all, so that a
 * kernel writing past its tensor while being timed is caught. */
#if defined(__SANITIZE_ADDRESS__)
#define NND_CHOICE_MALLOC 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NND_CHOICE_MALLOC 1
#endif
#endif

#ifdef NND_CHOICE_MALLOC
static void *map_zeros(size_t bytes, int touch) {
  (void)touch;
  return calloc(1, bytes);
}

static void unmap(void *data) { free(data); }
#else
static void *map_zeros(size_t bytes, int touch) {
  size_t len;
  if (__builtin_add_overflow(bytes, (size_t)MAP_HEADER, &len)) return NULL;
  char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return NULL;
  memcpy(p, &len, sizeof len);
  if (touch) memset(p + MAP_HEADER, 0, bytes);
  return p + MAP_HEADER;
}

static void unmap(void *data) {
  if (!data) return;
  char *p = (char *)data - MAP_HEADER;
  size_t len;
  memcpy(&len, p, sizeof len);
  munmap(p, len);
}
#endif

static void scratch_free(scratch *sc, int n) {
  unmap(sc->gout);
  unmap(sc->out);
  for (int i = 0; i < n; i++) unmap(sc->gin[i]), unmap(sc->in[i]);
}

static float *zeros(int64_t numel, int touch) {
  return map_zeros(((size_t)numel + 1) * sizeof(float), touch);
}

static int scratch_make(nnd_session *s, int id, int backward, scratch *sc) {
  memset(sc, 0, sizeof *sc);
  const nnd_node *node = &s->m->nodes[id];
  int n = node->n_inputs, ok = 1;
  sc->out_t = s->val[id];
  if (node->type.batched) {
    sc->out = zeros(sc->out_t.numel, 0); /* written by the forward */
    sc->out_t.data = sc->out;
    ok = sc->out != NULL;
  }
  for (int i = 0; i < n && ok; i++) {
    sc->in_t[i] = s->in_val[id][i];
    if (!s->m->nodes[node->inputs[i]].type.batched) continue;
    sc->in[i] = zeros(sc->in_t[i].numel, 1);
    sc->in_t[i].data = sc->in[i];
    ok = sc->in[i] != NULL;
  }
  if (ok && backward) {
    sc->gout_t = sc->out_t;
    sc->gout = zeros(sc->gout_t.numel, 0);
    sc->gout_t.data = sc->gout;
    ok = sc->gout != NULL;
  }
  for (int i = 0; i < n && ok && backward; i++) {
    sc->gin_t[i] = sc->in_t[i];
    sc->gin_t[i].data = NULL;
    if (!s->in_grad[id][i].data) continue;
    sc->gin[i] = zeros(sc->gin_t[i].numel, 0);
    sc->gin_t[i].data = sc->gin[i];
    ok = sc->gin[i] != NULL;
  }
  if (!ok) scratch_free(sc, n);
  return ok ? 0 : -1;
}

/* One candidate being timed: its context over the scratch buffers and
 * its own workspace. */
/* The candidates share one workspace, as large as the largest needs: each
 * timed call is a whole forward (+ backward), so nothing a kernel keeps in
 * its workspace between the two passes is overwritten by another, and the
 * measuring costs one workspace of memory rather than one per candidate. */
typedef struct {
  const nnd_kernel *k;
  nnd_kernel_ctx c;
  char msg[512];
  size_t ws_size;
  int failed;
} timed;

/* Forward only: as evaluation runs it (not training), with no gradients. */
static void timed_start(nnd_session *s, int id, const nnd_kernel *k, scratch *sc, int backward,
                        timed *t) {
  memset(t, 0, sizeof *t);
  t->k = k;
  t->c = nnd_session_node_ctx(s, id, backward);
  t->c.message = t->msg;
  t->c.message_size = sizeof t->msg;
  t->c.inputs = sc->in_t;
  t->c.output = sc->out_t;
  t->ws_size = k->workspace ? k->workspace(&t->c) : 0;
  if (backward) {
    t->c.grad_output = &sc->gout_t;
    t->c.grad_inputs = sc->gin_t;
  }
}

/* One forward (+ backward) of t, in seconds; INFINITY once it has failed. */
static double timed_run(timed *t, int backward) {
  if (t->failed) return INFINITY;
  double t0 = now();
  if (t->k->forward(&t->c) != 0 || (backward && t->k->backward(&t->c) != 0)) {
    t->failed = 1;
    return INFINITY;
  }
  return now() - t0;
}

/* Seconds per forward (+ backward) of each candidate on node id: one
 * untimed call each (it builds what a kernel caches), then rounds in which
 * every candidate runs once, the best of each kept. Interleaved, so that a
 * burst of other work on the machine slows every candidate alike rather
 * than the one that happened to be running. INFINITY for a kernel that
 * fails. */
static int time_candidates(nnd_session *s, int id, const nnd_kernel *const *cand, int n,
                           scratch *sc, int backward, double *best) {
  /* a backward over no gradient buffers returns at once: it would time
     the forward alone and call it both */
  if (backward && !sc->gout) return -1;
  timed t[NND_CHOICE_MAX];
  size_t most = 0;
  for (int i = 0; i < n; i++) {
    timed_start(s, id, cand[i], sc, backward, &t[i]);
    if (t[i].ws_size > most) most = t[i].ws_size;
  }
  void *ws = most ? map_zeros(most, 0) : NULL;
  if (most && !ws) return -1;
  for (int i = 0; i < n; i++) {
    best[i] = INFINITY;
    t[i].c.workspace = t[i].ws_size ? ws : NULL;
    t[i].c.workspace_size = t[i].ws_size;
    timed_run(&t[i], backward); /* the warm-up */
  }
  double spent = 0;
  for (int it = 0; it < MAX_ITERS && !(it >= MIN_ITERS && spent >= n * BUDGET_S); it++)
    for (int i = 0; i < n; i++) {
      double x = timed_run(&t[i], backward);
      if (x < INFINITY) spent += x;
      if (x < best[i]) best[i] = x;
    }
  unmap(ws);
  return 0;
}

/* The candidates for node id: every backend of the list with a kernel
 * that supports the node, naive only when there is nothing else. */
static int candidates(nnd_session *s, int id, const nnd_kernel **out) {
  const nnd_node *n = &s->m->nodes[id];
  int count = 0;
  const nnd_kernel *naive = NULL;
  for (int b = 0; b < s->n_pref && count < NND_CHOICE_MAX; b++) {
    const nnd_kernel *k = nnd_registry_find_kernel(n->op->name, s->pref[b], NULL);
    if (!k) continue;
    if (k->supports) {
      nnd_kernel_ctx c = nnd_session_node_ctx(s, id, 1);
      char msg[512];
      c.message = msg;
      c.message_size = sizeof msg;
      if (!k->supports(&c)) continue;
    }
    if (strcmp(k->backend, "naive") == 0) naive = k;
    else out[count++] = k;
  }
  if (count == 0 && naive) out[count++] = naive;
  return count;
}

/* Whether a backward is timed at this batch (see the header comment). */
static int times_backward(const nnd_session *s, int id, int batch) {
  if (!s->needs_grad[id]) return 0;
  const nnd_setting *b = nnd_ir_setting(s->m, "batch");
  double train_batch = b ? nnd_num(&b->value, 32) : 32; /* the trainer's rule */
  return batch == train_batch;
}

static nnd_choice_entry *cached(nnd_session *s, int id, int batch) {
  nnd_node_choice *nc = &s->choice[id];
  for (int i = 0; i < nc->n; i++)
    if (nc->entry[i].batch == batch) return &nc->entry[i];
  return NULL;
}

int nnd_kernel_choice_apply(nnd_session *s, int batch) {
  const nnd_model *m = s->m;
  for (int id = 0; id < m->n_nodes; id++) {
    const nnd_node *n = &m->nodes[id];
    if (n->kind != NND_NODE_OP || !s->kernel[id]) continue;
    if (strcmp(n->op->name, "batchnorm") == 0 ||
        n->n_inputs > NND_CHOICE_MAX_INPUTS)
      continue;
    nnd_choice_entry *e = cached(s, id, batch);
    if (!e) {
      const nnd_kernel *cand[NND_CHOICE_MAX];
      int nc = candidates(s, id, cand);
      if (nc < 2) continue;
      nnd_node_choice *ch = &s->choice[id];
      /* a ring of the last sizes: a program that sweeps many batch sizes
         measures again rather than keeping them all */
      e = &ch->entry[ch->next];
      ch->next = (ch->next + 1) % NND_CHOICE_BATCHES;
      if (ch->n < NND_CHOICE_BATCHES) ch->n++;
      memset(e, 0, sizeof *e);
      e->batch = batch;
      scratch sc;
      e->backward = times_backward(s, id, batch);
      if (scratch_make(s, id, e->backward, &sc) != 0) return -1;
      if (time_candidates(s, id, cand, nc, &sc, e->backward, e->seconds) != 0) {
        scratch_free(&sc, n->n_inputs);
        return -1;
      }
      int best = -1;
      for (int i = 0; i < nc; i++) {
        e->kernel[i] = cand[i];
        if (e->seconds[i] < INFINITY && (best < 0 || e->seconds[i] < e->seconds[best])) best = i;
      }
      /* a near tie goes to the earlier backend of the preference list: the
         choice then flips between runs only where it matters */
      for (int i = 0; best > 0 && i < best; i++)
        if (e->seconds[i] <= e->seconds[best] * (1 + TIE)) {
          best = i;
          break;
        }
      e->n = nc;
      e->chosen = best;
      scratch_free(&sc, n->n_inputs);
    }
    if (e->chosen >= 0) {
      s->kernel[id] = e->kernel[e->chosen];
      s->backend[id] = e->kernel[e->chosen]->backend;
    }
  }
  return 0;
}

int nnd_session_kernel_timing(const nnd_session *s, const char *name, int i,
                              const char **backend, double *ms) {
  const nnd_node *n = nnd_ir_find(s->m, name);
  if (!n || !s->choice) return 0;
  const nnd_node_choice *nc = &s->choice[n->id];
  for (int k = 0; k < nc->n; k++) {
    const nnd_choice_entry *e = &nc->entry[k];
    if (e->batch != s->batch) continue;
    if (i >= 0 && i < e->n) {
      if (backend) *backend = e->kernel[i]->backend;
      if (ms) *ms = e->seconds[i] * 1e3;
    }
    return e->n;
  }
  return 0;
}
