/* fuzz_util.c — see fuzz_util.h. */
#include "fuzz_util.h"

#include <fcntl.h>
#include <nnd/nnd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "ir.h"

#ifndef NND_FUZZ_PLUGINDIR
#define NND_FUZZ_PLUGINDIR "plugins/.libs"
#endif

static char dir[256];
static char written[8][512]; /* every file name used, to remove at exit */
static nnd_model *models[4];  /* fuzz_data_call's, freed at exit (no leak report) */

/* Leave nothing in /dev/shm after a normal exit (libFuzzer exits through
 * exit() at the end of a run; a crash leaves the files, which hold the
 * input). */
static void cleanup(void) {
  for (int i = 0; i < 4; i++) nnd_model_free(models[i]);
  for (int i = 0; i < 8; i++)
    if (written[i][0]) unlink(written[i]);
  if (dir[0]) rmdir(dir);
}

static void remember(const char *path) {
  for (int i = 0; i < 8; i++) {
    if (strcmp(written[i], path) == 0) return;
    if (!written[i][0]) {
      snprintf(written[i], sizeof written[i], "%s", path);
      return;
    }
  }
}

const char *fuzz_dir(void) {
  if (dir[0]) return dir;
  struct stat st;
  const char *base = stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) ? "/dev/shm" : "/tmp";
  snprintf(dir, sizeof dir, "%s/nnd-fuzz-XXXXXX", base);
  if (!mkdtemp(dir)) {
    perror("nnd fuzz: mkdtemp");
    abort();
  }
  atexit(cleanup);
  return dir;
}

const char *fuzz_path(const char *name) {
  static char path[512];
  snprintf(path, sizeof path, "%s/%s", fuzz_dir(), name);
  remember(path);
  return path;
}

const char *fuzz_write_file(const char *name, const uint8_t *data, size_t size) {
  static char path[512];
  snprintf(path, sizeof path, "%s/%s", fuzz_dir(), name);
  remember(path);
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) {
    perror(path);
    abort();
  }
  size_t done = 0;
  while (done < size) {
    ssize_t w = write(fd, data + done, size - done);
    if (w <= 0) {
      perror(path);
      abort();
    }
    done += (size_t)w;
  }
  close(fd);
  return path;
}

void fuzz_load_plugins(void) {
  static int loaded;
  if (loaded) return;
  /* The harnesses fuzz readers, not kernels: run every node on the naive
     reference kernels, chosen by a fixed rule. Timing candidates per session
     (the measured choice) cost 10x the executions, and oneDNN's OpenMP
     threads leave dynamic-TLS records that crash LeakSanitizer's exit scan
     (clang 14 with glibc 2.36: "Tracer caught signal 11", a DTLS range of
     garbage), which is not a bug a fuzzer can help with. */
  setenv("NND_BACKEND", "naive", 0);
  setenv("NND_KERNEL_CHOICE", "fixed", 0);
  const char *d = NND_FUZZ_PLUGINDIR; /* then NND_PLUGIN_PATH, then the installed ones */
  if (nnd_load_plugins(&d, 1) <= 0) {
    fprintf(stderr, "nnd fuzz: no plugin loaded from %s\n", d);
    abort();
  }
  loaded = 1;
}

const char *fuzz_write_gzip(const char *name, const uint8_t *data, size_t size) {
  static char path[512];
  snprintf(path, sizeof path, "%s/%s", fuzz_dir(), name);
  remember(path);
  gzFile gz = gzopen(path, "wb6");
  if (!gz || (size && gzwrite(gz, data, (unsigned)size) != (int)size) || gzclose(gz) != Z_OK) {
    fprintf(stderr, "nnd fuzz: cannot write %s\n", path);
    abort();
  }
  return path;
}

const struct nnd_value *fuzz_data_call(const char *call) {
  char text[1024];
  int len = snprintf(text, sizeof text,
                     "model fuzz_data\n"
                     "input x: [4]\ninput y: class[2]\n"
                     "logits = dense(x, units=2)\n"
                     "loss cross_entropy(logits, y)\n"
                     "train {\n  data = %s\n}\n",
                     call);
  nnd_model *m = NULL;
  nnd_diag_list *d = NULL;
  if (nnd_compile_string("fuzz_data.nnd", text, (size_t)len, &m, &d) != 0) {
    char *t = nnd_diag_render(d, 0);
    fprintf(stderr, "nnd fuzz: the data call does not compile:\n%s", t ? t : "");
    abort();
  }
  nnd_diag_list_free(d);
  const nnd_setting *s = nnd_ir_setting(m, "data");
  if (!s) abort();
  fuzz_dir(); /* registers the exit cleanup */
  for (int i = 0; i < 4; i++)
    if (!models[i]) {
      models[i] = m; /* kept for the life of the process */
      return &s->value;
    }
  abort();
}
