/* Minimal Cortex-M startup for the MPS2 boards under QEMU: vector table, .data copy, .bss
 * clear, then main(); main's return value becomes QEMU's exit status via semihosting. */
#include <stdint.h>

#include "semihost.h"

extern uint32_t __data_load__, __data_start__, __data_end__, __bss_start__, __bss_end__;
extern uint32_t __stack_top__;
int main(void);

void Reset_Handler(void) {
  uint32_t* src = &__data_load__;
  for (uint32_t* dst = &__data_start__; dst < &__data_end__;) *dst++ = *src++;
  for (uint32_t* dst = &__bss_start__; dst < &__bss_end__;) *dst++ = 0;
#ifdef __ARM_FP
  /* A hard-float build (the training firmware): coprocessors 10 and 11, the FPU, on. */
  *(volatile uint32_t*)0xE000ED88u |= 0xFu << 20;
  __asm volatile("dsb\n\tisb");
#endif
  kilonas_semihost_exit(main());
}

static void Fault_Handler(void) {
  kilonas_semihost_write0("kilonas firmware: hard fault\n");
  kilonas_semihost_exit(99);
}

__attribute__((section(".vectors"), used)) static void (*const kVectors[16])(void) = {(void (*)(void))(&__stack_top__),
                                                                                      Reset_Handler,
                                                                                      Fault_Handler,
                                                                                      Fault_Handler,
                                                                                      Fault_Handler,
                                                                                      Fault_Handler,
                                                                                      Fault_Handler,
                                                                                      0,
                                                                                      0,
                                                                                      0,
                                                                                      0,
                                                                                      Fault_Handler,
                                                                                      Fault_Handler,
                                                                                      0,
                                                                                      Fault_Handler,
                                                                                      Fault_Handler};
