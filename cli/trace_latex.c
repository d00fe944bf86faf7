/* trace_latex.c — `nnd trace --format latex`: a complete document that
 * pdflatex compiles with the packages of texlive-latex-base only (amsmath,
 * geometry). Every value and gradient is a paragraph with its name, op and
 * shape and the tensor as an amsmath bmatrix (a higher rank as a bmatrix
 * per 2-D slice), cut as trace.h says; the losses are a table. Names are
 * escaped: LaTeX's special characters become their text commands, and a
 * character beyond ASCII becomes "<U+03C3>" (pdflatex has no glyph for most
 * of them, and one unknown character stops the whole document). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace.h"

typedef struct {
  FILE *out;
} tex_ctx;

/* The length of the UTF-8 sequence at p and its code point; 0 when p does
 * not start a valid one. */
static int utf8_decode(const unsigned char *p, unsigned *cp) {
  int n = p[0] >= 0xF0 && p[0] < 0xF5 ? 4 : p[0] >= 0xE0 ? 3 : p[0] >= 0xC2 && p[0] < 0xE0 ? 2 : 0;
  if (!n) return 0;
  unsigned v = p[0] & (0x7F >> n);
  for (int i = 1; i < n; i++) {
    if ((p[i] & 0xC0) != 0x80) return 0;
    v = v << 6 | (p[i] & 0x3F);
  }
  if ((n == 3 && v < 0x800) || (n == 4 && (v < 0x10000 || v > 0x10FFFF))) return 0;
  *cp = v;
  return n;
}

/* Text in a \texttt{}: every ASCII character as itself or its command. */
static void escaped(FILE *out, const char *s) {
  for (const unsigned char *p = (const unsigned char *)s; *p;) {
    switch (*p) {
    case '\\': fputs("\\textbackslash{}", out); break;
    case '{': case '}': case '$': case '&': case '#': case '%': case '_':
      fprintf(out, "\\%c", *p);
      break;
    case '^': fputs("\\textasciicircum{}", out); break;
    case '~': fputs("\\textasciitilde{}", out); break;
    /* in a typewriter font these are fine, but a ligature or a space could
       swallow them: keep them apart */
    case '-': fputs("-{}", out); break;
    case '<': fputs("\\textless{}", out); break;
    case '>': fputs("\\textgreater{}", out); break;
    case '|': fputs("\\textbar{}", out); break;
    case '"': fputs("\\char`\\\"{}", out); break;
    case '`': fputs("\\char`\\`{}", out); break;
    case '\'': fputs("\\char`\\'{}", out); break;
    default:
      if (*p >= 0x20 && *p < 0x7F) {
        fputc(*p, out);
      } else {
        unsigned cp;
        int n = *p >= 0x80 ? utf8_decode(p, &cp) : 0;
        if (n) {
          fprintf(out, "\\textless{}U+%04X\\textgreater{}", cp);
          p += n;
          continue;
        }
        fprintf(out, "\\textless{}0x%02X\\textgreater{}", *p);
      }
    }
    p++;
  }
}

static void name(FILE *out, const char *prefix, const char *s) {
  fputs("\\texttt{", out);
  escaped(out, prefix);
  escaped(out, s);
  fputs("}", out);
}

/* A number in math mode, 6 significant digits: 1e-05 as 1 \times 10^{-5}. */
static void num(FILE *out, double v) {
  char buf[64];
  snprintf(buf, sizeof buf, "%.6g", v);
  if (v != v) {
    fputs("\\mathrm{NaN}", out);
  } else if (v - v != 0) {
    fputs(v > 0 ? "\\infty" : "-\\infty", out);
  } else {
    char *e = strchr(buf, 'e');
    if (!e) {
      fputs(buf, out);
      return;
    }
    *e = '\0';
    fprintf(out, "%s \\times 10^{%d}", buf, atoi(e + 1));
  }
}

static void begin(void *ctx, const nnd_model *m, int batch) {
  tex_ctx *c = ctx;
  fputs("\\documentclass[a4paper,11pt]{article}\n"
        "\\usepackage[margin=2cm]{geometry}\n"
        "\\usepackage{amsmath}\n"
        "\\setcounter{MaxMatrixCols}{20}\n"
        "\\setlength{\\arraycolsep}{3pt}\n"
        "\\allowdisplaybreaks\n"
        "\\setlength{\\parindent}{0pt}\n"
        "\\begin{document}\n\n\\section*{Trace of ", c->out);
  name(c->out, "", m->name);
  fprintf(c->out, " (batch %d)}\n\n", batch);
  if (m->description && *m->description) {
    fputs("\\texttt{", c->out);
    escaped(c->out, m->description);
    fputs("}\n\n", c->out);
  }
  fprintf(c->out,
          "One forward and backward pass by nnd %s: the value of every node in order, each "
          "loss and the total, then the gradient of the total loss $L$ with respect to "
          "every trainable parameter and every float input. Numbers to 6 significant "
          "digits (\\texttt{nnd trace -{}-{}format json} has every number in full). A tensor "
          "of rank 3 or more is shown as its slices over its last two dimensions. A "
          "dimension longer than %d shows its first and last %d entries, and a tensor of "
          "more than %d slices its first and last %d slices.\n",
          nnd_version(), TRACE_MAX_LEN, TRACE_EDGE, TRACE_MAX_SLICES, TRACE_EDGE_SLICES);
}

static void section(void *ctx, trace_section s) {
  tex_ctx *c = ctx;
  if (s == TRACE_FORWARD) fputs("\n\\subsection*{Forward}\n", c->out);
  if (s == TRACE_LOSSES)
    fputs("\n\\subsection*{Losses}\n\n\\begin{tabular}{lrr}\n"
          "loss & value & weight \\\\\n\\hline\n", c->out);
  if (s == TRACE_GRADIENTS) fputs("\\end{tabular}\n\n\\subsection*{Gradients}\n", c->out);
}

