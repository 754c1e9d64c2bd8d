/* The sandbox's configuration: listeners, credentials, subscribers, operators, faults, limits.
 * Parsed from one JSON document (docs/sandbox.md documents every key); the defaults are the
 * no-file sandbox: 127.0.0.1, user "sandbox" / password "sandbox-secret", one subscriber 41793026727
 * reachable from 127.0.0.1 through an IP/port-matching operator. Parsing does no I/O: the caller
 * reads the file. */
#ifndef SMV_SANDBOX_SB_CONFIG_H
#define SMV_SANDBOX_SB_CONFIG_H

#include <stddef.h>
#include <mbedtls/pk.h>
#include <stdint.h>

#define SMV__SB_DEFAULT_USER "sandbox"
#define SMV__SB_DEFAULT_PASSWORD "sandbox-secret"
#define SMV__SB_DEFAULT_MSISDN "41793026727"
#define SMV__SB_DEFAULT_CLIENT_ID "sandbox-client"
#define SMV__SB_DEFAULT_CLIENT_SECRET "sandbox-client-secret"
#define SMV__SB_DEFAULT_REDIRECT_URI "myapp://camara/callback"
#define SMV__SB_DEFAULT_MSISDN_HEADER "X-MSISDN"

#define SMV__SB_MAX_PROXIES 16        /* trusted_proxies per operator */
#define SMV__SB_MAX_RANGES 32         /* ip_ranges per operator */
#define SMV__SB_MAX_REDIRECT_URIS 8   /* per CAMARA client */
#define SMV__SB_MAX_CLIENTS 64

/* CAMARA Number Verification scopes (the OpenAPI's security requirements) and openid. */
#define SMV__SB_SCOPE_OPENID 1u
#define SMV__SB_SCOPE_VERIFY 2u       /* number-verification:verify */
#define SMV__SB_SCOPE_SHARE 4u        /* number-verification:device-phone-number:read */
#define SMV__SB_SCOPE_ALL 7u

typedef enum smv__sb_profile {
  SMV__SB_PROFILE_IP_PORT = 0,        /* match public IP and port against CGNAT records */
  SMV__SB_PROFILE_HEADER_ENRICHMENT   /* send the device through the operator's HTTP endpoint */
} smv__sb_profile;

/* An address: IPv4 (family 4) or IPv6 (family 6), network byte order. */
typedef struct smv__sb_addr {
  int family;                  /* 0: none */
  unsigned char b[16];
} smv__sb_addr;

typedef struct smv__sb_prefix {
  smv__sb_addr addr;
  unsigned len;                /* prefix bits */
} smv__sb_prefix;

typedef struct smv__sb_operator {
  char name[32];
  smv__sb_profile profile;
  smv__sb_addr public_ipv4;    /* the CGNAT's public address (ports are per subscriber) */
  unsigned char hmac_key[32];  /* signs header-enrichment assertions */
  size_t hmac_key_len;         /* 0: a random key is drawn at start */
  unsigned latency_ms;         /* fault: the operator answers this late */
  int down;                    /* fault: the operator does not answer (ERROR-1030) */
  /* The operator's own address space: a device that reaches the service from outside it is not on
   * this operator's network (ERROR-306). Configured, or for ip_port operators derived from
   * public_ipv4 and the subscribers' addresses; none: no check. */
  smv__sb_prefix ranges[SMV__SB_MAX_RANGES];
  size_t range_count;
  int ranges_configured;
  /* Header enrichment through a real proxy: with trusted proxies, the enrichment endpoint believes
   * the MSISDN in msisdn_header, and only from these peers. */
  smv__sb_addr trusted_proxies[SMV__SB_MAX_PROXIES];
  size_t trusted_count;
  char msisdn_header[64];      /* "X-MSISDN" */
} smv__sb_operator;


/* A registered OAuth client of the CAMARA authorization server. */
typedef struct smv__sb_client {
  char client_id[128];
  char client_secret[128];     /* "": no secret (client_secret_basic/_post refused) */
  char *redirect_uris[SMV__SB_MAX_REDIRECT_URIS];  /* malloc, exact strings */
  size_t redirect_count;
  mbedtls_pk_context *public_key;  /* private_key_jwt; NULL: none (malloc'd context) */
  int key_alg;                 /* SMV__SB_JWS_ES256 or _RS256, from the key */
  unsigned scopes;             /* SMV__SB_SCOPE_* the client may ask for */
  int require_pkce;            /* authorize requests without code_challenge are refused */
} smv__sb_client;

