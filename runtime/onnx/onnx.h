/* onnx.h — ONNX export and import (IR version 7, opset 13).
 *
 * Export writes a model's inference graph: the model's inputs up to the
 * node each loss judges (its first input), without the losses, dropout
 * removed, batchnorm in inference form with its running statistics. Node,
 * value and initializer names are nnd's; the batch dimension is the
 * symbolic "N". An op with no ONNX form is refused, naming op and node.
 *
 * Import reads an ONNX file (untrusted: every size and count is checked
 * before use) and writes a readable .nnd file and the weights as a
 * safetensors file. Every unsupported node is listed in one error, and
 * nothing is written unless everything converts. */
#ifndef NND_ONNX_H
#define NND_ONNX_H

#include <stddef.h>
#include <stdint.h>

#include "ir.h"

struct nnd_session;

#define NND_ONNX_IR_VERSION 7
#define NND_ONNX_OPSET 13

/* Encode the inference graph of m, with the weights the session holds,
 * into a malloc'ed buffer. */
int nnd_onnx_encode(const nnd_model *m, const struct nnd_session *s, uint8_t **out,
                    size_t *len, char *err, size_t err_size);
/* The same, written atomically to path (output_file.h; role "-o"). */
int nnd_onnx_export(const nnd_model *m, const struct nnd_session *s, const char *path,
                    char *err, size_t err_size);

/* The result of converting ONNX bytes: the .nnd text and the tensors of
 * the weights file. */
typedef struct nnd_onnx_import nnd_onnx_import;

/* Convert; `name` is the file's name for messages, `weights_ref` the file
 * name the .nnd text mentions for its weights. */
int nnd_onnx_convert(const char *name, const uint8_t *data, size_t len,
                     const char *model_name, const char *weights_ref,
                     nnd_onnx_import **out, char *err, size_t err_size);
const char *nnd_onnx_import_text(const nnd_onnx_import *im);
void nnd_onnx_import_free(nnd_onnx_import *im);
/* Read path, convert, write nnd_path and weights_path (both checked before
 * anything is written; the weights first, the model last). */
int nnd_onnx_import_file(const char *path, const char *nnd_path, const char *weights_path,
                         char *err, size_t err_size);

#endif
