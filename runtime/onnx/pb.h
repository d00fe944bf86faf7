/* pb.h — the few pieces of the protocol-buffers wire format that ONNX
 * files need, written by hand: nnd reads and writes nine ONNX messages and
 * would otherwise gain a runtime dependency (protobuf-c plus generated code
 * for the whole schema) for them.
 *
 * Writing: a growable byte buffer; a nested message is written in place and
 * its length prefix inserted when it ends. Out of memory sticks in `oom`
 * and every later call is a no-op, so a caller checks once at the end.
 *
 * Reading: a cursor over untrusted bytes. Every length and varint is checked
 * against the bytes that remain before use; a field is returned as its
 * number, wire type and either a varint, a fixed value or a (pointer,
 * length) slice that lies wholly inside the input. */
#ifndef NND_PB_H
#define NND_PB_H

#include <stddef.h>
#include <stdint.h>

enum { PB_VARINT = 0, PB_FIXED64 = 1, PB_LEN = 2, PB_FIXED32 = 5 };

typedef struct {
  uint8_t *data;
  size_t len, cap;
  int oom;
} pb_writer;

void pb_writer_free(pb_writer *w);
void pb_put_varint(pb_writer *w, int field, uint64_t v);
void pb_put_int64(pb_writer *w, int field, int64_t v);   /* two's complement, as protobuf */
void pb_put_float(pb_writer *w, int field, float v);
void pb_put_bytes(pb_writer *w, int field, const void *p, size_t n);
void pb_put_string(pb_writer *w, int field, const char *s);
/* packed repeated int64 (one length-delimited field) */
void pb_put_packed_int64(pb_writer *w, int field, const int64_t *v, int n);
/* A nested message: begin returns a mark, end inserts the length prefix. */
size_t pb_begin(pb_writer *w, int field);
void pb_end(pb_writer *w, size_t mark);

typedef struct {
  const uint8_t *p, *end;
} pb_reader;

typedef struct {
  int field;
  int wire;
  uint64_t u;             /* VARINT, FIXED64, FIXED32 */
  const uint8_t *data;    /* LEN: the bytes, inside the input */
  size_t len;
} pb_field;

/* 1 with *f filled, 0 at the end of the input, -1 on malformed bytes (a
 * truncated varint or field, a length past the end, an unknown wire type,
 * field number 0). */
int pb_next(pb_reader *r, pb_field *f);
/* Decode a packed or single varint-encoded int64 list element by element:
 * a packed field is read with pb_next_varint over its bytes. */
int pb_read_varint(pb_reader *r, uint64_t *v);
pb_reader pb_sub(const pb_field *f);

#endif
