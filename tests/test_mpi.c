/* test_mpi.c — `mpirun -np N nnd train` (runtime/comm.h, comm/mpi.c): N
 * processes reproduce one process's run, a checkpoint of N processes
 * resumes with one, and a fault on one rank (unreadable data, a different
 * --set, a kill, a NaN) ends every rank within seconds.
 *
 * They need mpirun and the MPI module (configure --with-mpi); without them
 * they pass with a note, and fail when CI is set. Open MPI refuses root
 * without --allow-run-as-root (CI runs as root) and more ranks than cores
 * without --oversubscribe. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "checkpoint.h"
#include "comm.h"
#include "tests.h"

#define MPIRUN "mpirun --allow-run-as-root --oversubscribe --bind-to none -x OMP_NUM_THREADS=1"

static char dir[256];   /* a scratch directory for the whole suite */

static int mpi_ready(const char *test) {
  char path[1024];
  snprintf(path, sizeof path, "%s/comm/.libs/mpi.so", NND_TEST_BUILDDIR);
  if (access(path, R_OK) != 0) {
    test_missing("the MPI module (configure --with-mpi; apt-get install libopenmpi-dev)", test);
    return 0;
  }
  if (system("command -v mpirun >/dev/null 2>&1") != 0) {
    test_missing("mpirun (apt-get install openmpi-bin)", test);
    return 0;
  }
  if (!dir[0]) {
    /* Open MPI's components leak at MPI_Finalize, which LeakSanitizer reports
       (and fails the process for) in a --enable-sanitizers build: leak
       checks are off for the processes these tests start. The trainer's own
       allocations are checked by the one-process suites. */
    const char *asan = getenv("ASAN_OPTIONS");
    char opts[1024];
    snprintf(opts, sizeof opts, "%s%sdetect_leaks=0", asan ? asan : "", asan && *asan ? ":" : "");
    setenv("ASAN_OPTIONS", opts, 1);
    snprintf(dir, sizeof dir, "/tmp/nnd-mpi-XXXXXX");
    if (!mkdtemp(dir)) {
      dir[0] = '\0';
      CU_FAIL("mkdtemp");
      return 0;
    }
  }
  return 1;
}

/* `nnd ARGS` in the scratch directory, N processes under mpirun (N = 0: the
 * plain program), stopped by `timeout` after `limit` seconds (status 124). */
static char *train(int n, int limit, const char *args, int *status) {
  char cmd[4096], launch[256] = "";
  if (n > 0) snprintf(launch, sizeof launch, MPIRUN " -np %d ", n);
  snprintf(cmd, sizeof cmd, "cd '%s' && NO_COLOR=1 timeout %d %s'%s/nnd' train %s", dir, limit,
           launch, NND_TEST_BUILDDIR, args);
  return run_command(cmd, status);
}

/* The text of the last line starting with `prefix`, without its timing
 * (the "  N.N s" at the end), in buf. */
static const char *epoch_line(const char *out, const char *prefix, char *buf, size_t n) {
  buf[0] = '\0';
  for (const char *p = out; p && (p = strstr(p, prefix)) != NULL; p++) {
    if (p != out && p[-1] != '\n') continue;
    const char *end = strchr(p, '\n');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    const char *cut = p + len;
    while (cut > p && cut[-1] != ' ') cut--;          /* "s" */
    if (cut > p) cut--;
    while (cut > p && cut[-1] != ' ') cut--;          /* the seconds */
    while (cut > p && cut[-1] == ' ') cut--;
    snprintf(buf, n, "%.*s", (int)(cut - p), p);
  }
  return buf;
}

/* Every tensor of a within 1e-5 of its largest magnitude of b's (the
 * relative error of the tensor, which a near-zero element cannot inflate). */
