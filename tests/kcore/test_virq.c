/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Virtual interrupts (core/virq.c, docs/VCPU.md "Interrupts"): the host
 * injects an INTID and a priority into a vCPU, kcore keeps the list
 * registers; a physical interrupt while the guest runs is an IRQ exit that
 * shows the host nothing; the virtual timer's PPI is kcore's to raise.
 * Every refusal changes nothing (kf_call_refused compares kcore's whole
 * digest, the shadow context included) and has its control.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "guestprog.h"

#define IMG_BASE   0x80000000ull
#define SECRET	   0x5ec2e75ec2e70042ull /* a value only the guest knows */
#define PRIO	   0xa0u
#define UART_SPI   33u
#define TIMER_PPI  27u

#define LR_PENDING (1ull << 62)
#define LR_ACTIVE  (1ull << 63)
#define LR_HW	   (1ull << 61)
#define LR_GROUP1  (1ull << 60)

#define ICC_IAR1   HM_SYSREG(3, 0, 12, 12, 0)
#define ICC_EOIR1  HM_SYSREG(3, 0, 12, 12, 1)
#define CNTV_CTL   HM_SYSREG(3, 3, 14, 3, 1)
#define CNTV_CVAL  HM_SYSREG(3, 3, 14, 3, 2)
#define ICC_SGI1R  HM_SYSREG(3, 0, 12, 11, 5)

static struct kf the_kf;

static int setup(void **state)
{
	kf_setup(&the_kf);
	*state = &the_kf;
	return 0;
}

static int teardown(void **state)
{
	kf_teardown(*state);
	return 0;
}

static void run_expect(struct kf *f, uint64_t vm, uint64_t x1, uint64_t x2, uint64_t x3)
{
	uint64_t r[3];

	assert_int_equal(kf_run(f, vm, 0, KC_RUN_RESUME, 0, r), KC_OK);
	if (r[0] != x1 || r[1] != x2 || r[2] != x3)
		fail_msg("exit 0x%llx 0x%llx 0x%llx, want 0x%llx 0x%llx 0x%llx",
			 (unsigned long long)r[0], (unsigned long long)r[1],
			 (unsigned long long)r[2], (unsigned long long)x1, (unsigned long long)x2,
			 (unsigned long long)x3);
	kf_check(f);
}

static int inject(struct kf *f, uint64_t vm, uint64_t vcpu, uint64_t intid, uint64_t prio)
{
	uint64_t r[3];
	int rc = kf_call(f, KC_HC_VCPU_INJECT_IRQ, vm, vcpu, intid, prio, r);

	assert_true(r[0] == 0 && r[1] == 0 && r[2] == 0); /* the call returns nothing */
	kf_check(f);
	return rc;
}

static void no_guest_failures(struct kf *f)
{
	char why[256];

	if (hm_guest_failures(f->m, why, sizeof(why)))
		fail_msg("guest: %s", why);
}

/*
 * The SPI of a device the host emulates reaches the guest once: it waits
 * in the list registers across an exit it did not take it in, the guest
 * acknowledges exactly that INTID, and after its EOI nothing is left.
 */
static void test_inject_taken_once(void **state)
{
	struct kf *f = *state;
	uint64_t vm = kf_vm_with_vcpus(f, IMG_BASE, 1);
	const struct kc_vcpu_regs *regs = kf_vcpu_regs(vm, 0);

	PROG(f, vm, 0, IMG_BASE, WFI, WFI, MRS(5, ICC_IAR1), EXPECT(5, UART_SPI), MSR(ICC_EOIR1, 5),
	     MRS(6, ICC_IAR1), EXPECT(6, 1023), WFI);
	run_expect(f, vm, KC_EXIT_WFI, 0, 0);
	assert_int_equal(inject(f, vm, 0, UART_SPI, PRIO), KC_OK);
	assert_int_equal(regs->vgic.lr[0],
			 UART_SPI | (uint64_t)PRIO << 48 | LR_GROUP1 | LR_PENDING);
	/* Not taken in this run (the guest waits once more): still pending after the exit. */
	run_expect(f, vm, KC_EXIT_WFI, 0, 0);
	assert_true(regs->vgic.lr[0] & LR_PENDING);
	run_expect(f, vm, KC_EXIT_WFI, 0, 0);
	no_guest_failures(f);
	for (unsigned i = 0; i < KC_VGIC_LRS; i++)
		assert_int_equal(regs->vgic.lr[i] & (LR_PENDING | LR_ACTIVE), 0);
}

