/* test_errors.c — malformed .nnd input: every case must fail with its first
 * error at the exact line:col and with a message that says what is wrong.
 *
 * The table below holds one case per row; each row becomes its own CUnit
 * test, named after the row, so the summary counts them and a failure names
 * the case. Rows that also name a note check the diagnostic that follows the
 * error (for "defined twice" and the like).
 *
 * After the table come robustness tests: empty and comment-only files,
 * binary junk, a 10 MB file, expressions nested 100,000 deep, huge tokens
 * and exponentially inlined blocks. They must not crash, hang or run out of
 * memory, and must report an error at a sensible position. */
#include <CUnit/CUnit.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <nnd/nnd.h>

#include "tests.h"

typedef struct {
  const char *name;
  const char *src;
  size_t len;            /* 0: strlen(src); set for sources holding NUL bytes */
  int line, col;         /* of the first diagnostic, an error */
  const char *needle;    /* in its message */
  const char *absent;    /* when set: must not be in its message */
  int note_line, note_col;
  const char *note;      /* when set: the next diagnostic is a note there */
} error_case;

#define X4 "input x: [4]\n"

static const error_case cases[] = {
    /* ------------------------------------------------------------ syntax */
    {.name = "syntax: missing ')'", .src = X4 "y = relu(x\nz = relu(y)\n",
     .line = 3, .col = 1, .needle = "expected ')' to close '(' at line 2"},
    {.name = "syntax: missing ')' at end of file",
     .src = X4 "y = dense(relu(x, units=3\n",
     .line = 2, .col = 26, .needle = "unexpected end of file; expected ')' to close '(' at line 2"},
    {.name = "syntax: missing ']'", .src = "input x: [4, 4\ny = relu(x)\n",
     .line = 2, .col = 1, .needle = "expected ']' to close '[' at line 1"},
    {.name = "syntax: missing '}'",
     /* found only at end of file, right after the last token */
     .src = "block b(x) {\n  return x\n",
     .line = 2, .col = 11, .needle = "expected '}' to close '{' at line 1"},
    {.name = "syntax: stray ')'", .src = "x = 1)\n",
     .line = 1, .col = 6, .needle = "unexpected ')'"},
    {.name = "syntax: stray ']'", .src = X4 "y = relu(x)]\n",
     .line = 2, .col = 12, .needle = "unexpected ']'"},
    {.name = "syntax: operator at statement start", .src = X4 "+ x\n",
     .line = 2, .col = 1, .needle = "unexpected '+'"},
    {.name = "syntax: number at statement start", .src = "42\n",
     .line = 1, .col = 1, .needle = "unexpected number 42"},
    {.name = "syntax: binding without '='", .src = X4 "y relu(x)\n",
     .line = 2, .col = 3, .needle = "unexpected name `relu`; expected '='"},
    {.name = "syntax: junk after an expression", .src = "x = 1 2\n",
     .line = 1, .col = 7, .needle = "unexpected number 2"},
    {.name = "syntax: two operators", .src = "x = 1 + * 2\n",
     .line = 1, .col = 9, .needle = "unexpected '*'"},
    {.name = "syntax: input without ':'", .src = "input x [4]\n",
     .line = 1, .col = 9, .needle = "unexpected '['; expected ':'"},
    {.name = "syntax: input of an unknown type", .src = "input x: float\n",
     .line = 1, .col = 10, .needle = "unexpected name `float`"},
    {.name = "syntax: keyword as an input name", .src = "input class: [4]\n",
     .line = 1, .col = 7, .needle = "unexpected 'class'; expected a name"},
    {.name = "syntax: keyword as a binding name",
     .src = "loss = 3\n",
     .line = 1, .col = 1, .needle = "keyword"},
    {.name = "syntax: named argument without a value",
     .src = X4 "y = dense(x, units=)\n",
     .line = 2, .col = 20, .needle = "unexpected ')'"},

    /* ----------------------------------------------------------- lexical */
    {.name = "lex: unterminated string", .src = "model m \"a fine model\n",
     .line = 1, .col = 9, .needle = "unterminated string"},
    {.name = "lex: unknown escape", .src = "model m \"a\\qb\"\n",
     .line = 1, .col = 11, .needle = "unknown escape '\\q'"},
    {.name = "lex: unknown escape after a UTF-8 character",
     /* columns count characters: "é" is two bytes but one column */
     .src = "model m \"\xc3\xa9\\qb\"\n",
     .line = 1, .col = 11, .needle = "unknown escape '\\q'"},
    {.name = "lex: invalid UTF-8 byte", .src = "x = 1 \xff\n",
     .line = 1, .col = 7, .needle = "invalid UTF-8 byte 0xFF"},
    {.name = "lex: invalid UTF-8 byte in a string",
     /* not a misleading "unterminated string" where the string starts */
     .src = "model m \"a\xff" "b\"\n",
     .line = 1, .col = 11, .needle = "invalid UTF-8 byte 0xFF"},
    {.name = "lex: columns count characters", .src = "model m \"\xc3\xa9\" $\n",
     .line = 1, .col = 13, .needle = "unexpected character '$'"},
    {.name = "lex: byte-order mark skipped", .src = "\xef\xbb\xbfx = $\n",
     .line = 1, .col = 5, .needle = "unexpected character '$'"},
    {.name = "lex: NUL byte", .src = "x = 1\0\n", .len = 7,
     .line = 1, .col = 6, .needle = "unexpected NUL byte"},
    {.name = "lex: NUL byte in a string",
     /* not silently cut to "a" */
     .src = "model m \"a\0b\"\n", .len = 14,
     .line = 1, .col = 11, .needle = "unexpected NUL byte"},
    {.name = "lex: unexpected character '$'", .src = "x = $1\n",
     .line = 1, .col = 5, .needle = "unexpected character '$'"},
    {.name = "lex: single quotes", .src = "model m 'my model'\n",
     .line = 1, .col = 9, .needle = "strings are written in double quotes"},
    {.name = "lex: C comment", .src = "x = 1 /* one */\n",
     .line = 1, .col = 7, .needle = "comments start with '#'; '/*'"},
    {.name = "lex: C++ comment", .src = "// a model\nx = 1\n",
     .line = 1, .col = 1, .needle = "comments start with '#'; '//'"},
    {.name = "lex: number out of range", .src = "x = 1e999\n",
     .line = 1, .col = 5, .needle = "number 1e999 is out of range"},
    {.name = "lex: integer too large", .src = "x = 99999999999999999999\n",
     .line = 1, .col = 5, .needle = "integer 99999999999999999999 is too large"},
    {.name = "lex: control character", .src = "x = 1\x01\n",
     .line = 1, .col = 6, .needle = "unexpected control character 0x01"},

    /* ----------------------------------------------------------- names */
    {.name = "sem: unknown op, did you mean", .src = X4 "y = rleu(x)\n",
     .line = 2, .col = 5, .needle = "unknown op `rleu`; did you mean `relu`?"},
    {.name = "sem: unknown op, no close match", .src = X4 "y = frobnicate(x)\n",
     .line = 2, .col = 5, .needle = "unknown op `frobnicate` (known ops: ",
     .absent = "did you mean"},
    {.name = "sem: undefined name, did you mean",
     .src = "input image: [4]\ny = relu(imag)\n",
     .line = 2, .col = 10, .needle = "undefined name `imag`; did you mean `image`?"},
    {.name = "sem: undefined name, no close match", .src = X4 "y = relu(zzqq)\n",
     .line = 2, .col = 10, .needle = "undefined name `zzqq`", .absent = "did you mean"},
    {.name = "sem: op used without a call", .src = X4 "y = relu\n",
     .line = 2, .col = 5, .needle = "`relu` is an op; call it: relu(...)"},
    {.name = "sem: duplicate input", .src = X4 "input x: [4]\n",
     .line = 2, .col = 7, .needle = "`x` is already defined",
     .note_line = 1, .note_col = 7, .note = "`x` was defined here"},
    {.name = "sem: duplicate param", .src = "param W: [2, 3]\nparam W: [2, 3]\n",
     .line = 2, .col = 7, .needle = "`W` is already defined",
     .note_line = 1, .note_col = 7, .note = "`W` was defined here"},
    {.name = "sem: two model statements", .src = "model a\nmodel b\n",
     .line = 2, .col = 1, .needle = "the model is named twice",
     .note_line = 1, .note_col = 1, .note = "first named here"},
    {.name = "sem: name= already taken", .src = X4 "y = relu(x, name=\"x\")\n",
     .line = 2, .col = 5, .needle = "name \"x\" is already taken by another node"},
    {.name = "sem: unknown initializer, did you mean",
     /* an initializer, not an "unknown op" */
     .src = "param W: [2, 2] = xavierr()\n",
     .line = 1, .col = 19, .needle = "unknown initializer `xavierr`; did you mean `xavier`?"},
    {.name = "sem: uniform with low >= high",
     .src = "param W: [2, 2] = uniform(0.5, -0.5)\n",
     .line = 1, .col = 19, .needle = "uniform needs low < high, got low=0.5 and high=-0.5"},
    {.name = "sem: return outside a block", .src = "return 1\n",
     .line = 1, .col = 1, .needle = "`return` outside a block"},

    /* ------------------------------------------------------- attributes */
    {.name = "attr: misspelt, did you mean", .src = X4 "y = dense(x, unit=3)\n",
     .line = 2, .col = 14, .needle = "dense has no attribute `unit`; did you mean `units`?"},
    {.name = "attr: wrong type", .src = X4 "y = dense(x, units=\"ten\")\n",
     .line = 2, .col = 14, .needle = "`units` of dense must be an integer, got \"ten\""},
    {.name = "attr: fraction for an integer", .src = X4 "y = dense(x, units=2.5)\n",
     .line = 2, .col = 14, .needle = "`units` of dense must be an integer, got 2.5"},
    {.name = "attr: out of range", .src = X4 "y = dense(x, units=0)\n",
     .line = 2, .col = 14, .needle = "`units` of dense must be >= 1, got 0"},
    {.name = "attr: missing required", .src = X4 "y = dense(x)\n",
     .line = 2, .col = 5, .needle = "dense needs `units`"},
    {.name = "attr: given twice", .src = X4 "y = dense(x, units=3, units=4)\n",
     .line = 2, .col = 23, .needle = "attribute `units` is given twice"},
    {.name = "attr: bad padding string",
     .src = "input x: [1, 8, 8]\ny = conv2d(x, filters=2, kernel=3, padding=\"full\")\n",
     .line = 2, .col = 36, .needle = "`padding` of conv2d must be an integer, \"same\" or \"valid\""},
    {.name = "attr: input after attributes", .src = X4 "y = dense(units=3, x)\n",
     .line = 2, .col = 20, .needle = "inputs come before name=value attributes"},
    {.name = "attr: division by zero", .src = X4 "y = dense(x, units=4/0)\n",
     .line = 2, .col = 21, .needle = "division by zero"},
    {.name = "attr: a tensor as an attribute", .src = X4 "y = dense(x, units=x)\n",
     .line = 2, .col = 20,
     .needle = "attribute `units` of dense must be a constant, but `x` is a tensor"},
    {.name = "attr: a list holding a tensor", .src = X4 "y = reshape(x, shape=[x, 2])\n",
     .line = 2, .col = 23, .needle = "lists hold constants, but `x` is a tensor"},
    {.name = "attr: arithmetic on a string", .src = "x = \"a\" + 1\n",
     .line = 1, .col = 9, .needle = "'+' works on numbers and tensors"},

    /* ------------------------------------------------------------ arity */
    {.name = "arity: relu with two inputs", .src = X4 "y = relu(x, x)\n",
     .line = 2, .col = 5, .needle = "relu takes 1 input, got 2"},
    {.name = "arity: dense with no input", .src = X4 "y = dense(units=3)\n",
     .line = 2, .col = 5, .needle = "dense takes 1 input, got 0"},
    {.name = "arity: concat with one input", .src = X4 "y = concat(x)\n",
     .line = 2, .col = 5, .needle = "concat takes at least 2 inputs, got 1"},

    /* ----------------------------------------------------------- blocks */
    {.name = "block: defined twice",
     .src = "block b(x) {\n  return x\n}\nblock b(x) {\n  return x\n}\n",
     .line = 4, .col = 7, .needle = "block `b` is defined twice",
     .note_line = 1, .note_col = 7, .note = "the first definition is here"},
    {.name = "block: named like an op", .src = "block relu(x) {\n  return x\n}\n",
     .line = 1, .col = 7, .needle = "block `relu` has the name of an op"},
    {.name = "block: calls itself", .src = X4 "block b(x) {\n  return b(x)\n}\ny = b(x)\n",
     .line = 3, .col = 10, .needle = "block `b` calls itself (b -> b)"},
    {.name = "block: mutual recursion",
     .src = "block a(x) {\n  return c(x)\n}\nblock c(x) {\n  return a(x)\n}\n"
            X4 "y = a(x)\n",
     .line = 5, .col = 10, .needle = "block `a` calls itself (a -> c -> a)"},
    {.name = "block: too few arguments",
     .src = "block b(x, n) {\n  return x\n}\n" X4 "y = b(x)\n",
     .line = 5, .col = 5, .needle = "block `b` needs argument `n`"},
    {.name = "block: too many arguments",
     .src = "block b(x, n) {\n  return x\n}\n" X4 "y = b(x, 1, 2)\n",
     .line = 5, .col = 13, .needle = "block `b` takes 2 arguments"},
    {.name = "block: unknown named argument",
     .src = "block b(x, size) {\n  return x\n}\n" X4 "y = b(x, sise=2)\n",
     .line = 5, .col = 10, .needle = "block `b` has no argument `sise`; did you mean `size`?"},
    {.name = "block: no return", .src = "block b(x) {\n  y = relu(x)\n}\n" X4 "z = b(x)\n",
     .line = 3, .col = 1, .needle = "block `b` ends without `return`"},
    {.name = "block: statement after return",
     .src = "block b(x) {\n  return x\n  y = relu(x)\n}\n" X4 "z = b(x)\n",
     .line = 3, .col = 3, .needle = "statement after `return` in block `b`"},
    {.name = "block: input inside",
     .src = "block b(x) {\n  input y: [4]\n  return x\n}\n" X4 "z = b(x)\n",
     .line = 2, .col = 3, .needle = "only bindings and `return` are allowed inside a block"},
    {.name = "block: loss inside",
     .src = "block b(x) {\n  loss mse(x, x)\n  return x\n}\n" X4 "z = b(x)\n",
     .line = 2, .col = 3, .needle = "only bindings and `return` are allowed inside a block"},
    {.name = "block: sees only its arguments",
     .src = X4 "input target: [4]\nblock b(v) {\n  return v + target\n}\ny = b(x)\n",
     .line = 4, .col = 14,
     .needle = "undefined name `target` (a block sees only its arguments"},
    {.name = "block: outer name, short",
     /* not "did you mean `v`?": one edit turns any one-letter name into
        any other */
     .src = X4 "input t: [4]\nblock b(v) {\n  return v + t\n}\ny = b(x)\n",
     .line = 4, .col = 14, .needle = "a block sees only its arguments"},

    /* ----------------------------------------------------------- losses */
    {.name = "loss: not a loss op", .src = X4 "loss relu(x)\n",
     .line = 2, .col = 6, .needle = "`relu` is not a loss (losses: "},
    {.name = "loss: not a call", .src = X4 "loss x\n",
     .line = 2, .col = 6, .needle = "`loss` takes a loss call"},
    {.name = "loss: negative weight", .src = X4 "input t: [4]\nloss mse(x, t) * -1\n",
     .line = 3, .col = 18, .needle = "a loss weight is a number >= 0"},
    {.name = "loss: weight divided by zero", .src = X4 "input t: [4]\nloss mse(x, t) / 0\n",
     .line = 3, .col = 18, .needle = "division by zero"},

    /* ------------------------------------------------------------ train */
    {.name = "train: unknown key, did you mean", .src = "train {\n  epoch = 5\n}\n",
     .line = 2, .col = 3, .needle = "train has no setting `epoch`; did you mean `epochs`?"},
    {.name = "train: batch not an integer", .src = "train {\n  batch = 1.5\n}\n",
     .line = 2, .col = 3, .needle = "train setting `batch` must be an integer, got 1.5"},
    {.name = "train: epochs a string", .src = "train {\n  epochs = \"five\"\n}\n",
     .line = 2, .col = 3, .needle = "train setting `epochs` must be an integer, got \"five\""},
    {.name = "train: seed a bool", .src = "train {\n  seed = true\n}\n",
     .line = 2, .col = 3, .needle = "train setting `seed` must be an integer, got true"},
    {.name = "train: seed out of range",
     /* integer bounds print exactly, not as %g's "4.29497e+09" */
     .src = "train {\n  seed = -1\n}\n",
     .line = 2, .col = 3, .needle = "train setting `seed` must be in [0, 4294967295], got -1"},
    {.name = "train: batch zero",
     /* not %g's inexact "1.04858e+06" */
     .src = "train {\n  batch = 0\n}\n",
     .line = 2, .col = 3, .needle = "train setting `batch` must be in [1, 1048576], got 0"},
    {.name = "train: optimizer a number", .src = "train {\n  optimizer = 0.1\n}\n",
     .line = 2, .col = 3, .needle = "train setting `optimizer` must be an optimizer call, got 0.1"},
    {.name = "train: optimizer unknown, did you mean",
     /* an optimizer, not an "unknown op" */
     .src = "train {\n  optimizer = sgdd(lr=0.1)\n}\n",
     .line = 2, .col = 15, .needle = "unknown optimizer `sgdd`; did you mean `sgd`?"},
    {.name = "train: optimizer attribute misspelt",
     .src = "train {\n  optimizer = sgd(lr=0.1, momentun=0.9)\n}\n",
     .line = 2, .col = 3, .needle = "sgd has no attribute `momentun`; did you mean `momentum`?"},
    {.name = "train: nesterov without momentum",
     .src = "train {\n  optimizer = sgd(lr=0.1, nesterov=true)\n}\n",
     .line = 2, .col = 3, .needle = "sgd with nesterov=true needs a momentum above 0"},
    {.name = "train: data not a data source", .src = "train {\n  data = \"train.csv\"\n}\n",
     .line = 2, .col = 3, .needle = "train setting `data` must be a data source call"},
    {.name = "train: data source without parentheses",
     .src = "train {\n  data = moons\n}\n",
     .line = 2, .col = 10, .needle = "`moons` needs parentheses: moons()"},
    {.name = "train: key set twice", .src = "train {\n  batch = 1\n  batch = 2\n}\n",
     .line = 3, .col = 3, .needle = "`batch` is set twice in the train block",
     .note_line = 2, .note_col = 3, .note = "first set here"},
    {.name = "train: two train blocks",
     .src = "train {\n  batch = 1\n}\ntrain {\n  batch = 2\n}\n",
     .line = 4, .col = 1, .needle = "a model has one train block",
     .note_line = 1, .note_col = 1, .note = "the first one is here"},

    /* ----------------------------------------------------------- shapes */
    {.name = "shape: dense on an image",
     .src = "input x: [64, 7, 7]\ny = dense(x, units=10)\n",
     .line = 2, .col = 5, .needle = "but `x` is [64, 7, 7]; insert flatten()"},
    {.name = "shape: conv2d kernel larger than the input",
     .src = "input x: [1, 4, 4]\ny = conv2d(x, filters=2, kernel=5)\n",
     .line = 2, .col = 5, .needle = "conv2d: kernel 5x5 does not fit input [1, 4, 4]"},
    {.name = "shape: padding same with stride 2",
     .src = "input x: [1, 8, 8]\n"
            "y = conv2d(x, filters=2, kernel=3, stride=2, padding=\"same\")\n",
     .line = 2, .col = 5, .needle = "padding=\"same\" needs stride 1, but stride is 2"},
    {.name = "shape: conv2d on a vector", .src = X4 "y = conv2d(x, filters=2, kernel=3)\n",
     .line = 2, .col = 5, .needle = "conv2d expects [N, channels, height, width] but `x` is [4]"},
    {.name = "shape: matmul inner dimensions",
     .src = "input x: [3]\nparam W: [2, 4]\ny = W @ x\n",
     .line = 3, .col = 7, .needle = "inner dimensions 4 and 3 differ"},
    {.name = "shape: broadcasting", .src = "input x: [3]\ninput z: [4]\ny = x + z\n",
     .line = 3, .col = 7, .needle = "add: cannot broadcast `x` [3] with `z` [4]"},
    {.name = "shape: cross_entropy class count",
     .src = X4 "input l: class[3]\ny = dense(x, units=5)\nloss cross_entropy(y, l)\n",
     .line = 4, .col = 6, .needle = "`y` has 5 outputs but `l` is class[3]; they must match"},
    {.name = "shape: cross_entropy on a float target",
     .src = X4 "input t: [4]\nloss cross_entropy(x, t)\n",
     .line = 3, .col = 6, .needle = "the target `t` must be a class label"},
    {.name = "shape: reshape product",
     .src = "input x: [2, 3]\ny = reshape(x, shape=[4, 2])\n",
     .line = 2, .col = 5, .needle = "cannot reshape `x` [2, 3] into [4, 2]: 6 elements vs 8"},
    {.name = "shape: literal weight of the wrong shape",
     .src = "input x: [3]\ny = dense(x, units=2, weight=[[1, 2], [3, 4]])\n",
     .line = 2, .col = 23,
     .needle = "`weight` of dense is [2, 3], but the literal has shape [2, 2]"},
    {.name = "shape: literal param of the wrong shape", .src = "param W: [2, 3] = [1, 2]\n",
     .line = 1, .col = 19, .needle = "parameter `W` is [2, 3], but the literal has shape [2]"},
    {.name = "shape: ragged tensor literal", .src = "param W: [2, 2] = [[1, 2], [3]]\n",
     .line = 1, .col = 19, .needle = "tensor literal is ragged: rows of length 2 and 1"},
    {.name = "shape: zero dimension", .src = "input x: [4, 0]\n",
     .line = 1, .col = 14, .needle = "shape dimensions are positive integers, got 0"},
    {.name = "shape: input literal of the wrong shape", .src = "input x: [3] = [1, 2]\n",
     .line = 1, .col = 16, .needle = "the input is [3] per sample, but the value has shape [2]"},
    {.name = "shape: class label out of range", .src = "input l: class[3] = 3\n",
     .line = 1, .col = 21, .needle = "class label 3 is out of range: class[3] takes 0 to 2"},
    {.name = "shape: binary target out of range", .src = "input t: binary = 2\n",
     .line = 1, .col = 19, .needle = "a binary target is in [0, 1], got 2"},
    {.name = "shape: class[1]", .src = "input l: class[1]\n",
     .line = 1, .col = 15, .needle = "class[N] needs an integer N >= 2, got 1"},
    {.name = "shape: class name twice",
     .src = "input l: class[\"cat\", \"dog\", \"cat\"]\n",
     .line = 1, .col = 15, .needle = "class name \"cat\" appears twice"},
    {.name = "shape: divide by a tensor", .src = X4 "y = 1 / x\n",
     .line = 2, .col = 7, .needle = "'/' divides by numbers only"},
};

