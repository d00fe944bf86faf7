/* onnx_import.c — an ONNX graph as a readable .nnd file plus its weights.
 *
 * The graph's nodes are walked in their (topological) order, tracking each
 * value's per-sample shape: ONNX shapes carry the batch first, nnd's leave
 * it implicit, so an axis, a reshape target or a broadcast is translated
 * only where the two agree, and refused otherwise. A node that has no nnd
 * form is noted and the walk goes on, so one error lists all of them. */
#include "onnx.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "checkpoint.h"
#include "onnx_read.h"
#include "output_file.h"
#include "strmap.h"
#include "shape.h"
#include "onnx_import_internal.h"



/* ------------------------------------------------------------- the graph */

/* Per graph input: K when it has shape [N] and only OneHot nodes read it,
 * as their indices, all of one depth K nnd can read; that is nnd's class[K]
 * input as `nnd export` writes one (a float input holding class numbers).
 * 0 for a plain float input (-1 while deciding). One pass over the nodes'
 * inputs through a name map: a hostile file with many inputs and nodes
 * costs no more than reading it. NULL when out of memory: every input is
 * then a float one. */
static int64_t *class_input_depths(importer *p) {
  const ox_model *g = &p->ox;
  int64_t *depth = calloc((size_t)g->n_inputs + 1, sizeof *depth);
  nnd_strmap names;
  nnd_strmap_init(&names);
  int ok = depth != NULL, k;
  for (int i = 0; ok && i < g->n_inputs; i++)
    if (g->inputs[i].ndim == 1) ok = nnd_strmap_put(&names, g->inputs[i].name, i) == 0;
  for (int i = 0; ok && i < g->n_outputs; i++)
    if (nnd_strmap_get(&names, g->outputs[i].name, &k)) depth[k] = -1;
  for (int i = 0; ok && i < g->n_nodes; i++)
    for (int j = 0; j < g->nodes[i].n_in; j++) {
      if (!nnd_strmap_get(&names, g->nodes[i].in[j], &k) || depth[k] < 0) continue;
      int64_t d = j == 0 ? imp_one_hot_depth(p, &g->nodes[i]) : 0;
      depth[k] = !d || (depth[k] && depth[k] != d) ? -1 : d;
    }
  nnd_strmap_free(&names);
  if (!ok) {
    free(depth);
    return NULL;
  }
  return depth;
}

