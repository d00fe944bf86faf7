/* test_lang.c — every construct of the language, compiled and checked in
 * the IR it produces: names, shapes, inputs, attributes, values. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "attr.h"
#include "ir_dump.h"
#include "shape.h"
#include "tests.h"

static const char *shape_of(const nnd_model *m, const char *name) {
  static char buf[128];
  const nnd_node *n = node_named(m, name);
  if (!n) return "<missing>";
  return nnd_shape_str_batch(&n->type, buf, sizeof buf);
}

static const char *op_of(const nnd_model *m, const char *name) {
  const nnd_node *n = node_named(m, name);
  if (!n) return "<missing>";
  if (n->kind == NND_NODE_OP) return n->op->name;
  return n->kind == NND_NODE_INPUT ? "input" : n->kind == NND_NODE_PARAM ? "param" : "const";
}

static const nnd_value *attr_of(const nnd_model *m, const char *node, const char *attr) {
  const nnd_node *n = node_named(m, node);
  if (!n || n->kind != NND_NODE_OP) return NULL;
  for (int i = 0; i < n->op->n_attrs; i++)
    if (strcmp(n->op->attrs[i].name, attr) == 0) return &n->attrs[i];
  return NULL;
}

static const char *value_text(const nnd_value *v) {
  static char buf[512];
  if (!v) return "<none>";
  nnd_value_format(v, buf, sizeof buf);
  return buf;
}

static void test_model_statement(void) {
  nnd_model *m = compile_ok("model demo \"a demo model\"\ninput x: [2]\n");
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  CU_ASSERT_STRING_EQUAL(nnd_model_name(m), "demo");
  CU_ASSERT_STRING_EQUAL(nnd_model_description(m), "a demo model");
  nnd_model_free(m);
  /* without a model statement the name comes from the file */
  m = compile_ok("input x: [2]\n");
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  CU_ASSERT_STRING_EQUAL(nnd_model_name(m), "test");
  nnd_model_free(m);
}

static void test_input_types(void) {
  nnd_model *m = compile_ok(
      "input image: [1, 28, 28]\n"
      "input digit: class[10]\n"
      "input animal: class[\"cat\", \"dog\", \"bird\"]\n"
      "input flag: binary\n");
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  CU_ASSERT_STRING_EQUAL(shape_of(m, "image"), "[N, 1, 28, 28]");
  const nnd_node *d = node_named(m, "digit"), *a = node_named(m, "animal"),
                 *f = node_named(m, "flag");
  CU_ASSERT_EQUAL(d->type.dtype, NND_CLASS);
  CU_ASSERT_EQUAL(d->type.classes, 10);
  CU_ASSERT_PTR_NULL(d->class_names);
  CU_ASSERT_EQUAL(a->type.classes, 3);
  CU_ASSERT_STRING_EQUAL(a->class_names[2], "bird");
  CU_ASSERT_EQUAL(f->type.dtype, NND_BINARY);
  CU_ASSERT_EQUAL(f->type.ndim, 0);
  nnd_model_free(m);
}

static void test_input_literals(void) {
  nnd_model *m = compile_ok(
      "input x: [3] = [1, 2, 3]\n"
      "input batch: [2] = [[1, 2], [3, 4], [5, 6]]\n"
      "input mood: class[4] = 0\n"
      "input moods: class[4] = [3, 1]\n"
      "input will_lose: binary = 0.25\n");
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  CU_ASSERT_STRING_EQUAL(value_text(&node_named(m, "x")->value), "[1, 2, 3]");
  CU_ASSERT_STRING_EQUAL(value_text(&node_named(m, "batch")->value),
                         "[[1, 2], [3, 4], [5, 6]]");
  CU_ASSERT_STRING_EQUAL(value_text(&node_named(m, "mood")->value), "0");
  CU_ASSERT_STRING_EQUAL(value_text(&node_named(m, "moods")->value), "[3, 1]");
  CU_ASSERT_DOUBLE_EQUAL(node_named(m, "will_lose")->value.num, 0.25, 1e-12);
  nnd_model_free(m);
}