#define N_CASES ((int)(sizeof cases / sizeof cases[0]))

static void run_case(int i) {
  if (i >= N_CASES) return;
  const error_case *c = &cases[i];
  size_t len = c->len ? c->len : strlen(c->src);
  int ok = compile_fails_at(c->src, len, c->line, c->col, c->needle);
  if (!ok) fprintf(stderr, "  (case \"%s\")\n", c->name);
  CU_ASSERT_TRUE(ok);
  if (!c->absent && !c->note) return;

  nnd_model *m = NULL;
  nnd_diag_list *d = NULL;
  nnd_compile_string("test.nnd", c->src, len, &m, &d);
  nnd_diag_info first = {0}, next = {0};
  if (c->absent) {
    int clean = nnd_diag_get(d, 0, &first) == 0 && !strstr(first.message, c->absent);
    if (!clean)
      fprintf(stderr, "\ncase \"%s\": the message should not contain \"%s\": %s\n", c->name,
              c->absent, first.message ? first.message : "(none)");
    CU_ASSERT_TRUE(clean);
  }
  if (c->note) {
    int noted = nnd_diag_get(d, 1, &next) == 0 && next.severity == NND_DIAG_NOTE &&
                next.line == c->note_line && next.col == c->note_col &&
                strstr(next.message, c->note) != NULL;
    if (!noted)
      fprintf(stderr, "\ncase \"%s\": expected a note at %d:%d containing \"%s\"; got %s "
              "at %d:%d\n", c->name, c->note_line, c->note_col, c->note,
              next.message ? next.message : "(none)", next.line, next.col);
    CU_ASSERT_TRUE(noted);
  }
  nnd_model_free(m);
  nnd_diag_list_free(d);
}

