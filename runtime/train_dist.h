/* train_dist.h — what the training loop does differently when several
 * processes train one model (data parallelism over comm.h): the same model
 * everywhere, the same starting state everywhere, and each step's gradients
 * summed over the processes. The loop itself is in train.c. */
#ifndef NND_TRAIN_DIST_H
#define NND_TRAIN_DIST_H

#include <stddef.h>
#include <stdint.h>

#include "comm.h"
#include "data.h"
#include "ir.h"
#include "run_state.h"

struct nnd_session;

/* A 64-bit hash of what must be equal on every rank: the compiled model
 * with its settings (after --set), the parameter count and the data's shape
 * (samples, features). */
uint64_t nnd_dist_fingerprint(const nnd_model *m, int64_t n_params, const nnd_dataset *train,
                              const nnd_dataset *test);

/* Every rank compares its fingerprint with rank 0's. On a mismatch every
 * rank returns -1 with the same message (naming the first rank that
 * differs and its host), so none is left waiting. A failed collective is -2
 * (this rank alone: abort the job). */
int nnd_dist_check_same(nnd_comm *c, uint64_t fingerprint, char *err, size_t err_size);

/* Rank 0's parameters (trainable and frozen), optimizer state, step count
 * and run position copied to every rank: the ranks start from the same
 * state, fresh or resumed. */
int nnd_dist_share_state(nnd_comm *c, struct nnd_session *s, nnd_run_state *st, char *err,
                         size_t err_size);

/* The floats one step's allreduce carries after the gradients: loss sum,
 * correct count, stop flag, then one non-finite flag per rank. */
#define NND_DIST_LOSS 0
#define NND_DIST_CORRECT 1
#define NND_DIST_STOP 2
#define NND_DIST_BAD 3
static inline int64_t nnd_dist_extra(int n_ranks) { return NND_DIST_BAD + n_ranks; }

#endif
