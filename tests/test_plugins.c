/* test_plugins.c — the loader and the plugin ABI: a third-party plugin built
 * against <nnd/plugin.h> alone adds an op that a .nnd file then uses, and
 * each kind of bad plugin is refused with a message naming its file, without
 * stopping the others. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kernel_harness.h"
#include "plugin_loader.h"
#include "registry.h"
#include "tests.h"

#define TEST_PLUGINS NND_TEST_BUILDDIR "/tests/plugins/.libs"

static int suite_init(void) {
  const char *dir = NND_TEST_BUILDDIR "/plugins/.libs";
  nnd_load_plugins(&dir, 1);  /* naive first: a duplicate is judged against it */
  nnd_plugin_load_dir(TEST_PLUGINS);
  return 0;
}

static const nnd_plugin_record *record_named(const char *file) {
  for (int i = 0; i < nnd_plugin_count(); i++) {
    const nnd_plugin_record *r = nnd_plugin_at(i);
    const char *slash = strrchr(r->path, '/');
    if (strcmp(slash ? slash + 1 : r->path, file) == 0) return r;
  }
  return NULL;
}

static void expect_refused(const char *file, const char *needle) {
  const nnd_plugin_record *r = record_named(file);
  CU_ASSERT_PTR_NOT_NULL_FATAL(r);
  CU_ASSERT_FALSE(r->loaded);
  if (!strstr(r->error, needle))
    fprintf(stderr, "\n%s refused with \"%s\", expected \"%s\"\n", file, r->error, needle);
  CU_ASSERT_PTR_NOT_NULL(strstr(r->error, needle));
}

static void test_naive_loads(void) {
  const nnd_plugin_record *r = record_named("naive.so");
  CU_ASSERT_PTR_NOT_NULL_FATAL(r);
  CU_ASSERT_TRUE(r->loaded);
  CU_ASSERT_STRING_EQUAL(r->name, "naive");
  CU_ASSERT_EQUAL(r->abi_major, NND_ABI_MAJOR);
  CU_ASSERT_TRUE(r->n_kernels >= 24);
  CU_ASSERT_EQUAL(r->n_optimizers, 3);
}

static void test_third_party_op(void) {
  const nnd_plugin_record *r = record_named("swish.so");
  CU_ASSERT_PTR_NOT_NULL_FATAL(r);
  CU_ASSERT_TRUE(r->loaded);
  CU_ASSERT_EQUAL(r->n_ops, 1);
  /* the namespaced op is usable by its plain name, with its attribute */
  nnd_model *m = compile_ok("input x: [3] = [-1, 0, 2]\ninput t: [3] = [0, 0, 0]\n"
                            "y = swish(x, beta=2)\nloss mse(y, t)\n");
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  nnd_session *s = NULL;
  char err[512];
  CU_ASSERT_EQUAL_FATAL(nnd_session_new(m, NULL, &s, err, sizeof err), 0);
  CU_ASSERT_EQUAL(nnd_session_forward(s, 1), 0);
  CU_ASSERT_EQUAL(nnd_session_backward(s), 0);
  nnd_tensor y, g;
  CU_ASSERT_EQUAL_FATAL(nnd_session_value(s, "y", &y), 0);
  const double x[] = {-1, 0, 2};
  for (int i = 0; i < 3; i++) {
    double sig = 1 / (1 + exp(-2 * x[i]));
    CU_ASSERT_DOUBLE_EQUAL(y.data[i], x[i] * sig, 1e-6);
  }
  /* dL/dx = 2y/3 * (s + 2x s (1 - s)) */
  CU_ASSERT_EQUAL_FATAL(nnd_session_grad(s, "x", &g), 0);
  for (int i = 0; i < 3; i++) {
    double sig = 1 / (1 + exp(-2 * x[i])), yi = x[i] * sig;
    CU_ASSERT_DOUBLE_EQUAL(g.data[i], 2 * yi / 3 * (sig + 2 * x[i] * sig * (1 - sig)), 1e-5);
  }
  nnd_session_free(s);
  nnd_model_free(m);
}

