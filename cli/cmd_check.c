/* cmd_check.c — `nnd check FILE...`: compile each file, report, nothing else. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

int cmd_check(int argc, char **argv) {
  int quiet = 0, files = 0, status = EXIT_OK;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "-q") == 0 || strcmp(argv[i], "--quiet") == 0) quiet = 1;
    else if (argv[i][0] == '-' && argv[i][1]) return cli_usage_error("check", "unknown option '%s'", argv[i]);
  }
  for (int i = 1; i < argc; i++) {
    if (argv[i][0] == '-' && argv[i][1]) continue;
    files++;
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
