/* The result object: JSON rendering (the CLI contract, docs/cli.md), release and copy. */
#include <cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "io/result.h"
#include "smv.h"

static const char *outcome_name(smv_outcome o) {
  switch (o) {
  case SMV_OUTCOME_RETURN_URL: return "return_url";
  case SMV_OUTCOME_COMPLETED: return "completed";
  case SMV_OUTCOME_SERVICE_ERROR: return "service_error";
  case SMV_OUTCOME_ERROR: break;
  }
  return "error";
}

static cJSON *str_or_null(const char *s) { return s ? cJSON_CreateString(s) : cJSON_CreateNull(); }

char *smv_result_json(const smv_result *r, int pretty) {
  /* Rendered with cJSON's default malloc/free: the result may outlive its client. */
  char *out = NULL;
  cJSON *o = cJSON_CreateObject();
  if (!o) goto done;
  cJSON_AddStringToObject(o, "outcome", outcome_name(r->outcome));
  /* An error says what went wrong; a service error says which (a 4xx/5xx, an OAuth error, a page
   * that needs the user), with the same object. */
  if (r->outcome == SMV_OUTCOME_ERROR || (r->outcome == SMV_OUTCOME_SERVICE_ERROR && r->error)) {
    cJSON *e = cJSON_AddObjectToObject(o, "error");
    if (e) {
      cJSON_AddStringToObject(e, "code", smv_errname(r->error));
      cJSON_AddStringToObject(e, "message", r->error_message ? r->error_message : smv_strerror(r->error));
    }
  }
  cJSON_AddItemToObject(o, "final_url", str_or_null(r->final_url));
  if (r->http_status)
    cJSON_AddNumberToObject(o, "http_status", r->http_status);
  else
    cJSON_AddNullToObject(o, "http_status");
  if (r->token) cJSON_AddStringToObject(o, "token", r->token);
  if (r->return_url_present) cJSON_AddItemToObject(o, "return_url", str_or_null(r->return_url));
  if (r->service_error.present) {
    cJSON *se = cJSON_AddObjectToObject(o, "service_error");
    if (se) {
      cJSON_AddNumberToObject(se, "id", (double)r->service_error.id);
      cJSON_AddItemToObject(se, "name", str_or_null(r->service_error.name));
      cJSON_AddItemToObject(se, "description", str_or_null(r->service_error.description));
    }
  }
  if (r->authorization.present) {
    cJSON *az = cJSON_AddObjectToObject(o, "authorization");
    if (az) {
      cJSON_AddItemToObject(az, "code", str_or_null(r->authorization.code));
      cJSON_AddItemToObject(az, "state", str_or_null(r->authorization.state));
      cJSON_AddItemToObject(az, "error", str_or_null(r->authorization.error));
      cJSON_AddItemToObject(az, "error_description", str_or_null(r->authorization.error_description));
    }
  }
  cJSON *p = cJSON_AddObjectToObject(o, "path");
  if (p) {
    cJSON_AddItemToObject(p, "interface", r->path.interface[0] ? cJSON_CreateString(r->path.interface) : cJSON_CreateNull());
    cJSON_AddStringToObject(p, "class", smv_path_class_name(r->path.cls));
    cJSON_AddBoolToObject(p, "declared", r->path.declared);
    cJSON_AddItemToObject(p, "local", r->path.local[0] ? cJSON_CreateString(r->path.local) : cJSON_CreateNull());
    cJSON_AddItemToObject(p, "clat", r->path.clat[0] ? cJSON_CreateString(r->path.clat) : cJSON_CreateNull());
    if (r->path.evidence[0]) cJSON_AddStringToObject(p, "evidence", r->path.evidence);
  }
  cJSON *hops = cJSON_AddArrayToObject(o, "hops");
  for (size_t i = 0; hops && i < r->hop_count; i++) {
    const smv_hop *h = &r->hops[i];
    cJSON *j = cJSON_CreateObject();
    if (!j) continue;
    cJSON_AddStringToObject(j, "url", h->url ? h->url : "");
    if (h->status) cJSON_AddNumberToObject(j, "status", h->status);
    else cJSON_AddNullToObject(j, "status");
    cJSON_AddStringToObject(j, "tls", h->tls ? h->tls : "none");
    cJSON_AddBoolToObject(j, "reused", h->reused);
    cJSON_AddItemToObject(j, "remote", h->remote[0] ? cJSON_CreateString(h->remote) : cJSON_CreateNull());
    if (h->family) cJSON_AddStringToObject(j, "family", h->family == 6 ? "ipv6" : "ipv4");
    if (h->nat64) cJSON_AddBoolToObject(j, "nat64", 1);
    cJSON_AddNumberToObject(j, "ms", (double)(long)(h->ms * 10 + 0.5) / 10);
    cJSON_AddItemToArray(hops, j);
  }
  cJSON *s = cJSON_AddObjectToObject(o, "stats");
  if (s) {
    cJSON_AddNumberToObject(s, "connections", r->stats.connections);
    cJSON_AddNumberToObject(s, "tls_full", r->stats.tls_full);
    cJSON_AddNumberToObject(s, "tls_resumed", r->stats.tls_resumed);
    cJSON_AddNumberToObject(s, "dns_queries", r->stats.dns_queries);
    cJSON_AddNumberToObject(s, "dns_lookups", r->stats.dns_lookups);
    cJSON_AddNumberToObject(s, "heap_peak_bytes", (double)r->stats.heap_peak_bytes);
    cJSON_AddNumberToObject(s, "ms", (double)(long)(r->stats.ms * 10 + 0.5) / 10);
  }
  char *text = pretty ? cJSON_Print(o) : cJSON_PrintUnformatted(o);
  if (text) {
    /* cJSON may carry the application's own hooks: the caller gets a malloc() copy to free(). */
    size_t n = strlen(text);
    out = malloc(n + 1);
    if (out) memcpy(out, text, n + 1);
    cJSON_free(text);
  }
done:
  cJSON_Delete(o);
  return out;
}