static void test_refusals(void) {
  expect_refused("bad_abi_major.so", "built for plugin ABI 2.3, but this nnd has ABI 1.3");
  expect_refused("bad_fingerprint.so", "different layout of the ABI's types");
  expect_refused("bad_no_entry.so", "no entry point: it does not export nnd_plugin_entry()");
  expect_refused("bad_dup_kernel.so", "kernel `relu` for backend `naive` is already "
                                      "registered by ");
  expect_refused("bad_dup_kernel.so", "/naive.so");
  expect_refused("bad_orphan_kernel.so", "kernel for op `no_such_op`, which no schema defines");
  expect_refused("bad_dup_op.so", "op `dense` is already defined by builtin");
  /* a refused plugin leaves nothing behind */
  const char *origin = NULL;
  nnd_registry_find_kernel("relu", "naive", &origin);
  CU_ASSERT_PTR_NOT_NULL(origin && strstr(origin, "naive.so"));
}

/* The descriptor of a plugin refused at registration was read before it was
 * refused and closed: its record must hold copies, not pointers into the
 * unmapped object. */
static void test_refused_record_keeps_copies(void) {
  const nnd_plugin_record *r = record_named("bad_dup_kernel.so");
  CU_ASSERT_PTR_NOT_NULL_FATAL(r);
  CU_ASSERT_FALSE(r->loaded);
  CU_ASSERT_PTR_NOT_NULL_FATAL(r->name);
  CU_ASSERT_STRING_EQUAL(r->name, "bad-dup-kernel");
  CU_ASSERT_STRING_EQUAL(r->version, "0");
  CU_ASSERT_STRING_EQUAL(r->license, "MIT");
  CU_ASSERT_STRING_EQUAL(r->description, "a plugin the loader refuses");
}

/* bad_dup_kernel.so registers relu for naive, as a third-party plugin could.
 * Found first (its directory is searched first, or its name sorts before
 * naive.so in the same directory), it must still lose to nnd's own naive. */
static void test_own_plugins_win(void) {
  int st;
  char *out = run_command("NO_COLOR=1 NND_PLUGIN_PATH= '" NND_TEST_BUILDDIR "/nnd' plugins "
                          "--plugin-dir '" TEST_PLUGINS "'", &st);
  CU_ASSERT_PTR_NOT_NULL_FATAL(out);
  CU_ASSERT_EQUAL(st, 0);
  if (!strstr(out, "naive 0.1.0 (MIT)")) fprintf(stderr, "\n%s", out);
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "/plugins/.libs/naive.so\n    naive 0.1.0 (MIT)"));
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "bad_dup_kernel.so\n    refused: kernel `relu` for backend "
                                     "`naive` is already registered by nnd's own plugin "
                                     NND_TEST_BUILDDIR "/plugins/.libs/naive.so"));
  free(out);
  /* and a model with relu runs */
  char cmd[2048];
  snprintf(cmd, sizeof cmd, "cd '%s' && NND_PLUGIN_PATH= '%s/nnd' trace --plugin-dir '%s' "
           "models/seeds/s000_q2_network.nnd", NND_TEST_SRCDIR, NND_TEST_BUILDDIR, TEST_PLUGINS);
  out = run_command(cmd, &st);
  if (st != 0) fprintf(stderr, "\n%s", out ? out : "");
  CU_ASSERT_EQUAL(st, 0);
  free(out);
  /* the same within one directory, where acme_relu.so sorts first */
  char dir[] = "/tmp/nnd-own-XXXXXX";
  CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
  snprintf(cmd, sizeof cmd, "cp '%s/bad_dup_kernel.so' '%s/acme_relu.so' && cp '%s/plugins/"
           ".libs/naive.so' '%s/naive.so' && NO_COLOR=1 NND_PLUGIN_PATH= '%s/nnd' plugins "
           "--plugin-dir '%s'", TEST_PLUGINS, dir, NND_TEST_BUILDDIR, dir, NND_TEST_BUILDDIR,
           dir);
  out = run_command(cmd, &st);
  CU_ASSERT_PTR_NOT_NULL_FATAL(out);
  CU_ASSERT_EQUAL(st, 0);
  char want[512];
  snprintf(want, sizeof want, "%s/naive.so\n    naive 0.1.0 (MIT)", dir);
  if (!strstr(out, want)) fprintf(stderr, "\n%s", out);
  CU_ASSERT_PTR_NOT_NULL(strstr(out, want));
  snprintf(want, sizeof want, "%s/acme_relu.so\n    refused: kernel `relu` for backend `naive` "
           "is already registered by nnd's own plugin %s/naive.so", dir, dir);
  CU_ASSERT_PTR_NOT_NULL(strstr(out, want));
  free(out);
  snprintf(cmd, sizeof cmd, "rm -r '%s'", dir);
  CU_ASSERT_EQUAL(system(cmd), 0);
}

