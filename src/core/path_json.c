/* Recorded layouts: a snapshot as JSON, so that the classifier and the chooser are tested against
 * the interface layouts of real devices (phones, modems, routers, laptops) that this machine does not
 * have, and so that `smv paths --json` prints what a recording needs. */
#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/path.h"

static const struct {
  const char *name;
  unsigned bit;
} flag_names[] = {{"up", 0x1},          {"broadcast", 0x2}, {"loopback", 0x8},      {"pointopoint", 0x10},
                  {"running", 0x40},    {"noarp", 0x80},    {"multicast", 0x1000},  {"lower_up", 0x10000},
                  {"dormant", 0x20000}};

static const char *const oper_names[] = {"unknown", "notpresent", "down", "lowerlayerdown",
                                         "testing", "dormant",    "up"};

static const struct {
  const char *name;
  unsigned bit;
} transport_names[] = {{"cellular", SMV__TRANSPORT_CELLULAR}, {"wifi", SMV__TRANSPORT_WIFI},
                       {"bluetooth", SMV__TRANSPORT_BLUETOOTH}, {"ethernet", SMV__TRANSPORT_ETHERNET},
                       {"vpn", SMV__TRANSPORT_VPN}};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static void get_str(const cJSON *o, const char *key, char *dst, size_t len) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  if (cJSON_IsString(v) && v->valuestring) snprintf(dst, len, "%s", v->valuestring);
}

/* An integer member in [lo, hi] (dflt when absent). A recorded layout is input like any other: a
 * number out of range or with a fraction is refused, never converted (that would be undefined). */
static int get_int(const cJSON *o, const char *key, double dflt, double lo, double hi, double *out) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  if (!v || cJSON_IsNull(v)) { *out = dflt; return 0; }
  if (!cJSON_IsNumber(v)) return -1;
  double d = v->valuedouble;
  if (!(d >= lo && d <= hi) || d != (double)(long long)d) return -1;
  *out = d;
  return 0;
}

static int get_bool(const cJSON *o, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  return cJSON_IsTrue(v) || (cJSON_IsNumber(v) && v->valueint != 0);
}

static int get_addr(const cJSON *o, const char *key, smv__addr *a) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  memset(a, 0, sizeof(*a));
  if (!v || cJSON_IsNull(v)) return 0;
  if (!cJSON_IsString(v) || smv__addr_parse(v->valuestring, a) != 0) return -1;
  return 0;
}

static int path_from_json(const cJSON *o, smv__path *p) {
  memset(p, 0, sizeof(*p));
  p->tun_flags = -1;
  get_str(o, "name", p->name, sizeof(p->name));
  if (!p->name[0]) return -1;
  double n;
  if (get_int(o, "ifindex", 0, 0, 4294967295.0, &n)) return -1;
  p->ifindex = (unsigned)n;
  if (get_int(o, "arphrd", 0, 0, 65535, &n)) return -1;
  p->arphrd = (unsigned)n;
  const cJSON *flags = cJSON_GetObjectItemCaseSensitive(o, "flags"), *f;
  cJSON_ArrayForEach(f, flags) {
    size_t k;
    for (k = 0; k < COUNT(flag_names); k++)
      if (cJSON_IsString(f) && strcmp(f->valuestring, flag_names[k].name) == 0) break;
    if (k == COUNT(flag_names)) return -1;
    p->flags |= flag_names[k].bit;
  }
  char oper[24] = "unknown";
  get_str(o, "operstate", oper, sizeof(oper));
  for (unsigned k = 0; k < COUNT(oper_names); k++)
    if (strcmp(oper, oper_names[k]) == 0) p->operstate = k;
  get_str(o, "kind", p->kind, sizeof(p->kind));
  get_str(o, "devtype", p->devtype, sizeof(p->devtype));
  get_str(o, "driver", p->driver, sizeof(p->driver));
  p->wireless = get_bool(o, "wireless");
  if (get_int(o, "tun_flags", -1, -1, 65535, &n)) return -1;
  p->tun_flags = (int)n;
  const cJSON *addrs = cJSON_GetObjectItemCaseSensitive(o, "addrs"), *a;
  cJSON_ArrayForEach(a, addrs) {
    if (!cJSON_IsString(a) || p->naddrs == SMV__PATH_ADDRS_MAX) return -1;
    if (smv__addr_parse(a->valuestring, &p->addrs[p->naddrs++]) != 0) return -1;
  }
  p->default4 = get_bool(o, "default4");
  p->default6 = get_bool(o, "default6");
  if (get_int(o, "metric4", 0, 0, 4294967295.0, &n)) return -1;
  p->metric4 = (unsigned)n;
  if (get_int(o, "metric6", 0, 0, 4294967295.0, &n)) return -1;
  p->metric6 = (unsigned)n;
  if (get_addr(o, "gateway4", &p->gateway4) != 0 || get_addr(o, "gateway6", &p->gateway6) != 0) return -1;
  if (get_int(o, "net_handle", 0, 0, 9007199254740992.0, &n)) return -1;  /* 2^53: exact in JSON */
  p->net_handle = (uint64_t)n;
  const cJSON *tr = cJSON_GetObjectItemCaseSensitive(o, "transports"), *t;
  cJSON_ArrayForEach(t, tr) {
    size_t k;
    for (k = 0; k < COUNT(transport_names); k++)
      if (cJSON_IsString(t) && strcmp(t->valuestring, transport_names[k].name) == 0) break;
    if (k == COUNT(transport_names)) return -1;
    p->transports |= transport_names[k].bit;
  }
  return 0;
}

