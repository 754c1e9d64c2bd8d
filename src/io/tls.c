/* The socket-free TLS engine on mbedTLS 3.6 (see tls.h). mbedTLS talks to two small buffers owned by
 * the engine through its BIO callbacks; the driver moves the bytes between them and the socket.
 * Every entry point runs with the conf's allocator installed as the current one, because mbedTLS has
 * one process-wide allocator hook and a block must be freed to the allocator it came from. */
#include "io/tls.h"

#include <pthread.h>
#include <stdio.h>
#include <arpa/inet.h>
#include <string.h>
#include <strings.h>

#include <mbedtls/platform.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/psa_util.h>
#include <mbedtls/sha256.h>
#include <mbedtls/ssl.h>
#if defined(MBEDTLS_SSL_SRV_C) && defined(MBEDTLS_SSL_TICKET_C) && defined(MBEDTLS_SSL_CACHE_C)
#define SMV__TLS_SERVER 1 /* the footprint configuration (client only) leaves the server side out */
#include <mbedtls/ssl_cache.h>
#include <mbedtls/ssl_ticket.h>
#endif
#include <mbedtls/oid.h>
#include <mbedtls/x509_crt.h>
#include <psa/crypto.h>

#include "io/tls_session_cache.h"
#include "io/truststore.h"
#include "smv.h"

#define SMV__TLS_IN_CAP 1024u /* ciphertext staging (socket reads land here); mbedTLS reassembles */
#define SMV__TLS_OUT_MAX (64u << 10) /* a flight larger than this is written in several pieces */
#define SMV__TLS_DEFAULT_CACHE 8

typedef struct smv__tls_pin {
  char *host;
  uint8_t sha256[32];
} smv__tls_pin;

struct smv__tls_conf {
  smv__alloc *a;
  int server;
  mbedtls_ssl_config ssl;
  /* client */
  smv__truststore *ts;
  smv__tls_session_cache *cache; /* NULL when resumption is off */
  mbedtls_ssl_config *psk_only;  /* resume_without_ecdhe: ssl, offering nothing but psk_ke */
  smv__tls_pin *pins;
  size_t npins;
#ifdef SMV__TLS_SERVER
  mbedtls_x509_crt cert;
  mbedtls_pk_context key;
  mbedtls_ssl_ticket_context ticket;
  mbedtls_ssl_cache_context scache;
#endif
};

struct smv__tls {
  smv__tls_conf *c;
  mbedtls_ssl_context ssl;
  uint8_t *in;
  size_t in_off, in_len;
  uint8_t *out;
  size_t out_len, out_cap;
  int out_lent;          /* the driver holds a pointer into out: do not move it */
  char *key;             /* "host:port" (client) */
  size_t host_len;       /* key[0..host_len) is the host */
  uint8_t ip[16];        /* an IP literal host, in network order: only an iPAddress SAN may match it */
  size_t ip_len;         /* 4 or 16; 0 for a DNS name */
  int done;
  int resumed;
  int psk_only;          /* offered its ticket with psk_ke alone (no key share, no full fallback) */
  int retry_full;        /* that offer failed: the ticket is dropped, a fresh connection may retry */
  int verify_called;     /* a full handshake always verifies a chain; a resumed one never does */
  int pin_match, pin_failed, not_ca;
  uint32_t flags;
  int last_mbedtls;
  unsigned long fail_mark; /* the allocator's failure count when the current call began */
};

/* ---- Process-wide setup -------------------------------------------------------------------------- */
static void *hook_calloc(size_t n, size_t size) { return smv__calloc(smv__alloc_current(), n, size); }
static void hook_free(void *p) { smv__free(smv__alloc_current(), p); }

static pthread_once_t smv__tls_once = PTHREAD_ONCE_INIT;
static int smv__tls_init_rc = 0;

static void global_init_once(void) {
  mbedtls_platform_set_calloc_free(hook_calloc, hook_free);
  /* PSA's global state outlives every client: charge it to the default allocator. */
  smv__alloc *saved = smv__alloc_enter(NULL);
  if (psa_crypto_init() != PSA_SUCCESS) smv__tls_init_rc = SMV_ERR_TLS_HANDSHAKE;
  smv__alloc_leave(saved);
}

int smv__tls_global_init(void) {
  pthread_once(&smv__tls_once, global_init_once);
  return smv__tls_init_rc;
}

/* The engine whose call is running: the server's ticket and cache callbacks are per conf, and this
 * is how they tell the engine that it is resuming. */
static _Thread_local smv__tls *smv__tls_running; /* per thread, like the current allocator */

#define SMV__ENTER(alloc) smv__alloc *saved_alloc_ = smv__alloc_enter(alloc)
#define SMV__LEAVE() smv__alloc_leave(saved_alloc_)

/* ---- Policy shared by both ends ------------------------------------------------------------------ */
/* ChaCha20-Poly1305 first: a connection holds two record contexts (one per direction), each about
 * 150 bytes for ChaCha20-Poly1305 against about 1.4 KiB for AES-GCM with its multiplication tables,
 * and the flow's heap budget is counted in KiB; a verification exchanges a few hundred bytes, so bulk
 * speed does not matter, and on cores without AES instructions ChaCha20 is the faster one anyway. */
