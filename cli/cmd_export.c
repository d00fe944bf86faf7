/* cmd_export.c — `nnd export FILE --weights W -o model.onnx`: the model's
 * inference graph with its trained weights as ONNX (runtime/onnx/onnx.h). */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "ir.h"
#include "onnx.h"
#include "output_file.h"
#include "train.h"

int cmd_export(int argc, char **argv) {
  const char *file = NULL, *weights = NULL, *out = NULL;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    int has = i + 1 < argc;
    if (strcmp(a, "--weights") == 0 && has) weights = argv[++i];
    else if (strcmp(a, "-o") == 0 && has) out = argv[++i];
    else if (a[0] == '-') return cli_usage_error("export", "unknown option or missing value: '%s'", a);
    else if (file) return cli_usage_error("export", "expected one model file");
    else file = a;
  }
  if (!file || !weights || !out)
    return cli_usage_error("export", "expected a model file, --weights CKPT and -o FILE.onnx");
  char err[2048] = "";
  nnd_path_use uses[] = {{"the model file", file, 0, 0}, {"--weights", weights, 0, 0},
                         {"-o", out, 1, 0}};
  if (nnd_paths_distinct(uses, 3, err, sizeof err) != 0 ||
      nnd_output_check("-o", out, err, sizeof err) != 0) {
    cli_error("export", err);
    return EXIT_USAGE;
  }
  nnd_model *m = NULL;
  if (cli_compile(file, &m) != EXIT_OK) return EXIT_MODEL;
  nnd_session *s = NULL;
  nnd_session_options so = {.size = sizeof so, .backends = cli_options.backends};
  int status = EXIT_OK;
  if (nnd_session_new(m, &so, &s, err, sizeof err) != 0 ||
      nnd_session_set_batch(s, 1) != 0 ||
      nnd_session_load(s, weights, 0, NULL, err, sizeof err) != 0 ||
      nnd_onnx_export(m, s, out, err, sizeof err) != 0) {
    if (!err[0] && s) snprintf(err, sizeof err, "%s", nnd_session_error(s));
    cli_error("export", err);
    status = EXIT_MODEL;
  }
  nnd_session_free(s);
  nnd_model_free(m);
  return status;
}
