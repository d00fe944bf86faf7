/* alloc_steady.c — a training step in steady state allocates nothing.
 *
 * session.c promises that every buffer is planned when the batch is set and
 * that nothing is allocated inside a step; a kernel or optimizer of any
 * backend that mallocs per call (a scratch buffer, an im2col matrix, a
 * thread-local copy) breaks that promise without failing any other test. So
 * this program counts every allocation of the process — the runtime's, the
 * plugins', the OpenMP runtime's and the BLAS library's, on every thread —
 * while sessions train in steady state, and requires zero.
 *
 * Counting: without sanitizers this program defines malloc and its family
 * itself, forwarding to glibc's __libc_* entry points; the dynamic linker
 * binds every library and plugin to these definitions. Under AddressSanitizer
 * the sanitizer owns malloc, so its malloc/free hooks count instead.
 *
 * Its own runner (not tests/run_tests) so the counting allocator is not
 * imposed on every suite. Prints CUnit's summary and "N passed, N failed";
 * exits non-zero on any failure. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* dladdr1 */
#endif
#include <CUnit/Basic.h>
#include <dlfcn.h>
#include <elf.h>
#include <execinfo.h>
#include <link.h>
#include <errno.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <nnd/nnd.h>

#include "plugin_loader.h"
#include "train.h"

/* --------------------------------------------------------- counting */

static atomic_int counting;
static atomic_long n_allocs, n_frees;

/* oneDNN 2.6 cannot run a primitive without the heap: dnnl_primitive_execute
 * builds its argument map (a std::unordered_map, a node per argument) and
 * frees it before returning, and some of its kernels allocate and free
 * per-thread buffers inside their own OpenMP regions; its C API has no way
 * around either. While `attributing` (the dnnl row), those blocks are
 * counted apart (n_exec_*): allocated with dnnl_primitive_execute on the
 * stack, or on an OpenMP worker thread in a region whose body is libdnnl's
 * (the frame the OpenMP runtime called is in libdnnl.so). Everything else —
 * the plugin, the memory objects wrapping its tensors, nnd — must still be
 * zero. A frame counts as dnnl_primitive_execute only inside the symbol's
 * own size: an internal function placed after it is not taken for it. */
static atomic_int attributing;
static atomic_long n_exec_allocs, n_exec_frees;
static __thread int in_note;

static int in_library(const Dl_info *info, const char *prefix) {
  const char *base = info->dli_fname ? strrchr(info->dli_fname, '/') : NULL;
  base = base ? base + 1 : info->dli_fname;
  return base && strncmp(base, prefix, strlen(prefix)) == 0;
}

static int in_onednn_execute(void) {
  void *frame[48];
  int n = backtrace(frame, 48);
  int prev_onednn = 0;
  for (int i = 1; i < n; i++) {
    Dl_info info;
    const ElfW(Sym) *sym = NULL;
    if (!dladdr1(frame[i], &info, (void **)&sym, RTLD_DL_SYMENT)) {
      prev_onednn = 0;
      continue;
    }
    if (info.dli_sname && sym && (char *)frame[i] >= (char *)info.dli_saddr &&
        (size_t)((char *)frame[i] - (char *)info.dli_saddr) < sym->st_size &&
        strcmp(info.dli_sname, "dnnl_primitive_execute") == 0)
      return 1;
    if (in_library(&info, "libgomp.so")) return prev_onednn;
    prev_onednn = in_library(&info, "libdnnl.so");
  }
  return 0;
}

/* One allocation (or free) while counting, on any thread. */
static void note(atomic_long *all, atomic_long *exec) {
  /* in_note: the counter's own lookup (none once backtrace is primed) */
  if (!atomic_load_explicit(&counting, memory_order_relaxed) || in_note) return;
  if (atomic_load_explicit(&attributing, memory_order_relaxed)) {
    in_note = 1;
    int e = in_onednn_execute();
    in_note = 0;
    if (e) {
      atomic_fetch_add_explicit(exec, 1, memory_order_relaxed);
      return;
    }
  }
  atomic_fetch_add_explicit(all, 1, memory_order_relaxed);
}

