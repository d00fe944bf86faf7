/* test_onnx.c — what the ONNX tests of tests/onnx/run (checker, ONNX Runtime,
 * PyTorch) cannot see: the protobuf reader on hostile bytes, the importer's
 * one error listing every unsupported node, nothing written on failure, and
 * a third-party op refused by export with its op and node named. */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checkpoint.h"
#include "onnx.h"
#include "onnx_import_internal.h"
#include "onnx_read.h"
#include "pb.h"
#include "tests.h"

static char dir[] = "/tmp/nnd-test-onnx-XXXXXX";

static int suite_init(void) { return mkdtemp(dir) ? 0 : -1; }

static int suite_clean(void) {
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  return system(cmd) == 0 ? 0 : -1;
}

/* ------------------------------------------------- building ONNX by hand */

static void value_info(pb_writer *w, int field, const char *name, int n, const int64_t *d) {
  size_t v = pb_begin(w, field);
  pb_put_string(w, 1, name);
  size_t t = pb_begin(w, 2), tt = pb_begin(w, 1);
  pb_put_varint(w, 1, 1);
  size_t sh = pb_begin(w, 2);
  size_t b = pb_begin(w, 1);
  pb_put_string(w, 2, "N");
  pb_end(w, b);
  for (int i = 0; i < n; i++) {
    size_t dd = pb_begin(w, 1);
    pb_put_int64(w, 1, d[i]);
    pb_end(w, dd);
  }
  pb_end(w, sh);
  pb_end(w, tt);
  pb_end(w, t);
  pb_end(w, v);
}

static void node(pb_writer *w, const char *op, const char *name, const char *in,
                 const char *out) {
  size_t k = pb_begin(w, 1);
  pb_put_string(w, 1, in);
  pb_put_string(w, 2, out);
  pb_put_string(w, 3, name);
  pb_put_string(w, 4, op);
  pb_end(w, k);
}

/* A model around a graph body; the caller frees m->data. */
static void model(pb_writer *m, const pb_writer *g) {
  pb_put_int64(m, 1, 7);
  size_t o = pb_begin(m, 8);
  pb_put_int64(m, 2, 13);
  pb_end(m, o);
  pb_put_bytes(m, 7, g->data, g->len);
}

static void test_unsupported_listed_once(void) {
  /* x -> Erf (unsupported) ; x -> Relu -> Unsqueeze (unsupported) -> Tanh */
  pb_writer g = {0}, m = {0};
  int64_t four = 4;
  value_info(&g, 11, "x", 1, &four);
  node(&g, "Erf", "the_erf", "x", "s");
  node(&g, "Relu", "r", "x", "r");
  node(&g, "Unsqueeze", "unsq", "r", "u");
  node(&g, "Tanh", "t", "u", "t");
  value_info(&g, 12, "t", 1, &four);
  model(&m, &g);
  CU_ASSERT_FALSE(g.oom || m.oom);
  char err[2048] = "";
  nnd_onnx_import *im = NULL;
  CU_ASSERT_EQUAL(nnd_onnx_convert("hand.onnx", m.data, m.len, "hand", "hand.safetensors",
                                   &im, err, sizeof err), -1);
  CU_ASSERT_PTR_NULL(im);
  /* both, with their op types and names, in one message; not the Tanh
     that only follows an unsupported node */
  CU_ASSERT_PTR_NOT_NULL(strstr(err, "hand.onnx: 2 nodes"));
  CU_ASSERT_PTR_NOT_NULL(strstr(err, "Erf (node `the_erf`)"));
  CU_ASSERT_PTR_NOT_NULL(strstr(err, "Unsqueeze (node `unsq`)"));
  CU_ASSERT_PTR_NULL(strstr(err, "Tanh"));
  if (!strstr(err, "Unsqueeze")) printf("\n  got: %s\n", err);
  pb_writer_free(&g);
  pb_writer_free(&m);
}

