/* The indexed trust store (see truststore.h). Files are read a line at a time so that indexing a
 * 200 KiB bundle costs one certificate's worth of transient heap. */
#include "io/truststore.h"

#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <mbedtls/asn1.h>
#include <mbedtls/platform.h>
#include <mbedtls/x509_crt.h>

#include "core/base64.h"
#include "smv.h"

#define SMV__TS_DEFAULT_DIR "/etc/ssl/certs"
#define SMV__TS_BUNDLE "ca-certificates.crt"
#define SMV__TS_MAX_PEM 65535u /* a root's PEM; the entry stores its length in 16 bits */

typedef struct smv__ts_entry {
  uint64_t subject; /* FNV-1a of the canonical subject name */
  uint32_t off;     /* offset of the BEGIN line in its file */
  uint16_t len;     /* bytes up to and including the END line */
  uint16_t file;    /* index into name_off */
} smv__ts_entry;

struct smv__truststore {
  smv__alloc *a;
  char *dir;           /* prefix of every name ("" for a --cacert file) */
  smv__ts_entry *e;
  size_t n, cap;
  char *names;         /* NUL-separated file names relative to dir */
  size_t names_len, names_cap;
  uint32_t *name_off;
  size_t nfiles, files_cap;
  size_t loads;
};

/* ---- Canonical name hash ------------------------------------------------------------------------
 * Two names that mbedTLS's x509_name_cmp() finds equal must hash equal: it compares OIDs exactly and
 * values either byte for byte, or, when both are UTF8String/PrintableString, ASCII case-insensitively
 * whatever the tag. So string values are hashed lowercased under one tag, and each RDN set is
 * delimited so that multi-valued RDNs keep their structure. */
#define SMV__FNV_OFFSET 0xcbf29ce484222325ull
#define SMV__FNV_PRIME 0x100000001b3ull

static uint64_t fnv(uint64_t h, const unsigned char *p, size_t n, int fold) {
  for (size_t i = 0; i < n; i++) {
    unsigned char c = p[i];
    if (fold && c >= 'A' && c <= 'Z') c = (unsigned char)(c - 'A' + 'a');
    h = (h ^ c) * SMV__FNV_PRIME;
  }
  return h;
}

static uint64_t name_hash(const unsigned char *name, size_t n) {
  unsigned char *p = (unsigned char *)(uintptr_t)name; /* the asn1 reader wants non-const */
  const unsigned char *end = name + n;
  uint64_t h = SMV__FNV_OFFSET;
  size_t len;
  if (mbedtls_asn1_get_tag(&p, end, &len, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE) != 0)
    return fnv(h, name, n, 0);
  end = p + len;
  while (p < end) {
    size_t setlen;
    if (mbedtls_asn1_get_tag(&p, end, &setlen, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SET) != 0)
      return fnv(SMV__FNV_OFFSET, name, n, 0);
    const unsigned char *set_end = p + setlen;
    h = fnv(h, (const unsigned char *)"\x31", 1, 0);
    while (p < set_end) {
      size_t alen, olen, vlen;
      if (mbedtls_asn1_get_tag(&p, set_end, &alen, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE))
        return fnv(SMV__FNV_OFFSET, name, n, 0);
      const unsigned char *a_end = p + alen;
      if (mbedtls_asn1_get_tag(&p, a_end, &olen, MBEDTLS_ASN1_OID) != 0)
        return fnv(SMV__FNV_OFFSET, name, n, 0);
      h = fnv(h, p, olen, 0);
      p += olen;
      if (p >= a_end) return fnv(SMV__FNV_OFFSET, name, n, 0);
      unsigned char tag = *p++;
      if (mbedtls_asn1_get_len(&p, a_end, &vlen) != 0) return fnv(SMV__FNV_OFFSET, name, n, 0);
      int str = tag == MBEDTLS_ASN1_UTF8_STRING || tag == MBEDTLS_ASN1_PRINTABLE_STRING;
      unsigned char t = str ? 's' : tag;
      h = fnv(h, &t, 1, 0);
      h = fnv(h, p, vlen, str);
      p = (unsigned char *)(uintptr_t)a_end;
    }
  }
  return h;
}

