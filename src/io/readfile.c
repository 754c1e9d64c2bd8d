/* See readfile.h. Bounded, so that a wrong path (a device, a huge log) cannot exhaust memory. */
#include "io/readfile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

char *smv__read_file(const char *path, size_t max, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  size_t cap = 4096, n = 0;
  char *buf = malloc(cap);
  int err = buf ? 0 : ENOMEM;
  while (!err) {
    size_t r = fread(buf + n, 1, cap - 1 - n, f);
    n += r;
    if (r == 0) {
      if (ferror(f)) err = EIO;
      break;
    }
    if (n > max) {
      err = EFBIG;
      break;
    }
    if (n == cap - 1) {
      char *nb = realloc(buf, cap * 2);
      if (!nb) err = ENOMEM;
      else { buf = nb; cap *= 2; }
    }
  }
  fclose(f);
  if (err) {
    free(buf);
    errno = err;
    return NULL;
  }
  buf[n] = '\0';
  if (len) *len = n;
  return buf;
}
