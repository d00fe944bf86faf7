/* comm.c — see comm.h: the single-process communicator, and finding and
 * checking a collective module. */
#include "comm.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plugin_loader.h"

#ifndef NND_COMMDIR
#define NND_COMMDIR "/usr/local/lib/nnd/comm-1"
#endif

/* ------------------------------------------------------ one process */

static const char *single_host(nnd_comm *c, int rank) {
  (void)c;
  (void)rank;
  static char name[256];
  if (!name[0] && gethostname(name, sizeof name - 1) != 0) snprintf(name, sizeof name, "?");
  return name;
}

static int single_bcast(nnd_comm *c, void *buf, size_t bytes, int root, char *err, size_t n) {
  (void)c, (void)buf, (void)bytes, (void)root, (void)err, (void)n;
  return 0;
}

static int single_sum_floats(nnd_comm *c, float *buf, size_t k, char *err, size_t n) {
  (void)c, (void)buf, (void)k, (void)err, (void)n;
  return 0;
}

static int single_sum_doubles(nnd_comm *c, double *buf, size_t k, char *err, size_t n) {
  (void)c, (void)buf, (void)k, (void)err, (void)n;
  return 0;
}

static int single_barrier(nnd_comm *c, char *err, size_t n) {
  (void)c, (void)err, (void)n;
  return 0;
}

static void single_abort(nnd_comm *c, int code) {
  (void)c;
  exit(code);
}

static void single_close(nnd_comm *c) { (void)c; }

nnd_comm *nnd_comm_single(void) {
  static nnd_comm one = {sizeof(nnd_comm), "single", 0, 1, 1, single_host, single_bcast,
                         single_sum_floats, single_sum_doubles, single_barrier,
                         single_abort, single_close, NULL};
  return &one;
}

/* ------------------------------------------------------------ modules */

const char *nnd_comm_launcher(void) {
  static const struct { const char *var, *name; } known[] = {
      {"OMPI_COMM_WORLD_SIZE", "Open MPI"}, {"PMIX_RANK", "PMIx"}, {"PMI_SIZE", "PMI"}};
  for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
    const char *v = getenv(known[i].var);
    if (v && *v) return known[i].name;
  }
  return NULL;
}

void nnd_comm_share(int64_t n, int rank, int n_ranks, int64_t *lo, int64_t *hi) {
  int64_t q = n / n_ranks, rem = n % n_ranks;
  *lo = (int64_t)rank * q + (rank < rem ? rank : rem);
  *hi = *lo + q + (rank < rem ? 1 : 0);
}

int nnd_comm_open_module(const char *path, nnd_comm **out, char *err, size_t err_size) {
  *out = NULL;
  struct stat st;
  if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
    return snprintf(err, err_size, "%s: no such collective module", path), -1;
  /* RTLD_GLOBAL: an MPI library opens components of its own (Open MPI's
     mca_*.so) that resolve symbols of libmpi from the global scope */
  void *h = dlopen(path, RTLD_NOW | RTLD_GLOBAL);
  if (!h) {
    const char *e = dlerror();
    return snprintf(err, err_size, "%s: not a loadable shared object: %s", path,
                    e ? e : "dlopen failed"),
           -1;
  }
  nnd_comm_entry_fn entry = NULL;
  *(void **)&entry = dlsym(h, "nnd_comm_entry");
  const nnd_comm_module *m = entry ? entry() : NULL;
  const char *why = !entry ? "it does not export nnd_comm_entry()"
                    : !m || m->size < sizeof *m ? "its descriptor is missing or too small"
                    : m->abi != NND_COMM_ABI ? "it was built for another collective ABI"
                                             : NULL;
  if (why) {
    snprintf(err, err_size, "%s: %s", path, why);
    dlclose(h);
    return -1;
  }
  char detail[768] = "";
  if (m->open(out, detail, sizeof detail) != 0 || !*out) {
    snprintf(err, err_size, "%s module (%s): %s", m->name, path,
             detail[0] ? detail : "it could not join the job");
    *out = NULL;
    return -1; /* the handle stays: the library may have started threads */
  }
  if ((*out)->size < sizeof(nnd_comm)) {
    snprintf(err, err_size, "%s: its communicator is smaller than this nnd's", path);
    *out = NULL;
    return -1;
  }
  return 0;
}

/* The build tree's comm/.libs beside the program's plugins/.libs. */
static const char *build_tree_module(char *buf, size_t n) {
  const char *plugins = nnd_plugin_build_tree_dir();
  if (!plugins) return NULL;
  size_t len = strlen(plugins), tail = strlen("plugins/.libs");
  if (len < tail || strcmp(plugins + len - tail, "plugins/.libs") != 0) return NULL;
  snprintf(buf, n, "%.*scomm/.libs/mpi.so", (int)(len - tail), plugins);
  return access(buf, R_OK) == 0 ? buf : NULL;
}

int nnd_comm_open(nnd_comm **out, char *err, size_t err_size) {
  *out = nnd_comm_single();
  const char *launcher = nnd_comm_launcher();
  if (!launcher) return 0;
  const char *path = getenv("NND_COMM_MODULE");
  char buf[PATH_MAX + 64];
  if (!path || !*path) path = build_tree_module(buf, sizeof buf);
  if (!path) {
    snprintf(buf, sizeof buf, "%s/mpi.so", NND_COMMDIR);
    path = buf;
  }
  if (access(path, R_OK) != 0) {
    *out = NULL;
    return snprintf(err, err_size, "started by %s (mpirun), but the MPI module %s is not "
                    "installed (the nnd MPI package, or build nnd with --with-mpi)",
                    launcher, path),
           -1;
  }
  return nnd_comm_open_module(path, out, err, err_size);
}