static const int smv__tls_suites[] = {
  MBEDTLS_TLS1_3_CHACHA20_POLY1305_SHA256,
  MBEDTLS_TLS1_3_AES_128_GCM_SHA256,
  MBEDTLS_TLS1_3_AES_256_GCM_SHA384,
  MBEDTLS_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
  MBEDTLS_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
  MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
  MBEDTLS_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
  MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
  MBEDTLS_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
  0
};

/* P-256 first: a TLS 1.3 client sends one key share, for its first group, and mbedTLS generates a
 * P-256 key with its fixed-base comb while X25519 runs the full ladder: 9% fewer instructions for a
 * whole chain flow (valgrind callgrind, tests/bench/chain.sh's chain), on both client and server. */
static const uint16_t smv__tls_groups[] = {
  MBEDTLS_SSL_IANA_TLS_GROUP_SECP256R1, MBEDTLS_SSL_IANA_TLS_GROUP_X25519,
  MBEDTLS_SSL_IANA_TLS_GROUP_SECP384R1, MBEDTLS_SSL_IANA_TLS_GROUP_NONE
};

/* mbedTLS's default profile, spelled out so that it cannot loosen under us: SHA-2 only, RSA >= 2048,
 * the NIST curves we compile. */
static const mbedtls_x509_crt_profile smv__tls_profile = {
  MBEDTLS_X509_ID_FLAG(MBEDTLS_MD_SHA256) | MBEDTLS_X509_ID_FLAG(MBEDTLS_MD_SHA384) |
      MBEDTLS_X509_ID_FLAG(MBEDTLS_MD_SHA512),
  0xFFFFFFF, /* any public key algorithm; the key size rules below apply */
  MBEDTLS_X509_ID_FLAG(MBEDTLS_ECP_DP_SECP256R1) | MBEDTLS_X509_ID_FLAG(MBEDTLS_ECP_DP_SECP384R1),
  2048,
};

/* The part both constructors share: the conf, charged to a (the caller runs under SMV__ENTER(a)),
 * with the policy of both ends. *out is set even on failure, for conf_finish to free. */
static int conf_new(smv__alloc *a, int endpoint, smv__tls_conf **out) {
  smv__tls_conf *c = *out = smv__calloc(a, 1, sizeof(*c));
  if (!c) return SMV_ERR_NOMEM;
  c->a = a;
  c->server = endpoint == MBEDTLS_SSL_IS_SERVER;
  int rc = smv__tls_global_init();
  if (rc) return rc;
  mbedtls_ssl_config_init(&c->ssl);
  if (mbedtls_ssl_config_defaults(&c->ssl, endpoint, MBEDTLS_SSL_TRANSPORT_STREAM,
                                  MBEDTLS_SSL_PRESET_DEFAULT) != 0)
    return SMV_ERR_INTERNAL;
  /* PSA's generator, which TLS 1.3 key shares use anyway: a DRBG and an entropy pool of our own
   * per conf would cost 1.8 KiB of every client's heap for nothing. */
  mbedtls_ssl_conf_rng(&c->ssl, mbedtls_psa_get_random, MBEDTLS_PSA_RANDOM_STATE);
  mbedtls_ssl_conf_min_tls_version(&c->ssl, MBEDTLS_SSL_VERSION_TLS1_2);
  mbedtls_ssl_conf_max_tls_version(&c->ssl, MBEDTLS_SSL_VERSION_TLS1_3);
  mbedtls_ssl_conf_ciphersuites(&c->ssl, smv__tls_suites);
  mbedtls_ssl_conf_groups(&c->ssl, smv__tls_groups);
  mbedtls_ssl_conf_cert_profile(&c->ssl, &smv__tls_profile);
  return 0;
}

/* The end of both constructors: a refused allocation anywhere is reported as NOMEM (mbedTLS names
 * it many ways), and a conf that failed is freed. */
static int conf_finish(smv__alloc *a, unsigned long fail_mark, int rc, smv__tls_conf *c,
                       smv__tls_conf **out) {
  if (rc != 0 && a->failures != fail_mark) rc = SMV_ERR_NOMEM;
  if (rc != 0) {
    smv__tls_conf_free(c);
    return rc;
  }
  *out = c;
  return 0;
}

