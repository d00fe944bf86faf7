/* cmd_import.c — `nnd import model.onnx -o model.nnd [--weights W]`: an ONNX
 * graph as a readable .nnd file, its weights in a safetensors file next to
 * it (model.safetensors unless --weights says otherwise). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "onnx.h"
#include "output_file.h"

int cmd_import(int argc, char **argv) {
  const char *file = NULL, *out = NULL, *weights = NULL;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    int has = i + 1 < argc;
    if (strcmp(a, "-o") == 0 && has) out = argv[++i];
    else if (strcmp(a, "--weights") == 0 && has) weights = argv[++i];
    else if (a[0] == '-') return cli_usage_error("import", "unknown option or missing value: '%s'", a);
    else if (file) return cli_usage_error("import", "expected one ONNX file");
    else file = a;
  }
  if (!file || !out) return cli_usage_error("import", "expected an ONNX file and -o FILE.nnd");
  char wbuf[4096];
  if (!weights) {
    /* model.nnd -> model.safetensors, in the same directory */
    const char *base = strrchr(out, '/');
    const char *dot = strrchr(base ? base + 1 : out, '.');
    int stem = dot && dot != (base ? base + 1 : out) ? (int)(dot - out) : (int)strlen(out);
    if (snprintf(wbuf, sizeof wbuf, "%.*s.safetensors", stem, out) >= (int)sizeof wbuf)
      return cli_usage_error("import", "-o: the path is too long");
    weights = wbuf;
  }
  char err[4096] = "";
  nnd_path_use uses[] = {{"the ONNX file", file, 0, 0}, {"-o", out, 1, 0},
                         {"the weights file", weights, 1, 0}};
  if (nnd_paths_distinct(uses, 3, err, sizeof err) != 0) {
    cli_error("import", err);
    return EXIT_USAGE;
  }
  if (nnd_onnx_import_file(file, out, weights, err, sizeof err) != 0) {
    cli_error("import", err);
    return EXIT_MODEL;
  }
  printf("wrote %s and %s\n", out, weights);
  return EXIT_OK;
}
