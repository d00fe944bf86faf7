/* run_state.h — a training run's position, as a checkpoint's metadata
 * records it for `--resume`: typed, and checked against the model and its
 * data before anything of it is used. The metadata is text; every value is
 * parsed strictly (no junk, no overflow, finite numbers), must lie in range
 * (epoch within the epochs, next batch within an epoch's batches, steps >= 0,
 * correct <= seen), and the values must agree with each other (the steps
 * are the batches done before the position; seen is the samples of the
 * batches done this epoch). A run must resume with the batch size, the
 * validation split and the number of training samples it was saved with,
 * or the position in the epoch would mean other samples. */
#ifndef NND_RUN_STATE_H
#define NND_RUN_STATE_H

#include <stddef.h>
#include <stdint.h>

struct nnd_checkpoint;

typedef struct {
  int epoch;             /* epochs completed: 0 to epochs */
  int64_t next_batch;    /* batch of this epoch to train next: 0 to batches - 1 */
  int64_t steps;         /* optimizer steps taken */
  double loss_sum;       /* this epoch: loss times samples */
  int64_t correct, seen; /* this epoch: samples classified right, samples */
} nnd_run_state;

/* What the current run is; a saved state must fit it. */
typedef struct {
  const char *model;     /* the model's name */
  uint64_t seed;
  int epochs;
  int batch;
  double validation;     /* the fraction held out */
  int64_t train_samples; /* samples trained on per epoch */
} nnd_run_shape;

#define NND_RUN_META_MAX 11

/* Fill keys/values (NND_RUN_META_MAX each, the values in `text`) with the
 * metadata of state s of run r; returns the count. */
int nnd_run_state_meta(const nnd_run_state *s, const nnd_run_shape *r,
                       char text[NND_RUN_META_MAX][40], const char **keys, const char **values);

/* Read and check the run state of checkpoint c (read from `path`) against
 * run r. Errors name the file and the key; a file without a run state, or
 * one whose checksum does not cover its metadata (earlier nnd versions), is
 * refused with a pointer to --weights. */
int nnd_run_state_read(const struct nnd_checkpoint *c, const char *path, const nnd_run_shape *r,
                       nnd_run_state *out, char *err, size_t err_size);

/* Batches of an epoch of n samples. */
int64_t nnd_run_batches(int64_t n, int batch);

#endif
