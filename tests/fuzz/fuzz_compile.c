/* fuzz_compile.c — the compiler, text to IR: any bytes must compile or be
 * refused with diagnostics, never crash, leak or hit undefined behaviour.
 * The diagnostics are rendered too (they quote the input), and a model that
 * compiles is dumped, so the whole front end is exercised. */
#include <nnd/nnd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "ir_dump.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  nnd_model *m = NULL;
  nnd_diag_list *d = NULL;
  int rc = nnd_compile_string("fuzz.nnd", (const char *)data, size, &m, &d);
  if ((rc == 0) != (m != NULL)) abort(); /* the API's promise */
  if (rc != 0 && nnd_diag_error_count(d) == 0) abort(); /* refused without a reason */
  char *text = nnd_diag_render(d, 0);
  free(text);
  if (m) {
    static FILE *sink;
    if (!sink) sink = fopen("/dev/null", "w");
    if (sink) nnd_ir_dump(m, sink);
  }
  nnd_diag_list_free(d);
  nnd_model_free(m);
  return 0;
}