static void test_params(void) {
  nnd_model *m = compile_ok(
      "param W: [2, 3] = [[1, 1, 0], [0, 0, 1]]\n"
      "param b: [2] = 0\n"
      "param U: [4, 3] = normal(std=0.5)\n"
      "param V: [4, 3]\n"
      "param c: [4]\n");
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  const nnd_node *W = node_named(m, "W");
  CU_ASSERT_EQUAL(W->kind, NND_NODE_PARAM);
  CU_ASSERT_EQUAL(W->type.batched, 0);
  CU_ASSERT_STRING_EQUAL(shape_of(m, "W"), "[2, 3]");
  CU_ASSERT_STRING_EQUAL(value_text(&W->value), "[[1, 1, 0], [0, 0, 1]]");
  CU_ASSERT_STRING_EQUAL(value_text(&node_named(m, "b")->value), "0");
  CU_ASSERT_STRING_EQUAL(value_text(&node_named(m, "U")->value), "normal(mean=0, std=0.5)");
  /* defaults: a matrix gets Xavier, a vector zeros */
  CU_ASSERT_STRING_EQUAL(node_named(m, "V")->value.str, "xavier");
  CU_ASSERT_STRING_EQUAL(node_named(m, "c")->value.str, "zeros");
  CU_ASSERT_EQUAL(nnd_model_param_count(m), 6 + 2 + 12 + 12 + 4);
  nnd_model_free(m);
}

static void test_bindings_and_rebinding(void) {
  nnd_model *m = compile_ok(
      "input x: [4]\n"
      "h = relu(x)\n"
      "h = sigmoid(h)\n"
      "h = tanh(h)\n"
      "y = h\n");
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  /* each binding is a node; a rebinding gets a fresh, stable name and later
     uses see the newest one */
  CU_ASSERT_STRING_EQUAL(op_of(m, "h"), "relu");
  CU_ASSERT_STRING_EQUAL(op_of(m, "h_2"), "sigmoid");
  CU_ASSERT_STRING_EQUAL(op_of(m, "h_3"), "tanh");
  const nnd_node *h3 = node_named(m, "h_3"), *h2 = node_named(m, "h_2");
  CU_ASSERT_EQUAL(h3->inputs[0], h2->id);
  CU_ASSERT_EQUAL(nnd_model_node_count(m), 4); /* y aliases h_3 */
  nnd_model_free(m);
}

static void test_nested_calls_and_generated_names(void) {
  nnd_model *m = compile_ok(
      "input x: [8]\n"
      "y = relu(dense(relu(dense(x, units=6)), units=4))\n"
      "z = dense(y, units=2, name=\"head\")\n");
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  CU_ASSERT_STRING_EQUAL(op_of(m, "dense_1"), "dense");
  CU_ASSERT_STRING_EQUAL(op_of(m, "relu_1"), "relu");
  CU_ASSERT_STRING_EQUAL(op_of(m, "dense_2"), "dense");
  CU_ASSERT_STRING_EQUAL(op_of(m, "y"), "relu");
  CU_ASSERT_STRING_EQUAL(shape_of(m, "dense_1"), "[N, 6]");
  CU_ASSERT_STRING_EQUAL(shape_of(m, "y"), "[N, 4]");
  CU_ASSERT_STRING_EQUAL(shape_of(m, "dense_2.weight"), "[4, 6]");
  /* name= names the node and its parameters; the binding is an alias */
  CU_ASSERT_STRING_EQUAL(op_of(m, "head"), "dense");
  CU_ASSERT_STRING_EQUAL(shape_of(m, "head.weight"), "[2, 4]");
  CU_ASSERT_PTR_NULL(node_named(m, "z"));
  nnd_model_free(m);
}

