/* cache.c — the dnnl plugin's engine, streams, primitive cache and the
 * helpers every kernel uses to run a primitive over nnd's tensors.
 *
 * The cache is process-wide because a primitive is a property of a shape,
 * not of a session: two sessions of one model share them, and a session
 * that changes its batch back and forth (training, then evaluation) finds
 * both sets built. Entries live until the process ends (oneDNN primitives
 * are a few KB each); past CACHE_MAX shapes a lookup builds a private entry
 * the caller releases, so an unusual program degrades to building per call
 * rather than growing without bound. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "dnnl_plugin.h"

#define CACHE_MAX 256

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static nnd_dnnl_entry *entries[CACHE_MAX];
static int n_entries;
static dnnl_engine_t engine;
static pthread_once_t engine_once = PTHREAD_ONCE_INIT;
static __thread dnnl_stream_t stream;

static void make_engine(void) {
  if (dnnl_engine_create(&engine, dnnl_cpu, 0) != dnnl_success) engine = NULL;
}

dnnl_engine_t nnd_dnnl_engine(void) {
  pthread_once(&engine_once, make_engine);
  return engine;
}

/* One stream per calling thread: a stream orders the work submitted to it,
 * and sessions on two threads must not wait for each other. */
dnnl_stream_t nnd_dnnl_stream(void) {
  if (!stream && nnd_dnnl_engine())
    if (dnnl_stream_create(&stream, nnd_dnnl_engine(), dnnl_stream_default_flags) !=
        dnnl_success)
      stream = NULL;
  return stream;
}

int nnd_dnnl_threads(void) {
#ifdef _OPENMP
  return omp_get_max_threads();
#else
  return 1;
#endif
}

dnnl_memory_desc_t nnd_dnnl_md(int n, const int64_t *dims, dnnl_format_tag_t tag) {
  dnnl_memory_desc_t md;
  dnnl_dims_t d;
  for (int i = 0; i < n; i++) d[i] = dims[i];
  if (dnnl_memory_desc_init_by_tag(&md, n, d, dnnl_f32, tag) != dnnl_success)
    memset(&md, 0, sizeof md);
  return md;
}

dnnl_primitive_desc_t nnd_dnnl_pd(const nnd_kernel_ctx *ctx, const void *op_desc,
                                  const_dnnl_primitive_desc_t hint) {
  dnnl_primitive_attr_t attr = NULL;
  dnnl_primitive_desc_t pd = NULL;
  if (!nnd_dnnl_engine() || dnnl_primitive_attr_create(&attr) != dnnl_success) {
    nnd_kernel_fail(ctx, "oneDNN: no CPU engine");
    return NULL;
  }
  dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user);
  dnnl_status_t st = dnnl_primitive_desc_create(&pd, op_desc, attr, nnd_dnnl_engine(), hint);
  dnnl_primitive_attr_destroy(attr);
  if (st != dnnl_success) {
    nnd_kernel_fail(ctx, "oneDNN has no implementation for this node (status %d)", (int)st);
    return NULL;
  }
  return pd;
}

int nnd_dnnl_make(const nnd_kernel_ctx *ctx, dnnl_primitive_desc_t pd, nnd_dnnl_entry *e,
                  int slot) {
  const dnnl_memory_desc_t *sp = dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0);
  size_t bytes = sp ? dnnl_memory_desc_get_size(sp) : 0;
  if (bytes > e->scratch) e->scratch = bytes;
  dnnl_status_t st = dnnl_primitive_create(&e->prim[slot], pd);
  dnnl_primitive_desc_destroy(pd);
  if (st != dnnl_success) {
    e->prim[slot] = NULL;
    return nnd_kernel_fail(ctx, "oneDNN could not create a primitive (status %d)", (int)st);
  }
  return 0;
}

int nnd_dnnl_make_layer_backward(const nnd_kernel_ctx *ctx, nnd_dnnl_entry *e,
                                 const void *data_desc, const void *weights_desc,
                                 dnnl_primitive_desc_t fpd) {
  dnnl_primitive_desc_t bpd = nnd_dnnl_pd(ctx, data_desc, fpd);
  dnnl_primitive_desc_t wpd = bpd ? nnd_dnnl_pd(ctx, weights_desc, fpd) : NULL;
  int rc = bpd && wpd ? 0 : -1;
  /* nnd_dnnl_make consumes its descriptor, failing or not */
  if (rc == 0) {
    rc = nnd_dnnl_make(ctx, bpd, e, 1);
    bpd = NULL;
  }
  if (rc == 0) {
    rc = nnd_dnnl_make(ctx, wpd, e, 2);
    wpd = NULL;
  }
  if (bpd) dnnl_primitive_desc_destroy(bpd);
  if (wpd) dnnl_primitive_desc_destroy(wpd);
  if (rc != 0) dnnl_primitive_desc_destroy(fpd);
  return rc;
}

static void destroy(nnd_dnnl_entry *e) {
  for (int i = 0; i < NND_DNNL_MAX_PRIMS; i++) {
    if (e->prim[i]) dnnl_primitive_destroy(e->prim[i]);
    for (int j = 0; j < NND_DNNL_MAX_ARGS; j++)
      if (e->mem[i][j]) dnnl_memory_destroy(e->mem[i][j]);
  }
  free(e);
}

