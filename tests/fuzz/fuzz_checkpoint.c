/* fuzz_checkpoint.c — the checkpoint loader and the resume state, as
 * `nnd train --resume FILE` uses them, for a small model built once.
 *
 * An input is one of two things:
 *  - a checkpoint file (safetensors bytes): loaded and checked by
 *    nnd_checkpoint_load, then resumed from (nnd_session_load with the
 *    optimizer state, the run state in the metadata, and training from there);
 *  - text starting with "#meta\n": lines KEY=VALUE that become the metadata
 *    of a checkpoint nnd itself writes for the model (valid tensors, valid
 *    checksum), which is then resumed from. This reaches the run-state checks
 *    past the checksum, which random bytes almost never get through.
 * A resume that is accepted trains the rest of the model's 2 epochs of 4
 * steps; one that is refused must say why. */
#include <nnd/nnd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checkpoint.h"
#include "fuzz_util.h"
#include "train.h"

#define META_PREFIX "#meta\n"
#define MAX_META 32

static const char model_text[] =
    "model fuzz_ckpt\n"
    "input x: [2]\ninput y: class[2]\n"
    "h = tanh(dense(x, units=3))\n"
    "logits = dense(h, units=2)\n"
    "loss cross_entropy(logits, y)\n"
    "train {\n"
    "  data = moons(n=8, noise=0.1, seed=1)\n"
    "  optimizer = adam(lr=0.01)\n"
    "  batch = 2; epochs = 2; seed = 5\n"
    "}\n";

static nnd_model *model;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc, (void)argv;
  fuzz_load_plugins();
  nnd_diag_list *d = NULL;
  if (nnd_compile_string("fuzz_ckpt.nnd", model_text, sizeof model_text - 1, &model, &d) != 0) {
    char *t = nnd_diag_render(d, 0);
    fprintf(stderr, "fuzz_checkpoint: the harness's model does not compile:\n%s", t ? t : "");
    abort();
  }
  nnd_diag_list_free(d);
  return 0;
}

/* Touch every tensor and metadata value the loader handed out, so a
 * dangling or short one shows under ASan. */
static void walk(const nnd_checkpoint *c) {
  volatile float sink = 0;
  for (int i = 0; i < nnd_checkpoint_count(c); i++) {
    const nnd_ckpt_tensor *t = nnd_checkpoint_at(c, i);
    int64_t n = 1;
    for (int k = 0; k < t->ndim; k++) n *= t->dim[k];
    for (int64_t k = 0; k < n; k++) sink += t->data[k];
    if (nnd_checkpoint_find(c, t->name) == NULL) abort();
  }
  (void)sink;
}

/* The "#meta" form: a valid checkpoint of a fresh session with these keys. */
static const char *write_meta_checkpoint(nnd_session *s, const uint8_t *data, size_t size) {
  char *text = malloc(size + 1);
  if (!text) abort();
  memcpy(text, data, size);
  text[size] = '\0';
  const char *keys[MAX_META], *values[MAX_META];
  int n = 0;
  for (char *line = text + strlen(META_PREFIX), *next; line && n < MAX_META; line = next) {
    next = strchr(line, '\n');
    if (next) *next++ = '\0';
    char *eq = strchr(line, '=');
    if (!eq) continue;
    *eq = '\0';
    keys[n] = line;
    values[n++] = eq + 1;
  }
  char err[512];
  const char *path = fuzz_path("meta.safetensors");
  int rc = nnd_session_save(s, path, keys, values, n, err, sizeof err);
  free(text);
  return rc == 0 ? strdup(path) : NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  nnd_session *s = NULL;
  char err[1024];
  if (nnd_session_new(model, NULL, &s, err, sizeof err) != 0) {
    fprintf(stderr, "fuzz_checkpoint: %s\n", err);
    abort();
  }
  char *path = NULL;
  if (size >= strlen(META_PREFIX) && memcmp(data, META_PREFIX, strlen(META_PREFIX)) == 0) {
    path = (char *)write_meta_checkpoint(s, data, size);
  } else {
    path = strdup(fuzz_write_file("fuzz.safetensors", data, size));
    nnd_checkpoint *c = NULL;
    err[0] = '\0';
    if (nnd_checkpoint_load(path, &c, err, sizeof err) == 0) walk(c);
    else if (!err[0]) abort(); /* refused without a reason */
    nnd_checkpoint_free(c);
  }
  if (path) {
    nnd_train_options o = {.resume = path};
    err[0] = '\0';
    if (nnd_train(s, model, &o, err, sizeof err) < 0 && !err[0]) abort();
  }
  free(path);
  nnd_session_free(s);
  return 0;
}