int smv__tls_conf_client_new(smv__alloc *a, const smv__tls_client_opts *o, smv__tls_conf **out) {
  *out = NULL;
  smv__tls_client_opts none = {0};
  if (!o) o = &none;
  unsigned long fail_mark = a->failures;
  SMV__ENTER(a);
  smv__tls_conf *c;
  int rc = conf_new(a, MBEDTLS_SSL_IS_CLIENT, &c);
  if (rc) goto done;
  if ((rc = smv__truststore_new(a, o->cacert_file, o->ca_dir, &c->ts)) != 0) goto done;
  mbedtls_ssl_conf_authmode(&c->ssl, MBEDTLS_SSL_VERIFY_REQUIRED);
  mbedtls_ssl_conf_ca_cb(&c->ssl, smv__truststore_ca_cb, c->ts);
  if (o->disable_resumption) {
    mbedtls_ssl_conf_session_tickets(&c->ssl, MBEDTLS_SSL_SESSION_TICKETS_DISABLED);
    mbedtls_ssl_conf_tls13_enable_signal_new_session_tickets(
        &c->ssl, MBEDTLS_SSL_TLS1_3_SIGNAL_NEW_SESSION_TICKETS_DISABLED);
  } else {
    mbedtls_ssl_conf_session_tickets(&c->ssl, MBEDTLS_SSL_SESSION_TICKETS_ENABLED);
    /* Off by default in 3.6 (compatibility with 3.5 callers); without it TLS 1.3 never resumes. */
    mbedtls_ssl_conf_tls13_enable_signal_new_session_tickets(
        &c->ssl, MBEDTLS_SSL_TLS1_3_SIGNAL_NEW_SESSION_TICKETS_ENABLED);
    /* How a ticket may be used later is fixed when it is issued, by the modes this handshake
     * offers: psk_dhe_ke (forward secret) by default, psk_ke when asked for. */
    mbedtls_ssl_conf_tls13_key_exchange_modes(
        &c->ssl, MBEDTLS_SSL_TLS1_3_KEY_EXCHANGE_MODE_EPHEMERAL |
                     (o->resume_without_ecdhe ? MBEDTLS_SSL_TLS1_3_KEY_EXCHANGE_MODE_PSK
                                              : MBEDTLS_SSL_TLS1_3_KEY_EXCHANGE_MODE_PSK_EPHEMERAL));
    size_t n = o->session_cache_size ? o->session_cache_size : SMV__TLS_DEFAULT_CACHE;
    c->cache = smv__tls_session_cache_new(a, n);
    if (!c->cache) { rc = SMV_ERR_NOMEM; goto done; }
    if (o->resume_without_ecdhe) {
      /* Servers (mbedTLS's among them) rank a full handshake above psk_ke, so a ClientHello that
       * carries a key share is never resumed without ECDHE. Resuming connections therefore use a
       * copy of the configuration that offers psk_ke alone; it shares every pointer with ssl and
       * owns nothing, so it is freed without mbedtls_ssl_config_free. */
      c->psk_only = smv__malloc(a, sizeof(*c->psk_only));
      if (!c->psk_only) { rc = SMV_ERR_NOMEM; goto done; }
      memcpy(c->psk_only, &c->ssl, sizeof(c->ssl));
      mbedtls_ssl_conf_tls13_key_exchange_modes(c->psk_only, MBEDTLS_SSL_TLS1_3_KEY_EXCHANGE_MODE_PSK);
    }
  }
  rc = 0;
done:
  SMV__LEAVE();
  return conf_finish(a, fail_mark, rc, c, out);
}

#ifdef SMV__TLS_SERVER
/* Server: note a resumption on the engine being driven, then let mbedTLS's own code do the work. */
static int srv_ticket_parse(void *p, mbedtls_ssl_session *s, unsigned char *buf, size_t len) {
  int rc = mbedtls_ssl_ticket_parse(p, s, buf, len);
  if (rc == 0 && smv__tls_running) smv__tls_running->resumed = 1;
  return rc;
}

static int srv_cache_get(void *p, const unsigned char *id, size_t id_len, mbedtls_ssl_session *s) {
  int rc = mbedtls_ssl_cache_get(p, id, id_len, s);
  if (rc == 0 && smv__tls_running) smv__tls_running->resumed = 1;
  return rc;
}

int smv__tls_conf_server_new(smv__alloc *a, const char *cert_pem, const char *key_pem,
                             smv__tls_conf **out) {
  *out = NULL;
  unsigned long fail_mark = a->failures;
  SMV__ENTER(a);
  smv__tls_conf *c;
  int rc = conf_new(a, MBEDTLS_SSL_IS_SERVER, &c);
  if (!c) goto done;
  mbedtls_x509_crt_init(&c->cert);
  mbedtls_pk_init(&c->key);
  mbedtls_ssl_ticket_init(&c->ticket);
  mbedtls_ssl_cache_init(&c->scache);
  if (rc) goto done;
  rc = SMV_ERR_TLS_CACERT;
  if (mbedtls_x509_crt_parse(&c->cert, (const unsigned char *)cert_pem, strlen(cert_pem) + 1) != 0)
    goto done;
  if (mbedtls_pk_parse_key(&c->key, (const unsigned char *)key_pem, strlen(key_pem) + 1, NULL, 0,
                           mbedtls_psa_get_random, MBEDTLS_PSA_RANDOM_STATE) != 0)
    goto done;
  if (mbedtls_ssl_conf_own_cert(&c->ssl, &c->cert, &c->key) != 0) goto done;
  rc = SMV_ERR_INTERNAL;
  if (mbedtls_ssl_ticket_setup(&c->ticket, mbedtls_psa_get_random, MBEDTLS_PSA_RANDOM_STATE,
                               MBEDTLS_CIPHER_AES_256_GCM, 86400) != 0)
    goto done;
  mbedtls_ssl_conf_session_tickets_cb(&c->ssl, mbedtls_ssl_ticket_write, srv_ticket_parse, &c->ticket);
  mbedtls_ssl_conf_session_cache(&c->ssl, &c->scache, srv_cache_get, mbedtls_ssl_cache_set);
  rc = 0;
done:
  SMV__LEAVE();
  return conf_finish(a, fail_mark, rc, c, out);
}