/* One tiny test function per row, so CUnit counts and names each case. */
#define CASE_FN(a, b) \
  static void case_##a##b(void) { run_case((a) * 10 + (b)); }
#define CASE_FN10(a)                                                                 \
  CASE_FN(a, 0) CASE_FN(a, 1) CASE_FN(a, 2) CASE_FN(a, 3) CASE_FN(a, 4)              \
  CASE_FN(a, 5) CASE_FN(a, 6) CASE_FN(a, 7) CASE_FN(a, 8) CASE_FN(a, 9)
CASE_FN10(0) CASE_FN10(1) CASE_FN10(2) CASE_FN10(3) CASE_FN10(4) CASE_FN10(5)
CASE_FN10(6) CASE_FN10(7) CASE_FN10(8) CASE_FN10(9) CASE_FN10(10) CASE_FN10(11)

#define CASE_REF(a, b) case_##a##b,
#define CASE_REF10(a)                                                                \
  CASE_REF(a, 0) CASE_REF(a, 1) CASE_REF(a, 2) CASE_REF(a, 3) CASE_REF(a, 4)         \
  CASE_REF(a, 5) CASE_REF(a, 6) CASE_REF(a, 7) CASE_REF(a, 8) CASE_REF(a, 9)
static void (*const case_fns[])(void) = {
    CASE_REF10(0) CASE_REF10(1) CASE_REF10(2) CASE_REF10(3) CASE_REF10(4) CASE_REF10(5)
    CASE_REF10(6) CASE_REF10(7) CASE_REF10(8) CASE_REF10(9) CASE_REF10(10) CASE_REF10(11)};