/*
 * What the host may not name: special INTIDs, LPIs, anything beyond the
 * INTID (the HW bit, a physical INTID, a state), a priority the virtual
 * interface may not implement, a vCPU or VM that is not there or not
 * running.  Each refusal changes nothing; each has its control.
 */
static void test_inject_refusals(void **state)
{
	struct kf *f = *state;
	uint64_t vm = kf_vm_with_vcpus(f, IMG_BASE, 2);

	kf_call_refused(f, KC_EINVAL, KC_HC_VCPU_INJECT_IRQ, vm, 0, 1020, PRIO);
	kf_call_refused(f, KC_EINVAL, KC_HC_VCPU_INJECT_IRQ, vm, 0, 1023, PRIO);
	kf_call_refused(f, KC_EINVAL, KC_HC_VCPU_INJECT_IRQ, vm, 0, 8192, PRIO);
	kf_call_refused(f, KC_EINVAL, KC_HC_VCPU_INJECT_IRQ, vm, 0, UART_SPI | LR_HW, PRIO);
	kf_call_refused(f, KC_EINVAL, KC_HC_VCPU_INJECT_IRQ, vm, 0,
			UART_SPI | LR_HW | (uint64_t)UART_SPI << 32, PRIO);
	kf_call_refused(f, KC_EINVAL, KC_HC_VCPU_INJECT_IRQ, vm, 0, UART_SPI | LR_PENDING, PRIO);
	kf_call_refused(f, KC_EINVAL, KC_HC_VCPU_INJECT_IRQ, vm, 0, UART_SPI, PRIO | 1);
	kf_call_refused(f, KC_EINVAL, KC_HC_VCPU_INJECT_IRQ, vm, 0, UART_SPI, 0x100);
	kf_call_refused(f, KC_EINVAL, KC_HC_VCPU_INJECT_IRQ, vm, KC_MAX_VCPUS, UART_SPI, PRIO);
	kf_call_refused(f, KC_ENOENT, KC_HC_VCPU_INJECT_IRQ, vm, 2, UART_SPI, PRIO);
	kf_call_refused(f, KC_ESTATE, KC_HC_VCPU_INJECT_IRQ, vm, 1, UART_SPI, PRIO); /* off */
	kf_call_refused(f, KC_ENOENT, KC_HC_VCPU_INJECT_IRQ, vm + 1, 0, UART_SPI, PRIO);
	kf_call_refused(f, KC_EINVAL, KC_HC_VCPU_INJECT_IRQ, 999, 0, UART_SPI, PRIO);
	/* A VM not verified yet runs nothing: nothing to inject into. */
	const struct kf_image img = { IMG_BASE, 1, 0x20 };
	uint64_t vm2 = kf_vm_loaded(f, &img, 1);
	kf_call_refused(f, KC_ESTATE, KC_HC_VCPU_INJECT_IRQ, vm2, 0, UART_SPI, PRIO);
	/* A must-be-zero register. */
	uint64_t x[7] = { KC_HC_VCPU_INJECT_IRQ, vm, 0, UART_SPI, PRIO, 1, 0 };
	assert_int_equal(kf_call_regs(f, 0, x), KC_EINVAL);

	/* Controls: the edges of what a virtual GICv3 holds, on the vCPU that is there. */
	assert_int_equal(inject(f, vm, 0, 1019, 0xf8), KC_OK);
	assert_int_equal(inject(f, vm, 0, 0, 0), KC_OK); /* an SGI */
	assert_int_equal(inject(f, vm, 0, TIMER_PPI, PRIO), KC_OK);
	assert_int_equal(inject(f, vm, 0, UART_SPI, PRIO), KC_OK);
	const struct kc_vcpu_regs *regs = kf_vcpu_regs(vm, 0);
	for (unsigned i = 0; i < KC_VGIC_LRS; i++)
		assert_int_equal(regs->vgic.lr[i] & LR_HW, 0);

	/* A VM that is off runs nothing again: nothing to inject into. */
	assert_int_equal(kf_call(f, KC_HC_VM_POWEROFF, vm, 0, 0, 0, NULL), KC_OK);
	kf_call_refused(f, KC_ESTATE, KC_HC_VCPU_INJECT_IRQ, vm, 0, UART_SPI, PRIO);
}

