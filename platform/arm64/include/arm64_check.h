/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The EL2 checker configuration (meson -Del2_check=true, and the
 * kcore-check image tests/qemu always builds): kcore_check after every
 * host call and host fault, fail-stop on the first violation.
 */
#ifndef KCORE_ARM64_CHECK_H
#define KCORE_ARM64_CHECK_H

#include <stdbool.h>

/* 0: no checker; 1: kcore_check (the full walk); 2: kcore_check_incremental. */
#ifndef KCORE_EL2_CHECK
#define KCORE_EL2_CHECK 0
#endif

/*
 * The incremental configuration's full walk: at the first check (the
 * baseline), whenever the touch log overflowed, every this many checks,
 * and at SYSTEM_OFF (arm64_check_report).  A full walk of a 1 GiB machine
 * is a few million instructions: once per 2^20 host calls and faults it
 * adds a few instructions a call.
 */
#define KCORE_EL2_CHECK_FULL_EVERY (1u << 20)

/*
 * Checker builds: serialise host calls and faults across CPUs (kcore_check
 * needs a quiescent state: it takes no locks).  No-ops otherwise.
 */
void arm64_check_enter(void);

/*
 * Checker builds: run kcore_check; on a violation print it, naming `after`
 * ("host call", "host fault"), and stop with KCORE_EXIT_CHECK.  Then
 * release the lock arm64_check_enter took.
 */
void arm64_check_leave(const char *after);

/*
 * The incremental configuration's `hvc #0` fast path (vectors.S): the trap
 * frame is the call's registers, as in an image without a checker; enter,
 * kcore_host_call, leave.
 */
struct kc_hcall;
void arm64_check_host_call(struct kc_hcall *regs);

/*
 * Checker builds: let other CPUs make host calls while this one runs a
 * guest inside VCPU_RUN (arm64_check_enter's lock is given up without a
 * check: kcore's state is between two steps, none half done), so two
 * vCPUs of one VM run at once here too; arm64_check_resume takes it back
 * when the guest exits.  Callers test KCORE_EL2_CHECK first (no call at
 * all on the guest-entry path of an image without the checker).
 */
void arm64_check_pause(void);
void arm64_check_resume(void);

/*
 * Checker builds: one console line with the number of checks that passed
 * (the incremental configuration runs a last full walk first, and says how
 * many checks were incremental and how many full walks).
 */
void arm64_check_report(void);

/* kcore.selftest=corrupt-host-s2: break the host's stage 2 at the first host call or fault. */
extern bool arm64_check_selftest_corrupt;

#endif /* KCORE_ARM64_CHECK_H */
