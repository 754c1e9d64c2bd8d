/* Seed JSON extraction. A key with the wrong type is an error rather than "absent": a token that is
 * a number, say, means the body is not what the service documents, and the app must not act on it. */
#include "core/seed_json.h"

#include <cJSON.h>
#include <string.h>

#include "smv.h"

static void *hook_malloc(size_t n) { return smv__malloc(NULL, n); }
static void hook_free(void *p) { smv__free(NULL, p); }

/* cJSON's hooks are process-wide, and the application (or the sandbox in the same process) may use
 * cJSON too: they point at smv's allocator only while smv parses, and go back to malloc/free after.
 * Everything cJSON allocates in between is freed in between. */
static smv__alloc *json_begin(smv__alloc *a) {
  cJSON_Hooks h = {hook_malloc, hook_free};
  cJSON_InitHooks(&h);
  return smv__alloc_enter(a);
}

static void json_end(smv__alloc *prev) {
  cJSON_InitHooks(NULL);
  smv__alloc_leave(prev);
}

/* Copies a string member; 0 absent, 1 copied, 2 null, <0 error. */
static int take(smv__alloc *a, const cJSON *obj, const char *key, char **out) {
  const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
  if (!it) return 0;
  if (cJSON_IsNull(it)) return 2;
  if (!cJSON_IsString(it) || !it->valuestring) return SMV_ERR_HTTP_BODY_JSON;
  *out = smv__strdup(a, it->valuestring);
  return *out ? 1 : SMV_ERR_NOMEM;
}

int smv__seed_body_parse(smv__alloc *a, const char *body, size_t len, smv__seed_body *out) {
  memset(out, 0, sizeof(*out));
  smv__alloc *prev = json_begin(a);
  const char *end = NULL;
  unsigned long failures = a->failures;
  cJSON *root = cJSON_ParseWithLengthOpts(body, len, &end, 0);
  int rc = 0;
  if (!root) {
    /* cJSON reports allocation failure and syntax errors alike; the allocator's count tells them apart. */
    rc = a->failures != failures ? SMV_ERR_NOMEM : SMV_ERR_HTTP_BODY_JSON;
    goto done;
  }
  if (!cJSON_IsObject(root)) { rc = SMV_ERR_HTTP_BODY_JSON; goto done; }
  int r;
  if ((r = take(a, root, "status", &out->status)) < 0) { rc = r; goto done; }
  if ((r = take(a, root, "token", &out->token)) < 0) { rc = r; goto done; }
  if ((r = take(a, root, "returnUrl", &out->return_url)) < 0) { rc = r; goto done; }
  out->return_url_present = r != 0;
  if ((r = take(a, root, "deviceRedirectUrl", &out->device_redirect_url)) < 0) { rc = r; goto done; }
  const cJSON *err = cJSON_GetObjectItemCaseSensitive(root, "error");
  if (err && !cJSON_IsNull(err)) {
    if (!cJSON_IsObject(err)) { rc = SMV_ERR_HTTP_BODY_JSON; goto done; }
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(err, "id");
    if (id) {
      /* out of long's range the conversion below is undefined behaviour (found by fuzz_seed_json) */
      if (!cJSON_IsNumber(id) || !(id->valuedouble >= -2147483648.0 && id->valuedouble <= 2147483647.0)) {
        rc = SMV_ERR_HTTP_BODY_JSON;
        goto done;
      }
      out->error_id = (long)id->valuedouble;
    }
    out->has_error = 1;
    if ((r = take(a, err, "name", &out->error_name)) < 0) { rc = r; goto done; }
    if ((r = take(a, err, "description", &out->error_description)) < 0) { rc = r; goto done; }
  }
done:
  cJSON_Delete(root);
  json_end(prev);
  if (rc) smv__seed_body_free(a, out);
  return rc;
}

void smv__seed_body_free(smv__alloc *a, smv__seed_body *b) {
  smv__free(a, b->status);
  smv__free(a, b->token);
  smv__free(a, b->return_url);
  smv__free(a, b->device_redirect_url);
  smv__free(a, b->error_name);
  smv__free(a, b->error_description);
  memset(b, 0, sizeof(*b));
}