static double worst_difference(const char *file_a, const char *file_b) {
  char pa[512], pb[512], err[512];
  snprintf(pa, sizeof pa, "%s/%s", dir, file_a);
  snprintf(pb, sizeof pb, "%s/%s", dir, file_b);
  nnd_checkpoint *a = NULL, *b = NULL;
  double worst = INFINITY;
  if (nnd_checkpoint_load(pa, &a, err, sizeof err) != 0 ||
      nnd_checkpoint_load(pb, &b, err, sizeof err) != 0) {
    fprintf(stderr, "\n%s\n", err);
  } else if (nnd_checkpoint_count(a) == nnd_checkpoint_count(b) &&
             nnd_checkpoint_count(a) > 0) {
    worst = 0;
    for (int i = 0; i < nnd_checkpoint_count(a); i++) {
      const nnd_ckpt_tensor *x = nnd_checkpoint_at(a, i);
      const nnd_ckpt_tensor *y = nnd_checkpoint_find(b, x->name);
      int64_t n = 1;
      for (int d = 0; d < x->ndim; d++) n *= x->dim[d];
      double big = 0, diff = 0;
      if (!y) {
        worst = INFINITY;
        break;
      }
      for (int64_t k = 0; k < n; k++) {
        if (fabs(x->data[k]) > big) big = fabs(x->data[k]);
        double d = fabs((double)x->data[k] - (double)y->data[k]);
        if (!(d <= diff)) diff = d; /* a NaN makes it NaN */
      }
      double rel = big > 0 ? diff / big : diff;
      if (!(rel <= worst)) worst = rel;
    }
  }
  nnd_checkpoint_free(a);
  nnd_checkpoint_free(b);
  return worst;
}

#define MNIST "'" NND_TEST_SRCDIR "/models/mnist_mlp.nnd' --set epochs=1 --set validation=0.15"

/* One process's epoch of mnist_mlp (6,800 of the 8,000 samples in batches
 * of 32, the last of 16; 1,200 held out), the reference of the next two
 * tests. */
static const char *one_process(char *line, size_t n) {
  static char saved[512];
  if (!saved[0]) {
    int st;
    char *out = train(0, 120, MNIST " --checkpoint one.safetensors --overwrite", &st);
    CU_ASSERT_EQUAL(st, 0);
    epoch_line(out, "epoch 1/1", saved, sizeof saved);
    free(out);
  }
  snprintf(line, n, "%s", saved);
  return line;
}

static void test_mpi_two_processes_equal_one(void) {
  if (!mpi_ready("np=2 equals one process")) return;
  char want[512], got[512];
  one_process(want, sizeof want);
  CU_ASSERT_PTR_NOT_NULL(strstr(want, "val loss"));
  int st;
  char *out = train(2, 120, MNIST " --checkpoint two.safetensors --overwrite", &st);
  CU_ASSERT_EQUAL(st, 0);
  CU_ASSERT_PTR_NOT_NULL(out && strstr(out, "training on 2 processes on 1 host\n"));
  /* 238,510 parameters and the step's loss, count, stop and 2 NaN flags */
  CU_ASSERT_PTR_NOT_NULL(out && strstr(out, "\n  allreduce: 238515 floats over 2 processes, "));
  /* one epoch line, by rank 0, with the one-process numbers to 4 digits */
  CU_ASSERT_PTR_NULL(out && strstr(strstr(out, "epoch 1/1") + 1, "epoch 1/1"));
  CU_ASSERT_STRING_EQUAL(epoch_line(out, "epoch 1/1", got, sizeof got), want);
  double worst = worst_difference("one.safetensors", "two.safetensors");
  CU_ASSERT(worst <= 1e-5);
  if (!(worst <= 1e-5) || strcmp(got, want) != 0)
    fprintf(stderr, "\nnp=2: worst relative difference %g\n%s\n%s\n", worst, want, out);
  free(out);
}

/* 32 samples a batch do not split evenly over 3 ranks (11, 11, 10), nor
 * does the last batch of 16 (6, 5, 5), nor the test set's 2,000 that
 * evaluation splits (667, 667, 666). */
static void test_mpi_three_processes_uneven_batches(void) {
  if (!mpi_ready("np=3 with uneven batches")) return;
  char want[512], got[512];
  one_process(want, sizeof want);
  int st;
  char *out = train(3, 180, MNIST " --checkpoint three.safetensors --overwrite", &st);
  CU_ASSERT_EQUAL(st, 0);
  CU_ASSERT_PTR_NOT_NULL(out && strstr(out, "training on 3 processes on 1 host\n"));
  CU_ASSERT_STRING_EQUAL(epoch_line(out, "epoch 1/1", got, sizeof got), want);
  double worst = worst_difference("one.safetensors", "three.safetensors");
  CU_ASSERT(worst <= 1e-5);
  if (!(worst <= 1e-5) || strcmp(got, want) != 0)
    fprintf(stderr, "\nnp=3: worst relative difference %g\n%s\n%s\n", worst, want, out);
  free(out);
}

