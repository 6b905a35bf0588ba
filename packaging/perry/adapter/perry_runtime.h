/*
 * perry_runtime.h: the few symbols of Perry's runtime (perry-runtime and
 * perry-ffi 0.5) that the adapter calls, as Perry publishes them. A Perry
 * program's link provides them; the tests link a model of them instead
 * (test/perry_model.c).
 */
#ifndef PERRY_RUNTIME_H
#define PERRY_RUNTIME_H

#include <stdint.h>

/* A Perry string: this header, then byte_len bytes of UTF-8, no NUL. The
 * collector may move or reuse it once anything allocates. */
typedef struct StringHeader {
  uint32_t utf16_len, byte_len, capacity, refcount, flags;
} StringHeader;

typedef struct Promise Promise;
typedef struct PerryNativeAsync PerryNativeAsync;

/* NaN-boxing of a string value. */
#define PERRY_STRING_TAG 0x7FFF000000000000ULL
#define PERRY_POINTER_MASK 0x0000FFFFFFFFFFFFULL

/* Completion flag: complete only on the main thread. */
#define PERRY_NATIVE_ASYNC_MAIN_THREAD 1u
/* Results of the completion functions. */
#define PERRY_NATIVE_ASYNC_OK 0
#define PERRY_NATIVE_ASYNC_ALREADY_COMPLETED 1
#define PERRY_NATIVE_ASYNC_WRONG_THREAD 2
#define PERRY_NATIVE_ASYNC_INVALID 3

/* Allocates a string in the calling thread's arena: main thread only. */
StringHeader *js_string_from_bytes(const uint8_t *data, uint32_t len);
/* A completion token and its promise; a live token keeps the loop alive. */
PerryNativeAsync *perry_ffi_native_async_new(uint32_t flags);
Promise *perry_ffi_native_async_promise(PerryNativeAsync *token);
int32_t perry_ffi_native_async_resolve_bits(PerryNativeAsync *token, uint64_t bits);
int32_t perry_ffi_native_async_reject_bits(PerryNativeAsync *token, uint64_t bits);
/* Wakes the main thread's event loop; callable from any thread. */
void js_notify_main_thread(void);
/* Registers a pump the main thread's loop runs on every turn. */
void js_register_aux_pump(int32_t (*pump)(void));

#endif /* PERRY_RUNTIME_H */
