/* Hand-scheduled Cortex-M4/M7 (ARMv7E-M) loop of the SMLAD pointwise kernel: the C function
 * OutputsOf in kernels_dsp.c with P = 4, the fast requantization, no fused add and Cin a
 * multiple of 4, for every output channel of a block of four pixels. Same arithmetic, same
 * results (the firmware tests compare it with the host's C path bit for bit); here every
 * operand stays in a register.
 *
 * void kilonas_pointwise4_channels(const int8_t* weights, const int32_t* channels,
 *                                  const uint32_t* columns, const uint32_t* columns_end,
 *                                  struct block* block);
 * block: {int8_t* o0, o1, o2, o3; int32_t output_offset, row_pad; const int32_t* channels_end};
 * the o pointers advance by one per channel; a weight row is as long as a column minus row_pad
 * (a conv window rounded up to whole words). */
#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP
  .syntax unified
  .thumb
  .text
  .section .text.kilonas_pointwise4_channels, "ax", %progbits
  .global kilonas_pointwise4_channels
  .type kilonas_pointwise4_channels, %function
  .align 2
  .thumb_func
kilonas_pointwise4_channels:
  push {r4-r11, lr}
  mov r12, r3                  /* columns_end */
  ldr lr, [sp, #36]            /* block */
  mov r3, r2                   /* columns; r2 becomes the column pointer */
.Lchannel:
  ldr r4, [r1], #12            /* doubled bias */
  mov r5, r4
  mov r6, r4
  mov r7, r4
  mov r2, r3
.Lgroup:
  ldr r8, [r0], #4             /* 4 weights */
  ldrd r10, r11, [r2], #8      /* pixel 0: (x0, x2), (x1, x3) */
  sxtb16 r9, r8, ror #8        /* (w1, w3) */
  sxtb16 r8, r8                /* (w0, w2) */
  smlad r4, r8, r10, r4
  smlad r4, r9, r11, r4
  ldrd r10, r11, [r2], #8
  smlad r5, r8, r10, r5
  smlad r5, r9, r11, r5
  ldrd r10, r11, [r2], #8
  smlad r6, r8, r10, r6
  smlad r6, r9, r11, r6
  ldrd r10, r11, [r2], #8
  smlad r7, r8, r10, r7
  smlad r7, r9, r11, r7
  cmp r2, r12
  bne .Lgroup
  ldrd r8, r9, [r1, #-8]       /* multiplier, shift (< 0) */
  rsb r9, r9, #0               /* r = -shift */
  mov r10, #1
  lsl r10, r10, r9
  lsr r10, r10, #1             /* round = 2^(r - 1) */
  ldr r11, [lr, #16]           /* output offset */
  /* kilonas_requant_doubled + offset + SSAT for the four accumulators */
  smmulr r4, r4, r8
  add r2, r4, r10
  add r4, r2, r4, asr #31
  asr r4, r4, r9
  add r4, r4, r11
  ssat r4, #8, r4
  smmulr r5, r5, r8
  add r2, r5, r10
  add r5, r2, r5, asr #31
  asr r5, r5, r9
  add r5, r5, r11
  ssat r5, #8, r5
  smmulr r6, r6, r8
  add r2, r6, r10
  add r6, r2, r6, asr #31
  asr r6, r6, r9
  add r6, r6, r11
  ssat r6, #8, r6
  smmulr r7, r7, r8
  add r2, r7, r10
  add r7, r2, r7, asr #31
  asr r7, r7, r9
  add r7, r7, r11
  ssat r7, #8, r7
  ldm lr, {r8, r9, r10, r11}   /* o0..o3 */
  strb r4, [r8], #1
  strb r5, [r9], #1
  strb r6, [r10], #1
  strb r7, [r11], #1
  stm lr, {r8, r9, r10, r11}
  ldrd r4, r5, [lr, #20]       /* row_pad, channels_end */
  sub r0, r0, r4
  cmp r1, r5
  bne .Lchannel
  pop {r4-r11, pc}
  .size kilonas_pointwise4_channels, .-kilonas_pointwise4_channels
#endif
