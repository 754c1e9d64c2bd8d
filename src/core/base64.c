/* Base64 decoding (see base64.h). */
#include "core/base64.h"

/* The value of each ASCII byte in the alphabet, -1 for the others (bytes above 0x7f never are):
 * one load per character, which matters for the 200 KiB system bundle. */
static const signed char b64_value[128] = {
  -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
  -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
  -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 62, -1, -1, -1, 63,
  52, 53, 54, 55, 56, 57, 58, 59, 60, 61, -1, -1, -1, -1, -1, -1,
  -1,  0,  1,  2,  3,  4,  5,  6,  7,  8,  9, 10, 11, 12, 13, 14,
  15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, -1, -1, -1, -1, -1,
  -1, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
  41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, -1, -1, -1, -1, -1,
};

long smv__base64_decode(const char *in, size_t len, uint8_t *out, size_t cap) {
  const unsigned char *u = (const unsigned char *)in;
  size_t i = 0, o = 0;
#ifndef __OPTIMIZE_SIZE__
  /* Whole groups of four alphabet characters, the bulk of any input; the rest (padding, errors)
   * goes through the careful loop below, which alone would do, at twice the instructions per
   * character: builds for size (-Os: the footprint and release presets) keep only that one. */
  while (len - i >= 4 && cap - o >= 3) {
    if ((u[i] | u[i + 1] | u[i + 2] | u[i + 3]) & 0x80) break;
    int a = b64_value[u[i]], b = b64_value[u[i + 1]], c = b64_value[u[i + 2]], d = b64_value[u[i + 3]];
    if ((a | b | c | d) < 0) break;
    uint32_t v = (uint32_t)a << 18 | (uint32_t)b << 12 | (uint32_t)c << 6 | (uint32_t)d;
    out[o] = (uint8_t)(v >> 16);
    out[o + 1] = (uint8_t)(v >> 8);
    out[o + 2] = (uint8_t)v;
    i += 4;
    o += 3;
  }
#endif
  uint32_t acc = 0;
  size_t n = 0, pad = 0;
  for (; i < len; i++) {
    unsigned char c = (unsigned char)in[i];
    if (c == '=') {
      pad++;
      continue;
    }
    int v = c < 0x80 ? b64_value[c] : -1;
    if (v < 0 || pad) return -1; /* outside the alphabet, or data after the padding */
    acc = acc << 6 | (uint32_t)v;
    if (++n == 4) {
      if (cap - o < 3) return -1;
      out[o++] = (uint8_t)(acc >> 16);
      out[o++] = (uint8_t)(acc >> 8);
      out[o++] = (uint8_t)acc;
      n = 0;
      acc = 0;
    }
  }
  /* A last group of 2 or 3 characters carries 1 or 2 bytes and must be padded to 4. */
  if (!((n == 0 && pad == 0) || (n == 2 && pad == 2) || (n == 3 && pad == 1))) return -1;
  if (cap - o < n - (n > 0)) return -1;
  if (n == 2) out[o++] = (uint8_t)(acc >> 4);
  if (n == 3) {
    out[o++] = (uint8_t)(acc >> 10);
    out[o++] = (uint8_t)(acc >> 2);
  }
  return (long)o;
}
