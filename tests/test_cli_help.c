/* test_cli_help.c — what a new user tries first: `nnd COMMAND --help` for
 * every command, `nnd help NAME` for every name a model can use (from the
 * schemas the compiler checks), and `nnd check --json` for editors. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registry.h"
#include "tests.h"
#include "train_config.h"

/* The lines of `nnd help --list WHAT`, as one string. */
static char *list(const char *what) {
  char args[256];
  int st;
  snprintf(args, sizeof args, "help --list %s", what);
  char *out = run_nnd(args, &st);
  CU_ASSERT_EQUAL(st, 0);
  return out;
}

static void test_every_command_has_help(void) {
  char *names = list("commands");
  CU_ASSERT_PTR_NOT_NULL_FATAL(names);
  int n = 0;
  for (char *save = NULL, *cmd = strtok_r(names, "\n", &save); cmd;
       cmd = strtok_r(NULL, "\n", &save), n++) {
    const char *flags[] = {"--help", "-h"};
    for (int f = 0; f < 2; f++) {
      char args[256], want[64];
      int st;
      /* the flag wins over whatever else is on the line */
      snprintf(args, sizeof args, "%s %s models/no_such.nnd --bogus", cmd, flags[f]);
      char *out = run_nnd(args, &st);
      snprintf(want, sizeof want, "usage: nnd %s", cmd);
      CU_ASSERT_EQUAL(st, 0);
      CU_ASSERT_PTR_NOT_NULL(out && strstr(out, want) == out);
      if (st != 0 || !out || strstr(out, want) != out)
        fprintf(stderr, "\n`nnd %s` exited %d: %.200s\n", args, st, out ? out : "");
      free(out);
    }
  }
  CU_ASSERT(n >= 12); /* check ... help: every command of nnd(1) */
  free(names);
}

/* Every name of every group resolves with `nnd help NAME`, and the text is
 * the schema's: each argument is listed with its doc line. */
static void test_help_knows_every_name(void) {
  nnd_registry_init_standard();
  int checked = 0;
  for (int i = 0; i < nnd_registry_call_count(); i++) {
    const nnd_call_schema *c = nnd_registry_call_at(i, NULL);
    char args[256], head[256];
    int st;
    snprintf(args, sizeof args, "help %s", c->name);
    char *out = run_nnd(args, &st);
    snprintf(head, sizeof head, "%s (%s)", c->name, nnd_call_kind_name(c->kind));
    CU_ASSERT_EQUAL(st, 0);
    CU_ASSERT_PTR_NOT_NULL(out && strstr(out, head));
    for (int a = 0; a < c->n_attrs; a++)
      CU_ASSERT_PTR_NOT_NULL(out && strstr(out, c->attrs[a].doc ? c->attrs[a].doc : ""));
    free(out);
    checked++;
  }
  CU_ASSERT(checked >= 12); /* initializers, optimizers, data sources, schedules */
  const nnd_attr_sig *sig = nnd_train_signature();
  for (int i = 0; i < sig->n_specs; i++) {
    char args[256];
    int st;
    snprintf(args, sizeof args, "help %s", sig->specs[i].name);
    char *out = run_nnd(args, &st);
    CU_ASSERT_EQUAL(st, 0);
    CU_ASSERT_PTR_NOT_NULL(out && strstr(out, "(train setting)"));
    free(out);
  }
}

