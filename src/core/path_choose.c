/* The path verdict: which interface a flow may use, or why none. Pure (snapshot and options in,
 * verdict out) so that every rule is tested from recorded layouts. The rules never fall back: a named
 * interface is that interface or an error, and no interface given means the one cellular path. */
#include <arpa/inet.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "core/attr.h"
#include "core/path.h"

SMV__PRINTF(2, 3)
static void put(smv__verdict *v, const char *fmt, ...);
static void put(smv__verdict *v, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(v->evidence, sizeof(v->evidence), fmt, ap);
  va_end(ap);
}

static void append(smv__verdict *v, const char *text) {
  size_t used = strlen(v->evidence);
  if (used + 1 < sizeof(v->evidence)) snprintf(v->evidence + used, sizeof(v->evidence) - used, "%s", text);
}

/* "name (class): evidence; evidence" */
static void describe(const smv__snapshot *snap, size_t i, char *buf, size_t len) {
  smv__classification c;
  char ev[SMV__VERDICT_TEXT_LEN];
  smv__path_classify(snap, i, &c);
  smv__classification_text(&c, ev, sizeof(ev));
  /* Evidence is cut at the buffer's end when it is long: the strongest comes first. */
  int n = snprintf(buf, len, "%s (%s): ", snap->paths[i].name, smv_path_class_name(c.cls));
  if (n >= 0 && (size_t)n < len) {
    size_t room = len - (size_t)n - 1, evlen = strlen(ev);
    if (evlen > room) evlen = room;
    memcpy(buf + n, ev, evlen);
    buf[(size_t)n + evlen] = '\0';
  }
}

static int fail(smv__verdict *v, int err, int index) {
  v->err = err;
  v->index = index;
  return err;
}

static const char *why_unusable(const smv__path *p) {
  if (!(p->flags & IFF_UP)) return "administratively down";
  if (!(p->flags & (IFF_RUNNING | IFF_LOOPBACK))) return "no carrier (not running)";
  if (p->naddrs == 0) return "has no address";
  return "usable";
}

/* A VPN that is up fails the flow unless the policy allows a bound bypass. Returns the index of the
 * first VPN up, or -1. */
static int vpn_up(const smv__snapshot *snap, const smv_path_class *cls) {
  int found = -1;
  for (size_t i = 0; i < snap->count; i++) {
    if (cls[i] != SMV_PATH_VPN || !(snap->paths[i].flags & IFF_UP)) continue;
    /* The one carrying the default route is the most telling to name. */
    if (found < 0 || snap->paths[i].default4 || snap->paths[i].default6) found = (int)i;
  }
  return found;
}

static int vpn_verdict(const smv__snapshot *snap, const smv__choose_opts *o, const smv_path_class *cls,
                       smv__verdict *v) {
  int vi = vpn_up(snap, cls);
  if (vi < 0) return SMV_OK;
  char d[SMV__VERDICT_TEXT_LEN];
  describe(snap, (size_t)vi, d, sizeof(d));
  const smv__path *vp = &snap->paths[vi];
  if (!o->allow_vpn_bypass) {
    put(v, "VPN %s is up%s: %s", vp->name, (vp->default4 || vp->default6) ? " and the default route" : "", d);
    return fail(v, SMV_ERR_PATH_VPN, vi);
  }
  append(v, "; VPN ");
  append(v, vp->name);
  append(v, " is up, bypass allowed by policy: the socket stays bound to the chosen interface");
  return SMV_OK;
}

/* A cellular path without IPv4 of its own reaches IPv4 through its CLAT when it has one (464XLAT,
 * RFC 6877): v4-NAME, up, with its address in 192.0.0.0/29 (RFC 7335). It is part of the same
 * carrier path, not another one. */
static void attach_clat(const smv__snapshot *snap, smv__verdict *v) {
  const smv__path *p = &v->path;
  if (strncmp(p->name, "v4-", 3) == 0 || smv__path_has_family(p, AF_INET)) return;
  char want[40];
  snprintf(want, sizeof(want), "v4-%s", p->name);
  for (size_t k = 0; k < snap->count; k++) {
    const smv__path *c = &snap->paths[k];
    if (strcmp(c->name, want) != 0 || !smv__path_usable(c) || !smv__path_has_clat_addr(c)) continue;
    v->clat = *c;
    v->has_clat = 1;
    char a4[INET_ADDRSTRLEN] = "";
    smv__addr src;
    if (smv__path_source(c, AF_INET, &src) == 0) smv__addr_format(&src, a4, sizeof(a4));
    append(v, "; IPv4 through its CLAT ");
    append(v, c->name);
    append(v, " (");
    append(v, a4);
    append(v, ", 464XLAT)");
    return;
  }
}

