/* cmd_sweep.c — `nnd sweep FILE --set KEY=V1,V2,... [--set ...] [--log-dir D]`:
 * train every combination of the values given (the learning-rate and
 * batch-size studies of the seed problem sets) and print one comparison
 * table; with --log-dir each run's CSV log is kept for `nnd plot`.
 *
 * Started by mpirun, the combinations are spread over the processes (run i
 * on rank i mod N, each a one-process training), and rank 0 prints the
 * table of them all, gathered with one allreduce (runtime/comm.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "comm.h"
#include "ir.h"
#include "output_file.h"
#include "report.h"
#include "train.h"
#include "train_config.h"

#define MAX_AXES 8
#define MAX_VALUES 16
#define MAX_RUNS 4096   /* combinations checked (each compiles the model) */

typedef struct {
  char key[128];
  char *values[MAX_VALUES];
  int n;
} axis;

typedef struct {
  nnd_epoch_stats last;
  double seconds;
  FILE *log;          /* rows of `file`, saved after each epoch */
  cli_log file;
  char log_err[1024];
  volatile int stop;  /* set when the log cannot be saved */
} run_state;

static void on_epoch(const nnd_epoch_stats *e, void *user) {
  run_state *r = user;
  r->last = *e;
  r->seconds += e->seconds;
  if (r->log) {
    cli_log_epoch(r->log, 0, e);
    if (!r->log_err[0] && cli_log_save(&r->file, r->log_err, sizeof r->log_err) != 0)
      r->stop = 1;
  }
}

static void log_path(char *buf, size_t n, const char *log_dir, int index) {
  snprintf(buf, n, "%s/run%d.csv", log_dir, index + 1);
}

/* The model compiled with the values picked by `pick`; on an error *m is
 * NULL and err says which setting (EXIT_USAGE) or the model (EXIT_MODEL). */
static int configured(const char *file, const axis *axes, int n_axes, const int *pick,
                      nnd_model **m, char *err, size_t err_size) {
  if (cli_compile(file, m) != EXIT_OK) {
    snprintf(err, err_size, "%s does not compile", file);
    return EXIT_MODEL;
  }
  for (int k = 0; k < n_axes; k++) {
    char assignment[2400];
    snprintf(assignment, sizeof assignment, "%s=%s", axes[k].key, axes[k].values[pick[k]]);
    if (nnd_train_override(*m, assignment, err, err_size) != 0) {
      nnd_model_free(*m);
      *m = NULL;
      return EXIT_USAGE;
    }
  }
  return EXIT_OK;
}

static void pick_of(int run, const axis *axes, int n_axes, int *pick) {
  for (int k = n_axes - 1; k >= 0; k--) {
    pick[k] = run % axes[k].n;
    run /= axes[k].n;
  }
}

/* KEY=V1,V2,...: the values split at the commas outside brackets and
 * strings, so adam(lr=0.1, beta1=0.8) and [1, 2] are one value each, as in
 * the file. -1 on an empty value or more than MAX_VALUES. */
static int parse_axis(char *spec, axis *a) {
  char *eq = strchr(spec, '=');
  if (!eq || eq == spec || !eq[1]) return -1;
  snprintf(a->key, sizeof a->key, "%.*s", (int)(eq - spec), spec);
  a->n = 0;
  int depth = 0, in_string = 0;
  char *start = eq + 1;
  for (char *p = start;; p++) {
    if (in_string) {
      if (*p == '\\' && p[1]) p++;
      else if (*p == '"') in_string = 0;
      else if (!*p) return -1;
      continue;
    }
    if (*p == '"') in_string = 1;
    else if (*p == '(' || *p == '[') depth++;
    else if ((*p == ')' || *p == ']') && depth > 0) depth--;
    else if ((*p == ',' && depth == 0) || !*p) {
      int end = !*p;
      *p = '\0';
      if (!*start || a->n == MAX_VALUES) return -1;
      a->values[a->n++] = start;
      start = p + 1;
      if (end) break;
    }
  }
  return 0;
}