/* One 2-D slice (a vector as one row) as a bmatrix. */
static void matrix(FILE *out, const nnd_tensor *t, trace_view v, int64_t slice) {
  int64_t ncols = trace_shown(v.cols, TRACE_MAX_LEN, TRACE_EDGE);
  int64_t nrows = trace_shown(v.rows, TRACE_MAX_LEN, TRACE_EDGE);
  const float *base = t->data + slice * v.rows * v.cols;
  fputs("\\begin{bmatrix}\n", out);
  for (int64_t r = 0; r < nrows; r++) {
    int64_t i = trace_shown_at(v.rows, TRACE_MAX_LEN, TRACE_EDGE, r);
    for (int64_t k = 0; k < ncols; k++) {
      int64_t j = trace_shown_at(v.cols, TRACE_MAX_LEN, TRACE_EDGE, k);
      if (k) fputs(" & ", out);
      if (i < 0) fputs(j < 0 ? "\\ddots" : "\\vdots", out);
      else if (j < 0) fputs("\\cdots", out);
      else num(out, base[i * v.cols + j]);
    }
    fputs(r + 1 < nrows ? " \\\\\n" : "\n", out);
  }
  fputs("\\end{bmatrix}", out);
}

/* A smaller font for a matrix whose widest row would not fit the text
 * width (about 80 characters of numbers at 11pt), or NULL. */
static const char *font_for(const nnd_tensor *t, trace_view v) {
  int64_t ncols = trace_shown(v.cols, TRACE_MAX_LEN, TRACE_EDGE);
  int64_t nrows = trace_shown(v.rows, TRACE_MAX_LEN, TRACE_EDGE);
  int64_t nslices = trace_shown(v.slices, TRACE_MAX_SLICES, TRACE_EDGE_SLICES), widest = 0;
  for (int64_t ks = 0; ks < nslices; ks++) {
    int64_t s = trace_shown_at(v.slices, TRACE_MAX_SLICES, TRACE_EDGE_SLICES, ks);
    for (int64_t r = 0; r < nrows && s >= 0; r++) {
      int64_t i = trace_shown_at(v.rows, TRACE_MAX_LEN, TRACE_EDGE, r), chars = 0;
      for (int64_t k = 0; k < ncols && i >= 0; k++) {
        int64_t j = trace_shown_at(v.cols, TRACE_MAX_LEN, TRACE_EDGE, k);
        char buf[32];
        chars += 2 + (j < 0 ? 3 : snprintf(buf, sizeof buf, "%.6g",
                                          (double)t->data[(s * v.rows + i) * v.cols + j]));
      }
      widest = chars > widest ? chars : widest;
    }
  }
  return widest <= 80 ? NULL : widest <= 96 ? "footnotesize" : widest <= 110 ? "scriptsize"
                                                                             : "tiny";
}

static void tensor(FILE *out, const nnd_tensor *t) {
  trace_view v = trace_view_of(t);
  if (t->ndim == 0) {
    fputs("\\[\n", out);
    num(out, t->data[0]);
    fputs("\n\\]\n", out);
    return;
  }
  if (v.slices == 0) {
    fputs("(no elements)\n", out);
    return;
  }
  /* nine columns of 6-digit numbers can be wider than the page at 11pt */
  const char *size = font_for(t, v);
  if (size) fprintf(out, "{\\%s\n", size);
  int64_t n = trace_shown(v.slices, TRACE_MAX_SLICES, TRACE_EDGE_SLICES);
  for (int64_t k = 0; k < n; k++) {
    int64_t s = trace_shown_at(v.slices, TRACE_MAX_SLICES, TRACE_EDGE_SLICES, k);
    if (s < 0) {
      fprintf(out, "\\[\n\\vdots \\quad \\text{(%lld slices not shown)}\n\\]\n",
              (long long)(v.slices - 2 * TRACE_EDGE_SLICES));
      continue;
    }
    char label[256];
    trace_slice_label(t, s, label, sizeof label);
    if (label[0]) fprintf(out, "\nslice \\texttt{%s}:\n", label);
    fputs("\\[\n", out);
    matrix(out, t, v, s);
    fputs("\n\\]\n", out);
  }
  if (size) fputs("\\par}\n", out);
}

static void item(void *ctx, const trace_item *it) {
  tex_ctx *c = ctx;
  if (it->section == TRACE_LOSSES) {
    if (it->is_total) fputs("\\hline\n", c->out);
    name(c->out, "", it->name);
    fputs(" & $", c->out);
    num(c->out, it->loss);
    fputs("$ & ", c->out);
    if (!it->is_total) {
      fputs("$", c->out);
      num(c->out, it->weight);
      fputs("$", c->out);
    }
    fputs(" \\\\\n", c->out);
    return;
  }
  char dims[128];
  fputs("\n\\paragraph{", c->out);
  name(c->out, it->section == TRACE_GRADIENTS ? "dL/d" : "", it->name);
  fputs("} ", c->out);
  name(c->out, "", it->kind);
  fprintf(c->out, ", shape $%s$\n", trace_dims(it->t, dims, sizeof dims));
  tensor(c->out, it->t);
}

static void end(void *ctx) {
  tex_ctx *c = ctx;
  fputs("\n\\end{document}\n", c->out);
}

void trace_emit_latex(const nnd_model *m, nnd_session *s, const trace_format_options *o,
                      FILE *out) {
  (void)o;
  static const trace_emitter e = {begin, section, item, end};
  tex_ctx c = {.out = out};
  trace_walk(m, s, &e, &c);
}