_Static_assert(sizeof cases / sizeof cases[0] <= sizeof case_fns / sizeof case_fns[0],
               "more error cases than test functions: add a CASE_FN10 line");

/* ------------------------------------------------------------ robustness */

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* A hang fails the run (SIGALRM ends the process) instead of stalling it. */
#define WATCHDOG_SECONDS 180

/* The peak resident size of this process so far, in MB. */
static long peak_rss_mb(void) {
  struct rusage u;
  if (getrusage(RUSAGE_SELF, &u) != 0) return 0;
  return u.ru_maxrss / 1024;
}

typedef struct {
  int rc;
  nnd_model *model;
  nnd_diag_list *diags;
  nnd_diag_info first;     /* zeroed when there is no diagnostic */
  double seconds;
} compiled;

static compiled compile_text(const char *src, size_t len) {
  compiled r;
  memset(&r, 0, sizeof r);
  alarm(WATCHDOG_SECONDS);
  double t0 = now();
  r.rc = nnd_compile_string("test.nnd", src, len, &r.model, &r.diags);
  r.seconds = now() - t0;
  alarm(0);
  if (nnd_diag_get(r.diags, 0, &r.first) != 0) memset(&r.first, 0, sizeof r.first);
  return r;
}

static void compiled_free(compiled *r) {
  nnd_model_free(r->model);
  nnd_diag_list_free(r->diags);
}