static int chosen(const smv__snapshot *snap, size_t i, smv_path_class cls, int declared, smv__verdict *v) {
  v->err = SMV_OK;
  v->index = (int)i;
  v->path = snap->paths[i];
  v->cls = cls;
  v->declared = declared;
  if (cls == SMV_PATH_CELLULAR && !declared) attach_clat(snap, v);
  return SMV_OK;
}

/* Several cellular interfaces (464XLAT base and CLAT, or data + IMS channels): the one with a default
 * route, the base before its CLAT, the lower metric, the lower ifindex. */
static int better(const smv__path *a, const smv__path *b) {
  int da = a->default4 || a->default6, db = b->default4 || b->default6;
  if (da != db) return da > db;
  int ca = strncmp(a->name, "v4-", 3) == 0, cb = strncmp(b->name, "v4-", 3) == 0;
  if (ca != cb) return ca < cb;
  unsigned ma = a->default4 ? a->metric4 : a->metric6, mb = b->default4 ? b->metric4 : b->metric6;
  if (ma != mb) return ma < mb;
  return a->ifindex < b->ifindex;
}

static int choose_named(const smv__snapshot *snap, const smv__choose_opts *o, const smv_path_class *cls,
                        smv__verdict *v) {
  size_t i;
  for (i = 0; i < snap->count; i++)
    if (strcmp(snap->paths[i].name, o->interface) == 0) break;
  if (i == snap->count) {
    put(v, "%s: no such interface", o->interface);
    return fail(v, SMV_ERR_PATH_DOWN, -1);
  }
  const smv__path *p = &snap->paths[i];
  char d[SMV__VERDICT_TEXT_LEN];
  describe(snap, i, d, sizeof(d));
  /* The platform's configured carrier interface is declared by the platform, not by the user: it is
   * reported as cellular and not as "declared" (that word belongs to --carrier). */
  int by_platform = !o->declared_carrier && o->configured[0] && strcmp(o->configured, p->name) == 0;
  if (o->declared_carrier || by_platform) {
    if (!smv__path_usable(p)) {
      put(v, "%s %s (%s carrier): %s", p->name, why_unusable(p), by_platform ? "configured" : "declared", d);
      return fail(v, SMV_ERR_PATH_DOWN, (int)i);
    }
    if (by_platform)
      put(v, "configured WAN interface (%s platform): %s", o->platform ? o->platform : "this", d);
    else
      put(v, "%s; declared a carrier path (--carrier)", d);
    /* A declared path is the user's call (labs, loopback): a VPN elsewhere is reported, not fatal. */
    int vi = vpn_up(snap, cls);
    if (vi >= 0 && (size_t)vi != i) {
      append(v, "; note: VPN ");
      append(v, snap->paths[vi].name);
      append(v, " is up");
    }
    return chosen(snap, i, by_platform ? SMV_PATH_CELLULAR : cls[i], !by_platform, v);
  }
  if (cls[i] != SMV_PATH_CELLULAR) {
    put(v, "%s is not cellular: %s", p->name, d);
    switch (cls[i]) {
    case SMV_PATH_VPN: return fail(v, SMV_ERR_PATH_VPN, (int)i);
    case SMV_PATH_TETHERED: return fail(v, SMV_ERR_PATH_TETHERED, (int)i);
    case SMV_PATH_UNKNOWN: return fail(v, SMV_ERR_PATH_UNKNOWN, (int)i);
    default: return fail(v, SMV_ERR_PATH_NOT_CELLULAR, (int)i);
    }
  }
  if (!smv__path_usable(p)) {
    put(v, "%s is %s: %s", p->name, why_unusable(p), d);
    return fail(v, SMV_ERR_PATH_DOWN, (int)i);
  }
  put(v, "%s", d);
  if (vpn_verdict(snap, o, cls, v) != SMV_OK) return v->err;
  return chosen(snap, i, cls[i], 0, v);
}

