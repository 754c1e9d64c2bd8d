/* Certificate generation with mbedTLS's X.509 writer (see certgen.h). */
#include "server/certgen.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecp.h>
#include <mbedtls/entropy.h>
#include <mbedtls/oid.h>
#include <mbedtls/pk.h>
#include <mbedtls/rsa.h>
#include <mbedtls/x509_crt.h>

#include "io/tls.h"
#include "smv.h"

#define SMV__CG_PEM_MAX 4096

struct smv__certgen_cert {
  smv__alloc *a;
  mbedtls_pk_context key;
  char subject[160];     /* "CN=...,O=smv": the issuer name of what it signs */
  char *cert_pem;
  char *key_pem;
};

static int valid_cn(const char *cn) {
  size_t n = strlen(cn);
  if (n == 0 || n > 64) return 0;
  return strpbrk(cn, ",=+\\\"") == NULL;
}

static void gentime(int64_t t, char out[32]) {
  time_t tt = (time_t)t;
  struct tm tm;
  gmtime_r(&tt, &tm);
  if (tm.tm_year + 1900 > 9999) tm.tm_year = 9999 - 1900;
  snprintf(out, 32, "%04d%02d%02d%02d%02d%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
           tm.tm_hour, tm.tm_min, tm.tm_sec);
}

void smv__certgen_free(smv__certgen_cert *c) {
  if (!c) return;
  smv__alloc *saved = smv__alloc_enter(c->a);
  mbedtls_pk_free(&c->key);
  smv__free(c->a, c->cert_pem);
  smv__free(c->a, c->key_pem);
  smv__free(c->a, c);
  smv__alloc_leave(saved);
}

int smv__certgen_issue(smv__alloc *a, const smv__certgen_cert *issuer, const smv__certgen_opts *o,
                       smv__certgen_cert **out) {
  *out = NULL;
  if (!o || (o->dns_count && !o->dns) || (o->ip_count && !o->ips) || o->dns_count + o->ip_count > 32)
    return SMV_ERR_INVALID_ARG;
  const char *cn = o->cn ? o->cn : "smv";
  if (!valid_cn(cn)) return SMV_ERR_INVALID_ARG;
  int rc = smv__tls_global_init();
  if (rc) return rc;

  /* SAN list: nodes and the binary addresses live on the stack for the duration of the write. */
  mbedtls_x509_san_list san[32];
  unsigned char ipbin[32][16];
  size_t nsan = 0;
  memset(san, 0, sizeof(san));
  for (size_t i = 0; i < o->dns_count; i++, nsan++) {
    san[nsan].node.type = MBEDTLS_X509_SAN_DNS_NAME;
    san[nsan].node.san.unstructured_name.p = (unsigned char *)(uintptr_t)o->dns[i];
    san[nsan].node.san.unstructured_name.len = strlen(o->dns[i]);
  }
  for (size_t i = 0; i < o->ip_count; i++, nsan++) {
    size_t len = 4;
    if (inet_pton(AF_INET, o->ips[i], ipbin[nsan]) != 1) {
      if (inet_pton(AF_INET6, o->ips[i], ipbin[nsan]) != 1) return SMV_ERR_INVALID_ARG;
      len = 16;
    }
    san[nsan].node.type = MBEDTLS_X509_SAN_IP_ADDRESS;
    san[nsan].node.san.unstructured_name.p = ipbin[nsan];
    san[nsan].node.san.unstructured_name.len = len;
  }
  for (size_t i = 0; i + 1 < nsan; i++) san[i].next = &san[i + 1];

  smv__alloc *saved = smv__alloc_enter(a);
  mbedtls_entropy_context entropy;
  mbedtls_ctr_drbg_context drbg;
  mbedtls_x509write_cert w;
  mbedtls_entropy_init(&entropy);
  mbedtls_ctr_drbg_init(&drbg);
  mbedtls_x509write_crt_init(&w);
  unsigned char *buf = NULL;
  smv__certgen_cert *c = smv__calloc(a, 1, sizeof(*c));
  rc = SMV_ERR_NOMEM;
  if (!c) goto done;
  c->a = a;
  mbedtls_pk_init(&c->key);
  snprintf(c->subject, sizeof(c->subject), "CN=%s,O=smv", cn);
  buf = smv__malloc(a, SMV__CG_PEM_MAX);
  if (!buf) goto done;

  rc = SMV_ERR_INTERNAL;
  static const char pers[] = "smv certgen";
  if (mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &entropy, (const unsigned char *)pers,
                            sizeof(pers) - 1) != 0)
    goto done;
  if (o->rsa_bits) {
#if defined(MBEDTLS_GENPRIME)
    if (o->rsa_bits < 1024 || o->rsa_bits > 4096) { rc = SMV_ERR_INVALID_ARG; goto done; }
    if (mbedtls_pk_setup(&c->key, mbedtls_pk_info_from_type(MBEDTLS_PK_RSA)) != 0 ||
        mbedtls_rsa_gen_key(mbedtls_pk_rsa(c->key), mbedtls_ctr_drbg_random, &drbg, o->rsa_bits,
                            65537) != 0)
      goto done;
#else
    rc = SMV_ERR_INVALID_ARG;
    goto done;
#endif
  } else if (mbedtls_pk_setup(&c->key, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)) != 0 ||
             mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(c->key),
                                 mbedtls_ctr_drbg_random, &drbg) != 0) {
    goto done;
  }

  int64_t nb = o->not_before ? o->not_before : (int64_t)time(NULL) - 3600;
  int64_t na = o->not_after ? o->not_after : nb + (o->is_ca ? 3650 : 30) * 86400LL;
  char nbs[32], nas[32];
  gentime(nb, nbs);
  gentime(na, nas);
  unsigned char serial[16];
  if (mbedtls_ctr_drbg_random(&drbg, serial, sizeof(serial)) != 0) goto done;
  serial[0] = (unsigned char)((serial[0] & 0x7f) | 0x40); /* positive, full length */

  mbedtls_x509write_crt_set_version(&w, MBEDTLS_X509_CRT_VERSION_3);
  mbedtls_x509write_crt_set_md_alg(&w, o->sha1 ? MBEDTLS_MD_SHA1 : MBEDTLS_MD_SHA256);
  mbedtls_x509write_crt_set_subject_key(&w, &c->key);
  mbedtls_x509write_crt_set_issuer_key(&w, issuer ? (mbedtls_pk_context *)(uintptr_t)&issuer->key
                                                  : &c->key);
  unsigned int ku = o->is_ca ? MBEDTLS_X509_KU_KEY_CERT_SIGN | MBEDTLS_X509_KU_CRL_SIGN
                             : MBEDTLS_X509_KU_DIGITAL_SIGNATURE |
                                   (o->rsa_bits ? MBEDTLS_X509_KU_KEY_ENCIPHERMENT : 0);
  if (mbedtls_x509write_crt_set_subject_name(&w, c->subject) != 0 ||
      mbedtls_x509write_crt_set_issuer_name(&w, issuer ? issuer->subject : c->subject) != 0 ||
      mbedtls_x509write_crt_set_serial_raw(&w, serial, sizeof(serial)) != 0 ||
      mbedtls_x509write_crt_set_validity(&w, nbs, nas) != 0 ||
      mbedtls_x509write_crt_set_basic_constraints(&w, o->is_ca, -1) != 0 ||
      mbedtls_x509write_crt_set_subject_key_identifier(&w) != 0 ||
      mbedtls_x509write_crt_set_authority_key_identifier(&w) != 0 ||
      mbedtls_x509write_crt_set_key_usage(&w, ku) != 0)
    goto done;
  if (!o->is_ca) {
    mbedtls_asn1_sequence eku = {
      {MBEDTLS_ASN1_OID, MBEDTLS_OID_SIZE(MBEDTLS_OID_SERVER_AUTH),
       (unsigned char *)(uintptr_t)MBEDTLS_OID_SERVER_AUTH},
      NULL};
    if (mbedtls_x509write_crt_set_ext_key_usage(&w, &eku) != 0) goto done;
  }
  if (nsan && mbedtls_x509write_crt_set_subject_alternative_name(&w, san) != 0) goto done;

  if (mbedtls_x509write_crt_pem(&w, buf, SMV__CG_PEM_MAX, mbedtls_ctr_drbg_random, &drbg) != 0)
    goto done;
  rc = SMV_ERR_NOMEM;
  if (!(c->cert_pem = smv__strdup(a, (const char *)buf))) goto done;
  rc = SMV_ERR_INTERNAL;
  if (mbedtls_pk_write_key_pem(&c->key, buf, SMV__CG_PEM_MAX) != 0) goto done;
  rc = SMV_ERR_NOMEM;
  if (!(c->key_pem = smv__strdup(a, (const char *)buf))) goto done;
  rc = 0;