/* Print the diagnostics of a result that was not what the test expected. */
static void show(const char *what, const compiled *r) {
  char *text = nnd_diag_render(r->diags, 0);
  fprintf(stderr, "\n%s: rc=%d, %.2fs:\n%.2000s\n", what, r->rc, r->seconds,
          text ? text : "");
  free(text);
}

/* The first diagnostic is an error on `line` whose message has `needle`. */
static int fails_with(const compiled *r, int line, const char *needle) {
  return r->rc != 0 && r->model == NULL && r->first.message &&
         r->first.severity == NND_DIAG_ERROR && r->first.line == line &&
         strstr(r->first.message, needle) != NULL;
}

static char *repeat(const char *unit, size_t times, const char *prefix, const char *core,
                    const char *suffix_unit, size_t *len) {
  size_t lu = strlen(unit), lp = strlen(prefix), lc = strlen(core),
         ls = suffix_unit ? strlen(suffix_unit) : 0;
  size_t n = lp + lu * times + lc + ls * times + 1;
  char *buf = malloc(n + 8);
  if (!buf) return NULL;
  char *p = buf;
  memcpy(p, prefix, lp), p += lp;
  for (size_t i = 0; i < times; i++) memcpy(p, unit, lu), p += lu;
  memcpy(p, core, lc), p += lc;
  for (size_t i = 0; suffix_unit && i < times; i++) memcpy(p, suffix_unit, ls), p += ls;
  *p++ = '\n';
  *p = '\0';
  *len = (size_t)(p - buf);
  return buf;
}

