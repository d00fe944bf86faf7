/* plugin_dirs.h — the plugin search path: which directories, in which
 * order, and what each gave, for `nnd plugins` to show. */
#ifndef NND_PLUGIN_DIRS_H
#define NND_PLUGIN_DIRS_H

/* The per-user plugin directory, ~/.local/lib/nnd/plugins-<ABI major> (the
 * user's counterpart of LIBDIR/nnd/plugins-<ABI major>), or NULL when HOME is
 * unset or not an absolute path. The path lives in a static buffer. */
const char *nnd_plugin_user_dir(void);

/* Load every directory of the search path, in order: dirs (--plugin-dir),
 * each of NND_PLUGIN_PATH (colon-separated), the per-user directory, the
 * installed NND_PLUGINDIR. Each is remembered with its source and result.
 * Returns how many plugins loaded. */
int nnd_plugin_search(const char *const *dirs, int n_dirs);

/* What the searches so far looked at, in order; a directory is listed once. */
typedef struct {
  char *dir;
  const char *source;  /* "--plugin-dir", "build tree", "NND_PLUGIN_PATH",
                          "per-user", "system" */
  int loaded;          /* plugins loaded from it, -1: it could not be read */
} nnd_plugin_searched_dir;

int nnd_plugin_searched_count(void);
const nnd_plugin_searched_dir *nnd_plugin_searched_at(int i);

#endif
