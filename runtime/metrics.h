/* metrics.h — classification metrics from a confusion matrix: accuracy,
 * per-class precision, recall and F1, their macro averages, and balanced
 * accuracy (mean per-class recall), which accuracy hides on imbalanced
 * classes. */
#ifndef NND_METRICS_H
#define NND_METRICS_H

#include <stdint.h>

typedef struct {
  int classes;
  int64_t *counts;          /* counts[truth * classes + predicted] */
} nnd_confusion;

typedef struct {
  int classes;
  int64_t total;
  double accuracy;
  double balanced_accuracy; /* mean recall over classes with support */
  double macro_precision, macro_recall, macro_f1;
  double *precision, *recall, *f1;  /* per class; 0 when undefined (no predictions / support) */
  int64_t *support;         /* true samples per class */
} nnd_metrics;

/* -1 when out of memory or classes < 1. */
int nnd_confusion_init(nnd_confusion *c, int classes);
void nnd_confusion_free(nnd_confusion *c);
void nnd_confusion_add(nnd_confusion *c, int truth, int predicted);
void nnd_confusion_clear(nnd_confusion *c);

/* Fill m from c (arrays allocated here; nnd_metrics_free releases them).
 * Macro averages run over the classes that have support, as scikit-learn
 * does for recall; precision of a class never predicted is 0. */
int nnd_metrics_compute(const nnd_confusion *c, nnd_metrics *m);
void nnd_metrics_free(nnd_metrics *m);

#endif
