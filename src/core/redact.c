/* Redaction for people-facing output (see redact.h). */
#include "core/redact.h"

static int is_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* The length of the UUID at s (36), or 0. */
static size_t uuid_at(const char *s) {
  static const char shape[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";
  size_t k = 0;
  for (; shape[k]; k++)
    if (shape[k] == '-' ? s[k] != '-' : !is_hex(s[k])) return 0;
  return k;
}

static void put(char *out, size_t cap, size_t *o, const char *s) {
  while (*s && *o + 1 < cap) out[(*o)++] = *s++;
}

void smv__redact(const char *in, char *out, size_t cap) {
  size_t o = 0;
  int in_params = 0;
  if (cap == 0) return;
  for (size_t i = 0; in[i] && o + 1 < cap; i++) {
    char ch = in[i];
    if (ch == '?' || ch == '#') in_params = 1;
    else if (ch == ' ') in_params = 0;
    if (in_params && ch == '=') {
      out[o++] = '=';
      put(out, cap, &o, "<redacted>");
      while (in[i + 1] && in[i + 1] != '&' && in[i + 1] != ' ' && in[i + 1] != '#') i++;
      continue;
    }
    size_t k = uuid_at(in + i);
    if (k) {
      put(out, cap, &o, "<token>");
      i += k - 1;
      continue;
    }
    out[o++] = ch;
  }
  out[o] = '\0';
}
