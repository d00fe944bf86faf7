/* diag.c — see diag.h. */
#include "diag.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

nnd_diag_list *nnd_diag_list_new(void) { return calloc(1, sizeof(nnd_diag_list)); }

void nnd_diag_list_free(nnd_diag_list *d) {
  if (!d) return;
  for (int i = 0; i < d->count; i++) free(d->items[i].message);
  for (int i = 0; i < d->n_sources; i++) {
    free(d->sources[i].file);
    free(d->sources[i].text);
  }
  free(d->sources);
  free(d->items);
  free(d);
}

const char *nnd_diag_add_source(nnd_diag_list *d, const char *file, const char *text,
                                size_t len) {
  for (int i = 0; i < d->n_sources; i++)
    if (strcmp(d->sources[i].file, file) == 0) return d->sources[i].file;
  struct nnd_diag_source *s =
      realloc(d->sources, (size_t)(d->n_sources + 1) * sizeof *s);
  if (!s) return NULL;
  d->sources = s;
  char *f = strdup(file), *t = malloc(len + 1);
  if (!f || !t) {
    free(f);
    free(t);
    return NULL;
  }
  if (len) memcpy(t, text, len);
  t[len] = '\0';
  d->sources[d->n_sources++] = (struct nnd_diag_source){f, t, len};
  return f;
}

int nnd_diag_full(const nnd_diag_list *d) { return d->errors >= NND_DIAG_MAX_ERRORS; }

int nnd_diag_vreport(nnd_diag_list *d, nnd_diag_severity sev, const char *file,
                     int line, int col, int width, const char *fmt, va_list ap) {
  if (sev == NND_DIAG_ERROR) {
    if (d->errors >= NND_DIAG_MAX_ERRORS) {
      d->truncated = 1;
      return 1;
    }
    d->errors++;
    if (d->errors == NND_DIAG_MAX_ERRORS) d->truncated = 1;
  } else if (d->errors >= NND_DIAG_MAX_ERRORS) {
    return 1;  /* a note to a dropped error */
  }
  if (d->count == d->cap) {
    int cap = d->cap ? d->cap * 2 : 16;
    nnd_diag *items = realloc(d->items, (size_t)cap * sizeof *items);
    if (!items) return 1;
    d->items = items;
    d->cap = cap;
  }
  char buf[1024];
  vsnprintf(buf, sizeof buf, fmt, ap);
  char *msg = strdup(buf);
  if (!msg) return 1;
  const char *stored = file;
  for (int i = 0; file && i < d->n_sources; i++)
    if (strcmp(d->sources[i].file, file) == 0) stored = d->sources[i].file;
  d->items[d->count++] = (nnd_diag){sev, stored, line, col, width > 0 ? width : 1, msg};
  return nnd_diag_full(d);
}

int nnd_diag_report(nnd_diag_list *d, nnd_diag_severity sev, const char *file, int line,
                    int col, int width, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int r = nnd_diag_vreport(d, sev, file, line, col, width, fmt, ap);
  va_end(ap);
  return r;
}

/* ---------------------------------------------------------- public API */

int nnd_diag_count(const nnd_diag_list *d) { return d ? d->count : 0; }
int nnd_diag_error_count(const nnd_diag_list *d) { return d ? d->errors : 0; }

int nnd_diag_get(const nnd_diag_list *d, int i, nnd_diag_info *out) {
  if (!d || i < 0 || i >= d->count) return -1;
  const nnd_diag *x = &d->items[i];
  *out = (nnd_diag_info){x->severity, x->file, x->line, x->col, x->message};
  return 0;
}

/* The text of line `line` (1-based) of file, without its newline. */
static const char *source_line(const nnd_diag_list *d, const char *file, int line,
                               size_t *len) {
  for (int i = 0; file && i < d->n_sources; i++) {
    if (strcmp(d->sources[i].file, file) != 0) continue;
    const char *p = d->sources[i].text, *end = p + d->sources[i].len;
    for (int l = 1; l < line && p < end; l++) {
      const char *nl = memchr(p, '\n', (size_t)(end - p));
      if (!nl) return NULL;
      p = nl + 1;
    }
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    *len = (size_t)((nl ? nl : end) - p);
    if (*len && p[*len - 1] == '\r') (*len)--;
    return p;
  }
  return NULL;
}

