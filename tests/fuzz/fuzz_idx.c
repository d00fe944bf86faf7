/* fuzz_idx.c — the IDX loader (idx(images, labels)), raw and gzipped.
 *
 * The input is the images file, or images and labels separated by the line
 * "\n--labels--\n" (see SEPARATOR). Without a labels part the harness writes
 * a valid labels file with as many samples as the images header claims (up
 * to 4096), so plain image files are useful seeds.
 *
 * Each input is read twice: as written, and gzip-compressed by the harness.
 * Both must give the same answer (the same error, or the same samples,
 * byte for byte): the loader reads plain and gzipped files through one path
 * and must not tell them apart. An accepted set is read back in full. */
#include <nnd/nnd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data.h"
#include "fuzz_util.h"

#define SEPARATOR "\n--labels--\n"
#define MAX_DERIVED 4096

static const nnd_value *call;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc, (void)argv;
  call = fuzz_data_call("idx(images=\"images\", labels=\"labels\", scale=0.5)");
  return 0;
}

static const uint8_t *find(const uint8_t *h, size_t n, const char *needle) {
  size_t k = strlen(needle);
  for (size_t i = 0; i + k <= n; i++)
    if (memcmp(h + i, needle, k) == 0) return h + i;
  return NULL;
}

typedef struct {
  int rc;
  char err[1024];
  int64_t n, features;
  int classes, rows, cols;
  float *x, *y;
} result;

static void load(result *r) {
  nnd_dataset *d = NULL;
  memset(r, 0, sizeof *r);
  r->rc = nnd_dataset_open(call, fuzz_dir(), &d, r->err, sizeof r->err);
  if (r->rc != 0) {
    if (!r->err[0]) abort(); /* refused without a reason */
    /* the message names a file of the fuzz directory; compare without it */
    char *dir = strstr(r->err, fuzz_dir());
    if (dir) memmove(dir, dir + strlen(fuzz_dir()), strlen(dir + strlen(fuzz_dir())) + 1);
    return;
  }
  r->n = nnd_dataset_size(d);
  r->features = nnd_dataset_features(d);
  r->classes = nnd_dataset_classes(d);
  nnd_dataset_image_shape(d, &r->rows, &r->cols);
  if (r->n <= 0 || r->features <= 0 || (int64_t)r->rows * r->cols != r->features) abort();
  r->x = malloc((size_t)(r->n * r->features) * sizeof *r->x);
  r->y = malloc((size_t)r->n * sizeof *r->y);
  int64_t *index = malloc((size_t)r->n * sizeof *index);
  if (!r->x || !r->y || !index) abort();
  for (int64_t i = 0; i < r->n; i++) index[i] = i;
  nnd_dataset_batch(d, index, (int)r->n, r->x, r->y);
  for (int64_t i = 0; i < r->n; i++)
    if (!nnd_dataset_image(d, i) || r->y[i] < 0 || (double)r->y[i] >= (double)r->classes) abort();
  free(index);
  nnd_dataset_free(d);
}

static void same(const result *a, const result *b) {
  if (a->rc != b->rc || strcmp(a->err, b->err) != 0 || a->n != b->n ||
      a->features != b->features || a->classes != b->classes || a->rows != b->rows ||
      a->cols != b->cols) {
    fprintf(stderr, "fuzz_idx: plain and gzip differ:\n  %d %s\n  %d %s\n", a->rc, a->err,
            b->rc, b->err);
    abort();
  }
  if (a->rc == 0 && (memcmp(a->x, b->x, (size_t)(a->n * a->features) * sizeof *a->x) != 0 ||
                     memcmp(a->y, b->y, (size_t)a->n * sizeof *a->y) != 0)) {
    fprintf(stderr, "fuzz_idx: plain and gzip read different samples\n");
    abort();
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const uint8_t *sep = find(data, size, SEPARATOR);
  size_t img_size = sep ? (size_t)(sep - data) : size;
  const uint8_t *lab = sep ? sep + strlen(SEPARATOR) : NULL;
  size_t lab_size = sep ? size - img_size - strlen(SEPARATOR) : 0;
  uint8_t derived[8 + MAX_DERIVED];
  if (!sep) {
    /* a valid labels file for the count the images header claims */
    uint32_t n = img_size >= 8 ? (uint32_t)data[4] << 24 | (uint32_t)data[5] << 16 |
                                     (uint32_t)data[6] << 8 | data[7]
                               : 1;
    if (n > MAX_DERIVED) n = MAX_DERIVED;
    memcpy(derived, "\0\0\x08\x01", 4);
    derived[4] = (uint8_t)(n >> 24), derived[5] = (uint8_t)(n >> 16);
    derived[6] = (uint8_t)(n >> 8), derived[7] = (uint8_t)n;
    for (uint32_t i = 0; i < n; i++) derived[8 + i] = (uint8_t)(i % 10);
    lab = derived;
    lab_size = 8 + n;
  }
  result plain, gz;
  fuzz_write_file("images", data, img_size);
  fuzz_write_file("labels", lab, lab_size);
  load(&plain);
  /* a file that is gzip already would be compressed twice: no comparison */
  int compare = !(img_size >= 2 && data[0] == 0x1f && data[1] == 0x8b) &&
                !(lab_size >= 2 && lab[0] == 0x1f && lab[1] == 0x8b);
  if (compare) {
    fuzz_write_gzip("images", data, img_size);
    fuzz_write_gzip("labels", lab, lab_size);
    load(&gz);
    same(&plain, &gz);
    free(gz.x);
    free(gz.y);
  }
  free(plain.x);
  free(plain.y);
  return 0;
}
