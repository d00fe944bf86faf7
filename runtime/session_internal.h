/* session_internal.h — the layout of a session, for the runtime files that
 * work on one (session.c runs it, node_check.c checks its kernels). */
#ifndef NND_SESSION_INTERNAL_H
#define NND_SESSION_INTERNAL_H

#include <nnd/nnd.h>

#include "ir.h"

/* Measured kernel choice (kernel_choice.c): per node, the candidates timed
 * at each of the last few batch sizes and the one chosen. */
#define NND_CHOICE_MAX 8
#define NND_CHOICE_BATCHES 4
#define NND_CHOICE_MAX_INPUTS 8
typedef struct {
  int batch, n, chosen, backward; /* backward: the timings include one */
  const nnd_kernel *kernel[NND_CHOICE_MAX];
  double seconds[NND_CHOICE_MAX]; /* per forward (+ backward); INFINITY: failed */
} nnd_choice_entry;
typedef struct {
  nnd_choice_entry entry[NND_CHOICE_BATCHES];
  int n, next;
} nnd_node_choice;

/* Where the time of a step goes: seconds in each node's kernels, summed
 * over the calls since profiling began. */
typedef struct {
  double forward, backward;
  int64_t forward_calls, backward_calls;
} nnd_node_profile;

struct nnd_session {
  const nnd_model *m;
  int batch;
  const nnd_kernel **kernel;  /* per node; NULL for non-ops */
  const char **backend;
  nnd_tensor *val, *grad;     /* per node; grad data NULL where none flows */
  nnd_tensor **in_val, **in_grad; /* per op node, its inputs' tensors */
  int *needs_grad;            /* on a path to a loss */
  char *grad_written;         /* per node: written in the current backward */
  void **ws;                  /* per node, into ws_block */
  size_t *ws_size;
  char *ws_block;
  float *params, *param_grads, *frozen, *fixed, *fixed_grads, *batch_block;
  int64_t block_floats;       /* batch_block's capacity: a smaller batch reuses it */
  size_t ws_capacity;         /* ws_block's bytes, likewise */
  int64_t n_params;
  float *opt_state;
  const nnd_optimizer *opt;
  const nnd_value *opt_call;
  double default_lr;
  int64_t steps;
  uint64_t seed;
  double total;
  double *loss_values;
  int64_t first_sample;       /* of the batch in the global batch (train_dist) */
  const char *pref[16];       /* the backend preference list, naive last */
  int n_pref;
  nnd_node_choice *choice;    /* per node; NULL when the choice is fixed */
  nnd_node_profile *profile;  /* per node; NULL unless profiling (session_profile.c) */
  double profile_zero, profile_step; /* seconds: gradient zeroing, optimizer */
  char error[1024];
};

/* The kernel context of op node `id` over the session's own buffers. */
nnd_kernel_ctx nnd_session_node_ctx(nnd_session *s, int id, int training);

/* The floats of the batch block for `batch`: every batched value, and its
 * gradient where backward computes one. */
int nnd_session_batch_floats(const nnd_model *m, const int *needs_grad, int batch,
                             int64_t *floats, char *msg, size_t msg_n);

#endif