typedef struct {
  char *buf;
  size_t len, cap;
  int failed;
} strbuf;

static void sb_put(strbuf *s, const char *p, size_t n) {
  if (s->failed) return;
  if (s->len + n + 1 > s->cap) {
    size_t cap = s->cap ? s->cap : 256;
    while (cap < s->len + n + 1) cap *= 2;
    char *b = realloc(s->buf, cap);
    if (!b) {
      s->failed = 1;
      return;
    }
    s->buf = b;
    s->cap = cap;
  }
  memcpy(s->buf + s->len, p, n);
  s->len += n;
  s->buf[s->len] = '\0';
}

static void sb_str(strbuf *s, const char *p) { sb_put(s, p, strlen(p)); }

/* Lines are shown as they are, but bytes that would upset a terminal are
 * replaced, and a very long line is cut around the column. */
static void render_line(strbuf *s, const char *p, size_t n, int col, int width,
                        const char *color) {
  const size_t max = 160;
  size_t start = 0;
  /* byte offset of the column (columns count characters, not bytes) */
  size_t at = 0;
  for (int c = 1; at < n && c < col; c++) {
    at++;
    while (at < n && ((unsigned char)p[at] & 0xC0) == 0x80) at++;
  }
  if (n > max && at > max / 2) start = at - max / 2;
  size_t stop = n - start > max ? start + max : n;
  sb_str(s, "  ");
  if (start) sb_str(s, "...");
  for (size_t i = start; i < stop; i++) {
    unsigned char ch = (unsigned char)p[i];
    char c = (ch < 0x20 && ch != '\t') || ch == 0x7f ? '?' : (char)ch;
    sb_put(s, &c, 1);
  }
  if (stop < n) sb_str(s, "...");
  sb_str(s, "\n  ");
  if (start) sb_str(s, "   ");
  int column = 1;
  for (size_t i = start; i < stop && column < col; i++) {
    unsigned char ch = (unsigned char)p[i];
    if ((ch & 0xC0) == 0x80) continue;
    sb_put(s, ch == '\t' ? "\t" : " ", 1);
    column++;
  }
  if (color) sb_str(s, color);
  sb_str(s, "^");
  for (int i = 1; i < width && i < 80; i++) sb_str(s, "~");
  if (color) sb_str(s, "\033[0m");
  sb_str(s, "\n");
}

char *nnd_diag_render(const nnd_diag_list *d, int color) {
  strbuf s = {0};
  sb_str(&s, "");
  for (int i = 0; d && i < d->count; i++) {
    const nnd_diag *x = &d->items[i];
    char head[1400];
    const char *kind = x->severity == NND_DIAG_ERROR ? "error"
                       : x->severity == NND_DIAG_WARNING ? "warning" : "note";
    const char *kcolor = x->severity == NND_DIAG_ERROR ? "\033[1;31m"
                         : x->severity == NND_DIAG_WARNING ? "\033[1;35m" : "\033[1;36m";
    if (x->file && x->line > 0)
      snprintf(head, sizeof head, "%s%s:%d:%d:%s %s%s:%s %s\n", color ? "\033[1m" : "",
               x->file, x->line, x->col, color ? "\033[0m" : "", color ? kcolor : "",
               kind, color ? "\033[0m" : "", x->message);
    else if (x->file)
      snprintf(head, sizeof head, "%s: %s: %s\n", x->file, kind, x->message);
    else
      snprintf(head, sizeof head, "%s: %s\n", kind, x->message);
    sb_str(&s, head);
    size_t len;
    const char *line = x->line > 0 ? source_line(d, x->file, x->line, &len) : NULL;
    if (line) render_line(&s, line, len, x->col, x->width, color ? kcolor : NULL);
  }
  if (d && d->truncated) {
    char tail[128];
    snprintf(tail, sizeof tail, "too many errors (%d shown); stopping\n", d->errors);
    sb_str(&s, tail);
  }
  if (s.failed) {
    free(s.buf);
    return NULL;
  }
  return s.buf;
}