typedef struct smv__sb_subscriber {
  char msisdn[16];
  size_t op;                   /* index into operators */
  smv__sb_addr private_addr;   /* the device's own address: matched as is (no NAT, loopback labs),
                                  and what the header-enrichment proxy sees */
  smv__sb_addr ipv6_prefix;    /* the subscriber's delegated IPv6 prefix */
  unsigned ipv6_prefix_len;
  uint16_t port_lo, port_hi;   /* its port block on the operator's public IPv4 (0,0: none) */
} smv__sb_subscriber;

typedef struct smv__sb_config {
  /* listeners */
  char listen_ip[46];          /* "127.0.0.1" */
  uint16_t api_port;           /* HTTPS: service API and device endpoint; 0: a free port */
  uint16_t operator_port;      /* plain HTTP: header-enrichment endpoint; 0: a free port */
  char api_host[256];          /* host[:port] to put in URLs; "": listen_ip:api_port */
  char operator_host[256];     /* same for the operator listener */
  /* credentials */
  char user[64];
  char password[64];
  /* TLS: all empty -> generated at start */
  char cert_file[512], key_file[512], ca_file[512];
  char state_dir[512];         /* CA copy and callback journal; "": a fresh temporary directory */
  /* tokens and limits */
  uint64_t token_ttl_ms;       /* 300000 */
  size_t max_pending;          /* 100000 tokens at once; above: 503 EC_SERVICE_BUSY */
  size_t max_body_bytes;       /* 8192 for the verify request */
  unsigned max_connections;    /* 1024 */
  /* callbacks */
  unsigned callback_max_attempts;    /* 10 */
  unsigned callback_backoff_ms;      /* 250, doubled per attempt */
  unsigned callback_backoff_max_ms;  /* 5000 */
  unsigned callback_timeout_ms;      /* 5000 per attempt */
  char callback_cacert[512];         /* roots for https callbacks; "": the system store */
  /* faults */
  int always_invalid;
  int camara_consent_page;     /* the authorization endpoint wants interaction (a consent page) */
  /* CAMARA: the authorization server and the Number Verification API */
  smv__sb_client *clients;
  size_t client_count;
  uint64_t camara_code_ttl_ms;       /* 60000: authorization codes (RFC 6749 4.1.2: short) */
  unsigned camara_token_ttl_s;       /* 300 at most: access tokens */
  unsigned camara_skew_s;            /* 60: clock skew allowed on client assertions */
  unsigned camara_assertion_max_s;   /* 300: the longest exp - now a client assertion may have */
  size_t camara_max_jti;             /* 10000 assertion ids remembered at once */
  long camara_operator;              /* the operator whose network identifies devices; -1: all */
  /* data */
  smv__sb_operator *operators;
  size_t operator_count;
  smv__sb_subscriber *subscribers;
  size_t subscriber_count;
} smv__sb_config;

/* Fills the defaults (allocates the default operator and subscriber). Returns 0 or SMV_ERR_NOMEM. */
int smv__sb_config_defaults(smv__sb_config *cfg);
/* Overlays a JSON document on cfg (call after _defaults). Lists ("operators", "subscribers")
 * replace the defaults when present. On error returns SMV_ERR_INVALID_ARG and writes a message
 * naming the key into err. */
int smv__sb_config_parse(smv__sb_config *cfg, const char *json, size_t len, char *err, size_t errcap);
void smv__sb_config_free(smv__sb_config *cfg);

/* "203.0.113.10" / "2001:db8::1" -> addr. Returns 0 or -1. */
int smv__sb_addr_parse(smv__sb_addr *out, const char *s);
/* Index of the subscriber with this MSISDN, or -1. */
long smv__sb_config_find_subscriber(const smv__sb_config *cfg, const char *msisdn);
/* Index of the operator of this name, or -1. */
long smv__sb_config_find_operator(const smv__sb_config *cfg, const char *name);
/* Index of the CAMARA client with this client_id, or -1. */
long smv__sb_config_find_client(const smv__sb_config *cfg, const char *client_id);
/* A space-separated scope list (RFC 6749 3.3) -> SMV__SB_SCOPE_* bits. 0 ok; -1 an unknown scope,
 * a repeated one, an empty list or stray spaces. */
int smv__sb_scope_parse(const char *s, unsigned *bits);
/* The scope list of bits, in a fixed order. */
void smv__sb_scope_format(unsigned bits, char *out, size_t cap);
/* "2001:db8::/32", "100.64.0.0/10" -> prefix. Returns 0 or -1. */
int smv__sb_prefix_parse(const char *s, smv__sb_prefix *out);

#endif
