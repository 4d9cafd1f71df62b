#include "semihost.h"

#include <stdint.h>

static int Call(int op, void* arg) {
  register int r0 __asm__("r0") = op;
  register void* r1 __asm__("r1") = arg;
  __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
  return r0;
}

void kilonas_semihost_write0(const char* text) { Call(0x04, (void*)text); }

void kilonas_semihost_exit(int status) {
  uint32_t block[2] = {0x20026u /* ADP_Stopped_ApplicationExit */, (uint32_t)status};
  Call(0x20, block);
  for (;;) {
  }
}
