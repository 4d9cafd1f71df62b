/* Hand-scheduled Cortex-M4/M7 (ARMv7E-M) loop of the SMLAD pointwise kernel: the C function
 * Outputs in kernels_dsp.c with P = 4, the fast requantization, no fused add and Cin a
 * multiple of 4, for every output channel of a block of four pixels. Same arithmetic, same
 * results (the firmware tests compare it with the host's C path bit for bit); here every
 * operand stays in a register.
 *
 * void kilonas_pointwise4_channels(const int8_t* weights, const int32_t* channels,
 *                                  const uint32_t* columns, const uint32_t* columns_end,
 *                                  struct block* block);
 * block: {int8_t* o0, o1, o2, o3; int32_t odd_zp (2 zp + 1), row_pad; const int32_t* channels_end};
 * the o pointers advance by one per channel; a weight row is as long as a column minus row_pad
 * (a conv window rounded up to whole words). */
#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP
  .syntax unified
  .thumb
  .text

/* The start of a global Thumb function in its own section (--gc-sections drops it unless the
 * model calls it). */
.macro FUNCTION_BEGIN name
  .section .text.\name, "ax", %progbits
  .global \name
  .type \name, %function
  .align 2
  .thumb_func
\name:
.endm

/* kilonas_output_fast of the doubled accumulator \acc in place: multiplier \m, right shift \r,
 * kilonas_round_zp \rz; \t is clobbered. */
.macro OUTPUT_FAST acc, m=r8, r=r9, rz=r10, t=r2
  smmlar \t, \acc, \m, \rz
  add \t, \t, \acc, asr #31
  asr \t, \t, \r
  ssat \acc, #8, \t
.endm

/* One group of 4 inputs for the block's 4 pixels: the weight word split into (w0, w2) and
 * (w1, w3), times each pixel's two column words. */
.macro PW_GROUP
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
.endm

/* The channel loop, its group loop unrolled twice; for an odd number of groups (\odd) the
 * first group of every channel comes before the loop. */
.macro PW_CHANNELS odd
1:
  ldr r4, [r1], #12            /* doubled bias */
  mov r5, r4
  mov r6, r4
  mov r7, r4
  mov r2, r3
  .if \odd
  PW_GROUP
  b 3f
  .endif
2:
  PW_GROUP
  PW_GROUP