static void test_positional_inputs_and_attributes(void) {
  nnd_model *m = compile_ok(
      "input a: [2, 5]\n"
      "input b: [3, 5]\n"
      "c = concat(a, b, axis=0)\n"
      "d = conv1d(c, filters=4, kernel=2, stride=[2], padding=\"valid\")\n");
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  const nnd_node *c = node_named(m, "c");
  CU_ASSERT_EQUAL(c->n_data_inputs, 2);
  CU_ASSERT_STRING_EQUAL(shape_of(m, "c"), "[N, 5, 5]");
  CU_ASSERT_STRING_EQUAL(value_text(attr_of(m, "d", "kernel")), "[2]");
  CU_ASSERT_STRING_EQUAL(value_text(attr_of(m, "d", "padding")), "\"valid\"");
  CU_ASSERT_STRING_EQUAL(shape_of(m, "d"), "[N, 4, 2]");
  nnd_model_free(m);
}

static void test_operator_precedence(void) {
  /* W @ x + b * c must be add(matmul(W, x), mul(b, c)) */
  nnd_model *m = compile_ok(
      "input x: [3]\n"
      "param W: [2, 3]\n"
      "param b: [2]\n"
      "param c: [2]\n"
      "y = W @ x + b * c\n"
      "z = (x - x) * x\n");
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  const nnd_node *y = node_named(m, "y");
  CU_ASSERT_STRING_EQUAL(y->op->name, "add");
  CU_ASSERT_STRING_EQUAL(m->nodes[y->inputs[0]].op->name, "matmul");
  CU_ASSERT_STRING_EQUAL(m->nodes[y->inputs[1]].op->name, "mul");
  CU_ASSERT_STRING_EQUAL(shape_of(m, "y"), "[N, 2]");
  const nnd_node *z = node_named(m, "z");
  CU_ASSERT_STRING_EQUAL(z->op->name, "mul");
  CU_ASSERT_STRING_EQUAL(m->nodes[z->inputs[0]].op->name, "sub");
  nnd_model_free(m);
}

static void test_operators_left_assoc_and_unary(void) {
  nnd_model *m = compile_ok(
      "input x: [2]\n"
      "y = x - x - x\n"
      "n = -x\n"
      "h = x / 4\n");
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  const nnd_node *y = node_named(m, "y");
  /* (x - x) - x: the left operand is the inner subtraction */
  CU_ASSERT_STRING_EQUAL(m->nodes[y->inputs[0]].op->name, "sub");
  CU_ASSERT_EQUAL(m->nodes[y->inputs[1]].kind, NND_NODE_INPUT);
  const nnd_node *n = node_named(m, "n");
  CU_ASSERT_STRING_EQUAL(n->op->name, "mul");
  CU_ASSERT_DOUBLE_EQUAL(m->nodes[n->inputs[1]].value.num, -1, 0);
  const nnd_node *h = node_named(m, "h");
  CU_ASSERT_STRING_EQUAL(h->op->name, "mul");
  CU_ASSERT_DOUBLE_EQUAL(m->nodes[h->inputs[1]].value.num, 0.25, 0);
  nnd_model_free(m);
}

static void test_numeric_attribute_expressions(void) {
  nnd_model *m = compile_ok(
      "input x: [1, 8, 8]\n"
      "n = 16\n"
      "y = conv2d(x, filters=n * 2, kernel=(1 + 2), padding=-(-1))\n"
      "d = dropout(y, rate=1/4)\n"
      "train { data = idx(\"a.gz\", \"b.gz\", scale=1/255); batch = 2 * 32 }\n");
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  CU_ASSERT_STRING_EQUAL(value_text(attr_of(m, "y", "filters")), "32");
  CU_ASSERT_STRING_EQUAL(value_text(attr_of(m, "y", "kernel")), "[3, 3]");
  CU_ASSERT_STRING_EQUAL(shape_of(m, "y"), "[N, 32, 8, 8]");
  CU_ASSERT_DOUBLE_EQUAL(attr_of(m, "d", "rate")->num, 0.25, 0);
  const nnd_setting *data = nnd_ir_setting(m, "data");
  CU_ASSERT_PTR_NOT_NULL_FATAL(data);
  CU_ASSERT_DOUBLE_EQUAL(data->value.items[2].num, 1.0 / 255, 1e-15);
  CU_ASSERT_DOUBLE_EQUAL(nnd_ir_setting(m, "batch")->value.num, 64, 0);
  nnd_model_free(m);
}

