/* plugin_loader.h — loading plugins into the registry, and what became of
 * each file that was tried. */
#ifndef NND_PLUGIN_LOADER_H
#define NND_PLUGIN_LOADER_H

#include <nnd/plugin.h>

#ifndef NND_PLUGINDIR
#define NND_PLUGINDIR "/usr/local/lib/nnd/plugins"
#endif

typedef struct {
  char *path;            /* resolved path, also the origin of its registrations */
  int loaded;
  int duplicate;         /* skipped: a plugin of this name was loaded already */
  int own;               /* one of nnd's own plugins (see nnd_plugin_is_own_file) */
  /* copies of the descriptor's strings (NULL when it was never read): a
     refused plugin is closed, and its own strings go with it */
  const char *name, *version, *license, *description;
  unsigned abi_major, abi_minor;
  int n_kernels, n_ops, n_calls, n_optimizers;
  void *handle;
  char error[600];       /* why it was refused */
} nnd_plugin_record;

/* Load one file; 0 when registered, -1 when refused (see its record). A file
 * already tried is not tried again. */
int nnd_plugin_load_file(const char *path);
/* Every *.so of a directory: nnd's own plugins first, then the others in
 * name order; returns how many loaded, -1 when the directory cannot be read. */
int nnd_plugin_load_dir(const char *dir);
/* The search path: dirs (--plugin-dir), then NND_PLUGIN_PATH (colon-
 * separated), then the per-user directory, then the installed NND_PLUGINDIR
 * (see plugin_dirs.h). nnd's own plugins are loaded first, from the first
 * directory of the path that has them, then every other plugin in path
 * order; so a third-party plugin that registers what an own plugin does
 * (relu for naive) is the one refused, wherever it is found. Returns how
 * many loaded. */
int nnd_plugin_load_search_path(const char *const *dirs, int n_dirs);
/* Only nnd's own plugins of dir (the search's first pass); how many loaded,
 * -1 when the directory cannot be read. */
int nnd_plugin_load_own(const char *dir);

/* nnd's own plugins are its standard backends, files named naive.so,
 * openmp.so and blas.so. A plugin counts as own when its file has one of
 * these names and its descriptor the matching name ("naive"). */
int nnd_plugin_is_own_file(const char *path);

/* For messages: the refused plugins (not the skipped duplicates), each as
 * "PATH (REASON)", separated by "; ", as many as fit in n; "" when none. */
void nnd_plugin_refusals(char *buf, size_t n);

/* For a program run from its build tree: the plugins built beside it
 * (<exe dir>/plugins/.libs, or <exe dir>/../plugins/.libs for a program
 * libtool keeps in .libs/ or one in a subdirectory such as bench/), or NULL
 * for an installed program. The path lives in a static buffer. */
const char *nnd_plugin_build_tree_dir(void);

int nnd_plugin_count(void);
const nnd_plugin_record *nnd_plugin_at(int i);

const nnd_host *nnd_plugin_host(void);

#endif
