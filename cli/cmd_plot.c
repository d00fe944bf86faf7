/* cmd_plot.c — `nnd plot LOG.csv... -o curves.svg`: the loss and accuracy
 * curves of one or more `nnd train --log` files, overlaid in one
 * self-contained SVG. The drawing lives in report_html.c, which the HTML
 * report of `nnd eval --report` shares. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "report.h"

enum { MAX_LOGS = 64 };

int cmd_plot(int argc, char **argv) {
  const char *paths[MAX_LOGS], *output = NULL;
  int n = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if ((strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) && i + 1 < argc) output = argv[++i];
    else if (a[0] == '-' && a[1] != '\0')
      return cli_usage_error("plot", "unknown option or missing value: '%s'", a);
    else if (n == MAX_LOGS) return cli_usage_error("plot", "at most %d logs", MAX_LOGS);
    else paths[n++] = a;
  }
  if (n == 0) return cli_usage_error("plot", "expected one or more CSV logs from 'nnd train --log'");
  if (!output) return cli_usage_error("plot", "expected -o FILE.svg");

  nnd_plot_log *logs = calloc((size_t)n, sizeof *logs);
  if (!logs) {
    fprintf(stderr, "nnd plot: out of memory\n");
    return EXIT_MODEL;
  }
  int status = EXIT_OK, loaded = 0;
  char err[1024];
  for (; loaded < n; loaded++) {
    int rc = nnd_plot_log_read(paths[loaded], &logs[loaded], err, sizeof err);
    if (rc != 0) {
      /* A path that does not exist is a mistake on the command line; a log
       * that is not one is bad data. Both name the file (and line). */
      status = rc == -1 ? cli_usage_error("plot", "%s", err) : EXIT_MODEL;
      if (rc != -1) fprintf(stderr, "nnd plot: %s\n", err);
      break;
    }
  }
  if (status == EXIT_OK) {
    FILE *out = fopen(output, "w");
    if (!out) {
      perror(output);
      status = EXIT_MODEL;
    } else {
      fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", out);
      nnd_plot_svg(out, logs, n);
      int bad = ferror(out);
      if (fclose(out) != 0 || bad) {
        fprintf(stderr, "nnd plot: %s: write error\n", output);
        status = EXIT_MODEL;
      } else {
        printf("wrote %s\n", output);
      }
    }
  }
  for (int i = 0; i < loaded; i++) nnd_plot_log_free(&logs[i]);
  free(logs);
  return status;
}
