/* cmd_predict.c — `nnd predict FILE --weights CKPT [--input NAME=VALUES |
 * --samples N] [--top K]`: the top-k classes of each sample with their
 * probabilities (softmax, sigmoid or exp of the prediction, as its loss
 * says: prediction.h), or a regression's values, and the true class when
 * the samples come from the model's test data. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checkpoint.h"
#include "cli.h"
#include "value.h"
#include "ir.h"
#include "prediction.h"
#include "train.h"


/* One sample: the top classes with their probabilities, or, for a
 * regression (identity), its values. How the prediction's values become
 * probabilities is the runtime's rule (prediction.h), shared with eval. */
static int print_sample(const nnd_node *target, nnd_pred_kind kind, const float *row,
                        int64_t width, int top, int sample, int truth) {
  char buf[32];
  printf("sample %d:", sample);
  if (kind == NND_PRED_IDENTITY) {
    for (int64_t k = 0; k < width; k++) printf("%s %.6g", k ? "," : "", row[k]);
  } else {
    int64_t classes = nnd_pred_outputs(kind, width);
    double *prob = malloc((size_t)classes * sizeof *prob);
    char *used = calloc((size_t)classes, 1);
    if (!prob || !used) {
      free(prob);
      free(used);
      return -1;
    }
    nnd_pred_probabilities(kind, row, width, prob);
    for (int t = 0; t < top && t < classes; t++) {
      int64_t best = -1;
      for (int64_t k = 0; k < classes; k++)
        if (!used[k] && (best < 0 || prob[k] > prob[best])) best = k;
      used[best] = 1;
      printf("%s %s %.4f", t ? "," : "", cli_class_name(target, (int)best, buf, sizeof buf),
             prob[best]);
    }
    free(prob);
    free(used);
  }
  if (truth >= 0) printf("  (true: %s)", cli_class_name(target, truth, buf, sizeof buf));
  putchar('\n');
  return 0;
}

