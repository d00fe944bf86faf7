/* csv.c — csv(path, label="label", header=true, delimiter=",", scale=1): a
 * table of numbers, one sample per row, one column of labels.
 *
 * Choices, where CSV itself is silent:
 * - Every field is a number (strtod syntax in the C locale, finite, within
 *   float range); an empty field or text is an error at file:line, column,
 *   because a guessed value would train on data the user never had.
 * - Every row has the field count of the first row (the header when there
 *   is one). Blank lines are skipped; CRLF line ends and a UTF-8 byte-order
 *   mark are accepted, and spaces around fields ignored.
 * - A field may be wrapped in double quotes ("1.5", "sepal length") as
 *   spreadsheets write them; quotes with the delimiter, a quote or a line
 *   break inside are refused, as a real CSV parser would be needed for them.
 * - header=true: the label column is found by name. header=false: there are
 *   no names, so the label is the last column; `label` must then keep its
 *   default "label", and any other value is refused rather than guessed at.
 * - Labels that are all non-negative integers are class indices (classes =
 *   max + 1); anything else is a regression target (classes = 0). Binding
 *   to a model's class or binary input (nnd_dataset_check_labels) then
 *   refuses any label that is not one of its classes, at file:line and
 *   column: every sample keeps its line for that.
 * - Column names are unique: two of one name are refused, naming both.
 * - A NUL byte is refused at its line: the file is not text.
 * - The file may be gzipped (zlib reads plain files unchanged).
 *
 * Limits, each an error naming the file: at most 2^20 columns, at most
 * nnd_data_max_bytes (2 GiB) of text after decompression, and as much for
 * the table in memory (4 bytes a value, 4 a label, 8 a line number). The
 * text is read a block at a time (lines.c), and the table grows with the
 * rows parsed, never by what the text claims. */
#include <errno.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "dataset_internal.h"

static int is_blank(const char *s) {
  while (*s == ' ' || *s == '\t' || *s == '\r') s++;
  return *s == '\0';
}

/* Split `line` at delim in place; stores up to cap field pointers and
 * returns how many fields there are in all. */
static int split(char *line, char delim, char **fields, int cap) {
  int n = 0;
  for (char *p = line;;) {
    char *e = strchr(p, delim);
    if (e) *e = '\0';
    if (n < cap) fields[n] = p;
    if (n < INT_MAX) n++;
    if (!e) return n;
    p = e + 1;
  }
}

/* The field without surrounding blanks or simple quotes, or NULL when its
 * quoting is more than that. */
static char *clean(char *f) {
  while (*f == ' ' || *f == '\t') f++;
  size_t n = strlen(f);
  while (n > 0 && (f[n - 1] == ' ' || f[n - 1] == '\t')) f[--n] = '\0';
  if (!strchr(f, '"')) return f;
  if (n < 2 || f[0] != '"' || f[n - 1] != '"' || memchr(f + 1, '"', n - 2)) return NULL;
  f[n - 1] = '\0';
  return f + 1;
}

typedef struct {
  const char *path;
  char **names;  /* header names, or NULL */
  int ncols;
} table;

/* "column 3" or "column 3 (\"petal\")" for messages. */
static const char *col_desc(const table *t, int c, char *buf, size_t n) {
  if (t->names)
    snprintf(buf, n, "column %d (\"%.100s\")", c + 1, t->names[c]);
  else
    snprintf(buf, n, "column %d", c + 1);
  return buf;
}

static int quote_error(const table *t, int64_t line, int c, char *err, size_t es) {
  char desc[160];
  return nnd_data_fail(err, es,
                       "%s:%lld: %s: quoted fields with the delimiter, a quote or a line break "
                       "inside are not supported",
                       t->path, (long long)line, col_desc(t, c, desc, sizeof desc));
}