#define TINY "'" NND_TEST_SRCDIR "/tests/mpi/tiny.nnd'"

/* Interrupted (Ctrl-C to mpirun) once its first checkpoint exists, two
 * processes save one checkpoint; one process resumes it and ends where one
 * uninterrupted process ends. The interrupted run is set to a million epochs
 * so that it cannot finish before the signal on any machine (with a fixed
 * count, a fast machine finished first and the test failed); both later runs
 * train to 20 epochs past the epoch the checkpoint holds. */
static void test_mpi_checkpoint_resumes_with_one_process(void) {
  if (!mpi_ready("np=2 checkpoint resumed by np=1")) return;
  char cmd[4096];
  snprintf(cmd, sizeof cmd,
           "cd '%s' && rm -f r.safetensors && (" MPIRUN " -np 2 '%s/nnd' train " TINY
           " --set epochs=1000000 --checkpoint r.safetensors & p=$!; i=0; "
           "while [ ! -f r.safetensors ] && [ $i -lt 300 ]; do sleep 0.05; i=$((i+1)); done; "
           "sleep 0.2; kill -INT $p; wait $p; echo \"mpirun status $?\")",
           dir, NND_TEST_BUILDDIR);
  int st;
  char *out = run_command(cmd, &st);
  CU_ASSERT_PTR_NOT_NULL_FATAL(out);
  /* rank 0's "interrupted; saved" line is not asserted: mpirun, terminating
     the job, may stop forwarding the processes' output before it (seen on a
     quiet machine). What matters is checked below: the file loads and
     resumes to the uninterrupted run's end. */
  free(out);
  char ck[512], err[512];
  snprintf(ck, sizeof ck, "%s/r.safetensors", dir);
  nnd_checkpoint *c = NULL;
  CU_ASSERT_EQUAL_FATAL(nnd_checkpoint_load(ck, &c, err, sizeof err), 0);
  const char *saved = nnd_checkpoint_meta(c, "nnd.epoch");
  long epoch = saved ? strtol(saved, NULL, 10) : -1;
  nnd_checkpoint_free(c);
  CU_ASSERT_FATAL(epoch >= 0 && epoch < 1000000);
  char set[128], at_end[64], args[1024];
  snprintf(set, sizeof set, " --set epochs=%ld", epoch + 20);
  snprintf(at_end, sizeof at_end, "epoch %ld/%ld", epoch + 20, epoch + 20);
  snprintf(args, sizeof args, TINY "%s --resume r.safetensors --checkpoint r.safetensors", set);
  out = train(0, 120, args, &st);
  CU_ASSERT_EQUAL(st, 0);
  char resumed[512], whole[512];
  epoch_line(out, at_end, resumed, sizeof resumed);
  free(out);
  snprintf(args, sizeof args, TINY "%s --checkpoint whole.safetensors --overwrite", set);
  out = train(0, 120, args, &st);
  CU_ASSERT_EQUAL(st, 0);
  epoch_line(out, at_end, whole, sizeof whole);
  free(out);
  CU_ASSERT(whole[0] != '\0');
  CU_ASSERT_STRING_EQUAL(resumed, whole);
  double worst = worst_difference("whole.safetensors", "r.safetensors");
  CU_ASSERT(worst <= 1e-5);
  if (!(worst <= 1e-5)) fprintf(stderr, "\nresume: worst relative difference %g\n", worst);
}

/* Dropout masks follow the sample's place in the global batch: rank 1's
 * first sample draws the mask one process draws for sample 4 of 8. */
