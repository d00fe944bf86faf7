/* report_html.c — the training-curve SVG, the PNG/base64 encoders and the
 * HTML evaluation report. Everything is written inline (CSS, SVG, data:
 * URIs) so that a report is one file that opens anywhere, offline, and
 * needs no JavaScript. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "output_file.h"
#include "report.h"

/* ---- CSV logs ---------------------------------------------------------- */

void nnd_plot_log_free(nnd_plot_log *log) {
  if (!log) return;
  free(log->epoch);
  free(log->train_loss);
  free(log->train_accuracy);
  free(log->test_loss);
  free(log->test_accuracy);
  memset(log, 0, sizeof *log);
}

static void log_name(const char *path, char *name, size_t size) {
  const char *base = strrchr(path, '/');
  base = base ? base + 1 : path;
  size_t len = strlen(base);
  if (len > 4 && strcmp(base + len - 4, ".csv") == 0) len -= 4;
  if (len >= size) len = size - 1;
  memcpy(name, base, len);
  name[len] = '\0';
}

/* Parse one field; an empty one is NAN when `optional`. Returns 0 or -1.
 * strtod alone would accept "1.5abc" or leading blanks, so the whole field
 * must be consumed. */
static int parse_field(const char *s, int optional, double *v) {
  if (*s == '\0') {
    *v = NAN;
    return optional ? 0 : -1;
  }
  if (s[0] == ' ' || s[0] == '\t') return -1;
  char *end;
  errno = 0;
  *v = strtod(s, &end);
  if (*end != '\0') return -1;
  if (!isfinite(*v)) *v = NAN; /* a diverged loss: a gap, not a crash of the scale */
  return 0;
}

static int grow(nnd_plot_log *log, int *cap) {
  if (log->n < *cap) return 0;
  int nc = *cap ? *cap * 2 : 64;
  double **cols[5] = {&log->epoch, &log->train_loss, &log->train_accuracy, &log->test_loss,
                      &log->test_accuracy};
  for (int i = 0; i < 5; i++) {
    double *p = realloc(*cols[i], (size_t)nc * sizeof **cols[i]);
    if (!p) return -1;
    *cols[i] = p;
  }
  *cap = nc;
  return 0;
}

int nnd_plot_log_read(const char *path, nnd_plot_log *log, char *err, size_t err_size) {
  memset(log, 0, sizeof *log);
  log_name(path, log->name, sizeof log->name);
  FILE *f = fopen(path, "r");
  if (!f) {
    snprintf(err, err_size, "%s: cannot open: %s", path, strerror(errno));
    return -1;
  }
  char *line = NULL;
  size_t line_cap = 0;
  int cap = 0, lineno = 0, rc = 0;
  static const char *const names[7] = {"epoch",     "lr",        "train_loss", "train_accuracy",
                                       "test_loss", "test_accuracy", "seconds"};
  while (getline(&line, &line_cap, f) >= 0) {
    lineno++;
    size_t len = strcspn(line, "\r\n"); /* tolerate CRLF from a spreadsheet round trip */
    line[len] = '\0';
    if (lineno == 1) {
      if (strcmp(line, NND_LOG_HEADER) != 0) {
        snprintf(err, err_size, "%s:1: not an nnd training log (expected header '%s')", path,
                 NND_LOG_HEADER);
        rc = -2;
        break;
      }
      continue;
    }
    if (len == 0) continue;
    char *fields[7];
    int nf = 0;
    for (char *p = line;; p++) {
      if (nf < 7) fields[nf] = p;
      nf++;
      p = strchr(p, ',');
      if (!p) break;
      *p = '\0';
    }
    if (nf != 7) {
      snprintf(err, err_size, "%s:%d: expected 7 fields, found %d", path, lineno, nf);
      rc = -2;
      break;
    }
    double v[7];
    for (int i = 0; i < 7 && rc == 0; i++)
      if (parse_field(fields[i], i == 4 || i == 5, &v[i]) != 0) {
        snprintf(err, err_size, "%s:%d: %s is not a number: '%.40s'", path, lineno, names[i],
                 fields[i]);
        rc = -2;
      }
    if (rc) break;
    if (isnan(v[0])) {
      snprintf(err, err_size, "%s:%d: epoch is not a number", path, lineno);
      rc = -2;
      break;
    }
    if (grow(log, &cap) != 0) {
      snprintf(err, err_size, "%s: out of memory", path);
      rc = -2;
      break;
    }
    log->epoch[log->n] = v[0];
    log->train_loss[log->n] = v[2];
    log->train_accuracy[log->n] = v[3];
    log->test_loss[log->n] = v[4];
    log->test_accuracy[log->n] = v[5];
    log->n++;
  }
  if (rc == 0 && lineno == 0) {
    snprintf(err, err_size, "%s:1: empty file, expected header '%s'", path, NND_LOG_HEADER);
    rc = -2;
  }
  free(line);
  fclose(f);
  if (rc) nnd_plot_log_free(log);
  return rc;
}