/* Parse one data row into row[] (features) and *label. */
static int parse_row(const table *t, char **fields, int label_col, int64_t line, float *row,
                     float *label, char *err, size_t es) {
  char desc[160];
  for (int c = 0, k = 0; c < t->ncols; c++) {
    char *f = clean(fields[c]);
    if (!f) return quote_error(t, line, c, err, es);
    if (!*f)
      return nnd_data_fail(err, es, "%s:%lld: %s: empty field, a number is needed", t->path,
                           (long long)line, col_desc(t, c, desc, sizeof desc));
    char *end;
    errno = 0;
    double v = strtod(f, &end);
    if (end == f || *end != '\0')
      return nnd_data_fail(err, es, "%s:%lld: %s: \"%.40s\" is not a number", t->path,
                           (long long)line, col_desc(t, c, desc, sizeof desc), f);
    /* nan and inf parse, but would train on nothing a file can mean */
    if (isnan(v))
      return nnd_data_fail(err, es, "%s:%lld: %s: %.40s is not a finite number", t->path,
                           (long long)line, col_desc(t, c, desc, sizeof desc), f);
    if (!isfinite(v) || fabs(v) > FLT_MAX)
      return nnd_data_fail(err, es, "%s:%lld: %s: %.40s is beyond the range of a float",
                           t->path, (long long)line, col_desc(t, c, desc, sizeof desc), f);
    /* labels are stored as floats, which hold every integer up to 2^24 and
       not all beyond: a larger class index would silently become another */
    if (c == label_col && fabs(v) > 16777216.0)
      return nnd_data_fail(err, es, "%s:%lld: %s: label %.40s is beyond 16777216, the largest "
                           "class index a label holds exactly", t->path, (long long)line,
                           col_desc(t, c, desc, sizeof desc), f);
    if (c == label_col)
      *label = (float)v;
    else
      row[k++] = (float)v;
  }
  return 0;
}

/* The label column by name, or -1 with a message listing the columns. */
static int find_label(const table *t, const char *label, char *err, size_t es) {
  for (int c = 0; c < t->ncols; c++)
    if (strcmp(t->names[c], label) == 0) return c;
  char list[320];
  size_t used = 0;
  list[0] = '\0';
  for (int c = 0; c < t->ncols && used < sizeof list; c++) {
    int w = snprintf(list + used, sizeof list - used, "%s%s", c ? ", " : "", t->names[c]);
    if (w < 0) break;
    used += (size_t)w;
  }
  if (used >= sizeof list) strcpy(list + sizeof list - 5, " ...");
  return nnd_data_fail(err, es, "%s: no column named \"%.100s\" (columns: %s)", t->path, label,
                       list);
}

typedef struct {
  const char *name;
  int col;
} named_col;

static int by_name(const void *a, const void *b) {
  const named_col *x = a, *y = b;
  int c = strcmp(x->name, y->name);
  return c ? c : (x->col > y->col) - (x->col < y->col);
}

/* Two columns of one name would make the label (or a feature) ambiguous:
 * the first pair in the file is named. Sorted, not compared pairwise, as a
 * header may have 100,000 names. */
static int check_unique(const table *t, int64_t line, char *err, size_t es) {
  named_col *v = malloc((size_t)t->ncols * sizeof *v);
  if (!v) return nnd_data_fail(err, es, "%s: out of memory", t->path);
  for (int c = 0; c < t->ncols; c++) v[c] = (named_col){t->names[c], c};
  qsort(v, (size_t)t->ncols, sizeof *v, by_name);
  int a = -1, b = -1;
  for (int i = 1; i < t->ncols; i++)
    if (strcmp(v[i].name, v[i - 1].name) == 0 && v[i - 1].col < v[i].col &&
        (b < 0 || v[i].col < b) && (i < 2 || strcmp(v[i - 2].name, v[i].name) != 0)) {
      a = v[i - 1].col;
      b = v[i].col;
    }
  free(v);
  if (b < 0) return 0;
  return nnd_data_fail(err, es, "%s:%lld: columns %d and %d are both named \"%.100s\"", t->path,
                       (long long)line, a + 1, b + 1, t->names[a]);
}

/* A delimiter that could occur inside a number would cut numbers apart. */
static int bad_delimiter(char c) {
  return c == '\0' || c == '"' || c == '\n' || c == '\r' || strchr("0123456789.+-eE", c);
}

/* The options of a csv() call, checked the same way for every entry. */
static int check_options(const char *label, int header, char delim, double scale, char *err,
                         size_t es) {
  if (bad_delimiter(delim))
    return nnd_data_fail(err, es,
                         "csv: '%c' cannot be the delimiter: it can occur inside a number "
                         "or a quoted field",
                         delim ? delim : '0');
  if (!isfinite(scale)) return nnd_data_fail(err, es, "csv: scale must be a finite number");
  if (!header && strcmp(label, "label") != 0)
    return nnd_data_fail(err, es,
                         "csv: label=\"%.100s\" names a column, but header=false: without a "
                         "header row the labels are the last column",
                         label);
  return 0;
}

/* The table being filled: it grows with the rows actually parsed, never
 * by what the text claims, within nnd_data_max_bytes. */
typedef struct {
  float *values, *labels;
  int64_t *lines;
  int64_t n, cap, features;
} rows;

