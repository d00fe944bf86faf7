/* prediction.h — which node of a model is its prediction, and how its
 * values become probabilities. One answer for train (accuracy), eval
 * (confusion matrix, report) and predict (printed probabilities).
 *
 * The prediction is the first input of the loss that compares it with the
 * target input; how to read it follows from that loss:
 *   cross_entropy         logits         softmax over the classes
 *   nll                   log-probs      exp
 *   binary_cross_entropy  one logit      sigmoid: P(1) = σ(z), P(0) = 1 - σ(z)
 *   mse                   values         identity (a regression: no probabilities)
 * A loss from a plugin that is none of these is read as identity. A target
 * made by one_hot(label) is the label itself: mse(sigmoid(z), one_hot(y))
 * predicts y's classes, read as identity (the largest value wins). */
#ifndef NND_PREDICTION_H
#define NND_PREDICTION_H

#include <stdint.h>

#include "ir.h"

typedef enum {
  NND_PRED_SOFTMAX,
  NND_PRED_EXP,
  NND_PRED_SIGMOID,
  NND_PRED_IDENTITY
} nnd_pred_kind;

typedef struct {
  const char *node;      /* the prediction node's name */
  const char *target;    /* the input the loss compares it with */
  nnd_pred_kind kind;
} nnd_prediction;

/* The prediction compared with `target` (an input's name), or with any
 * target when NULL (the first two-input loss). 0, or -1 when no loss
 * compares a prediction with it. */
int nnd_model_prediction(const nnd_model *m, const char *target, nnd_prediction *p);

/* Probabilities (or values, for identity) of one sample's `width` values:
 * nnd_pred_outputs(kind, width) of them into out. */
int64_t nnd_pred_outputs(nnd_pred_kind kind, int64_t width);
void nnd_pred_probabilities(nnd_pred_kind kind, const float *row, int64_t width, double *out);

/* The predicted class of one sample: the most probable class; for one value,
 * 1 when σ(z) > 0.5 (sigmoid) or the value > 0.5 (identity, a 0/1 target). */
int nnd_pred_class(nnd_pred_kind kind, const float *row, int64_t width);

const char *nnd_pred_kind_name(nnd_pred_kind kind);

#endif
