/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Interrupts on the real world switch (docs/VCPU.md, "Interrupts"): the
 * signed irq guest takes the SPI the host injects, the virtual timer PPI
 * kcore raises, and an SGI it sends itself (an SGI exit the host turns
 * into an injection), through its GICv3 virtual CPU interface; the host's
 * own interrupt while the guest runs is an IRQ exit that shows nothing of
 * the guest; what a virtual GICv3 cannot hold, and what would let the
 * host reach a physical interrupt (the HW bit), is refused.
 */
#include "host.h"
#include "irq.h"
#include <string.h>

/* tests/arm64/guests/irq, linked in by guests.S. */
extern const uint8_t guest_irq_image[], guest_irq_image_end[];
extern const uint8_t guest_irq_manifest[], guest_irq_manifest_end[];

/* Host frames this test gives away (clear of test_guest.c's). */
#define IRQ_IMAGE_PA	0x4c010000ull
#define IRQ_MANIFEST_PA 0x4c011000ull

/*
 * The host's GICv3 on QEMU virt: distributor, and the redistributor of
 * the CPU this runs on (CPU 0: the first frame), SGI/PPI page 64 KiB above.
 */
#define GICD		0x08000000ull
#define GICR		0x080a0000ull
#define GICR_SGI	(GICR + 0x10000)
#define GICD_CTLR_ARE	(1u << 4)
#define GICD_CTLR_G1	(1u << 1)
#define GICR_WAKER	0x14
#define GICR_IGROUPR0	0x80
#define GICR_ISENABLER0 0x100
#define GICR_IPRIORITYR 0x400
#define PPI_CNTP	30 /* the EL1 physical timer */

static inline void mmio_w32(uint64_t a, uint32_t v)
{
	*(volatile uint32_t *)(uintptr_t)a = v;
}

static inline uint32_t mmio_r32(uint64_t a)
{
	return *(volatile uint32_t *)(uintptr_t)a;
}

/* PPI 30 as a Group 1 interrupt of this CPU, its CPU interface on. */
static void host_gic_init(void)
{
	mmio_w32(GICD, mmio_r32(GICD) | GICD_CTLR_ARE | GICD_CTLR_G1);
	mmio_w32(GICR + GICR_WAKER, mmio_r32(GICR + GICR_WAKER) & ~2u); /* ProcessorSleep */
	for (unsigned i = 0; i < 100000 && (mmio_r32(GICR + GICR_WAKER) & 4u); i++)
		;
	mmio_w32(GICR_SGI + GICR_IGROUPR0, mmio_r32(GICR_SGI + GICR_IGROUPR0) | 1u << PPI_CNTP);
	*(volatile uint8_t *)(uintptr_t)(GICR_SGI + GICR_IPRIORITYR + PPI_CNTP) = 0x80;
	mmio_w32(GICR_SGI + GICR_ISENABLER0, 1u << PPI_CNTP);
	__asm__ volatile("mrs x0, S3_0_C12_C12_5\n\t" /* ICC_SRE_EL1 */
			 "orr x0, x0, #1\n\t"
			 "msr S3_0_C12_C12_5, x0\n\t"
			 "isb\n\t"
			 "mov x0, #0xff\n\t"
			 "msr S3_0_C4_C6_0, x0\n\t" /* ICC_PMR_EL1 */
			 "mov x0, #1\n\t"
			 "msr S3_0_C12_C12_7, x0\n\t" /* ICC_IGRPEN1_EL1 */
			 "isb"
			 :
			 :
			 : "x0", "memory");
}

/* The host's own interrupts, taken through host_irq_hook (exceptions.c). */
static volatile unsigned host_irqs;
static volatile uint64_t host_irq_last;

static bool irq_take(void)
{
	uint64_t intid;

	__asm__ volatile("mrs %0, S3_0_C12_C12_0" : "=r"(intid)); /* ICC_IAR1_EL1 */
	if (intid >= 1020)
		return true;
	if (intid == PPI_CNTP)
		__asm__ volatile("msr cntp_ctl_el0, xzr\n\tisb" : : : "memory");
	host_irqs++;
	host_irq_last = intid;
	__asm__ volatile("msr S3_0_C12_C12_1, %0\n\tisb" : : "r"(intid) : "memory"); /* EOIR1 */
	return true;
}

