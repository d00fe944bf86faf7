/* train.h — the training loop: batches from a data source, forward,
 * backward, optimizer step with the learning-rate schedule, evaluation on
 * the test set after each epoch, checkpoints, exact resume, and a guard that
 * stops on the first NaN or infinity. Reports through callbacks; prints
 * nothing. */
#ifndef NND_TRAIN_H
#define NND_TRAIN_H

#include <nnd/nnd.h>
#include <stdint.h>

#include "data.h"
#include "ir.h"
#include "metrics.h"
#include "prediction.h"

typedef struct {
  int epoch, epochs;          /* 1-based epoch */
  int64_t step, steps;        /* within the epoch */
  int64_t samples;            /* seen this epoch */
  double loss;                /* running mean this epoch */
  double seconds;             /* this epoch so far */
} nnd_train_progress;

typedef struct {
  int epoch, epochs;
  double lr;
  double train_loss, train_accuracy;
  int has_test;               /* the test source */
  double test_loss, test_accuracy;
  int has_val;                /* the validation split held out of the data */
  double val_loss, val_accuracy;
  double seconds;
  /* with several ranks (nnd_train_on): the steps of this epoch, the floats
     each step's allreduce carried, and the seconds spent in those */
  int ranks;
  int64_t steps, comm_floats;
  double comm_seconds;
} nnd_epoch_stats;

typedef struct {
  const char *checkpoint;     /* saved after each epoch and when stopped; NULL: none */
  const char *resume;         /* a checkpoint to continue from; NULL: start fresh */
  void (*on_progress)(const nnd_train_progress *p, void *user);
  void (*on_epoch)(const nnd_epoch_stats *e, void *user);
  void *user;
  volatile int *stop;         /* set (by a signal handler) to save and return */
  double progress_interval;   /* seconds between progress reports; 0: every step */
  int overwrite;              /* may replace an existing file at `checkpoint` */
} nnd_train_options;

/* Which inputs the data feeds: the float input with the source's feature
 * count, and the class/binary (or single float) target. */
typedef struct {
  const char *features, *target;
  int classes;                /* of the target, 0 when it is not a class */
  const char *prediction;     /* the node the loss compares with the target */
  nnd_pred_kind prediction_kind;  /* how it becomes probabilities (prediction.h) */
} nnd_data_binding;

int nnd_train_bind(const nnd_model *m, const nnd_dataset *d, nnd_data_binding *b, char *err,
                   size_t err_size);

/* Train for the model's epochs. Returns 0 when done, 1 when stopped by
 * *stop (a checkpoint was saved), 2 when stopped before the first step
 * (nothing was written: the checkpoint path keeps what it held), -1 on an
 * error (a NaN names its epoch, step and tensor; the last good checkpoint
 * stays). With several ranks, -1 is an error every rank returns together
 * (a NaN on any rank, ranks that compiled different models), and -3 one of
 * this rank alone while the others may wait for it in a collective: the
 * caller must end the job (comm->abort). A stop on any rank stops all at
 * the same step. An existing checkpoint path is refused unless it is the file
 * resumed from or `overwrite` is set; a resumed run state is checked
 * against the model and the data first (run_state.h). */
int nnd_train(nnd_session *s, const nnd_model *m, const nnd_train_options *o, char *err,
              size_t err_size);

/* The same with several processes training one model (comm.h); NULL or one
 * rank: this process alone, as nnd_train. With several, the model's batch
 * is the global batch, split across the ranks; rank 0 alone reports
 * (on_progress, on_epoch) and writes the checkpoint, and every rank starts
 * from rank 0's state (fresh or resumed). */
struct nnd_comm;
int nnd_train_on(nnd_session *s, const nnd_model *m, const nnd_train_options *o,
                 struct nnd_comm *comm, char *err, size_t err_size);

/* Loss and accuracy of a data source in inference mode; with a confusion
 * matrix (classes == the binding's), it is filled too. */
int nnd_evaluate(nnd_session *s, const nnd_dataset *d, const nnd_data_binding *b,
                 double *loss, double *accuracy, nnd_confusion *confusion, char *err,
                 size_t err_size);

/* Learning rate of epoch (0-based) of `epochs` for a resolved schedule call
 * (constant, step, cosine; cosine gives lr at epoch 0 and min_lr at epoch
 * epochs - 1, exactly). */
double nnd_schedule_lr(const nnd_value *schedule, double base, int epoch, int epochs);

/* Session state for checkpoints (session_io.c). Saves every parameter by its
 * node name, the optimizer state and the given metadata. */
int nnd_session_save(nnd_session *s, const char *path, const char *const *keys,
                     const char *const *values, int n_meta, char *err, size_t err_size);
/* Loads parameters (names and shapes must match; the first mismatch is the
 * error) and, when `with_state`, the optimizer state; `meta` returns the
 * checkpoint (free with nnd_checkpoint_free) for its metadata, or NULL. */
struct nnd_checkpoint;
int nnd_session_load(nnd_session *s, const char *path, int with_state,
                     struct nnd_checkpoint **meta, char *err, size_t err_size);
/* The same from a checkpoint already loaded (from `path`, for messages).
 * Both refuse NaN or infinite weights, naming the tensor, and, with_state,
 * a file without the optimizer state the model's optimizer keeps. */
int nnd_session_load_checkpoint(nnd_session *s, const struct nnd_checkpoint *c,
                                const char *path, int with_state, char *err, size_t err_size);
int64_t nnd_session_steps(const nnd_session *s);
void nnd_session_set_steps(nnd_session *s, int64_t steps);

#endif
