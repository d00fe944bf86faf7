/* test_metrics.c — classification metrics against hand-computed numbers:
 * an imbalanced case where accuracy flatters the model and balanced
 * accuracy does not, a perfect classifier, a class never predicted, a class
 * never true (left out of the macro means, where scikit-learn would count
 * it), an empty matrix, and the labels nnd_confusion_add ignores. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "metrics.h"
#include "tests.h"

#define EPS 1e-12
#define NEAR(a, b) CU_ASSERT_DOUBLE_EQUAL((a), (b), EPS)

/* Add `n` samples of (truth, predicted). */
static void add_n(nnd_confusion *c, int truth, int predicted, int n) {
  for (int i = 0; i < n; i++) nnd_confusion_add(c, truth, predicted);
}

static void test_init_and_free(void) {
  nnd_confusion c;
  CU_ASSERT_EQUAL(nnd_confusion_init(&c, 0), -1);
  CU_ASSERT_PTR_NULL(c.counts);
  CU_ASSERT_EQUAL(nnd_confusion_init(&c, -3), -1);
  CU_ASSERT_EQUAL(nnd_confusion_init(NULL, 3), -1);
  CU_ASSERT_FATAL(nnd_confusion_init(&c, 3) == 0);
  CU_ASSERT_EQUAL(c.classes, 3);
  for (int i = 0; i < 9; i++) CU_ASSERT_EQUAL(c.counts[i], 0);
  nnd_confusion_free(&c);
  CU_ASSERT_PTR_NULL(c.counts);
  nnd_confusion_free(&c); /* twice is harmless */
  nnd_confusion_free(NULL);
  nnd_metrics m;
  CU_ASSERT_EQUAL(nnd_metrics_compute(&c, &m), -1); /* a freed matrix */
  CU_ASSERT_PTR_NULL(m.precision);
  nnd_metrics_free(&m);
  CU_ASSERT_EQUAL(nnd_metrics_compute(NULL, &m), -1);
  CU_ASSERT_EQUAL(nnd_metrics_compute(&c, NULL), -1);
}

/* Rows are the truth, columns the prediction; out-of-range labels on
 * either side are ignored, and clear starts over. */
static void test_add_layout_and_ignored_labels(void) {
  nnd_confusion c;
  CU_ASSERT_FATAL(nnd_confusion_init(&c, 3) == 0);
  nnd_confusion_add(&c, 2, 0);
  nnd_confusion_add(&c, 2, 0);
  nnd_confusion_add(&c, 0, 1);
  nnd_confusion_add(&c, -1, 0);
  nnd_confusion_add(&c, 3, 0);
  nnd_confusion_add(&c, 0, 3);
  nnd_confusion_add(&c, 0, -7);
  nnd_confusion_add(NULL, 0, 0);
  CU_ASSERT_EQUAL(c.counts[2 * 3 + 0], 2);
  CU_ASSERT_EQUAL(c.counts[0 * 3 + 1], 1);
  int64_t sum = 0;
  for (int i = 0; i < 9; i++) sum += c.counts[i];
  CU_ASSERT_EQUAL(sum, 3);
  nnd_metrics m;
  CU_ASSERT_FATAL(nnd_metrics_compute(&c, &m) == 0);
  CU_ASSERT_EQUAL(m.total, 3);
  nnd_metrics_free(&m);
  nnd_confusion_clear(&c);
  for (int i = 0; i < 9; i++) CU_ASSERT_EQUAL(c.counts[i], 0);
  nnd_confusion_free(&c);
}

/* 100 samples, 85 / 5 / 10 per class. Class 0 is always right; class 1 is
 * right 2 times of 5 (3 go to class 0); class 2 is right 3 of 10 (7 go to
 * class 0).
 *   accuracy  = (85 + 2 + 3) / 100 = 0.9
 *   recall    = 85/85, 2/5, 3/10 = 1, 0.4, 0.3
 *   balanced  = 1.7 / 3 = 17/30 = 0.5667
 *   precision = 85/95, 2/2, 3/3 = 17/19, 1, 1
 *   f1        = 2*(17/19)/(17/19 + 1) = 17/18;  0.8/1.4 = 4/7;  0.6/1.3 = 6/13 */
