/* Cookie jar (see cookie.h for the subset and why). Storage is compacted when a cookie is replaced,
 * so a server that re-sets one cookie on every hop does not exhaust the jar. */
#include "core/cookie.h"

#include <string.h>

static int lc(int c) { return (c >= 'A' && c <= 'Z') ? c + 32 : c; }

static int ieq(const char *a, size_t an, const char *b, size_t bn) {
  if (an != bn) return 0;
  for (size_t i = 0; i < an; i++)
    if (lc((unsigned char)a[i]) != lc((unsigned char)b[i])) return 0;
  return 1;
}

static void trim(const char **s, size_t *n) {
  while (*n && (**s == ' ' || **s == '\t')) { (*s)++; (*n)--; }
  while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t')) (*n)--;
}

void smv__cookie_jar_init(smv__cookie_jar *jar) { memset(jar, 0, sizeof(*jar)); }

static const char *S(const smv__cookie_jar *j, unsigned short off) { return j->store + off; }

/* Drops cookie i and compacts the store. */
static void drop(smv__cookie_jar *j, int i) {
  smv__cookie c = j->c[i];
  size_t start = c.name, len = (size_t)c.name_len + c.value_len + c.domain_len + c.path_len;
  memmove(j->store + start, j->store + start + len, j->store_used - start - len);
  j->store_used -= len;
  for (int k = 0; k < SMV__COOKIE_MAX; k++) {
    if (!j->c[k].used || k == i) continue;
    if (j->c[k].name > start) {
      j->c[k].name = (unsigned short)(j->c[k].name - len);
      j->c[k].value = (unsigned short)(j->c[k].value - len);
      j->c[k].domain = (unsigned short)(j->c[k].domain - len);
      j->c[k].path = (unsigned short)(j->c[k].path - len);
    }
  }
  memset(&j->c[i], 0, sizeof(j->c[i]));
}

static unsigned short put(smv__cookie_jar *j, const char *s, size_t n) {
  unsigned short off = (unsigned short)j->store_used;
  for (size_t i = 0; i < n; i++) j->store[j->store_used++] = (char)lc((unsigned char)s[i]);
  return off;
}

/* Domain-match of RFC 6265 5.1.3: host equals domain or ends with "." + domain (not for IPs). */
static int domain_match(const smv__url *u, const char *d, size_t dn) {
  const char *h = u->href + u->host.off;
  size_t hn = u->host.len;
  if (ieq(h, hn, d, dn)) return 1;
  if (u->host_kind != SMV__HOST_NAME || hn <= dn) return 0;
  return h[hn - dn - 1] == '.' && ieq(h + hn - dn, dn, d, dn);
}

/* Path-match of RFC 6265 5.1.4. */
static int path_match(const char *rp, size_t rn, const char *cp, size_t cn) {
  if (cn > rn || memcmp(rp, cp, cn) != 0) return 0;
  return cn == rn || cp[cn - 1] == '/' || rp[cn] == '/';
}