/* One training run with the values picked by `pick`; returns its status. */
static int one_run(const char *file, const axis *axes, int n_axes, const int *pick,
                   const char *log_dir, int index, run_state *r, char *err, size_t err_size) {
  memset(r, 0, sizeof *r);
  nnd_model *m = NULL;
  int status = configured(file, axes, n_axes, pick, &m, err, err_size);
  if (status != EXIT_OK) return status;
  char path[1024]; /* the log keeps a pointer to it until cli_log_close */
  if (log_dir) {
    log_path(path, sizeof path, log_dir, index);
    if (cli_log_open(&r->file, "--log-dir file", path, 0, NND_LOG_HEADER, err, err_size) != 0)
      status = EXIT_MODEL;
    r->log = r->file.mem;
  }
  nnd_session *s = NULL;
  /* training never reads the gradients of the inputs */
  nnd_session_options so = {.size = sizeof so, .backends = cli_options.backends,
                            .no_input_grads = 1};
  if (status == EXIT_OK && nnd_session_new(m, &so, &s, err, err_size) != 0) status = EXIT_MODEL;
  if (status == EXIT_OK) {
    nnd_train_options o = {NULL, NULL, NULL, on_epoch, r, &r->stop, 1, 0};
    if (nnd_train(s, m, &o, err, err_size) != 0) status = EXIT_MODEL;
    if (r->log_err[0]) snprintf(err, err_size, "%s", r->log_err), status = EXIT_MODEL;
  }
  cli_log_close(&r->file);
  nnd_session_free(s);
  nnd_model_free(m);
  return status;
}

/* Everything that can be known before training: every combination's
 * settings, the log directory and its files. A mistake in the last value
 * of a list is found before the first run rather than after it. */
static int check_all(const char *file, const axis *axes, int n_axes, int total,
                     const char *log_dir) {
  char err[2048];
  struct stat st;
  if (log_dir && stat(log_dir, &st) == 0 && !S_ISDIR(st.st_mode))
    return cli_usage_error("sweep", "--log-dir %s: not a directory", log_dir);
  for (int run = 0; run < total; run++) {
    int pick[MAX_AXES];
    pick_of(run, axes, n_axes, pick);
    nnd_model *m = NULL;
    int rc = configured(file, axes, n_axes, pick, &m, err, sizeof err);
    nnd_model_free(m);
    if (rc == EXIT_MODEL) return EXIT_MODEL; /* its diagnostics are printed */
    if (rc != EXIT_OK) return cli_usage_error("sweep", "run %d: %s", run + 1, err);
    if (log_dir) {
      char path[1024];
      log_path(path, sizeof path, log_dir, run);
      nnd_path_use uses[] = {{"the model file", file, 0, 0}, {"--log-dir file", path, 1, 0}};
      if (nnd_paths_distinct(uses, 2, err, sizeof err) != 0 ||
          nnd_output_check("--log-dir file", path, err, sizeof err) != 0)
        return cli_usage_error("sweep", "%s", err);
    }
  }
  /* made only when every run can start, so a refused sweep leaves nothing */
  if (log_dir && stat(log_dir, &st) != 0 && mkdir(log_dir, 0777) != 0 && errno != EEXIST)
    return cli_usage_error("sweep", "--log-dir %s: cannot create it: %s", log_dir,
                           strerror(errno));
  return EXIT_OK;
}

/* A run's row of the table, as the doubles the ranks' allreduce carries. */
enum { ROW_DONE, ROW_STATUS, ROW_TRAIN_LOSS, ROW_TRAIN_ACC, ROW_HELD, ROW_HELD_LOSS,
       ROW_HELD_ACC, ROW_SECONDS, ROW_N };

static void row_of(int rc, const run_state *r, double *row) {
  memset(row, 0, ROW_N * sizeof *row);
  row[ROW_DONE] = 1;
  row[ROW_STATUS] = rc;
  if (rc != EXIT_OK) return;
  row[ROW_TRAIN_LOSS] = r->last.train_loss;
  row[ROW_TRAIN_ACC] = r->last.train_accuracy;
  /* settings are compared on the validation split when the model holds
     one out (tuning on the test set would leak it), else on the test set */
  row[ROW_HELD] = r->last.has_val || r->last.has_test;
  row[ROW_HELD_LOSS] = r->last.has_val ? r->last.val_loss : r->last.test_loss;
  row[ROW_HELD_ACC] = r->last.has_val ? r->last.val_accuracy : r->last.test_accuracy;
  row[ROW_SECONDS] = r->seconds;
}

static void print_row(int run, const axis *axes, int n_axes, const double *row) {
  int pick[MAX_AXES];
  pick_of(run, axes, n_axes, pick);
  printf("%-4d", run + 1);
  for (int k = 0; k < n_axes; k++) printf("  %-14s", axes[k].values[pick[k]]);
  if (row[ROW_STATUS] != EXIT_OK) {
    printf("  failed\n");
  } else {
    printf("  %10.4f %9.4f", row[ROW_TRAIN_LOSS], row[ROW_TRAIN_ACC]);
    if (row[ROW_HELD]) printf(" %10.4f %9.4f", row[ROW_HELD_LOSS], row[ROW_HELD_ACC]);
    else printf(" %10s %9s", "-", "-");
    printf(" %8.1f\n", row[ROW_SECONDS]);
  }
  fflush(stdout);
}