void smv__hop_clear(smv__alloc *a, smv_hop *h) {
#define SMV__FREE_FIELD(f) smv__free(a, h->f);
  SMV__HOP_STRINGS(SMV__FREE_FIELD)
#undef SMV__FREE_FIELD
  memset(h, 0, sizeof(*h));
}

void smv__result_clear(smv__alloc *a, smv_result *r) {
#define SMV__FREE_FIELD(f) smv__free(a, r->f);
  SMV__RESULT_STRINGS(SMV__FREE_FIELD)
#undef SMV__FREE_FIELD
  for (size_t i = 0; r->hops && i < r->hop_count; i++) smv__hop_clear(a, &r->hops[i]);
  smv__free(a, r->hops);
  smv__free(a, r->body);
  memset(r, 0, sizeof(*r));
}

/* *dst = a copy of src (NULL stays NULL); 0, or -1 without memory. */
static int dup_str(smv__alloc *a, char **dst, const char *src) {
  *dst = NULL;
  return src && !(*dst = smv__strdup(a, src)) ? -1 : 0;
}

int smv__result_copy(smv__alloc *a, const smv_result *r, smv_result **out) {
  *out = NULL;
  smv_result *c = smv__malloc(a, sizeof(*c));
  if (!c) return SMV_ERR_NOMEM;
  /* Scalars and fixed arrays by value; every pointer is replaced below before anything can fail,
   * so that a failure releases only what this copy allocated. */
  *c = *r;
#define SMV__NULL_FIELD(f) c->f = NULL;
  SMV__RESULT_STRINGS(SMV__NULL_FIELD)
#undef SMV__NULL_FIELD
  c->hops = NULL;
  c->hop_count = 0;
  c->body = NULL;
  int failed = 0;
#define SMV__COPY_FIELD(f) failed |= dup_str(a, &c->f, r->f);
  SMV__RESULT_STRINGS(SMV__COPY_FIELD)
#undef SMV__COPY_FIELD
  if (!failed && r->body) {
    if ((c->body = smv__malloc(a, r->body_len + 1)) != NULL) memcpy(c->body, r->body, r->body_len + 1);
    else failed = 1;
  }
  if (!failed && r->hop_count) {
    if ((c->hops = smv__calloc(a, r->hop_count, sizeof(*c->hops))) == NULL) failed = 1;
    for (size_t i = 0; c->hops && i < r->hop_count; i++) {
      smv_hop *h = &c->hops[i];
      *h = r->hops[i];
#define SMV__NULL_FIELD(f) h->f = NULL;
      SMV__HOP_STRINGS(SMV__NULL_FIELD)
#undef SMV__NULL_FIELD
      c->hop_count = i + 1;
#define SMV__COPY_FIELD(f) failed |= dup_str(a, &h->f, r->hops[i].f);
      SMV__HOP_STRINGS(SMV__COPY_FIELD)
#undef SMV__COPY_FIELD
      if (failed) break;
    }
  }
  if (failed) {
    smv__result_clear(a, c);
    smv__free(a, c);
    return SMV_ERR_NOMEM;
  }
  *out = c;
  return 0;
}

void smv_result_free(smv_result *r) {
  if (!r) return;
  /* The copies smv_follow_sync returns come from libc through an accounting allocator. */
  smv__alloc libc;
  smv__alloc_init(&libc, NULL);
  smv__result_clear(&libc, r);
  smv__free(&libc, r);
}
