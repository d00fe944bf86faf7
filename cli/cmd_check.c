/* cmd_check.c — `nnd check FILE...`: compile each file, report, nothing else.
 * With --json the diagnostics go to stdout as JSON lines, for editors and CI. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static int check_json(const char *path) {
  nnd_model *m = NULL;
  nnd_diag_list *d = NULL;
  int rc = nnd_compile_file(path, &m, &d);
  char *text = d ? nnd_diag_render_json(d) : NULL;
  if (text) fputs(text, stdout);
  else if (d || rc != 0) fprintf(stderr, "%s: error: out of memory\n", path);
  free(text);
  nnd_diag_list_free(d);
  nnd_model_free(m);
  return rc == 0 ? EXIT_OK : EXIT_MODEL;
}

int cmd_check(int argc, char **argv) {
  int quiet = 0, json = 0, files = 0, status = EXIT_OK;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "-q") == 0 || strcmp(argv[i], "--quiet") == 0) quiet = 1;
    else if (strcmp(argv[i], "--json") == 0) json = 1;
    else if (argv[i][0] == '-' && argv[i][1]) return cli_usage_error("check", "unknown option '%s'", argv[i]);
  }
  for (int i = 1; i < argc; i++) {
    if (argv[i][0] == '-' && argv[i][1]) continue;
    files++;
    if (json) {
      if (check_json(argv[i]) != EXIT_OK) status = EXIT_MODEL;
      continue;
    }
    nnd_model *m = NULL;
    if (cli_compile(argv[i], &m) != EXIT_OK) {
      status = EXIT_MODEL;
      continue;
    }
    if (!quiet) printf("%s: ok (%d nodes)\n", argv[i], nnd_model_node_count(m));
    nnd_model_free(m);
  }
  if (files == 0) return cli_usage_error("check", "no model file given");
  return status;
}
