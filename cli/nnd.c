/* nnd.c — the `nnd` program: dispatch to a subcommand. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

typedef struct {
  const char *name;
  int (*run)(int argc, char **argv);
} command;

static const command commands[] = {
    {"check", cmd_check},     {"summary", cmd_summary},     {"ir", cmd_ir},
    {"trace", cmd_trace},     {"gradcheck", cmd_gradcheck}, {"plugins", cmd_plugins},
    {"train", cmd_train},     {"eval", cmd_eval},           {"predict", cmd_predict},
    {"sweep", cmd_sweep},     {"plot", cmd_plot},
    {"export", cmd_export},
    {"import", cmd_import},
    {"help", cmd_help},
};

/* Take the global options out of argv, wherever they stand. */
static int take_globals(int *argc, char **argv) {
  int k = 1;
  for (int i = 1; i < *argc; i++) {
    const char *a = argv[i];
    const char *value = NULL;
    int is_dir = 0;
    if (strcmp(a, "--threads") == 0 || strncmp(a, "--threads=", 10) == 0) {
      const char *n = a[9] == '=' ? a + 10 : i + 1 < *argc ? argv[++i] : NULL;
      char *end = NULL;
      long t = n ? strtol(n, &end, 10) : 0;
      if (!n || *end || t < 1 || t > 4096) {
        fprintf(stderr, "nnd: --threads takes a number of threads from 1 to 4096\n");
        return -1;
      }
      /* the one thread pool of the process: OpenMP's, read when the openmp
         and blas plugins load (blas splits its products over it itself) */
      setenv("OMP_NUM_THREADS", n, 1);
      continue;
    }
    if (strcmp(a, "--plugin-dir") == 0 || strcmp(a, "--backend") == 0) {
      if (i + 1 >= *argc) {
        fprintf(stderr, "nnd: %s needs a value\n", a);
        return -1;
      }
      is_dir = a[2] == 'p';
      value = argv[++i];
    } else if (strncmp(a, "--plugin-dir=", 13) == 0) {
      is_dir = 1;
      value = a + 13;
    } else if (strncmp(a, "--backend=", 10) == 0) {
      value = a + 10;
    } else {
      argv[k++] = argv[i];
      continue;
    }
    if (!is_dir) {
      cli_options.backends = value;
    } else if (cli_options.n_plugin_dirs < 16) {
      cli_options.plugin_dirs[cli_options.n_plugin_dirs++] = value;
    } else {
      fprintf(stderr, "nnd: at most 16 --plugin-dir\n");
      return -1;
    }
  }
  *argc = k;
  argv[k] = NULL;
  return 0;
}

int main(int argc, char **argv) {
  /* The blas plugin keeps OpenBLAS single-threaded (it splits products over
     OpenMP's pool itself); saying so before the library loads spares it
     from starting a second pool of idle threads. A user's setting wins. */
  setenv("OPENBLAS_NUM_THREADS", "1", 0);
  if (take_globals(&argc, argv) != 0) return EXIT_USAGE;
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
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
    if (strcmp(commands[i].name, name) != 0) continue;
    /* `nnd COMMAND --help` (or -h) anywhere among its arguments */
    for (int k = 2; k < argc; k++)
      if (strcmp(argv[k], "--help") == 0 || strcmp(argv[k], "-h") == 0) {
        fputs(cli_command_help(name), stdout);
        return EXIT_OK;
      }
    /* plugins first: they may define ops the model uses */
    cli_load_plugins();
    return commands[i].run(argc - 1, argv + 1);
  }
  fprintf(stderr, "nnd: unknown command '%s'\n", name);
  cli_print_overview(stderr);
  return EXIT_USAGE;
}
