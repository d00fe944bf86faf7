/* test_models.c — every model shipped in models/ compiles, and its shapes
 * and parameter counts are the numbers of the seed problem sets. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static void test_seed_cnn_counts(void) {
  nnd_model *m = load("models/seeds/s000_q7_cnn.nnd");
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  CU_ASSERT_EQUAL(nnd_model_param_count(m), 421642);
  CU_ASSERT_STRING_EQUAL(shape(m, "c2"), "[N, 64, 7, 7]");
  nnd_model_free(m);
}

static void test_s001_shapes(void) {
  nnd_model *m = load("models/seeds/s001_conv_stride.nnd");
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  CU_ASSERT_STRING_EQUAL(shape(m, "features"), "[N, 64, 25, 25]");
  nnd_model_free(m);
  m = load("models/seeds/s001_dense_big.nnd");
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  CU_ASSERT_EQUAL(nnd_model_param_count(m), 441060000LL);
  CU_ASSERT_STRING_EQUAL(shape(m, "out"), "[N, 6, 50, 50]");
  nnd_model_free(m);
  m = load("models/seeds/s001_six_filters.nnd");
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  CU_ASSERT_EQUAL(nnd_model_param_count(m), 168);
  CU_ASSERT_STRING_EQUAL(shape(m, "features"), "[N, 6, 30, 30]");
  nnd_model_free(m);
}

static void test_small_seed_networks(void) {
  static const struct {
    const char *file;
    int64_t params;
    const char *node, *shape;
  } cases[] = {
      {"models/seeds/s000_q1_sigmoid_neuron.nnd", 6, "z", "[N, 1]"},
      {"models/seeds/s000_q2_network.nnd", 10 + 2 + 6 + 3, "out", "[N, 3]"},
      {"models/seeds/s000_q2_no_bias.nnd", 10 + 6, "hidden", "[N, 2]"},
      {"models/seeds/s002_q1_conv.nnd", 5, "Y", "[N, 1, 3, 3]"},
      {"models/seeds/s002_q2_two_heads.nnd", 6 + 2 + 8 + 4 + 2 + 1, "p1", "[N, 4]"},
      {"models/seeds/s002_q4_stable_ce_a.nnd", 0, "logits", "[N, 3]"},
      {"models/seeds/s002_q4_stable_ce_b.nnd", 0, "logits", "[N, 3]"},
      {"models/seeds/conv1d_same.nnd", 4, "y", "[N, 1, 6]"},
      {"models/seeds/sigmoid_2_3_2.nnd", 6 + 3 + 6 + 2, "z", "[N, 2]"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    nnd_model *m = load(cases[i].file);
    CU_ASSERT_PTR_NOT_NULL(m);
    if (!m) continue;
    CU_ASSERT_EQUAL(nnd_model_param_count(m), cases[i].params);
    CU_ASSERT_STRING_EQUAL(shape(m, cases[i].node), cases[i].shape);
    nnd_model_free(m);
  }
}

void test_models_register(void) {
  CU_pSuite s = CU_add_suite("models", NULL, NULL);
  CU_add_test(s, "fashion_cnn has 421,642 parameters", test_fashion_cnn);
  CU_add_test(s, "the MLPs", test_mlps);
  CU_add_test(s, "s000-q7 CNN counts", test_seed_cnn_counts);
  CU_add_test(s, "s001 shapes and counts", test_s001_shapes);
  CU_add_test(s, "small seed networks", test_small_seed_networks);
}