static void test_help_numbers(void) {
  int st;
  char *out = run_nnd("help sgd", &st);
  CU_ASSERT_EQUAL(st, 0);
  /* lr's range and default, momentum's half-open range, from the schema */
  CU_ASSERT_PTR_NOT_NULL(out && strstr(out, "number, (0, inf), default 0.01; may be given by position"));
  CU_ASSERT_PTR_NOT_NULL(out && strstr(out, "number, [0, 1), default 0\n"));
  free(out);
  out = run_nnd("help batch", &st);
  CU_ASSERT_PTR_NOT_NULL(out && strstr(out, "integer, [1, 1048576], default 32"));
  free(out);
  out = run_nnd("help xavier", &st);
  CU_ASSERT_PTR_NOT_NULL(out && strstr(out, "one of uniform|normal, default uniform"));
  free(out);
  out = run_nnd("help optimizers", &st);
  CU_ASSERT_EQUAL(st, 0);
  CU_ASSERT_PTR_NOT_NULL(out && strstr(out, "adam") && strstr(out, "rmsprop"));
  free(out);
  out = run_nnd("help", &st);
  CU_ASSERT_EQUAL(st, 0);
  for (const char *g = "commands\0ops\0optimizers\0initializers\0data\0schedules\0train\0"; *g;
       g += strlen(g) + 1) {
    char want[64];
    snprintf(want, sizeof want, "\n  %-14s", g);
    CU_ASSERT_PTR_NOT_NULL(out && strstr(out, want));
  }
  free(out);
  out = run_nnd("help sgdd", &st);
  CU_ASSERT_EQUAL(st, 2);
  CU_ASSERT_PTR_NOT_NULL(out && strstr(out, "did you mean 'sgd'?"));
  free(out);
}

/* A plugin's op is documented like a builtin one. */
static void test_help_of_a_plugin_op(void) {
  int st;
  char args[1024];
  snprintf(args, sizeof args, "--plugin-dir '%s/tests/plugins/.libs' help swish",
           NND_TEST_BUILDDIR);
  char *out = run_nnd(args, &st);
  CU_ASSERT_EQUAL(st, 0);
  CU_ASSERT_PTR_NOT_NULL(out && strstr(out, "acme.swish (op)"));
  CU_ASSERT_PTR_NOT_NULL(out && strstr(out, "beta"));
  free(out);
}

static void test_check_json(void) {
  int st;
  char *out = run_nnd("check --json tests/data/bad_shape.nnd tests/data/typo_op.nnd "
                      "models/fashion_mlp.nnd", &st);
  CU_ASSERT_EQUAL(st, 1);
  CU_ASSERT_PTR_NOT_NULL_FATAL(out);
  int n = 0, with_suggestion = 0;
  for (char *save = NULL, *line = strtok_r(out, "\n", &save); line;
       line = strtok_r(NULL, "\n", &save), n++) {
    json_error_t e;
    json_t *o = json_loads(line, 0, &e);
    CU_ASSERT_PTR_NOT_NULL(o);
    if (!o) {
      fprintf(stderr, "\nnot JSON: %s\n", line);
      continue;
    }
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(o, "severity")), "error");
    CU_ASSERT(json_is_string(json_object_get(o, "message")));
    json_int_t col = json_integer_value(json_object_get(o, "column"));
    json_int_t end = json_integer_value(json_object_get(o, "end_column"));
    CU_ASSERT(json_integer_value(json_object_get(o, "line")) > 0);
    CU_ASSERT(col > 0 && end >= col);
    json_t *s = json_object_get(o, "suggestion");
    CU_ASSERT(json_is_null(s) || json_is_string(s));
    if (json_is_string(s)) with_suggestion++;
    const char *file = json_string_value(json_object_get(o, "file"));
    if (n == 0) { /* bad_shape.nnd:4:10, `dense(` underlined */
      CU_ASSERT_STRING_EQUAL(file, "tests/data/bad_shape.nnd");
      CU_ASSERT_EQUAL(json_integer_value(json_object_get(o, "line")), 4);
      CU_ASSERT_EQUAL(col, 10);
      CU_ASSERT_EQUAL(end, 14);
    }
    json_decref(o);
  }
  CU_ASSERT_EQUAL(n, 2); /* one per bad file; the good one prints nothing */
  CU_ASSERT_EQUAL(with_suggestion, 1);
  free(out);
}

void test_cli_help_register(void) {
  CU_pSuite s = CU_add_suite("cli help and diagnostics for tools", NULL, NULL);
  CU_add_test(s, "every command answers --help and -h", test_every_command_has_help);
  CU_add_test(s, "help knows every call and train setting", test_help_knows_every_name);
  CU_add_test(s, "help shows ranges and defaults from the schemas", test_help_numbers);
  CU_add_test(s, "help documents a plugin's op", test_help_of_a_plugin_op);
  CU_add_test(s, "check --json prints one object per diagnostic", test_check_json);
}
