/* pb.c — see pb.h. */
#include "pb.h"

#include <stdlib.h>
#include <string.h>

void pb_writer_free(pb_writer *w) {
  free(w->data);
  w->data = NULL;
  w->len = w->cap = 0;
}

static int reserve(pb_writer *w, size_t more) {
  if (w->oom) return -1;
  if (more > SIZE_MAX / 2 - w->len) {
    w->oom = 1;
    return -1;
  }
  if (w->len + more <= w->cap) return 0;
  size_t cap = w->cap ? w->cap : 256;
  while (cap < w->len + more) cap *= 2;
  uint8_t *d = realloc(w->data, cap);
  if (!d) {
    w->oom = 1;
    return -1;
  }
  w->data = d;
  w->cap = cap;
  return 0;
}

static void raw(pb_writer *w, const void *p, size_t n) {
  if (n == 0 || reserve(w, n) != 0) return;
  memcpy(w->data + w->len, p, n);
  w->len += n;
}

static size_t varint_bytes(uint64_t v, uint8_t *out) {
  size_t n = 0;
  do {
    uint8_t b = v & 0x7f;
    v >>= 7;
    out[n++] = (uint8_t)(b | (v ? 0x80 : 0));
  } while (v);
  return n;
}

static void varint(pb_writer *w, uint64_t v) {
  uint8_t b[10];
  raw(w, b, varint_bytes(v, b));
}

static void tag(pb_writer *w, int field, int wire) {
  varint(w, ((uint64_t)field << 3) | (uint64_t)wire);
}

void pb_put_varint(pb_writer *w, int field, uint64_t v) {
  tag(w, field, PB_VARINT);
  varint(w, v);
}

void pb_put_int64(pb_writer *w, int field, int64_t v) { pb_put_varint(w, field, (uint64_t)v); }

void pb_put_float(pb_writer *w, int field, float v) {
  uint32_t u;
  memcpy(&u, &v, 4);
  uint8_t b[4] = {(uint8_t)u, (uint8_t)(u >> 8), (uint8_t)(u >> 16), (uint8_t)(u >> 24)};
  tag(w, field, PB_FIXED32);
  raw(w, b, 4);
}

void pb_put_bytes(pb_writer *w, int field, const void *p, size_t n) {
  tag(w, field, PB_LEN);
  varint(w, n);
  raw(w, p, n);
}

void pb_put_string(pb_writer *w, int field, const char *s) {
  pb_put_bytes(w, field, s, strlen(s));
}

void pb_put_packed_int64(pb_writer *w, int field, const int64_t *v, int n) {
  size_t mark = pb_begin(w, field);
  for (int i = 0; i < n; i++) varint(w, (uint64_t)v[i]);
  pb_end(w, mark);
}

size_t pb_begin(pb_writer *w, int field) {
  tag(w, field, PB_LEN);
  return w->len;
}

void pb_end(pb_writer *w, size_t mark) {
  if (w->oom) return;
  uint8_t b[10];
  size_t body = w->len - mark, n = varint_bytes(body, b);
  if (reserve(w, n) != 0) return;
  memmove(w->data + mark + n, w->data + mark, body);
  memcpy(w->data + mark, b, n);
  w->len += n;
}

int pb_read_varint(pb_reader *r, uint64_t *v) {
  uint64_t x = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (r->p >= r->end) return -1;
    uint8_t b = *r->p++;
    x |= (uint64_t)(b & 0x7f) << shift;
    if (!(b & 0x80)) {
      *v = x;
      return 0;
    }
  }
  return -1; /* more than 10 bytes */
}

int pb_next(pb_reader *r, pb_field *f) {
  if (r->p >= r->end) return 0;
  uint64_t key;
  if (pb_read_varint(r, &key) != 0) return -1;
  if ((key >> 3) == 0 || (key >> 3) > 0x1fffffff) return -1;
  f->field = (int)(key >> 3);
  f->wire = (int)(key & 7);
  f->data = NULL;
  f->len = 0;
  f->u = 0;
  size_t left = (size_t)(r->end - r->p);
  switch (f->wire) {
  case PB_VARINT:
    return pb_read_varint(r, &f->u) == 0 ? 1 : -1;
  case PB_FIXED64:
  case PB_FIXED32: {
    size_t n = f->wire == PB_FIXED64 ? 8 : 4;
    if (left < n) return -1;
    for (size_t i = 0; i < n; i++) f->u |= (uint64_t)r->p[i] << (8 * i);
    r->p += n;
    return 1;
  }
  case PB_LEN: {
    uint64_t n;
    if (pb_read_varint(r, &n) != 0) return -1;
    left = (size_t)(r->end - r->p);
    if (n > left) return -1;
    f->data = r->p;
    f->len = (size_t)n;
    r->p += n;
    return 1;
  }
  default:
    return -1; /* groups (3, 4) are not used by ONNX */
  }
}

pb_reader pb_sub(const pb_field *f) {
  pb_reader r = {f->data, f->data + f->len};
  return r;
}