3:
  cmp r2, r12
  bne 2b
  ldrd r8, r9, [r1, #-8]       /* multiplier, shift (-22 ... -1) */
  rsb r9, r9, #0               /* r = -shift */
  ldr r11, [lr, #16]           /* 2 zp + 1 */
  sub r10, r9, #1
  lsl r10, r11, r10            /* round_zp = (2 zp + 1) << (r - 1) */
  /* kilonas_output_fast for the four accumulators */
  OUTPUT_FAST r4
  OUTPUT_FAST r5
  OUTPUT_FAST r6
  OUTPUT_FAST r7
  ldm lr, {r8, r9, r10, r11}   /* o0..o3 */
  strb r4, [r8], #1
  strb r5, [r9], #1
  strb r6, [r10], #1
  strb r7, [r11], #1
  stm lr, {r8, r9, r10, r11}
  ldrd r4, r5, [lr, #20]       /* row_pad, channels_end */
  sub r0, r0, r4
  cmp r1, r5
  bne 1b
  pop {r4-r11, pc}
.endm

  FUNCTION_BEGIN kilonas_pointwise4_channels
  push {r4-r11, lr}
  mov r12, r3                  /* columns_end */
  ldr lr, [sp, #36]            /* block */
  sub r4, r3, r2               /* 32 bytes of columns per group */
  mov r3, r2                   /* columns; r2 becomes the column pointer */
  tst r4, #32
  bne .Lodd_groups
  PW_CHANNELS 0
.Lodd_groups:
  PW_CHANNELS 1
  .size kilonas_pointwise4_channels, .-kilonas_pointwise4_channels
#endif

/* Hand-scheduled pairs of stride-1 in-place depthwise outputs (kernels_dsp_depthwise.c, fast
 * requantization): the C path Pair3x3 (3x3; TwoOutputs for 5x5 and 7x7) for the pairs of one
 * output row of one channel, with the tap pairs read by LDRD and no spill. Same arithmetic as the
 * C paths, bit for bit (the firmware tests compare with the host).
 *
 * void kilonas_dw3x3_s1_pairs(const int8_t* window, int8_t* out, const int8_t* window_end,
 *                             const struct dw_row* q);
 * q: {int32_t sw (scratch row pitch), c (output pixel pitch), bias, multiplier, r, round_zp;
 *     uint32_t taps[6] (per kernel row (2 t0, 2 t2), (2 t1, 0)); const uint32_t* packed;
 *     int32_t single (3x3: one more output after the last pair)}; the window advances by 2 bytes
 * per pair up to window_end, the output by 2c. */
#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP
/* Requantizes the pair's accumulators r6, r7 (r12 multiplier, lr right shift, r10 round_zp)
 * and stores them at [r1] and [r1 + r5]. */
.macro DW_STORE_PAIR
  OUTPUT_FAST r6, r12, lr, r10, r8
  OUTPUT_FAST r7, r12, lr, r10, r8
  strb r6, [r1]
  strb r7, [r1, r5]
  add r1, r1, r5, lsl #1
.endm

/* Stride 1, kernel row at \addr, taps at [r3 + \taps], the first output alone:
 * (x0, x2).(t0, t2) + x1 t1 into r6 (the row's words stay in r8..r11). */
.macro DW_S1_SINGLE addr, taps
  ldr r8, \addr
  ldrd r10, r11, [r3, #\taps]
  sxtb16 r9, r8, ror #8
  sxtb16 r8, r8
  smlad r6, r8, r10, r6
  smlabb r6, r9, r11, r6
.endm

/* Both outputs of a pair: the first as DW_S1_SINGLE, and (x1, x3).(t0, t2) + x2 t1 into r7. */
.macro DW_S1_ROW addr, taps
  DW_S1_SINGLE "\addr", \taps
  smlad r7, r9, r10, r7
  smlatb r7, r8, r11, r7
.endm

  FUNCTION_BEGIN kilonas_dw3x3_s1_pairs
  push {r4-r11, lr}
  ldrd r4, r5, [r3]            /* sw, c */
  ldr r12, [r3, #12]           /* multiplier */
  ldr lr, [r3, #16]            /* r */
.Ls1_pair:
  ldr r6, [r3, #8]             /* doubled bias */
  mov r7, r6
  DW_S1_ROW "[r0]", 24
  DW_S1_ROW "[r0, r4]", 32
  DW_S1_ROW "[r0, r4, lsl #1]", 40
  ldr r10, [r3, #20]           /* round_zp */
  DW_STORE_PAIR
  adds r0, r0, #2
  cmp r0, r2
  bne .Ls1_pair
  ldr r6, [r3, #52]            /* single: one more output */
  cbz r6, .Ls1_done
  ldr r6, [r3, #8]
  DW_S1_SINGLE "[r0]", 24
  DW_S1_SINGLE "[r0, r4]", 32
  DW_S1_SINGLE "[r0, r4, lsl #1]", 40
  ldr r10, [r3, #20]
  OUTPUT_FAST r6, r12, lr, r10, r8
  strb r6, [r1]
.Ls1_done:
  pop {r4-r11, pc}
  .size kilonas_dw3x3_s1_pairs, .-kilonas_dw3x3_s1_pairs

/* Stride 1, 5x5: one kernel row at r12, its 4 tap words at lr (advanced by 16): (t0, t2) and
 * (t1, t3) against x0..x3 (first output) and x1..x4 (second), then t4 against the bytes x4, x5. */
.macro DW5_ROW
  ldr r8, [r12]
  ldrd r10, r11, [lr], #8
  sxtb16 r9, r8, ror #8
  sxtb16 r8, r8
  smlad r6, r8, r10, r6
  smlad r6, r9, r11, r6
  ldr r8, [r12, #1]
  sxtb16 r9, r8, ror #8
  sxtb16 r8, r8
  smlad r7, r8, r10, r7
  smlad r7, r9, r11, r7
  ldr r10, [lr], #8
  ldrsb r8, [r12, #4]
  ldrsb r9, [r12, #5]
  smlabb r6, r8, r10, r6
  smlabb r7, r9, r10, r7
  add r12, r12, r4
.endm

.macro DW5_ROWS
  .rept 5
  DW5_ROW
  .endr
.endm

/* One tap group of a 7x7 row: the tap words at lr (advanced by 8) against the words at
 * r12 + \off (first output) and r12 + \off + 1 (second). */
.macro DW7_GROUP off
  ldrd r10, r11, [lr], #8
  ldr r8, [r12, #\off]
  sxtb16 r9, r8, ror #8
  sxtb16 r8, r8
  smlad r6, r8, r10, r6
  smlad r6, r9, r11, r6
  ldr r8, [r12, #\off + 1]
  sxtb16 r9, r8, ror #8
  sxtb16 r8, r8
  smlad r7, r8, r10, r7
  smlad r7, r9, r11, r7
.endm

/* 7 rows of two tap groups, (t0..t3) and (t4, t5, t6, 0); the second output's last word reads
 * x8, against a zero tap. */
.macro DW7_ROWS
  .rept 7
  DW7_GROUP 0
  DW7_GROUP 4
  add r12, r12, r4
  .endr
.endm

/* A pairs function of a kernel whose taps are q's `packed` words (byte offset 48; PackTaps):
 * \rows accumulates a pair's kernel rows from r12 (the window) and lr (the taps). */
.macro DW_PACKED_PAIRS name, rows
  FUNCTION_BEGIN \name
  push {r4-r11, lr}
  ldrd r4, r5, [r3]            /* sw, c */
1:
  ldr r6, [r3, #8]             /* doubled bias */
  mov r7, r6
  mov r12, r0
  ldr lr, [r3, #48]            /* packed taps */
  \rows
  ldrd r12, lr, [r3, #12]      /* multiplier, r */
  ldr r10, [r3, #20]           /* round_zp */
  DW_STORE_PAIR
  adds r0, r0, #2
  cmp r0, r2
  bne 1b
  pop {r4-r11, pc}
  .size \name, .-\name
.endm

/* void kilonas_dw5x5_s1_pairs(same arguments), void kilonas_dw7x7_s1_pairs(same arguments). */
  DW_PACKED_PAIRS kilonas_dw5x5_s1_pairs, DW5_ROWS
  DW_PACKED_PAIRS kilonas_dw7x7_s1_pairs, DW7_ROWS
#endif

/* Stride-2 3x3 depthwise straight from the HWC tensor, four channels per output
 * (kernels_dsp_depthwise_s2.c, windows inside the tensor): the C loop of InsideOutputs.
 *
 * void kilonas_dw3x3_s2_quads(const int8_t* window, int8_t* out, const int8_t* out_end,
 *                             const struct quad* q);
 * q: {int32_t c, pitch, step; int32_t bias[4]; uint32_t taps[3][6]; int32_t requant[4][3]}. */
#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP
/* One kernel row at r0 (r12 = c): pixels P0, P1, P2 of channels c0..c3. SXTB16 makes (c0, c2)
 * and, rotated, (c1, c3) of a pixel; PKHBT / PKHTB pair P0's and P1's value of one channel for
 * SMLAD with the taps (w0, w1); P2 takes the third taps by SMLABB / SMLATT. */
.macro QUAD_ROW taps
  ldr r8, [r0]
  ldr r9, [r0, r12]
  sxtb16 r10, r8
  sxtb16 r11, r9
  pkhbt lr, r10, r11, lsl #16
  pkhtb r10, r11, r10, asr #16
  ldr r11, [r3, #\taps]
  smlad r4, lr, r11, r4
  ldr r11, [r3, #\taps + 8]
  smlad r6, r10, r11, r6
  sxtb16 r8, r8, ror #8
  sxtb16 r9, r9, ror #8
  pkhbt lr, r8, r9, lsl #16
  pkhtb r8, r9, r8, asr #16
  ldr r11, [r3, #\taps + 4]
  smlad r5, lr, r11, r5
  ldr r11, [r3, #\taps + 12]
  smlad r7, r8, r11, r7
  ldr r8, [r0, r12, lsl #1]
  ldr r11, [r3, #\taps + 16]
  sxtb16 r9, r8
  smlabb r4, r9, r11, r4
  smlatt r6, r9, r11, r6
  sxtb16 r9, r8, ror #8
  ldr r11, [r3, #\taps + 20]
  smlabb r5, r9, r11, r5
  smlatt r7, r9, r11, r7
.endm

/* Channel \byte's output: requantized by q's requant[\byte], stored at [r1 + \byte]. */
.macro QUAD_OUT acc, byte
  ldrd r8, r9, [r3, #100 + 12 * \byte]
  ldr r10, [r3, #108 + 12 * \byte]
  OUTPUT_FAST \acc, r8, r9, r10, r11
  strb \acc, [r1, #\byte]
.endm

  FUNCTION_BEGIN kilonas_dw3x3_s2_quads
  push {r4-r11, lr}
  ldr r12, [r3]                /* c */
.Lquad:
  ldrd r4, r5, [r3, #12]       /* doubled biases */
  ldrd r6, r7, [r3, #20]
  QUAD_ROW 28
  ldr r8, [r3, #4]             /* pitch */
  add r0, r0, r8
  QUAD_ROW 52
  ldr r8, [r3, #4]
  add r0, r0, r8
  QUAD_ROW 76
  ldr r8, [r3, #8]             /* step: the next window */
  add r0, r0, r8
  QUAD_OUT r4, 0
  QUAD_OUT r5, 1
  QUAD_OUT r6, 2
  QUAD_OUT r7, 3
  add r1, r1, r12
  cmp r1, r2
  bne .Lquad
  pop {r4-r11, pc}
  .size kilonas_dw3x3_s2_quads, .-kilonas_dw3x3_s2_quads
#endif

/* The groups of one block of four fully connected rows (kernels_dsp.c, kilonas_fully_connected_dsp):
 * per group of four inputs the input words A, B, and per row one weight word W used as it is
 * against A and, after SXTB16(W ror 8), against B; two groups per pass.
 *
 * void kilonas_fc4_groups(const uint32_t* pairs, const uint32_t* pairs_end, struct fc_block* b);
 * b: {const int8_t* p, q; int32_t n; int32_t a[4]}: rows p, p + n, q, q + n, their sums a. */
#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP
/* Row \acc's weight word in r11 against A (r9) and B (r10). */
.macro FC_ROW acc
  smlad \acc, r11, r9, \acc
  sxtb16 r11, r11, ror #8
  smlad \acc, r11, r10, \acc
.endm

.macro FC_GROUP
  ldrd r9, r10, [r0], #8       /* A, B */
  ldr r11, [r2, r4]            /* row p + n */
  FC_ROW r6
  ldr r11, [r2], #4            /* row p */
  FC_ROW r5
  ldr r11, [r3, r4]            /* row q + n */
  FC_ROW r8
  ldr r11, [r3], #4            /* row q */
  FC_ROW r7
.endm

  FUNCTION_BEGIN kilonas_fc4_groups
  push {r4-r11, lr}
  mov r12, r2                  /* block */
  ldm r12, {r2-r8}             /* p, q, n, a0..a3 */
  sub lr, r1, r0
  tst lr, #8                   /* an odd number of groups starts with the second of the pair */
  bne 2f
1:
  FC_GROUP
2:
  FC_GROUP
  cmp r0, r1
  bne 1b
  add r12, r12, #12
  stm r12, {r5-r8}
  pop {r4-r11, pc}
  .size kilonas_fc4_groups, .-kilonas_fc4_groups
#endif

/* The wide-weight pointwise kernel (kernels_dsp_wide.c, WideChannels for the whole channel pairs
 * of a fast layer without an add): 2 channels x 2 pixels per pass, the weights already q15, so a
 * group of 4 inputs is 2 + 2 double-word loads and 8 SMLAD. The group loop is unrolled 8 times
 * and entered where the remaining groups (G mod 8) begin, through an address computed once per
 * call: one LDR to PC per channel pair instead of a test.
 *
 * void kilonas_pointwise_wide_pairs(const uint32_t* weights, const uint32_t* columns,
 *                                   const uint32_t* columns_end, struct wide_block* block);
 * block: {int8_t* o0, o1; const int32_t* channels, channels_end; const uint32_t* columns;
 *         uint32_t entry}; records {multiplier, r, round_zp, doubled bias}. */
#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP
/* One group: channel 0's weight pairs r8, r9 and channel 1's r10, r11 against pixel 0's and then
 * pixel 1's column words (r1, r3); accumulators r4 (c0 p0), r5 (c0 p1), r6 (c1 p0), r7 (c1 p1).
 * Every instruction is 32 bits wide: 48 bytes per group (checked below). */
.macro WIDE_GROUP
  ldrd r8, r9, [r0], #8
  ldrd r10, r11, [r0], #8
  ldrd r1, r3, [r2], #8
  smlad r4, r8, r1, r4
  smlad r4, r9, r3, r4
  smlad r6, r10, r1, r6
  smlad r6, r11, r3, r6
  ldrd r1, r3, [r2], #8
  smlad r5, r8, r1, r5
  smlad r5, r9, r3, r5
  smlad r7, r10, r1, r7
  smlad r7, r11, r3, r7
.endm

  FUNCTION_BEGIN kilonas_pointwise_wide_pairs
  push {r4-r11, lr}
  mov lr, r3                   /* block */
  mov r12, r2                  /* columns_end */
  str r1, [lr, #16]
  sub r4, r2, r1               /* 16 bytes per group */
  lsr r4, r4, #4
  neg r4, r4
  and r4, r4, #7               /* groups skipped on entry: (8 - G mod 8) mod 8 */
  mov r5, #48
  adr.w r6, .Lwide_groups
  mla r6, r4, r5, r6
  orr r6, r6, #1               /* a Thumb address */
  str r6, [lr, #20]
.Lwide_pair:
  ldr r1, [lr, #8]             /* the pair's records */
  ldr r4, [r1, #12]            /* doubled bias, channel 0 */
  ldr r6, [r1, #28]            /* channel 1 */
  mov r5, r4
  mov r7, r6
  ldr r2, [lr, #16]
  ldr pc, [lr, #20]
  .align 2
.Lwide_groups:
  WIDE_GROUP
.Lwide_group_end:
  WIDE_GROUP
  WIDE_GROUP
  WIDE_GROUP
  WIDE_GROUP
  WIDE_GROUP
  WIDE_GROUP
  WIDE_GROUP
  cmp r2, r12
  bne .Lwide_groups
  ldr r1, [lr, #8]
  ldm r1!, {r8-r11}            /* channel 0: multiplier, r, round_zp (and the bias) */
  OUTPUT_FAST r4, r8, r9, r10, r2
  OUTPUT_FAST r5, r8, r9, r10, r2
  ldm r1!, {r8-r11}            /* channel 1 */
  OUTPUT_FAST r6, r8, r9, r10, r2
  OUTPUT_FAST r7, r8, r9, r10, r2
  str r1, [lr, #8]
  ldrd r8, r9, [lr]            /* o0, o1 */
  strb r4, [r8]
  strb r6, [r8, #1]
  strb r5, [r9]
  strb r7, [r9, #1]
  add r8, r8, #2
  add r9, r9, #2
  strd r8, r9, [lr]
  ldr r8, [lr, #12]            /* channels_end */
  cmp r1, r8
  bne .Lwide_pair
  pop {r4-r11, pc}
  .if .Lwide_group_end - .Lwide_groups != 48
  .error "WIDE_GROUP is not 48 bytes: the entry address computation is wrong"
  .endif
  .size kilonas_pointwise_wide_pairs, .-kilonas_pointwise_wide_pairs
#endif