int smv__tls_conf_server_forget_sessions(smv__tls_conf *c) {
  /* A new ticket key pair: rotating twice replaces both the active key and the one kept for
   * tickets issued before the last rotation. */
  unsigned char key[4 + 32]; /* name, then the AES-256 key */
  SMV__ENTER(c->a);
  int rc = 0;
  for (int i = 0; i < 2 && rc == 0; i++) {
    rc = psa_generate_random(key, sizeof(key)) == PSA_SUCCESS ? 0 : -1;
    if (rc == 0) rc = mbedtls_ssl_ticket_rotate(&c->ticket, key, 4, key + 4, 32, 86400);
  }
  mbedtls_platform_zeroize(key, sizeof(key));
  mbedtls_ssl_cache_free(&c->scache);
  mbedtls_ssl_cache_init(&c->scache);
  SMV__LEAVE();
  return rc == 0 ? 0 : SMV_ERR_INTERNAL;
}
#else
int smv__tls_conf_server_forget_sessions(smv__tls_conf *c) {
  (void)c;
  return SMV_ERR_INTERNAL;
}

int smv__tls_conf_server_new(smv__alloc *a, const char *cert_pem, const char *key_pem,
                             smv__tls_conf **out) {
  (void)a, (void)cert_pem, (void)key_pem;
  *out = NULL;
  return SMV_ERR_INTERNAL;
}
#endif

static int version_of(int v, mbedtls_ssl_protocol_version *out) {
  if (v == SMV__TLS_V12) *out = MBEDTLS_SSL_VERSION_TLS1_2;
  else if (v == SMV__TLS_V13) *out = MBEDTLS_SSL_VERSION_TLS1_3;
  else return -1;
  return 0;
}

int smv__tls_conf_set_versions(smv__tls_conf *c, int min_version, int max_version) {
  mbedtls_ssl_protocol_version lo, hi;
  if (version_of(min_version, &lo) || version_of(max_version, &hi) || lo > hi) return SMV_ERR_INVALID_ARG;
  mbedtls_ssl_conf_min_tls_version(&c->ssl, lo);
  mbedtls_ssl_conf_max_tls_version(&c->ssl, hi);
  if (c->psk_only) { /* the resuming copy follows */
    mbedtls_ssl_conf_min_tls_version(c->psk_only, lo);
    mbedtls_ssl_conf_max_tls_version(c->psk_only, hi);
  }
  return 0;
}

int smv__tls_conf_add_pin(smv__tls_conf *c, const char *host, const uint8_t sha256[32]) {
  smv__tls_pin *np = smv__realloc(c->a, c->pins, (c->npins + 1) * sizeof(*np));
  if (!np) return SMV_ERR_NOMEM;
  c->pins = np;
  char *h = smv__strdup(c->a, host);
  if (!h) return SMV_ERR_NOMEM;
  c->pins[c->npins].host = h;
  memcpy(c->pins[c->npins].sha256, sha256, 32);
  c->npins++;
  return 0;
}

static int spki_hash(mbedtls_pk_context *pk, uint8_t out[32]) {
  unsigned char buf[2048];
  int n = mbedtls_pk_write_pubkey_der(pk, buf, sizeof(buf));
  if (n <= 0) return -1;
  return mbedtls_sha256(buf + sizeof(buf) - (size_t)n, (size_t)n, out, 0) == 0 ? 0 : -1;
}

int smv__tls_spki_sha256(const char *cert_pem, uint8_t out[32]) {
  if (smv__tls_global_init() != 0) return SMV_ERR_INTERNAL;
  mbedtls_x509_crt crt;
  mbedtls_x509_crt_init(&crt);
  int rc = mbedtls_x509_crt_parse(&crt, (const unsigned char *)cert_pem, strlen(cert_pem) + 1);
  if (rc == 0) rc = spki_hash(&crt.pk, out);
  mbedtls_x509_crt_free(&crt);
  return rc == 0 ? 0 : SMV_ERR_TLS_CERT;
}

size_t smv__tls_conf_truststore_bytes(const smv__tls_conf *c) { return smv__truststore_bytes(c->ts); }

void smv__tls_conf_free(smv__tls_conf *c) {
  if (!c) return;
  SMV__ENTER(c->a);
  mbedtls_ssl_config_free(&c->ssl);
#ifdef SMV__TLS_SERVER
  if (c->server) {
    mbedtls_x509_crt_free(&c->cert);
    mbedtls_pk_free(&c->key);
    mbedtls_ssl_ticket_free(&c->ticket);
    mbedtls_ssl_cache_free(&c->scache);
  }
#endif
  smv__truststore_free(c->ts);
  smv__tls_session_cache_free(c->cache);
  smv__free(c->a, c->psk_only);
  for (size_t i = 0; i < c->npins; i++) smv__free(c->a, c->pins[i].host);
  smv__free(c->a, c->pins);
  smv__alloc *a = c->a;
  smv__free(a, c);
  SMV__LEAVE();
}