static void test_empty_file(void) {
  compiled r = compile_text("", 0);
  CU_ASSERT_EQUAL(r.rc, 0);
  CU_ASSERT_PTR_NOT_NULL(r.model);
  CU_ASSERT_EQUAL(nnd_model_node_count(r.model), 0);
  CU_ASSERT_EQUAL(nnd_diag_count(r.diags), 0);
  compiled_free(&r);
}

static void test_only_comments(void) {
  const char *src = "# nothing here\n\n   # but comments\n#\n";
  compiled r = compile_text(src, strlen(src));
  CU_ASSERT_EQUAL(r.rc, 0);
  CU_ASSERT_EQUAL(nnd_model_node_count(r.model), 0);
  CU_ASSERT_EQUAL(nnd_diag_count(r.diags), 0);
  compiled_free(&r);
}

static void test_comment_at_eof(void) {
  const char *src = "input x: [4]\ny = relu(x) # the end, no newline";
  compiled r = compile_text(src, strlen(src));
  if (r.rc != 0) show("comment at end of file", &r);
  CU_ASSERT_EQUAL(r.rc, 0);
  CU_ASSERT_EQUAL(nnd_model_node_count(r.model), 2);
  compiled_free(&r);
}

static void test_binary_junk(void) {
  enum { N = 4096 };
  char *junk = malloc(N);
  CU_ASSERT_PTR_NOT_NULL_FATAL(junk);
  uint32_t s = 12345;
  int nuls = 0;
  for (int i = 0; i < N; i++) {
    s = s * 1664525u + 1013904223u;
    junk[i] = (char)(s >> 24);
    nuls += junk[i] == 0;
  }
  CU_ASSERT(nuls > 0);
  compiled r = compile_text(junk, N);
  CU_ASSERT_NOT_EQUAL(r.rc, 0);
  CU_ASSERT_PTR_NULL(r.model);
  CU_ASSERT_EQUAL(r.first.severity, NND_DIAG_ERROR);
  CU_ASSERT(r.first.line >= 1);
  CU_ASSERT_EQUAL(nnd_diag_error_count(r.diags), 20);
  CU_ASSERT(nnd_diag_count(r.diags) <= 40);
  char *text = nnd_diag_render(r.diags, 0);
  CU_ASSERT_PTR_NOT_NULL(text);
  if (text) {
    /* the last line says the list was cut */
    size_t n = strlen(text);
    while (n > 0 && text[n - 1] == '\n') n--;
    const char *last = text + n;
    while (last > text && last[-1] != '\n') last--;
    int cut = strncmp(last, "too many errors", 15) == 0;
    if (!cut)
      fprintf(stderr, "\nbinary junk: last line is \"%.*s\"\n", (int)(text + n - last), last);
    CU_ASSERT_TRUE(cut);
  }
  free(text);
  compiled_free(&r);
  free(junk);
}

static void test_10mb_of_lines(void) {
  const char *line = "x = 1 + 2 # comment\n";
  size_t len;
  char *src = repeat(line, (10u << 20) / strlen(line), "", "y = x", NULL, &len);
  CU_ASSERT_PTR_NOT_NULL_FATAL(src);
  compiled r = compile_text(src, len);
  if (r.rc != 0) show("10 MB of bindings", &r);
  CU_ASSERT_EQUAL(r.rc, 0);
  compiled_free(&r);
  free(src);
}

