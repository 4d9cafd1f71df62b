/* Firmware entry: runs the generated model once on the generated test input, timed by the
 * CMSDK timer, and prints the output bytes and the tick count over semihosting:
 *   KILONAS_OUTPUT <hex bytes>
 *   KILONAS_TICKS <ticks>        (instructions = ticks x 40 under -icount shift=0)
 * and with KILONAS_PROFILE_STEPS one line per kernel call: KILONAS_STEP <op> <ticks>. */
#include <string.h>

#include "cmsdk_timer.h"
#include "model.h"
#include "semihost.h"
#include "test_input.h"
#include "text_out.h"

/* Printed in chunks: the harness must not need RAM in proportion to the output. */
static char line[160];

int main(void) {
  static const char kHex[] = "0123456789abcdef";
  memcpy(kilonas_model_input(), kilonas_test_input, KILONAS_MODEL_INPUT_BYTES);
  kilonas_timer_start();
  const uint32_t start = kilonas_timer_ticks();
  kilonas_model_invoke();
  const uint32_t ticks = kilonas_timer_ticks() - start;

  const int8_t* out = kilonas_model_output();
  char* at = PutText(line, "KILONAS_OUTPUT ");
  for (int i = 0; i < KILONAS_MODEL_OUTPUT_BYTES; ++i) {
    const uint8_t b = (uint8_t)out[i];
    *at++ = kHex[b >> 4];
    *at++ = kHex[b & 15u];
    if (at - line > (int)sizeof(line) - 40) {
      *at = '\0';
      kilonas_semihost_write0(line);
      at = line;
    }
  }
  at = PutText(at, "\nKILONAS_TICKS ");
  at = PutUnsigned(at, ticks);
  at = PutText(at, "\n");
  *at = '\0';
  kilonas_semihost_write0(line);
#ifdef KILONAS_PROFILE_STEPS
  for (int i = 0; i < KILONAS_MODEL_STEPS; ++i) {
    char step[48];
    char* s = PutText(step, "KILONAS_STEP ");
    s = PutUnsigned(s, (uint32_t)kilonas_step_op[i]);
    s = PutText(s, " ");
    s = PutUnsigned(s, kilonas_step_ticks[i]);
    s = PutText(s, "\n");
    *s = '\0';
    kilonas_semihost_write0(step);
  }
#endif
  return 0;
}