static void test_imbalanced_three_classes(void) {
  nnd_confusion c;
  CU_ASSERT_FATAL(nnd_confusion_init(&c, 3) == 0);
  add_n(&c, 0, 0, 85);
  add_n(&c, 1, 1, 2);
  add_n(&c, 1, 0, 3);
  add_n(&c, 2, 2, 3);
  add_n(&c, 2, 0, 7);
  nnd_metrics m;
  CU_ASSERT_FATAL(nnd_metrics_compute(&c, &m) == 0);
  CU_ASSERT_EQUAL(m.classes, 3);
  CU_ASSERT_EQUAL(m.total, 100);
  NEAR(m.accuracy, 0.9);
  NEAR(m.balanced_accuracy, 17.0 / 30.0);
  CU_ASSERT(fabs(m.balanced_accuracy - 0.5667) < 5e-5);
  CU_ASSERT(m.support[0] == 85 && m.support[1] == 5 && m.support[2] == 10);
  NEAR(m.precision[0], 17.0 / 19.0);
  NEAR(m.precision[1], 1.0);
  NEAR(m.precision[2], 1.0);
  NEAR(m.recall[0], 1.0);
  NEAR(m.recall[1], 0.4);
  NEAR(m.recall[2], 0.3);
  NEAR(m.f1[0], 17.0 / 18.0);
  NEAR(m.f1[1], 4.0 / 7.0);
  NEAR(m.f1[2], 6.0 / 13.0);
  NEAR(m.macro_precision, (17.0 / 19.0 + 2.0) / 3.0);
  NEAR(m.macro_recall, 17.0 / 30.0);
  NEAR(m.macro_f1, (17.0 / 18.0 + 4.0 / 7.0 + 6.0 / 13.0) / 3.0);
  nnd_metrics_free(&m);
  CU_ASSERT_PTR_NULL(m.precision);
  nnd_confusion_free(&c);
}

static void test_perfect_classifier(void) {
  nnd_confusion c;
  CU_ASSERT_FATAL(nnd_confusion_init(&c, 4) == 0);
  for (int k = 0; k < 4; k++) add_n(&c, k, k, 10 * (k + 1));
  nnd_metrics m;
  CU_ASSERT_FATAL(nnd_metrics_compute(&c, &m) == 0);
  CU_ASSERT_EQUAL(m.total, 100);
  NEAR(m.accuracy, 1.0);
  NEAR(m.balanced_accuracy, 1.0);
  NEAR(m.macro_precision, 1.0);
  NEAR(m.macro_recall, 1.0);
  NEAR(m.macro_f1, 1.0);
  for (int k = 0; k < 4; k++) {
    NEAR(m.precision[k], 1.0);
    NEAR(m.recall[k], 1.0);
    NEAR(m.f1[k], 1.0);
    CU_ASSERT_EQUAL(m.support[k], 10 * (k + 1));
  }
  nnd_metrics_free(&m);
  nnd_confusion_free(&c);
}

/* Class 1 has 4 samples but is never predicted: precision 0 (not NaN),
 * recall 0, F1 0, and it still counts in the macro means.
 *   truth 0: 6 -> 0;  truth 1: 4 -> 0;  truth 2: 5 -> 2, 1 -> 0
 *   precision = 6/11, 0, 5/5;  recall = 1, 0, 5/6
 *   f1 = 2*(6/11)/(17/11) = 12/17;  0;  2*(5/6)/(11/6) = 10/11 */
