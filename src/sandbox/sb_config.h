/* The sandbox's configuration: listeners, credentials, subscribers, operators, faults, limits.
 * Parsed from one JSON document (docs/sandbox.md documents every key); the defaults are the
 * no-file sandbox: 127.0.0.1, user "sandbox" / password "sandbox-secret", one subscriber 41793026727
 * reachable from 127.0.0.1 through an IP/port-matching operator. Parsing does no I/O: the caller
 * reads the file. */
#ifndef SMV_SANDBOX_SB_CONFIG_H
#define SMV_SANDBOX_SB_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#define SMV__SB_DEFAULT_USER "sandbox"
#define SMV__SB_DEFAULT_PASSWORD "sandbox-secret"
#define SMV__SB_DEFAULT_MSISDN "41793026727"

typedef enum smv__sb_profile {
  SMV__SB_PROFILE_IP_PORT = 0,        /* match public IP and port against CGNAT records */
  SMV__SB_PROFILE_HEADER_ENRICHMENT   /* send the device through the operator's HTTP endpoint */
} smv__sb_profile;

/* An address: IPv4 (family 4) or IPv6 (family 6), network byte order. */
typedef struct smv__sb_addr {
  int family;                  /* 0: none */
  unsigned char b[16];
} smv__sb_addr;

typedef struct smv__sb_operator {
  char name[32];
  smv__sb_profile profile;
  smv__sb_addr public_ipv4;    /* the CGNAT's public address (ports are per subscriber) */
  unsigned char hmac_key[32];  /* signs header-enrichment assertions */
  size_t hmac_key_len;         /* 0: a random key is drawn at start */
  unsigned latency_ms;         /* fault: the operator answers this late */
  int down;                    /* fault: the operator does not answer (ERROR-1030) */
} smv__sb_operator;

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

#endif
