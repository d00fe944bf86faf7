/* cmd_sweep.c — `nnd sweep FILE --set KEY=V1,V2,... [--set ...] [--log-dir D]`:
 * train every combination of the values given (the learning-rate and
 * batch-size studies of the seed problem sets) and print one comparison
 * table; with --log-dir each run's CSV log is kept for `nnd plot`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "ir.h"
#include "report.h"
#include "train.h"
#include "train_config.h"

#define MAX_AXES 8
#define MAX_VALUES 16

typedef struct {
  char key[128];
  char *values[MAX_VALUES];
  int n;
} axis;

typedef struct {
  nnd_epoch_stats last;
  double seconds;
  FILE *log;
} run_state;

static void on_epoch(const nnd_epoch_stats *e, void *user) {
  run_state *r = user;
  r->last = *e;
  r->seconds += e->seconds;
  if (r->log) cli_log_epoch(r->log, 0, e);
}

static int parse_axis(char *spec, axis *a) {
  char *eq = strchr(spec, '=');
  if (!eq || eq == spec || !eq[1]) return -1;
  snprintf(a->key, sizeof a->key, "%.*s", (int)(eq - spec), spec);
  a->n = 0;
  for (char *save = NULL, *v = strtok_r(eq + 1, ",", &save); v && a->n < MAX_VALUES;
       v = strtok_r(NULL, ",", &save))
    a->values[a->n++] = v;
  return a->n > 0 ? 0 : -1;
}

/* One training run with the values picked by `pick`; returns its status. */
static int one_run(const char *file, const axis *axes, int n_axes, const int *pick,
                   const char *log_dir, int index, run_state *r, char *err, size_t err_size) {
  nnd_model *m = NULL;
  if (cli_compile(file, &m) != EXIT_OK) return EXIT_MODEL;
  int status = EXIT_OK;
  for (int k = 0; k < n_axes && status == EXIT_OK; k++) {
    char assignment[2400];
    snprintf(assignment, sizeof assignment, "%s=%s", axes[k].key, axes[k].values[pick[k]]);
    if (nnd_train_override(m, assignment, err, err_size) != 0) status = EXIT_USAGE;
  }
  memset(r, 0, sizeof *r);
  if (status == EXIT_OK && log_dir) {
    char path[1024];
    snprintf(path, sizeof path, "%s/run%d.csv", log_dir, index + 1);
    r->log = fopen(path, "w");
    if (!r->log) {
      snprintf(err, err_size, "cannot write %s", path);
      status = EXIT_USAGE;
    } else {
      fprintf(r->log, "%s\n", NND_LOG_HEADER);
    }
  }
  nnd_session *s = NULL;
  /* training never reads the gradients of the inputs */
  nnd_session_options so = {.size = sizeof so, .backends = cli_options.backends,
                            .no_input_grads = 1};
  if (status == EXIT_OK && nnd_session_new(m, &so, &s, err, err_size) != 0) status = EXIT_MODEL;
  if (status == EXIT_OK) {
    nnd_train_options o = {NULL, NULL, NULL, on_epoch, r, NULL, 1, 0};
    if (nnd_train(s, m, &o, err, err_size) != 0) status = EXIT_MODEL;
  }
  if (r->log) fclose(r->log);
  nnd_session_free(s);
  nnd_model_free(m);
  return status;
}

int cmd_sweep(int argc, char **argv) {
  const char *file = NULL, *log_dir = NULL;
  axis axes[MAX_AXES];
  int n_axes = 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--set") == 0 && i + 1 < argc) {
      if (n_axes == MAX_AXES) return cli_usage_error("sweep", "at most %d --set", MAX_AXES);
      if (parse_axis(argv[++i], &axes[n_axes]) != 0)
        return cli_usage_error("sweep", "--set takes KEY=V1,V2,..., got '%s'", argv[i]);
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
  if (log_dir) mkdir(log_dir, 0777);
  int pick[MAX_AXES] = {0}, total = 1, status = EXIT_OK;
  for (int k = 0; k < n_axes; k++) total *= axes[k].n;
  printf("%-4s", "run");
  for (int k = 0; k < n_axes; k++) printf("  %-14s", axes[k].key);
  /* held out: the validation split when there is one, else the test set */
  printf("  %10s %9s %10s %9s %8s\n", "train loss", "train acc", "held loss", "held acc",
         "seconds");
  for (int run = 0; run < total; run++) {
    int rest = run;
    for (int k = n_axes - 1; k >= 0; k--) {
      pick[k] = rest % axes[k].n;
      rest /= axes[k].n;
    }
    run_state r;
    char err[2048] = "";
    int rc = one_run(file, axes, n_axes, pick, log_dir, run, &r, err, sizeof err);
    printf("%-4d", run + 1);
    for (int k = 0; k < n_axes; k++) printf("  %-14s", axes[k].values[pick[k]]);
    if (rc != EXIT_OK) {
      printf("  failed: %s\n", err);
      if (status == EXIT_OK) status = rc;
      continue;
    }
    printf("  %10.4f %9.4f", r.last.train_loss, r.last.train_accuracy);
    /* settings are compared on the validation split when the model holds
       one out (tuning on the test set would leak it), else on the test set */
    if (r.last.has_val) printf(" %10.4f %9.4f", r.last.val_loss, r.last.val_accuracy);
    else if (r.last.has_test) printf(" %10.4f %9.4f", r.last.test_loss, r.last.test_accuracy);
    else printf(" %10s %9s", "-", "-");
    printf(" %8.1f\n", r.seconds);
    fflush(stdout);
  }
  return status;
}