static void test_blocks_inline(void) {
  nnd_model *m = compile_ok(
      "input image: [1, 28, 28]\n"
      "block conv_block(x, n) {\n"
      "  c = conv2d(x, filters=n, kernel=3, padding=1)\n"
      "  return maxpool(relu(c), size=2)\n"
      "}\n"
      "a = conv_block(image, 32)\n"
      "b = conv_block(a, n=64)\n"
      "f = flatten(conv_block(b, 8))\n");
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  /* a bound call prefixes its nodes with the binding, an anonymous one with
     the block's name and a counter */
  CU_ASSERT_STRING_EQUAL(shape_of(m, "a.c"), "[N, 32, 28, 28]");
  CU_ASSERT_STRING_EQUAL(shape_of(m, "a.maxpool_1"), "[N, 32, 14, 14]");
  CU_ASSERT_STRING_EQUAL(shape_of(m, "b.c.weight"), "[64, 32, 3, 3]");
  CU_ASSERT_STRING_EQUAL(shape_of(m, "conv_block_1.c"), "[N, 8, 7, 7]");
  CU_ASSERT_STRING_EQUAL(shape_of(m, "f"), "[N, 72]");
  CU_ASSERT_EQUAL(nnd_model_param_count(m), 320 + 18496 + 4616);
  nnd_model_free(m);
}

static void test_blocks_calling_blocks(void) {
  nnd_model *m = compile_ok(
      "input x: [4]\n"
      "block layer(x, k) { return relu(dense(x, units=k)) }\n"
      "block twice(x) { h = layer(x, 3); return layer(h, 2) }\n"
      "y = twice(twice(x))\n");
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  CU_ASSERT_STRING_EQUAL(shape_of(m, "twice_1.h.dense_1"), "[N, 3]");
  CU_ASSERT_STRING_EQUAL(shape_of(m, "y.layer_1.dense_1.weight"), "[2, 3]");
  CU_ASSERT_EQUAL(nnd_model_param_count(m), (4 * 3 + 3) + (3 * 2 + 2) + (2 * 3 + 3) + (3 * 2 + 2));
  nnd_model_free(m);
}

static void test_losses_with_weights(void) {
  nnd_model *m = compile_ok(
      "input x: [3] = [1, 2, 3]\n"
      "input mood: class[4] = 0\n"
      "input lose: binary = 0\n"
      "input t: [3] = [0, 0, 0]\n"
      "p1 = dense(x, units=4)\n"
      "p2 = dense(x, units=1)\n"
      "loss cross_entropy(p1, mood)\n"
      "loss binary_cross_entropy(p2, lose) * 0.5\n"
      "loss 2 * mse(x, t)\n");
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  CU_ASSERT_EQUAL_FATAL(m->n_losses, 3);
  CU_ASSERT_DOUBLE_EQUAL(m->losses[0].weight, 1, 0);
  CU_ASSERT_DOUBLE_EQUAL(m->losses[1].weight, 0.5, 0);
  CU_ASSERT_DOUBLE_EQUAL(m->losses[2].weight, 2, 0);
  CU_ASSERT_STRING_EQUAL(m->nodes[m->losses[1].node].op->name, "binary_cross_entropy");
  CU_ASSERT_STRING_EQUAL(shape_of(m, "cross_entropy_1"), "[]");
  nnd_model_free(m);
}