/* ---- escaping ----------------------------------------------------------- */

void nnd_html_escape(FILE *out, const char *s) {
  for (; *s; s++) switch (*s) {
      case '&': fputs("&amp;", out); break;
      case '<': fputs("&lt;", out); break;
      case '>': fputs("&gt;", out); break;
      case '"': fputs("&quot;", out); break;
      case '\'': fputs("&#39;", out); break;
      default: fputc(*s, out);
    }
}

/* ---- SVG curves --------------------------------------------------------- */

/* Tableau 10: distinct to most colour-blind readers and on print. */
static const char *const palette[10] = {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
                                        "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"};

enum { PANEL_W = 440, PANEL_H = 300, ML = 60, MR = 16, MT = 32, MB = 46, LEGEND_ROW = 20 };

/* A 1-2-5 step giving about `target` intervals over [lo, hi]. */
static double nice_step(double lo, double hi, int target) {
  double raw = (hi - lo) / target;
  double mag = pow(10, floor(log10(raw)));
  double f = raw / mag;
  return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * mag;
}

typedef struct {
  double x0, x1, y0, y1, xstep, ystep;
  int left;                 /* panel's offset in the whole SVG */
} panel;

static double px(const panel *p, double x) {
  return p->left + ML + (x - p->x0) / (p->x1 - p->x0) * (PANEL_W - ML - MR);
}
static double py(const panel *p, double y) {
  return MT + (p->y1 - y) / (p->y1 - p->y0) * (PANEL_H - MT - MB);
}

/* Fit the panel's ranges to the data, rounded out to whole ticks so the
 * frame starts and ends on a label. */
static void fit(panel *p, const nnd_plot_log *logs, int n, int accuracy) {
  double xlo = INFINITY, xhi = -INFINITY, ylo = INFINITY, yhi = -INFINITY;
  for (int l = 0; l < n; l++)
    for (int i = 0; i < logs[l].n; i++) {
      double ys[2] = {accuracy ? logs[l].train_accuracy[i] : logs[l].train_loss[i],
                      accuracy ? logs[l].test_accuracy[i] : logs[l].test_loss[i]};
      xlo = fmin(xlo, logs[l].epoch[i]);
      xhi = fmax(xhi, logs[l].epoch[i]);
      for (int k = 0; k < 2; k++)
        if (!isnan(ys[k])) {
          ylo = fmin(ylo, ys[k]);
          yhi = fmax(yhi, ys[k]);
        }
    }
  if (!isfinite(xlo)) xlo = 1, xhi = 2;
  if (xhi - xlo < 1) xhi = xlo + 1;
  if (!isfinite(ylo)) ylo = 0, yhi = 1;
  if (yhi - ylo < 1e-9) {
    double pad = fabs(yhi) > 1e-9 ? fabs(yhi) * 0.05 : 0.5;
    ylo -= pad, yhi += pad;
  }
  p->xstep = fmax(1, nice_step(xlo, xhi, 8)); /* epochs are whole numbers */
  p->xstep = round(p->xstep);
  p->x0 = floor(xlo / p->xstep) * p->xstep;
  p->x1 = ceil(xhi / p->xstep) * p->xstep;
  if (p->x0 < xlo - p->xstep * 0.5 || p->x0 < 0) p->x0 = xlo;
  p->ystep = nice_step(ylo, yhi, 5);
  p->y0 = floor(ylo / p->ystep) * p->ystep;
  p->y1 = ceil(yhi / p->ystep) * p->ystep;
  if (accuracy && p->y1 > 1) p->y1 = 1;
  if (p->y0 < 0 && ylo >= 0) p->y0 = 0;
}