/* VCPU_RUN of vCPU 0; the exit in c->x[1..3]. */
static int64_t run(uint64_t vm, uint64_t finish, struct host_call *c)
{
	*c = (struct host_call){ { KC_HC_VCPU_RUN, vm, 0, finish, 0, 0, 0 } };
	hvc(c);
	return (int64_t)c->x[0];
}

static void refusals(uint64_t vm)
{
	static const struct {
		const char *what;
		uint64_t vcpu, intid, prio;
		int64_t want;
	} bad[] = {
		{ "irq: a special INTID (1020) -> EINVAL", 0, 1020, 0xa0, KC_EINVAL },
		{ "irq: an LPI (8192) -> EINVAL", 0, 8192, 0xa0, KC_EINVAL },
		{ "irq: the HW bit (with pINTID 30) -> EINVAL", 0,
		  IRQ_UART_SPI | 1ull << 61 | (uint64_t)PPI_CNTP << 32, 0xa0, KC_EINVAL },
		{ "irq: a priority below the interface's 32 levels -> EINVAL", 0, IRQ_UART_SPI,
		  0xa1, KC_EINVAL },
		{ "irq: a vCPU that does not exist -> ENOENT", 1, IRQ_UART_SPI, 0xa0, KC_ENOENT },
	};

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect(bad[i].what,
		       call(KC_HC_VCPU_INJECT_IRQ, vm, bad[i].vcpu, bad[i].intid, bad[i].prio, 0, 0,
			    NULL),
		       bad[i].want);
}

