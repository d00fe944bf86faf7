/* fuzz_onnx.c — the ONNX importer, as `nnd import` runs it, on untrusted
 * bytes: decoding (every length and count checked before use), conversion,
 * and, when a file converts, the property that the .nnd text it produced is
 * accepted by nnd's own compiler (an import must never write a model that
 * nnd then refuses). Nothing is written to disk: nnd_onnx_convert is the
 * whole import but the two atomic writes. */
#include <nnd/nnd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "onnx.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc, (void)argv;
  fuzz_load_plugins();
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char err[4096];
  nnd_onnx_import *im = NULL;
  if (nnd_onnx_convert("fuzz.onnx", data, size, "fuzz", "fuzz.safetensors", &im, err,
                       sizeof err) != 0) {
    if (!err[0]) {
      fprintf(stderr, "fuzz_onnx: an import failed without a message\n");
      abort();
    }
    return 0;
  }
  const char *text = nnd_onnx_import_text(im);
  nnd_model *m = NULL;
  nnd_diag_list *d = NULL;
  if (nnd_compile_string("fuzz.nnd", text, strlen(text), &m, &d) != 0) {
    char *t = nnd_diag_render(d, 0);
    fprintf(stderr, "fuzz_onnx: the imported model does not compile:\n%s\n--- text:\n%s\n",
            t ? t : "", text);
    abort();
  }
  nnd_diag_list_free(d);
  nnd_model_free(m);
  nnd_onnx_import_free(im);
  return 0;
}