static void convert_graph(importer *p, const char *model_name, const char *weights_ref,
                          const char *src) {
  ox_model *g = &p->ox;
  for (int i = 0; i < g->n_inits; i++) {
    value *v = imp_put(p, g->inits[i].name);
    if (v) v->kind = V_INIT, v->t = &g->inits[i];
  }
  fprintf(p->out, "# Imported by `nnd import` from %s (ONNX IR version %lld, opset %lld).\n"
                  "# The weights are in %s: nnd eval/predict FILE --weights %s;\n"
                  "# nnd train FILE --weights %s starts training from them.\n"
                  "model %s\n\n",
          src, (long long)g->ir_version, (long long)g->opset, weights_ref, weights_ref,
          weights_ref, model_name);
  int64_t *class_depth = class_input_depths(p);
  for (int i = 0; i < g->n_inputs; i++) {
    const ox_value *in = &g->inputs[i];
    value *v = imp_get(p, in->name);
    if (v && v->kind == V_INIT) continue; /* older files list initializers as inputs */
    if (in->elem != OX_FLOAT || in->ndim < 1) {
      snprintf(p->problems + strlen(p->problems), 200,
               "%sinput `%.80s`: only float tensors with a batch dimension are supported",
               p->problems[0] ? "; " : "", in->name);
      p->n_problems++;
      continue;
    }
    int ok = 1;
    int64_t numel = 1;
    for (int d = 1; ok && d < in->ndim; d++) {
      ok = in->dims[d] > 0 && in->dims[d] <= NND_MAX_ELEMENTS / numel;
      if (ok) numel *= in->dims[d];
    }
    if (!ok) {
      snprintf(p->problems + strlen(p->problems), 200,
               "%sinput `%.80s`: every dimension but the first (the batch) must be known (and "
               "the sample at most 2^40 elements)",
               p->problems[0] ? "; " : "", in->name);
      p->n_problems++;
      continue;
    }
    const char *id = imp_fresh(p, in->name, 0);
    int64_t classes = class_depth && class_depth[i] > 0 ? class_depth[i] : 0;
    fprintf(p->out, "input %s: ", id);
    if (classes)
      fprintf(p->out, "class[%lld]", (long long)classes);
    else
      imp_list(p->out, in->dims + 1, in->ndim - 1);
    fputc('\n', p->out);
    imp_set_act(p, in->name, id, in->ndim - 1, in->dims + 1);
    v = imp_get(p, in->name);
    if (v && v->kind == V_ACT) v->classes = classes;
  }
  free(class_depth);
  fputc('\n', p->out);
  /* every value exists before the uses are counted (created as V_NONE) */
  for (int i = 0; i < g->n_nodes; i++)
    for (int j = 0; j < g->nodes[i].n_out; j++)
      if (g->nodes[i].out[j][0] && !imp_get(p, g->nodes[i].out[j])) imp_put(p, g->nodes[i].out[j]);
  for (int i = 0; i < g->n_nodes; i++)
    for (int j = 0; j < g->nodes[i].n_in; j++) {
      int k;
      if (nnd_strmap_get(&p->values, g->nodes[i].in[j], &k)) p->uses[k]++;
    }
  for (int i = 0; i < g->n_nodes && !p->oom; i++) {
    if (!p->fused[i]) imp_convert_node(p, i);
  }
  /* outputs and the template */
  const value *last = NULL;
  const char *last_name = NULL;
  for (int i = 0; i < g->n_outputs; i++) {
    const value *v = imp_get(p, g->outputs[i].name);
    if (!v || v->kind != V_ACT) {
      if (!v || v->kind != V_BAD) {
        snprintf(p->problems + strlen(p->problems), 200,
                 "%soutput `%.80s` is not computed from the inputs",
                 p->problems[0] ? "; " : "", g->outputs[i].name);
        p->n_problems++;
      }
      continue;
    }
    if (!last) last = v, last_name = g->outputs[i].name;
  }
  if (last) {
    int64_t classes = last->ndim == 1 ? last->dim[0] : 10;
    fprintf(p->out,
            "\n# The prediction: `%s` (ONNX output `%s`). To evaluate or train, give the\n"
            "# target and a loss (cross_entropy takes logits; after a softmax, use\n"
            "# nll on log_softmax instead), and the data:\n"
            "#\n"
            "# input label: class[%lld]\n"
            "# loss cross_entropy(%s, label)\n"
            "# train {\n"
            "#   data      = idx(\"train-images-idx3-ubyte.gz\", \"train-labels-idx1-ubyte.gz\", "
            "scale=1/255)\n"
            "#   test      = idx(\"t10k-images-idx3-ubyte.gz\", \"t10k-labels-idx1-ubyte.gz\", "
            "scale=1/255)\n"
            "#   optimizer = sgd(lr=0.01, momentum=0.9)\n"
            "#   batch     = 64\n"
            "#   epochs    = 5\n"
            "# }\n",
            last->ident, last_name, (long long)classes, last->ident);
  } else if (p->n_problems == 0) {
    snprintf(p->problems, sizeof p->problems, "the graph has no output computed from its "
                                              "inputs");
    p->n_problems++;
  }
}