#if defined(__SANITIZE_ADDRESS__)
#define NND_ALLOC_HOOKS 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NND_ALLOC_HOOKS 1
#endif
#endif

#ifdef NND_ALLOC_HOOKS
/* GCC does not ship <sanitizer/allocator_interface.h> (clang does); the
 * function is in libasan either way. */
#if defined(__has_include)
#if __has_include(<sanitizer/allocator_interface.h>)
#include <sanitizer/allocator_interface.h>
#define NND_HAVE_ALLOCATOR_INTERFACE 1
#endif
#endif
#ifndef NND_HAVE_ALLOCATOR_INTERFACE
int __sanitizer_install_malloc_and_free_hooks(void (*malloc_hook)(const volatile void *, size_t),
                                              void (*free_hook)(const volatile void *));
#endif

/* Called by the sanitizer for malloc, calloc, realloc, the aligned kinds
 * (and operator new), on the allocating thread. */
static void on_malloc(const volatile void *p, size_t size) {
  (void)p;
  (void)size;
  note(&n_allocs, &n_exec_allocs);
}

static void on_free(const volatile void *p) {
  if (p) note(&n_frees, &n_exec_frees);
}

static const char *install_counter(void) {
  return __sanitizer_install_malloc_and_free_hooks(on_malloc, on_free)
             ? "AddressSanitizer's malloc hooks"
             : NULL;
}
#else
/* glibc's own allocator under the names it exports for exactly this use
 * (a program that replaces malloc and still wants glibc's). */
extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t size);
extern void __libc_free(void *p);
extern void *__libc_memalign(size_t alignment, size_t size);
extern void *__libc_valloc(size_t size);
extern void *__libc_pvalloc(size_t size);
/* <malloc.h> would declare these; it is not needed for anything else */
void *memalign(size_t alignment, size_t size);
void *pvalloc(size_t size);

/* May run before main and on any thread: touches nothing but atomics. */
static inline void count_alloc(void) { note(&n_allocs, &n_exec_allocs); }

void *malloc(size_t size) {
  count_alloc();
  return __libc_malloc(size);
}

void *calloc(size_t n, size_t size) {
  count_alloc();
  return __libc_calloc(n, size);
}

void *realloc(void *p, size_t size) {
  count_alloc();
  return __libc_realloc(p, size);
}

void free(void *p) {
  if (p) note(&n_frees, &n_exec_frees);
  __libc_free(p);
}

void *memalign(size_t alignment, size_t size) {
  count_alloc();
  return __libc_memalign(alignment, size);
}

void *aligned_alloc(size_t alignment, size_t size) {
  count_alloc();
  return __libc_memalign(alignment, size);
}

int posix_memalign(void **out, size_t alignment, size_t size) {
  /* a power of two and a multiple of sizeof(void *), as POSIX requires */
  if (alignment % sizeof(void *) != 0 || (alignment & (alignment - 1)) != 0) return EINVAL;
  count_alloc();
  void *p = __libc_memalign(alignment, size);
  if (!p) return ENOMEM;
  *out = p;
  return 0;
}

void *valloc(size_t size) {
  count_alloc();
  return __libc_valloc(size);
}

void *pvalloc(size_t size) {
  count_alloc();
  return __libc_pvalloc(size);
}

static const char *install_counter(void) { return "its own malloc over glibc's __libc_*"; }
#endif

static void count_start(void) {
  atomic_store(&n_allocs, 0);
  atomic_store(&n_frees, 0);
  atomic_store(&n_exec_allocs, 0);
  atomic_store(&n_exec_frees, 0);
  atomic_store(&counting, 1);
}

