/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Guest programs for the hosted guest model (kcore_hosted/guest.h) in the
 * ABI tests: one op per "instruction", four bytes of the guest's PC each.
 *   PROG(f, vm, vcpu, at, SET(1, 5), HVC, EXPECT(0, 0), WFI);
 */
#ifndef KCORE_TEST_GUESTPROG_H
#define KCORE_TEST_GUESTPROG_H

#include "fixture.h"

#define OP(o, r, s, a, v) ((struct hm_guest_op){ HM_GOP_##o, (r), (s), (a), (v) })
#define SET(r, v)	  OP(SET, r, 0, 0, v)
#define EXPECT(r, v)	  OP(EXPECT, r, 0, 0, v)
#define MRS(r, enc)	  OP(MRS, r, 0, 0, enc)
#define MSR(enc, r)	  OP(MSR, r, 0, 0, enc)
#define HVC		  OP(HVC, 0, 0, 0, 0)
#define WFI		  OP(WFI, 0, 0, 0, 0)

/* Load the ops at IPA `at` as vCPU `vcpu`'s program (the test fails if the model refuses). */
#define PROG(f, vm, vcpu, at, ...)                                                                 \
	do {                                                                                       \
		const struct hm_guest_op p_[] = { __VA_ARGS__ };                                   \
		assert_int_equal(hm_guest_program((f)->m, (uint16_t)(vm), (vcpu), (at), p_,        \
						  sizeof(p_) / sizeof(p_[0])),                     \
				 0);                                                               \
	} while (0)

#endif /* KCORE_TEST_GUESTPROG_H */
