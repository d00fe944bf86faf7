/* comm/mpi.c — the collective module over MPI (comm.h): what lets
 * `mpirun -np N nnd train` train one model with N processes.
 *
 * This file is the only one of nnd that includes <mpi.h> and links libmpi; it
 * builds to comm/mpi.so, which nnd opens with dlopen when an MPI launcher
 * started it. It uses standard MPI only (Open MPI and MPICH both work). Only
 * the main thread calls MPI (the kernels' OpenMP threads never do), so
 * MPI_THREAD_FUNNELED is enough. */
#include <limits.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "comm.h"

#define EXPORT __attribute__((visibility("default")))

typedef struct {
  nnd_comm c;
  char *hosts;      /* n_ranks names of MPI_MAX_PROCESSOR_NAME bytes */
  int finalize;     /* this module initialised MPI, so it finalises it */
} mpi_comm;

/* Bytes per MPI call: counts are ints. */
#define CHUNK ((size_t)1 << 30)

static int failed(int rc, const char *what, char *err, size_t err_size) {
  char text[MPI_MAX_ERROR_STRING] = "";
  int len = 0;
  MPI_Error_string(rc, text, &len);
  snprintf(err, err_size, "%s failed: %s", what, text);
  return -1;
}

static const char *host(nnd_comm *c, int rank) {
  mpi_comm *m = (mpi_comm *)c;
  if (rank < 0 || rank >= c->n_ranks) return "?";
  return m->hosts + (size_t)rank * MPI_MAX_PROCESSOR_NAME;
}

static int bcast(nnd_comm *c, void *buf, size_t bytes, int root, char *err, size_t err_size) {
  (void)c;
  for (size_t at = 0; at < bytes; at += CHUNK) {
    size_t k = bytes - at < CHUNK ? bytes - at : CHUNK;
    int rc = MPI_Bcast((char *)buf + at, (int)k, MPI_BYTE, root, MPI_COMM_WORLD);
    if (rc != MPI_SUCCESS) return failed(rc, "MPI_Bcast", err, err_size);
  }
  return 0;
}

static int sum(void *buf, size_t n, size_t elem, MPI_Datatype type, char *err,
               size_t err_size) {
  size_t per = CHUNK / elem;
  for (size_t at = 0; at < n; at += per) {
    size_t k = n - at < per ? n - at : per;
    int rc = MPI_Allreduce(MPI_IN_PLACE, (char *)buf + at * elem, (int)k, type, MPI_SUM,
                           MPI_COMM_WORLD);
    if (rc != MPI_SUCCESS) return failed(rc, "MPI_Allreduce", err, err_size);
  }
  return 0;
}

static int sum_floats(nnd_comm *c, float *buf, size_t n, char *err, size_t err_size) {
  (void)c;
  return sum(buf, n, sizeof *buf, MPI_FLOAT, err, err_size);
}

static int sum_doubles(nnd_comm *c, double *buf, size_t n, char *err, size_t err_size) {
  (void)c;
  return sum(buf, n, sizeof *buf, MPI_DOUBLE, err, err_size);
}

static int barrier(nnd_comm *c, char *err, size_t err_size) {
  (void)c;
  int rc = MPI_Barrier(MPI_COMM_WORLD);
  return rc == MPI_SUCCESS ? 0 : failed(rc, "MPI_Barrier", err, err_size);
}

static void abort_job(nnd_comm *c, int code) {
  (void)c;
  fflush(stdout);
  fflush(stderr);
  MPI_Abort(MPI_COMM_WORLD, code ? code : 1);
  exit(code ? code : 1); /* MPI_Abort does not return; in case it does */
}

static void close_comm(nnd_comm *c) {
  mpi_comm *m = (mpi_comm *)c;
  if (!m) return;
  if (m->finalize) MPI_Finalize();
  free(m->hosts);
  free(m);
}

static int open_comm(nnd_comm **out, char *err, size_t err_size) {
  *out = NULL;
  int inited = 0, provided = 0, rc;
  MPI_Initialized(&inited);
  if (!inited) {
    rc = MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided);
    if (rc != MPI_SUCCESS) return failed(rc, "MPI_Init_thread", err, err_size);
  }
  /* errors come back as return codes, so the trainer can name the rank and
     host before it aborts the job */
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  mpi_comm *m = calloc(1, sizeof *m);
  if (!m) return snprintf(err, err_size, "out of memory"), -1;
  m->finalize = !inited;
  nnd_comm *c = &m->c;
  c->size = sizeof *c;
  c->name = "mpi";
  MPI_Comm_rank(MPI_COMM_WORLD, &c->rank);
  MPI_Comm_size(MPI_COMM_WORLD, &c->n_ranks);
  c->host = host;
  c->bcast = bcast;
  c->sum_floats = sum_floats;
  c->sum_doubles = sum_doubles;
  c->barrier = barrier;
  c->abort = abort_job;
  c->close = close_comm;
  m->hosts = calloc((size_t)c->n_ranks, MPI_MAX_PROCESSOR_NAME);
  char me[MPI_MAX_PROCESSOR_NAME] = "";
  int len = 0;
  MPI_Get_processor_name(me, &len);
  if (!m->hosts) {
    close_comm(c);
    return snprintf(err, err_size, "out of memory"), -1;
  }
  rc = MPI_Allgather(me, MPI_MAX_PROCESSOR_NAME, MPI_CHAR, m->hosts, MPI_MAX_PROCESSOR_NAME,
                     MPI_CHAR, MPI_COMM_WORLD);
  if (rc != MPI_SUCCESS) {
    failed(rc, "MPI_Allgather", err, err_size);
    abort_job(c, 1);
  }
  c->n_hosts = 0;
  for (int r = 0; r < c->n_ranks; r++) {
    int seen = 0;
    for (int q = 0; q < r && !seen; q++)
      seen = strcmp(host(c, q), host(c, r)) == 0;
    c->n_hosts += !seen;
  }
  *out = c;
  return 0;
}

EXPORT const nnd_comm_module *nnd_comm_entry(void);
EXPORT const nnd_comm_module *nnd_comm_entry(void) {
  static const nnd_comm_module info = {sizeof info, NND_COMM_ABI, "mpi",
                                       "collectives over MPI (mpirun -np N nnd train)",
                                       open_comm};
  return &info;
}