static void test_class_never_predicted(void) {
  nnd_confusion c;
  CU_ASSERT_FATAL(nnd_confusion_init(&c, 3) == 0);
  add_n(&c, 0, 0, 6);
  add_n(&c, 1, 0, 4);
  add_n(&c, 2, 2, 5);
  add_n(&c, 2, 0, 1);
  nnd_metrics m;
  CU_ASSERT_FATAL(nnd_metrics_compute(&c, &m) == 0);
  NEAR(m.accuracy, 11.0 / 16.0);
  CU_ASSERT(m.precision[1] == 0.0 && m.recall[1] == 0.0 && m.f1[1] == 0.0);
  NEAR(m.precision[0], 6.0 / 11.0);
  NEAR(m.precision[2], 1.0);
  NEAR(m.recall[2], 5.0 / 6.0);
  NEAR(m.f1[0], 12.0 / 17.0);
  NEAR(m.f1[2], 10.0 / 11.0);
  NEAR(m.macro_precision, (6.0 / 11.0 + 0.0 + 1.0) / 3.0);
  NEAR(m.macro_recall, (1.0 + 0.0 + 5.0 / 6.0) / 3.0);
  NEAR(m.balanced_accuracy, m.macro_recall);
  NEAR(m.macro_f1, (12.0 / 17.0 + 0.0 + 10.0 / 11.0) / 3.0);
  nnd_metrics_free(&m);
  nnd_confusion_free(&c);
}

/* Class 2 never occurs in the truth but is predicted twice. It has recall
 * 0 by convention, precision 0 (no true positives), and is LEFT OUT of the
 * macro means and balanced accuracy (nnd's documented choice; scikit-learn
 * would average over 3 labels and report macro precision 1/3 lower).
 *   truth 0: 3 -> 0, 1 -> 2;  truth 1: 4 -> 1, 1 -> 2
 *   precision = 1, 1, 0;  recall = 3/4, 4/5, 0
 *   f1 = 6/7, 8/9, 0 */
static void test_class_without_support(void) {
  nnd_confusion c;
  CU_ASSERT_FATAL(nnd_confusion_init(&c, 3) == 0);
  add_n(&c, 0, 0, 3);
  add_n(&c, 0, 2, 1);
  add_n(&c, 1, 1, 4);
  add_n(&c, 1, 2, 1);
  nnd_metrics m;
  CU_ASSERT_FATAL(nnd_metrics_compute(&c, &m) == 0);
  CU_ASSERT_EQUAL(m.support[2], 0);
  CU_ASSERT(m.precision[2] == 0.0 && m.recall[2] == 0.0 && m.f1[2] == 0.0);
  NEAR(m.accuracy, 7.0 / 9.0);
  NEAR(m.macro_precision, 1.0);
  NEAR(m.macro_recall, (0.75 + 0.8) / 2.0);
  NEAR(m.balanced_accuracy, (0.75 + 0.8) / 2.0);
  NEAR(m.macro_f1, (6.0 / 7.0 + 8.0 / 9.0) / 2.0);
  nnd_metrics_free(&m);
  nnd_confusion_free(&c);
}

/* No samples at all: everything is 0 and the call still succeeds. */
static void test_empty_matrix(void) {
  nnd_confusion c;
  CU_ASSERT_FATAL(nnd_confusion_init(&c, 2) == 0);
  nnd_metrics m;
  CU_ASSERT_FATAL(nnd_metrics_compute(&c, &m) == 0);
  CU_ASSERT_EQUAL(m.total, 0);
  CU_ASSERT(m.accuracy == 0.0 && m.balanced_accuracy == 0.0);
  CU_ASSERT(m.macro_precision == 0.0 && m.macro_recall == 0.0 && m.macro_f1 == 0.0);
  for (int k = 0; k < 2; k++)
    CU_ASSERT(m.precision[k] == 0.0 && m.recall[k] == 0.0 && m.f1[k] == 0.0 && m.support[k] == 0);
  nnd_metrics_free(&m);
  nnd_confusion_free(&c);
}

