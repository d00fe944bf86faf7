/* fuzz_csv.c — the CSV loader (csv(path, label, header, delimiter)).
 *
 * Each input is read three ways: with a header row and the label column
 * named "label", comma-separated (the defaults); the same gzip-compressed by
 * the harness, which must give the same answer (the loader reads both
 * through zlib); and without a header, ';'-separated, labels in the last
 * column. An accepted table is read back in full, and every value must be
 * finite (the loader promises finite numbers within float range). */
#include <math.h>
#include <nnd/nnd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data.h"
#include "fuzz_util.h"

static const nnd_value *with_header, *no_header;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc, (void)argv;
  with_header = fuzz_data_call("csv(path=\"data.csv\", label=\"label\")");
  no_header = fuzz_data_call("csv(path=\"data.csv\", header=false, delimiter=\";\", scale=2)");
  return 0;
}

typedef struct {
  int rc;
  char err[1024];
  int64_t n, features;
  int classes;
  float *x, *y;
} result;

static void load(const nnd_value *call, result *r) {
  nnd_dataset *d = NULL;
  memset(r, 0, sizeof *r);
  r->rc = nnd_dataset_open(call, fuzz_dir(), &d, r->err, sizeof r->err);
  if (r->rc != 0) {
    if (!r->err[0]) abort(); /* refused without a reason */
    return;
  }
  r->n = nnd_dataset_size(d);
  r->features = nnd_dataset_features(d);
  r->classes = nnd_dataset_classes(d);
  if (r->n <= 0 || r->features <= 0) abort();
  r->x = malloc((size_t)(r->n * r->features) * sizeof *r->x);
  r->y = malloc((size_t)r->n * sizeof *r->y);
  int64_t *index = malloc((size_t)r->n * sizeof *index);
  if (!r->x || !r->y || !index) abort();
  for (int64_t i = 0; i < r->n; i++) index[i] = i;
  nnd_dataset_batch(d, index, (int)r->n, r->x, r->y);
  for (int64_t i = 0; i < r->n * r->features; i++)
    if (!isfinite(r->x[i])) abort();
  /* in double: a class count above 2^24 is not a float, and comparing with
     the float label would round it */
  for (int64_t i = 0; i < r->n; i++)
    if (!isfinite(r->y[i]) ||
        (r->classes > 0 && (r->y[i] < 0 || (double)r->y[i] >= (double)r->classes)))
      abort();
  free(index);
  nnd_dataset_free(d);
}

static void release(result *r) {
  free(r->x);
  free(r->y);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  result plain, gz, other;
  fuzz_write_file("data.csv", data, size);
  load(with_header, &plain);
  load(no_header, &other);
  if (!(size >= 2 && data[0] == 0x1f && data[1] == 0x8b)) {
    fuzz_write_gzip("data.csv", data, size);
    load(with_header, &gz);
    if (plain.rc != gz.rc || strcmp(plain.err, gz.err) != 0 || plain.n != gz.n ||
        plain.features != gz.features || plain.classes != gz.classes ||
        (plain.rc == 0 &&
         (memcmp(plain.x, gz.x, (size_t)(plain.n * plain.features) * sizeof *plain.x) != 0 ||
          memcmp(plain.y, gz.y, (size_t)plain.n * sizeof *plain.y) != 0))) {
      fprintf(stderr, "fuzz_csv: plain and gzip differ:\n  %d %s\n  %d %s\n", plain.rc,
              plain.err, gz.rc, gz.err);
      abort();
    }
    release(&gz);
  }
  release(&plain);
  release(&other);
  return 0;
}