void test_irq(void)
{
	size_t image_len = (size_t)(guest_irq_image_end - guest_irq_image);
	size_t manifest_len = (size_t)(guest_irq_manifest_end - guest_irq_manifest);
	uint64_t vm = 0, idx = 0, left = 1, finish = KC_RUN_RESUME;
	struct host_call c;
	char out[64];
	unsigned nout = 0, runs, injected = 0, wfis = 0, due = 0, sgis = 0;
	bool off = false;

	if (!HOST_GUEST_KEY_TRUSTED) {
		result("irq: # SKIP the image does not trust tests/arm64/guests/test-guest.pub",
		       true, NULL);
		return;
	}
	host_gic_init();
	host_irq_hook = irq_take;
	result("irq: the image and manifest fit a page each",
	       image_len <= 4096 && manifest_len <= 4096, "too big");
	host_fill_page(IRQ_IMAGE_PA, guest_irq_image, image_len);
	host_fill_page(IRQ_MANIFEST_PA, guest_irq_manifest, manifest_len);
	expect("irq: VM_CREATE", call(KC_HC_VM_CREATE, 0, 0, 0, 0, 0, 0, &vm), KC_OK);
	expect("irq: VCPU_CREATE", call(KC_HC_VCPU_CREATE, vm, 0, 0, 0, 0, 0, NULL), KC_OK);
	expect("irq: VM_SET_IMAGE", call(KC_HC_VM_SET_IMAGE, vm, IRQ_BASE, 0x1000, 0, 0, 0, &idx),
	       KC_OK);
	expect("irq: VM_LOAD_IMAGE_PAGE",
	       call(KC_HC_VM_LOAD_IMAGE_PAGE, vm, idx, IRQ_IMAGE_PA >> 12, 0, 0, 0, NULL), KC_OK);
	expect("irq: INJECT_IRQ before VM_VERIFY -> ESTATE",
	       call(KC_HC_VCPU_INJECT_IRQ, vm, 0, IRQ_UART_SPI, 0xa0, 0, 0, NULL), KC_ESTATE);
	expect("irq: VM_VERIFY", call(KC_HC_VM_VERIFY, vm, IRQ_MANIFEST_PA >> 12, 0, 0, 0, 0, NULL),
	       KC_OK);
	refusals(vm);

	/*
	 * The host's physical timer fires at once, IRQs masked here: the guest
	 * it enters exits with KC_EXIT_IRQ, and the host takes its interrupt
	 * once it unmasks.
	 */
	__asm__ volatile("msr daifset, #2\n\t"
			 "msr cntp_tval_el0, xzr\n\t"
			 "mov x0, #1\n\t"
			 "msr cntp_ctl_el0, x0\n\t"
			 "isb"
			 :
			 :
			 : "x0", "memory");
	expect("irq: VCPU_RUN with the host's timer pending", run(vm, KC_RUN_RESUME, &c), KC_OK);
	expect("irq: ... is an IRQ exit", (int64_t)c.x[1], KC_EXIT_IRQ);
	result("irq: ... showing nothing of the guest (x2 = x3 = 0)", c.x[2] == 0 && c.x[3] == 0,
	       "x2/x3 set");
	__asm__ volatile("msr daifclr, #2\n\tisb\n\tnop\n\tmsr daifset, #2" : : : "memory");
	expect("irq: the host took its own timer interrupt once", host_irqs, 1);
	expect("irq: ... PPI 30", (int64_t)host_irq_last, PPI_CNTP);

	for (runs = 0; runs < 20000 && !off; runs++) {
		if (run(vm, finish, &c) != KC_OK) {
			expect("irq: VCPU_RUN", (int64_t)c.x[0], KC_OK);
			break;
		}
		finish = KC_RUN_RESUME;
		switch (KC_EXIT_KIND(c.x[1])) {
		case KC_EXIT_MMIO:
			if ((c.x[1] & KC_EXIT_F_WRITE) && c.x[2] == IRQ_UART &&
			    nout < sizeof(out) - 1)
				out[nout++] = (char)c.x[3];
			finish = KC_RUN_MMIO_DONE;
			break;
		case KC_EXIT_WFI:
			wfis++;
			due += c.x[2] != 0;
			break;
		case KC_EXIT_POWEROFF:
			off = true;
			break;
		case KC_EXIT_IRQ:
			break;
		case KC_EXIT_SGI:
			/* The host's distributor work: each target of the request (Aff1-3 = 0). */
			sgis++;
			expect("irq: the guest's SGI request is INTID 1 to vCPU 0", (int64_t)c.x[2],
			       1 << 24 | 1);
			for (unsigned t = 0; t < 16; t++)
				if (c.x[2] >> t & 1)
					expect("irq: VCPU_INJECT_IRQ of the SGI",
					       call(KC_HC_VCPU_INJECT_IRQ, vm, t,
						    c.x[2] >> 24 & 0xf, 0xa0, 0, 0, NULL),
					       KC_OK);
			break;
		default:
			puts_("irq: unexpected exit ");
			puthex(c.x[1]);
			putc_('\n');
			runs = 20000;
			break;
		}
		/* The guest waits for the UART's interrupt: inject it once. */
		if (wfis && !injected && !off) {
			expect("irq: VCPU_INJECT_IRQ of the UART's SPI",
			       call(KC_HC_VCPU_INJECT_IRQ, vm, 0, IRQ_UART_SPI, 0xa0, 0, 0, NULL),
			       KC_OK);
			injected++;
		}
	}
	out[nout] = '\0';
	puts_("irq: the guest wrote: ");
	puts_(out);
	result("irq: it powered off", off, "no POWEROFF exit");
	result("irq: it took the SPI once, then its timer's PPI, then its own SGI, nothing else",
	       strcmp(out, "irq 033\nirq 027\nirq 001\ndone\n") == 0, "wrong output");
	expect("irq: one SGI exit", sgis, 1);
	expect("irq: the host's timer fired only the once", host_irqs, 1);
	result("irq: a WFI exit while the guest's timer was armed said when it is due", due > 0,
	       "no deadline shown");
	for (unsigned i = 0; i < 8 && left; i++)
		if (call(KC_HC_VM_RECLAIM, vm, 16, 0, 0, 0, 0, &left) != KC_OK)
			break;
	expect("irq: VM_RECLAIM until no frame is left", (int64_t)left, 0);
	expect("irq: VM_DESTROY", call(KC_HC_VM_DESTROY, vm, 0, 0, 0, 0, 0, NULL), KC_OK);
	host_irq_hook = NULL;
}
