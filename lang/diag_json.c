/* diag_json.c — diagnostics as JSON lines, for editors and CI: the same
 * records nnd_diag_render prints as text, one object per line. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"

/* The name a message proposes ("did you mean `x`?"): every suggestion in
 * nnd's messages is written that way, so the record can carry it apart. */
static json_t *suggestion_of(const char *message) {
  const char *p = strstr(message, "did you mean `");
  if (!p) return json_null();
  p += strlen("did you mean `");
  const char *end = strchr(p, '`');
  return end ? json_stringn(p, (size_t)(end - p)) : json_null();
}

static json_t *position(int v) { return v > 0 ? json_integer(v) : json_null(); }

static const char *severity_name(nnd_diag_severity s) {
  return s == NND_DIAG_ERROR ? "error" : s == NND_DIAG_WARNING ? "warning" : "note";
}

char *nnd_diag_render_json(const nnd_diag_list *d) {
  size_t len = 0, cap = 256;
  char *out = malloc(cap);
  if (!out) return NULL;
  out[0] = '\0';
  for (int i = 0; d && i < d->count; i++) {
    const nnd_diag *x = &d->items[i];
    int end = x->line > 0 && x->col > 0 ? x->col + (x->width > 1 ? x->width : 1) - 1 : 0;
    json_t *o = json_pack("{s:o, s:o, s:o, s:o, s:s, s:s, s:o}",
                          "file", x->file ? json_string(x->file) : json_null(),
                          "line", position(x->line), "column", position(x->line > 0 ? x->col : 0),
                          "end_column", position(end), "severity", severity_name(x->severity),
                          "message", x->message ? x->message : "",
                          "suggestion", suggestion_of(x->message ? x->message : ""));
    /* ensure_ascii: control bytes and non-UTF-8 in a message stay escaped */
    char *line = o ? json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_PRESERVE_ORDER) : NULL;
    json_decref(o);
    if (!line) {
      free(out);
      return NULL;
    }
    size_t n = strlen(line);
    if (len + n + 2 > cap) {
      while (len + n + 2 > cap) cap *= 2;
      char *grown = realloc(out, cap);
      if (!grown) {
        free(line);
        free(out);
        return NULL;
      }
      out = grown;
    }
    memcpy(out + len, line, n);
    len += n;
    out[len++] = '\n';
    out[len] = '\0';
    free(line);
  }
  return out;
}