static int rows_reserve(rows *r, const char *path, int64_t line, char *err, size_t es) {
  if (r->n < r->cap) return 0;
  const size_t per = (size_t)r->features * sizeof *r->values + sizeof *r->labels +
                     sizeof *r->lines;
  const int64_t most = (int64_t)(nnd_data_max_bytes() / per);
  if (r->n >= most) {
    char limit[64];
    return nnd_data_fail(err, es,
                         "%s:%lld: the table needs more than the %s a data set may hold in "
                         "memory (%lld rows of %lld values so far)",
                         path, (long long)line,
                         nnd_data_size_text(nnd_data_max_bytes(), limit, sizeof limit),
                         (long long)r->n, (long long)r->features + 1);
  }
  int64_t cap = r->cap < 64 ? 64 : r->cap * 2;
  if (cap > most) cap = most;
  float *v = realloc(r->values, (size_t)cap * (size_t)r->features * sizeof *v);
  if (v) r->values = v;
  float *l = v ? realloc(r->labels, (size_t)cap * sizeof *l) : NULL;
  if (l) r->labels = l;
  int64_t *ln = l ? realloc(r->lines, (size_t)cap * sizeof *ln) : NULL;
  if (!ln) return nnd_data_fail(err, es, "%s: out of memory", path);
  r->lines = ln;
  r->cap = cap;
  return 0;
}

/* Columns a header may have: far more than any table of numbers nnd is
   for, and it keeps the per-column arrays (pointers, names) small. */
#define CSV_MAX_COLUMNS (1 << 20)

/* Parse the lines of r (a file's or a buffer's, r->path naming it); see
 * the file comment for the rules. */
static int csv_parse(nnd_lines *r, const char *label, int header, char delim, double scale,
                     nnd_dataset **out, char *err, size_t es) {
  const char *path = r->path;
  char **fields = NULL, *label_column = NULL, *names_line = NULL;
  rows t_rows = {0};
  nnd_dataset *d = NULL;
  table t = {.path = path};
  int rc = -1, got_line;
  char *line = NULL;
  while ((got_line = nnd_lines_next(r, &line, err, es)) == 1 && is_blank(line)) {
  }
  if (got_line < 0) goto done;
  if (!got_line) {
    nnd_data_fail(err, es, "%s: the file is empty", path);
    goto done;
  }
  int64_t line_no = r->line;
  /* the first line fixes the column count; it is re-split below when it
     is data, so count on a copy */
  char *first = strdup(line);
  if (!first) {
    nnd_data_fail(err, es, "%s: out of memory", path);
    goto done;
  }
  int count = split(first, delim, NULL, 0);
  free(first);
  if (count > CSV_MAX_COLUMNS) {
    nnd_data_fail(err, es, "%s:%lld: %d columns, more than the %d a table may have", path,
                  (long long)line_no, count, CSV_MAX_COLUMNS);
    goto done;
  }
  t.ncols = count;
  fields = calloc((size_t)t.ncols, sizeof *fields);
  if (!fields) {
    nnd_data_fail(err, es, "%s: out of memory", path);
    goto done;
  }
  int label_col = t.ncols - 1;
  if (header) {
    /* the names outlive the line the reader hands out */
    names_line = strdup(line);
    if (!names_line) {
      nnd_data_fail(err, es, "%s: out of memory", path);
      goto done;
    }
    split(names_line, delim, fields, t.ncols);
    for (int c = 0; c < t.ncols; c++) {
      char *name = clean(fields[c]);
      if (!name) {
        nnd_data_fail(err, es,
                      "%s:%lld: column %d: quoted names with the delimiter or a quote inside "
                      "are not supported",
                      path, (long long)line_no, c + 1);
        goto done;
      }
      fields[c] = name;
    }
    t.names = malloc((size_t)t.ncols * sizeof *t.names);
    if (!t.names) {
      nnd_data_fail(err, es, "%s: out of memory", path);
      goto done;
    }
    memcpy(t.names, fields, (size_t)t.ncols * sizeof *t.names);
    if (check_unique(&t, line_no, err, es) != 0) goto done;
    label_col = find_label(&t, label, err, es);
    if (label_col < 0) goto done;
    line = NULL; /* consumed */
  }
  if (t.ncols < 2) {
    nnd_data_fail(err, es, "%s: only the label column, no feature columns", path);
    goto done;
  }
  char desc[160];
  label_column = strdup(col_desc(&t, label_col, desc, sizeof desc));
  if (!label_column) {
    nnd_data_fail(err, es, "%s: out of memory", path);
    goto done;
  }
  t_rows.features = t.ncols - 1;

  double max_label = 0;
  int classes = 1; /* stays >0 while every label is a non-negative integer */
  for (;;) {
    if (!line) {
      got_line = nnd_lines_next(r, &line, err, es);
      if (got_line < 0) goto done;
      if (!got_line) break;
      line_no = r->line;
    }
    if (!is_blank(line)) {
      int got = split(line, delim, fields, t.ncols);
      if (got != t.ncols) {
        /* a quoted delimiter splits a field: name the quoting, not the count */
        for (int c = 0; c < t.ncols && c < got; c++)
          if (!clean(fields[c])) {
            quote_error(&t, line_no, c, err, es);
            goto done;
          }
        nnd_data_fail(err, es, "%s:%lld: %d field%s, expected %d as in %s", path,
                      (long long)line_no, got, got == 1 ? "" : "s", t.ncols,
                      header ? "the header" : "the first row");
        goto done;
      }
      if (rows_reserve(&t_rows, path, line_no, err, es) != 0 ||
          parse_row(&t, fields, label_col, line_no, t_rows.values + t_rows.n * t_rows.features, &t_rows.labels[t_rows.n],
                    err, es) != 0)
        goto done;
      const double lv = t_rows.labels[t_rows.n];
      if (lv < 0 || lv != floor(lv) || lv >= INT_MAX) classes = 0;
      if (lv > max_label) max_label = lv;
      t_rows.lines[t_rows.n++] = line_no;
    }
    line = NULL;
  }
  if (t_rows.n == 0) {
    nnd_data_fail(err, es, "%s: a header but no data rows", path);
    goto done;
  }
  d = nnd_data_new(path);
  if (!d) {
    nnd_data_fail(err, es, "%s: out of memory", path);
    goto done;
  }
  d->n = t_rows.n;
  d->features = t_rows.features;
  d->classes = classes ? (int)max_label + 1 : 0;
  d->scale = scale;
  d->values = t_rows.values;
  d->labels = t_rows.labels;
  d->lines = t_rows.lines;
  d->label_column = label_column;
  t_rows.values = t_rows.labels = NULL;
  t_rows.lines = NULL;
  label_column = NULL;
  *out = d;
  rc = 0;
done:
  free(names_line);
  free(fields);
  free(t.names);
  free(t_rows.values);
  free(t_rows.labels);
  free(t_rows.lines);
  free(label_column);
  return rc;
}