static void test_mpi_dropout_masks_follow_samples(void) {
  if (!mpi_ready("dropout under mpirun")) return;
  int st;
  const char *model = "'" NND_TEST_SRCDIR "/tests/mpi/dropout.nnd'";
  char args[1024], want[512], got[512];
  snprintf(args, sizeof args, "%s --checkpoint d1.safetensors --overwrite", model);
  char *out = train(0, 60, args, &st);
  CU_ASSERT_EQUAL(st, 0);
  epoch_line(out, "epoch 3/3", want, sizeof want);
  free(out);
  snprintf(args, sizeof args, "%s --checkpoint d2.safetensors --overwrite", model);
  out = train(2, 60, args, &st);
  CU_ASSERT_EQUAL(st, 0);
  epoch_line(out, "epoch 3/3", got, sizeof got);
  CU_ASSERT(want[0] != '\0');
  CU_ASSERT_STRING_EQUAL(got, want);
  free(out);
  double worst = worst_difference("d1.safetensors", "d2.safetensors");
  CU_ASSERT(worst <= 1e-5);
  if (!(worst <= 1e-5)) fprintf(stderr, "\ndropout: worst relative difference %g\n", worst);
}

/* The rows of a sweep's table without their seconds, in buf. */
static const char *sweep_rows(const char *out, char *buf, size_t n) {
  size_t used = 0;
  buf[0] = '\0';
  for (const char *p = out; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
    if (*p < '1' || *p > '9') continue;
    const char *end = strchr(p, '\n');
    const char *cut = end ? end : p + strlen(p);
    while (cut > p && cut[-1] != ' ') cut--;
    used += (size_t)snprintf(buf + used, used < n ? n - used : 0, "%.*s\n", (int)(cut - p), p);
  }
  return buf;
}

/* `nnd sweep` under mpirun: one combination per rank, the table printed
 * once by rank 0, equal to one process's. */
static void test_mpi_sweep(void) {
  if (!mpi_ready("nnd sweep under mpirun")) return;
  char cmd[2048], want[2048], got[2048];
  const char *args = TINY " --set optimizer.lr=0.01,0.1,1";
  snprintf(cmd, sizeof cmd, "cd '%s' && timeout 60 '%s/nnd' sweep %s", dir, NND_TEST_BUILDDIR,
           args);
  int st;
  char *out = run_command(cmd, &st);
  CU_ASSERT_EQUAL(st, 0);
  sweep_rows(out, want, sizeof want);
  free(out);
  snprintf(cmd, sizeof cmd, "cd '%s' && timeout 60 " MPIRUN " -np 2 '%s/nnd' sweep %s", dir,
           NND_TEST_BUILDDIR, args);
  out = run_command(cmd, &st);
  CU_ASSERT_EQUAL(st, 0);
  CU_ASSERT_PTR_NOT_NULL(out && strstr(out, "sweeping 3 runs on 2 processes on 1 host\n"));
  sweep_rows(out, got, sizeof got);
  CU_ASSERT_PTR_NOT_NULL(strstr(want, "3     1 "));
  CU_ASSERT_STRING_EQUAL(got, want);
  free(out);
}

/* A fault on one rank ends all within 10 s (timeout's 124 would be a hang),
 * with a message naming the rank and its host. */
static void test_mpi_unreadable_data_on_one_rank(void) {
  if (!mpi_ready("unreadable data on one rank")) return;
  char cmd[4096];
  snprintf(cmd, sizeof cmd,
           "cd '%s' && timeout 10 " MPIRUN " -np 1 '%s/nnd' train " TINY " --checkpoint u.st "
           ": -np 1 '%s/nnd' train " TINY " --set 'data=csv(\"/nonexistent/tiny.csv\")' "
           "--checkpoint u.st",
           dir, NND_TEST_BUILDDIR, NND_TEST_BUILDDIR);
  int st;
  char *out = run_command(cmd, &st);
  CU_ASSERT(st != 0 && st != 124);
  CU_ASSERT_PTR_NOT_NULL(out && strstr(out, "/nonexistent/tiny.csv"));
  CU_ASSERT_PTR_NOT_NULL(out && strstr(out, "rank 1 of 2 (host "));
  if (st == 0 || st == 124) fprintf(stderr, "\nstatus %d\n%s\n", st, out);
  free(out);
}