static void test_10mb_list(void) {
  size_t len;
  char *src = repeat("1, ", (10u << 20) / 3, "x = [", "1]", NULL, &len);
  CU_ASSERT_PTR_NOT_NULL_FATAL(src);
  compiled r = compile_text(src, len);
  if (r.rc != 0) show("a 10 MB list", &r);
  CU_ASSERT_EQUAL(r.rc, 0);
  compiled_free(&r);
  free(src);
}

static void test_deep_parens(void) {
  size_t len;
  char *src = repeat("(", 100000, "x = ", "1", ")", &len);
  CU_ASSERT_PTR_NOT_NULL_FATAL(src);
  compiled r = compile_text(src, len);
  if (!fails_with(&r, 1, "nested too deeply")) show("100,000 parentheses", &r);
  CU_ASSERT_TRUE(fails_with(&r, 1, "nested too deeply"));
  /* at the first bracket past the limit (256 deep): column 4 + 257 */
  CU_ASSERT_EQUAL(r.first.col, 261);
  CU_ASSERT_EQUAL(nnd_diag_error_count(r.diags), 1);
  compiled_free(&r);
  free(src);
}

static void test_deep_unary_minus(void) {
  size_t len;
  char *src = repeat("- ", 100000, "x = ", "1", NULL, &len);
  CU_ASSERT_PTR_NOT_NULL_FATAL(src);
  compiled r = compile_text(src, len);
  if (!fails_with(&r, 1, "nested too deeply")) show("100,000 unary minus", &r);
  CU_ASSERT_TRUE(fails_with(&r, 1, "nested too deeply"));
  CU_ASSERT(r.first.col >= 5 && r.first.col <= 200005);
  CU_ASSERT(nnd_diag_error_count(r.diags) <= 2);
  compiled_free(&r);
  free(src);
}

static void test_deep_brackets(void) {
  size_t len;
  char *src = repeat("[", 100000, "x = ", "1", "]", &len);
  CU_ASSERT_PTR_NOT_NULL_FATAL(src);
  compiled r = compile_text(src, len);
  if (!fails_with(&r, 1, "nested too deeply")) show("100,000 brackets", &r);
  CU_ASSERT_TRUE(fails_with(&r, 1, "nested too deeply"));
  CU_ASSERT_EQUAL(r.first.col, 261);
  CU_ASSERT_EQUAL(nnd_diag_error_count(r.diags), 1);
  compiled_free(&r);
  free(src);
}

static void test_long_sum(void) {
  size_t len;
  char *src = repeat("1+", 100000, "x = ", "1", NULL, &len);
  CU_ASSERT_PTR_NOT_NULL_FATAL(src);
  compiled r = compile_text(src, len);
  /* Either it folds to a number or it is refused as too deep; never a crash
     (a 100,000-deep left spine would overflow a recursive walk). */
  if (r.rc != 0) {
    if (!fails_with(&r, 1, "nested too deeply")) show("a sum of 100,001 terms", &r);
    CU_ASSERT_TRUE(fails_with(&r, 1, "nested too deeply"));
    CU_ASSERT_EQUAL(nnd_diag_error_count(r.diags), 1);
  }
  compiled_free(&r);
  free(src);
}

static void test_deep_calls(void) {
  size_t len;
  char *src = repeat("relu(", 100000, "input x: [4]\ny = ", "x", ")", &len);
  CU_ASSERT_PTR_NOT_NULL_FATAL(src);
  compiled r = compile_text(src, len);
  if (!fails_with(&r, 2, "nested too deeply")) show("100,000 nested calls", &r);
  CU_ASSERT_TRUE(fails_with(&r, 2, "nested too deeply"));
  /* the 257th "relu(" starts at column 5 + 256 * 5; its '(' is 4 further */
  CU_ASSERT_EQUAL(r.first.col, 5 + 256 * 5 + 4);
  CU_ASSERT_EQUAL(nnd_diag_error_count(r.diags), 1);
  compiled_free(&r);
  free(src);
}

static void test_unterminated_string_at_eof(void) {
  const char *src = "input x: [4]\nmodel m \"no end";
  compiled r = compile_text(src, strlen(src));
  if (!fails_with(&r, 2, "unterminated string")) show("unterminated string at EOF", &r);
  CU_ASSERT_TRUE(fails_with(&r, 2, "unterminated string"));
  CU_ASSERT_EQUAL(r.first.col, 9);
  compiled_free(&r);
}

static void test_unclosed_paren_at_eof(void) {
  const char *src = "input x: [4]\ny = relu(x";
  compiled r = compile_text(src, strlen(src));
  if (!fails_with(&r, 2, "expected ')' to close '(' at line 2")) show("'(' open at EOF", &r);
  CU_ASSERT_TRUE(fails_with(&r, 2, "expected ')' to close '(' at line 2"));
  CU_ASSERT_EQUAL(r.first.col, 11);
  CU_ASSERT_PTR_NOT_NULL(strstr(r.first.message ? r.first.message : "", "end of file"));
  compiled_free(&r);
}

static void test_column_after_invalid_byte(void) {
  const char *src = "x = \x80 $\n";
  compiled r = compile_text(src, strlen(src));
  nnd_diag_info second = {0};
  CU_ASSERT_TRUE(fails_with(&r, 1, "invalid UTF-8 byte 0x80"));
  CU_ASSERT_EQUAL(r.first.col, 5);
  CU_ASSERT_EQUAL_FATAL(nnd_diag_get(r.diags, 1, &second), 0);
  if (second.col != 7) show("a column after a stray continuation byte", &r);
  CU_ASSERT_EQUAL(second.line, 1);
  CU_ASSERT_EQUAL(second.col, 7);
  CU_ASSERT_PTR_NOT_NULL(strstr(second.message, "unexpected character '$'"));
  compiled_free(&r);
}

