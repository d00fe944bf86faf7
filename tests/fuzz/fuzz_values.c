/* fuzz_values.c — the command-line value parsers: `--set KEY=VALUE`
 * (nnd_train_override, on a fresh copy of a model whose train block uses
 * every kind of key) and `--input NAME=VALUES` of `nnd trace` and `nnd
 * predict` (nnd_parse_input_values, the one parser both call; the values are
 * then fed to a session and run forward as trace does). The input is the
 * argument's text, cut at the first NUL as a command line would be. */
#include <nnd/nnd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "train_config.h"
#include "value.h"

static const char model_text[] =
    "model fuzz_values\n"
    "input x: [2]\ninput y: class[2]\n"
    "logits = dense(x, units=2)\n"
    "loss cross_entropy(logits, y)\n"
    "train {\n"
    "  data = moons(n=8, noise=0.1, seed=1)\n"
    "  test = csv(path=\"t.csv\", label=\"label\")\n"
    "  optimizer = sgd(lr=0.1, momentum=0.9)\n"
    "  schedule = step(every=2, gamma=0.5)\n"
    "  batch = 2; epochs = 2; seed = 5; shuffle = true; validation = 0.25\n"
    "}\n";

static nnd_model *compile_model(void) {
  nnd_model *m = NULL;
  if (nnd_compile_string("fuzz_values.nnd", model_text, sizeof model_text - 1, &m, NULL) != 0)
    abort();
  return m;
}

static nnd_model *forward_model;
static nnd_session *session;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc, (void)argv;
  fuzz_load_plugins();
  forward_model = compile_model();
  char err[512];
  if (nnd_session_new(forward_model, NULL, &session, err, sizeof err) != 0) {
    fprintf(stderr, "fuzz_values: %s\n", err);
    abort();
  }
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = malloc(size + 1);
  if (!text) abort();
  memcpy(text, data, size);
  text[size] = '\0';

  /* --set */
  nnd_model *m = compile_model();
  char err[1024] = "";
  if (nnd_train_override(m, text, err, sizeof err) != 0 && !err[0]) abort();
  nnd_model_free(m);

  /* --input: the numbers after '=' (the whole text when there is none) */
  char *eq = strchr(text, '=');
  float *v = NULL;
  int64_t n = 0;
  char verr[512] = "";
  if (nnd_parse_input_values("--input x", eq ? eq + 1 : text, &v, &n, verr, sizeof verr) != 0) {
    if (!verr[0] || v || n) abort(); /* a refusal has a message and no values */
  } else {
    if (n <= 0 || !v) abort();
    /* trace's rule: whole samples of x ([2]); the batch follows them */
    if (n > 0 && n % 2 == 0 && n / 2 <= 4096 && nnd_session_set_batch(session, (int)(n / 2)) == 0 &&
        nnd_session_set_input(session, "x", v, n) == 0)
      (void)nnd_session_forward(session, 0);
    free(v);
  }
  free(text);
  return 0;
}
