/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The PSCI relay for the host.  With HCR_EL2.TSC every host SMC lands
 * here; only what is listed reaches the firmware, so the host never
 * reaches EL3 directly and never starts a CPU that skips kcore's EL2 setup
 * (pKVM's nvhe/psci-relay.c follows the same rule).
 */
#include "arm64_psci.h"

#include <kcore/abi.h>
#include <kcore/kcore.h>
#include <kcore/platform.h>
#include <kcore/printf.h>

#include "arm64_check.h"
#include "arm64_percpu.h"

/* PSCI error the abi does not name (a CPU_ON already under way). */
#define KC_PSCI_ON_PENDING		(-5)
/* power_state bit 16 (extended StateID format, PSCI 1.0): a power-down state. */
#define PSCI_POWER_STATE_TYPE_POWERDOWN (1ull << 16)

uint64_t arm64_psci_fw_call(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3)
{
	register uint64_t x0 __asm__("x0") = fn;
	register uint64_t x1 __asm__("x1") = a1;
	register uint64_t x2 __asm__("x2") = a2;
	register uint64_t x3 __asm__("x3") = a3;

	/* SMCCC 1.0 firmware may clobber x4..x17: say so. */
	__asm__ volatile("smc #0"
			 : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)
			 :
			 : "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12", "x13", "x14",
			   "x15", "x16", "x17", "memory");
	return x0;
}

static void psci_ret(struct arm64_host_regs *r, int64_t v)
{
	r->x[0] = (uint64_t)v;
}

static uint64_t psci_kcore_entry(void)
{
	/* kcore runs VA = PA: the address of the code is its physical address. */
	return (uint64_t)(uintptr_t)arm64_secondary_entry;
}

/*
 * CPU_ON: the target starts in kcore (arm64_secondary_entry, x0 = its
 * index), sets up its EL2 and only then enters the host at `entry` with
 * x0 = `ctx`.  kcore's own state says whether the CPU may be started, so
 * two CPU_ONs racing for one CPU cannot both reach the firmware.
 */
static int64_t psci_cpu_on(uint64_t mpidr, uint64_t entry, uint64_t ctx)
{
	int idx = arm64_percpu_index(mpidr);
	struct arm64_cpu *c;
	uint32_t expect = ARM64_CPU_OFF;
	int64_t ret;

	if (idx < 0 || (mpidr & ~ARM64_MPIDR_AFF_MASK) != 0)
		return KC_PSCI_INVALID_PARAMS;
	c = arm64_percpu((unsigned)idx);
	if (!__atomic_compare_exchange_n(&c->state, &expect, ARM64_CPU_ON_PENDING, false,
					 __ATOMIC_ACQUIRE, __ATOMIC_ACQUIRE))
		return expect == ARM64_CPU_ON_PENDING ? KC_PSCI_ON_PENDING : KC_PSCI_ALREADY_ON;
	c->host_entry = entry;
	c->host_ctx = ctx;
	ret = (int64_t)arm64_psci_fw_call(KC_PSCI_CPU_ON64, c->mpidr, psci_kcore_entry(),
					  (uint64_t)idx);
	if (ret != KC_PSCI_SUCCESS)
		__atomic_store_n(&c->state, ARM64_CPU_OFF, __ATOMIC_RELEASE);
	return ret;
}

/*
 * CPU_SUSPEND: a standby state returns to the caller and is forwarded as
 * it is; a power-down state wakes the CPU at kcore's entry, which enters
 * the host at `entry` with `ctx` as CPU_ON does.
 */
static int64_t psci_cpu_suspend(uint64_t power_state, uint64_t entry, uint64_t ctx)
{
	struct arm64_cpu *c = arm64_percpu(plat_cpu_id());

	if (!(power_state & PSCI_POWER_STATE_TYPE_POWERDOWN))
		return (int64_t)arm64_psci_fw_call(KC_PSCI_CPU_SUSPEND64, power_state, 0, 0);
	c->host_entry = entry;
	c->host_ctx = ctx;
	return (int64_t)arm64_psci_fw_call(KC_PSCI_CPU_SUSPEND64, power_state, psci_kcore_entry(),
					   plat_cpu_id());
}

