/* cmd_plugins.c — `nnd plugins`: every plugin file tried, and for each what
 * it registered or why it was refused. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
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

int cmd_plugins(int argc, char **argv) {
  if (argc > 1) return cli_usage_error("plugins", "takes no arguments");
  (void)argv;
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
