/* nnd_run.c — the ONNX tests' view of nnd's own numbers (tests/onnx/run).
 *
 *   nnd_run init MODEL WEIGHTS
 *     the model's seeded initial weights, batchnorm running statistics set
 *     to seeded non-trivial values, saved as a checkpoint;
 *   nnd_run run MODEL WEIGHTS N [--in NAME FILE]... [--out NAME FILE]...
 *     N samples of each named input (raw float32) through the model in
 *     inference mode, each named output's values written as raw float32.
 * Inputs not named (class labels, targets) are left at zero. */
#include <nnd/nnd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ir.h"
#include "rng.h"
#include "train.h"

static int die(const char *what, const char *msg) {
  fprintf(stderr, "nnd_run: %s: %s\n", what, msg);
  return 1;
}

int main(int argc, char **argv) {
  if (argc < 4) return die("usage", "init MODEL WEIGHTS | run MODEL WEIGHTS N ...");
  /* the build tree's plugins unless NND_PLUGIN_PATH says otherwise */
  const char *dir = getenv("NND_PLUGIN_PATH");
  if (!dir) dir = NND_TEST_BUILDDIR "/plugins/.libs";
  nnd_load_plugins(&dir, 1);
  nnd_model *m = NULL;
  nnd_diag_list *d = NULL;
  if (nnd_compile_file(argv[2], &m, &d) != 0) {
    char *t = nnd_diag_render(d, 0);
    fprintf(stderr, "%s", t ? t : "");
    return 1;
  }
  nnd_diag_list_free(d);
  char err[2048] = "";
  nnd_session *s = NULL;
  nnd_session_options so = {.size = sizeof so};
  if (nnd_session_new(m, &so, &s, err, sizeof err) != 0) return die(argv[2], err);
  if (strcmp(argv[1], "init") == 0) {
    if (nnd_session_set_batch(s, 1) != 0) return die(argv[2], nnd_session_error(s));
    nnd_rng r = nnd_rng_for(7, "running statistics");
    for (int i = 0; i < m->n_nodes; i++) {
      const nnd_node *n = &m->nodes[i];
      nnd_tensor t;
      if (n->kind != NND_NODE_PARAM || n->trainable || nnd_session_value(s, n->name, &t) != 0)
        continue;
      int var = strstr(n->name, "var") != NULL;
      for (int64_t k = 0; k < t.numel; k++)
        t.data[k] = (float)(var ? 0.5 + nnd_rng_uniform(&r) : 0.2 * (nnd_rng_uniform(&r) - 0.5));
    }
    int rc = nnd_session_save(s, argv[3], NULL, NULL, 0, err, sizeof err);
    nnd_session_free(s);
    nnd_model_free(m);
    return rc != 0 ? die(argv[3], err) : 0;
  }
  if (argc < 5) return die("usage", "run MODEL WEIGHTS N ...");
  int n = atoi(argv[4]);
  if (n < 1 || nnd_session_set_batch(s, n) != 0) return die(argv[2], "cannot set the batch");
  if (nnd_session_load(s, argv[3], 0, NULL, err, sizeof err) != 0) return die(argv[3], err);
  for (int i = 5; i + 2 < argc + 0 && i + 2 <= argc - 1; i += 3) {
    if (strcmp(argv[i], "--in") != 0) continue;
    nnd_tensor t;
    if (nnd_session_value(s, argv[i + 1], &t) != 0) return die(argv[i + 1], "no such input");
    float *buf = malloc((size_t)t.numel * sizeof *buf);
    FILE *f = fopen(argv[i + 2], "rb");
    if (!buf || !f || fread(buf, sizeof *buf, (size_t)t.numel, f) != (size_t)t.numel)
      return die(argv[i + 2], "cannot read as many floats as the input holds");
    fclose(f);
    if (nnd_session_set_input(s, argv[i + 1], buf, t.numel) != 0)
      return die(argv[i + 1], nnd_session_error(s));
    free(buf);
  }
  if (nnd_session_forward(s, 0) != 0) return die("forward", nnd_session_error(s));
  for (int i = 5; i + 2 <= argc - 1; i += 3) {
    if (strcmp(argv[i], "--out") != 0) continue;
    nnd_tensor t;
    if (nnd_session_value(s, argv[i + 1], &t) != 0) return die(argv[i + 1], "no such node");
    FILE *f = fopen(argv[i + 2], "wb");
    if (!f || fwrite(t.data, sizeof(float), (size_t)t.numel, f) != (size_t)t.numel ||
        fclose(f) != 0)
      return die(argv[i + 2], "cannot write");
  }
  nnd_session_free(s);
  nnd_model_free(m);
  return 0;
}