static void test_mpi_different_settings_refused(void) {
  if (!mpi_ready("a --set on one rank only")) return;
  char cmd[4096];
  snprintf(cmd, sizeof cmd,
           "cd '%s' && timeout 10 " MPIRUN " -np 1 '%s/nnd' train " TINY " --checkpoint d.st "
           ": -np 1 '%s/nnd' train " TINY " --set optimizer.lr=0.5 --checkpoint d.st",
           dir, NND_TEST_BUILDDIR, NND_TEST_BUILDDIR);
  int st;
  char *out = run_command(cmd, &st);
  CU_ASSERT(st != 0 && st != 124);
  CU_ASSERT_PTR_NOT_NULL(out && strstr(out, "rank 1 (host "));
  CU_ASSERT_PTR_NOT_NULL(out && strstr(out, "compiled a different model, settings or data than "
                                            "rank 0"));
  /* refused before the first step: nothing was written */
  CU_ASSERT_PTR_NULL(out && strstr(out, "epoch 1/"));
  free(out);
}

/* Rank 1 (its PID recorded by exec) is killed with SIGKILL after the first
 * checkpoint; rank 0 must not wait for it forever, and the checkpoint the
 * run left loads. */
static void test_mpi_killed_rank(void) {
  if (!mpi_ready("a rank killed mid-run")) return;
  char cmd[4096];
  snprintf(cmd, sizeof cmd,
           "cd '%s' && rm -f k.safetensors pid1 && (timeout 20 " MPIRUN " -np 1 '%s/nnd' train "
           TINY " --set epochs=100000 --checkpoint k.safetensors : -np 1 sh -c 'echo $$ > pid1; "
           "exec \"$0\" \"$@\"' '%s/nnd' train " TINY " --set epochs=100000 --checkpoint "
           "k.safetensors & p=$!; i=0; while { [ ! -f k.safetensors ] || [ ! -f pid1 ]; } && "
           "[ $i -lt 300 ]; do sleep 0.05; i=$((i+1)); done; kill -9 $(cat pid1); "
           "s=$(date +%%s); wait $p; r=$?; echo \"status $r after $(( $(date +%%s) - s )) s\"; "
           "[ $r -ne 0 ] && [ $r -ne 124 ] && [ $(( $(date +%%s) - s )) -le 10 ])",
           dir, NND_TEST_BUILDDIR, NND_TEST_BUILDDIR);
  int st;
  char *out = run_command(cmd, &st);
  CU_ASSERT_EQUAL(st, 0);
  if (st != 0) fprintf(stderr, "\n%s\n", out ? out : "");
  free(out);
  char ck[512], err[512];
  snprintf(ck, sizeof ck, "%s/k.safetensors", dir);
  nnd_checkpoint *c = NULL;
  CU_ASSERT_EQUAL(nnd_checkpoint_load(ck, &c, err, sizeof err), 0);
  CU_ASSERT(c && nnd_checkpoint_find(c, "logits.weight") != NULL);
  nnd_checkpoint_free(c);
}

/* Sample 6 of tests/mpi/nan.csv overflows (3e38 + 3e38): with batches of 4
 * in file order it is in step 2, in rank 1's share. Every rank stops at
 * that step, and rank 0 says where it happened; a rank going on would
 * leave rank 0's last allreduce waiting (the timeout). */
static void test_mpi_nan_on_one_rank(void) {
  if (!mpi_ready("a NaN on one rank")) return;
  int st;
  char *out = train(2, 10, TINY " --set 'data=csv(\"nan.csv\")' --checkpoint n.st", &st);
  CU_ASSERT(st != 0 && st != 124);
  CU_ASSERT_PTR_NOT_NULL(out && strstr(out, "epoch 1, step 2: the total loss is not finite "
                                            "(NaN or infinity) on rank 1 (host "));
  CU_ASSERT_PTR_NULL(out && strstr(out, "epoch 1/"));
  if (st == 0 || st == 124) fprintf(stderr, "\nstatus %d\n%s\n", st, out);
  free(out);
  /* one process stops at the same step */
  out = train(0, 10, TINY " --set 'data=csv(\"nan.csv\")' --checkpoint n.st", &st);
  CU_ASSERT_EQUAL(st, 1);
  CU_ASSERT_PTR_NOT_NULL(out && strstr(out, "epoch 1, step 2: the total loss is not finite"));
  free(out);
}

/* The shares of a batch: contiguous, in rank order, covering it exactly,
 * sizes differing by at most one (the first n mod N ranks one more). */
