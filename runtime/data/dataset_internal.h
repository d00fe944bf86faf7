/* dataset_internal.h — what the data sources (idx.c, csv.c, synthetic.c)
 * share with dataset.c: the one dataset structure every source fills, and
 * small helpers for arguments, paths and messages. Not installed. */
#ifndef NND_DATASET_INTERNAL_H
#define NND_DATASET_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "data.h"

/* One structure for every source rather than a vtable: a source is only ever
 * a block of samples plus labels, and the training loop's batch copy is then
 * a single branch-free loop per storage kind. Exactly one of `bytes` and
 * `values` is set. */
struct nnd_dataset {
  char *name;        /* the file read (resolved path), "" for synthetic sets */
  int64_t n;         /* samples */
  int64_t features;  /* values per sample */
  int classes;       /* max label + 1, or 0 for a regression target */
  int rows, cols;    /* image sources; 0 otherwise */
  uint8_t *bytes;    /* IDX: n * features raw bytes, converted per batch */
  float *values;     /* CSV, synthetic: n * features unscaled values */
  float *labels;     /* n labels as floats (class index or target) */
  /* Where a bad label is, for messages: the labels' own file when it is
     not `name` (IDX), and for CSV the label column ("column 3 (\"y\")") and
     the file line of every sample (blank lines and the header skipped). */
  char *label_file;
  char *label_column;
  int64_t *lines;
  double scale;      /* factor on every feature value, applied per batch */
  /* For byte sources, byte * scale computed once: the batch copy becomes a
     table lookup and gives bit-identical results on every call. */
  float lut[256];
};

/* A zeroed dataset named `name` (copied), scale 1; NULL when out of memory. */
nnd_dataset *nnd_data_new(const char *name);

/* Format a message into err (which may be NULL or of size 0) and return -1,
 * so that a failure path is one `return nnd_data_fail(...)`. */
#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
int nnd_data_fail(char *err, size_t err_size, const char *fmt, ...);

/* "4096 bytes" or "2147483648 bytes (2 GiB)" into buf, for messages. */
const char *nnd_data_size_text(size_t bytes, char *buf, size_t n);

/* `path` resolved against base_dir (malloc'd): absolute paths and an empty
 * or NULL base_dir leave it as it is. NULL when out of memory. */
char *nnd_data_path(const char *base_dir, const char *path);

/* A gzip read failure of `path` as a message: zlib's own text without the
 * path it prefixes (the caller names the file once). -1. */
int nnd_data_gz_fail(const char *path, int zerr, const char *zmsg, char *err, size_t err_size);

/* The string argument `name` of call, or NULL when absent or not a string. */
const char *nnd_data_str_arg(const nnd_value *call, const char *name);

/* The lines of a CSV text, from a file (gzip or plain, through zlib) or
 * from memory: a block is read at a time and a line is handed out from
 * the buffer, so memory is one line and a block. A NUL byte, more text
 * than nnd_data_max_bytes, or a zlib error ends the reading with a message
 * naming the file (and the line of the NUL). A UTF-8 byte-order mark at
 * the start is dropped. */
typedef struct {
  const char *path;
  void *gz;        /* gzFile, or NULL for a memory source */
  const char *mem; /* memory source: mem[0..mem_len) */
  size_t mem_len, mem_pos;
  char *buf;       /* read bytes; lines handed out are [start, end) before */
  size_t cap, start, end, total;
  int eof;
  int64_t line;    /* the number of the line last handed out */
} nnd_lines;

int nnd_lines_open(nnd_lines *r, const char *path, char *err, size_t err_size);
void nnd_lines_mem(nnd_lines *r, const char *name, const char *text, size_t len);
/* The next line in *line (NUL-terminated, without its \n or \r\n; valid
 * until the next call): 1, or 0 at the end, or -1 with a message. */
int nnd_lines_next(nnd_lines *r, char **line, char *err, size_t err_size);
void nnd_lines_close(nnd_lines *r);

/* The per-source openers nnd_dataset_open dispatches to. Each either
 * returns 0 with *out set, or -1 with a message and nothing allocated. */
int nnd_data_idx_open(const nnd_value *call, const char *base_dir, nnd_dataset **out,
                      char *err, size_t err_size);
int nnd_data_csv_open(const nnd_value *call, const char *base_dir, nnd_dataset **out,
                      char *err, size_t err_size);
int nnd_data_moons_open(const nnd_value *call, nnd_dataset **out, char *err, size_t err_size);
int nnd_data_blobs_open(const nnd_value *call, nnd_dataset **out, char *err, size_t err_size);
int nnd_data_xor_open(const nnd_value *call, nnd_dataset **out, char *err, size_t err_size);

/* ------------------------------------------- limits and direct entries */

/* The most bytes one data file may hold after decompression, and the most a
 * loaded set may hold in memory (values or pixels, labels, row numbers):
 * 2 GiB unless set. Checked before each allocation, so a small (or
 * gzipped) file cannot make nnd allocate more. Tests and fuzzers lower it. */
size_t nnd_data_max_bytes(void);
void nnd_data_set_max_bytes(size_t bytes);

/* The loaders without a data call or a model, for tests and fuzz harnesses.
 * `name` is only used in messages. Each returns 0 with *out set, or -1 with
 * a message and nothing allocated, exactly as nnd_dataset_open would.
 *
 * CSV text in memory (len bytes, need not be NUL-terminated; not gzipped):
 * label, header, delimiter and scale as the csv() call takes them. */
int nnd_data_csv_parse(const char *name, const char *text, size_t len, const char *label,
                       int header, char delimiter, double scale, nnd_dataset **out, char *err,
                       size_t err_size);
/* A pair of IDX files in memory, each raw or gzipped (by its 1f 8b magic). */
int nnd_data_idx_parse(const char *images_name, const void *images, size_t images_len,
                       const char *labels_name, const void *labels, size_t labels_len,
                       double scale, nnd_dataset **out, char *err, size_t err_size);
/* File paths go through nnd_dataset_open with a csv(...) or idx(...) call,
 * or these, which take the paths as they are (no base directory). */
int nnd_data_csv_load(const char *path, const char *label, int header, char delimiter,
                      double scale, nnd_dataset **out, char *err, size_t err_size);
int nnd_data_idx_load(const char *images, const char *labels, double scale, nnd_dataset **out,
                      char *err, size_t err_size);

#endif
