/* cmd_trace.c — `nnd trace FILE [--input NAME=VALUES]...`: everything a
 * worked backpropagation answer shows: the value of every node in order,
 * each loss and the total, then the gradient of every parameter and of every
 * float input, with names and shapes, to 6 significant digits. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "ir.h"
#include "shape.h"
#include "value.h"

#define MAX_OVERRIDES 32

static const char *dims_str(const nnd_tensor *t, char *buf, size_t size) {
  size_t len = (size_t)snprintf(buf, size, "[");
  for (int i = 0; i < t->ndim && len < size; i++)
    len += (size_t)snprintf(buf + len, size - len, "%s%lld", i ? ", " : "",
                            (long long)t->dim[i]);
  if (len < size) snprintf(buf + len, size - len, "]");
  return buf;
}

static void print_node(nnd_session *s, const nnd_node *n, size_t w, size_t w_op) {
  nnd_tensor t;
  if (nnd_session_value(s, n->name, &t) != 0) return;
  const char *op = n->kind == NND_NODE_OP ? n->op->name
                   : n->kind == NND_NODE_INPUT ? "input"
                   : n->kind == NND_NODE_PARAM ? "param" : "const";
  char shape[128];
  printf("  %-*s  %-*s  %-16s ", (int)w, n->name, (int)w_op, op,
         dims_str(&t, shape, sizeof shape));
  cli_print_tensor(stdout, &t, 256);
  putchar('\n');
}

static int session_failed(const nnd_session *s, int status) {
  cli_error("trace", nnd_session_error(s));
  return status;
}

/* One --input NAME=VALUES: its name (the spec is cut at '=') and numbers. */
static int read_spec(char *spec, float **v, int64_t *n) {
  char *eq = strchr(spec, '=');
  if (!eq) return cli_usage_error("trace", "--input takes NAME=VALUES, got '%s'", spec);
  *eq = '\0';
  char what[160], err[512];
  snprintf(what, sizeof what, "--input %.100s", spec);
  if (nnd_parse_input_values(what, eq + 1, v, n, err, sizeof err) != 0)
    return cli_usage_error("trace", "%s", err);
  return EXIT_OK;
}

/* The batch follows the first --input; inputs that neither --input nor the
 * model give a value get seeded random values. */
static int apply_inputs(const nnd_model *m, nnd_session *s, char **specs, int n_specs) {
  float *v[MAX_OVERRIDES] = {0};
  int64_t n[MAX_OVERRIDES] = {0};
  int status = EXIT_OK;
  for (int i = 0; i < n_specs && status == EXIT_OK; i++) status = read_spec(specs[i], &v[i], &n[i]);
  nnd_tensor t;
  if (status == EXIT_OK && n_specs > 0) {
    if (nnd_session_value(s, specs[0], &t) != 0) {
      status = cli_usage_error("trace", "the model has no input `%s`", specs[0]);
    } else {
      int64_t per = t.numel / nnd_session_batch(s);
      if (per == 0 || n[0] == 0 || n[0] % per != 0)
        status = cli_usage_error("trace", "--input %s: %lld values do not make whole "
                                          "samples of %lld", specs[0], (long long)n[0],
                                 (long long)per);
      else if (nnd_session_set_batch(s, (int)(n[0] / per)) != 0)
        status = session_failed(s, EXIT_MODEL);
    }
  }
  if (status == EXIT_OK) cli_random_inputs(m, s, 1);
  for (int i = 0; i < n_specs && status == EXIT_OK; i++)
    if (nnd_session_set_input(s, specs[i], v[i], n[i]) != 0)
      status = session_failed(s, EXIT_USAGE);
  for (int i = 0; i < n_specs; i++) free(v[i]);
  return status;
}

int cmd_trace(int argc, char **argv) {
  const char *file = NULL;
  char *specs[MAX_OVERRIDES];
  int n_specs = 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--input") == 0 && i + 1 < argc) {
      if (n_specs == MAX_OVERRIDES) return cli_usage_error("trace", "too many --input");
      specs[n_specs++] = argv[++i];
    } else if (strncmp(argv[i], "--input=", 8) == 0) {
      if (n_specs == MAX_OVERRIDES) return cli_usage_error("trace", "too many --input");
      specs[n_specs++] = argv[i] + 8;
    } else if (argv[i][0] == '-') {
      return cli_usage_error("trace", "unknown option '%s'", argv[i]);
    } else if (file) {
      return cli_usage_error("trace", "expected one model file");
    } else {
      file = argv[i];
    }
  }
  if (!file) return cli_usage_error("trace", "expected a model file");
  nnd_model *m = NULL;
  if (cli_compile(file, &m) != EXIT_OK) return EXIT_MODEL;
  nnd_session *s = NULL;
  char err[1024];
  nnd_session_options opts = {.size = sizeof opts, .backends = cli_options.backends};
  if (nnd_session_new(m, &opts, &s, err, sizeof err) != 0) {
    cli_error("trace", err);
    nnd_model_free(m);
    return EXIT_MODEL;
  }
  int status = apply_inputs(m, s, specs, n_specs);
  if (status == EXIT_OK &&
      (nnd_session_forward(s, 1) != 0 || nnd_session_backward(s) != 0)) {
    cli_error("trace", nnd_session_error(s));
    status = EXIT_MODEL;
  }
  if (status == EXIT_OK) {
    size_t w = strlen("total loss"), w_op = 5;
    for (int i = 0; i < m->n_nodes; i++) {
      if (strlen(m->nodes[i].name) > w) w = strlen(m->nodes[i].name);
      if (m->nodes[i].kind == NND_NODE_OP && strlen(m->nodes[i].op->name) > w_op)
        w_op = strlen(m->nodes[i].op->name);
    }
    w += 4;  /* room for "dL/d" */
    if (w > 44) w = 44;
    printf("model %s, batch %d\n\nforward\n", m->name, nnd_session_batch(s));
    for (int i = 0; i < m->n_nodes; i++) print_node(s, &m->nodes[i], w, w_op);
    printf("\nlosses\n");
    for (int i = 0; i < nnd_session_loss_count(s); i++) {
      const char *name;
      double weight;
      double v = nnd_session_loss_term(s, i, &name, &weight);
      printf("  %-*s  %.6g", (int)w, name, v);
      if (weight != 1) printf("  (weight %g)", weight);
      putchar('\n');
    }
    printf("  %-*s  %.6g\n\ngradients\n", (int)w, "total loss", nnd_session_loss(s));
    for (int i = 0; i < m->n_nodes; i++) {
      const nnd_node *n = &m->nodes[i];
      int want = (n->kind == NND_NODE_PARAM && n->trainable) ||
                 (n->kind == NND_NODE_INPUT && n->type.dtype == NND_FLOAT);
      nnd_tensor g;
      if (!want || nnd_session_grad(s, n->name, &g) != 0) continue;
      char label[128];
      snprintf(label, sizeof label, "dL/d%s", n->name);
      char shape[128];
      printf("  %-*s  %-*s  %-16s ", (int)w, label, (int)w_op,
             n->kind == NND_NODE_INPUT ? "input" : "param", dims_str(&g, shape, sizeof shape));
      cli_print_tensor(stdout, &g, 256);
      putchar('\n');
    }
  }
  nnd_session_free(s);
  nnd_model_free(m);
  return status;
}