static int no_infer(nnd_infer *ctx) {
  ctx->output = ctx->inputs[0];
  return 0;
}

/* When no kernel runs an op, the plugins that were refused may be why. */
static void test_no_kernel_names_refused_plugins(void) {
  static const nnd_op_schema kernelless = {.size = sizeof(nnd_op_schema),
                                           .name = "test.kernelless", .min_inputs = 1,
                                           .max_inputs = 1, .infer = no_infer};
  char msg[256];
  if (!nnd_registry_find_op("test.kernelless", NULL))
    CU_ASSERT_EQUAL(nnd_registry_add_op(&kernelless, "test_plugins.c", msg, sizeof msg), 0);
  nnd_model *m = compile_ok("input x: [2]\nz = kernelless(x)\n");
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  nnd_session *s = NULL;
  char err[2048] = "";
  CU_ASSERT_EQUAL(nnd_session_new(m, NULL, &s, err, sizeof err), -1);
  if (!strstr(err, "bad_abi_major.so")) fprintf(stderr, "\n%s\n", err);
  CU_ASSERT_PTR_NOT_NULL(strstr(err, "no kernel runs this op"));
  CU_ASSERT_PTR_NOT_NULL(strstr(err, "plugins refused: "));
  CU_ASSERT_PTR_NOT_NULL(strstr(err, TEST_PLUGINS "/bad_abi_major.so (built for plugin ABI 2.3"));
  nnd_session_free(s);
  nnd_model_free(m);
}

static void test_not_a_shared_object(void) {
  char dir[] = "/tmp/nnd-plugins-XXXXXX";
  CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
  char path[256];
  snprintf(path, sizeof path, "%s/junk.so", dir);
  FILE *f = fopen(path, "w");
  CU_ASSERT_PTR_NOT_NULL_FATAL(f);
  fputs("this is not an ELF file\n", f);
  fclose(f);
  CU_ASSERT_EQUAL(nnd_plugin_load_dir(dir), 0);
  expect_refused("junk.so", "not a loadable shared object");
  unlink(path);
  /* a directory (or a device, a FIFO) is refused before dlopen sees it */
  snprintf(path, sizeof path, "%s/subdir.so", dir);
  CU_ASSERT_EQUAL_FATAL(mkdir(path, 0700), 0);
  CU_ASSERT_EQUAL(nnd_plugin_load_file(path), -1);
  expect_refused("subdir.so", "not a regular file");
  rmdir(path);
  rmdir(dir);
}

static void test_plugins_command(void) {
  int st;
  /* naive first: the duplicate is judged against it */
  char *out = run_command("NO_COLOR=1 '" NND_TEST_BUILDDIR "/nnd' plugins --plugin-dir '"
                          NND_TEST_BUILDDIR "/plugins/.libs' --plugin-dir '" TEST_PLUGINS "'",
                          &st);
  CU_ASSERT_PTR_NOT_NULL_FATAL(out);
  CU_ASSERT_EQUAL(st, 0);
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "naive 0.1.0 (MIT), ABI 1.3"));
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "relu/naive"));
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "optimizers: sgd, adam, rmsprop"));
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "ops:        acme.swish"));
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "bad_abi_major.so\n    refused: built for plugin ABI 2.3"));
  free(out);
}