static void test_supported_graph_converts(void) {
  /* the same shape of file, supported: an nnd model that compiles */
  pb_writer g = {0}, m = {0};
  int64_t four = 4;
  value_info(&g, 11, "x", 1, &four);
  node(&g, "Relu", "r", "x", "r");
  node(&g, "Tanh", "t", "r", "t");
  value_info(&g, 12, "t", 1, &four);
  model(&m, &g);
  char err[2048] = "";
  nnd_onnx_import *im = NULL;
  CU_ASSERT_EQUAL_FATAL(nnd_onnx_convert("ok.onnx", m.data, m.len, "ok", "ok.safetensors",
                                         &im, err, sizeof err), 0);
  const char *text = nnd_onnx_import_text(im);
  CU_ASSERT_PTR_NOT_NULL(strstr(text, "input x: [4]\n"));
  CU_ASSERT_PTR_NOT_NULL(strstr(text, "t = tanh(r)\n"));
  CU_ASSERT_PTR_NOT_NULL(strstr(text, "# loss cross_entropy(t, label)\n"));
  nnd_model *nm = compile_ok(text);
  CU_ASSERT_PTR_NOT_NULL(nm);
  nnd_model_free(nm);
  nnd_onnx_import_free(im);
  pb_writer_free(&g);
  pb_writer_free(&m);
}

static void initializer(pb_writer *g, const char *name, int nd, const int64_t *dims,
                        const float *v, int n) {
  size_t k = pb_begin(g, 5);
  for (int i = 0; i < nd; i++) pb_put_int64(g, 1, dims[i]);
  pb_put_varint(g, 2, 1);
  pb_put_string(g, 8, name);
  for (int i = 0; i < n; i++) pb_put_float(g, 4, v[i]);
  pb_end(g, k);
}

/* MatMul by a constant [in, out] followed by the Add of a bias: one dense
 * layer, its weight transposed to nnd's (and PyTorch's) [out, in]. */
static void test_matmul_add_is_dense(void) {
  pb_writer g = {0}, m = {0};
  int64_t three = 3, wd[2] = {3, 2}, two = 2;
  static const float w[6] = {1, 2, 3, 4, 5, 6}, b[2] = {0.5f, -1};
  value_info(&g, 11, "x", 1, &three);
  initializer(&g, "W", 2, wd, w, 6);
  initializer(&g, "b", 1, &two, b, 2);
  size_t k = pb_begin(&g, 1);
  pb_put_string(&g, 1, "x");
  pb_put_string(&g, 1, "W");
  pb_put_string(&g, 2, "xw");
  pb_put_string(&g, 4, "MatMul");
  pb_end(&g, k);
  k = pb_begin(&g, 1);
  pb_put_string(&g, 1, "xw");
  pb_put_string(&g, 1, "b");
  pb_put_string(&g, 2, "y");
  pb_put_string(&g, 4, "Add");
  pb_end(&g, k);
  value_info(&g, 12, "y", 1, &two);
  model(&m, &g);
  char err[1024] = "";
  nnd_onnx_import *im = NULL;
  CU_ASSERT_EQUAL_FATAL(nnd_onnx_convert("mm.onnx", m.data, m.len, "mm", "mm.safetensors",
                                         &im, err, sizeof err), 0);
  CU_ASSERT_PTR_NOT_NULL(strstr(nnd_onnx_import_text(im), "\ny = dense(x, units=2)\n"));
  CU_ASSERT_EQUAL_FATAL(im->n_tensors, 2);
  CU_ASSERT_STRING_EQUAL(im->tensors[0].name, "y.weight");
  CU_ASSERT_EQUAL(im->tensors[0].dim[0], 2);
  CU_ASSERT_EQUAL(im->tensors[0].dim[1], 3);
  static const float wt[6] = {1, 3, 5, 2, 4, 6};
  CU_ASSERT_EQUAL(memcmp(im->tensors[0].data, wt, sizeof wt), 0);
  CU_ASSERT_STRING_EQUAL(im->tensors[1].name, "y.bias");
  CU_ASSERT_EQUAL(memcmp(im->tensors[1].data, b, sizeof b), 0);
  nnd_onnx_import_free(im);
  pb_writer_free(&g);
  pb_writer_free(&m);
}

/* A graph input of shape [N] that only OneHot reads (depth 4, values
 * [0, 1]), as `nnd export` writes one_hot of a class input: it comes back
 * as class[4] and one_hot. When another node reads the input too, it stays
 * a float input and the OneHot is listed as unsupported, with why. */
static void one_hot_graph(pb_writer *g, int also_relu) {
  int64_t one = 1, two = 2, four = 4;
  static const float depth = 4, off_on[2] = {0, 1};
  value_info(g, 11, "c", 0, NULL);
  initializer(g, "depth", 1, &one, &depth, 1);
  initializer(g, "values", 1, &two, off_on, 2);
  size_t k = pb_begin(g, 1);
  pb_put_string(g, 1, "c");
  pb_put_string(g, 1, "depth");
  pb_put_string(g, 1, "values");
  pb_put_string(g, 2, "code");
  pb_put_string(g, 3, "code");
  pb_put_string(g, 4, "OneHot");
  pb_end(g, k);
  node(g, "Relu", "r", "code", "r");
  value_info(g, 12, "r", 1, &four);
  if (also_relu) {
    node(g, "Relu", "rc", "c", "rc");
    value_info(g, 12, "rc", 0, NULL);
  }
}

