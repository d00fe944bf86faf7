/* cli.h — what the subcommands of the `nnd` program share. The CLI is the
 * only part of nnd that prints or exits. */
#ifndef NND_CLI_H
#define NND_CLI_H

#include <stdio.h>

#include <nnd/nnd.h>

enum { EXIT_OK = 0, EXIT_MODEL = 1, EXIT_USAGE = 2 };

/* Compile a file, printing its diagnostics to stderr. Returns EXIT_OK with
 * *model set, or EXIT_MODEL. */
int cli_compile(const char *path, nnd_model **model);

/* Print "nnd CMD: MESSAGE" to stderr, the message escaped as diagnostics
 * are (it may quote input). */
void cli_error(const char *cmd, const char *message);
/* Print a usage error for cmd to stderr and return EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* "421,642" */
const char *cli_thousands(long long n, char *buf, size_t size);

/* Global options, valid with every command and removed from argv by main:
 * --plugin-dir DIR (repeatable) and --backend LIST. */
typedef struct {
  const char *plugin_dirs[16];
  int n_plugin_dirs;
  const char *backends;
} cli_globals;
extern cli_globals cli_options;

/* Load plugins from --plugin-dir, then (for an nnd run from its build tree)
 * the plugins built beside it, then NND_PLUGIN_PATH and the installed
 * directory. */
void cli_load_plugins(void);

/* Print a tensor as nested lists, %.6g, at most `limit` numbers (0: all). */
void cli_print_tensor(FILE *out, const nnd_tensor *t, int64_t limit);

/* A training log kept in memory and rewritten whole and atomically by
 * cli_log_save (log_file.c). `mem` is where rows go. */
typedef struct {
  const char *role, *path;
  FILE *mem;
  char *buf;
  size_t len;
} cli_log;
/* Check the target, start with the existing file (keep_existing, a resumed
 * run) or the header line, and write it once. err: "ROLE PATH: why". */
int cli_log_open(cli_log *l, const char *role, const char *path, int keep_existing,
                 const char *header, char *err, size_t err_size);
int cli_log_save(cli_log *l, char *err, size_t err_size);
void cli_log_close(cli_log *l);

/* One epoch of a training log: a CSV row (header NND_LOG_HEADER of report.h)
 * or a JSON line with the same keys, where NaN is null. */
void cli_log_epoch(FILE *log, int jsonl, const void *epoch_stats);
/* A number as a JSON member: `sep"key": value`, null when not finite. */
void cli_json_num(FILE *f, const char *key, double v, const char *sep);

/* Weights saved by another model of the same names and shapes are legal (transfer
 * learning) but usually a mistake: say so on stderr, naming both models. */
struct nnd_checkpoint;
void cli_warn_other_model(const char *cmd, const char *weights,
                          const struct nnd_checkpoint *checkpoint, const char *model_name);

/* The name of class k of a class input (its label, else the index). */
const char *cli_class_name(const void *target_node, int k, char *buf, size_t n);

/* Fill every input the model gives no value with seeded random data
 * (floats in [-1, 1), class indices, 0/1 targets). */
int cli_random_inputs(const nnd_model *m, nnd_session *s, uint64_t seed);

int cmd_check(int argc, char **argv);
int cmd_trace(int argc, char **argv);
int cmd_gradcheck(int argc, char **argv);
int cmd_plugins(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_predict(int argc, char **argv);
int cmd_sweep(int argc, char **argv);
int cmd_plot(int argc, char **argv);
int cmd_summary(int argc, char **argv);
int cmd_ir(int argc, char **argv);
int cmd_help(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_import(int argc, char **argv);

/* The help text of one command, or NULL when there is no such command. */
const char *cli_command_help(const char *name);
void cli_print_overview(FILE *out);

#endif
