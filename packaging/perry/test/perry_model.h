/*
 * perry_model.h: a model of the Perry runtime symbols the adapter uses
 * (adapter/perry_runtime.h), for testing the adapter without a Perry
 * toolchain. It is written from Perry's published sources and enforces
 * their rules instead of trusting them:
 *  - a JS value (a string) built off the main thread aborts;
 *  - a token completed twice, or off the main thread when it asked for the
 *    main thread, aborts;
 *  - an argument string reads as garbage after the next allocation (the
 *    collector may move it);
 *  - the event loop ends when no token is live.
 */
#ifndef PERRY_MODEL_H
#define PERRY_MODEL_H

#include <stdint.h>

#include "perry_runtime.h"

/* Makes the calling thread the main thread; call first. */
void model_init(void);
/* An argument string, as a compiled program passes it (main thread). */
StringHeader *model_arg(const char *s);
/* The same with explicit bytes (a Perry string may hold a NUL). */
StringHeader *model_arg_bytes(const char *s, uint32_t len);
/* Runs the event loop until no token is live (aborts after timeout_s). */
void model_run_loop(int timeout_s);
/* A promise's state: 0 pending, 1 resolved, 2 rejected; and its value, if a string. */
int model_promise_state(const Promise *p);
const char *model_promise_string(const Promise *p);
/* Live tokens. */
int64_t model_live_tokens(void);

#endif /* PERRY_MODEL_H */
