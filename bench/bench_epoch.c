/* bench_epoch.c — where the time of one `nnd train` epoch goes.
 *
 * A user sees the epoch line of `nnd train`, not bench/run's step loop. This
 * runs the trainer itself (nnd_train, what `nnd train` calls) for the
 * model's epochs (or --epochs E) with a checkpoint in a temporary directory,
 * and times, per epoch, from its callbacks:
 *   steps       the step loop (the progress report of the epoch's last step:
 *               gather, forward, backward, the NaN guard, the optimizer, the
 *               accuracy tally, the short last batch)
 *   evaluation  the epoch line's seconds minus the step loop: the test set
 *               (and validation split) at the inference batch
 *   rest        the epoch (from the previous epoch line to its own) less
 *               its line: in later epochs the previous epoch's checkpoint
 *               (written, fsynced, renamed), the batch set back and the
 *               callback (where the CLI prints and saves its log); in the
 *               first, from the nnd_train call, the run's start instead
 *               (the data read and unpacked, the first batch laid out)
 * and prints them with the steady step time measured by the caller (the
 * step loop alone, --step-ms) so that the overhead inside the loop shows:
 * the loop's time minus steps x step_ms.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <nnd/nnd.h>

#include "bench_epoch.h"
#include "ir.h"
#include "train.h"
#include "train_config.h"

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

#define MAX_EPOCHS 64

typedef struct {
  double start;                 /* when the current epoch began */
  double steps_s[MAX_EPOCHS];   /* the step loop */
  double line_s[MAX_EPOCHS];    /* the epoch line's seconds: steps + evaluation */
  double total_s[MAX_EPOCHS];   /* the epoch from its start to the next one's */
  double test_acc[MAX_EPOCHS];
  int64_t steps[MAX_EPOCHS];
  int epochs;
} epoch_clock;

static void on_progress(const nnd_train_progress *p, void *user) {
  epoch_clock *c = user;
  int e = p->epoch - 1;
  if (e < 0 || e >= MAX_EPOCHS || p->step != p->steps) return;
  c->steps_s[e] = p->seconds;
  c->steps[e] = p->steps;
}

static void on_epoch(const nnd_epoch_stats *st, void *user) {
  epoch_clock *c = user;
  int e = st->epoch - 1;
  if (e < 0 || e >= MAX_EPOCHS) return;
  double t = now();
  c->line_s[e] = st->seconds;
  c->total_s[e] = t - c->start;
  c->test_acc[e] = st->has_test ? st->test_accuracy : -1;
  c->epochs = e + 1;
  c->start = t;
}

int nnd_bench_epoch(const nnd_bench_epoch_options *o) {
  nnd_model *m = NULL;
  nnd_diag_list *diags = NULL;
  if (nnd_compile_file(o->model_path, &m, &diags) != 0) {
    char *text = nnd_diag_render(diags, 0);
    fprintf(stderr, "nnd_bench --epoch: %s", text ? text : "the model does not compile\n");
    free(text);
    nnd_diag_list_free(diags);
    return 1;
  }
  nnd_diag_list_free(diags);
  char err[1024];
  if (o->epochs > 0) {
    char set[32];
    snprintf(set, sizeof set, "epochs=%d", o->epochs);
    if (nnd_train_override(m, set, err, sizeof err) != 0) {
      fprintf(stderr, "nnd_bench --epoch: %s\n", err);
      nnd_model_free(m);
      return 1;
    }
  }
  char dir[] = "/tmp/nnd-bench-epoch-XXXXXX", ckpt[128];
  if (!mkdtemp(dir)) {
    perror("nnd_bench --epoch: mkdtemp");
    nnd_model_free(m);
    return 1;
  }
  snprintf(ckpt, sizeof ckpt, "%s/model.ckpt", dir);
  nnd_session *s = NULL;
  nnd_session_options so = {.size = sizeof so, .backends = o->backends, .no_input_grads = 1};
  int rc = 1;
  epoch_clock c;
  memset(&c, 0, sizeof c);
  double t_session = now();
  if (nnd_session_new(m, &so, &s, err, sizeof err) != 0) {
    fprintf(stderr, "nnd_bench --epoch: %s\n", err);
    goto done;
  }
  t_session = now() - t_session;
  /* progress_interval: a large interval reports only each epoch's last step */
  nnd_train_options to = {ckpt, NULL, on_progress, on_epoch, &c, NULL, 1e9, 1};
  c.start = now();
  double t0 = c.start;
  if (nnd_train(s, m, &to, err, sizeof err) < 0) {
    fprintf(stderr, "nnd_bench --epoch: %s\n", err);
    goto done;
  }
  double all = now() - t0;
  if (o->json) {
    printf("{\"kind\":\"epoch\",\"model\":\"%s\",\"backends\":\"%s\",\"session_seconds\":%.4f,"
           "\"train_seconds\":%.4f,\"step_ms_steady\":%.5f,\"epochs\":[",
           m->name, o->backends ? o->backends : "", t_session, all, o->step_ms);
    for (int e = 0; e < c.epochs; e++)
      printf("%s{\"steps\":%lld,\"steps_seconds\":%.4f,\"line_seconds\":%.4f,"
             "\"epoch_seconds\":%.4f,\"test_accuracy\":%.4f}",
             e ? "," : "", (long long)c.steps[e], c.steps_s[e], c.line_s[e], c.total_s[e],
             c.test_acc[e]);
    printf("]}\n");
  } else {
    printf("%s: %d epoch(s), session %.3f s\n", m->name, c.epochs, t_session);
    printf("epoch  steps  loop s  steady s  in-loop extra  evaluation s  rest s  epoch s  "
           "epoch/steady\n");
    for (int e = 0; e < c.epochs; e++) {
      double steady = o->step_ms > 0 ? (double)c.steps[e] * o->step_ms * 1e-3 : 0;
      printf("%5d  %5lld  %6.3f  %8.3f  %13.3f  %12.3f  %6.3f  %7.3f  %12.3f\n", e + 1,
             (long long)c.steps[e], c.steps_s[e], steady, steady > 0 ? c.steps_s[e] - steady : 0,
             c.line_s[e] - c.steps_s[e], c.total_s[e] - c.line_s[e], c.total_s[e],
             steady > 0 ? c.total_s[e] / steady : 0);
    }
  }
  rc = 0;
done:
  nnd_session_free(s);
  nnd_model_free(m);
  unlink(ckpt);
  char tmp[160];
  snprintf(tmp, sizeof tmp, "%s.tmp", ckpt);
  unlink(tmp);
  rmdir(dir);
  return rc;
}
