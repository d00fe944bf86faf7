/* trace.h — the one traversal behind `nnd trace` and its formats.
 *
 * trace_walk (trace_walk.c) goes through what a worked backpropagation
 * answer shows, in order — every node's value, each loss term and the total,
 * the gradient of every trainable parameter and every float input — taking
 * every number from the session, and hands each item to an emitter. The
 * formats are emitters: text (trace_text.c, the terminal layout), Markdown,
 * LaTeX and JSON (trace_markdown.c, trace_latex.c, trace_json.c). `--check`
 * (trace_check.c) compares an answers file with the JSON emitter's output,
 * so what it checks is by construction what `--format json` prints. */
#ifndef NND_CLI_TRACE_H
#define NND_CLI_TRACE_H

#include <stdint.h>
#include <stdio.h>

#include <nnd/nnd.h>

#include "ir.h"

typedef enum { TRACE_FORWARD, TRACE_LOSSES, TRACE_GRADIENTS } trace_section;

/* One line of the answer. */
typedef struct {
  trace_section section;
  const char *name;      /* node name; the loss node's name; "total loss" */
  const char *kind;      /* op name, "input", "param" or "const"; NULL for losses */
  const nnd_tensor *t;   /* the value or the gradient; NULL for losses */
  double loss, weight;   /* TRACE_LOSSES: the term's value and weight */
  int is_total;          /* TRACE_LOSSES: the weighted sum of the terms */
} trace_item;

typedef struct {
  void (*begin)(void *ctx, const nnd_model *m, int batch);
  void (*section)(void *ctx, trace_section s);
  void (*item)(void *ctx, const trace_item *it);
  void (*end)(void *ctx);
} trace_emitter;

/* Walk a session that has run forward and backward once. */
void trace_walk(const nnd_model *m, nnd_session *s, const trace_emitter *e, void *ctx);

/* What the formats may be asked. */
typedef struct {
  /* JSON: a tensor of more numbers than this is written as a summary
     (numel, min, max, mean) instead of its data; 0: no limit. A model with
     441 million parameters (a seed problem asks for their count) would
     otherwise make a 5 GB file. */
  int64_t max_numbers;
} trace_format_options;
enum { TRACE_DEFAULT_MAX_NUMBERS = 1000000 };

/* The emitters; each writes to `out`. */
typedef void (*trace_emit_fn)(const nnd_model *m, nnd_session *s,
                              const trace_format_options *o, FILE *out);
void trace_emit_text(const nnd_model *m, nnd_session *s, const trace_format_options *o,
                     FILE *out);
void trace_emit_markdown(const nnd_model *m, nnd_session *s, const trace_format_options *o,
                         FILE *out);
void trace_emit_latex(const nnd_model *m, nnd_session *s, const trace_format_options *o,
                      FILE *out);
void trace_emit_json(const nnd_model *m, nnd_session *s, const trace_format_options *o,
                     FILE *out);

/* `--check`: compare the answers file with the trace's JSON (`nnd_json`,
 * as trace_emit_json wrote it); print the verdicts to `out`, errors to
 * stderr. Returns 0 all right, 1 something wrong or unknown, 2 when the
 * answers file cannot be read or checks nothing. */
int trace_check(const char *answers_path, const char *nnd_json, size_t len, double rtol,
                double atol, FILE *out);

/* ---- what the emitters share */

/* The shortest decimal that reads back as the same float ("4.55", not
 * "4.55000019"): full precision in at most 9 significant digits. Non-finite
 * values are "NaN", "Infinity", "-Infinity". */
const char *trace_float(float v, char *buf, size_t size);
/* The same for a double (a loss): a float's digits when it is one. */
const char *trace_number(double v, char *buf, size_t size);

/* How the Markdown and LaTeX formats cut a large tensor (the JSON keeps
 * every number): a tensor is shown as the 2-D slices over its last two
 * dimensions (a vector as one row); a dimension longer than TRACE_MAX_LEN
 * shows its first and last TRACE_EDGE entries with an ellipsis between, and
 * more than TRACE_MAX_SLICES slices show the first and last
 * TRACE_EDGE_SLICES. */
enum { TRACE_MAX_LEN = 10, TRACE_EDGE = 4, TRACE_MAX_SLICES = 4, TRACE_EDGE_SLICES = 2 };

/* A tensor seen as slices of rows x cols (a scalar: rows = cols = 0). */
typedef struct {
  int64_t slices, rows, cols;
} trace_view;
trace_view trace_view_of(const nnd_tensor *t);

/* Positions shown along a dimension of length `len` cut at `max` with
 * `edge` entries each side: their count (an ellipsis counts as one), and
 * the k-th of them (-1 for the ellipsis). */
int64_t trace_shown(int64_t len, int64_t max, int64_t edge);
int64_t trace_shown_at(int64_t len, int64_t max, int64_t edge, int64_t k);

/* The leading indices of slice `slice` of t as "[i, j, :, :]" (empty for a
 * tensor of one slice). */
const char *trace_slice_label(const nnd_tensor *t, int64_t slice, char *buf, size_t size);

/* "[1, 5]" */
const char *trace_dims(const nnd_tensor *t, char *buf, size_t size);

#endif
