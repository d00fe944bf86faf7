/* cmd_ir.c — `nnd ir FILE`: the IR in its stable text form. */
#include <stdio.h>

#include "cli.h"
#include "ir_dump.h"

int cmd_ir(int argc, char **argv) {
  if (argc != 2 || argv[1][0] == '-')
    return cli_usage_error("ir", "expected exactly one model file");
  nnd_model *m = NULL;
  if (cli_compile(argv[1], &m) != EXIT_OK) return EXIT_MODEL;
  nnd_ir_dump(m, stdout);
  nnd_model_free(m);
  return EXIT_OK;
}