int smv__cookie_set(smv__cookie_jar *j, const smv__url *url, const char *v, size_t len) {
  if (url->host_kind == SMV__HOST_NONE) return 0;
  const char *end = v + len;
  const char *semi = memchr(v, ';', len);
  const char *pair_end = semi ? semi : end;
  const char *eq = memchr(v, '=', (size_t)(pair_end - v));
  if (!eq) return 0;
  const char *name = v, *value = eq + 1;
  size_t name_len = (size_t)(eq - v), value_len = (size_t)(pair_end - value);
  trim(&name, &name_len);
  trim(&value, &value_len);
  if (name_len == 0) return 0;
  for (size_t i = 0; i < name_len; i++)
    if ((unsigned char)name[i] <= 0x20 || name[i] == 0x7f || strchr("()<>@,;:\\\"/[]?={}", name[i])) return 0;
  for (size_t i = 0; i < value_len; i++)
    if ((unsigned char)value[i] < 0x20 || value[i] == 0x7f || value[i] == ';') return 0;

  const char *dom = url->href + url->host.off;
  size_t dom_len = url->host.len;
  int host_only = 1, secure = 0, deleted = 0;
  /* default-path: the request path up to, not including, its last '/'; "/" if that is empty. */
  const char *path = url->href + url->path.off;
  size_t path_len = url->path.len;
  while (path_len > 0 && path[path_len - 1] != '/') path_len--;
  if (path_len > 1) path_len--;
  if (path_len == 0) { path = "/"; path_len = 1; }

  for (const char *a = semi; a && a < end;) {
    const char *an = a + 1;
    const char *anext = memchr(an, ';', (size_t)(end - an));
    const char *aend = anext ? anext : end;
    const char *aeq = memchr(an, '=', (size_t)(aend - an));
    const char *k = an, *av = aeq ? aeq + 1 : aend;
    size_t kn = (size_t)((aeq ? aeq : aend) - an), avn = (size_t)(aend - av);
    trim(&k, &kn);
    trim(&av, &avn);
    if (ieq(k, kn, "domain", 6) && avn > 0) {
      if (av[0] == '.') { av++; avn--; }
      if (avn == 0 || url->host_kind != SMV__HOST_NAME) return 0;
      if (!memchr(av, '.', avn)) return 0;        /* a bare label: would cover a whole TLD */
      if (!domain_match(url, av, avn)) return 0;   /* a host may not set cookies for another */
      dom = av; dom_len = avn; host_only = 0;
    } else if (ieq(k, kn, "path", 4) && avn > 0 && av[0] == '/') {
      path = av; path_len = avn;
    } else if (ieq(k, kn, "secure", 6)) {
      secure = 1;
    } else if (ieq(k, kn, "max-age", 7) && avn > 0) {
      if (av[0] == '-' || (avn == 1 && av[0] == '0')) deleted = 1;
      else {
        int zero = 1;
        for (size_t i = 0; i < avn; i++) if (av[i] != '0') zero = 0;
        if (zero) deleted = 1;
      }
    } else if (ieq(k, kn, "expires", 7)) {
      /* Find a four-digit year; before 2000 means "delete" in practice (Thu, 01 Jan 1970 ...). */
      for (size_t i = 0; i + 4 <= avn; i++) {
        if (av[i] >= '0' && av[i] <= '9' && av[i + 1] >= '0' && av[i + 1] <= '9' && av[i + 2] >= '0' &&
            av[i + 2] <= '9' && av[i + 3] >= '0' && av[i + 3] <= '9' && (i + 4 == avn || av[i + 4] == ' ')) {
          if (av[i] < '2') deleted = 1;
          break;
        }
      }
    }
    a = anext;
  }
  if (secure && url->is_http != 2) return 0;   /* RFC 6265bis: only secure origins set Secure */

  for (int i = 0; i < SMV__COOKIE_MAX; i++) {
    smv__cookie *c = &j->c[i];
    if (c->used && ieq(S(j, c->name), c->name_len, name, name_len) &&
        ieq(S(j, c->domain), c->domain_len, dom, dom_len) && c->path_len == path_len &&
        memcmp(S(j, c->path), path, path_len) == 0) {
      drop(j, i);
      break;
    }
  }
  if (deleted) return 1;
  size_t need = name_len + value_len + dom_len + path_len;
  int slot = -1;
  for (int i = 0; i < SMV__COOKIE_MAX && slot < 0; i++)
    if (!j->c[i].used) slot = i;
  if (slot < 0 || need > SMV__COOKIE_STORE - j->store_used) { j->dropped++; return 0; }
  smv__cookie *c = &j->c[slot];
  c->name = (unsigned short)j->store_used;
  memcpy(j->store + j->store_used, name, name_len);  /* names and values keep their case */
  j->store_used += name_len;
  c->name_len = (unsigned short)name_len;
  c->value = (unsigned short)j->store_used;
  memcpy(j->store + j->store_used, value, value_len);
  j->store_used += value_len;
  c->value_len = (unsigned short)value_len;
  c->domain = put(j, dom, dom_len);
  c->domain_len = (unsigned short)dom_len;
  c->path = (unsigned short)j->store_used;
  memcpy(j->store + j->store_used, path, path_len);
  j->store_used += path_len;
  c->path_len = (unsigned short)path_len;
  c->host_only = (unsigned char)host_only;
  c->secure = (unsigned char)secure;
  c->used = 1;
  return 1;
}

size_t smv__cookie_header(const smv__cookie_jar *j, const smv__url *url, char *buf, size_t cap) {
  size_t n = 0;
  if (cap == 0) return 0;
  buf[0] = '\0';
  const char *rp = url->href + url->path.off;
  size_t rn = url->path.len;
  for (int i = 0; i < SMV__COOKIE_MAX; i++) {
    const smv__cookie *c = &j->c[i];
    if (!c->used) continue;
    if (c->secure && url->is_http != 2) continue;
    const char *h = url->href + url->host.off;
    if (c->host_only ? !ieq(h, url->host.len, S(j, c->domain), c->domain_len)
                     : !domain_match(url, S(j, c->domain), c->domain_len))
      continue;
    if (!path_match(rp, rn, S(j, c->path), c->path_len)) continue;
    size_t add = (n ? 2u : 0u) + c->name_len + 1u + c->value_len;
    if (n + add + 1 > cap) { buf[0] = '\0'; return 0; }
    if (n) { buf[n++] = ';'; buf[n++] = ' '; }
    memcpy(buf + n, S(j, c->name), c->name_len);
    n += c->name_len;
    buf[n++] = '=';
    memcpy(buf + n, S(j, c->value), c->value_len);
    n += c->value_len;
  }
  buf[n] = '\0';
  return n;
}