static void test_huge_identifier(void) {
  size_t len;
  char *src = repeat("a", 1u << 20, "input x: [4]\ny = relu(", "", NULL, &len);
  CU_ASSERT_PTR_NOT_NULL_FATAL(src);
  strcpy(src + len - 1, ")\n");
  len++;
  compiled r = compile_text(src, len);
  if (!fails_with(&r, 2, "undefined name `aaaa")) show("a 1 MB identifier", &r);
  CU_ASSERT_TRUE(fails_with(&r, 2, "undefined name `aaaa"));
  CU_ASSERT_EQUAL(r.first.col, 10);
  /* the rendering cuts the line instead of printing 1 MB */
  char *text = nnd_diag_render(r.diags, 0);
  CU_ASSERT(text && strlen(text) < 8192);
  free(text);
  compiled_free(&r);
  free(src);
}

static void test_huge_number(void) {
  size_t len;
  char *src = repeat("7", 100000, "x = ", "", NULL, &len);
  CU_ASSERT_PTR_NOT_NULL_FATAL(src);
  compiled r = compile_text(src, len);
  if (!fails_with(&r, 1, "is out of range")) show("a 100,000-digit number", &r);
  CU_ASSERT_TRUE(fails_with(&r, 1, "is out of range"));
  CU_ASSERT_EQUAL(r.first.col, 5);
  CU_ASSERT(r.first.message && strlen(r.first.message) < 200);
  compiled_free(&r);
  free(src);
}

static void test_recursion_through_three_blocks(void) {
  const char *src =
      "block a(x) {\n  return b(x)\n}\n"
      "block b(x) {\n  return c(x)\n}\n"
      "block c(x) {\n  return d(x)\n}\n"
      "block d(x) {\n  return relu(a(x))\n}\n"
      "input x: [4]\ny = a(x)\n";
  compiled r = compile_text(src, strlen(src));
  const char *want = "block `a` calls itself (a -> b -> c -> d -> a)";
  if (!fails_with(&r, 11, want)) show("a -> b -> c -> d -> a", &r);
  CU_ASSERT_TRUE(fails_with(&r, 11, want));
  CU_ASSERT_EQUAL(r.first.col, 15);
  CU_ASSERT_EQUAL(nnd_diag_error_count(r.diags), 1);
  compiled_free(&r);
}

static void test_exponential_blocks(void) {
  /* b0 makes one node; bK calls bK-1 twice, so b30 would make 2^30 */
  char src[4096];
  size_t len = (size_t)snprintf(src, sizeof src, "input x: [4]\nblock b0(x) {\n  return "
                                                 "relu(x)\n}\n");
  for (int k = 1; k <= 30; k++)
    len += (size_t)snprintf(src + len, sizeof src - len,
                            "block b%d(x) {\n  return b%d(b%d(x))\n}\n", k, k - 1, k - 1);
  len += (size_t)snprintf(src + len, sizeof src - len, "y = b30(x)\n");
  CU_ASSERT_FATAL(len < sizeof src);
  long before = peak_rss_mb();
  compiled r = compile_text(src, len);
  long grew = peak_rss_mb() - before;
  /* refused at the call, from the blocks' sizes, before any inlining */
  if (!fails_with(&r, 95, "model too large")) show("2^30 inlined calls", &r);
  CU_ASSERT_TRUE(fails_with(&r, 95, "model too large"));
  CU_ASSERT_EQUAL(r.first.col, 5);
  CU_ASSERT_EQUAL(nnd_diag_error_count(r.diags), 1);
  CU_ASSERT(grew < 64);
  compiled_free(&r);
}

void test_errors_register(void) {
  CU_pSuite s = CU_add_suite("errors", NULL, NULL);
  if (!s) return;
  for (int i = 0; i < N_CASES; i++) CU_add_test(s, cases[i].name, case_fns[i]);
  CU_add_test(s, "robust: empty file", test_empty_file);
  CU_add_test(s, "robust: only comments", test_only_comments);
  CU_add_test(s, "robust: comment at end of file", test_comment_at_eof);
  CU_add_test(s, "robust: 4 KB of binary junk", test_binary_junk);
  CU_add_test(s, "robust: 10 MB of bindings", test_10mb_of_lines);
  CU_add_test(s, "robust: a 10 MB list", test_10mb_list);
  CU_add_test(s, "robust: 100,000 nested parentheses", test_deep_parens);
  CU_add_test(s, "robust: 100,000 unary minus", test_deep_unary_minus);
  CU_add_test(s, "robust: 100,000 nested brackets", test_deep_brackets);
  CU_add_test(s, "robust: a sum of 100,001 terms", test_long_sum);
  CU_add_test(s, "robust: 100,000 nested calls", test_deep_calls);
  CU_add_test(s, "robust: unterminated string at end of file",
              test_unterminated_string_at_eof);
  CU_add_test(s, "robust: '(' open at end of file", test_unclosed_paren_at_eof);
  CU_add_test(s, "robust: column after a stray byte", test_column_after_invalid_byte);
  CU_add_test(s, "robust: a 1 MB identifier", test_huge_identifier);
  CU_add_test(s, "robust: a 100,000-digit number", test_huge_number);
  CU_add_test(s, "robust: recursion through three blocks",
              test_recursion_through_three_blocks);
  CU_add_test(s, "robust: exponential block inlining", test_exponential_blocks);
}
