/* cmd_eval.c — `nnd eval FILE --weights CKPT [--json]`: the numbers a
 * practitioner reads after training: loss, accuracy, per-class accuracy with
 * the model's class names, precision, recall and F1 per class and their
 * macro averages, balanced accuracy, and the confusion matrix. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checkpoint.h"
#include "cli.h"
#include "ir.h"
#include "metrics.h"
#include "output_file.h"
#include "report.h"
#include "train.h"

#define REPORT_EACH 32      /* correct and wrong images shown in a report */
#define REPORT_SCAN 2048    /* test samples looked at to find them */

/* Up to REPORT_EACH correctly and wrongly classified image samples of the
 * first REPORT_SCAN, with the probability of the predicted class. */
static int pick_samples(nnd_session *s, const nnd_dataset *d, const nnd_data_binding *b,
                        nnd_report_sample *out, char *err, size_t err_size) {
  int rows, cols;
  if (!nnd_dataset_image_shape(d, &rows, &cols) || !b->prediction) return 0;
  int n = (int)(nnd_dataset_size(d) < REPORT_SCAN ? nnd_dataset_size(d) : REPORT_SCAN);
  int64_t *index = malloc((size_t)n * sizeof *index);
  float *x = malloc((size_t)n * (size_t)nnd_dataset_features(d) * sizeof *x);
  float *y = malloc((size_t)n * sizeof *y);
  int picked = 0, right = 0, wrong = 0;
  nnd_tensor p;
  if (!index || !x || !y) {
    snprintf(err, err_size, "out of memory");
    picked = -1;
  }
  for (int i = 0; picked >= 0 && i < n; i++) index[i] = i;
  if (picked >= 0) nnd_dataset_batch(d, index, n, x, y);
  if (picked >= 0 && (nnd_session_set_batch(s, n) != 0 ||
                      nnd_session_set_input(s, b->features, x, n * nnd_dataset_features(d)) != 0 ||
                      nnd_session_set_input(s, b->target, y, n) != 0 ||
                      nnd_session_forward(s, 0) != 0 ||
                      nnd_session_value(s, b->prediction, &p) != 0)) {
    snprintf(err, err_size, "%s", nnd_session_error(s));
    picked = -1;
  }
  for (int i = 0; picked >= 0 && i < n && (right < REPORT_EACH || wrong < REPORT_EACH); i++) {
    int64_t k = p.numel / n;
    const float *row = p.data + (int64_t)i * k;
    int best = nnd_pred_class(b->prediction_kind, row, k);
    double prob[1024];
    float chance = NAN;
    if (nnd_pred_outputs(b->prediction_kind, k) <= 1024) {
      nnd_pred_probabilities(b->prediction_kind, row, k, prob);
      chance = (float)prob[best];
    }
    int ok = best == (int)y[i];
    if ((ok && right >= REPORT_EACH) || (!ok && wrong >= REPORT_EACH)) continue;
    *(ok ? &right : &wrong) += 1;
    out[picked++] = (nnd_report_sample){nnd_dataset_image(d, i), (int)y[i], best, chance};
  }
  free(index);
  free(x);
  free(y);
  return picked;
}

static const char *class_name(const nnd_model *m, const nnd_data_binding *b, int k, char *buf,
                              size_t n) {
  return cli_class_name(nnd_ir_find(m, b->target), k, buf, n);
}

static void json_string(const char *s) {
  putchar('"');
  for (; *s; s++) {
    if (*s == '"' || *s == '\\') printf("\\%c", *s);
    else if ((unsigned char)*s < 0x20) printf("\\u%04x", (unsigned char)*s);
    else putchar(*s);
  }
  putchar('"');
}

static void print_json(const nnd_model *m, const nnd_data_binding *b, double loss,
                       const nnd_metrics *x, const nnd_confusion *c) {
  char buf[32];
  /* the loss of a model without one is NaN, which JSON spells null */
  if (isfinite(loss)) printf("{\"loss\": %.9g", loss);
  else printf("{\"loss\": null");
  printf(", \"accuracy\": %.9g, \"balanced_accuracy\": %.9g, "
         "\"macro_precision\": %.9g, \"macro_recall\": %.9g, \"macro_f1\": %.9g, "
         "\"samples\": %lld, \"classes\": [",
         x->accuracy, x->balanced_accuracy, x->macro_precision, x->macro_recall, x->macro_f1,
         (long long)x->total);
  for (int k = 0; k < x->classes; k++) {
    printf("%s{\"name\": ", k ? ", " : "");
    json_string(class_name(m, b, k, buf, sizeof buf));
    printf(", \"support\": %lld, \"accuracy\": %.9g, \"precision\": %.9g, \"recall\": %.9g, "
           "\"f1\": %.9g}", (long long)x->support[k], x->recall[k], x->precision[k],
           x->recall[k], x->f1[k]);
  }
  printf("], \"confusion\": [");
  for (int i = 0; i < c->classes; i++) {
    printf("%s[", i ? ", " : "");
    for (int j = 0; j < c->classes; j++)
      printf("%s%lld", j ? ", " : "", (long long)c->counts[i * c->classes + j]);
    putchar(']');
  }
  printf("]}\n");
}

