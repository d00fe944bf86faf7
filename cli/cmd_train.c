/* cmd_train.c — `nnd train FILE`: train on the model's data, report each
 * epoch, keep a checkpoint, and on Ctrl-C save and exit cleanly.
 *
 * On a terminal a live progress line on stderr (done/total, samples/s,
 * elapsed<remaining, running loss); otherwise one plain line per epoch.
 *
 * Started by mpirun, it trains data-parallel (runtime/comm.h): every rank
 * runs this, rank 0 alone prints, logs and writes the checkpoint, and a
 * failure of one rank ends every rank (comm->abort) with a message naming
 * the rank and its host. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "comm.h"
#include "ir.h"
#include "output_file.h"
#include "report.h"
#include "train.h"
#include "train_config.h"

/* Set by SIGINT/SIGTERM; the loop saves a checkpoint and returns. (An int
 * is what sig_atomic_t is on the systems nnd runs on.) */
static volatile int stop_requested;

static void on_signal(int sig) {
  (void)sig;
  stop_requested = 1;
}

typedef struct {
  int tty;
  FILE *log;      /* the rows of `file`, saved after each epoch */
  cli_log file;
  int jsonl;      /* JSON lines instead of CSV */
  int steps;      /* a JSON line per step too (--log-steps) */
  char log_err[1024];  /* why the log could not be saved; training stops */
} report;

static void fmt_time(double s, char *buf, size_t n) {
  int t = (int)(s + 0.5);
  if (t >= 3600) snprintf(buf, n, "%d:%02d:%02d", t / 3600, t / 60 % 60, t % 60);
  else snprintf(buf, n, "%02d:%02d", t / 60, t % 60);
}

static void on_progress(const nnd_train_progress *p, void *user) {
  const report *r = user;
  if (r->log && r->steps) {
    fprintf(r->log, "{\"epoch\": %d, \"step\": %lld", p->epoch, (long long)p->step);
    cli_json_num(r->log, "loss", p->loss, ", ");
    fprintf(r->log, ", \"samples\": %lld}\n", (long long)p->samples);
  }
  if (!r->tty) return;
  double rate = p->seconds > 0 ? (double)p->samples / p->seconds : 0;
  double left = p->step > 0 ? p->seconds * (double)(p->steps - p->step) / (double)p->step : 0;
  char el[16], rem[16], bar[31];
  fmt_time(p->seconds, el, sizeof el);
  fmt_time(left, rem, sizeof rem);
  int filled = (int)(30 * p->step / (p->steps ? p->steps : 1));
  for (int i = 0; i < 30; i++) bar[i] = i < filled ? '#' : '.';
  bar[30] = '\0';
  fprintf(stderr, "\r\033[Kepoch %d/%d [%s] %lld/%lld  %.0f samples/s  %s<%s  loss %.4f",
          p->epoch, p->epochs, bar, (long long)p->step, (long long)p->steps, rate, el, rem,
          p->loss);
  fflush(stderr);
}

static void on_epoch(const nnd_epoch_stats *e, void *user) {
  report *r = user;
  if (r->tty) fprintf(stderr, "\r\033[K");
  printf("epoch %d/%d  lr %.4g  train loss %.4f acc %.4f", e->epoch, e->epochs, e->lr,
         e->train_loss, e->train_accuracy);
  if (e->has_val) printf("  val loss %.4f acc %.4f", e->val_loss, e->val_accuracy);
  if (e->has_test) printf("  test loss %.4f acc %.4f", e->test_loss, e->test_accuracy);
  printf("  %.1f s\n", e->seconds);
  /* what the processes' one allreduce a step cost, for the cost model of
     README's "Training on several machines" */
  if (e->ranks > 1 && e->steps > 0)
    printf("  allreduce: %lld floats over %d processes, %.3f ms a step (%lld steps), %.1f%% "
           "of the epoch\n", (long long)e->comm_floats, e->ranks,
           1e3 * e->comm_seconds / (double)e->steps, (long long)e->steps,
           e->seconds > 0 ? 100 * e->comm_seconds / e->seconds : 0.0);
  fflush(stdout);
  if (r->log) {
    cli_log_epoch(r->log, r->jsonl, e);
    /* a log that cannot be written stops the run (with its checkpoint saved)
       rather than training on without the record the user asked for */
    if (!r->log_err[0] && cli_log_save(&r->file, r->log_err, sizeof r->log_err) != 0)
      stop_requested = 1;
  }
}

/* The training command on communicator c; *local is set when a failure is
 * this rank's alone (the others may wait for it and must be stopped). */
