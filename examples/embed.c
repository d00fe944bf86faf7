/* embed.c — nnd embedded in a C program, through <nnd/nnd.h> alone.
 *
 * It compiles a model from a string, creates a session, feeds a batch,
 * runs forward and backward, takes optimizer steps, and reads the loss and
 * an output back. `make check` builds and runs it: the loss of the XOR
 * network must fall, and every call's error is checked as a user should. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nnd/nnd.h>

static const char *model_text =
    "model xor \"learn XOR with a 2-8-2 network\"\n"
    "input x: [2]\n"
    "input y: class[2]\n"
    "h = tanh(dense(x, units=8, weight=normal(std=1)))\n"
    "logits = dense(h, units=2)\n"
    "loss cross_entropy(logits, y)\n"
    "train { optimizer = sgd(lr=0.5, momentum=0.9); seed = 7 }\n";

static int fail(const char *what, const char *why) {
  fprintf(stderr, "embed: %s: %s\n", what, why);
  return 1;
}

int main(void) {
  /* the plugins: --plugin-dir, NND_PLUGIN_PATH, then the installed ones */
  if (nnd_load_plugins(NULL, 0) < 1) return fail("plugins", "no plugin loaded");

  nnd_model *model = NULL;
  nnd_diag_list *diags = NULL;
  if (nnd_compile_string("xor.nnd", model_text, strlen(model_text), &model, &diags) != 0) {
    char *text = nnd_diag_render(diags, 0);
    fprintf(stderr, "%s", text ? text : "compile failed\n");
    free(text);
    nnd_diag_list_free(diags);
    return 1;
  }
  nnd_diag_list_free(diags);

  nnd_session *s = NULL;
  char err[1024];
  if (nnd_session_new(model, NULL, &s, err, sizeof err) != 0) {
    nnd_model_free(model);
    return fail("session", err);
  }
  const float x[] = {0, 0, 0, 1, 1, 0, 1, 1};
  const float y[] = {0, 1, 1, 0};
  int status = 0;
  double first = 0, last = 0;
  if (nnd_session_set_batch(s, 4) != 0 || nnd_session_set_input(s, "x", x, 8) != 0 ||
      nnd_session_set_input(s, "y", y, 4) != 0)
    status = fail("inputs", nnd_session_error(s));
  for (int step = 0; step < 200 && status == 0; step++) {
    if (nnd_session_forward(s, 1) != 0 || nnd_session_backward(s) != 0 ||
        nnd_session_step(s, -1) != 0) {
      status = fail("training", nnd_session_error(s));
      break;
    }
    if (step == 0) first = nnd_session_loss(s);
    last = nnd_session_loss(s);
  }
  nnd_tensor logits;
  if (status == 0 && nnd_session_forward(s, 0) == 0 &&
      nnd_session_value(s, "logits", &logits) == 0) {
    int correct = 0;
    for (int i = 0; i < 4; i++)
      correct += (logits.data[2 * i + 1] > logits.data[2 * i]) == (y[i] == 1);
    printf("xor: loss %.4f -> %.4f after 200 steps, %d/4 correct\n", first, last, correct);
    if (!(last < first / 10) || correct != 4) status = fail("training", "XOR was not learnt");
  }
  nnd_session_free(s);
  nnd_model_free(model);
  return status;
}
