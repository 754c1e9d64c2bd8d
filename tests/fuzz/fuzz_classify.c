/* Fuzzes what `smv paths --snapshot` and the tests feed the platform layer: recorded layouts (JSON)
 * into the classifier and the chooser, and the DNS configuration parsers. None of it may crash,
 * overrun its fixed buffers, or give a verdict that contradicts itself. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "platform.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = malloc(size + 1);
  if (!text) return 0;
  memcpy(text, data, size);
  text[size] = '\0';

  smv__dns_list l;
  char csv[512];
  if (smv__dns_parse_csv(text, &l) == SMV_OK) smv__dns_list_csv(&l, csv, sizeof(csv));
  smv__dns_parse_resolved(text, "wlan0", &l);
  smv__dns_parse_resolv_conf(text, 0, &l);

  static smv__snapshot snap, again;
  if (smv__snapshot_from_json(text, &snap) == SMV_OK) {
    for (size_t i = 0; i < snap.count; i++) {
      smv__classification c;
      char ev[SMV__VERDICT_TEXT_LEN];
      smv__path_classify(&snap, i, &c);
      smv__classification_text(&c, ev, sizeof(ev));
      for (size_t k = 1; k < c.nevidence; k++)
        if (c.strength[k - 1] < c.strength[k]) abort();
    }
    static const smv__choose_opts opts[] = {{NULL, 0, 0}, {NULL, 0, 1}, {"rmnet_data0", 0, 0},
                                            {"wlan0", 1, 0}, {"lo", 1, 0}};
    for (size_t k = 0; k < sizeof(opts) / sizeof(opts[0]); k++) {
      static smv__verdict v;
      int rc = smv__path_choose(&snap, &opts[k], &v);
      if (rc != v.err) abort();
      /* Success means a usable path that is cellular or declared; never a fallback elsewhere. */
      if (rc == SMV_OK) {
        if (!smv__path_usable(&v.path)) abort();
        if (!v.declared && v.cls != SMV_PATH_CELLULAR) abort();
        if (opts[k].interface && strcmp(v.path.name, opts[k].interface) != 0) abort();
      }
    }
    char *out = smv__snapshot_to_json(&snap);
    if (out) {
      if (smv__snapshot_from_json(out, &again) != SMV_OK || again.count != snap.count) abort();
      cJSON_free(out);
    }
  }
  free(text);
  return 0;
}
