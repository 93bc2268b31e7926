/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The host's PSCI calls.  HCR_EL2.TSC makes every host SMC trap to kcore;
 * kcore decides what reaches the firmware (QEMU's PSCI for an SMC issued
 * at EL2).  The host can never reach EL3 nor start a CPU that bypasses
 * kcore.
 */
#ifndef KCORE_ARM64_PSCI_H
#define KCORE_ARM64_PSCI_H

#include "arm64_host.h"

/* A host SMC (ESR EC 0x17): answer it in regs->x[0..3]. */
void arm64_psci_host_smc(struct arm64_host_regs *regs);

/* An SMC to the firmware from EL2, SMCCC 1.1 (x0..x3 in, x0 out). */
uint64_t arm64_psci_fw_call(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3);

#endif /* KCORE_ARM64_PSCI_H */
