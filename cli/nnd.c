/* nnd.c — the `nnd` program: dispatch to a subcommand. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

typedef struct {
  const char *name;
  int (*run)(int argc, char **argv);
} command;

static const command commands[] = {
    {"check", cmd_check},
    {"summary", cmd_summary},
    {"ir", cmd_ir},
    {"help", cmd_help},
};

int main(int argc, char **argv) {
  if (argc < 2) {
    cli_print_overview(stderr);
    return EXIT_USAGE;
  }
  const char *name = argv[1];
  if (strcmp(name, "--version") == 0 || strcmp(name, "-V") == 0) {
    printf("nnd %s\n", nnd_version());
    return EXIT_OK;
  }
  if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0) {
    cli_print_overview(stdout);
    return EXIT_OK;
  }
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    if (strcmp(commands[i].name, name) == 0) return commands[i].run(argc - 1, argv + 1);
  fprintf(stderr, "nnd: unknown command '%s'\n", name);
  cli_print_overview(stderr);
  return EXIT_USAGE;
}