static void test_comm_shares(void) {
  const int64_t sizes[] = {0, 1, 2, 16, 31, 32, 33, 1000};
  for (int r = 1; r <= 7; r++)
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
      int64_t n = sizes[i], next = 0, lo, hi;
      for (int q = 0; q < r; q++) {
        nnd_comm_share(n, q, r, &lo, &hi);
        CU_ASSERT_EQUAL(lo, next);
        CU_ASSERT(hi - lo == n / r + (q < n % r));
        next = hi;
      }
      CU_ASSERT_EQUAL(next, n);
    }
  int64_t lo, hi;
  nnd_comm_share(32, 2, 3, &lo, &hi); /* 11, 11, 10 */
  CU_ASSERT(lo == 22 && hi == 32);
}

/* Without a launcher, one process; with one and no module, an error naming
 * the module rather than N copies training apart. */
static void test_comm_open(void) {
  char err[1024] = "";
  nnd_comm *c = NULL;
  char *saved = getenv("OMPI_COMM_WORLD_SIZE") ? strdup(getenv("OMPI_COMM_WORLD_SIZE")) : NULL;
  unsetenv("OMPI_COMM_WORLD_SIZE");
  if (!nnd_comm_launcher()) {
    CU_ASSERT_EQUAL(nnd_comm_open(&c, err, sizeof err), 0);
    CU_ASSERT(c && c->n_ranks == 1 && c->rank == 0 && c->n_hosts == 1);
    CU_ASSERT(c && strcmp(c->name, "single") == 0);
    float v[2] = {1.5f, -2};
    CU_ASSERT(c && c->sum_floats(c, v, 2, err, sizeof err) == 0 && v[0] == 1.5f && v[1] == -2);
  }
  setenv("OMPI_COMM_WORLD_SIZE", "2", 1);
  setenv("NND_COMM_MODULE", "/nonexistent/mpi.so", 1);
  CU_ASSERT_EQUAL(nnd_comm_open(&c, err, sizeof err), -1);
  CU_ASSERT_PTR_NOT_NULL(strstr(err, "started by Open MPI (mpirun), but the MPI module "
                                     "/nonexistent/mpi.so is not installed"));
  CU_ASSERT_PTR_NULL(c);
  unsetenv("NND_COMM_MODULE");
  if (saved) setenv("OMPI_COMM_WORLD_SIZE", saved, 1);
  else unsetenv("OMPI_COMM_WORLD_SIZE");
  free(saved);
  /* a file that is no module */
  char path[1024];
  snprintf(path, sizeof path, "%s/plugins/.libs/naive.so", NND_TEST_BUILDDIR);
  CU_ASSERT_EQUAL(nnd_comm_open_module(path, &c, err, sizeof err), -1);
  CU_ASSERT_PTR_NOT_NULL(strstr(err, "it does not export nnd_comm_entry()"));
}

static void cleanup(void) {
  if (!dir[0]) return;
  char cmd[512];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
}

static int suite_clean(void) {
  cleanup();
  return 0;
}

void test_mpi_register(void) {
  CU_pSuite u = CU_add_suite("comm: the collective interface", NULL, NULL);
  CU_add_test(u, "contiguous shares of a batch", test_comm_shares);
  CU_add_test(u, "one process, or the module a launcher needs", test_comm_open);
  CU_pSuite s = CU_add_suite("mpirun: data-parallel training", NULL, suite_clean);
  CU_add_test(s, "mpirun -np 2 equals one process", test_mpi_two_processes_equal_one);
  CU_add_test(s, "np=3, batches that do not split evenly", test_mpi_three_processes_uneven_batches);
  CU_add_test(s, "np=2 checkpoint resumed by one process",
              test_mpi_checkpoint_resumes_with_one_process);
  CU_add_test(s, "dropout masks follow the global sample", test_mpi_dropout_masks_follow_samples);
  CU_add_test(s, "nnd sweep spreads its runs over the ranks", test_mpi_sweep);
  CU_add_test(s, "unreadable data on one rank stops all", test_mpi_unreadable_data_on_one_rank);
  CU_add_test(s, "a --set on one rank only is refused", test_mpi_different_settings_refused);
  CU_add_test(s, "a killed rank stops all", test_mpi_killed_rank);
  CU_add_test(s, "a NaN on one rank stops all at that step", test_mpi_nan_on_one_rank);
}
