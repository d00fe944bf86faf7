/* plugin_dirs.c — the plugin search path, one definition for the loader and
 * for `nnd plugins`, which lists what was searched. */
#include "plugin_dirs.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin_loader.h"

#define NND_STR_(x) #x
#define NND_STR(x) NND_STR_(x)

const char *nnd_plugin_user_dir(void) {
  static char dir[PATH_MAX];
  const char *home = getenv("HOME");
  if (!home || home[0] != '/') return NULL;
  /* file-hierarchy(7)'s place for a user's architecture-dependent files;
     the XDG base directories name none for code. The ABI major is in the
     name for the reason the system directory has it: a plugin built for
     another major version is never even found. */
  int n = snprintf(dir, sizeof dir, "%s/.local/lib/nnd/plugins-%u", home,
                   (unsigned)NND_ABI_MAJOR);
  return n > 0 && (size_t)n < sizeof dir ? dir : NULL;
}

static nnd_plugin_searched_dir *searched;
static int n_searched, cap_searched;

static int searched_before(const char *dir) {
  for (int i = 0; i < n_searched; i++)
    if (strcmp(searched[i].dir, dir) == 0) return 1;
  return 0;
}

/* Load one directory and remember it, counting the own plugins its first
   pass loaded from it; a directory searched before (named twice, or by two
   sources) is not searched again. */
static int search_one(const char *dir, const char *source, int own) {
  if (searched_before(dir)) return 0;
  int k = nnd_plugin_load_dir(dir);
  if (k >= 0 && own > 0) k += own;
  if (n_searched == cap_searched) {
    int cap = cap_searched ? 2 * cap_searched : 8;
    nnd_plugin_searched_dir *s = realloc(searched, (size_t)cap * sizeof *s);
    if (!s) return k > 0 ? k : 0;
    searched = s;
    cap_searched = cap;
  }
  char *copy = strdup(dir);
  if (copy) searched[n_searched++] = (nnd_plugin_searched_dir){copy, source, k};
  return k > 0 ? k : 0;
}

typedef struct {
  const char *dir, *source;
  int own;
} path_entry;

static int add_entry(path_entry **path, int *n, int *cap, const char *dir, const char *source) {
  if (*n == *cap) {
    int grown_cap = *cap ? 2 * *cap : 16;
    path_entry *grown = realloc(*path, (size_t)grown_cap * sizeof *grown);
    if (!grown) return -1;
    *path = grown;
    *cap = grown_cap;
  }
  (*path)[(*n)++] = (path_entry){dir, source, 0};
  return 0;
}

int nnd_plugin_search(const char *const *dirs, int n_dirs) {
  path_entry *path = NULL;
  int n = 0, cap = 0;
  const char *build = nnd_plugin_build_tree_dir();
  for (int i = 0; i < n_dirs; i++)
    if (dirs[i])
      add_entry(&path, &n, &cap, dirs[i],
                build && strcmp(dirs[i], build) == 0 ? "build tree" : "--plugin-dir");
  const char *env = getenv("NND_PLUGIN_PATH");
  char *copy = env && *env ? strdup(env) : NULL;
  for (char *save = NULL, *p = copy ? strtok_r(copy, ":", &save) : NULL; p;
       p = strtok_r(NULL, ":", &save))
    add_entry(&path, &n, &cap, p, "NND_PLUGIN_PATH");
  const char *user = nnd_plugin_user_dir();
  if (user) add_entry(&path, &n, &cap, user, "per-user");
  add_entry(&path, &n, &cap, NND_PLUGINDIR, "system");
  /* nnd's own plugins first, from wherever on the path they are, so a
     third-party plugin that registers what they do is the one refused */
  for (int i = 0; i < n; i++)
    if (!searched_before(path[i].dir)) path[i].own = nnd_plugin_load_own(path[i].dir);
  int loaded = 0;
  for (int i = 0; i < n; i++) loaded += search_one(path[i].dir, path[i].source, path[i].own);
  free(path);
  free(copy);
  return loaded;
}

int nnd_plugin_searched_count(void) { return n_searched; }

const nnd_plugin_searched_dir *nnd_plugin_searched_at(int i) {
  return i >= 0 && i < n_searched ? &searched[i] : NULL;
}