void nnd_dnnl_release(nnd_dnnl_entry *e) { destroy(e); }

nnd_dnnl_entry *nnd_dnnl_lookup(const nnd_kernel_ctx *ctx, const int64_t *key,
                                nnd_dnnl_build_fn build, int *owned) {
  *owned = 0;
  pthread_mutex_lock(&lock);
  for (int i = 0; i < n_entries; i++)
    if (memcmp(entries[i]->key, key, sizeof entries[i]->key) == 0) {
      nnd_dnnl_entry *e = entries[i];
      pthread_mutex_unlock(&lock);
      return e;
    }
  /* built under the lock: two threads asking for one shape build it once */
  nnd_dnnl_entry *e = calloc(1, sizeof *e);
  if (!e) {
    pthread_mutex_unlock(&lock);
    nnd_kernel_fail(ctx, "out of memory");
    return NULL;
  }
  memcpy(e->key, key, sizeof e->key);
  if (build(ctx, e) != 0) {
    pthread_mutex_unlock(&lock);
    destroy(e);
    return NULL;
  }
  if (n_entries < CACHE_MAX) entries[n_entries++] = e;
  else *owned = 1;
  pthread_mutex_unlock(&lock);
  return e;
}

int nnd_dnnl_begin(const nnd_kernel_ctx *ctx, const int64_t *key_in, nnd_dnnl_build_fn build,
                   size_t (*need)(const nnd_dnnl_entry *e), nnd_dnnl_call *c) {
  int64_t key[NND_DNNL_KEY];
  memcpy(key, key_in, sizeof key);
  c->e = NULL;
  c->owned = 0;
  c->holds = 0;
  c->saved_threads = nnd_dnnl_threads();
  size_t have = ctx->workspace ? ctx->workspace_size : 0;
  for (int t = c->saved_threads; t >= 1; t--) {
#ifdef _OPENMP
    omp_set_num_threads(t);
#endif
    key[2] = t;
    c->e = nnd_dnnl_lookup(ctx, key, build, &c->owned);
    if (!c->e) break;
    size_t want = need(c->e);
    if (want <= have || (want == 0)) {
      c->holds = !__atomic_test_and_set(&c->e->busy, __ATOMIC_ACQUIRE);
      return 0;
    }
    if (c->owned) nnd_dnnl_release(c->e);
    c->e = NULL;
    if (t == 1) {
      nnd_kernel_fail(ctx, "workspace of %zu bytes, %zu needed", have, want);
      break;
    }
  }
  nnd_dnnl_end(c);
  return -1;
}

void nnd_dnnl_end(nnd_dnnl_call *c) {
  if (c->e && c->holds) __atomic_clear(&c->e->busy, __ATOMIC_RELEASE);
  if (c->e && c->owned) nnd_dnnl_release(c->e);
  c->e = NULL;
  c->holds = 0;
#ifdef _OPENMP
  omp_set_num_threads(c->saved_threads);
#endif
}

void nnd_dnnl_args_init(nnd_dnnl_args *a, const nnd_dnnl_call *c, int slot) {
  a->n = 0;
  a->mem = c->holds ? c->e->mem[slot] : NULL;
  a->what = c->holds ? c->e->mem_what[slot] : NULL;
}

void nnd_dnnl_args_done(nnd_dnnl_args *a) {
  if (!a->mem)
    for (int i = 0; i < a->n; i++) dnnl_memory_destroy(a->arg[i].memory);
  a->n = 0;
}

/* The handle is only written where the argument is an output; oneDNN takes
 * it as void * either way. A kept object is re-pointed: for nnd's plain
 * layouts that is a pointer store (no zero padding to redo). The same
 * argument comes at the same position on every call of a primitive (the
 * kernels list them in a fixed order for a key); `what` checks it, and a
 * mismatch replaces the object rather than run with the wrong one. */
int nnd_dnnl_arg(const nnd_kernel_ctx *ctx, nnd_dnnl_args *a, int what,
                 const dnnl_memory_desc_t *md, const void *data) {
  if (a->n == NND_DNNL_MAX_ARGS) return nnd_kernel_fail(ctx, "too many oneDNN arguments");
  dnnl_memory_t m = NULL;
  const dnnl_memory_desc_t *kept = NULL;
  if (a->mem && a->mem[a->n] && a->what[a->n] == what &&
      dnnl_memory_get_memory_desc(a->mem[a->n], &kept) == dnnl_success &&
      dnnl_memory_desc_equal(md, kept)) {
    m = a->mem[a->n];
    if (dnnl_memory_set_data_handle(m, (void *)data) != dnnl_success)
      return nnd_kernel_fail(ctx, "oneDNN could not point a tensor");
  } else {
    if (dnnl_memory_create(&m, md, nnd_dnnl_engine(), (void *)data) != dnnl_success)
      return nnd_kernel_fail(ctx, "oneDNN could not wrap a tensor");
    if (a->mem) {
      if (a->mem[a->n]) dnnl_memory_destroy(a->mem[a->n]);
      a->mem[a->n] = m;
      a->what[a->n] = what;
    }
  }
  a->arg[a->n].arg = what;
  a->arg[a->n].memory = m;
  a->n++;
  return 0;
}

