/* plugin_check_cases.c — small models for the standard ops, one node `y`
 * each, on which `nnd plugins --check` compares a plugin's kernel for a
 * standard op with nnd's naive one. A few shapes and attribute settings per
 * op: enough to reach the branches a fast kernel takes (padding, stride,
 * bias off, broadcasting), small enough to run in a fraction of a second. */
#include <string.h>

#include "plugin_check.h"

#define X(shape, expr) "input x: " shape "\ny = " expr "\n"
#define XT(shape, t, expr) "input x: " shape "\ninput t: " t "\ny = " expr "\n"
#define AB(a, b, expr) "input a: " a "\ninput b: " b "\ny = " expr "\n"

static const struct {
  const char *op, *src;
} cases[] = {
    {"dense", X("[5]", "dense(x, units=3)")},
    {"dense", X("[4]", "dense(x, units=2, bias=false)")},
    {"conv1d", X("[2, 7]", "conv1d(x, filters=3, kernel=3)")},
    {"conv1d", X("[3, 8]", "conv1d(x, filters=2, kernel=3, stride=2, padding=1)")},
    {"conv2d", X("[2, 5, 6]", "conv2d(x, filters=3, kernel=3)")},
    {"conv2d", X("[3, 7, 6]", "conv2d(x, filters=2, kernel=3, stride=2, padding=1, bias=false)")},
    {"conv2d", X("[1, 6, 7]", "conv2d(x, filters=2, kernel=[3,2], stride=[2,1], padding=[1,0])")},
    {"maxpool", X("[2, 4, 4]", "maxpool(x, size=2)")},
    {"maxpool", X("[1, 5, 5]", "maxpool(x, size=3, stride=2, padding=1)")},
    {"avgpool", X("[2, 4, 4]", "avgpool(x, size=2)")},
    {"avgpool", X("[1, 5, 5]", "avgpool(x, size=3, stride=2, padding=1)")},
    {"relu", X("[7]", "relu(x)")},
    {"relu", X("[2, 3]", "relu(x)")},
    {"sigmoid", X("[7]", "sigmoid(x)")},
    {"tanh", X("[7]", "tanh(x)")},
    {"leaky_relu", X("[7]", "leaky_relu(x, slope=0.1)")},
    {"softmax", X("[6]", "softmax(x)")},
    {"softmax", X("[3, 4]", "softmax(x, axis=0)")},
    {"log_softmax", X("[6]", "log_softmax(x)")},
    {"add", AB("[3]", "[3]", "a + b")},
    {"add", AB("[3, 1]", "[1, 4]", "a + b")},
    {"sub", AB("[3]", "[2, 3]", "a - b")},
    {"mul", AB("[2, 3]", "[3]", "a * b")},
    {"matmul", AB("[2, 3]", "[3, 4]", "a @ b")},
    {"matmul", AB("[3]", "[3]", "a @ b")},
    {"one_hot", "input t: class[5]\ny = one_hot(t)\n"},
    {"cross_entropy", XT("[5]", "class[5]", "cross_entropy(x, t)")},
    {"nll", XT("[5]", "class[5]", "nll(x, t)")},
    {"binary_cross_entropy", XT("[1]", "binary", "binary_cross_entropy(x, t)")},
    {"mse", XT("[4]", "[4]", "mse(x, t)")},
    {"dropout", X("[8]", "dropout(x, rate=0.5)")},
    {"batchnorm", X("[3]", "batchnorm(x)")},
    {"batchnorm", X("[2, 3, 3]", "batchnorm(x, momentum=0.3, eps=0.01)")},
    {"concat", AB("[2, 3]", "[4, 3]", "concat(a, b)")},
    {"concat", AB("[2, 3]", "[2, 1]", "concat(a, b, axis=1)")},
    {"flatten", X("[2, 3, 4]", "flatten(x)")},
    {"reshape", X("[2, 3, 2]", "reshape(x, shape=[4, 3])")},
};

const char *nnd_plugin_check_standard_case(const char *op, int i) {
  for (size_t k = 0; k < sizeof cases / sizeof *cases; k++)
    if (strcmp(cases[k].op, op) == 0 && i-- == 0) return cases[k].src;
  return NULL;
}