/* ---- BIO over the engine's buffers --------------------------------------------------------------- */
static int bio_send(void *ctx, const unsigned char *buf, size_t len) {
  smv__tls *t = ctx;
  if (t->out_len + len > t->out_cap) {
    if (t->out_lent) return MBEDTLS_ERR_SSL_WANT_WRITE;
    size_t nc = t->out_cap ? t->out_cap : 1024;
    while (nc < t->out_len + len) nc *= 2;
    if (nc > SMV__TLS_OUT_MAX && t->out_len > 0) return MBEDTLS_ERR_SSL_WANT_WRITE;
    uint8_t *no = smv__realloc(t->c->a, t->out, nc);
    if (!no) return MBEDTLS_ERR_SSL_ALLOC_FAILED;
    t->out = no;
    t->out_cap = nc;
  }
  memcpy(t->out + t->out_len, buf, len);
  t->out_len += len;
  return (int)len;
}

static int bio_recv(void *ctx, unsigned char *buf, size_t len) {
  smv__tls *t = ctx;
  size_t avail = t->in_len - t->in_off;
  if (avail == 0) return MBEDTLS_ERR_SSL_WANT_READ;
  if (len > avail) len = avail;
  memcpy(buf, t->in + t->in_off, len);
  t->in_off += len;
  if (t->in_off == t->in_len) t->in_off = t->in_len = 0;
  return (int)len;
}

static void in_compact(smv__tls *t) {
  if (t->in_off == 0) return;
  memmove(t->in, t->in + t->in_off, t->in_len - t->in_off);
  t->in_len -= t->in_off;
  t->in_off = 0;
}

size_t smv__tls_feed(smv__tls *t, const void *data, size_t len) {
  in_compact(t);
  size_t room = SMV__TLS_IN_CAP - t->in_len;
  if (len > room) len = room;
  memcpy(t->in + t->in_len, data, len);
  t->in_len += len;
  return len;
}

void smv__tls_in_space(smv__tls *t, uint8_t **ptr, size_t *len) {
  in_compact(t);
  *ptr = t->in + t->in_len;
  *len = SMV__TLS_IN_CAP - t->in_len;
}

void smv__tls_in_commit(smv__tls *t, size_t n) {
  if (n > SMV__TLS_IN_CAP - t->in_len) n = SMV__TLS_IN_CAP - t->in_len;
  t->in_len += n;
}

void smv__tls_pending_out(smv__tls *t, const uint8_t **ptr, size_t *len) {
  *ptr = t->out;
  *len = t->out_len;
  t->out_lent = t->out_len > 0;
}

void smv__tls_consume_out(smv__tls *t, size_t n) {
  if (n > t->out_len) n = t->out_len;
  if (n && n < t->out_len) memmove(t->out, t->out + n, t->out_len - n);
  t->out_len -= n;
  t->out_lent = 0;
  if (t->out_len == 0) {
    /* Flights and requests are far apart: an idle connection holds no staging buffer. */
    smv__free(t->c->a, t->out);
    t->out = NULL;
    t->out_cap = 0;
  }
}

/* ---- Verification -------------------------------------------------------------------------------- */
static const smv__tls_pin *pins_for(const smv__tls *t, size_t *count) {
  *count = 0;
  const smv__tls_pin *first = NULL;
  for (size_t i = 0; i < t->c->npins; i++) {
    const char *h = t->c->pins[i].host;
    if (strlen(h) == t->host_len && strncasecmp(h, t->key, t->host_len) == 0) {
      if (!first) first = &t->c->pins[i];
      (*count)++;
    }
  }
  return first;
}

/* 1 when crt carries an iPAddress SAN that is t's address. */
static int san_has_ip(const smv__tls *t, const mbedtls_x509_crt *crt) {
  for (const mbedtls_x509_sequence *s = &crt->subject_alt_names; s; s = s->next)
    if ((s->buf.tag & MBEDTLS_ASN1_TAG_VALUE_MASK) == MBEDTLS_X509_SAN_IP_ADDRESS &&
        s->buf.len == t->ip_len && memcmp(s->buf.p, t->ip, t->ip_len) == 0)
      return 1;
  return 0;
}

