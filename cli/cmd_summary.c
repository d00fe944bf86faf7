/* cmd_summary.c — `nnd summary [--kernels] FILE`: every node with its op,
 * output shape and parameter count, then the totals (what Keras's
 * model.summary() shows). With --kernels, a session is made so each op row
 * also says which backend's kernel runs it, as --backend / NND_BACKEND and
 * the loaded plugins decide; where the choice was measured (no backend
 * pinned), the time of each candidate at the model's training batch. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "ir.h"
#include "shape.h"

typedef struct {
  const char *name;
  const char *op;
  char shape[128];
  char params[32];
  const char *kernel;
} row;

static const char *op_label(const nnd_node *n) {
  switch (n->kind) {
  case NND_NODE_INPUT: return "input";
  case NND_NODE_PARAM: return "param";
  case NND_NODE_CONST: return "const";
  case NND_NODE_OP: return n->op->name;
  }
  return "?";
}

static void shape_cell(const nnd_node *n, char *buf, size_t size) {
  char s[64];
  nnd_shape_str_batch(&n->type, s, sizeof s);
  if (n->type.dtype == NND_CLASS)
    snprintf(buf, size, "%s class[%lld]", s, (long long)n->type.classes);
  else if (n->type.dtype == NND_BINARY)
    snprintf(buf, size, "%s binary", s);
  else
    snprintf(buf, size, "%s", s);
}

static void print_summary(const nnd_model *m, const nnd_session *s) {
  row *rows = calloc((size_t)m->n_nodes + 1, sizeof *rows);
  if (!rows) {
    fprintf(stderr, "nnd summary: out of memory\n");
    return;
  }
  int n = 0;
  size_t w_name = 4, w_op = 2, w_shape = 12, w_params = 6, w_kernel = s ? 6 : 0;
  for (int i = 0; i < m->n_nodes; i++) {
    const nnd_node *node = &m->nodes[i];
    /* a layer's own parameters are counted on its row */
    if (node->kind == NND_NODE_CONST || (node->kind == NND_NODE_PARAM && node->owner >= 0))
      continue;
    row *r = &rows[n++];
    r->name = node->name;
    r->op = op_label(node);
    shape_cell(node, r->shape, sizeof r->shape);
    int64_t p = nnd_ir_param_count(m, node);
    if (p > 0) cli_thousands(p, r->params, sizeof r->params);
    else snprintf(r->params, sizeof r->params, "0");
    if (strlen(r->name) > w_name) w_name = strlen(r->name);
    if (strlen(r->op) > w_op) w_op = strlen(r->op);
    if (strlen(r->shape) > w_shape) w_shape = strlen(r->shape);
    if (strlen(r->params) > w_params) w_params = strlen(r->params);
    r->kernel = s && node->kind == NND_NODE_OP ? nnd_session_backend(s, node->name) : "";
    if (!r->kernel) r->kernel = "";
    if (s && strlen(r->kernel) > w_kernel) w_kernel = strlen(r->kernel);
  }
  if (w_name > 60) w_name = 60;
  printf("model %s", m->name);
  if (m->description && m->description[0]) printf(" \xe2\x80\x94 %s", m->description);
  printf("\n\n");
  size_t width = w_name + w_op + w_shape + w_params + 6 + (s ? w_kernel + 2 : 0);
  printf("%-*s  %-*s  %-*s  %*s", (int)w_name, "name", (int)w_op, "op", (int)w_shape,
         "output shape", (int)w_params, "params");
  if (s) printf("  %s", "kernel");
  putchar('\n');
  for (size_t i = 0; i < width; i++) putchar('-');
  putchar('\n');
  for (int i = 0; i < n; i++) {
    printf("%-*s  %-*s  %-*s  %*s", (int)w_name, rows[i].name, (int)w_op, rows[i].op,
           (int)w_shape, rows[i].shape, (int)w_params, rows[i].params);
    if (s && rows[i].kernel[0]) printf("  %s", rows[i].kernel);
    const char *b;
    double ms;
    int nt = s ? nnd_session_kernel_timing(s, rows[i].name, 0, NULL, NULL) : 0;
    for (int k = 0; k < nt; k++) {
      nnd_session_kernel_timing(s, rows[i].name, k, &b, &ms);
      printf("%s%s %.3g ms%s", k ? ", " : "  (", b, ms, k + 1 == nt ? ")" : "");
    }
    putchar('\n');
  }
  for (size_t i = 0; i < width; i++) putchar('-');
  putchar('\n');
  free(rows);

  int64_t total = nnd_ir_total_params(m, 0), trainable = nnd_ir_total_params(m, 1);
  char a[32], b[32], c[32];
  printf("total parameters:     %s (%.2f MiB as float32)\n", cli_thousands(total, a, sizeof a),
         (double)total * 4.0 / (1024.0 * 1024.0));
  printf("trainable parameters: %s\n", cli_thousands(trainable, b, sizeof b));
  printf("non-trainable:        %s\n", cli_thousands(total - trainable, c, sizeof c));
  if (m->n_losses) {
    printf("losses:               ");
    for (int i = 0; i < m->n_losses; i++) {
      const nnd_node *l = &m->nodes[m->losses[i].node];
      printf("%s%s", i ? " + " : "", l->name);
      if (m->losses[i].weight != 1) printf(" * %g", m->losses[i].weight);
    }
    putchar('\n');
  }
  if (s) {
    const char *backend, *opt = nnd_session_optimizer(s, &backend);
    if (opt) printf("optimizer:            %s (%s)\n", opt, backend);
  }
}

int cmd_summary(int argc, char **argv) {
  const char *file = NULL;
  int kernels = 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--kernels") == 0) kernels = 1;
    else if (argv[i][0] == '-') return cli_usage_error("summary", "unknown option %s", argv[i]);
    else if (file) return cli_usage_error("summary", "expected exactly one model file");
    else file = argv[i];
  }
  if (!file) return cli_usage_error("summary", "expected exactly one model file");
  nnd_model *m = NULL;
  if (cli_compile(file, &m) != EXIT_OK) return EXIT_MODEL;
  nnd_session *s = NULL;
  if (kernels) {
    cli_load_plugins();
    char err[1024];
    nnd_session_options opts = {.size = sizeof opts, .backends = cli_options.backends};
    if (nnd_session_new(m, &opts, &s, err, sizeof err) != 0) {
      cli_error("summary", err);
      nnd_model_free(m);
      return EXIT_MODEL;
    }
  }
  if (s) {
    /* the kernels at the batch training runs them */
    const nnd_setting *b = nnd_ir_setting(m, "batch");
    int batch = b ? (int)nnd_num(&b->value, 0) : 0;
    if (batch > 0 && nnd_session_set_batch(s, batch) != 0) {
      cli_error("summary", nnd_session_error(s));
      nnd_session_free(s);
      nnd_model_free(m);
      return EXIT_MODEL;
    }
  }
  print_summary(m, s);
  if (s) {
    int timed = 0;
    for (int i = 0; i < m->n_nodes; i++)
      timed |= nnd_session_kernel_timing(s, m->nodes[i].name, 0, NULL, NULL) > 0;
    if (timed)
      printf("kernels measured at batch %d: each candidate's forward (+ backward) time; "
             "--backend or NND_KERNEL_CHOICE=fixed pins the preference order\n",
             nnd_session_batch(s));
  }
  nnd_session_free(s);
  nnd_model_free(m);
  return EXIT_OK;
}
