/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The host's exception handling: aborts a test asks for are recorded and
 * resumed after; anything else ends the run without a summary.
 */
#include "host.h"

/*
 * Aborts a test asks for: the access helpers below set `abort_expected`,
 * the synchronous vector for the current EL with SP_EL1 (index 4, +0x200)
 * records the syndrome and resumes after the access (a load or store: the
 * next instruction; a branch: its return address).
 */
static volatile bool abort_expected;
bool (*volatile host_irq_hook)(void);
volatile unsigned abort_count;
volatile uint64_t abort_esr, abort_far, abort_elr, abort_spsr;

static uint64_t sysreg_esr(void)
{
	uint64_t v;
	__asm__ volatile("mrs %0, esr_el1" : "=r"(v));
	return v;
}

void host_exception(unsigned vector, struct host_frame *f)
{
	uint64_t esr = sysreg_esr(), far, elr, spsr;

	__asm__ volatile("mrs %0, far_el1" : "=r"(far));
	__asm__ volatile("mrs %0, elr_el1" : "=r"(elr));
	__asm__ volatile("mrs %0, spsr_el1" : "=r"(spsr));
	if (vector == 8) { /* from EL0: host_el0_load's load aborted, or its SVC */
		unsigned ec = (unsigned)(esr >> 26) & 0x3f;

		if (ec != 0x15) { /* not the SVC: an abort */
			abort_count++;
			abort_esr = esr;
			abort_far = far;
			abort_elr = elr;
			abort_spsr = spsr;
		}
		abort_expected = false;
		__asm__ volatile("msr elr_el1, %0" : : "r"((uint64_t)(uintptr_t)host_el0_back));
		__asm__ volatile("msr spsr_el1, %0" : : "r"(0x3c5ull)); /* back at EL1h */
		return;
	}
	if (vector == 5 && host_irq_hook && host_irq_hook()) /* IRQ, current EL with SP_EL1 */
		return;
	if (abort_expected && vector == 4) {
		unsigned ec = (unsigned)(esr >> 26) & 0x3f;

		abort_expected = false;
		abort_count++;
		abort_esr = esr;
		abort_far = far;
		abort_elr = elr;
		abort_spsr = spsr;
		/* An instruction abort on a branch target: go back to the caller. */
		elr = ec == 0x21 ? f->x30 : elr + 4;
		__asm__ volatile("msr elr_el1, %0" : : "r"(elr));
		return;
	}
	puts_("host: unexpected exception, vector ");
	putdec(vector);
	puts_(" ESR_EL1 ");
	puthex(esr);
	puts_(" FAR_EL1 ");
	puthex(far);
	puts_(" ELR_EL1 ");
	puthex(elr);
	puts_("\nhost: stopping without a summary\n");
	power_off();
}

/* Load 8 bytes at `addr`; true if it did not abort.  *pc = the load's address. */
bool host_load(uint64_t addr, uint64_t *val, uint64_t *pc)
{
	unsigned before = abort_count;
	uint64_t v = 0, at;

	abort_expected = true;
	__asm__ volatile("adr %1, 1f\n"
			 "1:\tldr %0, [%2]"
			 : "+r"(v), "=&r"(at)
			 : "r"(addr)
			 : "memory");
	abort_expected = false;
	if (val)
		*val = v;
	if (pc)
		*pc = at;
	return abort_count == before;
}

bool host_store(uint64_t addr, uint64_t val)
{
	unsigned before = abort_count;

	abort_expected = true;
	__asm__ volatile("str %0, [%1]" : : "r"(val), "r"(addr) : "memory");
	abort_expected = false;
	return abort_count == before;
}

/* Branch to `addr` (kcore's text): must abort on the fetch. */
bool host_exec(uint64_t addr)
{
	unsigned before = abort_count;

	abort_expected = true;
	__asm__ volatile("blr %0"
			 :
			 : "r"(addr)
			 : "x0", "x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11",
			   "x12", "x13", "x14", "x15", "x16", "x17", "x30", "memory");
	abort_expected = false;
	return abort_count == before;
}

unsigned esr_ec(uint64_t esr)
{
	return (unsigned)(esr >> 26) & 0x3fu;
}

/* An injected abort as Linux would see it: the class, SEA, WnR, the FAR. */
void expect_abort(const char *what, uint64_t addr, unsigned ec, bool write)
{
	result(what,
	       abort_far == addr && esr_ec(abort_esr) == ec && (abort_esr & 0x3fu) == 0x10u &&
		       !!(abort_esr & (1u << 6)) == write && (abort_esr & (1u << 25)) &&
		       (abort_spsr & 0xfu) == 0x5u,
	       "wrong ESR_EL1/FAR_EL1/SPSR_EL1");
	if (abort_far != addr || esr_ec(abort_esr) != ec) {
		puts_("  ESR_EL1 ");
		puthex(abort_esr);
		puts_(" FAR_EL1 ");
		puthex(abort_far);
		putc_('\n');
	}
}