static void count_stop(long *allocs, long *frees) {
  atomic_store(&counting, 0);
  *allocs = atomic_load(&n_allocs);
  *frees = atomic_load(&n_frees);
}

/* The counter itself must see an allocation, or every zero below proves
 * nothing. volatile: the compiler may not drop a malloc/free pair. */
static void test_counter_counts(void) {
  long allocs, frees;
  count_start();
  void *volatile p = malloc(24);
  void *volatile q = calloc(3, 8);
  p = realloc(p, 4096);
  void *r = NULL;
  int rc = posix_memalign(&r, 64, 100);
  free(p);
  free(q);
  free(r);
  count_stop(&allocs, &frees);
  CU_ASSERT_EQUAL(rc, 0);
  CU_ASSERT_EQUAL(allocs, 4);
  /* 3 frees; AddressSanitizer also reports the block realloc moved from */
  CU_ASSERT(frees == 3 || frees == 4);
}

/* ---------------------------------------------------------- plugins */

#define PLUGIN_DIR NND_TEST_BUILDDIR "/plugins/.libs"

static int file_in(const char *dir, size_t len, const char *file) {
  char path[1024];
  snprintf(path, sizeof path, "%.*s/%s", (int)len, dir, file);
  return access(path, F_OK) == 0;
}

/* 1: loaded; 0: not built (no .so in the build tree or on NND_PLUGIN_PATH);
 * -1: a .so is there but did not load, with the reason in why. */
static int plugin_state(const char *name, char *why, size_t n) {
  char file[64];
  snprintf(file, sizeof file, "%s.so", name);
  int refused = 0;
  for (int i = 0; i < nnd_plugin_count(); i++) {
    const nnd_plugin_record *r = nnd_plugin_at(i);
    const char *slash = strrchr(r->path, '/');
    if (strcmp(slash ? slash + 1 : r->path, file) != 0) continue;
    if (r->loaded || r->duplicate) return 1;
    snprintf(why, n, "%s: %s", r->path, r->error);
    refused = 1;
  }
  if (refused) return -1;
  int exists = file_in(PLUGIN_DIR, strlen(PLUGIN_DIR), file);
  for (const char *p = getenv("NND_PLUGIN_PATH"); !exists && p && *p;) {
    const char *colon = strchr(p, ':');
    size_t len = colon ? (size_t)(colon - p) : strlen(p);
    exists = len > 0 && file_in(p, len, file);
    p = colon ? colon + 1 : NULL;
  }
  if (!exists) return 0;
  snprintf(why, n, "%s exists but was never loaded", file);
  return -1;
}

/* Whether a preference list can run: every plugin it names loaded. A
 * plugin not built is a note; one built but refused a failure. */
static int backends_ready(const char *backends) {
  static const char *const plugins[] = {"openmp", "blas", "dnnl"};
  int ready = 1;
  for (size_t i = 0; i < sizeof plugins / sizeof plugins[0]; i++) {
    if (!strstr(backends, plugins[i])) continue;
    char why[800] = "";
    int st = plugin_state(plugins[i], why, sizeof why);
    if (st == 0 && getenv("CI")) {
      /* CI installs everything: a missing plugin there is a failure */
      fprintf(stderr, "\nthe %s plugin is not built, and CI is set\n", plugins[i]);
      CU_FAIL("a plugin is missing under CI");
    } else if (st == 0) {
      printf("\n    NOTE: the %s plugin is not built; \"%s\" is not checked (this fails "
             "under CI)  ", plugins[i], backends);
      CU_PASS("plugin not built");
    } else if (st < 0) {
      fprintf(stderr, "\nthe %s plugin did not load: %s\n", plugins[i], why);
      CU_FAIL("a built plugin did not load");
    }
    ready &= st == 1;
  }
  return ready;
}

/* ------------------------------------------------------------ models */

