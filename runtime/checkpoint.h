/* checkpoint.h — model weights in the safetensors format: an 8-byte little
 * endian header length, a JSON header naming each tensor with its dtype,
 * shape and byte offsets (plus a "__metadata__" map of strings), then raw
 * little-endian float32 data. PyTorch's safetensors reads nnd's files and
 * nnd reads theirs when names and shapes match.
 *
 * Writes are atomic: a temporary file in the same directory, fsync, rename,
 * fsync of the directory, so a crash or kill during a save leaves the
 * previous file intact.
 *
 * Checksum: the first metadata entry is "nnd.file_crc32", 8 lowercase hex
 * digits of the CRC-32 of the whole file (length, header, data) computed
 * with those 8 digits written as "00000000". So the metadata (a training
 * run's state) is covered as well as the tensors, and the file stays a
 * plain safetensors file that PyTorch reads. The key must be the first
 * one of the header, `{"__metadata__":{"nnd.file_crc32":"`, which is where
 * nnd writes it; a reader finds the digits at that fixed place. Files of
 * earlier nnd versions carry "nnd.crc32" (decimal, over the data section
 * only): they load with that check, but nnd_checkpoint_header_checked says
 * their metadata is not vouched for, so a resume refuses them. Files of
 * other writers carry neither and load unchecked.
 *
 * Loading checks the sizes first (header length and every tensor's offsets
 * against the file size, no bytes after the last tensor) and then reads
 * only the tensors (and, for the checksum, the gaps between them), so the
 * memory used is the header plus the tensors' own size. */
#ifndef NND_CHECKPOINT_H
#define NND_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

#define NND_CKPT_MAX_DIMS 9

typedef struct {
  const char *name;
  const float *data;
  int ndim;
  int64_t dim[NND_CKPT_MAX_DIMS];
} nnd_ckpt_tensor;

/* Save n tensors and n_meta string pairs to path. */
int nnd_checkpoint_save(const char *path, const nnd_ckpt_tensor *tensors, int n,
                        const char *const *meta_keys, const char *const *meta_values,
                        int n_meta, char *err, size_t err_size);

typedef struct nnd_checkpoint nnd_checkpoint;

/* Load and check a file: header length and JSON, dtypes (F32 only), shapes
 * against byte offsets, offsets within the file and not overlapping, the
 * CRC when present. Errors name the file and the first problem. */
int nnd_checkpoint_load(const char *path, nnd_checkpoint **out, char *err, size_t err_size);
void nnd_checkpoint_free(nnd_checkpoint *c);

int nnd_checkpoint_count(const nnd_checkpoint *c);
/* Tensor i (in file order); its data stays valid until free. */
const nnd_ckpt_tensor *nnd_checkpoint_at(const nnd_checkpoint *c, int i);
const nnd_ckpt_tensor *nnd_checkpoint_find(const nnd_checkpoint *c, const char *name);
/* 1 when the file's checksum covers its header (so the metadata is as
 * nnd wrote it), 0 for files without one or with a data-only checksum. */
int nnd_checkpoint_header_checked(const nnd_checkpoint *c);
/* A metadata value, or NULL. */
const char *nnd_checkpoint_meta(const nnd_checkpoint *c, const char *key);

#endif
