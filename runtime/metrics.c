/* metrics.c — classification metrics from a confusion matrix (see metrics.h).
 *
 * Conventions, chosen once and tested:
 * - Labels outside [0, classes) are ignored by nnd_confusion_add: the
 *   matrix has no row or column for them, and the struct (the contract) has
 *   no field to count them in. Callers that can produce such labels should
 *   check before adding.
 * - Per-class values that divide by zero are 0: precision of a class never
 *   predicted, recall of a class with no support, F1 when p + r = 0.
 * - Macro precision, recall and F1 are means over the classes WITH support
 *   (true samples). A class that never occurs in the truth has no recall to
 *   speak of; averaging it in as 0 would punish a model for the makeup of
 *   the evaluation set. scikit-learn instead averages over every label
 *   present in y_true or y_pred, so the two differ exactly when a class is
 *   predicted but has no support (then scikit-learn counts its precision 0
 *   and F1 0 in the macro mean, and nnd leaves it out).
 * - Balanced accuracy is the mean recall over classes with support, as
 *   scikit-learn's balanced_accuracy_score computes it; it equals
 *   macro_recall here.
 * - An empty matrix gives all zeros (and status 0): there is nothing to be
 *   right about, and NaN would poison whatever averages the caller keeps. */
#include "metrics.h"

#include <stdlib.h>
#include <string.h>

int nnd_confusion_init(nnd_confusion *c, int classes) {
  if (!c) return -1;
  c->classes = 0;
  c->counts = NULL;
  /* classes * classes must fit in size_t (and int64 counts in memory) */
  if (classes < 1 || (size_t)classes > SIZE_MAX / sizeof(int64_t) / (size_t)classes) return -1;
  c->counts = calloc((size_t)classes * (size_t)classes, sizeof *c->counts);
  if (!c->counts) return -1;
  c->classes = classes;
  return 0;
}

void nnd_confusion_free(nnd_confusion *c) {
  if (!c) return;
  free(c->counts);
  c->counts = NULL;
  c->classes = 0;
}

void nnd_confusion_add(nnd_confusion *c, int truth, int predicted) {
  if (!c || !c->counts || truth < 0 || truth >= c->classes || predicted < 0 ||
      predicted >= c->classes)
    return; /* ignored: see the conventions at the top */
  c->counts[(size_t)truth * (size_t)c->classes + (size_t)predicted]++;
}

void nnd_confusion_clear(nnd_confusion *c) {
  if (c && c->counts)
    memset(c->counts, 0, (size_t)c->classes * (size_t)c->classes * sizeof *c->counts);
}

static double ratio(int64_t num, int64_t den) { return den > 0 ? (double)num / (double)den : 0.0; }

int nnd_metrics_compute(const nnd_confusion *c, nnd_metrics *m) {
  if (!m) return -1;
  memset(m, 0, sizeof *m); /* so that nnd_metrics_free is safe after a failure */
  if (!c || !c->counts || c->classes < 1) return -1;
  int k = c->classes;
  size_t nk = (size_t)k;
  m->precision = calloc(nk, sizeof *m->precision);
  m->recall = calloc(nk, sizeof *m->recall);
  m->f1 = calloc(nk, sizeof *m->f1);
  m->support = calloc(nk, sizeof *m->support);
  if (!m->precision || !m->recall || !m->f1 || !m->support) {
    nnd_metrics_free(m);
    return -1;
  }
  m->classes = k;
  int64_t trace = 0;
  int with_support = 0;
  for (int i = 0; i < k; i++) {
    int64_t tp = c->counts[(size_t)i * nk + (size_t)i], support = 0, predicted = 0;
    for (int j = 0; j < k; j++) {
      support += c->counts[(size_t)i * nk + (size_t)j];   /* row: truth i */
      predicted += c->counts[(size_t)j * nk + (size_t)i]; /* column: predicted i */
    }
    double p = ratio(tp, predicted), r = ratio(tp, support);
    m->precision[i] = p;
    m->recall[i] = r;
    m->f1[i] = p + r > 0 ? 2 * p * r / (p + r) : 0.0;
    m->support[i] = support;
    m->total += support;
    trace += tp;
    if (support > 0) {
      with_support++;
      m->macro_precision += p;
      m->macro_recall += r;
      m->macro_f1 += m->f1[i];
    }
  }
  m->accuracy = ratio(trace, m->total);
  if (with_support > 0) {
    m->macro_precision /= with_support;
    m->macro_recall /= with_support;
    m->macro_f1 /= with_support;
  }
  m->balanced_accuracy = m->macro_recall;
  return 0;
}

void nnd_metrics_free(nnd_metrics *m) {
  if (!m) return;
  free(m->precision);
  free(m->recall);
  free(m->f1);
  free(m->support);
  memset(m, 0, sizeof *m);
}
