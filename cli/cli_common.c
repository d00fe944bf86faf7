/* cli_common.c — compiling with printed diagnostics, usage errors, numbers. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "diag.h"

static int use_color(void) {
  const char *no = getenv("NO_COLOR");
  return isatty(fileno(stderr)) && !(no && no[0]);
}

int cli_compile(const char *path, nnd_model **model) {
  nnd_diag_list *d = NULL;
  int rc = nnd_compile_file(path, model, &d);
  if (d && nnd_diag_count(d) > 0) {
    char *text = nnd_diag_render(d, use_color());
    if (text) fputs(text, stderr);
    else fprintf(stderr, "%s: error: out of memory\n", path);
    free(text);
  } else if (rc != 0) {
    fprintf(stderr, "%s: error: out of memory\n", path);
  }
  nnd_diag_list_free(d);
  return rc == 0 ? EXIT_OK : EXIT_MODEL;
}

void cli_error(const char *cmd, const char *message) {
  /* messages quote input (a CSV field, a path, an argument): shown escaped,
     as diagnostics are, so none of it can drive the terminal */
  char *safe = nnd_diag_escape(message);
  fprintf(stderr, "nnd %s: %s\n", cmd, safe ? safe : "out of memory");
  free(safe);
}

int cli_usage_error(const char *cmd, const char *fmt, ...) {
  char message[2048];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(message, sizeof message, fmt, ap);
  va_end(ap);
  cli_error(cmd, message);
  fprintf(stderr, "Try 'nnd help %s'.\n", cmd);
  return EXIT_USAGE;
}

const char *cli_thousands(long long n, char *buf, size_t size) {
  char digits[32];
  int len = snprintf(digits, sizeof digits, "%lld", n < 0 ? -n : n);
  size_t k = 0;
  if (n < 0 && k + 1 < size) buf[k++] = '-';
  for (int i = 0; i < len && k + 1 < size; i++) {
    if (i > 0 && (len - i) % 3 == 0 && k + 1 < size) buf[k++] = ',';
    if (k + 1 < size) buf[k++] = digits[i];
  }
  buf[k] = '\0';
  return buf;
}