/*
 * The pending set is the list registers: a fifth interrupt while four wait
 * is KC_EBUSY with nothing changed; one already pending is pending once
 * (no second slot); once the guest took one, its slot is free again.
 */
static void test_inject_full(void **state)
{
	struct kf *f = *state;
	uint64_t vm = kf_vm_with_vcpus(f, IMG_BASE, 1);
	const struct kc_vcpu_regs *regs = kf_vcpu_regs(vm, 0);
	uint8_t before[KC_DIGEST_LEN], after[KC_DIGEST_LEN];

	for (unsigned i = 0; i < KC_VGIC_LRS; i++)
		assert_int_equal(inject(f, vm, 0, 40 + i, PRIO - 8 * i), KC_OK);
	kf_call_refused(f, KC_EBUSY, KC_HC_VCPU_INJECT_IRQ, vm, 0, 50, PRIO);
	kf_digest(f, before);
	assert_int_equal(inject(f, vm, 0, 41, PRIO - 8), KC_OK);
	kf_digest(f, after);
	kf_assert_same("re-injecting a pending INTID", before, after);

	/* The guest takes the highest priority one (43: 0x88) and finishes it. */
	PROG(f, vm, 0, IMG_BASE, MRS(5, ICC_IAR1), EXPECT(5, 43), MSR(ICC_EOIR1, 5), WFI);
	run_expect(f, vm, KC_EXIT_WFI, 0, 0);
	no_guest_failures(f);
	assert_int_equal(inject(f, vm, 0, 50, PRIO), KC_OK);
	unsigned found = 0;
	for (unsigned i = 0; i < KC_VGIC_LRS; i++)
		found +=
			(regs->vgic.lr[i] & 0xffffffffull) == 50 && (regs->vgic.lr[i] & LR_PENDING);
	assert_int_equal(found, 1);
}

/*
 * An interrupt the guest is handling (active) and that comes again is
 * pending and active in the same slot: taken again after its EOI.
 */
static void test_inject_while_active(void **state)
{
	struct kf *f = *state;
	uint64_t vm = kf_vm_with_vcpus(f, IMG_BASE, 1);
	const struct kc_vcpu_regs *regs = kf_vcpu_regs(vm, 0);

	assert_int_equal(inject(f, vm, 0, UART_SPI, PRIO), KC_OK);
	PROG(f, vm, 0, IMG_BASE, MRS(5, ICC_IAR1), EXPECT(5, UART_SPI), WFI, MSR(ICC_EOIR1, 5),
	     MRS(6, ICC_IAR1), EXPECT(6, UART_SPI), MSR(ICC_EOIR1, 6), MRS(7, ICC_IAR1),
	     EXPECT(7, 1023), WFI);
	run_expect(f, vm, KC_EXIT_WFI, 0, 0);
	assert_true(regs->vgic.lr[0] & LR_ACTIVE);
	assert_int_equal(inject(f, vm, 0, UART_SPI, PRIO), KC_OK);
	assert_int_equal(regs->vgic.lr[0] & (LR_ACTIVE | LR_PENDING), LR_ACTIVE | LR_PENDING);
	for (unsigned i = 1; i < KC_VGIC_LRS; i++)
		assert_int_equal(regs->vgic.lr[i] & (LR_ACTIVE | LR_PENDING), 0);
	run_expect(f, vm, KC_EXIT_WFI, 0, 0);
	no_guest_failures(f);
}