/* An MLP trained with Adam; dropout keeps a naive kernel in the mix. */
static const char mlp_adam[] =
    "model alloc_mlp\n"
    "input x: [1, 8, 8]\n"
    "input y: class[10]\n"
    "h  = relu(dense(flatten(x), units=32))\n"
    "h2 = dropout(tanh(dense(h, units=16)), rate=0.1)\n"
    "loss cross_entropy(dense(h2, units=10), y)\n"
    "train { optimizer = adam(lr=0.001, weight_decay=0.0001); seed = 1 }\n";

/* models/fashion_cnn.nnd at 12x12, with SGD, momentum and Nesterov. */
static const char cnn_sgd[] =
    "model alloc_cnn\n"
    "input image: [1, 12, 12]\n"
    "input label: class[10]\n"
    "block conv_block(x, n) {\n"
    "  return maxpool(relu(conv2d(x, filters=n, kernel=3, padding=1)), size=2)\n"
    "}\n"
    "f = flatten(conv_block(conv_block(image, 4), 8))\n"
    "logits = dense(relu(dense(f, units=16)), units=10)\n"
    "loss cross_entropy(logits, label)\n"
    "train { optimizer = sgd(lr=0.01, momentum=0.9, nesterov=true); seed = 2 }\n";

/* The rest of the kernels the fast backends have: conv1d, avgpool,
 * batchnorm (a workspace), leaky_relu, sigmoid, two losses, RMSprop. */
static const char seq_rmsprop[] =
    "model alloc_seq\n"
    "input x: [3, 20]\n"
    "input t: binary\n"
    "input v: [4]\n"
    "c = batchnorm(leaky_relu(conv1d(x, filters=6, kernel=5, padding=\"same\"), slope=0.1))\n"
    "p = flatten(avgpool(sigmoid(c), size=2))\n"
    "loss binary_cross_entropy(dense(p, units=1), t)\n"
    "loss mse(dense(p, units=4), v) * 0.5\n"
    "train { optimizer = rmsprop(lr=0.001, momentum=0.5); seed = 3 }\n";

#define BATCH 16
#define WARMUP 2
#define COUNTED 10
#define MAX_INPUTS 8

typedef struct {
  const nnd_model *m;
  int n;
  const char *name[MAX_INPUTS];
  float *data[MAX_INPUTS];
  int64_t size[MAX_INPUTS];
} batch_data;

/* Made before counting starts: the caller's data is not the session's. */
static int make_batch(const nnd_model *m, batch_data *b) {
  memset(b, 0, sizeof *b);
  b->m = m;
  for (int i = 0; i < nnd_model_node_count(m) && b->n < MAX_INPUTS; i++) {
    if (strcmp(nnd_model_node_op(m, i), "input") != 0) continue;
    nnd_type t;
    nnd_model_node_type(m, i, &t);
    int64_t per = 1;
    for (int d = 0; d < t.ndim; d++) per *= t.dim[d];
    int k = b->n++;
    b->name[k] = nnd_model_node_name(m, i);
    b->size[k] = per * BATCH;
    b->data[k] = malloc((size_t)b->size[k] * sizeof(float));
    if (!b->data[k]) return -1;
    for (int64_t j = 0; j < b->size[k]; j++)
      b->data[k][j] = t.dtype == NND_CLASS    ? (float)((j * 3 + 1) % t.classes)
                      : t.dtype == NND_BINARY ? (float)(j % 2)
                                              : (float)sin(0.37 * (double)j + i);
  }
  return 0;
}

static void free_batch(batch_data *b) {
  for (int i = 0; i < b->n; i++) free(b->data[i]);
}

/* What a training loop does each step: the batch in, forward, backward, a
 * step. set_batch with the batch already set is part of it (train.c's
 * feed calls it when the size changes; here it must be free). */