static void test_one_hot_of_a_class_input(void) {
  for (int also_relu = 0; also_relu <= 1; also_relu++) {
    pb_writer g = {0}, m = {0};
    one_hot_graph(&g, also_relu);
    model(&m, &g);
    CU_ASSERT_FALSE(g.oom || m.oom);
    char err[2048] = "";
    nnd_onnx_import *im = NULL;
    int rc = nnd_onnx_convert("oh.onnx", m.data, m.len, "oh", "oh.safetensors", &im, err,
                              sizeof err);
    if (!also_relu) {
      CU_ASSERT_EQUAL_FATAL(rc, 0);
      const char *text = nnd_onnx_import_text(im);
      CU_ASSERT_PTR_NOT_NULL(strstr(text, "input c: class[4]\n"));
      CU_ASSERT_PTR_NOT_NULL(strstr(text, "code = one_hot(c)\n"));
      nnd_model *nm = compile_ok(text);
      CU_ASSERT_PTR_NOT_NULL(nm);
      nnd_model_free(nm);
    } else {
      CU_ASSERT_EQUAL(rc, -1);
      CU_ASSERT_PTR_NOT_NULL(strstr(err, "OneHot (node `code`): its indices must be a graph "
                                         "input of shape [N] that only OneHot nodes read"));
      if (!strstr(err, "OneHot (node")) printf("\n  got: %s\n", err);
    }
    nnd_onnx_import_free(im);
    pb_writer_free(&g);
    pb_writer_free(&m);
  }
}

/* Every proper prefix of a valid file is refused with a message (the graph
 * is the last field, so each one cuts it), and none crashes. */
static void test_truncated_files_refused(void) {
  pb_writer g = {0}, m = {0};
  int64_t four = 4;
  value_info(&g, 11, "x", 1, &four);
  node(&g, "Relu", "r", "x", "r");
  value_info(&g, 12, "r", 1, &four);
  model(&m, &g);
  int refused = 0;
  for (size_t n = 0; n < m.len; n++) {
    char err[1024] = "";
    nnd_onnx_import *im = NULL;
    int rc = nnd_onnx_convert("cut.onnx", m.data, n, "cut", "cut.safetensors", &im, err,
                              sizeof err);
    refused += rc != 0 && err[0] && !im;
    nnd_onnx_import_free(im);
  }
  CU_ASSERT_EQUAL(refused, (int)m.len);
  pb_writer_free(&g);
  pb_writer_free(&m);
}

/* A tensor whose dims claim 2^28 floats and carries none is refused
 * before anything of that size is allocated. */
static void test_sizes_checked_before_use(void) {
  pb_writer t = {0}, g = {0}, m = {0};
  int64_t big = 1 << 28;
  size_t k = pb_begin(&g, 5);
  pb_put_int64(&g, 1, big);
  pb_put_varint(&g, 2, 1);
  pb_put_string(&g, 8, "w");
  pb_end(&g, k);
  model(&m, &g);
  ox_model ox;
  char err[512] = "";
  CU_ASSERT_EQUAL(ox_read(m.data, m.len, &ox, err, sizeof err), -1);
  CU_ASSERT_PTR_NOT_NULL(strstr(err, "tensor `w`: 0 values for dims of 268435456 elements"));
  ox_model_free(&ox);
  /* a length prefix past the end of the input */
  static const uint8_t past[] = {0x3a, 0xff, 0xff, 0x03, 0x08};
  CU_ASSERT_EQUAL(ox_read(past, sizeof past, &ox, err, sizeof err), -1);
  CU_ASSERT_PTR_NOT_NULL(strstr(err, "malformed protobuf"));
  ox_model_free(&ox);
  /* a varint of eleven bytes */
  static const uint8_t longv[] = {0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                  0xff, 0xff, 0xff, 0xff, 0x01};
  CU_ASSERT_EQUAL(ox_read(longv, sizeof longv, &ox, err, sizeof err), -1);
  ox_model_free(&ox);
  pb_writer_free(&t);
  pb_writer_free(&g);
  pb_writer_free(&m);
}

static int exists(const char *p) {
  struct stat st;
  return lstat(p, &st) == 0;
}