int nnd_onnx_convert(const char *name, const uint8_t *data, size_t len, const char *model_name,
                     const char *weights_ref, nnd_onnx_import **out, char *err,
                     size_t err_size) {
  *out = NULL;
  importer p;
  memset(&p, 0, sizeof p);
  nnd_onnx_import *im = calloc(1, sizeof *im);
  if (!im) {
    snprintf(err, err_size, "out of memory");
    return -1;
  }
  nnd_arena_init(&im->arena);
  p.im = im;
  char msg[512];
  if (ox_read(data, len, &p.ox, msg, sizeof msg) != 0) {
    snprintf(err, err_size, "%s: %s", name, msg);
    ox_model_free(&p.ox);
    nnd_onnx_import_free(im);
    return -1;
  }
  nnd_strmap_init(&p.values);
  nnd_strmap_init(&p.idents);
  size_t n_values = (size_t)p.ox.n_inits + (size_t)p.ox.n_inputs + 8;
  for (int i = 0; i < p.ox.n_nodes; i++) n_values += (size_t)p.ox.nodes[i].n_out;
  p.uses = calloc(n_values, sizeof *p.uses);
  p.fused = calloc((size_t)p.ox.n_nodes + 1, 1);
  p.out = open_memstream(&p.body, &p.body_len);
  int rc = -1;
  if (!p.uses || !p.fused || !p.out) {
    snprintf(err, err_size, "out of memory");
  } else {
    /* values are numbered in creation order: initializers, inputs, node outputs */
    const char *mname = imp_fresh(&p, model_name, 0);
    convert_graph(&p, mname, weights_ref, name);
    if (fclose(p.out) != 0) p.oom = 1;
    p.out = NULL;
    if (p.oom) {
      snprintf(err, err_size, "out of memory");
    } else if (p.n_problems) {
      snprintf(err, err_size, "%s: %d node%s or value%s %s no nnd form: %s%s", name,
               p.n_problems, p.n_problems == 1 ? "" : "s", p.n_problems == 1 ? "" : "s",
               p.n_problems == 1 ? "has" : "have", p.problems,
               strlen(p.problems) + 200 > sizeof p.problems ? "; ..." : "");
    } else {
      im->text = p.body;
      im->text_len = p.body_len;
      p.body = NULL;
      rc = 0;
    }
  }
  if (p.out) fclose(p.out);
  free(p.body);
  free(p.uses);
  free(p.fused);
  free(p.vals);
  nnd_strmap_free(&p.values);
  nnd_strmap_free(&p.idents);
  ox_model_free(&p.ox);
  if (rc != 0) nnd_onnx_import_free(im);
  else *out = im;
  return rc;
}

const char *nnd_onnx_import_text(const nnd_onnx_import *im) { return im->text; }

void nnd_onnx_import_free(nnd_onnx_import *im) {
  if (!im) return;
  free(im->text);
  free(im->tensors);
  nnd_arena_free(&im->arena);
  free(im);
}

#define MAX_ONNX_FILE ((size_t)1 << 31)

int nnd_onnx_import_file(const char *path, const char *nnd_path, const char *weights_path,
                         char *err, size_t err_size) {
  if (nnd_output_check("-o", nnd_path, err, err_size) != 0 ||
      nnd_output_check("the weights file", weights_path, err, err_size) != 0)
    return -1;
  FILE *f = fopen(path, "rb");
  if (!f) {
    snprintf(err, err_size, "%s: cannot open it", path);
    return -1;
  }
  size_t cap = 1 << 16, len = 0;
  uint8_t *data = malloc(cap);
  int rc = -1;
  while (data) {
    if (len == cap) {
      if (cap >= MAX_ONNX_FILE) {
        snprintf(err, err_size, "%s: larger than 2 GiB", path);
        goto out;
      }
      uint8_t *d = realloc(data, cap * 2);
      if (!d) break;
      data = d;
      cap *= 2;
    }
    size_t got = fread(data + len, 1, cap - len, f);
    len += got;
    if (got == 0) break;
  }
  if (!data) {
    snprintf(err, err_size, "out of memory");
    goto out;
  }
  if (ferror(f)) {
    snprintf(err, err_size, "%s: read error", path);
    goto out;
  }
  /* the model's name from the output file's, the weights' as the .nnd names it */
  const char *base = strrchr(nnd_path, '/');
  base = base ? base + 1 : nnd_path;
  char mname[128];
  snprintf(mname, sizeof mname, "%s", base);
  char *dot = strrchr(mname, '.');
  if (dot && dot != mname) *dot = '\0';
  const char *wref = strrchr(weights_path, '/');
  wref = wref ? wref + 1 : weights_path;
  nnd_onnx_import *im = NULL;
  if (nnd_onnx_convert(path, data, len, mname, wref, &im, err, err_size) != 0) goto out;
  /* the weights first, the model that names them last; a model that cannot
     be written takes back weights this import created */
  int weights_existed = access(weights_path, F_OK) == 0;
  if (nnd_checkpoint_save(weights_path, im->tensors, im->n_tensors, NULL, NULL, 0, err,
                          err_size) == 0) {
    if (nnd_output_write("-o", nnd_path, im->text, im->text_len, err, err_size) == 0)
      rc = 0;
    else if (!weights_existed)
      unlink(weights_path);
  }
  nnd_onnx_import_free(im);
out:
  fclose(f);
  free(data);
  return rc;
}