/* One series as polylines, broken wherever a value is missing. */
static void series(FILE *out, const panel *p, const nnd_plot_log *log, const double *y,
                   const char *colour, int dashed) {
  int open = 0, count = 0;
  for (int i = 0; i <= log->n; i++) {
    int ok = i < log->n && !isnan(y[i]);
    if (ok && !open) {
      fprintf(out, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\"%s points=\"", colour,
              dashed ? " stroke-dasharray=\"6 4\"" : "");
      open = 1;
    }
    if (ok) fprintf(out, "%s%.1f,%.1f", count++ ? " " : "", px(p, log->epoch[i]), py(p, y[i]));
    if (!ok && open) {
      fputs("\"/>\n", out);
      open = 0, count = 0;
    }
  }
  /* Markers, so one-epoch runs and isolated points still show. */
  if (log->n <= 40)
    for (int i = 0; i < log->n; i++)
      if (!isnan(y[i]))
        fprintf(out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"%s\" stroke=\"%s\"/>\n",
                px(p, log->epoch[i]), py(p, y[i]), dashed ? "white" : colour, colour);
}

static void draw_panel(FILE *out, const nnd_plot_log *logs, int n, int accuracy, int left) {
  panel p = {.left = left};
  fit(&p, logs, n, accuracy);
  double x_l = px(&p, p.x0), x_r = px(&p, p.x1), y_t = py(&p, p.y1), y_b = py(&p, p.y0);
  fprintf(out, "<text x=\"%.1f\" y=\"20\" text-anchor=\"middle\" font-weight=\"bold\" "
               "font-size=\"14\">%s per epoch</text>\n",
          (x_l + x_r) / 2, accuracy ? "Accuracy" : "Loss");
  fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#fafafa\" "
               "stroke=\"#888\"/>\n", x_l, y_t, x_r - x_l, y_b - y_t);
  /* Ticks and grid; the epsilon keeps the last tick despite rounding. */
  for (double y = p.y0; y <= p.y1 + p.ystep * 1e-6; y += p.ystep) {
    double yy = py(&p, y);
    fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e4e4e4\"/>"
                 "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#888\"/>"
                 "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%.4g</text>\n",
            x_l, yy, x_r, yy, x_l - 5, yy, x_l, yy, x_l - 8, yy + 4, fabs(y) < 1e-12 ? 0 : y);
  }
  for (double x = p.x0; x <= p.x1 + 1e-9; x += p.xstep) {
    double xx = px(&p, x);
    fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#888\"/>"
                 "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%g</text>\n",
            xx, y_b, xx, y_b + 5, xx, y_b + 18, x);
  }
  fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">epoch</text>\n",
          (x_l + x_r) / 2, y_b + 36);
  fprintf(out, "<text transform=\"translate(%.1f,%.1f) rotate(-90)\" text-anchor=\"middle\">"
               "%s</text>\n", left + 16.0, (y_t + y_b) / 2, accuracy ? "accuracy" : "loss");
  for (int l = 0; l < n; l++) {
    const char *c = palette[l % 10];
    series(out, &p, &logs[l], accuracy ? logs[l].train_accuracy : logs[l].train_loss, c, 0);
    series(out, &p, &logs[l], accuracy ? logs[l].test_accuracy : logs[l].test_loss, c, 1);
  }
}

