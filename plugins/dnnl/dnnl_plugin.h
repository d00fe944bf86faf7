/* dnnl_plugin.h — internal to the dnnl plugin: oneDNN (libdnnl 2.x) running
 * nnd's convolutions, dense layers, pooling and pointwise activations.
 *
 * Tensors stay in nnd's plain layouts (NCHW, weight [F, C, kh, kw], dense
 * weight [out, in]); oneDNN is given exactly those layouts, so no reorder is
 * ever needed and a node's neighbours may run on any backend.
 *
 * Primitives are built once per (op, shapes, attributes, training, threads)
 * and kept in a small process-wide cache (cache.c), with the memory objects
 * of their arguments: a step re-points those at its tensors and executes,
 * creating nothing (what oneDNN's execute allocates inside itself is
 * beyond the C API's reach). Scratch memory comes from the node's workspace
 * (oneDNN's user scratchpad mode), never from oneDNN's own allocator.
 *
 * oneDNN's backward primitives write their gradients; nnd's contract is that
 * a backward ADDS into the gradient buffers, except into those it writes
 * first (ABI 1.3's grad_assign, which every dnnl kernel honours). oneDNN
 * writes the latter directly, and the others into the workspace, then
 * added (add_into): one extra pass over a gradient that several nodes
 * share. */
#ifndef NND_DNNL_PLUGIN_H
#define NND_DNNL_PLUGIN_H

#include <dnnl.h>
#include <stddef.h>
#include <stdint.h>

#include <nnd/plugin.h>

#include "kernel_geometry.h"

#define NND_DNNL_KEY 24  /* int64 words describing one node's primitives */
#define NND_DNNL_MAX_PRIMS 3
#define NND_DNNL_MAX_ARGS 8

/* The primitives of one node shape: [0] forward, [1] backward data (or the
 * one backward of pooling and eltwise), [2] backward weights. */
typedef struct {
  int64_t key[NND_DNNL_KEY];
  dnnl_primitive_t prim[NND_DNNL_MAX_PRIMS];
  size_t scratch;       /* the largest user scratchpad of the primitives */
  size_t ws_bytes;      /* maxpool: the forward's workspace (argmax) */
  dnnl_memory_desc_t ws_md;
  size_t tmp_floats;    /* room for gradients before they are added */
  /* The memory objects of each primitive's arguments, made on the first
     call and re-pointed (dnnl_memory_set_data_handle) on every later one,
     so a step creates none. Used by one call at a time: `busy` is taken in
     nnd_dnnl_begin; a call that finds it taken (two sessions running one
     shape on two threads) wraps its tensors in new objects instead. */
  dnnl_memory_t mem[NND_DNNL_MAX_PRIMS][NND_DNNL_MAX_ARGS];
  int mem_what[NND_DNNL_MAX_PRIMS][NND_DNNL_MAX_ARGS];
  int busy;
} nnd_dnnl_entry;

/* Builds e->prim and the sizes from e->key and the node; returns -1 with
 * the message set when oneDNN has no implementation for it. */
typedef int (*nnd_dnnl_build_fn)(const nnd_kernel_ctx *ctx, nnd_dnnl_entry *e);

/* cache.c: the entry for key (key[0] names the op, the caller fills the
 * rest), built on first use. *owned is set when the cache was full and the
 * caller must release the entry after use (nnd_dnnl_release). */
nnd_dnnl_entry *nnd_dnnl_lookup(const nnd_kernel_ctx *ctx, const int64_t *key,
                                nnd_dnnl_build_fn build, int *owned);
void nnd_dnnl_release(nnd_dnnl_entry *e);

/* cache.c: the CPU engine (created once), and this thread's stream. */
dnnl_engine_t nnd_dnnl_engine(void);
dnnl_stream_t nnd_dnnl_stream(void);

/* cache.c: a primitive of pd's kind with the user scratchpad; its scratch
 * size goes into e->scratch. Destroys pd. */
int nnd_dnnl_make(const nnd_kernel_ctx *ctx, dnnl_primitive_desc_t pd, nnd_dnnl_entry *e,
                  int slot);
/* a descriptor of op_desc with the user scratchpad mode, or NULL (message set) */
dnnl_primitive_desc_t nnd_dnnl_pd(const nnd_kernel_ctx *ctx, const void *op_desc,
                                  const_dnnl_primitive_desc_t hint);

/* A plain f32 memory descriptor of n dims with tag. */
dnnl_memory_desc_t nnd_dnnl_md(int n, const int64_t *dims, dnnl_format_tag_t tag);

/* Running a primitive: up to 8 arguments over caller-owned pointers.
 * mem/what: the entry's memory objects for this primitive (NULL: the call
 * could not take the entry, and each argument gets a new object, destroyed
 * after the run). */
typedef struct {
  int n;
  dnnl_exec_arg_t arg[NND_DNNL_MAX_ARGS];
  dnnl_memory_t *mem;
  int *what;
} nnd_dnnl_args;
struct nnd_dnnl_call;
/* a's arguments for primitive `slot` of the call's entry */
void nnd_dnnl_args_init(nnd_dnnl_args *a, const struct nnd_dnnl_call *c, int slot);
/* releases a's arguments (the new objects; the entry keeps its own) */
void nnd_dnnl_args_done(nnd_dnnl_args *a);
int nnd_dnnl_arg(const nnd_kernel_ctx *ctx, nnd_dnnl_args *a, int what,
                 const dnnl_memory_desc_t *md, const void *data);