static void test_trace_command(void) {
  int st;
  char *out = run_command("cd '" NND_TEST_SRCDIR "' && NO_COLOR=1 '" NND_TEST_BUILDDIR
                          "/nnd' trace models/seeds/s002_q2_two_heads.nnd", &st);
  CU_ASSERT_PTR_NOT_NULL_FATAL(out);
  CU_ASSERT_EQUAL(st, 0);
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "total loss"));
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "2.07944"));
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "[[0.25, 0.5, 0.75], [-0.25, -0.5, -0.75]]"));
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "dL/dp2.weight"));
  free(out);
  out = run_command("cd '" NND_TEST_SRCDIR "' && '" NND_TEST_BUILDDIR "/nnd' trace "
                    "models/seeds/s000_q1_sigmoid_neuron.nnd --input x=6,4,2,3,1", &st);
  CU_ASSERT_EQUAL(st, 0);
  CU_ASSERT_PTR_NOT_NULL(out && strstr(out, "0.0105118"));
  free(out);
}

static void test_gradcheck_command(void) {
  int st;
  char *out = run_command("cd '" NND_TEST_SRCDIR "' && '" NND_TEST_BUILDDIR
                          "/nnd' gradcheck models/seeds/s000_q2_network.nnd", &st);
  CU_ASSERT_PTR_NOT_NULL_FATAL(out);
  CU_ASSERT_EQUAL(st, 0);
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "gradients match"));
  free(out);
}

static void test_gradcheck_fails_on_a_wrong_gradient(void) {
  int st;
  /* naive first: on a conflict the plugin found first wins */
  char *out = run_command("cd '" NND_TEST_SRCDIR "' && '" NND_TEST_BUILDDIR "/nnd' gradcheck "
                          "--plugin-dir '" NND_TEST_BUILDDIR "/plugins/.libs' --plugin-dir '"
                          TEST_PLUGINS "' tests/data/wrong_grad.nnd", &st);
  CU_ASSERT_PTR_NOT_NULL_FATAL(out);
  CU_ASSERT_EQUAL(st, 1);
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "acme.wrong_square"));
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "FAIL"));
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "gradients differ"));
  free(out);
}

/* Each of the test plugin's wrong ops (tests/plugins/wrong_grad.c) fails
 * gradcheck: a NaN gradient, a 2% error against a 1e-2 tolerance, and a
 * layer where nothing can be checked (a NaN forward, or a finite one whose
 * difference quotients never agree) are no passes. */
static void test_gradcheck_fails_on_each_wrong_op(void) {
  static const char *ops[] = {"slightly_square", "nan_grad_square", "nan_square",
                              "drifting_square"};
  for (size_t i = 0; i < sizeof ops / sizeof *ops; i++) {
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "cd '" NND_TEST_SRCDIR "' && '" NND_TEST_BUILDDIR "/nnd' gradcheck --plugin-dir '"
             NND_TEST_BUILDDIR "/plugins/.libs' --plugin-dir '" TEST_PLUGINS
             "' tests/data/%s.nnd", ops[i]);
    int st;
    char *out = run_command(cmd, &st);
    CU_ASSERT_PTR_NOT_NULL_FATAL(out);
    char row[128];
    snprintf(row, sizeof row, "acme.%s", ops[i]);
    const char *r = strstr(out, row);
    const char *eol = r ? strchr(r, '\n') : NULL;
    const char *fail = r ? strstr(r, "FAIL") : NULL;
    int ok = st == 1 && fail && eol && fail < eol && strstr(out, "gradients differ") &&
             !strstr(out, "gradients match");
    if (!ok) fprintf(stderr, "\ngradcheck %s (exit %d):\n%s", ops[i], st, out);
    CU_ASSERT(ok);
    free(out);
  }
}

