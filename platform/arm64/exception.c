/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The handler for exceptions kcore does not expect: say everything a
 * person needs to find the cause (which vector, ESR decoded, ELR, FAR,
 * SPSR, the registers) and stop with KCORE_EXIT_EXCEPTION.  It prints
 * with the PL011 primitives only, not kc_printf, so that a fault in core's
 * printf still gets reported.
 */
#include "el2_exception.h"

#include <stdbool.h>

#include "pl011.h"
#include "semihost.h"
#include "sysreg.h"

/* Bumped on entry: a fault while handling one must not recurse for ever. */
static volatile unsigned el2_exception_depth;

static _Noreturn void el2_park(void)
{
	for (;;)
		__asm__ volatile("wfi");
}

static const char *el2_vector_name(unsigned vector)
{
	static const char *const names[16] = {
		"synchronous, current EL with SP_EL0",
		"IRQ, current EL with SP_EL0",
		"FIQ, current EL with SP_EL0",
		"SError, current EL with SP_EL0",
		"synchronous, current EL with SP_EL2",
		"IRQ, current EL with SP_EL2",
		"FIQ, current EL with SP_EL2",
		"SError, current EL with SP_EL2",
		"synchronous, lower EL AArch64",
		"IRQ, lower EL AArch64",
		"FIQ, lower EL AArch64",
		"SError, lower EL AArch64",
		"synchronous, lower EL AArch32",
		"IRQ, lower EL AArch32",
		"FIQ, lower EL AArch32",
		"SError, lower EL AArch32",
	};

	return vector < 16 ? names[vector] : "?";
}

static const char *el2_ec_name(unsigned ec)
{
	switch (ec) {
	case 0x00:
		return "unknown reason / undefined instruction";
	case 0x01:
		return "WFI/WFE trapped";
	case 0x0e:
		return "illegal execution state";
	case 0x15:
		return "SVC (AArch64)";
	case 0x16:
		return "HVC (AArch64)";
	case 0x17:
		return "SMC (AArch64)";
	case 0x18:
		return "MSR/MRS/system instruction trapped";
	case 0x20:
		return "instruction abort, lower EL";
	case 0x21:
		return "instruction abort, same EL";
	case 0x22:
		return "PC alignment fault";
	case 0x24:
		return "data abort, lower EL";
	case 0x25:
		return "data abort, same EL";
	case 0x26:
		return "SP alignment fault";
	case 0x2f:
		return "SError";
	case 0x3c:
		return "BRK (AArch64)";
	default:
		return "other (see the Arm ARM, ESR_EL2.EC)";
	}
}

/* Instruction/data abort fault status code, ISS[5:0]. */
static void el2_print_fsc(unsigned fsc)
{
	static const char *const kinds[4] = { "address size fault", "translation fault",
					      "access flag fault", "permission fault" };

	pl011_puts(" FSC=");
	pl011_put_hex(fsc);
	pl011_puts(" (");
	if (fsc <= 0x0f) {
		char level[] = ", level 0";

		level[8] = (char)('0' + (fsc & 3));
		pl011_puts(kinds[fsc >> 2]);
		pl011_puts(level);
	} else if (fsc == 0x10) {
		pl011_puts("synchronous external abort");
	} else if (fsc == 0x21) {
		pl011_puts("alignment fault");
	} else {
		pl011_puts("other");
	}
	pl011_puts(")");
}

static void el2_print_reg(const char *name, uint64_t v)
{
	pl011_puts(name);
	pl011_put_hex(v);
	pl011_puts("\n");
}

static void el2_print_esr(uint64_t esr)
{
	unsigned ec = ESR_EC(esr);

	pl011_puts("  ESR_EL2  = ");
	pl011_put_hex(esr);
	pl011_puts("\n    EC=");
	pl011_put_hex(ec);
	pl011_puts(" (");
	pl011_puts(el2_ec_name(ec));
	pl011_puts(") IL=");
	pl011_puts(esr & ESR_IL ? "1" : "0");
	pl011_puts(" ISS=");
	pl011_put_hex(ESR_ISS(esr));
	if (ec >= 0x20 && ec <= 0x25 && ec != 0x22 && ec != 0x23) {
		el2_print_fsc((unsigned)(esr & 0x3f));
		if (ec >= 0x24)
			pl011_puts(esr & (1u << 6) ? " WnR=1 (write)" : " WnR=0 (read)");
	}
	pl011_puts("\n");
}

static void el2_print_gprs(const struct el2_frame *f)
{
	for (unsigned i = 0; i < 31; i += 2) {
		char name[] = "  x00 = ";

		name[3] = (char)('0' + i / 10);
		name[4] = (char)('0' + i % 10);
		pl011_puts(name);
		pl011_put_hex(f->x[i]);
		if (i + 1 < 31) {
			name[3] = (char)('0' + (i + 1) / 10);
			name[4] = (char)('0' + (i + 1) % 10);
			pl011_puts(name);
			pl011_put_hex(f->x[i + 1]);
		}
		pl011_puts("\n");
	}
	el2_print_reg("  sp  = ", f->sp);
}

/*
 * Without -semihosting QEMU treats the semihosting HLT as an undefined
 * instruction (toolchain-notes §3 gotcha 4): exiting again would just
 * come back here, so say what is wrong and park; the harness times out.
 */
static bool el2_is_semihost_undef(const struct el2_frame *f)
{
	return ESR_EC(f->esr) == ESR_EC_UNKNOWN &&
	       *(const volatile uint32_t *)(uintptr_t)f->elr == SEMIHOST_HLT_INSN;
}

_Noreturn void el2_exception_handler(unsigned vector, struct el2_frame *f)
{
	unsigned depth = el2_exception_depth++;

	if (depth == 1) {
		pl011_puts("\nkcore: exception while handling an exception: parking\n");
		el2_park();
	}
	if (depth > 1)
		el2_park(); /* even printing faults: stay silent */
	if (el2_is_semihost_undef(f)) {
		pl011_puts("\nkcore: semihosting HLT trapped as an undefined instruction at ");
		pl011_put_hex(f->elr);
		pl011_puts(": run QEMU with -semihosting to get an exit status; parking\n");
		el2_park();
	}
	pl011_puts("\nkcore: unexpected exception: ");
	pl011_puts(el2_vector_name(vector));
	pl011_puts(" (VBAR_EL2 + ");
	pl011_put_hex(vector * 0x80u);
	pl011_puts(")\n");
	el2_print_esr(f->esr);
	el2_print_reg("  ELR_EL2  = ", f->elr);
	el2_print_reg("  FAR_EL2  = ", f->far);
	el2_print_reg("  SPSR_EL2 = ", f->spsr);
	el2_print_gprs(f);
	pl011_puts("kcore: stopping (exit status 3)\n");
	semihost_exit(KCORE_EXIT_EXCEPTION);
}