static int train_step(nnd_session *s, const batch_data *b) {
  if (nnd_session_set_batch(s, BATCH) != 0) return -1;
  for (int i = 0; i < b->n; i++)
    if (nnd_session_set_input(s, b->name[i], b->data[i], b->size[i]) != 0) return -1;
  return nnd_session_forward(s, 1) != 0 || nnd_session_backward(s) != 0 ||
                 nnd_session_step(s, -1) != 0
             ? -1
             : 0;
}

static int infer_step(nnd_session *s, const batch_data *b) {
  for (int i = 0; i < b->n; i++)
    if (nnd_session_set_input(s, b->name[i], b->data[i], b->size[i]) != 0) return -1;
  return nnd_session_forward(s, 0);
}

/* The session really runs on the backends asked for: the first named
 * backend must run some node, or the test would only measure naive. */
static int runs_on(nnd_session *s, const nnd_model *m, const char *backend) {
  for (int i = 0; i < nnd_model_node_count(m); i++) {
    const char *b = nnd_session_backend(s, nnd_model_node_name(m, i));
    if (b && strcmp(b, backend) == 0) return 1;
  }
  return 0;
}

/* One model on one preference list: warm up, then count. */
static void check_steady(const char *src, const char *backends) {
  nnd_model *m = NULL;
  nnd_diag_list *d = NULL;
  if (nnd_compile_string("alloc.nnd", src, strlen(src), &m, &d) != 0) {
    char *text = nnd_diag_render(d, 0);
    fprintf(stderr, "\n%s", text ? text : "compile failed\n");
    free(text);
  }
  nnd_diag_list_free(d);
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  nnd_session_options o = {.size = sizeof o, .backends = backends};
  nnd_session *s = NULL;
  char err[1024];
  batch_data b;
  memset(&b, 0, sizeof b);
  int rc = nnd_session_new(m, &o, &s, err, sizeof err);
  if (rc != 0) fprintf(stderr, "\n%s on %s: %s\n", nnd_model_name(m), backends, err);
  CU_ASSERT_EQUAL(rc, 0);
  if (rc == 0) rc = make_batch(m, &b) != 0 || nnd_session_set_batch(s, BATCH) != 0 ? -1 : 0;
  if (rc == 0) {
    char first[32];
    snprintf(first, sizeof first, "%.*s", (int)strcspn(backends, ","), backends);
    if (!runs_on(s, m, first))
      fprintf(stderr, "\n%s on %s: no node runs on %s\n", nnd_model_name(m), backends, first);
    CU_ASSERT(runs_on(s, m, first));
    double before = NAN, after = NAN;
    long train_allocs = -1, train_frees = -1, infer_allocs = -1, infer_frees = -1;
    long exec_allocs = 0, exec_frees = 0;
    int failed = 0;
    for (int k = 0; k < WARMUP && !failed; k++) failed |= train_step(s, &b) != 0;
    failed |= infer_step(s, &b) != 0;
    before = nnd_session_loss(s);
    if (!failed) {
      count_start();
      for (int k = 0; k < COUNTED && !failed; k++) failed |= train_step(s, &b) != 0;
      count_stop(&train_allocs, &train_frees);
      exec_allocs += atomic_load(&n_exec_allocs);
      exec_frees += atomic_load(&n_exec_frees);
      count_start();
      for (int k = 0; k < COUNTED && !failed; k++) failed |= infer_step(s, &b) != 0;
      count_stop(&infer_allocs, &infer_frees);
      exec_allocs += atomic_load(&n_exec_allocs);
      exec_frees += atomic_load(&n_exec_frees);
      after = nnd_session_loss(s);
    }
    if (failed) fprintf(stderr, "\n%s on %s: %s\n", nnd_model_name(m), backends,
                        nnd_session_error(s));
    CU_ASSERT_FALSE(failed);
    /* the steps did train: the same batch, ten steps later, fits better */
    CU_ASSERT(isfinite(before) && isfinite(after) && after < before);
    const char *opt_backend = NULL;
    nnd_session_optimizer(s, &opt_backend);
    printf("\n    %s on %s (optimizer on %s): %d training steps %ld allocations, %ld frees; "
           "%d inference passes %ld allocations, %ld frees  ",
           nnd_model_name(m), backends, opt_backend ? opt_backend : "?", COUNTED,
           train_allocs, train_frees, COUNTED, infer_allocs, infer_frees);
    if (atomic_load(&attributing))
      printf("(and inside dnnl_primitive_execute: %ld allocations, %ld frees)  ", exec_allocs,
             exec_frees);
    /* nothing allocated, and nothing freed: a free would be the end of a
       lifetime that began inside a step; oneDNN's execute (attributing,
       the dnnl row) only frees what it allocated */
    CU_ASSERT(train_allocs == 0 && train_frees == 0);
    CU_ASSERT(infer_allocs == 0 && infer_frees == 0);
    CU_ASSERT(exec_allocs == exec_frees);
  }
  free_batch(&b);
  nnd_session_free(s);
  nnd_model_free(m);
}