static int verify_cb(void *ctx, mbedtls_x509_crt *crt, int depth, uint32_t *flags) {
  smv__tls *t = ctx;
  t->verify_called = 1;
  if ((*flags & MBEDTLS_X509_BADCERT_NOT_TRUSTED) != 0) {
    /* mbedTLS skips a presented issuer that is not a CA and reports the chain as untrusted; say why. */
    for (const mbedtls_x509_crt *p = crt->next; p; p = p->next)
      if (p->subject_raw.len == crt->issuer_raw.len &&
          memcmp(p->subject_raw.p, crt->issuer_raw.p, crt->issuer_raw.len) == 0 &&
          !mbedtls_x509_crt_get_ca_istrue(p))
        t->not_ca = 1;
  }
  size_t npins;
  (void)pins_for(t, &npins);
  if (npins) {
    uint8_t h[32];
    if (spki_hash(&crt->pk, h) == 0)
      for (size_t i = 0; i < t->c->npins; i++) {
        const smv__tls_pin *p = &t->c->pins[i];
        if (strlen(p->host) == t->host_len && strncasecmp(p->host, t->key, t->host_len) == 0 &&
            memcmp(p->sha256, h, 32) == 0)
          t->pin_match = 1;
      }
    if (depth == 0 && !t->pin_match) { /* depth 0 is the last call: the whole chain has been seen */
      t->pin_failed = 1;
      *flags |= MBEDTLS_X509_BADCERT_OTHER;
    }
  }
  /* An address is vouched for only by an iPAddress SAN (RFC 9525 section 6.3, which replaced RFC
   * 6125; CA/Browser Forum BR 7.1.2.7.12), as curl, Python and browsers hold. mbedTLS also accepts
   * the address's text in a dNSName SAN, or in the subject CN when there is no SAN at all. */
  if (depth == 0 && t->ip_len && !san_has_ip(t, crt)) *flags |= MBEDTLS_X509_BADCERT_CN_MISMATCH;
  t->flags |= *flags;
  return 0;
}

static int map_verify(const smv__tls *t, uint32_t f) {
  if ((f & MBEDTLS_X509_BADCERT_NOT_TRUSTED) && t->not_ca) return SMV_ERR_TLS_CERT_NOT_CA;
  if (f & (MBEDTLS_X509_BADCERT_NOT_TRUSTED | MBEDTLS_X509_BADCERT_MISSING)) return SMV_ERR_TLS_CERT_UNTRUSTED;
  if (f & MBEDTLS_X509_BADCERT_BAD_KEY) return SMV_ERR_TLS_CERT_WEAK_KEY;
  if (f & MBEDTLS_X509_BADCERT_BAD_MD) return SMV_ERR_TLS_CERT_WEAK_HASH;
  if (f & MBEDTLS_X509_BADCERT_EXPIRED) return SMV_ERR_TLS_CERT_EXPIRED;
  if (f & MBEDTLS_X509_BADCERT_FUTURE) return SMV_ERR_TLS_CERT_FUTURE;
  if (f & MBEDTLS_X509_BADCERT_CN_MISMATCH) return SMV_ERR_TLS_CERT_HOSTNAME;
  if (t->pin_failed) return SMV_ERR_TLS_CERT_PIN;
  return SMV_ERR_TLS_CERT;
}

static int map_error(smv__tls *t, int rc) {
  t->last_mbedtls = rc;
  /* mbedTLS reports a refused allocation under many names (a parse error, a failed DRBG...). */
  if (t->c->a->failures != t->fail_mark) return SMV_ERR_NOMEM;
  switch (rc) {
  case MBEDTLS_ERR_SSL_ALLOC_FAILED:
  case MBEDTLS_ERR_X509_ALLOC_FAILED:
  case MBEDTLS_ERR_PK_ALLOC_FAILED:
    return SMV_ERR_NOMEM;
  case MBEDTLS_ERR_X509_CERT_VERIFY_FAILED: {
    uint32_t f = mbedtls_ssl_get_verify_result(&t->ssl);
    if (f == (uint32_t)-1 || f == 0) f = t->flags;
    t->flags = f;
    return map_verify(t, f);
  }
  case MBEDTLS_ERR_SSL_BAD_PROTOCOL_VERSION:
    return SMV_ERR_TLS_VERSION;
  case MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE:
    /* 3.6 has no accessor for the received alert; the record is still in in_msg. */
    if (t->ssl.MBEDTLS_PRIVATE(in_msg) &&
        t->ssl.MBEDTLS_PRIVATE(in_msg)[1] == MBEDTLS_SSL_ALERT_MSG_PROTOCOL_VERSION)
      return SMV_ERR_TLS_VERSION;
    return t->done ? SMV_ERR_TLS_ALERT : SMV_ERR_TLS_HANDSHAKE;
  default:
    if (t->pin_failed) return SMV_ERR_TLS_CERT_PIN;
    return t->done ? SMV_ERR_TLS_ALERT : SMV_ERR_TLS_HANDSHAKE;
  }
}

/* ---- Session cache (client) ---------------------------------------------------------------------- */
static void session_store(smv__tls *t) {
  if (!t->c->cache || !t->key) return;
  mbedtls_ssl_session s;
  mbedtls_ssl_session_init(&s);
  if (mbedtls_ssl_get_session(&t->ssl, &s) == 0) {
    /* A resumed handshake does not look at the certificate again: keep the cache entry small. */
    if (s.MBEDTLS_PRIVATE(peer_cert)) {
      mbedtls_x509_crt_free(s.MBEDTLS_PRIVATE(peer_cert));
      mbedtls_free(s.MBEDTLS_PRIVATE(peer_cert));
      s.MBEDTLS_PRIVATE(peer_cert) = NULL;
    }
    size_t need = 0;
    (void)mbedtls_ssl_session_save(&s, NULL, 0, &need);
    unsigned char *blob = need ? smv__malloc(t->c->a, need) : NULL;
    if (blob && mbedtls_ssl_session_save(&s, blob, need, &need) == 0)
      smv__tls_session_cache_put(t->c->cache, t->key, blob, need); /* takes blob */
    else
      smv__free(t->c->a, blob);
  }
  mbedtls_ssl_session_free(&s);
}