/* The subject Name (tag and length included) of a DER certificate, without parsing the rest. */
static int der_subject(unsigned char *der, size_t n, const unsigned char **subj, size_t *slen) {
  unsigned char *p = der;
  const unsigned char *end = der + n;
  size_t len;
  const int seq = MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE;
  if (mbedtls_asn1_get_tag(&p, end, &len, seq) != 0) return -1;
  end = p + len;
  if (mbedtls_asn1_get_tag(&p, end, &len, seq) != 0) return -1;
  end = p + len;
  if (p < end && *p == (MBEDTLS_ASN1_CONTEXT_SPECIFIC | MBEDTLS_ASN1_CONSTRUCTED | 0)) {
    if (mbedtls_asn1_get_tag(&p, end, &len, *p) != 0) return -1;
    p += len;
  }
  if (mbedtls_asn1_get_tag(&p, end, &len, MBEDTLS_ASN1_INTEGER) != 0) return -1;
  p += len;
  for (int i = 0; i < 3; i++) { /* signature algorithm, issuer, validity */
    if (mbedtls_asn1_get_tag(&p, end, &len, seq) != 0) return -1;
    p += len;
  }
  const unsigned char *s = p;
  if (mbedtls_asn1_get_tag(&p, end, &len, seq) != 0) return -1;
  *subj = s;
  *slen = (size_t)(p - s) + len;
  return 0;
}

/* ---- Building the index -------------------------------------------------------------------------- */
static int add_entry(smv__truststore *ts, uint64_t h, size_t off, size_t len) {
  if (off > UINT32_MAX || len > SMV__TS_MAX_PEM || ts->nfiles == 0 || ts->nfiles > UINT16_MAX)
    return 0; /* not representable: skip this root rather than fail the store */
  if (ts->n == ts->cap) {
    size_t nc = ts->cap ? ts->cap * 2 : 64;
    smv__ts_entry *ne = smv__realloc(ts->a, ts->e, nc * sizeof(*ne));
    if (!ne) return SMV_ERR_NOMEM;
    ts->e = ne;
    ts->cap = nc;
  }
  ts->e[ts->n].subject = h;
  ts->e[ts->n].off = (uint32_t)off;
  ts->e[ts->n].len = (uint16_t)len;
  ts->e[ts->n].file = (uint16_t)(ts->nfiles - 1);
  ts->n++;
  return 0;
}

static int add_name(smv__truststore *ts, const char *name) {
  size_t l = strlen(name) + 1;
  if (ts->names_len + l > ts->names_cap) {
    size_t nc = ts->names_cap ? ts->names_cap : 256;
    while (nc < ts->names_len + l) nc *= 2;
    char *nn = smv__realloc(ts->a, ts->names, nc);
    if (!nn) return SMV_ERR_NOMEM;
    ts->names = nn;
    ts->names_cap = nc;
  }
  if (ts->nfiles == ts->files_cap) {
    size_t nc = ts->files_cap ? ts->files_cap * 2 : 16;
    uint32_t *no = smv__realloc(ts->a, ts->name_off, nc * sizeof(*no));
    if (!no) return SMV_ERR_NOMEM;
    ts->name_off = no;
    ts->files_cap = nc;
  }
  memcpy(ts->names + ts->names_len, name, l);
  ts->name_off[ts->nfiles++] = (uint32_t)ts->names_len;
  ts->names_len += l;
  return 0;
}

static void drop_last_name(smv__truststore *ts) {
  ts->nfiles--;
  ts->names_len = ts->name_off[ts->nfiles];
}

