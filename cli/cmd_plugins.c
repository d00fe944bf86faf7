/* cmd_plugins.c — `nnd plugins`: every plugin file tried, and for each what
 * it registered or why it was refused; `nnd plugins --check FILE.so`: the
 * conformance run of one plugin (runtime/plugin_check.c), one row per op and
 * kernel. */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "plugin_check.h"
#include "plugin_dirs.h"
#include "plugin_loader.h"
#include "registry.h"

static void list_kernels(const char *origin) {
  int first = 1;
  for (int i = 0; i < nnd_registry_kernel_count(); i++) {
    const char *o;
    const nnd_kernel *k = nnd_registry_kernel_at(i, &o);
    if (strcmp(o, origin) != 0) continue;
    printf("%s%s/%s", first ? "    kernels:    " : ", ", k->op, k->backend);
    first = 0;
  }
  if (!first) putchar('\n');
  first = 1;
  for (int i = 0; i < nnd_registry_op_count(); i++) {
    const char *o;
    const nnd_op_schema *s = nnd_registry_op_at(i, &o);
    if (strcmp(o, origin) != 0) continue;
    printf("%s%s", first ? "    ops:        " : ", ", s->name);
    first = 0;
  }
  if (!first) putchar('\n');
  first = 1;
  for (int i = 0; i < nnd_registry_optimizer_count(); i++) {
    const char *o;
    const nnd_optimizer *opt = nnd_registry_optimizer_at(i, &o);
    if (strcmp(o, origin) != 0) continue;
    printf("%s%s", first ? "    optimizers: " : ", ", opt->name);
    first = 0;
  }
  if (!first) putchar('\n');
}

static void print_error(double e) {
  if (e < 0) printf(" %10s", "-");
  else if (!isfinite(e)) printf(" %10s", "NaN/inf");
  else printf(" %10.2e", e);
}

/* Load FILE (on top of nnd's own plugins, which the standard-op comparison
   needs), run the check, print a row per op and kernel. */
static int check_plugin(const char *file) {
  char real[PATH_MAX];
  if (!realpath(file, real)) {
    fprintf(stderr, "nnd plugins --check: %s: cannot open it\n", file);
    return EXIT_USAGE;
  }
  nnd_plugin_load_file(real);
  const nnd_plugin_record *rec = NULL;
  for (int i = 0; i < nnd_plugin_count(); i++)
    if (strcmp(nnd_plugin_at(i)->path, real) == 0) rec = nnd_plugin_at(i);
  if (!rec || !rec->loaded) {
    fprintf(stderr, "nnd plugins --check: %s: refused: %s\n", file,
            rec ? rec->error : "not loaded");
    return EXIT_MODEL;
  }
  nnd_plugin_check_row *rows = NULL;
  int n = 0;
  char err[1024];
  int failed = nnd_plugin_check(rec->path, &rows, &n, err, sizeof err);
  if (failed < 0) {
    cli_error("plugins --check", err);
    return EXIT_MODEL;
  }
  printf("%s: %s %s, ABI %u.%u\n", rec->path, rec->name, rec->version, rec->abi_major,
         rec->abi_minor);
  printf("%-24s %-8s %-9s %6s %10s %10s  %s\n", "op", "kernel", "reference", "cases",
         "gradient", "vs ref", "result");
  for (int i = 0; i < n; i++) {
    const nnd_plugin_check_row *r = &rows[i];
    printf("%-24s %-8s %-9s %6d", r->op, r->backend[0] ? r->backend : "(schema)",
           r->reference[0] ? r->reference : "-", r->cases);
    if (r->backend[0]) {
      print_error(r->grad_error);
      print_error(r->ref_error);
    } else {
      printf(" %10s %10s", "-", "-");
    }
    printf("  %s", r->failed ? "FAIL" : "ok");
    if (r->skipped) printf(" (%d skipped)", r->skipped);
    if (r->reason[0]) printf(": %s", r->reason);
    putchar('\n');
  }
  printf("%s: %d of %d rows failed (tolerance: gradient %.0e, against the reference %.0e)\n",
         failed ? "FAIL" : "ok", failed, n, NND_PLUGIN_CHECK_GRAD_TOL,
         NND_PLUGIN_CHECK_REF_TOL);
  free(rows);
  return failed ? EXIT_MODEL : EXIT_OK;
}

int cmd_plugins(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "--check") == 0) {
    if (argc != 3) return cli_usage_error("plugins", "--check takes one plugin file");
    return check_plugin(argv[2]);
  }
  if (argc > 1) return cli_usage_error("plugins", "unknown argument '%s'", argv[1]);
  int n = nnd_plugin_count();
  if (n == 0) printf("no plugin found\n");
  for (int i = 0; i < n; i++) {
    const nnd_plugin_record *r = nnd_plugin_at(i);
    if (!r->loaded) {
      printf("%s\n    refused: %s\n", r->path, r->error);
      continue;
    }
    printf("%s\n    %s %s (%s), ABI %u.%u: %s\n", r->path, r->name, r->version, r->license,
           r->abi_major, r->abi_minor, r->description);
    list_kernels(r->path);
  }
  /* the search path in order, so a plugin that was not found can be looked
     for where nnd looked */
  printf("searched:\n");
  for (int i = 0; i < nnd_plugin_searched_count(); i++) {
    const nnd_plugin_searched_dir *d = nnd_plugin_searched_at(i);
    if (d->loaded < 0) printf("    %s (%s): not there\n", d->dir, d->source);
    else printf("    %s (%s): %d loaded\n", d->dir, d->source, d->loaded);
  }
  return EXIT_OK;
}
