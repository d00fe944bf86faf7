/* prediction.c — see prediction.h. */
#include "prediction.h"

#include <math.h>
#include <string.h>

static nnd_pred_kind kind_of_loss(const char *op) {
  if (strcmp(op, "cross_entropy") == 0) return NND_PRED_SOFTMAX;
  if (strcmp(op, "nll") == 0) return NND_PRED_EXP;
  if (strcmp(op, "binary_cross_entropy") == 0) return NND_PRED_SIGMOID;
  return NND_PRED_IDENTITY;
}

int nnd_model_prediction(const nnd_model *m, const char *target, nnd_prediction *p) {
  memset(p, 0, sizeof *p);
  for (int i = 0; i < m->n_losses; i++) {
    const nnd_node *l = &m->nodes[m->losses[i].node];
    if (l->kind != NND_NODE_OP || l->n_data_inputs < 2) continue;
    const nnd_node *t = &m->nodes[l->inputs[1]];
    if (t->kind == NND_NODE_OP && strcmp(t->op->name, "one_hot") == 0 &&
        t->n_data_inputs == 1)
      t = &m->nodes[t->inputs[0]];
    if (target && strcmp(t->name, target) != 0) continue;
    p->node = m->nodes[l->inputs[0]].name;
    p->target = t->name;
    p->kind = kind_of_loss(l->op->name);
    return 0;
  }
  return -1;
}

int64_t nnd_pred_outputs(nnd_pred_kind kind, int64_t width) {
  return kind == NND_PRED_SIGMOID && width == 1 ? 2 : width;
}

static double sigmoid(double z) {
  /* either branch's exp is of a non-positive number: no overflow */
  return z >= 0 ? 1 / (1 + exp(-z)) : exp(z) / (1 + exp(z));
}

void nnd_pred_probabilities(nnd_pred_kind kind, const float *row, int64_t width, double *out) {
  switch (kind) {
  case NND_PRED_SOFTMAX: {
    double max = row[0], sum = 0;
    for (int64_t k = 1; k < width; k++) max = fmax(max, row[k]);
    for (int64_t k = 0; k < width; k++) sum += out[k] = exp(row[k] - max);
    for (int64_t k = 0; k < width; k++) out[k] /= sum;
    break;
  }
  case NND_PRED_EXP:
    for (int64_t k = 0; k < width; k++) out[k] = exp(row[k]);
    break;
  case NND_PRED_SIGMOID:
    if (width == 1) {
      out[1] = sigmoid(row[0]);
      out[0] = sigmoid(-(double)row[0]);
    } else {
      for (int64_t k = 0; k < width; k++) out[k] = sigmoid(row[k]);
    }
    break;
  case NND_PRED_IDENTITY:
    for (int64_t k = 0; k < width; k++) out[k] = row[k];
    break;
  }
}

int nnd_pred_class(nnd_pred_kind kind, const float *row, int64_t width) {
  if (width == 1) return kind == NND_PRED_IDENTITY ? row[0] > 0.5f : row[0] > 0;
  /* softmax, exp and sigmoid are monotonic: the largest value wins */
  int best = 0;
  for (int64_t k = 1; k < width; k++)
    if (row[k] > row[best]) best = (int)k;
  return best;
}

const char *nnd_pred_kind_name(nnd_pred_kind kind) {
  switch (kind) {
  case NND_PRED_SOFTMAX: return "softmax";
  case NND_PRED_EXP: return "exp";
  case NND_PRED_SIGMOID: return "sigmoid";
  case NND_PRED_IDENTITY: return "identity";
  }
  return "?";
}