/* The kernel harness (tests/kernel_harness.c) fails the same three ops, and
 * passes the right-gradient baseline of the same case. */
static void test_harness_fails_on_each_wrong_op(void) {
  static const char *ops[] = {"slightly_square", "nan_grad_square", "nan_square",
                              "wrong_square"};
  for (size_t i = 0; i < sizeof ops / sizeof *ops; i++) {
    char src[256], op[64];
    snprintf(src, sizeof src, "input x: [5]\ny = %s(x)\n", ops[i]);
    snprintf(op, sizeof op, "acme.%s", ops[i]);
    const nnd_kernel *k = nnd_registry_find_kernel(op, "naive", NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(k);
    kt_case c;
    if (kt_setup(&c, src, "y", 3, 7) != 0) fprintf(stderr, "\n%s\n", c.message);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c.node);
    double worst = kt_gradcheck(&c, k, 1, 1e-3);
    if (!(worst > 1e-2)) fprintf(stderr, "\nharness: %s passes with %g\n", op, worst);
    CU_ASSERT(worst > 1e-2);
    kt_free(&c);
  }
}

static void test_gradcheck_every_model(void) {
  /* s001_dense_big (441,060,000 parameters) takes minutes: checked by hand */
  static const char *models[] = {
      "models/fashion_cnn.nnd", "models/fashion_mlp.nnd", "models/mnist_mlp.nnd",
      "models/seeds/conv1d_same.nnd", "models/seeds/s000_q1_sigmoid_neuron.nnd",
      "models/seeds/s000_q2_network.nnd", "models/seeds/s000_q2_no_bias.nnd",
      "models/seeds/s000_q7_cnn.nnd", "models/seeds/s001_conv_stride.nnd",
      "models/seeds/s001_six_filters.nnd", "models/seeds/s002_q1_conv.nnd",
      "models/seeds/s002_q2_two_heads.nnd", "models/seeds/s002_q4_stable_ce_a.nnd",
      "models/seeds/s002_q4_stable_ce_b.nnd", "models/seeds/sigmoid_2_3_2.nnd"};
  for (size_t i = 0; i < sizeof models / sizeof *models; i++) {
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "cd '%s' && '%s/nnd' gradcheck %s", NND_TEST_SRCDIR,
             NND_TEST_BUILDDIR, models[i]);
    int st;
    char *out = run_command(cmd, &st);
    if (st != 0) fprintf(stderr, "\n%s:\n%s", models[i], out ? out : "");
    CU_ASSERT_EQUAL(st, 0);
    CU_ASSERT_PTR_NOT_NULL(out && strstr(out, "gradients match"));
    free(out);
  }
}

void test_plugins_register(void) {
  CU_pSuite s = CU_add_suite("plugins", suite_init, NULL);
  CU_add_test(s, "the naive plugin loads", test_naive_loads);
  CU_add_test(s, "a third-party op, used by a model", test_third_party_op);
  CU_add_test(s, "bad plugins are refused, by name", test_refusals);
  CU_add_test(s, "not a shared object", test_not_a_shared_object);
  CU_add_test(s, "a refused plugin's record holds copies", test_refused_record_keeps_copies);
  CU_add_test(s, "nnd's own plugins win a conflict", test_own_plugins_win);
  CU_add_test(s, "no kernel: the refused plugins are named", test_no_kernel_names_refused_plugins);
  CU_add_test(s, "nnd plugins", test_plugins_command);
  CU_add_test(s, "nnd trace", test_trace_command);
  CU_add_test(s, "nnd gradcheck", test_gradcheck_command);
  CU_add_test(s, "gradcheck fails on a wrong gradient", test_gradcheck_fails_on_a_wrong_gradient);
  CU_add_test(s, "gradcheck fails on NaN, 2% and nothing checked",
              test_gradcheck_fails_on_each_wrong_op);
  CU_add_test(s, "the kernel harness fails on the same", test_harness_fails_on_each_wrong_op);
  CU_add_test(s, "gradcheck passes on every model", test_gradcheck_every_model);
}
