/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * plat_entropy from FEAT_RNG.  RNDR is spelled by encoding (S3_3_C2_C4_0)
 * so the image builds without -march=armv8.5-a+rng; it is executed only
 * after ID_AA64ISAR0_EL1 says it exists (else it would be an UNDEF).
 */
#include <kcore/platform.h>

#include "arm64_plat.h"
#include "sysreg.h"

/*
 * RNDR may fail transiently (NZCV = 0b0100 with a zero result) when the
 * generator cannot deliver in reasonable time; the Arm ARM leaves a retry
 * to software.  A generator that keeps failing is treated as broken.
 */
#define ENTROPY_RETRIES 16

bool arm64_entropy_present(void)
{
	return ISAR0_RNDR(read_sysreg(id_aa64isar0_el1)) != 0;
}

static bool entropy_rndr(uint64_t *out)
{
	for (int i = 0; i < ENTROPY_RETRIES; i++) {
		uint64_t v, ok;

		__asm__ volatile("mrs %0, s3_3_c2_c4_0\n\t"
				 "cset %1, ne"
				 : "=r"(v), "=r"(ok)
				 :
				 : "cc");
		if (ok) {
			*out = v;
			return true;
		}
	}
	return false;
}

bool plat_entropy(void *buf, size_t len)
{
	unsigned char *p = buf;

	if (!arm64_entropy_present())
		return false;
	while (len) {
		uint64_t v;
		size_t n = len < sizeof(v) ? len : sizeof(v);

		if (!entropy_rndr(&v))
			return false;
		for (size_t i = 0; i < n; i++)
			p[i] = (unsigned char)(v >> (8 * i));
		p += n;
		len -= n;
	}
	return true;
}