void nnd_plot_svg(FILE *out, const nnd_plot_log *logs, int n) {
  /* The legend sits below the panels, four logs to a row, after a row
   * saying what solid and dashed mean. */
  int per_row = 4, rows = 1 + (n + per_row - 1) / per_row;
  int width = 2 * PANEL_W, height = PANEL_H + 8 + rows * LEGEND_ROW;
  fprintf(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
               "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">\n",
          width, height, width, height);
  fprintf(out, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>\n", width, height);
  draw_panel(out, logs, n, 0, 0);
  draw_panel(out, logs, n, 1, PANEL_W);
  int y = PANEL_H + 8 + LEGEND_ROW / 2;
  fprintf(out, "<g fill=\"#333\">"
               "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333\" stroke-width=\"2\"/>"
               "<text x=\"%d\" y=\"%d\">train</text>"
               "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333\" stroke-width=\"2\" "
               "stroke-dasharray=\"6 4\"/><text x=\"%d\" y=\"%d\">test</text></g>\n",
          ML, y, ML + 28, y, ML + 34, y + 4, ML + 90, y, ML + 118, y, ML + 124, y + 4);
  for (int l = 0; l < n; l++) {
    int lx = ML + (l % per_row) * ((width - ML) / per_row);
    int ly = y + (1 + l / per_row) * LEGEND_ROW;
    fprintf(out, "<rect x=\"%d\" y=\"%d\" width=\"28\" height=\"4\" fill=\"%s\"/>"
                 "<text x=\"%d\" y=\"%d\">", lx, ly - 2, palette[l % 10], lx + 34, ly + 4);
    nnd_html_escape(out, logs[l].name);
    fputs("</text>\n", out);
  }
  fputs("</svg>\n", out);
}

/* ---- PNG and base64 ----------------------------------------------------- */

static void put32(unsigned char *p, uint32_t v) {
  p[0] = (unsigned char)(v >> 24), p[1] = (unsigned char)(v >> 16);
  p[2] = (unsigned char)(v >> 8), p[3] = (unsigned char)v;
}

/* Append a chunk: length, type, data, CRC over type and data. */
static unsigned char *chunk(unsigned char *p, const char *type, const unsigned char *data,
                            size_t len) {
  put32(p, (uint32_t)len);
  memcpy(p + 4, type, 4);
  if (len) memcpy(p + 8, data, len);
  uLong crc = crc32(0L, Z_NULL, 0);
  crc = crc32(crc, p + 4, (uInt)(len + 4));
  put32(p + 8 + len, (uint32_t)crc);
  return p + 12 + len;
}

unsigned char *nnd_png_gray(const uint8_t *pixels, int rows, int cols, size_t *size) {
  if (rows < 1 || cols < 1) return NULL;
  /* Filter type 0 (none) on every scanline: these images are tiny, and
   * zlib alone compresses them well enough. */
  size_t raw_len = (size_t)rows * ((size_t)cols + 1);
  unsigned char *raw = malloc(raw_len);
  uLongf z_len = compressBound((uLong)raw_len);
  unsigned char *z = malloc(z_len);
  unsigned char *png = malloc(8 + 25 + 12 + z_len + 12);
  if (!raw || !z || !png) goto fail;
  for (int r = 0; r < rows; r++) {
    raw[(size_t)r * (cols + 1)] = 0;
    memcpy(raw + (size_t)r * (cols + 1) + 1, pixels + (size_t)r * cols, (size_t)cols);
  }
  if (compress2(z, &z_len, raw, (uLong)raw_len, 9) != Z_OK) goto fail;
  static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  unsigned char ihdr[13];
  put32(ihdr, (uint32_t)cols);
  put32(ihdr + 4, (uint32_t)rows);
  ihdr[8] = 8;  /* bit depth */
  ihdr[9] = 0;  /* grayscale */
  ihdr[10] = ihdr[11] = ihdr[12] = 0; /* deflate, adaptive filtering, no interlace */
  memcpy(png, sig, 8);
  unsigned char *p = chunk(png + 8, "IHDR", ihdr, 13);
  p = chunk(p, "IDAT", z, z_len);
  p = chunk(p, "IEND", NULL, 0);
  *size = (size_t)(p - png);
  free(raw);
  free(z);
  return png;
fail:
  free(raw);
  free(z);
  free(png);
  return NULL;
}

char *nnd_base64(const unsigned char *data, size_t size) {
  static const char digits[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  char *out = malloc((size + 2) / 3 * 4 + 1), *o = out;
  if (!out) return NULL;
  for (size_t i = 0; i < size; i += 3) {
    uint32_t v = (uint32_t)data[i] << 16;
    if (i + 1 < size) v |= (uint32_t)data[i + 1] << 8;
    if (i + 2 < size) v |= data[i + 2];
    *o++ = digits[v >> 18 & 63];
    *o++ = digits[v >> 12 & 63];
    *o++ = i + 1 < size ? digits[v >> 6 & 63] : '=';
    *o++ = i + 2 < size ? digits[v & 63] : '=';
  }
  *o = '\0';
  return out;
}

/* ---- the HTML report ---------------------------------------------------- */

static void class_name(FILE *out, const char *const *names, int classes, int k) {
  if (names && k >= 0 && k < classes && names[k]) nnd_html_escape(out, names[k]);
  else fprintf(out, "%d", k);
}

static const char *const css =
    "body{font-family:sans-serif;margin:24px;color:#222;max-width:1100px}"
    "h1{font-size:22px}h2{font-size:18px;margin-top:32px;border-bottom:1px solid #ddd}"
    "table{border-collapse:collapse}td,th{padding:4px 10px;border:1px solid #ddd}"
    "td.n{text-align:right;font-variant-numeric:tabular-nums}tr.macro td{font-weight:bold;"
    "background:#f4f4f4}table.cm td{text-align:center;min-width:38px;border:1px solid #fff}"
    "table.cm th{background:#f4f4f4;font-weight:normal}.grid{display:flex;flex-wrap:wrap;gap:10px}"
    "figure{margin:0;width:112px;text-align:center;font-size:11px}"
    "figure svg{border:1px solid #ccc;background:#000}figcaption{margin-top:2px}"
    ".wrong figcaption b{color:#c0392b}.note{color:#666;font-size:13px}";

static void metrics_tables(FILE *out, const char *const *names, int classes,
                           const nnd_metrics *m, const nnd_confusion *c, double loss) {
  fprintf(out, "<h2>Metrics</h2>\n<table>\n"
               "<tr><th>accuracy</th><td class=\"n\">%.4f</td></tr>\n"
               "<tr><th>balanced accuracy</th><td class=\"n\">%.4f</td></tr>\n"
               "<tr><th>loss</th><td class=\"n\">%.4f</td></tr>\n"
               "<tr><th>samples</th><td class=\"n\">%lld</td></tr>\n</table>\n",
          m->accuracy, m->balanced_accuracy, loss, (long long)m->total);
  fputs("<h3>Per class</h3>\n<table>\n<tr><th>class</th><th>accuracy</th><th>precision</th>"
        "<th>recall</th><th>F1</th><th>support</th></tr>\n", out);
  for (int k = 0; k < classes; k++) {
    /* a class's accuracy is the share of its samples classified right (its
       recall), as nnd eval prints it and the seed problem sets report it */
    fputs("<tr><td>", out);
    class_name(out, names, classes, k);
    fprintf(out, "</td><td class=\"n\">%.4f</td><td class=\"n\">%.4f</td><td class=\"n\">%.4f"
                 "</td><td class=\"n\">%.4f</td><td class=\"n\">%lld</td></tr>\n",
            m->recall[k], m->precision[k], m->recall[k], m->f1[k], (long long)m->support[k]);
  }
  fprintf(out, "<tr class=\"macro\"><td>macro average</td><td class=\"n\">%.4f</td>"
               "<td class=\"n\">%.4f</td><td class=\"n\">%.4f</td><td class=\"n\">%.4f</td>"
               "<td class=\"n\">%lld</td></tr>\n</table>\n",
          m->balanced_accuracy, m->macro_precision, m->macro_recall, m->macro_f1,
          (long long)m->total);
  fputs("<p class=\"note\">A class's accuracy is the share of its samples classified "
        "correctly (its recall); macro averages run over the classes with support.</p>\n", out);
}

static void confusion_table(FILE *out, const char *const *names, int classes,
                            const nnd_confusion *c) {
  fputs("<h2>Confusion matrix</h2>\n<p class=\"note\">Rows are the true class, columns the "
        "prediction; colour is the share of the row.</p>\n<table class=\"cm\">\n"
        "<tr><th>true \\ predicted</th>", out);
  for (int k = 0; k < classes; k++) {
    fputs("<th>", out);
    class_name(out, names, classes, k);
    fputs("</th>", out);
  }
  fputs("</tr>\n", out);
  for (int t = 0; t < classes; t++) {
    int64_t row = 0;
    for (int k = 0; k < classes; k++) row += c->counts[(size_t)t * classes + k];
    fputs("<tr><th>", out);
    class_name(out, names, classes, t);
    fputs("</th>", out);
    for (int k = 0; k < classes; k++) {
      int64_t n = c->counts[(size_t)t * classes + k];
      double v = row ? (double)n / (double)row : 0;
      /* White to a dark blue; a square root lifts the rare confusions,
       * which are what a reader looks for, off the white. */
      double s = sqrt(v);
      int r = (int)(255 - s * (255 - 8)), g = (int)(255 - s * (255 - 69)),
          b = (int)(255 - s * (255 - 148));
      fprintf(out, "<td style=\"background:#%02x%02x%02x;color:%s\" title=\"%.1f%%\">%lld</td>",
              r, g, b, s > 0.6 ? "#fff" : "#222", v * 100, (long long)n);
    }
    fputs("</tr>\n", out);
  }
  fputs("</table>\n", out);
}

static int sample_grid(FILE *out, const char *title, int want_correct, const char *const *names,
                       int classes, const nnd_report_sample *samples, int n, int rows, int cols) {
  int shown = 0;
  fprintf(out, "<h2>%s</h2>\n<div class=\"grid%s\">\n", title, want_correct ? "" : " wrong");
  int scale = (rows > 0 && rows <= 32 && cols <= 32) ? 3 : 1; /* 28x28 becomes 84x84 */
  for (int i = 0; i < n; i++) {
    const nnd_report_sample *s = &samples[i];
    if ((s->truth == s->predicted) != want_correct || !s->pixels) continue;
    size_t len;
    unsigned char *png = nnd_png_gray(s->pixels, rows, cols, &len);
    char *b64 = png ? nnd_base64(png, len) : NULL;
    free(png);
    if (!b64) return -1;
    /* An <image> in an <svg> keeps the figure vector-sized, and
     * pixelated rendering shows the real pixels instead of a blur. */
    fprintf(out, "<figure><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                 "viewBox=\"0 0 %d %d\"><image width=\"%d\" height=\"%d\" "
                 "style=\"image-rendering:pixelated\" href=\"data:image/png;base64,%s\"/></svg>"
                 "<figcaption>true: ",
            cols * scale, rows * scale, cols, rows, cols, rows, b64);
    free(b64);
    class_name(out, names, classes, s->truth);
    fputs(" / predicted: <b>", out);
    class_name(out, names, classes, s->predicted);
    fprintf(out, "</b> (p = %.2f)</figcaption></figure>\n", (double)s->probability);
    shown++;
  }
  if (!shown) fputs("<p class=\"note\">none</p>\n", out);
  fputs("</div>\n", out);
  return 0;
}

int nnd_report_write(const char *path, const char *model_name, const char *const *class_names,
                     int classes, const nnd_metrics *m, const nnd_confusion *c, double loss,
                     const char *log_csv, const nnd_report_sample *samples, int n_samples,
                     int image_rows, int image_cols, char *err, size_t err_size) {
  if (!m || !c || classes < 1 || c->classes != classes || m->classes != classes) {
    snprintf(err, err_size, "report: metrics and confusion matrix disagree on the classes");
    return -1;
  }
  /* Read the log first: a bad log should not leave a half-written report. */
  nnd_plot_log log;
  if (log_csv && nnd_plot_log_read(log_csv, &log, err, err_size) != 0) return -1;
  /* written next to the target and renamed over it (output_file.c): a full
     disk leaves the previous report whole */
  nnd_output *o = NULL;
  if (nnd_output_open("--report", path, &o, err, err_size) != 0) {
    if (log_csv) nnd_plot_log_free(&log);
    return -1;
  }
  FILE *out = nnd_output_stream(o);
  const char *name = model_name ? model_name : "model";
  fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>nnd eval: ",
        out);
  nnd_html_escape(out, name);
  fprintf(out, "</title>\n<style>%s</style></head><body>\n<h1>Evaluation of ", css);
  nnd_html_escape(out, name);
  fputs("</h1>\n", out);
  metrics_tables(out, class_names, classes, m, c, loss);
  confusion_table(out, class_names, classes, c);
  if (log_csv) {
    fputs("<h2>Training curves</h2>\n", out);
    nnd_plot_svg(out, &log, 1);
    nnd_plot_log_free(&log);
  }
  int rc = 0;
  if (samples && n_samples > 0 && image_rows > 0 && image_cols > 0) {
    rc |= sample_grid(out, "Correctly classified", 1, class_names, classes, samples, n_samples,
                      image_rows, image_cols);
    rc |= sample_grid(out, "Wrongly classified", 0, class_names, classes, samples, n_samples,
                      image_rows, image_cols);
  }
  fputs("</body></html>\n", out);
  if (rc) {
    snprintf(err, err_size, "--report %s: out of memory encoding images", path);
    nnd_output_abort(o);
    return -1;
  }
  return nnd_output_commit(o, err, err_size);
}