static int sweep_main(int argc, char **argv, nnd_comm *c) {
  const char *file = NULL, *log_dir = NULL;
  axis axes[MAX_AXES];
  int n_axes = 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--set") == 0 && i + 1 < argc) {
      if (n_axes == MAX_AXES) return cli_usage_error("sweep", "at most %d --set", MAX_AXES);
      if (parse_axis(argv[++i], &axes[n_axes]) != 0)
        return cli_usage_error("sweep", "--set takes KEY=V1,V2,... (at most %d values), got "
                               "'%s'", MAX_VALUES, argv[i]);
      n_axes++;
    } else if (strcmp(argv[i], "--log-dir") == 0 && i + 1 < argc) {
      log_dir = argv[++i];
    } else if (argv[i][0] == '-') {
      return cli_usage_error("sweep", "unknown option or missing value: '%s'", argv[i]);
    } else if (file) {
      return cli_usage_error("sweep", "expected one model file");
    } else {
      file = argv[i];
    }
  }
  if (!file || n_axes == 0) return cli_usage_error("sweep", "expected a model file and --set");
  int pick[MAX_AXES] = {0}, total = 1, status = EXIT_OK;
  for (int k = 0; k < n_axes; k++) {
    if ((long long)total * axes[k].n > MAX_RUNS)
      return cli_usage_error("sweep", "more than %d combinations", MAX_RUNS);
    total *= axes[k].n;
  }
  int checked = check_all(file, axes, n_axes, total, log_dir);
  if (checked != EXIT_OK) return checked;
  int dist = c->n_ranks > 1, lead = c->rank == 0;
  if (dist && lead)
    printf("sweeping %d runs on %d processes on %d host%s\n", total, c->n_ranks, c->n_hosts,
           c->n_hosts == 1 ? "" : "s");
  if (lead) {
    printf("%-4s", "run");
    for (int k = 0; k < n_axes; k++) printf("  %-14s", axes[k].key);
    /* held out: the validation split when there is one, else the test set */
    printf("  %10s %9s %10s %9s %8s\n", "train loss", "train acc", "held loss", "held acc",
           "seconds");
    fflush(stdout);
  }
  double *rows = calloc((size_t)total * ROW_N, sizeof *rows);
  if (!rows) return cli_error("sweep", "out of memory"), EXIT_MODEL;
  for (int run = c->rank; run < total; run += c->n_ranks) {
    pick_of(run, axes, n_axes, pick);
    run_state r;
    char err[2048] = "";
    int rc = one_run(file, axes, n_axes, pick, log_dir, run, &r, err, sizeof err);
    row_of(rc, &r, rows + (size_t)run * ROW_N);
    if (!dist) print_row(run, axes, n_axes, rows + (size_t)run * ROW_N);
    if (rc != EXIT_OK) {
      /* the table goes on; why this run failed is an error, on stderr */
      char what[96];
      if (dist)
        snprintf(what, sizeof what, "sweep: run %d (rank %d, host %s)", run + 1, c->rank,
                 c->host(c, c->rank));
      else
        snprintf(what, sizeof what, "sweep: run %d", run + 1);
      cli_error(what, err);
      if (status == EXIT_OK) status = rc;
    }
  }
  if (dist) {
    /* every rank's rows (zeros where another rank ran) add up to the table */
    char err[1024];
    if (c->sum_doubles(c, rows, (size_t)total * ROW_N, err, sizeof err) != 0) {
      cli_error("sweep", err);
      free(rows);
      c->abort(c, EXIT_MODEL);
    }
    status = EXIT_OK;
    for (int run = 0; run < total; run++) {
      const double *row = rows + (size_t)run * ROW_N;
      if (lead) print_row(run, axes, n_axes, row);
      if (row[ROW_STATUS] != EXIT_OK && status == EXIT_OK) status = (int)row[ROW_STATUS];
    }
  }
  free(rows);
  return status;
}

int cmd_sweep(int argc, char **argv) {
  nnd_comm *c = NULL;
  char err[1024];
  if (nnd_comm_open(&c, err, sizeof err) != 0) {
    cli_error("sweep", err);
    return EXIT_MODEL;
  }
  int status = sweep_main(argc, argv, c);
  c->close(c);
  return status;
}