static void test_train_block(void) {
  nnd_model *m = compile_ok(
      "input x: [2]\n"
      "train {\n"
      "  data      = moons(n=200, noise=0.2)\n"
      "  optimizer = adam(lr=0.003)\n"
      "  schedule  = step(every=2, gamma=0.5)\n"
      "  batch     = 16; epochs = 3\n"
      "  shuffle   = false\n"
      "}\n");
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  CU_ASSERT_STRING_EQUAL(value_text(&nnd_ir_setting(m, "optimizer")->value),
                         "adam(lr=0.003, beta1=0.9, beta2=0.999, eps=1e-08, weight_decay=0)");
  CU_ASSERT_STRING_EQUAL(value_text(&nnd_ir_setting(m, "schedule")->value),
                         "step(every=2, gamma=0.5)");
  CU_ASSERT_DOUBLE_EQUAL(nnd_ir_setting(m, "epochs")->value.num, 3, 0);
  CU_ASSERT_TRUE(nnd_ir_setting(m, "epochs")->given);
  CU_ASSERT_DOUBLE_EQUAL(nnd_ir_setting(m, "shuffle")->value.num, 0, 0);
  /* unset keys get their defaults, marked as such */
  CU_ASSERT_FALSE(nnd_ir_setting(m, "seed")->given);
  CU_ASSERT_DOUBLE_EQUAL(nnd_ir_setting(m, "seed")->value.num, 42, 0);
  CU_ASSERT_PTR_NULL(nnd_ir_setting(m, "test"));
  nnd_model_free(m);
}

static void test_comments_and_separators(void) {
  nnd_model *m = compile_ok(
      "# a comment line\n"
      "input x: [2]   # trailing comment\n"
      "\n\n"
      "a = relu(x); b = tanh(a)   ;\n"
      "c = a +\n"
      "    b\n"
      "d = concat(a,\n"
      "           b,   # inside parentheses newlines are free\n"
      "           )\n"
      "# no newline at the end");
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  CU_ASSERT_STRING_EQUAL(op_of(m, "c"), "add");
  CU_ASSERT_STRING_EQUAL(shape_of(m, "d"), "[N, 4]");
  nnd_model_free(m);
}

static void test_bias_false_and_literal_weights(void) {
  nnd_model *m = compile_ok(
      "input x: [2]\n"
      "a = dense(x, units=3, bias=false)\n"
      "b = dense(x, units=2, weight=[[1, 2], [3, 4]], bias=[0.5, -0.5])\n"
      "c = dense(x, units=2, weight=he(), bias=0.1)\n");
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  CU_ASSERT_PTR_NULL(node_named(m, "a.bias"));
  CU_ASSERT_EQUAL(node_named(m, "a")->n_inputs, 2);
  CU_ASSERT_STRING_EQUAL(value_text(&node_named(m, "b.weight")->value), "[[1, 2], [3, 4]]");
  CU_ASSERT_STRING_EQUAL(value_text(&node_named(m, "b.bias")->value), "[0.5, -0.5]");
  CU_ASSERT_STRING_EQUAL(node_named(m, "c.weight")->value.str, "he");
  CU_ASSERT_DOUBLE_EQUAL(node_named(m, "c.bias")->value.num, 0.1, 1e-12);
  nnd_model_free(m);
}

static void test_string_escapes_and_utf8(void) {
  nnd_model *m = compile_ok(
      "model m \"tab\\there \\\"quoted\\\" back\\\\slash\"\n"
      "input y: class[\"caf\xc3\xa9\", \"\xe7\x8c\xab\"]\n");
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  CU_ASSERT_STRING_EQUAL(nnd_model_description(m), "tab\there \"quoted\" back\\slash");
  CU_ASSERT_STRING_EQUAL(node_named(m, "y")->class_names[0], "caf\xc3\xa9");
  nnd_model_free(m);
}

static void test_columns_count_characters(void) {
  /* a UTF-8 name in a string before the error must not shift the column */
  CU_ASSERT_TRUE(compile_fails_at("input y: class[\"\xc3\xa9t\xc3\xa9\", \"b\"] $\n",
                                  strlen("input y: class[\"\xc3\xa9t\xc3\xa9\", \"b\"] $\n"),
                                  1, 28, "unexpected character"));
}

