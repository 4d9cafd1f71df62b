/* Building the firmware's report lines without printf (newlib's is large and needs a heap): each
 * helper writes at `at` and returns the end. Shared by the inference and training entries. */
#ifndef KILONAS_TEXT_OUT_H_
#define KILONAS_TEXT_OUT_H_

#include <stdint.h>

static inline char* PutText(char* at, const char* text) {
  while (*text) *at++ = *text++;
  return at;
}

static inline char* PutUnsigned(char* at, uint32_t v) {
  char digits[10];
  int n = 0;
  do {
    digits[n++] = (char)('0' + v % 10u);
    v /= 10u;
  } while (v);
  while (n) *at++ = digits[--n];
  return at;
}

/* Eight hex digits. */
static inline char* PutHex(char* at, uint32_t v) {
  static const char kHex[] = "0123456789abcdef";
  for (int shift = 28; shift >= 0; shift -= 4) *at++ = kHex[(v >> shift) & 15u];
  return at;
}

#endif
