/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The record format of export and import (core/xfer.h, docs/EXPORT.md):
 * key derivation, nonce and AAD, and the host frames records travel in.
 * The cryptography is BearSSL's, through core/crypto.c.
 */
#include <kcore/crypto.h>
#include <kcore/mem.h>

#include "xfer.h"

static void put_le32(uint8_t *p, uint32_t v)
{
	for (unsigned i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put_le64(uint8_t *p, uint64_t v)
{
	for (unsigned i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

uint64_t xfer_payload_len(uint32_t kind)
{
	switch (kind) {
	case KC_XREC_PAGE:
		return PGT_PAGE_SIZE;
	case KC_XREC_VCPU:
		return sizeof(struct xfer_vcpu);
	case KC_XREC_END:
		return sizeof(struct xfer_end);
	default:
		return 0;
	}
}

void xfer_key_derive(uint32_t sid, const uint8_t salt[XFER_SALT_LEN],
		     uint8_t key[CRYPTO_AEAD_KEY_LEN])
{
	static const char label[12] = "kcore export"; /* no NUL: 12 bytes of label */
	uint8_t info[sizeof(label) + 8];

	memcpy(info, label, sizeof(label));
	put_le32(info + sizeof(label), sid);
	put_le32(info + sizeof(label) + 4, KC_ABI_VERSION);
	crypto_hkdf_sha256(salt, XFER_SALT_LEN, kc.xfer_root, sizeof(kc.xfer_root), info,
			   sizeof(info), key, CRYPTO_AEAD_KEY_LEN);
}

#define XFER_AAD_LEN 32

static void xfer_nonce_aad(const struct kc_xfer *x, uint64_t meta,
			   uint8_t nonce[CRYPTO_AEAD_NONCE_LEN], uint8_t aad[XFER_AAD_LEN])
{
	put_le32(nonce, x->sid);
	put_le64(nonce + 4, x->counter);
	memcpy(aad, "KCX1", 4);
	put_le32(aad + 4, x->sid);
	put_le32(aad + 8, XFER_EPOCH);
	put_le32(aad + 12, KC_ABI_VERSION);
	put_le64(aad + 16, x->counter);
	put_le64(aad + 24, meta);
}

void xfer_seal(const struct kc_xfer *x, uint64_t meta, void *buf, uint64_t len,
	       uint8_t tag[CRYPTO_AEAD_TAG_LEN])
{
	uint8_t nonce[CRYPTO_AEAD_NONCE_LEN], aad[XFER_AAD_LEN];

	xfer_nonce_aad(x, meta, nonce, aad);
	crypto_aead_seal(x->key, nonce, aad, sizeof(aad), buf, len, tag);
}

bool xfer_open(const struct kc_xfer *x, uint64_t meta, void *buf, uint64_t len,
	       const uint8_t tag[CRYPTO_AEAD_TAG_LEN])
{
	uint8_t nonce[CRYPTO_AEAD_NONCE_LEN], aad[XFER_AAD_LEN];

	xfer_nonce_aad(x, meta, nonce, aad);
	return crypto_aead_open(x->key, nonce, aad, sizeof(aad), buf, len, tag);
}

void xfer_tag_to_words(const uint8_t tag[CRYPTO_AEAD_TAG_LEN], uint64_t *lo, uint64_t *hi)
{
	*lo = *hi = 0;
	for (unsigned i = 0; i < 8; i++) {
		*lo |= (uint64_t)tag[i] << (8 * i);
		*hi |= (uint64_t)tag[8 + i] << (8 * i);
	}
}

void xfer_tag_from_words(uint64_t lo, uint64_t hi, uint8_t tag[CRYPTO_AEAD_TAG_LEN])
{
	put_le64(tag, lo);
	put_le64(tag + 8, hi);
}

int xfer_host_frame_locked(uint64_t pfn, kc_paddr_t *pa)
{
	LOCK_ASSERT_HELD(&kc.frames_lock);
	if (pfn >= (1ull << (PGT_OA_BITS - PGT_PAGE_SHIFT)))
		return KC_EINVAL;
	frame_t *f = frame_of_locked(pfn << PGT_PAGE_SHIFT);
	if (!f)
		return KC_EINVAL; /* not RAM */
	if (frame_owner(*f) != OWNER_HOST)
		return KC_EPERM;
	if (frame_count(*f))
		return KC_EBUSY; /* a DMA mapping could read or write it under kcore */
	*pa = pfn << PGT_PAGE_SHIFT;
	return KC_OK;
}

void xfer_scrub(void *buf, uint64_t len)
{
	memset(buf, 0, len);
	/* The stores are "used" here, so the compiler cannot drop them as dead. */
	__asm__ volatile("" : : "r"(buf) : "memory");
}