/* The OpenMP runtime the plugins brought in, if any: this program is not
 * linked with it, so omp_set_num_threads is looked up in the loaded copy. */
typedef void (*set_threads_fn)(int);
typedef int (*get_threads_fn)(void);

static int omp_runtime(set_threads_fn *set, get_threads_fn *get) {
  void *h = dlopen("libgomp.so.1", RTLD_LAZY | RTLD_NOLOAD);
  if (!h) return 0;
  *(void **)set = dlsym(h, "omp_set_num_threads");
  *(void **)get = dlsym(h, "omp_get_max_threads");
  dlclose(h); /* RTLD_NOLOAD took a reference; the plugins keep theirs */
  return *set && *get;
}

static void check_backends(const char *backends) {
  if (!backends_ready(backends)) return;
  check_steady(mlp_adam, backends);
  check_steady(cnn_sgd, backends);
  check_steady(seq_rmsprop, backends);
  /* Once more on one thread (nnd --threads 1, OMP_NUM_THREADS=1): libgomp
     caches only teams of more than one thread, so a parallel region run by
     a single thread (an `if` clause that is false, num_threads(1), a pool
     of 1) allocates and frees its team every time. */
  set_threads_fn set;
  get_threads_fn get;
  if (strcmp(backends, "naive") == 0 || !omp_runtime(&set, &get)) return;
  int saved = get();
  if (saved == 1) return;  /* the run above was on one thread already */
  printf("\n    on 1 thread:");
  set(1);
  check_steady(mlp_adam, backends);
  check_steady(cnn_sgd, backends);
  check_steady(seq_rmsprop, backends);
  set(saved);
}

static void test_naive(void) { check_backends("naive"); }
static void test_openmp(void) { check_backends("openmp,naive"); }
static void test_blas(void) { check_backends("blas,openmp,naive"); }
/* oneDNN's own execute is counted apart (see `attributing`): every other
 * allocation of a step, the plugin's included, must be zero. */
static void test_dnnl(void) {
  atomic_store(&attributing, 1);
  check_backends("dnnl,openmp,naive");
  atomic_store(&attributing, 0);
}

/* ----------------------------------------------------------- nnd_train */

/* nnd_train (runtime/train.c) allocates per run (the data, its order) and
 * per epoch (the session is resized for a short last batch, for the
 * validation batches and back to the full batch), never per step: two runs
 * whose epochs differ only in how many full batches they have allocate
 * equally often. */
