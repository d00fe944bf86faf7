/* data.h — data sources for training and evaluation: the values of the
 * `train { data = ...; test = ... }` settings. MNIST-family IDX files (gzip
 * or raw), CSV tables, and seeded synthetic sets (two moons, gaussian
 * blobs, XOR). Byte data stays bytes in memory and is converted, scaled, one
 * batch at a time. */
#ifndef NND_DATA_H
#define NND_DATA_H

#include <nnd/plugin.h>
#include <stddef.h>
#include <stdint.h>

typedef struct nnd_dataset nnd_dataset;

/* Open the source a resolved call describes (idx, csv, moons, blobs, xor;
 * every attribute named, as nnd_call_resolve makes it). Relative paths
 * resolve against base_dir (the model file's directory; "" for the current
 * one). On failure returns -1 with a message naming the file and what is
 * wrong ("train-images.gz: truncated: 47040016 bytes of image data expected,
 * 1000 found"). */
int nnd_dataset_open(const nnd_value *call, const char *base_dir, nnd_dataset **out,
                     char *err, size_t err_size);
void nnd_dataset_free(nnd_dataset *d);

int64_t nnd_dataset_size(const nnd_dataset *d);      /* samples */
int64_t nnd_dataset_features(const nnd_dataset *d);  /* floats per sample */
/* Number of classes the labels use (max label + 1), or 0 when the labels are
 * not class indices (a regression target in a CSV). */
int nnd_dataset_classes(const nnd_dataset *d);
/* Image sources: the per-sample shape [rows, cols]; 0 for others. */
int nnd_dataset_image_shape(const nnd_dataset *d, int *rows, int *cols);

/* Whether the float input `input` of the model, of per-sample shape
 * dim[0..ndim), takes this source's samples: 0, or -1 with a message
 * naming both shapes. Any shape with as many values takes a CSV row (a row
 * has no shape). An image of rows x cols fits [rows, cols] and the flat
 * [rows * cols], each with any size-1 dimensions added ([1, rows, cols],
 * [rows, cols, 1], [1, rows * cols]), since those leave the bytes in
 * place; a same-size shape that moves rows and columns ([cols, rows],
 * [1, 28, 28] for 14x56 images) is refused. */
int nnd_dataset_check_input(const nnd_dataset *d, const char *input, const int64_t *dim,
                            int ndim, char *err, size_t err_size);

/* Whether every label is a class of the target input `input`: an integer
 * in 0..classes-1 (a binary target has classes 2 and `binary` set, so
 * labels 0 and 1). 0, or -1 with a message naming the first label that is
 * not: the file and line (and column) of a CSV row, the labels file and
 * sample number of an IDX set. Soft binary targets are not labels a file
 * can give: 0.5 is refused. */
int nnd_dataset_check_labels(const nnd_dataset *d, const char *input, int64_t classes,
                             int binary, char *err, size_t err_size);

/* Copy samples index[0..n) into x (n * features floats, scaled) and y (n
 * labels as floats). Allocates nothing: this runs once per training step. */
void nnd_dataset_batch(const nnd_dataset *d, const int64_t *index, int n, float *x, float *y);

/* The raw bytes of image sample i (rows * cols), for reports; NULL when the
 * source has no bytes. */
const uint8_t *nnd_dataset_image(const nnd_dataset *d, int64_t i);

/* The file a source was read from ("" for synthetic), for messages. */
const char *nnd_dataset_name(const nnd_dataset *d);

#endif
