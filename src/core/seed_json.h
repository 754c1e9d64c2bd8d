/* Reading the service's JSON bodies (docs/sandbox.md, "Endpoints"): the device endpoint's final
 * {"token": .., "returnUrl": ..} and the ERROR object {"status":"ERROR","token":..,"error":{id,name,
 * description}}. Strings are copied with the given allocator; cJSON parses through the same one. */
#ifndef SMV_CORE_SEED_JSON_H
#define SMV_CORE_SEED_JSON_H

#include <stddef.h>

#include "core/alloc.h"

typedef struct smv__seed_body {
  char *status;               /* "OK", "REDIRECT", "ERROR" or NULL */
  char *token;
  char *return_url;           /* NULL when absent or null */
  int return_url_present;     /* the key was there (string or null) */
  char *device_redirect_url;
  int has_error;
  long error_id;
  char *error_name;
  char *error_description;
} smv__seed_body;

/* Parses body (not NUL-terminated; at most len bytes). Returns 0, SMV_ERR_HTTP_BODY_JSON when it is
 * not a JSON object or a known key has the wrong type, SMV_ERR_NOMEM. Unknown keys are ignored. */
int smv__seed_body_parse(smv__alloc *a, const char *body, size_t len, smv__seed_body *out);
void smv__seed_body_free(smv__alloc *a, smv__seed_body *b);

#endif
