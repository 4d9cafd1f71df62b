/* The model interface with nothing behind it: linked in place of the generated model.c, it gives
 * the flash of the firmware harness alone (startup, main, semihosting, libc, test input), so that
 * the model's own flash (generated code and data plus the runtime kernels it calls) is the
 * difference between the two images. */
#include "model.h"

static int8_t kilonas_stub_io[KILONAS_MODEL_INPUT_BYTES > KILONAS_MODEL_OUTPUT_BYTES ? KILONAS_MODEL_INPUT_BYTES
                                                                                     : KILONAS_MODEL_OUTPUT_BYTES];

int8_t* kilonas_model_input(void) { return kilonas_stub_io; }
const int8_t* kilonas_model_output(void) { return kilonas_stub_io; }

#ifdef KILONAS_STUB_KEEP
/* Keeps one runtime kernel (and what it calls) in the image: its code size is the difference. */
#include "kilonas_runtime.h"
void (*volatile kilonas_stub_keep)(void);
void kilonas_model_invoke(void) { kilonas_stub_keep = (void (*)(void)) & KILONAS_STUB_KEEP; }
#else
void kilonas_model_invoke(void) {}
#endif
#ifdef KILONAS_PROFILE_STEPS
uint32_t kilonas_step_ticks[KILONAS_MODEL_STEPS];
const int16_t kilonas_step_op[KILONAS_MODEL_STEPS];
#endif