/* A binary case in the usual textbook layout, and one class of one.
 *   tp = 40 (1 -> 1), fn = 10 (1 -> 0), fp = 5 (0 -> 1), tn = 45 (0 -> 0)
 *   class 1: precision 40/45 = 8/9, recall 40/50 = 4/5, f1 = 80/95 = 16/19
 *   class 0: precision 45/55 = 9/11, recall 45/50 = 9/10, f1 = 90/105 = 6/7 */
static void test_binary_and_single_class(void) {
  nnd_confusion c;
  CU_ASSERT_FATAL(nnd_confusion_init(&c, 2) == 0);
  add_n(&c, 1, 1, 40);
  add_n(&c, 1, 0, 10);
  add_n(&c, 0, 1, 5);
  add_n(&c, 0, 0, 45);
  nnd_metrics m;
  CU_ASSERT_FATAL(nnd_metrics_compute(&c, &m) == 0);
  NEAR(m.accuracy, 0.85);
  NEAR(m.precision[1], 8.0 / 9.0);
  NEAR(m.recall[1], 0.8);
  NEAR(m.f1[1], 16.0 / 19.0);
  NEAR(m.precision[0], 9.0 / 11.0);
  NEAR(m.recall[0], 0.9);
  NEAR(m.f1[0], 6.0 / 7.0);
  NEAR(m.balanced_accuracy, 0.85);
  NEAR(m.macro_f1, (16.0 / 19.0 + 6.0 / 7.0) / 2.0);
  nnd_metrics_free(&m);
  nnd_confusion_free(&c);

  CU_ASSERT_FATAL(nnd_confusion_init(&c, 1) == 0);
  add_n(&c, 0, 0, 3);
  CU_ASSERT_FATAL(nnd_metrics_compute(&c, &m) == 0);
  NEAR(m.accuracy, 1.0);
  NEAR(m.macro_f1, 1.0);
  nnd_metrics_free(&m);
  nnd_metrics_free(&m); /* freeing cleared the struct, so twice is harmless */
  nnd_confusion_free(&c);
}

/* Recomputing after more samples reflects them (compute reads, never caches). */
static void test_recompute(void) {
  nnd_confusion c;
  CU_ASSERT_FATAL(nnd_confusion_init(&c, 2) == 0);
  nnd_metrics m;
  add_n(&c, 0, 1, 1);
  CU_ASSERT_FATAL(nnd_metrics_compute(&c, &m) == 0);
  NEAR(m.accuracy, 0.0);
  nnd_metrics_free(&m);
  add_n(&c, 1, 1, 3);
  CU_ASSERT_FATAL(nnd_metrics_compute(&c, &m) == 0);
  NEAR(m.accuracy, 0.75);
  NEAR(m.precision[1], 0.75);
  NEAR(m.balanced_accuracy, 0.5); /* class 0 recall 0, class 1 recall 1 */
  nnd_metrics_free(&m);
  nnd_confusion_free(&c);
}

void test_metrics_register(void) {
  CU_pSuite s = CU_add_suite("metrics", NULL, NULL);
  CU_add_test(s, "init, free, and invalid inputs", test_init_and_free);
  CU_add_test(s, "layout, ignored labels, clear", test_add_layout_and_ignored_labels);
  CU_add_test(s, "imbalanced: accuracy 0.9, balanced 0.5667", test_imbalanced_three_classes);
  CU_add_test(s, "a perfect classifier", test_perfect_classifier);
  CU_add_test(s, "a class never predicted", test_class_never_predicted);
  CU_add_test(s, "a class without support leaves the macro means", test_class_without_support);
  CU_add_test(s, "an empty matrix", test_empty_matrix);
  CU_add_test(s, "binary and single-class matrices", test_binary_and_single_class);
  CU_add_test(s, "recomputing after more samples", test_recompute);
}