static long train_allocations(int samples, const char *backends) {
  char src[1024];
  snprintf(src, sizeof src,
           "model alloc_train\n"
           "input x: [4]\n"
           "input y: class[3]\n"
           "loss cross_entropy(dense(relu(dense(x, units=8)), units=3), y)\n"
           "train {\n"
           "  data = blobs(n=%d, centers=3, features=4, seed=1)\n"
           "  optimizer = adam(lr=0.01)\n"
           "  batch = %d\n  epochs = 2\n  validation = 0.1\n  seed = 4\n"
           "}\n",
           samples, BATCH);
  nnd_model *m = NULL;
  if (nnd_compile_string("train.nnd", src, strlen(src), &m, NULL) != 0) return -1;
  nnd_session_options o = {.size = sizeof o, .backends = backends};
  nnd_session *s = NULL;
  char err[1024];
  long allocs = -1, frees;
  if (nnd_session_new(m, &o, &s, err, sizeof err) == 0) {
    nnd_train_options t;
    memset(&t, 0, sizeof t);
    count_start();
    int rc = nnd_train(s, m, &t, err, sizeof err);
    count_stop(&allocs, &frees);
    if (rc != 0) {
      fprintf(stderr, "\nnnd_train on %s: %s\n", backends, err);
      allocs = -1;
    }
  } else {
    fprintf(stderr, "\n%s\n", err);
  }
  nnd_session_free(s);
  nnd_model_free(m);
  return allocs;
}

static void test_train_loop(void) {
  static const char *const prefs[] = {"naive", "openmp,naive", "blas,openmp,naive"};
  for (size_t i = 0; i < sizeof prefs / sizeof prefs[0]; i++) {
    if (!backends_ready(prefs[i])) continue;
    /* 200 samples: 180 train as 11 batches of 16 and one of 4, 20 validate
       as 16 + 4; 2000: 112 x 16 + 8 and 12 x 16 + 8. Both resize the same
       way each epoch (short, full, short, full); only the step count (12 or
       113 an epoch) differs. */
    long few = train_allocations(200, prefs[i]), many = train_allocations(2000, prefs[i]);
    printf("\n    nnd_train on %s, 2 epochs: %ld allocations at 12 steps an epoch, %ld at "
           "113  ", prefs[i], few, many);
    CU_ASSERT(few > 0);  /* the run does allocate (its data): the counter is live */
    CU_ASSERT_EQUAL(few, many);
  }
}

/* --------------------------------------------------------------- main */

int main(void) {
  const char *how = install_counter();
  if (!how) {
    fprintf(stderr, "alloc_steady: cannot install the allocation counter\n");
    return 2;
  }
  printf("alloc_steady: counting allocations with %s\n", how);
  /* backtrace loads its unwinder on first use, which allocates: not while
     counting */
  void *frame[4];
  (void)backtrace(frame, 4);
  /* make check sets NND_PLUGIN_PATH; a run by hand finds the build tree */
  const char *dir = PLUGIN_DIR;
  nnd_load_plugins(&dir, 1);
  if (CU_initialize_registry() != CUE_SUCCESS) return 2;
  CU_pSuite s = CU_add_suite("steady-state allocations", NULL, NULL);
  CU_add_test(s, "the counter counts", test_counter_counts);
  CU_add_test(s, "naive: no allocation in a step", test_naive);
  CU_add_test(s, "openmp,naive: no allocation in a step", test_openmp);
  CU_add_test(s, "blas,openmp,naive: no allocation in a step", test_blas);
  CU_add_test(s, "dnnl,openmp,naive: no allocation in a step but oneDNN's execute", test_dnnl);
  CU_add_test(s, "nnd_train allocates per epoch, not per step", test_train_loop);
  CU_basic_set_mode(CU_BRM_VERBOSE);
  CU_basic_run_tests();
  unsigned failed_tests = CU_get_number_of_tests_failed();
  unsigned run = CU_get_number_of_tests_run();
  unsigned failed_suites = CU_get_number_of_suites_failed();
  printf("\n%u passed, %u failed\n", run - failed_tests, failed_tests + failed_suites);
  int status = failed_tests || failed_suites || CU_get_number_of_failures() ? 1 : 0;
  CU_cleanup_registry();
  return status;
}