int nnd_data_csv_parse(const char *name, const char *text, size_t len, const char *label,
                       int header, char delim, double scale, nnd_dataset **out, char *err,
                       size_t es) {
  if (out) *out = NULL;
  if (!out || !name || (!text && len > 0)) return nnd_data_fail(err, es, "csv: no text");
  if (!label) label = "label";
  if (check_options(label, header, delim, scale, err, es) != 0) return -1;
  nnd_lines r;
  nnd_lines_mem(&r, name, text, len);
  int rc = csv_parse(&r, label, header, delim, scale, out, err, es);
  nnd_lines_close(&r);
  return rc;
}

int nnd_data_csv_load(const char *path, const char *label, int header, char delim,
                      double scale, nnd_dataset **out, char *err, size_t es) {
  if (out) *out = NULL;
  if (!out || !path) return nnd_data_fail(err, es, "csv: no file");
  if (!label) label = "label";
  if (check_options(label, header, delim, scale, err, es) != 0) return -1;
  nnd_lines r;
  if (nnd_lines_open(&r, path, err, es) != 0) return -1;
  int rc = csv_parse(&r, label, header, delim, scale, out, err, es);
  nnd_lines_close(&r);
  return rc;
}

int nnd_data_csv_open(const nnd_value *call, const char *base_dir, nnd_dataset **out,
                      char *err, size_t es) {
  const char *path_arg = nnd_data_str_arg(call, "path");
  const char *label = nnd_data_str_arg(call, "label");
  const char *delim = nnd_data_str_arg(call, "delimiter");
  const int header = nnd_num(nnd_call_arg(call, "header"), 1) != 0;
  const double scale = nnd_num(nnd_call_arg(call, "scale"), 1);
  if (!delim) delim = ",";
  if (!path_arg || !*path_arg) return nnd_data_fail(err, es, "csv: `path` must name a file");
  if (strlen(delim) != 1)
    return nnd_data_fail(err, es, "csv: the delimiter must be one character, not \"%.40s\"",
                         delim);
  char *path = nnd_data_path(base_dir, path_arg);
  if (!path) return nnd_data_fail(err, es, "csv: out of memory");
  int rc = nnd_data_csv_load(path, label, header, delim[0], scale, out, err, es);
  free(path);
  return rc;
}
