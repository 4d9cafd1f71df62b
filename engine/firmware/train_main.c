/* Training firmware entry: trains the generated step (train.c) on the generated samples
 * (train_samples.h) one after another, timing each with the CMSDK timer, and prints over
 * semihosting, per sample and then once:
 *   KILONAS_TRAIN <sample> <ticks> <loss as the 8 hex digits of its float bits>
 *   KILONAS_CHECKSUM <8 hex digits>   (FNV-1a of the trained parameters)
 *   KILONAS_ARENA_INTACT <1 or 0>
 * Exit status 3 when a kernel wrote past the arena. */
#include <string.h>

#include "cmsdk_timer.h"
#include "semihost.h"
#include "text_out.h"
#include "train.h"
#include "train_samples.h"

int main(void) {
  char line[64];
  kilonas_train_init();
  kilonas_timer_start();
  for (uint32_t k = 0; k < KILONAS_TRAIN_STEPS; ++k) {
    const uint32_t s = k % KILONAS_TRAIN_SAMPLES;
    const uint32_t start = kilonas_timer_ticks();
    const float loss =
        kilonas_train_step(kilonas_train_inputs[s], kilonas_train_labels[s], (int32_t)(k % KILONAS_TRAIN_BATCH));
    const uint32_t ticks = kilonas_timer_ticks() - start;
    uint32_t bits;
    memcpy(&bits, &loss, sizeof bits);
    char* at = PutText(line, "KILONAS_TRAIN ");
    at = PutUnsigned(at, k);
    at = PutText(at, " ");
    at = PutUnsigned(at, ticks);
    at = PutText(at, " ");
    at = PutHex(at, bits);
    at = PutText(at, "\n");
    *at = '\0';
    kilonas_semihost_write0(line);
  }
  char* at = PutText(line, "KILONAS_CHECKSUM ");
  at = PutHex(at, kilonas_train_checksum());
  at = PutText(at, "\nKILONAS_ARENA_INTACT ");
  at = PutUnsigned(at, (uint32_t)kilonas_train_arena_intact());
  at = PutText(at, "\n");
  *at = '\0';
  kilonas_semihost_write0(line);
  return kilonas_train_arena_intact() ? 0 : 3;
}
