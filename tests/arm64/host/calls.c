/* SPDX-License-Identifier: BSD-2-Clause */
/* Calls into kcore: HVC for kcore's ABI and SMCCC, SMC for PSCI (trapped by kcore). */
#include "host.h"

void hvc(struct host_call *c)
{
	register uint64_t x0 __asm__("x0") = c->x[0];
	register uint64_t x1 __asm__("x1") = c->x[1];
	register uint64_t x2 __asm__("x2") = c->x[2];
	register uint64_t x3 __asm__("x3") = c->x[3];
	register uint64_t x4 __asm__("x4") = c->x[4];
	register uint64_t x5 __asm__("x5") = c->x[5];
	register uint64_t x6 __asm__("x6") = c->x[6];

	__asm__ volatile("hvc #0"
			 : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3), "+r"(x4), "+r"(x5), "+r"(x6)
			 :
			 : "memory");
	c->x[0] = x0;
	c->x[1] = x1;
	c->x[2] = x2;
	c->x[3] = x3;
	c->x[4] = x4;
	c->x[5] = x5;
	c->x[6] = x6;
}

int64_t call(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5,
	     uint64_t a6, uint64_t *r1)
{
	struct host_call c = { { fn, a1, a2, a3, a4, a5, a6 } };

	hvc(&c);
	if (r1)
		*r1 = c.x[1];
	return (int64_t)c.x[0];
}

uint64_t smc(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3)
{
	register uint64_t x0 __asm__("x0") = fn;
	register uint64_t x1 __asm__("x1") = a1;
	register uint64_t x2 __asm__("x2") = a2;
	register uint64_t x3 __asm__("x3") = a3;

	__asm__ volatile("smc #0"
			 : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)
			 :
			 : "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12", "x13", "x14",
			   "x15", "x16", "x17", "memory");
	return x0;
}

_Noreturn void power_off(void)
{
	smc(KC_PSCI_SYSTEM_OFF, 0, 0, 0);
	puts_("host: SYSTEM_OFF returned\n");
	for (;;)
		__asm__ volatile("wfi");
}