/*
 * A physical interrupt while the guest runs is KC_EXIT_IRQ with nothing
 * else (x2 = x3 = 0, though the guest's registers hold its secret), and the
 * guest goes on where it was.  Control: the same guest, run again without
 * an interrupt, gets to its WFI with its state intact.
 */
static void test_irq_exit_shows_nothing(void **state)
{
	struct kf *f = *state;
	uint64_t vm = kf_vm_with_vcpus(f, IMG_BASE, 1);

	PROG(f, vm, 0, IMG_BASE, SET(0, SECRET), SET(1, SECRET), SET(2, SECRET), SET(3, SECRET),
	     EXPECT(0, SECRET), EXPECT(3, SECRET), WFI);
	run_expect(f, vm, KC_EXIT_WFI, 0, 0); /* control: the program as such */
	PROG(f, vm, 0, kf_vcpu_pc(vm, 0), SET(0, SECRET), SET(1, SECRET), SET(2, SECRET),
	     SET(3, SECRET), EXPECT(0, SECRET), EXPECT(3, SECRET), WFI);
	uint64_t pc = kf_vcpu_pc(vm, 0);
	hm_guest_irq(f->m, 0);
	run_expect(f, vm, KC_EXIT_IRQ, 0, 0);
	assert_int_equal(kf_vcpu_pc(vm, 0), pc);
	run_expect(f, vm, KC_EXIT_WFI, 0, 0);
	assert_int_equal(kf_vcpu_pc(vm, 0), pc + 4 * 7);
	no_guest_failures(f);
}

/*
 * The virtual timer: a WFI exit tells the host when the armed timer is due
 * (0 when it is disabled or masked: the control); once it fires, kcore
 * masks it and pends PPI 27 itself, the guest takes it, and the host saw
 * only the WFI.
 */
static void test_timer(void **state)
{
	struct kf *f = *state;
	uint64_t vm = kf_vm_with_vcpus(f, IMG_BASE, 1);
	const struct kc_vcpu_regs *regs = kf_vcpu_regs(vm, 0);

	PROG(f, vm, 0, IMG_BASE, SET(1, 0x5000), MSR(CNTV_CVAL, 1), SET(1, 1), MSR(CNTV_CTL, 1),
	     WFI, SET(1, 3), MSR(CNTV_CTL, 1), WFI, SET(1, 0), MSR(CNTV_CTL, 1), WFI,
	     /* Armed at CVAL 0: fires at once (the model's counter reads 0). */
	     MSR(CNTV_CVAL, 1), SET(1, 1), MSR(CNTV_CTL, 1), SET(0, KC_PSCI_VERSION), HVC,
	     MRS(7, CNTV_CTL), EXPECT(7, 7), MRS(5, ICC_IAR1), EXPECT(5, TIMER_PPI),
	     MSR(ICC_EOIR1, 5), MRS(6, ICC_IAR1), EXPECT(6, 1023), WFI);
	run_expect(f, vm, KC_EXIT_WFI, 0x5000, 0);
	run_expect(f, vm, KC_EXIT_WFI, 0, 0); /* masked */
	run_expect(f, vm, KC_EXIT_WFI, 0, 0); /* disabled */
	for (unsigned i = 0; i < KC_VGIC_LRS; i++)
		assert_int_equal(regs->vgic.lr[i], 0);
	run_expect(f, vm, KC_EXIT_WFI, 0, 0); /* fired and taken: nothing due */
	no_guest_failures(f);
	assert_int_equal(regs->vgic.timer_irq, 0);
}