/* Indexes the CERTIFICATE blocks of one PEM file (the last added name). Returns how many, or an error. */
static int index_file(smv__truststore *ts, const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return 0;
  char line[128];
  size_t off = 0, begin = 0;
  int in_cert = 0, line_start = 1, count = 0, err = 0;
  unsigned char *b64 = NULL, *der = NULL;
  size_t b64_len = 0, b64_cap = 0, der_cap = 0;
  while (fgets(line, sizeof(line), f)) {
    size_t l = strlen(line);
    int starts = line_start;
    line_start = l > 0 && line[l - 1] == '\n';
    size_t here = off;
    off += l;
    if (!starts) continue; /* the tail of an over-long line: never part of a PEM block we keep */
    if (!in_cert) {
      if (strncmp(line, "-----BEGIN CERTIFICATE-----", 27) == 0) {
        in_cert = 1;
        begin = here;
        b64_len = 0;
      }
      continue;
    }
    if (strncmp(line, "-----END CERTIFICATE-----", 25) == 0) {
      in_cert = 0;
      if (b64_len == 0 || off - begin > SMV__TS_MAX_PEM) continue;
      size_t need = SMV__BASE64_DECODED_MAX(b64_len);
      if (need > der_cap) {
        smv__free(ts->a, der);
        der_cap = 0;
        if (!(der = smv__malloc(ts->a, need))) { err = SMV_ERR_NOMEM; break; }
        der_cap = need;
      }
      long dlen = smv__base64_decode((const char *)b64, b64_len, der, der_cap);
      const unsigned char *subj;
      size_t slen;
      if (dlen <= 0 || der_subject(der, (size_t)dlen, &subj, &slen) != 0) continue;
      if ((err = add_entry(ts, name_hash(subj, slen), begin, off - begin)) != 0) break;
      count++;
      continue;
    }
    while (l > 0 && (line[l - 1] == '\n' || line[l - 1] == '\r' || line[l - 1] == ' ')) l--;
    if (b64_len + l > b64_cap) {
      size_t nc = b64_cap ? b64_cap * 2 : 2048;
      while (nc < b64_len + l) nc *= 2;
      if (nc > 4 * SMV__TS_MAX_PEM) { in_cert = 0; continue; }
      unsigned char *nb = smv__realloc(ts->a, b64, nc);
      if (!nb) { err = SMV_ERR_NOMEM; break; }
      b64 = nb;
      b64_cap = nc;
    }
    memcpy(b64 + b64_len, line, l);
    b64_len += l;
  }
  fclose(f);
  smv__free(ts->a, b64);
  smv__free(ts->a, der);
  return err ? err : count;
}

static int index_one(smv__truststore *ts, const char *name, const char *path) {
  int rc = add_name(ts, name);
  if (rc) return rc;
  rc = index_file(ts, path);
  if (rc <= 0) drop_last_name(ts);
  return rc < 0 ? rc : 0;
}

typedef struct smv__ts_id { dev_t dev; ino_t ino; } smv__ts_id;

static int index_dir(smv__truststore *ts, const char *dir) {
  DIR *d = opendir(dir);
  if (!d) return 0;
  smv__ts_id *seen = NULL;
  size_t nseen = 0, capseen = 0;
  int rc = 0;
  char path[4096];
  struct dirent *de;
  while ((de = readdir(d)) != NULL) {
    if (de->d_name[0] == '.') continue;
    int w = snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
    if (w < 0 || (size_t)w >= sizeof(path)) continue;
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) continue;
    /* Hash links and the file they name are one root: index each file once. */
    int dup = 0;
    for (size_t i = 0; i < nseen && !dup; i++)
      dup = seen[i].dev == st.st_dev && seen[i].ino == st.st_ino;
    if (dup) continue;
    if (nseen == capseen) {
      size_t nc = capseen ? capseen * 2 : 64;
      smv__ts_id *ns = smv__realloc(ts->a, seen, nc * sizeof(*ns));
      if (!ns) { rc = SMV_ERR_NOMEM; break; }
      seen = ns;
      capseen = nc;
    }
    seen[nseen].dev = st.st_dev;
    seen[nseen].ino = st.st_ino;
    nseen++;
    if ((rc = index_one(ts, de->d_name, path)) != 0) break;
  }
  closedir(d);
  smv__free(ts->a, seen);
  return rc;
}

int smv__truststore_new(smv__alloc *a, const char *file, const char *dir, smv__truststore **out) {
  *out = NULL;
  smv__truststore *ts = smv__calloc(a, 1, sizeof(*ts));
  if (!ts) return SMV_ERR_NOMEM;
  ts->a = a;
  int rc;
  if (file) {
    ts->dir = smv__strdup(a, "");
    rc = ts->dir ? index_one(ts, file, file) : SMV_ERR_NOMEM;
  } else {
    if (!dir) dir = SMV__TS_DEFAULT_DIR;
    ts->dir = smv__malloc(a, strlen(dir) + 2);
    if (!ts->dir) {
      rc = SMV_ERR_NOMEM;
    } else {
      memcpy(ts->dir, dir, strlen(dir));
      memcpy(ts->dir + strlen(dir), "/", 2);
      char path[4096];
      int w = snprintf(path, sizeof(path), "%s/%s", dir, SMV__TS_BUNDLE);
      struct stat st;
      if (w > 0 && (size_t)w < sizeof(path) && stat(path, &st) == 0 && S_ISREG(st.st_mode))
        rc = index_one(ts, SMV__TS_BUNDLE, path);
      else
        rc = 0;
      if (rc == 0 && ts->n == 0) rc = index_dir(ts, dir);
    }
  }
  if (rc == 0 && ts->n == 0) rc = SMV_ERR_TLS_CACERT;
  if (rc != 0) {
    smv__truststore_free(ts);
    return rc;
  }
  /* Give back the slack of the doubling growth: the index lives as long as the client. */
  smv__ts_entry *fit = smv__realloc(a, ts->e, ts->n * sizeof(*fit));
  if (fit) { ts->e = fit; ts->cap = ts->n; }
  char *nfit = smv__realloc(a, ts->names, ts->names_len);
  if (nfit) { ts->names = nfit; ts->names_cap = ts->names_len; }
  uint32_t *ofit = smv__realloc(a, ts->name_off, ts->nfiles * sizeof(*ofit));
  if (ofit) { ts->name_off = ofit; ts->files_cap = ts->nfiles; }
  *out = ts;
  return 0;
}