/* The cached session for t's host:port, loaded into s (1), or none (0). */
static int session_find(smv__tls *t, mbedtls_ssl_session *s) {
  const unsigned char *blob;
  size_t len;
  if (!t->c->cache || !smv__tls_session_cache_get(t->c->cache, t->key, &blob, &len)) return 0;
  if (mbedtls_ssl_session_load(s, blob, len) == 0) return 1;
  smv__tls_session_cache_remove(t->c->cache, t->key); /* stale: do not offer it again */
  return 0;
}

/* ---- Connections --------------------------------------------------------------------------------- */
/* An mbedTLS set-up call's failure: out of memory, or `otherwise`. */
static int setup_err(int mrc, int otherwise) {
  return mrc == MBEDTLS_ERR_SSL_ALLOC_FAILED ? SMV_ERR_NOMEM : otherwise;
}

int smv__tls_new(smv__tls_conf *c, const char *host, unsigned port, smv__tls **out) {
  *out = NULL;
  unsigned long fail_mark = c->a->failures;
  SMV__ENTER(c->a);
  int rc = SMV_ERR_NOMEM;
  mbedtls_ssl_session session;
  mbedtls_ssl_session_init(&session);
  int have_session = 0;
  smv__tls *t = smv__calloc(c->a, 1, sizeof(*t));
  if (!t) goto done;
  t->c = c;
  mbedtls_ssl_init(&t->ssl);
  t->in = smv__malloc(c->a, SMV__TLS_IN_CAP);
  if (!t->in) goto done;
  const mbedtls_ssl_config *conf = &c->ssl;
  if (!c->server) {
    rc = SMV_ERR_INVALID_ARG;
    if (!host || !*host) goto done;
    size_t hl = strlen(host);
    if (host[0] == '[' && hl > 2 && host[hl - 1] == ']') { host++; hl -= 2; } /* URL form of IPv6 */
    rc = SMV_ERR_NOMEM;
    t->key = smv__malloc(c->a, hl + 8);
    if (!t->key) goto done;
    memcpy(t->key, host, hl);
    snprintf(t->key + hl, 8, ":%u", port & 0xffffu);
    t->host_len = hl;
    have_session = session_find(t, &session);
    if (have_session && c->psk_only &&
        session.MBEDTLS_PRIVATE(tls_version) == MBEDTLS_SSL_VERSION_TLS1_3) {
      conf = c->psk_only;
      t->psk_only = 1;
    }
  }
  if ((rc = mbedtls_ssl_setup(&t->ssl, conf)) != 0) {
    rc = setup_err(rc, SMV_ERR_INTERNAL);
    goto done;
  }
  mbedtls_ssl_set_bio(&t->ssl, t, bio_send, bio_recv, NULL);
  if (!c->server) {
    char *hostname = t->key;
    char saved = hostname[t->host_len];
    hostname[t->host_len] = '\0';
    if (inet_pton(AF_INET, hostname, t->ip) == 1) t->ip_len = 4;
    else if (inet_pton(AF_INET6, hostname, t->ip) == 1) t->ip_len = 16;
    /* Sets both SNI and the name (or, for an IP literal, the address: 3.6 matches it against the
     * certificate's iPAddress SANs) that the chain must carry. */
    int mrc = mbedtls_ssl_set_hostname(&t->ssl, hostname);
    hostname[t->host_len] = saved;
    if (mrc != 0) { rc = setup_err(mrc, SMV_ERR_INVALID_ARG); goto done; }
    mbedtls_ssl_set_verify(&t->ssl, verify_cb, t);
    if (have_session && (mrc = mbedtls_ssl_set_session(&t->ssl, &session)) != 0) {
      smv__tls_session_cache_remove(c->cache, t->key); /* refused: do not offer it again */
      /* A psk_ke-only engine without its ticket cannot connect; the next attempt finds no ticket
       * and makes a full handshake. */
      rc = t->psk_only ? setup_err(mrc, SMV_ERR_INTERNAL) : 0;
      if (rc) goto done;
    }
  }
  rc = 0;
done:
  mbedtls_ssl_session_free(&session);
  SMV__LEAVE();
  if (rc != 0 && c->a->failures != fail_mark) rc = SMV_ERR_NOMEM;
  if (rc != 0 && t) {
    smv__tls_free(t);
    return rc;
  }
  *out = t;
  return rc;
}

static int is_want(int rc) {
  return rc == MBEDTLS_ERR_SSL_WANT_READ || rc == MBEDTLS_ERR_SSL_WANT_WRITE ||
         rc == MBEDTLS_ERR_SSL_ASYNC_IN_PROGRESS || rc == MBEDTLS_ERR_SSL_CRYPTO_IN_PROGRESS;
}

static void handshake_done(smv__tls *t) {
  t->done = 1;
  if (!t->c->server) {
    t->resumed = !t->verify_called;
    /* TLS 1.2 has its ticket or session ID now; TLS 1.3 tickets arrive later, through read. */
    if (mbedtls_ssl_get_version_number(&t->ssl) == MBEDTLS_SSL_VERSION_TLS1_2) session_store(t);
  }
}

