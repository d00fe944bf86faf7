/* comm.h — the collective operations the trainer needs to train one model
 * with several processes (data parallelism): broadcast, allreduce (sum),
 * barrier, abort, and who this process is.
 *
 * The interface is narrow on purpose: the runtime has a single-process
 * implementation of its own (every collective is the identity), and the MPI
 * one lives in a separately built module (comm/mpi.so) that nnd loads with
 * dlopen when an MPI launcher started it. libnnd never links MPI, a
 * distribution ships the module as its own package, and another transport
 * (NCCL, gloo, TCP) is one more module with the same entry point.
 *
 * Every call is collective: all processes make the same calls in the same
 * order with the same sizes. A call returns 0, or -1 with a message in err;
 * after a failure the caller must not make further collective calls but
 * abort (a peer may be waiting in one). */
#ifndef NND_COMM_H
#define NND_COMM_H

#include <stddef.h>
#include <stdint.h>

/* A module's version of this interface: a module of another major is
 * refused; members are only ever appended (the size field says how many). */
#define NND_COMM_ABI 1u

typedef struct nnd_comm nnd_comm;

struct nnd_comm {
  size_t size;                /* sizeof(nnd_comm) of the module's build */
  const char *name;           /* "single", "mpi" */
  int rank, n_ranks;          /* this process, 0-based; how many there are */
  int n_hosts;                /* distinct host names among the ranks */
  /* the host name of a rank (for messages naming where a fault happened) */
  const char *(*host)(nnd_comm *c, int rank);
  /* `bytes` bytes at buf of rank `root` copied to every rank */
  int (*bcast)(nnd_comm *c, void *buf, size_t bytes, int root, char *err, size_t err_size);
  /* in place: buf[i] becomes the sum over the ranks of their buf[i] */
  int (*sum_floats)(nnd_comm *c, float *buf, size_t n, char *err, size_t err_size);
  int (*sum_doubles)(nnd_comm *c, double *buf, size_t n, char *err, size_t err_size);
  int (*barrier)(nnd_comm *c, char *err, size_t err_size);
  /* stop every process of the job with exit status `code`; does not return
     in a real transport (the single process one exits) */
  void (*abort)(nnd_comm *c, int code);
  /* leave the job (MPI_Finalize) and free c */
  void (*close)(nnd_comm *c);
  void *impl;                 /* the module's own */
};

/* What a module exports as `nnd_comm_entry`: a static descriptor, checked
 * before any of its code runs beyond the entry itself. */
typedef struct {
  size_t size;                /* sizeof(nnd_comm_module) */
  unsigned abi;               /* NND_COMM_ABI */
  const char *name;           /* "mpi" */
  const char *description;
  /* join the job this process was started in; argc/argv may be NULL */
  int (*open)(nnd_comm **out, char *err, size_t err_size);
} nnd_comm_module;

typedef const nnd_comm_module *(*nnd_comm_entry_fn)(void);

/* The single-process communicator: rank 0 of 1 on this host. Static; close
 * is a no-op. */
nnd_comm *nnd_comm_single(void);

/* The name of the launcher whose environment this process has (Open MPI's
 * OMPI_COMM_WORLD_SIZE, PMI's PMI_SIZE, PMIx's PMIX_RANK), or NULL when no
 * launcher started it. */
const char *nnd_comm_launcher(void);

/* The communicator this process should use: the single-process one unless a
 * launcher started it, then the MPI module, found as $NND_COMM_MODULE (a
 * path), in the build tree beside the program, or in the installed commdir.
 * A launcher without a loadable module is an error (training N copies of
 * the same model apart would be silently wrong). */
int nnd_comm_open(nnd_comm **out, char *err, size_t err_size);

/* A module file by path (for tests and NND_COMM_MODULE). */
int nnd_comm_open_module(const char *path, nnd_comm **out, char *err, size_t err_size);

/* The contiguous share [*lo, *hi) of n items that rank r of n_ranks takes:
 * the first n % n_ranks ranks take one more. Every rank computes every
 * rank's share the same way, so no share needs sending. */
void nnd_comm_share(int64_t n, int rank, int n_ranks, int64_t *lo, int64_t *hi);

#endif