static void test_several_errors_per_run(void) {
  int errors = 0;
  char *text = compile_diagnostics(
      "input x: [4]\n"
      "a = relu(x\n"
      "input z: [4]\n"        /* swallowed by the open parenthesis */
      "b = dense(x, units=0)\n"
      "c = $\n"
      "d = 3 +\n",
      strlen("input x: [4]\na = relu(x\ninput z: [4]\nb = dense(x, units=0)\nc = $\nd = 3 +\n"),
      &errors);
  CU_ASSERT_PTR_NOT_NULL_FATAL(text);
  CU_ASSERT_TRUE(errors >= 3);
  CU_ASSERT_PTR_NOT_NULL(strstr(text, "test.nnd:3:1: error: unexpected 'input'; expected ')' to close '(' at line 2"));
  CU_ASSERT_PTR_NOT_NULL(strstr(text, "test.nnd:5:5: error: unexpected character '$'"));
  /* the source line and a caret under the column */
  CU_ASSERT_PTR_NOT_NULL(strstr(text, "  c = $\n      ^\n"));
  free(text);
}

static void test_namespaced_op_names_resolve(void) {
  /* standard ops answer to their plain names; a dotted name that matches no
     op is an unknown op, not a crash */
  CU_ASSERT_TRUE(compile_fails_at("input x: [2]\ny = acme.swish(x)\n",
                                  strlen("input x: [2]\ny = acme.swish(x)\n"), 2, 5,
                                  "unknown op `acme.swish`"));
}

static void test_ir_dump_is_stable(void) {
  char path[1024];
  nnd_model *m = NULL;
  CU_ASSERT_EQUAL_FATAL(nnd_compile_file(src_path("models/seeds/s002_q2_two_heads.nnd", path,
                                                  sizeof path), &m, NULL), 0);
  char *buf = NULL;
  size_t len = 0;
  FILE *out = open_memstream(&buf, &len);
  nnd_ir_dump(m, out);
  fclose(out);
  char *expected = read_src_file("tests/golden/two_heads.ir");
  CU_ASSERT_PTR_NOT_NULL_FATAL(expected);
  CU_ASSERT_STRING_EQUAL(buf, expected);
  free(expected);
  free(buf);
  nnd_model_free(m);
}

void test_lang_register(void) {
  CU_pSuite s = CU_add_suite("language", NULL, NULL);
  CU_add_test(s, "model statement", test_model_statement);
  CU_add_test(s, "input types", test_input_types);
  CU_add_test(s, "input literal values", test_input_literals);
  CU_add_test(s, "param shapes, literals, initializers", test_params);
  CU_add_test(s, "bindings and rebinding", test_bindings_and_rebinding);
  CU_add_test(s, "nested calls and generated names", test_nested_calls_and_generated_names);
  CU_add_test(s, "positional inputs and attributes", test_positional_inputs_and_attributes);
  CU_add_test(s, "operator precedence", test_operator_precedence);
  CU_add_test(s, "left associativity and unary minus", test_operators_left_assoc_and_unary);
  CU_add_test(s, "numeric attribute expressions", test_numeric_attribute_expressions);
  CU_add_test(s, "blocks inline with prefixes", test_blocks_inline);
  CU_add_test(s, "blocks calling blocks", test_blocks_calling_blocks);
  CU_add_test(s, "losses with weights", test_losses_with_weights);
  CU_add_test(s, "train block", test_train_block);
  CU_add_test(s, "comments and separators", test_comments_and_separators);
  CU_add_test(s, "bias=false and literal weights", test_bias_false_and_literal_weights);
  CU_add_test(s, "string escapes and UTF-8", test_string_escapes_and_utf8);
  CU_add_test(s, "columns count characters", test_columns_count_characters);
  CU_add_test(s, "several errors per run", test_several_errors_per_run);
  CU_add_test(s, "namespaced op names", test_namespaced_op_names_resolve);
  CU_add_test(s, "IR dump matches golden", test_ir_dump_is_stable);
}