/* The mbedTLS calls the engine makes, in one shape so that one loop runs them all. */
typedef int (*tls_op)(mbedtls_ssl_context *ssl, void *buf, size_t len);
static int op_handshake(mbedtls_ssl_context *ssl, void *buf, size_t len) {
  (void)buf;
  (void)len;
  return mbedtls_ssl_handshake(ssl);
}
static int op_write(mbedtls_ssl_context *ssl, void *buf, size_t len) { return mbedtls_ssl_write(ssl, buf, len); }
static int op_read(mbedtls_ssl_context *ssl, void *buf, size_t len) { return mbedtls_ssl_read(ssl, buf, len); }

/* Runs op with the conf's allocator current: session tickets are taken in passing, and a WANT_READ
 * with input still in hand is retried (on a TLS 1.3 NewSessionTicket mbedTLS first answers WANT_READ
 * with the message unprocessed, and the driver's bytes may hold more records: asking the socket now
 * could wait forever). Returns op's result, SMV__TLS_WANT_IO or an SMV_ERR_TLS_*. */
static int run(smv__tls *t, tls_op op, void *buf, size_t len) {
  if (len > 0x7fffffff) len = 0x7fffffff;
  SMV__ENTER(t->c->a);
  t->fail_mark = t->c->a->failures;
  smv__tls_running = t;
  int rc;
  for (int spins = 0;; spins++) {
    rc = op(&t->ssl, buf, len);
    if (rc == MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET) {
      session_store(t);
      continue;
    }
    if (rc == MBEDTLS_ERR_SSL_WANT_READ && spins < 16 &&
        (t->in_len > t->in_off || mbedtls_ssl_check_pending(&t->ssl)))
      continue;
    break;
  }
  if (!t->done && mbedtls_ssl_is_handshake_over(&t->ssl)) handshake_done(t);
  if (rc < 0 && rc != MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY) rc = is_want(rc) ? SMV__TLS_WANT_IO : map_error(t, rc);
  if (t->psk_only && !t->done && rc < 0 && rc != SMV__TLS_WANT_IO && rc != SMV_ERR_NOMEM && !t->retry_full) {
    /* The server would not resume with psk_ke alone (ticket unknown or expired, or a server that
     * insists on a key share): forget the ticket; the next connection makes a full handshake. */
    t->retry_full = 1;
    smv__tls_session_cache_remove(t->c->cache, t->key);
  }
  smv__tls_running = NULL;
  SMV__LEAVE();
  return rc;
}

int smv__tls_handshake(smv__tls *t) {
  if (t->done) return 0;
  int rc = run(t, op_handshake, NULL, 0);
  return rc == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY ? SMV_ERR_TLS_HANDSHAKE : rc;
}

int smv__tls_write(smv__tls *t, const void *data, size_t len) {
  int rc = run(t, op_write, (void *)(uintptr_t)data, len);
  return rc == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY ? SMV_ERR_TLS_ALERT : rc;
}

int smv__tls_read(smv__tls *t, void *buf, size_t cap) {
  int rc = run(t, op_read, buf, cap);
  return rc == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY ? 0 : rc;   /* 0: the peer closed */
}

size_t smv__tls_read_pending(const smv__tls *t) { return mbedtls_ssl_get_bytes_avail(&t->ssl); }

int smv__tls_close_notify(smv__tls *t) {
  SMV__ENTER(t->c->a);
  t->fail_mark = t->c->a->failures;
  int rc = mbedtls_ssl_close_notify(&t->ssl);
  SMV__LEAVE();
  if (rc == 0) return 0;
  return is_want(rc) ? SMV__TLS_WANT_IO : map_error(t, rc);
}

const char *smv__tls_version_name(const smv__tls *t) {
  if (!t->done) return "none";
  if (mbedtls_ssl_get_version_number(&t->ssl) == MBEDTLS_SSL_VERSION_TLS1_3)
    return t->resumed ? "tls1.3-resumed" : "tls1.3";
  return t->resumed ? "tls1.2-resumed" : "tls1.2";
}

const char *smv__tls_cipher_name(const smv__tls *t) {
  const char *s = t->done ? mbedtls_ssl_get_ciphersuite(&t->ssl) : NULL;
  return s ? s : "";
}

int smv__tls_resumed(const smv__tls *t) { return t->done && t->resumed; }

int smv__tls_retry_full(const smv__tls *t) { return t->retry_full; }
int smv__tls_last_mbedtls_error(const smv__tls *t) { return t->last_mbedtls; }
uint32_t smv__tls_verify_flags(const smv__tls *t) { return t->flags; }

void smv__tls_free(smv__tls *t) {
  if (!t) return;
  smv__alloc *a = t->c->a;
  SMV__ENTER(a);
  mbedtls_ssl_free(&t->ssl);
  smv__free(a, t->in);
  smv__free(a, t->out);
  smv__free(a, t->key);
  smv__free(a, t);
  SMV__LEAVE();
}
