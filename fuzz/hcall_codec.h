/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_hcall's input format (docs/FUZZING.md): bytes <-> trace operations.
 *
 *   header   2 bytes: machine size classes and fault-injection bits
 *   ops      repeated: an opcode byte, then the operation's fields
 *
 * Every argument starts with a selector byte: 0xFF means "a literal 64-bit
 * value follows" (8 bytes, little endian); anything else picks a value
 * biased towards what matters at that moment — live VM ids, the vCPU and
 * IPA of the last fault, recently used frames, fresh host frames, kcore's
 * own frames, device frames.  Decoding therefore depends on the executor's
 * state, and the fuzzer decodes one operation, runs it, decodes the next.
 *
 * The encoder writes every argument as a literal, so any trace whose
 * machine fits the header's classes becomes a seed input that replays
 * exactly that trace (fuzz/make-corpus.sh).
 */
#ifndef KCORE_FUZZ_HCALL_CODEC_H
#define KCORE_FUZZ_HCALL_CODEC_H

#include "replay.h"

#include <stddef.h>
#include <stdint.h>

#define FZ_MAX_OPS 64 /* operations per input: a bounded run */

struct fz_in {
	const uint8_t *p;
	size_t n;
	uint64_t next_pfn; /* fresh host frames handed out so far (decoder state) */
	uint64_t ram;
};

/* Decode the header into a machine; false if the input is too short. */
bool fz_decode_machine(struct fz_in *in, struct rp_machine *mc);
/* Decode the next operation, biased by `ex`'s state; false at the end. */
bool fz_decode_op(struct fz_in *in, struct rp_exec *ex, const struct rp_machine *mc,
		  struct rp_op *op);

/* Encoders: bytes appended at out[*len], up to `size`; false if it does not fit / fit a class. */
bool fz_encode_machine(const struct rp_machine *mc, uint8_t *out, size_t size, size_t *len);
bool fz_encode_op(const struct rp_op *op, uint8_t *out, size_t size, size_t *len);

#endif /* KCORE_FUZZ_HCALL_CODEC_H */