size_t smv__truststore_count(const smv__truststore *ts) { return ts ? ts->n : 0; }

size_t smv__truststore_bytes(const smv__truststore *ts) {
  if (!ts) return 0;
  return sizeof(*ts) + strlen(ts->dir) + 1 + ts->cap * sizeof(*ts->e) + ts->names_cap +
         ts->files_cap * sizeof(*ts->name_off);
}

size_t smv__truststore_loads(const smv__truststore *ts) { return ts ? ts->loads : 0; }

/* ---- The CA callback ----------------------------------------------------------------------------- */
static int load_entry(smv__truststore *ts, const smv__ts_entry *e, mbedtls_x509_crt *chain) {
  char path[4096];
  const char *name = ts->names + ts->name_off[e->file];
  int w = snprintf(path, sizeof(path), "%s%s", ts->dir, name);
  if (w < 0 || (size_t)w >= sizeof(path)) return -1;
  FILE *f = fopen(path, "rb");
  if (!f) return -1;
  /* The block's text, then its base64 body with the line ends taken out, then the DER: all in one
   * buffer, each shorter than the one before. */
  unsigned char *buf = smv__malloc(ts->a, (size_t)e->len + 1);
  int rc = -1;
  if (buf && fseek(f, (long)e->off, SEEK_SET) == 0 && fread(buf, 1, e->len, f) == e->len) {
    buf[e->len] = '\0';
    char *body = strchr((char *)buf, '\n'); /* after the BEGIN line */
    char *end = body ? strstr(body, "-----END CERTIFICATE-----") : NULL;
    size_t n = 0;
    for (char *p = body; end && p < end; p++)
      if (*p != '\n' && *p != '\r' && *p != ' ' && *p != '\t') buf[n++] = (unsigned char)*p;
    long dlen = end ? smv__base64_decode((const char *)buf, n, buf, n) : -1;
    if (dlen > 0) rc = mbedtls_x509_crt_parse_der(chain, buf, (size_t)dlen);
    if (rc == 0) ts->loads++;
  }
  fclose(f);
  smv__free(ts->a, buf);
  return rc;
}

int smv__truststore_ca_cb(void *p_ctx, const mbedtls_x509_crt *child, mbedtls_x509_crt **candidates) {
  smv__truststore *ts = p_ctx;
  *candidates = NULL;
  uint64_t h = name_hash(child->issuer_raw.p, child->issuer_raw.len);
  mbedtls_x509_crt *chain = NULL;
  for (size_t i = 0; i < ts->n; i++) {
    if (ts->e[i].subject != h) continue;
    if (!chain) {
      /* mbedTLS releases the result with mbedtls_x509_crt_free + mbedtls_free. */
      chain = mbedtls_calloc(1, sizeof(*chain));
      if (!chain) return MBEDTLS_ERR_X509_ALLOC_FAILED;
      mbedtls_x509_crt_init(chain);
    }
    (void)load_entry(ts, &ts->e[i], chain); /* a root that vanished or rotted is just not a candidate */
  }
  if (chain && chain->raw.p == NULL) { /* every match failed to load */
    mbedtls_x509_crt_free(chain);
    mbedtls_free(chain);
    chain = NULL;
  }
  *candidates = chain;
  return 0;
}

void smv__truststore_free(smv__truststore *ts) {
  if (!ts) return;
  smv__free(ts->a, ts->dir);
  smv__free(ts->a, ts->e);
  smv__free(ts->a, ts->names);
  smv__free(ts->a, ts->name_off);
  smv__free(ts->a, ts);
}
