/* libFuzzer target for the recorded-layout loader (src/core/path_json.c): what
 * `smv paths --snapshot FILE` reads. A layout that loads must survive a round trip: written out and
 * loaded again it gives the same text (the writer and the reader agree on every field), and no field
 * may overrun its fixed-size buffer (ASan) or convert out of range (UBSan). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "platform.h"
#include "smv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = malloc(size + 1);
  if (!text) return 0;
  memcpy(text, data, size);
  text[size] = '\0';
  static smv__snapshot a, b;
  int rc = smv__snapshot_from_json(text, &a);
  if (rc != SMV_OK && rc != SMV_ERR_INVALID_ARG) abort();
  if (rc == SMV_OK) {
    if (a.count > SMV__PATHS_MAX) abort();
    for (size_t i = 0; i < a.count; i++) {
      const smv__path *p = &a.paths[i];
      if (!memchr(p->name, 0, sizeof p->name) || !memchr(p->kind, 0, sizeof p->kind) ||
          !memchr(p->devtype, 0, sizeof p->devtype) || !memchr(p->driver, 0, sizeof p->driver))
        abort();
      if (p->naddrs > SMV__PATH_ADDRS_MAX) abort();
    }
    char *once = smv__snapshot_to_json(&a);
    if (once) {
      if (smv__snapshot_from_json(once, &b) != SMV_OK || b.count != a.count) abort();
      char *twice = smv__snapshot_to_json(&b);
      if (twice && strcmp(once, twice) != 0) abort();
      cJSON_free(twice);
      cJSON_free(once);
    }
  }
  free(text);
  return 0;
}