done:
  mbedtls_x509write_crt_free(&w);
  mbedtls_ctr_drbg_free(&drbg);
  mbedtls_entropy_free(&entropy);
  if (buf) {
    memset(buf, 0, SMV__CG_PEM_MAX); /* it held the private key */
    smv__free(a, buf);
  }
  smv__alloc_leave(saved);
  if (rc != 0) {
    smv__certgen_free(c);
    return rc;
  }
  *out = c;
  return 0;
}

int smv__certgen_ca(smv__alloc *a, const char *cn, smv__certgen_cert **out) {
  smv__certgen_opts o = {0};
  o.cn = cn;
  o.is_ca = 1;
  return smv__certgen_issue(a, NULL, &o, out);
}

int smv__certgen_server(smv__alloc *a, const smv__certgen_cert *ca, const char *const *dns,
                        size_t dns_count, const char *const *ips, size_t ip_count,
                        smv__certgen_cert **out) {
  smv__certgen_opts o = {0};
  o.cn = dns_count ? dns[0] : ip_count ? ips[0] : "smv";
  if (!valid_cn(o.cn)) o.cn = "smv";
  o.dns = dns;
  o.dns_count = dns_count;
  o.ips = ips;
  o.ip_count = ip_count;
  return smv__certgen_issue(a, ca, &o, out);
}

const char *smv__certgen_cert_pem(const smv__certgen_cert *c) { return c->cert_pem; }
const char *smv__certgen_key_pem(const smv__certgen_cert *c) { return c->key_pem; }

int smv__certgen_write_file(const char *path, const char *pem) {
  char tmp[4096];
  int w = snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
  if (w < 0 || (size_t)w >= sizeof(tmp)) return SMV_ERR_IO;
  FILE *f = fopen(tmp, "wb");
  if (!f) return SMV_ERR_IO;
  size_t n = strlen(pem);
  int ok = fwrite(pem, 1, n, f) == n;
  ok = (fclose(f) == 0) && ok;
  if (!ok || rename(tmp, path) != 0) {
    remove(tmp);
    return SMV_ERR_IO;
  }
  return 0;
}
