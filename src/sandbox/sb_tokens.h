/* The pending verifications, keyed by token: an open-addressing hash table, because a benchmark keeps
 * hundreds of thousands alive for their TTL and every device request looks one up. A token leaves
 * the table the moment it is used (single use) or expires. The CAMARA side (sb_camara) keeps its
 * codes, access tokens, pending authorizations and assertion ids in a table of its own of the same
 * kind: its ids are longer (256-bit, RFC 6749 10.10) and its records hang off `ext`. */
#ifndef SMV_SANDBOX_SB_TOKENS_H
#define SMV_SANDBOX_SB_TOKENS_H

#include <stddef.h>
#include <stdint.h>

#include "sandbox/sb_config.h"

typedef enum smv__sb_tok_state {
  SMV__SB_TOK_FREE = 0,
  SMV__SB_TOK_DELETED,          /* tombstone: keeps probe chains intact */
  SMV__SB_TOK_PENDING,          /* waiting for the device at deviceRedirectUrl */
  SMV__SB_TOK_AT_OPERATOR,      /* the device was sent through header enrichment */
  SMV__SB_TOK_DONE              /* zero-rated: the device came, the result waits for the backend */
} smv__sb_tok_state;

#define SMV__SB_TOKEN_ID_MAX 48       /* id bytes with the NUL: a UUID (36) or 43 base64url digits */

typedef struct smv__sb_token {
  char id[SMV__SB_TOKEN_ID_MAX];  /* UUID text, or the CAMARA table's base64url ids */
  smv__sb_tok_state state;
  unsigned char kind;           /* what the entry is, in the owner's own enumeration (0 at insert) */
  char result[24];              /* zero-rated: "VALID", "INVALID" or "ERROR-<id>" once DONE */
  size_t sub;                   /* subscriber index */
  char *callback_url;           /* as given, placeholders unreplaced (malloc) */
  char *return_url;             /* NULL: none (malloc) */
  uint64_t expires_ms;
  smv__sb_addr seen_ip;         /* what the device endpoint saw */
  uint16_t seen_port;
  void *ext;                    /* the owner's record (malloc), freed with the entry */
} smv__sb_token;

typedef struct smv__sb_tokens {
  smv__sb_token *slots;
  size_t cap;                   /* a power of two */
  size_t count;                 /* live tokens */
  size_t used;                  /* live + tombstones */
} smv__sb_tokens;

int smv__sb_tokens_init(smv__sb_tokens *t);
/* The same with cap slots to start with (a power of two, at least 16); the table grows as needed. */
int smv__sb_tokens_init_cap(smv__sb_tokens *t, size_t cap);
void smv__sb_tokens_free(smv__sb_tokens *t);
/* A new entry for id (which must not be present), state PENDING, strings NULL. Pointers to entries
 * are invalidated by the next insert. NULL on no memory. */
smv__sb_token *smv__sb_tokens_insert(smv__sb_tokens *t, const char *id);
smv__sb_token *smv__sb_tokens_find(smv__sb_tokens *t, const char *id);
/* Frees the entry's strings and leaves a tombstone. */
void smv__sb_tokens_remove(smv__sb_tokens *t, smv__sb_token *tok);

/* 1 when s is a UUID in lower-case canonical text (8-4-4-4-12 hex). */
int smv__sb_is_uuid(const char *s, size_t len);
/* Formats 16 random bytes as a version-4 UUID (sets the version and variant bits). */
void smv__sb_uuid4(const unsigned char rnd[16], char out[37]);

#endif
