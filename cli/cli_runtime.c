/* cli_runtime.c — what the commands that run a model share: plugin loading,
 * printing tensors, random inputs. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <math.h>

#include "checkpoint.h"
#include "cli.h"
#include "ir.h"
#include "plugin_loader.h"
#include "report.h"
#include "train.h"
#include "rng.h"
#include "shape.h"

cli_globals cli_options;

void cli_load_plugins(void) {
  const char *dirs[20];
  int n = 0;
  for (int i = 0; i < cli_options.n_plugin_dirs; i++) dirs[n++] = cli_options.plugin_dirs[i];
  /* An nnd run from its build tree finds the plugins built beside it; an
     installed one uses the installed plugins. */
  const char *build = nnd_plugin_build_tree_dir();
  if (build) dirs[n++] = build;
  nnd_load_plugins(dirs, n);
}

static void print_rec(FILE *out, const nnd_tensor *t, int d, int64_t *at, int64_t limit,
                      int *cut) {
  if (t->ndim == 0) {
    fprintf(out, "%.6g", t->data[0]);
    return;
  }
  fputc('[', out);
  for (int64_t i = 0; i < t->dim[d]; i++) {
    if (*cut) break;
    if (i) fputs(", ", out);
    if (d == t->ndim - 1) {
      if (limit > 0 && *at >= limit) {
        fputs("...", out);
        *cut = 1;
        break;
      }
      fprintf(out, "%.6g", t->data[(*at)++]);
    } else {
      print_rec(out, t, d + 1, at, limit, cut);
    }
  }
  fputc(']', out);
}

void cli_print_tensor(FILE *out, const nnd_tensor *t, int64_t limit) {
  int64_t at = 0;
  int cut = 0;
  print_rec(out, t, 0, &at, limit, &cut);
}

int cli_random_inputs(const nnd_model *m, nnd_session *s, uint64_t seed) {
  for (int id = 0; id < m->n_nodes; id++) {
    const nnd_node *n = &m->nodes[id];
    if (n->kind != NND_NODE_INPUT || n->value.kind != NND_VAL_NONE) continue;
    nnd_tensor t;
    if (nnd_session_value(s, n->name, &t) != 0) continue;
    nnd_rng rng = nnd_rng_for(seed, n->name);
    for (int64_t i = 0; i < t.numel; i++) {
      if (n->type.dtype == NND_CLASS)
        t.data[i] = (float)(nnd_rng_next(&rng) % (uint64_t)n->type.classes);
      else if (n->type.dtype == NND_BINARY)
        t.data[i] = (float)(nnd_rng_next(&rng) & 1);
      else
        t.data[i] = (float)(2 * nnd_rng_uniform(&rng) - 1);
    }
  }
  return 0;
}

void cli_json_num(FILE *f, const char *key, double v, const char *sep) {
  if (isfinite(v)) fprintf(f, "%s\"%s\": %.9g", sep, key, v);
  else fprintf(f, "%s\"%s\": null", sep, key);
}

void cli_log_epoch(FILE *log, int jsonl, const void *stats) {
  const nnd_epoch_stats *e = stats;
  if (jsonl) {
    fprintf(log, "{\"epoch\": %d", e->epoch);
    cli_json_num(log, "lr", e->lr, ", ");
    cli_json_num(log, "train_loss", e->train_loss, ", ");
    cli_json_num(log, "train_accuracy", e->train_accuracy, ", ");
    if (e->has_val) {
      cli_json_num(log, "val_loss", e->val_loss, ", ");
      cli_json_num(log, "val_accuracy", e->val_accuracy, ", ");
    }
    if (e->has_test) {
      cli_json_num(log, "test_loss", e->test_loss, ", ");
      cli_json_num(log, "test_accuracy", e->test_accuracy, ", ");
    }
    fprintf(log, ", \"seconds\": %.3f}\n", e->seconds);
  } else {
    /* the CSV keeps its columns: the held-out curve is the test set's, else
       the validation split's (JSON lines carry both) */
    fprintf(log, "%d,%.9g,%.9g,%.9g,", e->epoch, e->lr, e->train_loss, e->train_accuracy);
    if (e->has_test) fprintf(log, "%.9g,%.9g,", e->test_loss, e->test_accuracy);
    else if (e->has_val) fprintf(log, "%.9g,%.9g,", e->val_loss, e->val_accuracy);
    else fprintf(log, ",,");
    fprintf(log, "%.3f\n", e->seconds);
  }
  fflush(log);
}

void cli_warn_other_model(const char *cmd, const char *weights,
                          const nnd_checkpoint *checkpoint, const char *model_name) {
  const char *saved_by = checkpoint ? nnd_checkpoint_meta(checkpoint, "nnd.model") : NULL;
  if (saved_by && strcmp(saved_by, model_name) != 0)
    fprintf(stderr, "nnd %s: warning: %s holds the weights of model `%s`, not `%s`\n", cmd,
            weights, saved_by, model_name);
}

const char *cli_class_name(const void *target_node, int k, char *buf, size_t n) {
  const nnd_node *t = target_node;
  if (t && t->class_names && k >= 0 && k < t->type.classes) return t->class_names[k];
  snprintf(buf, n, "%d", k);
  return buf;
}