static void print_text(const nnd_model *m, const nnd_data_binding *b, double loss,
                       const nnd_metrics *x, const nnd_confusion *c) {
  char buf[32];
  size_t w = 5;
  for (int k = 0; k < x->classes; k++) {
    size_t len = strlen(class_name(m, b, k, buf, sizeof buf));
    if (len > w) w = len;
  }
  printf("samples            %lld\nloss               %.4f\naccuracy           %.4f\n"
         "balanced accuracy  %.4f\n\n", (long long)x->total, loss, x->accuracy,
         x->balanced_accuracy);
  printf("%-*s  %8s  %9s  %9s  %6s  %8s\n", (int)w, "class", "accuracy", "precision",
         "recall", "f1", "support");
  for (int k = 0; k < x->classes; k++)
    printf("%-*s  %8.4f  %9.4f  %9.4f  %6.4f  %8lld\n", (int)w, class_name(m, b, k, buf, sizeof buf),
           x->recall[k], x->precision[k], x->recall[k], x->f1[k], (long long)x->support[k]);
  printf("%-*s  %8s  %9.4f  %9.4f  %6.4f  %8lld\n\n", (int)w, "macro", "", x->macro_precision,
         x->macro_recall, x->macro_f1, (long long)x->total);
  printf("confusion matrix (rows: true class, columns: predicted)\n%-*s", (int)w, "");
  for (int j = 0; j < c->classes; j++) printf(" %6d", j);
  putchar('\n');
  for (int i = 0; i < c->classes; i++) {
    printf("%-*s", (int)w, class_name(m, b, i, buf, sizeof buf));
    for (int j = 0; j < c->classes; j++) printf(" %6lld", (long long)c->counts[i * c->classes + j]);
    putchar('\n');
  }
}

int cmd_eval(int argc, char **argv) {
  const char *file = NULL, *weights = NULL, *report = NULL, *log = NULL;
  int json = 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--weights") == 0 && i + 1 < argc) weights = argv[++i];
    else if (strcmp(argv[i], "--report") == 0 && i + 1 < argc) report = argv[++i];
    else if (strcmp(argv[i], "--log") == 0 && i + 1 < argc) log = argv[++i];
    else if (strcmp(argv[i], "--json") == 0) json = 1;
    else if (argv[i][0] == '-') return cli_usage_error("eval", "unknown option or missing value: '%s'", argv[i]);
    else if (file) return cli_usage_error("eval", "expected one model file");
    else file = argv[i];
  }
  if (!file || !weights) return cli_usage_error("eval", "expected a model file and --weights CKPT");
  char err[2048];
  /* the report may not replace the model, the weights or the log it shows */
  nnd_path_use uses[] = {{"the model file", file, 0, 0}, {"--weights", weights, 0, 0},
                         {"--log", log, 0, 0}, {"--report", report, 1, 0}};
  if (nnd_paths_distinct(uses, 4, err, sizeof err) != 0 ||
      (report && nnd_output_check("--report", report, err, sizeof err) != 0))
    return cli_usage_error("eval", "%s", err);
  nnd_model *m = NULL;
  if (cli_compile(file, &m) != EXIT_OK) return EXIT_MODEL;
  nnd_session *s = NULL;
  nnd_checkpoint *ckpt = NULL; /* for its metadata */
  nnd_dataset *d = NULL;
  nnd_data_binding b;
  nnd_confusion c = {0, NULL};
  nnd_metrics x;
  memset(&x, 0, sizeof x);
  double loss = 0, accuracy = 0;
  int status = EXIT_OK;
  const nnd_setting *src = nnd_ir_setting(m, "test");
  if (!src) src = nnd_ir_setting(m, "data");
  nnd_session_options so = {.size = sizeof so, .backends = cli_options.backends};
  if (!src) snprintf(err, sizeof err, "%s: the train block names no `test` or `data`", file);
  if (!src || nnd_session_new(m, &so, &s, err, sizeof err) != 0 ||
      nnd_session_load(s, weights, 0, &ckpt, err, sizeof err) != 0 ||
      nnd_dataset_open(&src->value, m->dir, &d, err, sizeof err) != 0 ||
      nnd_train_bind(m, d, &b, err, sizeof err) != 0 ||
      nnd_confusion_init(&c, b.classes) != 0 || nnd_session_set_batch(s, 256) != 0 ||
      nnd_evaluate(s, d, &b, &loss, &accuracy, &c, err, sizeof err) != 0 ||
      nnd_metrics_compute(&c, &x) != 0) {
    cli_error("eval", err);
    status = EXIT_MODEL;
  }
  if (status == EXIT_OK) cli_warn_other_model("eval", weights, ckpt, m->name);
  nnd_checkpoint_free(ckpt);
  if (status == EXIT_OK) {
    if (json) print_json(m, &b, loss, &x, &c);
    else print_text(m, &b, loss, &x, &c);
  }
  if (status == EXIT_OK && report) {
    nnd_report_sample samples[2 * REPORT_EACH];
    const char **names = calloc((size_t)b.classes + 1, sizeof *names);
    const nnd_node *t = nnd_ir_find(m, b.target);
    for (int k = 0; names && t && t->class_names && k < b.classes; k++) names[k] = t->class_names[k];
    int rows = 0, cols = 0;
    nnd_dataset_image_shape(d, &rows, &cols);
    int n = pick_samples(s, d, &b, samples, err, sizeof err);
    if (!names || n < 0 ||
        nnd_report_write(report, m->name, names, b.classes, &x, &c, loss, log, samples, n, rows,
                         cols, err, sizeof err) != 0) {
      cli_error("eval", names ? err : "out of memory");
      status = EXIT_MODEL;
    } else if (!json) {
      printf("\nreport written to %s\n", report);
    }
    free(names);
  }
  nnd_metrics_free(&x);
  nnd_confusion_free(&c);
  nnd_dataset_free(d);
  nnd_session_free(s);
  nnd_model_free(m);
  return status;
}