/* oneDNN's scratchpad of e, at byte `offset` of the workspace (none when
 * the primitives need none) */
int nnd_dnnl_scratch_arg(const nnd_kernel_ctx *ctx, const nnd_dnnl_entry *e, nnd_dnnl_args *a,
                         size_t offset);
int nnd_dnnl_run(const nnd_kernel_ctx *ctx, dnnl_primitive_t p, nnd_dnnl_args *a);

/* The thread count a kernel runs with: OpenMP's, lowered until the node's
 * workspace (sized by the host at its own thread count) holds what the
 * primitives need, since oneDNN sizes scratch memory per thread. Sets the
 * OpenMP threads for the call; nnd_dnnl_threads_done restores them. */
typedef struct nnd_dnnl_call {
  nnd_dnnl_entry *e;
  int owned, saved_threads;
  int holds;  /* took e->busy: may use e's memory objects */
} nnd_dnnl_call;
int nnd_dnnl_begin(const nnd_kernel_ctx *ctx, const int64_t *key, nnd_dnnl_build_fn build,
                   size_t (*need)(const nnd_dnnl_entry *e), nnd_dnnl_call *c);
void nnd_dnnl_end(nnd_dnnl_call *c);
/* the threads the entry is being built for (part of every key) */
int nnd_dnnl_threads(void);

/* The backward primitives of a layer y = x (*) w + b: backward data in slot 1
 * and backward weights in slot 2 of e, from their op descriptors, with the
 * forward's fpd as the hint. fpd stays the caller's (slot 0 is made from it)
 * but is destroyed on failure, so a caller just returns -1. */
int nnd_dnnl_make_layer_backward(const nnd_kernel_ctx *ctx, nnd_dnnl_entry *e,
                                 const void *data_desc, const void *weights_desc,
                                 dnnl_primitive_desc_t fpd);

/* The backward of a layer y = x (*) w + b (convolution, inner product), whose
 * entry's prim[1] computes dx and prim[2] dw and db: each straight into the
 * gradient where this kernel is its first writer (nnd_grad_assigns), else
 * into the temporaries tdx, tdw, tdb (workspace), then added into the
 * gradients the host gave. md: the layer's src, wei, bias and dst
 * descriptors. */
typedef struct {
  const dnnl_memory_desc_t *src, *wei, *bias, *dst;
} nnd_dnnl_layer_mds;
int nnd_dnnl_layer_backward(const nnd_kernel_ctx *ctx, const nnd_dnnl_call *c,
                            const nnd_dnnl_layer_mds *md, int has_bias, float *tdx, float *tdw,
                            float *tdb);

/* dst[i] += src[i] over the OpenMP threads */
void nnd_dnnl_add_into(float *dst, const float *src, int64_t n);

/* oneDNN's backward primitives write their gradients, and nnd's backward
 * adds unless told it writes first. Where oneDNN writes input i's
 * gradient: the gradient itself when this kernel stores it, else tmp;
 * nnd_dnnl_grad_in then adds tmp in, or does nothing. */
float *nnd_dnnl_grad_out(const nnd_kernel_ctx *ctx, int i, float *tmp);
void nnd_dnnl_grad_in(const nnd_kernel_ctx *ctx, int i, const float *tmp);

/* 64-byte aligned offsets into the workspace */
static inline size_t nnd_dnnl_round(size_t bytes) { return (bytes + 63) / 64 * 64; }

/* conv.c, dense.c, pool.c, eltwise.c */
int nnd_dnnl_conv1d_forward(const nnd_kernel_ctx *ctx);
int nnd_dnnl_conv1d_backward(const nnd_kernel_ctx *ctx);
size_t nnd_dnnl_conv1d_workspace(const nnd_kernel_ctx *ctx);
int nnd_dnnl_conv1d_supports(const nnd_kernel_ctx *ctx);
int nnd_dnnl_conv2d_forward(const nnd_kernel_ctx *ctx);
int nnd_dnnl_conv2d_backward(const nnd_kernel_ctx *ctx);
size_t nnd_dnnl_conv2d_workspace(const nnd_kernel_ctx *ctx);
int nnd_dnnl_conv2d_supports(const nnd_kernel_ctx *ctx);
int nnd_dnnl_dense_forward(const nnd_kernel_ctx *ctx);
int nnd_dnnl_dense_backward(const nnd_kernel_ctx *ctx);
size_t nnd_dnnl_dense_workspace(const nnd_kernel_ctx *ctx);
int nnd_dnnl_dense_supports(const nnd_kernel_ctx *ctx);
int nnd_dnnl_pool_forward(const nnd_kernel_ctx *ctx);
int nnd_dnnl_pool_backward(const nnd_kernel_ctx *ctx);
size_t nnd_dnnl_pool_workspace(const nnd_kernel_ctx *ctx);
int nnd_dnnl_pool_supports(const nnd_kernel_ctx *ctx);
int nnd_dnnl_eltwise_forward(const nnd_kernel_ctx *ctx);
int nnd_dnnl_eltwise_backward(const nnd_kernel_ctx *ctx);
size_t nnd_dnnl_eltwise_workspace(const nnd_kernel_ctx *ctx);
int nnd_dnnl_eltwise_supports(const nnd_kernel_ctx *ctx);

#endif