int cmd_predict(int argc, char **argv) {
  const char *file = NULL, *weights = NULL, *input = NULL;
  int samples = 10, top = 3;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    int has = i + 1 < argc;
    if (strcmp(a, "--weights") == 0 && has) weights = argv[++i];
    else if (strcmp(a, "--input") == 0 && has) input = argv[++i];
    else if (strcmp(a, "--samples") == 0 && has) samples = atoi(argv[++i]);
    else if (strcmp(a, "--top") == 0 && has) top = atoi(argv[++i]);
    else if (a[0] == '-') return cli_usage_error("predict", "unknown option or missing value: '%s'", a);
    else if (file) return cli_usage_error("predict", "expected one model file");
    else file = a;
  }
  if (!file || !weights) return cli_usage_error("predict", "expected a model file and --weights CKPT");
  if (samples < 1 || top < 1) return cli_usage_error("predict", "--samples and --top are positive");
  nnd_model *m = NULL;
  if (cli_compile(file, &m) != EXIT_OK) return EXIT_MODEL;
  char err[2048] = "";
  nnd_session *s = NULL;
  nnd_checkpoint *ckpt = NULL; /* for its metadata */
  nnd_dataset *d = NULL;
  nnd_data_binding b;
  memset(&b, 0, sizeof b);
  int status = EXIT_OK;
  nnd_session_options so = {.size = sizeof so, .backends = cli_options.backends};
  const nnd_setting *src = nnd_ir_setting(m, "test");
  if (!src) src = nnd_ir_setting(m, "data");
  if (nnd_session_new(m, &so, &s, err, sizeof err) != 0 ||
      nnd_session_load(s, weights, 0, &ckpt, err, sizeof err) != 0)
    status = EXIT_MODEL;
  if (status == EXIT_OK) cli_warn_other_model("predict", weights, ckpt, m->name);
  nnd_checkpoint_free(ckpt);
  float *x = NULL, *y = NULL;
  int n = 0;
  if (status == EXIT_OK && input) {
    /* NAME=1,2,3: one or more samples of the named input */
    char *copy = strdup(input), *eq = copy ? strchr(copy, '=') : NULL;
    nnd_tensor t;
    if (!eq) {
      free(copy);
      nnd_session_free(s);
      nnd_model_free(m);
      return cli_usage_error("predict", "--input takes NAME=VALUES");
    }
    *eq = '\0';
    int64_t count = 0;
    char what[160];
    snprintf(what, sizeof what, "--input %.100s", copy);
    if (nnd_parse_input_values(what, eq + 1, &x, &count, err, sizeof err) != 0) {
      free(copy);
      nnd_session_free(s);
      nnd_model_free(m);
      return cli_usage_error("predict", "%s", err);
    }
    if (nnd_session_value(s, copy, &t) != 0 || count == 0 || count % t.numel != 0) {
      snprintf(err, sizeof err, "--input %s: the model has no such input, or %lld values are "
                                "not whole samples", copy, (long long)count);
      status = EXIT_USAGE;
    } else {
      n = (int)(count / t.numel);
      if (nnd_session_set_batch(s, n) != 0 || nnd_session_set_input(s, copy, x, count) != 0)
        status = EXIT_MODEL;
    }
    b.features = NULL;
    free(copy);
  } else if (status == EXIT_OK) {
    if (!src) {
      snprintf(err, sizeof err, "%s: no --input and no data in the train block", file);
      status = EXIT_USAGE;
    } else if (nnd_dataset_open(&src->value, m->dir, &d, err, sizeof err) != 0 ||
               nnd_train_bind(m, d, &b, err, sizeof err) != 0) {
      status = EXIT_MODEL;
    } else {
      n = (int)(samples < nnd_dataset_size(d) ? samples : nnd_dataset_size(d));
      int64_t *index = malloc((size_t)n * sizeof *index);
      x = malloc((size_t)n * (size_t)nnd_dataset_features(d) * sizeof *x);
      y = malloc((size_t)n * sizeof *y);
      for (int i = 0; index && i < n; i++) index[i] = i;
      if (!index || !x || !y || nnd_session_set_batch(s, n) != 0) status = EXIT_MODEL;
      if (status == EXIT_OK) {
        nnd_dataset_batch(d, index, n, x, y);
        if (nnd_session_set_input(s, b.features, x, n * nnd_dataset_features(d)) != 0 ||
            nnd_session_set_input(s, b.target, y, n) != 0)
          status = EXIT_MODEL;
      }
      free(index);
    }
  }
  /* the prediction: what the loss compares with the target (the data's
     label input when there is data, else the first loss's) */
  nnd_prediction pred;
  const char *prediction = nnd_model_prediction(m, b.target, &pred) == 0 ? pred.node : NULL;
  const nnd_node *target = prediction ? nnd_ir_find(m, pred.target) : NULL;
  nnd_tensor p;
  if (status == EXIT_OK && (!prediction || nnd_session_forward(s, 0) != 0 ||
                            nnd_session_value(s, prediction, &p) != 0)) {
    if (!err[0]) snprintf(err, sizeof err, "%s", prediction ? nnd_session_error(s)
                                                            : "no loss compares a prediction "
                                                              "with a target");
    status = EXIT_MODEL;
  }
  for (int i = 0; status == EXIT_OK && i < n; i++)
    if (print_sample(target, pred.kind, p.data + (int64_t)i * (p.numel / n), p.numel / n, top,
                     i, y ? (int)y[i] : -1) != 0) {
      snprintf(err, sizeof err, "out of memory");
      status = EXIT_MODEL;
    }
  if (status != EXIT_OK) cli_error("predict", err[0] ? err : nnd_session_error(s));
  free(x);
  free(y);
  nnd_dataset_free(d);
  nnd_session_free(s);
  nnd_model_free(m);
  return status;
}
