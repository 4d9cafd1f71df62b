/* CMSDK TIMER0 of the MPS2 boards (0x40000000), clocked at 25 MHz. Under
 * qemu-system-arm -icount shift=0 one instruction takes 1 ns of virtual time, so a timer tick is
 * exactly 40 instructions: a deterministic instruction counter (QEMU models no DWT CYCCNT). */
#ifndef KILONAS_CMSDK_TIMER_H_
#define KILONAS_CMSDK_TIMER_H_

#include <stdint.h>

#define KILONAS_TIMER0_BASE 0x40000000u
#define KILONAS_INSTRUCTIONS_PER_TICK 40u

static inline void kilonas_timer_start(void) {
  volatile uint32_t* timer = (volatile uint32_t*)KILONAS_TIMER0_BASE;
  timer[0] = 0;           /* CTRL: stop */
  timer[2] = 0xFFFFFFFFu; /* RELOAD */
  timer[1] = 0xFFFFFFFFu; /* VALUE */
  timer[0] = 1;           /* CTRL: enable */
}

/* Ticks elapsed since kilonas_timer_start (the timer counts down). */
static inline uint32_t kilonas_timer_ticks(void) {
  volatile uint32_t* timer = (volatile uint32_t*)KILONAS_TIMER0_BASE;
  return 0xFFFFFFFFu - timer[1];
}

#endif
