/* cmd_plot.c — `nnd plot LOG.csv... -o curves.svg`: the loss and accuracy
 * curves of one or more `nnd train --log` files, overlaid in one
 * self-contained SVG. The drawing lives in report_html.c, which the HTML
 * report of `nnd eval --report` shares. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "output_file.h"
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

  /* the picture may not replace one of the logs it is drawn from */
  char err[1024];
  nnd_path_use uses[MAX_LOGS + 1];
  uses[0] = (nnd_path_use){"-o", output, 1, 0};
  for (int i = 0; i < n; i++) uses[i + 1] = (nnd_path_use){"a log", paths[i], 0, 0};
  if (nnd_paths_distinct(uses, n + 1, err, sizeof err) != 0 ||
      nnd_output_check("-o", output, err, sizeof err) != 0)
    return cli_usage_error("plot", "%s", err);

  nnd_plot_log *logs = calloc((size_t)n, sizeof *logs);
  if (!logs) {
    fprintf(stderr, "nnd plot: out of memory\n");
    return EXIT_MODEL;
  }
  int status = EXIT_OK, loaded = 0;
  for (; loaded < n; loaded++) {
    int rc = nnd_plot_log_read(paths[loaded], &logs[loaded], err, sizeof err);
    if (rc != 0) {
      /* A path that does not exist is a mistake on the command line; a log
       * that is not one is bad data. Both name the file (and line). */
      status = rc == -1 ? cli_usage_error("plot", "%s", err) : EXIT_MODEL;
      if (rc != -1) cli_error("plot", err);
      break;
    }
  }
  if (status == EXIT_OK) {
    /* written next to the target and renamed over it: a full disk leaves
       the previous picture, not a truncated one */
    nnd_output *o = NULL;
    if (nnd_output_open("-o", output, &o, err, sizeof err) == 0) {
      FILE *out = nnd_output_stream(o);
      fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", out);
      nnd_plot_svg(out, logs, n);
      if (nnd_output_commit(o, err, sizeof err) == 0) printf("wrote %s\n", output);
      else status = EXIT_MODEL;
    } else {
      status = EXIT_MODEL;
    }
    if (status != EXIT_OK) cli_error("plot", err);
  }
  for (int i = 0; i < loaded; i++) nnd_plot_log_free(&logs[i]);
  free(logs);
  return status;
}
