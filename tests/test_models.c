/* test_models.c — the models shipped in models/ compile, with the shapes and
 * parameter counts of the seed problem sets. The seed models in models/seeds/
 * carry their own numbers, checked by test_seeds.c. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prediction.h"
#include "shape.h"
#include "tests.h"

static nnd_model *load(const char *rel) {
  char path[1024];
  nnd_model *m = NULL;
  nnd_diag_list *d = NULL;
  if (nnd_compile_file(src_path(rel, path, sizeof path), &m, &d) != 0) {
    char *text = nnd_diag_render(d, 0);
    fprintf(stderr, "\n%s", text ? text : "");
    free(text);
  }
  nnd_diag_list_free(d);
  return m;
}

static const char *shape(const nnd_model *m, const char *name) {
  static char buf[128];
  const nnd_node *n = node_named(m, name);
  return n ? nnd_shape_str_batch(&n->type, buf, sizeof buf) : "<missing>";
}

static void test_fashion_cnn(void) {
  nnd_model *m = load("models/fashion_cnn.nnd");
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  CU_ASSERT_EQUAL(nnd_model_param_count(m), 421642);
  CU_ASSERT_EQUAL(nnd_ir_param_count(m, node_named(m, "conv_block_1.conv2d_1")), 320);
  CU_ASSERT_EQUAL(nnd_ir_param_count(m, node_named(m, "conv_block_2.conv2d_1")), 18496);
  CU_ASSERT_EQUAL(nnd_ir_param_count(m, node_named(m, "dense_1")), 401536);
  CU_ASSERT_EQUAL(nnd_ir_param_count(m, node_named(m, "logits")), 1290);
  CU_ASSERT_STRING_EQUAL(shape(m, "f"), "[N, 3136]");
  CU_ASSERT_STRING_EQUAL(node_named(m, "label")->class_names[9], "Ankle boot");
  CU_ASSERT_EQUAL(m->n_losses, 1);
  nnd_model_free(m);
}

static void test_mlps(void) {
  nnd_model *m = load("models/fashion_mlp.nnd");
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  CU_ASSERT_EQUAL(nnd_model_param_count(m), 784 * 300 + 300 + 300 * 10 + 10);
  CU_ASSERT_STRING_EQUAL(shape(m, "hidden"), "[N, 300]");
  nnd_model_free(m);
  m = load("models/mnist_mlp.nnd");
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  CU_ASSERT_EQUAL(nnd_model_param_count(m), 238510);
  const nnd_setting *data = nnd_ir_setting(m, "data");
  CU_ASSERT_PTR_NOT_NULL_FATAL(data);
  CU_ASSERT_STRING_EQUAL(data->value.items[0].str, "../data/mnist10k/train-images-idx3-ubyte.gz");
  nnd_model_free(m);
}

/* A number-valued train key, or NAN when missing. */
static double setting_num(const nnd_model *m, const char *key) {
  const nnd_setting *st = nnd_ir_setting(m, key);
  return st && st->given && st->value.kind == NND_VAL_NUMBER ? st->value.num : NAN;
}

/* The optimizer's argument `arg`, or NAN. */
static double optimizer_arg(const nnd_model *m, const char *arg) {
  const nnd_setting *st = nnd_ir_setting(m, "optimizer");
  if (!st || st->value.kind != NND_VAL_CALL) return NAN;
  for (int i = 0; i < st->value.count; i++)
    if (st->value.names[i] && strcmp(st->value.names[i], arg) == 0)
      return st->value.items[i].num;
  return NAN;
}

/* The seed's two MNIST networks, on the full MNIST in data/mnist with the seed's
 * settings (the runs themselves are in the README; they take minutes). */
static void test_seed_mnist(void) {
  nnd_model *m = load("models/mnist_seed_per_example.nnd");
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  CU_ASSERT_EQUAL(nnd_model_param_count(m), 784 * 128 + 128 + 128 * 10 + 10);
  CU_ASSERT_STRING_EQUAL(shape(m, "hidden"), "[N, 128]");
  /* sigmoid outputs on squared error against one_hot(digit): the sum over
     the 10 outputs, and the outputs predict digit's classes */
  CU_ASSERT_EQUAL_FATAL(m->n_losses, 1);
  CU_ASSERT_DOUBLE_EQUAL(m->losses[0].weight, 10, 1e-12);
  nnd_prediction p;
  CU_ASSERT_EQUAL_FATAL(nnd_model_prediction(m, "digit", &p), 0);
  CU_ASSERT_STRING_EQUAL(p.node, "out");
  CU_ASSERT_EQUAL(p.kind, NND_PRED_IDENTITY);
  CU_ASSERT_EQUAL(setting_num(m, "batch"), 1);
  CU_ASSERT_EQUAL(setting_num(m, "epochs"), 10);
  CU_ASSERT_DOUBLE_EQUAL(optimizer_arg(m, "lr"), 0.01, 1e-12);
  const nnd_setting *data = nnd_ir_setting(m, "data");
  CU_ASSERT_PTR_NOT_NULL_FATAL(data);
  CU_ASSERT_STRING_EQUAL(data->value.items[0].str, "../data/mnist/train-images-idx3-ubyte.gz");
  nnd_model_free(m);
  m = load("models/mnist_seed_sweep.nnd");
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  CU_ASSERT_EQUAL(nnd_model_param_count(m), 238510);
  CU_ASSERT_STRING_EQUAL(shape(m, "hidden"), "[N, 300]");
  CU_ASSERT_EQUAL(setting_num(m, "epochs"), 5);
  data = nnd_ir_setting(m, "test");
  CU_ASSERT_PTR_NOT_NULL_FATAL(data);
  CU_ASSERT_STRING_EQUAL(data->value.items[0].str, "../data/mnist/t10k-images-idx3-ubyte.gz");
  nnd_model_free(m);
}

void test_models_register(void) {
  CU_pSuite s = CU_add_suite("models", NULL, NULL);
  CU_add_test(s, "fashion_cnn has 421,642 parameters", test_fashion_cnn);
  CU_add_test(s, "the MLPs", test_mlps);
  CU_add_test(s, "the seed's MNIST networks on the full MNIST", test_seed_mnist);
}