int nnd_dnnl_scratch_arg(const nnd_kernel_ctx *ctx, const nnd_dnnl_entry *e, nnd_dnnl_args *a,
                         size_t offset) {
  if (!e->scratch) return 0;
  int64_t n = (int64_t)e->scratch;
  dnnl_memory_desc_t sp;
  dnnl_dims_t d = {n};
  if (dnnl_memory_desc_init_by_tag(&sp, 1, d, dnnl_u8, dnnl_a) != dnnl_success)
    return nnd_kernel_fail(ctx, "oneDNN: no scratchpad descriptor");
  return nnd_dnnl_arg(ctx, a, DNNL_ARG_SCRATCHPAD, &sp, (char *)ctx->workspace + offset);
}

int nnd_dnnl_run(const nnd_kernel_ctx *ctx, dnnl_primitive_t p, nnd_dnnl_args *a) {
  dnnl_stream_t s = nnd_dnnl_stream();
  dnnl_status_t st = s ? dnnl_primitive_execute(p, s, a->n, a->arg) : dnnl_runtime_error;
  if (st == dnnl_success) st = dnnl_stream_wait(s);
  nnd_dnnl_args_done(a);
  if (st != dnnl_success) return nnd_kernel_fail(ctx, "oneDNN failed (status %d)", (int)st);
  return 0;
}

void nnd_dnnl_add_into(float *dst, const float *src, int64_t n) {
  if (n >= (1 << 15) && nnd_dnnl_threads() > 1) {
#ifdef _OPENMP
#pragma omp parallel for schedule(static)
#endif
    for (int64_t i = 0; i < n; i++) dst[i] += src[i];
    return;
  }
  for (int64_t i = 0; i < n; i++) dst[i] += src[i];
}

float *nnd_dnnl_grad_out(const nnd_kernel_ctx *ctx, int i, float *tmp) {
  float *g = ctx->grad_inputs[i].data;
  return g && nnd_grad_assigns(ctx, i) ? g : tmp;
}

void nnd_dnnl_grad_in(const nnd_kernel_ctx *ctx, int i, const float *tmp) {
  float *g = ctx->grad_inputs[i].data;
  if (g && !nnd_grad_assigns(ctx, i)) nnd_dnnl_add_into(g, tmp, ctx->grad_inputs[i].numel);
}

int nnd_dnnl_layer_backward(const nnd_kernel_ctx *ctx, const nnd_dnnl_call *c,
                            const nnd_dnnl_layer_mds *md, int has_bias, float *tdx, float *tdw,
                            float *tdb) {
  float *dx = ctx->grad_inputs[0].data, *dw = ctx->grad_inputs[1].data;
  float *db = has_bias ? ctx->grad_inputs[2].data : NULL;
  const float *dy = ctx->grad_output->data;
  nnd_dnnl_args a;
  nnd_dnnl_args_init(&a, c, 1);
  int rc = 0;
  if (dx) {
    rc = nnd_dnnl_arg(ctx, &a, DNNL_ARG_DIFF_DST, md->dst, dy) ||
         nnd_dnnl_arg(ctx, &a, DNNL_ARG_WEIGHTS, md->wei, ctx->inputs[1].data) ||
         nnd_dnnl_arg(ctx, &a, DNNL_ARG_DIFF_SRC, md->src, nnd_dnnl_grad_out(ctx, 0, tdx)) ||
         nnd_dnnl_scratch_arg(ctx, c->e, &a, 0);
    if (!rc) rc = nnd_dnnl_run(ctx, c->e->prim[1], &a);
    if (!rc) nnd_dnnl_grad_in(ctx, 0, tdx);
  }
  if (!rc && (dw || db)) {
    nnd_dnnl_args_init(&a, c, 2);
    rc = nnd_dnnl_arg(ctx, &a, DNNL_ARG_SRC, md->src, ctx->inputs[0].data) ||
         nnd_dnnl_arg(ctx, &a, DNNL_ARG_DIFF_DST, md->dst, dy) ||
         nnd_dnnl_arg(ctx, &a, DNNL_ARG_DIFF_WEIGHTS, md->wei, nnd_dnnl_grad_out(ctx, 1, tdw)) ||
         (has_bias &&
          nnd_dnnl_arg(ctx, &a, DNNL_ARG_DIFF_BIAS, md->bias, nnd_dnnl_grad_out(ctx, 2, tdb))) ||
         nnd_dnnl_scratch_arg(ctx, c->e, &a, 0);
    if (!rc) rc = nnd_dnnl_run(ctx, c->e->prim[2], &a);
    if (!rc) nnd_dnnl_grad_in(ctx, 1, tdw);
    if (!rc && has_bias) nnd_dnnl_grad_in(ctx, 2, tdb);
  }
  nnd_dnnl_args_done(&a);
  return rc ? -1 : 0;
}