/* CPU_OFF: this CPU; kcore's state says OFF first, so CPU_ON may start it again. */
static int64_t psci_cpu_off(void)
{
	struct arm64_cpu *c = arm64_percpu(plat_cpu_id());
	int64_t ret;

	__atomic_store_n(&c->state, ARM64_CPU_OFF, __ATOMIC_RELEASE);
	ret = (int64_t)arm64_psci_fw_call(KC_PSCI_CPU_OFF, 0, 0, 0);
	/* Only a refusal returns: the CPU is still on. */
	__atomic_store_n(&c->state, ARM64_CPU_ON, __ATOMIC_RELEASE);
	return ret;
}

void arm64_psci_host_smc(struct arm64_host_regs *r)
{
	uint32_t fn = (uint32_t)r->x[0];
	bool smc32 = !(fn & 0x40000000u); /* SMC32 ids take 32-bit arguments */
	uint64_t a1 = smc32 ? (uint32_t)r->x[1] : r->x[1];
	uint64_t a2 = smc32 ? (uint32_t)r->x[2] : r->x[2];
	uint64_t a3 = smc32 ? (uint32_t)r->x[3] : r->x[3];

	switch (fn) {
	case KC_PSCI_VERSION:
		r->x[0] = arm64_psci_fw_call(fn, 0, 0, 0);
		return;
	case KC_PSCI_FEATURES:
		/*
		 * SMCCC_VERSION is kcore's own answer (1.1, arm64_host_call): a
		 * caller that asks PSCI first (Linux does) must learn it is there,
		 * or it assumes SMCCC 1.0 and never probes anything else.
		 */
		if ((uint32_t)a1 == KC_SMCCC_VERSION) {
			psci_ret(r, KC_PSCI_SUCCESS);
			return;
		}
		if (!kcore_psci_known((uint32_t)a1)) { /* the relayed set: core's list */
			psci_ret(r, KC_PSCI_NOT_SUPPORTED);
			return;
		}
		r->x[0] = arm64_psci_fw_call(fn, a1, 0, 0);
		return;
	case KC_PSCI_AFFINITY_INFO:
	case KC_PSCI_AFFINITY_INFO64: /* read-only: the firmware knows best */
		r->x[0] = arm64_psci_fw_call(fn, a1, a2, 0);
		return;
	case KC_PSCI_CPU_ON:
	case KC_PSCI_CPU_ON64:
		psci_ret(r, psci_cpu_on(a1, a2, a3));
		return;
	case KC_PSCI_CPU_SUSPEND:
	case KC_PSCI_CPU_SUSPEND64:
		psci_ret(r, psci_cpu_suspend(a1, a2, a3));
		return;
	case KC_PSCI_CPU_OFF:
		psci_ret(r, psci_cpu_off());
		return;
	case KC_PSCI_SYSTEM_OFF:
		arm64_check_report();
		kc_printf("kcore: host PSCI SYSTEM_OFF: powering off\n");
		arm64_psci_fw_call(fn, 0, 0, 0);
		break;
	case KC_PSCI_SYSTEM_RESET:
		kc_printf("kcore: host PSCI SYSTEM_RESET: resetting\n");
		arm64_psci_fw_call(fn, 0, 0, 0);
		break;
	default:
		/*
		 * SMCCC's discovery calls (architecture, owner 0; vendor hypervisor,
		 * owner 6) are core's to answer, whichever conduit the host uses:
		 * Linux makes them by its PSCI conduit, SMC on a QEMU with EL2.
		 * Everything else, PSCI or not, stays out of the firmware.
		 */
		if (((fn >> 24) & 0x3fu) == 0 || ((fn >> 24) & 0x3fu) == 6) {
			arm64_host_call(r);
			return;
		}
		psci_ret(r, KC_PSCI_NOT_SUPPORTED);
		return;
	}
	/* The firmware returned from a call that does not return. */
	psci_ret(r, KC_PSCI_DENIED);
}