static int train_main(int argc, char **argv, nnd_comm *c, int *local) {
  int lead = c->rank == 0;
  *local = 1;
  const char *file = NULL, *checkpoint = NULL, *resume = NULL, *log = NULL;
  const char *weights = NULL; /* initial weights (an `nnd import`'s), not a resume */
  const char *sets[32];
  int n_sets = 0, log_steps = 0, overwrite = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    int has = i + 1 < argc;
    if (strcmp(a, "--checkpoint") == 0 && has) checkpoint = argv[++i];
    else if (strcmp(a, "--resume") == 0 && has) resume = argv[++i];
    else if (strcmp(a, "--weights") == 0 && has) weights = argv[++i];
    else if (strcmp(a, "--log") == 0 && has) log = argv[++i];
    else if (strcmp(a, "--log-steps") == 0) log_steps = 1;
    else if (strcmp(a, "--overwrite") == 0) overwrite = 1;
    else if (strcmp(a, "--set") == 0 && has && n_sets < 32) sets[n_sets++] = argv[++i];
    else if (a[0] == '-') return cli_usage_error("train", "unknown option or missing value: '%s'", a);
    else if (file) return cli_usage_error("train", "expected one model file");
    else file = a;
  }
  if (!file) return cli_usage_error("train", "expected a model file");
  if (weights && resume) return cli_usage_error("train", "--weights starts a new run; --resume continues one: give one of them");
  nnd_model *m = NULL;
  if (cli_compile(file, &m) != EXIT_OK) return EXIT_MODEL;
  char err[2048];
  for (int i = 0; i < n_sets; i++)
    if (nnd_train_override(m, sets[i], err, sizeof err) != 0) {
      nnd_model_free(m);
      return cli_usage_error("train", "%s", err);
    }
  char default_ckpt[512];
  if (!checkpoint) {
    snprintf(default_ckpt, sizeof default_ckpt, "%s.safetensors", m->name);
    checkpoint = default_ckpt;
  }
  size_t log_len = log ? strlen(log) : 0;
  report r;
  memset(&r, 0, sizeof r);
  r.tty = lead && isatty(fileno(stderr));
  r.jsonl = log_len > 6 && strcmp(log + log_len - 6, ".jsonl") == 0;
  r.steps = log_steps;
  if (log_steps && !r.jsonl) {
    nnd_model_free(m);
    return cli_usage_error("train", "--log-steps needs a JSON-lines log (--log FILE.jsonl)");
  }
  /* no output may be one of the inputs or the other output; the checkpoint
     resumed from is rewritten in place, which is what --resume means */
  nnd_path_use uses[] = {{"the model file", file, 0, 0}, {"--resume", resume, 0, 1},
                         {"--checkpoint", checkpoint, 1, 1}, {"--log", log, 1, 0}};
  if (nnd_paths_distinct(uses, 4, err, sizeof err) != 0 ||
      nnd_output_check("--checkpoint", checkpoint, err, sizeof err) != 0) {
    nnd_model_free(m);
    return cli_usage_error("train", "%s", err);
  }
  /* a resumed run continues its log rather than erasing the epochs before */
  int appending = resume && log && access(log, F_OK) == 0;
  if (log && lead) {
    if (cli_log_open(&r.file, "--log", log, appending, r.jsonl ? NULL : NND_LOG_HEADER, err,
                     sizeof err) != 0) {
      cli_log_close(&r.file);
      nnd_model_free(m);
      return cli_usage_error("train", "%s", err);
    }
    r.log = r.file.mem;
  }
  nnd_session *s = NULL;
  /* training never reads the gradients of the inputs */
  nnd_session_options so = {.size = sizeof so, .backends = cli_options.backends,
                            .no_input_grads = 1};
  int status = EXIT_OK;
  if (nnd_session_new(m, &so, &s, err, sizeof err) != 0 ||
      (weights && !resume && nnd_session_load(s, weights, 0, NULL, err, sizeof err) != 0)) {
    cli_error("train", err);
    status = EXIT_MODEL;
  }
  if (status == EXIT_OK) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    /* every step is reported when each one is logged, else ten times a second */
    nnd_train_options o = {checkpoint, resume, on_progress, on_epoch, &r, &stop_requested,
                           log_steps ? 0 : 0.1, overwrite};
    if (c->n_ranks > 1 && lead)
      printf("training on %d processes on %d host%s\n", c->n_ranks, c->n_hosts,
             c->n_hosts == 1 ? "" : "s");
    fflush(stdout);
    int rc = nnd_train_on(s, m, &o, c, err, sizeof err);
    if (r.tty) fprintf(stderr, "\r\033[K");
    /* an error every rank returned together is printed once, by rank 0 */
    *local = rc == -3;
    if (rc == -1 && !lead) {
      status = EXIT_MODEL;
    } else if (rc < 0) {
      cli_error("train", err);
      status = EXIT_MODEL;
    } else if (r.log_err[0]) {
      cli_error("train", r.log_err);
      fprintf(stderr, "nnd train: stopped; saved %s (continue with --resume %s)\n", checkpoint,
              checkpoint);
      status = EXIT_MODEL;
    } else if (!lead) {
      status = rc == 0 ? EXIT_OK : 130;
    } else if (rc == 1) {
      fprintf(stderr, "nnd train: interrupted; saved %s (continue with --resume %s)\n",
              checkpoint, checkpoint);
      status = 130;
    } else if (rc == 2) {
      fprintf(stderr, "nnd train: interrupted before the first step; %s was not written\n",
              checkpoint);
      status = 130;
    } else {
      printf("saved %s\n", checkpoint);
    }
  }
  /* the steps of an interrupted epoch too */
  if (r.log && !r.log_err[0] && cli_log_save(&r.file, err, sizeof err) != 0) {
    cli_error("train", err);
    if (status == EXIT_OK) status = EXIT_MODEL;
  }
  cli_log_close(&r.file);
  nnd_session_free(s);
  nnd_model_free(m);
  return status;
}

int cmd_train(int argc, char **argv) {
  nnd_comm *c = NULL;
  char err[1024];
  if (nnd_comm_open(&c, err, sizeof err) != 0) {
    cli_error("train", err);
    return EXIT_MODEL;
  }
  int local = 0, status = train_main(argc, argv, c, &local);
  if (c->n_ranks > 1 && status != EXIT_OK && status != 130 && local) {
    /* the others may be waiting for this rank in a collective: end them all */
    fprintf(stderr, "nnd train: rank %d of %d (host %s) failed; stopping every process\n",
            c->rank, c->n_ranks, c->host(c, c->rank));
    c->abort(c, status);
  }
  c->close(c);
  return status;
}