int smv__snapshot_from_json(const char *text, smv__snapshot *out) {
  memset(out, 0, sizeof(*out));
  snprintf(out->source, sizeof(out->source), "recorded");
  cJSON *root = cJSON_Parse(text);
  if (!root) return SMV_ERR_INVALID_ARG;
  int rc = SMV_OK;
  const cJSON *paths = cJSON_GetObjectItemCaseSensitive(root, "paths"), *p;
  if (!cJSON_IsArray(paths)) rc = SMV_ERR_INVALID_ARG;
  cJSON_ArrayForEach(p, paths) {
    if (rc != SMV_OK) break;
    if (out->count == SMV__PATHS_MAX) {
      out->dropped++;
      continue;
    }
    if (!cJSON_IsObject(p) || path_from_json(p, &out->paths[out->count]) != 0) {
      rc = SMV_ERR_INVALID_ARG;
      break;
    }
    out->count++;
  }
  cJSON_Delete(root);
  if (rc != SMV_OK) memset(out, 0, sizeof(*out));
  return rc;
}

static cJSON *addr_json(const smv__addr *a, int with_prefix) {
  char ip[64], buf[80];
  if (!a->family) return cJSON_CreateNull();
  smv__addr_format(a, ip, sizeof(ip));
  if (with_prefix) snprintf(buf, sizeof(buf), "%s/%u", ip, a->prefix);
  else snprintf(buf, sizeof(buf), "%s", ip);
  return cJSON_CreateString(buf);
}

int smv__path_to_json(const smv__path *p, void *object) {
  cJSON *o = object, *flags = cJSON_CreateArray(), *addrs = cJSON_CreateArray(), *tr = cJSON_CreateArray();
  if (!flags || !addrs || !tr) {
    cJSON_Delete(flags), cJSON_Delete(addrs), cJSON_Delete(tr);
    return -1;
  }
  cJSON_AddStringToObject(o, "name", p->name);
  cJSON_AddNumberToObject(o, "ifindex", p->ifindex);
  cJSON_AddNumberToObject(o, "arphrd", p->arphrd);
  for (size_t k = 0; k < COUNT(flag_names); k++)
    if (p->flags & flag_names[k].bit) cJSON_AddItemToArray(flags, cJSON_CreateString(flag_names[k].name));
  cJSON_AddItemToObject(o, "flags", flags);
  cJSON_AddStringToObject(o, "operstate", p->operstate < COUNT(oper_names) ? oper_names[p->operstate] : "unknown");
  cJSON_AddStringToObject(o, "kind", p->kind);
  cJSON_AddStringToObject(o, "devtype", p->devtype);
  cJSON_AddStringToObject(o, "driver", p->driver);
  cJSON_AddBoolToObject(o, "wireless", p->wireless);
  if (p->tun_flags >= 0) cJSON_AddNumberToObject(o, "tun_flags", p->tun_flags);
  else cJSON_AddNullToObject(o, "tun_flags");
  for (size_t k = 0; k < p->naddrs; k++) cJSON_AddItemToArray(addrs, addr_json(&p->addrs[k], 1));
  cJSON_AddItemToObject(o, "addrs", addrs);
  cJSON_AddBoolToObject(o, "default4", p->default4);
  cJSON_AddNumberToObject(o, "metric4", p->metric4);
  cJSON_AddItemToObject(o, "gateway4", addr_json(&p->gateway4, 0));
  cJSON_AddBoolToObject(o, "default6", p->default6);
  cJSON_AddNumberToObject(o, "metric6", p->metric6);
  cJSON_AddItemToObject(o, "gateway6", addr_json(&p->gateway6, 0));
  cJSON_AddNumberToObject(o, "net_handle", (double)p->net_handle);
  for (size_t k = 0; k < COUNT(transport_names); k++)
    if (p->transports & transport_names[k].bit) cJSON_AddItemToArray(tr, cJSON_CreateString(transport_names[k].name));
  cJSON_AddItemToObject(o, "transports", tr);
  return 0;
}

char *smv__snapshot_to_json(const smv__snapshot *snap) {
  cJSON *root = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(root, "paths");
  if (!root || !arr) {
    cJSON_Delete(root);
    return NULL;
  }
  for (size_t i = 0; i < snap->count; i++) {
    cJSON *o = cJSON_CreateObject();
    if (!o) break;
    cJSON_AddItemToArray(arr, o);
    smv__path_to_json(&snap->paths[i], o);
  }
  char *text = cJSON_Print(root);
  cJSON_Delete(root);
  return text;
}