/* A refused import leaves neither the .nnd nor the weights behind. */
static void test_nothing_half_written(void) {
  char in[256], out[256], w[256];
  snprintf(in, sizeof in, "%s/bad.onnx", dir);
  snprintf(out, sizeof out, "%s/bad.nnd", dir);
  snprintf(w, sizeof w, "%s/bad.safetensors", dir);
  FILE *f = fopen(in, "wb");
  CU_ASSERT_PTR_NOT_NULL_FATAL(f);
  fputs("this is not protobuf at all\n", f);
  fclose(f);
  char err[1024] = "";
  CU_ASSERT_EQUAL(nnd_onnx_import_file(in, out, w, err, sizeof err), -1);
  CU_ASSERT_PTR_NOT_NULL(strstr(err, "bad.onnx"));
  CU_ASSERT_FALSE(exists(out));
  CU_ASSERT_FALSE(exists(w));
}

/* When the model file cannot be written after the weights were, the
 * weights this import created are taken back. */
static void test_weights_taken_back(void) {
  pb_writer g = {0}, m = {0};
  int64_t four = 4;
  value_info(&g, 11, "x", 1, &four);
  node(&g, "Relu", "r", "x", "r");
  value_info(&g, 12, "r", 1, &four);
  model(&m, &g);
  char in[256], out[256], w[256], err[1024] = "";
  snprintf(in, sizeof in, "%s/ok.onnx", dir);
  snprintf(out, sizeof out, "%s/no/such/dir/ok.nnd", dir);
  snprintf(w, sizeof w, "%s/ok.safetensors", dir);
  FILE *f = fopen(in, "wb");
  CU_ASSERT_PTR_NOT_NULL_FATAL(f);
  fwrite(m.data, 1, m.len, f);
  fclose(f);
  CU_ASSERT_EQUAL(nnd_onnx_import_file(in, out, w, err, sizeof err), -1);
  CU_ASSERT_FALSE(exists(w));
  CU_ASSERT_FALSE(exists(out));
  pb_writer_free(&g);
  pb_writer_free(&m);
}

/* nnd export refuses an op with no ONNX form, naming op and node. */
static void test_export_refuses_plugin_op(void) {
  char model_path[256], w[256], out[256], args[1024];
  snprintf(model_path, sizeof model_path, "%s/swish.nnd", dir);
  snprintf(w, sizeof w, "%s/none.safetensors", dir);
  snprintf(out, sizeof out, "%s/swish.onnx", dir);
  FILE *f = fopen(model_path, "w");
  CU_ASSERT_PTR_NOT_NULL_FATAL(f);
  fputs("model s\ninput x: [3]\ninput t: [3]\nsw = swish(relu(x))\nloss mse(sw, t)\n", f);
  fclose(f);
  char err[512];
  CU_ASSERT_EQUAL_FATAL(nnd_checkpoint_save(w, NULL, 0, NULL, NULL, 0, err, sizeof err), 0);
  snprintf(args, sizeof args, "--plugin-dir '%s/tests/plugins/.libs' export '%s' --weights '%s' -o '%s'",
           NND_TEST_BUILDDIR, model_path, w, out);
  int status = 0;
  char *text = run_nnd(args, &status);
  CU_ASSERT_EQUAL(status, 1);
  CU_ASSERT_PTR_NOT_NULL(text && strstr(text, "op `acme.swish` (node `sw`) has no ONNX form"));
  if (text && !strstr(text, "acme.swish")) printf("\n  got: %s\n", text);
  CU_ASSERT_FALSE(exists(out));
  free(text);
}

void test_onnx_register(void) {
  CU_pSuite s = CU_add_suite("onnx", suite_init, suite_clean);
  CU_add_test(s, "import lists every unsupported node in one error",
              test_unsupported_listed_once);
  CU_add_test(s, "a supported graph imports into a model that compiles",
              test_supported_graph_converts);
  CU_add_test(s, "MatMul then Add of a bias is one dense layer", test_matmul_add_is_dense);
  CU_add_test(s, "OneHot of an input only it reads is one_hot of a class input",
              test_one_hot_of_a_class_input);
  CU_add_test(s, "every truncation of a file is refused", test_truncated_files_refused);
  CU_add_test(s, "sizes and lengths are checked before use", test_sizes_checked_before_use);
  CU_add_test(s, "a refused import writes nothing", test_nothing_half_written);
  CU_add_test(s, "a model that cannot be written takes its weights back",
              test_weights_taken_back);
  CU_add_test(s, "export refuses a third-party op by op and node",
              test_export_refuses_plugin_op);
}
