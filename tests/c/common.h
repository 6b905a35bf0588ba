/* Shared helpers of the C hosts: a blocking call wrapper over the async ABI. */
#ifndef PERRY_TEST_COMMON_H
#define PERRY_TEST_COMMON_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "perry_container.h"

/* One pending call: the callback fills it and signals. */
typedef struct {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int done;    /* times the callback fired: must end at exactly 1 */
  int32_t status;
  char *json;  /* our copy of the envelope */
} call_t;

static atomic_long g_callbacks;

static void call_init(call_t *c) {
  memset(c, 0, sizeof *c);
  pthread_mutex_init(&c->mu, NULL);
  pthread_cond_init(&c->cv, NULL);
}

/* Copies a callback's envelope (valid only during the callback); the status
 * becomes -9999 when len is not strlen(json), which the ABI promises. */
static char *envelope_copy(const char *json, size_t len, int32_t *status) {
  char *out = malloc(len + 1);
  memcpy(out, json, len);
  out[len] = 0;
  if (strlen(out) != len) *status = -9999;
  return out;
}

static void on_complete(void *ctx, int32_t status, const char *json, size_t len) {
  call_t *c = ctx;
  atomic_fetch_add(&g_callbacks, 1);
  pthread_mutex_lock(&c->mu);
  c->done++;
  c->status = status;
  free(c->json);
  c->json = envelope_copy(json, len, &c->status);
  pthread_cond_signal(&c->cv);
  pthread_mutex_unlock(&c->mu);
}

static void call_wait(call_t *c) {
  pthread_mutex_lock(&c->mu);
  while (!c->done) pthread_cond_wait(&c->cv, &c->mu);
  pthread_mutex_unlock(&c->mu);
}

static void call_free(call_t *c) {
  free(c->json);
  pthread_mutex_destroy(&c->mu);
  pthread_cond_destroy(&c->cv);
}

/* Extracts the string value of "key" from flat JSON (enough for ids). */
static char *json_str(const char *json, const char *key) {
  char pat[64];
  snprintf(pat, sizeof pat, "\"%s\":\"", key);
  const char *p = strstr(json, pat);
  if (!p) return NULL;
  p += strlen(pat);
  const char *e = strchr(p, '"');
  if (!e) return NULL;
  char *out = malloc((size_t)(e - p) + 1);
  memcpy(out, p, (size_t)(e - p));
  out[e - p] = 0;
  return out;
}

#endif
