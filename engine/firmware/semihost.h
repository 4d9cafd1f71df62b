/* ARM semihosting calls used by the firmware (QEMU -semihosting-config enable=on). */
#ifndef KILONAS_SEMIHOST_H_
#define KILONAS_SEMIHOST_H_

void kilonas_semihost_write0(const char* text);
/* SYS_EXIT_EXTENDED: QEMU exits with `status` as its own exit status. */
void kilonas_semihost_exit(int status) __attribute__((noreturn));

#endif
