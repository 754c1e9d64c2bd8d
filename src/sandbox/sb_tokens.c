/* Token table: linear probing over a power-of-two array, FNV-1a of the UUID text. Tombstones are
 * swept by rebuilding when live + dead pass 70 % of the slots. */
#include "sandbox/sb_tokens.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smv.h"

static uint64_t hash(const char *s) {
  uint64_t h = 1469598103934665603ull;
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
  return h;
}

int smv__sb_tokens_init_cap(smv__sb_tokens *t, size_t cap) {
  memset(t, 0, sizeof(*t));
  t->cap = cap < 16 || (cap & (cap - 1)) ? 1024 : cap;
  t->slots = calloc(t->cap, sizeof(*t->slots));
  return t->slots ? 0 : SMV_ERR_NOMEM;
}

int smv__sb_tokens_init(smv__sb_tokens *t) { return smv__sb_tokens_init_cap(t, 1024); }

static void release(smv__sb_token *tok) {
  free(tok->callback_url);
  free(tok->return_url);
  free(tok->ext);
  tok->callback_url = tok->return_url = NULL;
  tok->ext = NULL;
}

void smv__sb_tokens_free(smv__sb_tokens *t) {
  for (size_t i = 0; i < t->cap; i++)
    if (t->slots[i].state >= SMV__SB_TOK_PENDING) release(&t->slots[i]);
  free(t->slots);
  memset(t, 0, sizeof(*t));
}

static int rebuild(smv__sb_tokens *t, size_t cap) {
  smv__sb_token *slots = calloc(cap, sizeof(*slots));
  if (!slots) return -1;
  for (size_t i = 0; i < t->cap; i++) {
    if (t->slots[i].state < SMV__SB_TOK_PENDING) continue;
    size_t j = (size_t)hash(t->slots[i].id) & (cap - 1);
    while (slots[j].state != SMV__SB_TOK_FREE) j = (j + 1) & (cap - 1);
    slots[j] = t->slots[i];
  }
  free(t->slots);
  t->slots = slots;
  t->cap = cap;
  t->used = t->count;
  return 0;
}

smv__sb_token *smv__sb_tokens_insert(smv__sb_tokens *t, const char *id) {
  if (strlen(id) >= SMV__SB_TOKEN_ID_MAX) return NULL;
  if ((t->used + 1) * 10 > t->cap * 7) {
    size_t cap = (t->count + 1) * 10 > t->cap * 4 ? t->cap * 2 : t->cap;
    if (rebuild(t, cap)) return NULL;
  }
  size_t j = (size_t)hash(id) & (t->cap - 1);
  while (t->slots[j].state >= SMV__SB_TOK_PENDING) j = (j + 1) & (t->cap - 1);
  smv__sb_token *tok = &t->slots[j];
  if (tok->state == SMV__SB_TOK_FREE) t->used++;
  memset(tok, 0, sizeof(*tok));
  snprintf(tok->id, sizeof(tok->id), "%s", id);
  tok->state = SMV__SB_TOK_PENDING;
  t->count++;
  return tok;
}

smv__sb_token *smv__sb_tokens_find(smv__sb_tokens *t, const char *id) {
  size_t j = (size_t)hash(id) & (t->cap - 1);
  for (size_t n = 0; n < t->cap; n++, j = (j + 1) & (t->cap - 1)) {
    smv__sb_token *tok = &t->slots[j];
    if (tok->state == SMV__SB_TOK_FREE) return NULL;
    if (tok->state >= SMV__SB_TOK_PENDING && strcmp(tok->id, id) == 0) return tok;
  }
  return NULL;
}

void smv__sb_tokens_remove(smv__sb_tokens *t, smv__sb_token *tok) {
  release(tok);
  tok->state = SMV__SB_TOK_DELETED;
  tok->id[0] = 0;
  t->count--;
}

int smv__sb_is_uuid(const char *s, size_t len) {
  if (len != 36) return 0;
  for (size_t i = 0; i < 36; i++) {
    char c = s[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return 0;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return 0;
    }
  }
  return 1;
}

void smv__sb_uuid4(const unsigned char rnd[16], char out[37]) {
  unsigned char b[16];
  memcpy(b, rnd, 16);
  b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
  b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
  static const char hex[] = "0123456789abcdef";
  size_t o = 0;
  for (size_t i = 0; i < 16; i++) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out[o++] = '-';
    out[o++] = hex[b[i] >> 4];
    out[o++] = hex[b[i] & 15];
  }
  out[o] = 0;
}