/*
 * The timer fires while every slot is taken: its PPI waits (the timer
 * stays masked, so it does not fire again and again) and gets the first
 * slot the guest frees.
 */
static void test_timer_waits_for_slot(void **state)
{
	struct kf *f = *state;
	uint64_t vm = kf_vm_with_vcpus(f, IMG_BASE, 1);
	const struct kc_vcpu_regs *regs = kf_vcpu_regs(vm, 0);

	/* Above the timer's priority: the guest takes them first. */
	for (unsigned i = 0; i < KC_VGIC_LRS; i++)
		assert_int_equal(inject(f, vm, 0, 40 + i, 0x80), KC_OK);
	PROG(f, vm, 0, IMG_BASE, SET(1, 0), MSR(CNTV_CVAL, 1), SET(1, 1), MSR(CNTV_CTL, 1), WFI,
	     MRS(5, ICC_IAR1), EXPECT(5, 40), MSR(ICC_EOIR1, 5), WFI, MRS(5, ICC_IAR1),
	     EXPECT(5, 41), MSR(ICC_EOIR1, 5), MRS(5, ICC_IAR1), EXPECT(5, 42), MSR(ICC_EOIR1, 5),
	     MRS(5, ICC_IAR1), EXPECT(5, 43), MSR(ICC_EOIR1, 5), MRS(5, ICC_IAR1),
	     EXPECT(5, TIMER_PPI), MSR(ICC_EOIR1, 5), WFI);
	run_expect(f, vm, KC_EXIT_WFI, 0, 0);
	assert_int_equal(regs->vgic.timer_irq, 1);
	assert_int_equal(regs->cntv_ctl & 2, 2);
	run_expect(f, vm, KC_EXIT_WFI, 0, 0);
	assert_int_equal(regs->vgic.timer_irq, 0);
	run_expect(f, vm, KC_EXIT_WFI, 0, 0);
	no_guest_failures(f);
}

/*
 * The guest sends an SGI: its write of ICC_SGI1R_EL1 is an exit that shows
 * the request (its defined fields only), and the host delivers it with
 * VCPU_INJECT_IRQ to the target; the guest goes on after its MSR.
 * Control: a read of the register is no exit (RAZ) and neither is a write
 * of another register kcore hides.
 */
static void test_sgi_exit(void **state)
{
	struct kf *f = *state;
	uint64_t vm = kf_vm_with_vcpus(f, IMG_BASE, 2);
	/* INTID 3 to vCPU 1 (TargetList bit 1), with RES0 bits [63:56] and [31:28] set. */
	const uint64_t req = 0xff00000030000000ull | 3ull << 24 | 1u << 1;

	/* (No read of ICC_SGI1R_EL1: it is write-only, a read is UNDEFINED: core/sysreg.c.) */
	PROG(f, vm, 0, IMG_BASE,
	     MSR(HM_SYSREG(2, 0, 0, 0, 4), 4), /* DBGBVR0_EL1: hidden, WI, no exit */
	     SET(4, req), MSR(ICC_SGI1R, 4), MSR(ICC_SGI1R, 31), WFI);
	run_expect(f, vm, KC_EXIT_SGI, 3ull << 24 | 1u << 1, 0);
	assert_int_equal(kf_vcpu_pc(vm, 0), IMG_BASE + 3 * 4); /* past the MSR */
	run_expect(f, vm, KC_EXIT_SGI, 0, 0);		       /* xzr */
	run_expect(f, vm, KC_EXIT_WFI, 0, 0);
	no_guest_failures(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_inject_taken_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_inject_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_inject_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_inject_while_active, setup, teardown),
		cmocka_unit_test_setup_teardown(test_irq_exit_shows_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timer_waits_for_slot, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sgi_exit, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