static int choose_auto(const smv__snapshot *snap, const smv__choose_opts *o, const smv_path_class *cls,
                       smv__verdict *v) {
  int best = -1, down = -1, tethered = -1, unknown = -1;
  for (size_t i = 0; i < snap->count; i++) {
    const smv__path *p = &snap->paths[i];
    int usable = smv__path_usable(p);
    if (cls[i] == SMV_PATH_CELLULAR) {
      if (!usable) {
        if (down < 0) down = (int)i;
      } else if (best < 0 || better(p, &snap->paths[best])) {
        best = (int)i;
      }
    } else if (cls[i] == SMV_PATH_TETHERED && usable) {
      if (tethered < 0 || p->default4 || p->default6) tethered = (int)i;
    } else if (cls[i] == SMV_PATH_UNKNOWN && usable && (p->default4 || p->default6)) {
      if (unknown < 0) unknown = (int)i;
    }
  }
  char d[SMV__VERDICT_TEXT_LEN];
  if (best >= 0) {
    describe(snap, (size_t)best, d, sizeof(d));
    put(v, "%s", d);
    if (vpn_verdict(snap, o, cls, v) != SMV_OK) return v->err;
    return chosen(snap, (size_t)best, SMV_PATH_CELLULAR, 0, v);
  }
  if (vpn_verdict(snap, o, cls, v) != SMV_OK) return v->err;
  if (down >= 0) {
    describe(snap, (size_t)down, d, sizeof(d));
    put(v, "%s is %s: %s", snap->paths[down].name, why_unusable(&snap->paths[down]), d);
    return fail(v, SMV_ERR_PATH_DOWN, down);
  }
  if (tethered >= 0) {
    describe(snap, (size_t)tethered, d, sizeof(d));
    put(v, "the uplink is tethered: %s", d);
    return fail(v, SMV_ERR_PATH_TETHERED, tethered);
  }
  if (unknown >= 0) {
    describe(snap, (size_t)unknown, d, sizeof(d));
    put(v, "the uplink's class cannot be established (declare it with --carrier if it is one): %s", d);
    return fail(v, SMV_ERR_PATH_UNKNOWN, unknown);
  }
  put(v, "no cellular interface; ");
  int listed = 0;
  for (size_t i = 0; i < snap->count; i++) {
    if (cls[i] == SMV_PATH_LOOPBACK || !(snap->paths[i].flags & IFF_UP)) continue; /* down: not an uplink */
    char one[SMV__VERDICT_TEXT_LEN];
    describe(snap, i, one, sizeof(one));
    append(v, listed++ ? " | " : "");
    append(v, one);
  }
  if (!listed) append(v, "no interface is up besides loopback");
  return fail(v, SMV_ERR_NO_CARRIER_PATH, -1);
}

int smv__path_choose(const smv__snapshot *snap, const smv__choose_opts *opts, smv__verdict *out) {
  memset(out, 0, sizeof(*out));
  out->index = -1;
  if (!snap || !opts) return fail(out, SMV_ERR_INVALID_ARG, -1);
  smv_path_class cls[SMV__PATHS_MAX];
  for (size_t i = 0; i < snap->count && i < SMV__PATHS_MAX; i++) {
    smv__classification c;
    smv__path_classify(snap, i, &c);
    cls[i] = c.cls;
  }
  if (opts->interface && opts->interface[0]) return choose_named(snap, opts, cls, out);
  if (opts->declared_carrier) {
    snprintf(out->evidence, sizeof(out->evidence), "--carrier needs an interface name");
    return fail(out, SMV_ERR_INVALID_ARG, -1);
  }
  if (opts->configured[0]) {
    smv__choose_opts named = *opts;
    named.interface = opts->configured;
    return choose_named(snap, &named, cls, out);
  }
  if (opts->configured_only) {
    put(out, "%s platform: no WAN interface configured (SMV_MODEM_IF or the firmware's configuration)",
        opts->platform ? opts->platform : "this");
    return fail(out, SMV_ERR_NO_CARRIER_PATH, -1);
  }
  return choose_auto(snap, opts, cls, out);
}
