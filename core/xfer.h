/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The record format of encrypted export and import (docs/EXPORT.md),
 * shared by core/export.c and core/import.c.  Core-private.
 *
 * A record is sealed with ChaCha20-Poly1305 under the session key:
 *   key   = HKDF-SHA256(salt = the session's salt, IKM = kcore's root
 *           secret, info = "kcore export" || session id || ABI version)
 *   nonce = session id (4 bytes LE) || counter (8 bytes LE)
 *   AAD   = "KCX1" || session id || epoch || ABI version || counter || meta
 * so the tag binds the session, the record's place in the stream, its
 * kind, its gfn or vCPU index and the page's attributes.
 */
#ifndef KCORE_XFER_H
#define KCORE_XFER_H

#include <kcore/abi.h>
#include <stdbool.h>
#include <stdint.h>

#include "state.h"

/* One epoch per session today: the field is bound so a later live migration can add more. */
#define XFER_EPOCH 0u

/* A vCPU record's plaintext: the whole shadow context and the exit it waits on. */
struct xfer_vcpu {
	uint32_t power;	  /* enum vcpu_power */
	uint32_t pending; /* enum vcpu_pending */
	uint64_t fault_ipa;
	uint64_t fault_esr;
	struct kc_vcpu_regs regs;
};

/* The end record's plaintext: the totals, and what the VM is beyond pages and vCPUs. */
struct xfer_end {
	uint64_t pages;	  /* PAGE records */
	uint64_t guards;  /* GUARD records */
	uint64_t vcpus;	  /* mask of the vCPUs recorded */
	uint64_t records; /* counter of this record = every record of the stream */
	struct kc_manifest_layout layout;
};

_Static_assert(sizeof(struct xfer_vcpu) <= PGT_PAGE_SIZE, "a vCPU record fits a frame");
_Static_assert(sizeof(struct xfer_end) <= PGT_PAGE_SIZE, "the end record fits a frame");
_Static_assert(KC_MAX_VCPUS <= 32, "the vCPU mask is 32 bits");

/* Bytes of ciphertext a record of `kind` has in its frame (0: none, or an unknown kind). */
uint64_t xfer_payload_len(uint32_t kind);

/* The session key of (sid, salt), from kcore's root secret. */
void xfer_key_derive(uint32_t sid, const uint8_t salt[XFER_SALT_LEN],
		     uint8_t key[CRYPTO_AEAD_KEY_LEN]);

/* Seal buf[0, len) in place as record number x->counter with `meta`. */
void xfer_seal(const struct kc_xfer *x, uint64_t meta, void *buf, uint64_t len,
	       uint8_t tag[CRYPTO_AEAD_TAG_LEN]);

/* Open it in place: false (buf as it was) unless the tag is right. */
bool xfer_open(const struct kc_xfer *x, uint64_t meta, void *buf, uint64_t len,
	       const uint8_t tag[CRYPTO_AEAD_TAG_LEN]);

/* The tag as two little-endian words (x2, x3 of an export; x4, x5 of an import). */
void xfer_tag_to_words(const uint8_t tag[CRYPTO_AEAD_TAG_LEN], uint64_t *lo, uint64_t *hi);
void xfer_tag_from_words(uint64_t lo, uint64_t hi, uint8_t tag[CRYPTO_AEAD_TAG_LEN]);

/*
 * The host frame `pfn` as a record's carrier: KC_OK if it is RAM owned by
 * the host with count 0 (no DMA, not shared), with *pa set; KC_EINVAL if
 * it is not RAM, KC_EPERM if someone else owns it, KC_EBUSY if it has a
 * count.  frames_lock held.
 */
int xfer_host_frame_locked(uint64_t pfn, kc_paddr_t *pa);

/* Zero `len` bytes the compiler must not drop (plaintext, keys). */
void xfer_scrub(void *buf, uint64_t len);

#endif /* KCORE_XFER_H */
