/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Thin wrappers over BearSSL.  Implementation choices: i31 big integers with
 * the p256_m31 curve code (the fastest constant-time P-256 in BearSSL 0.6),
 * the constant-time ChaCha20 and Poly1305 (ctmul), and the portable
 * SHA-256.  None of them needs anything from the platform.
 */
#include <kcore/crypto.h>
#include <kcore/mem.h>

void crypto_sha256_init(struct crypto_sha256 *ctx)
{
	br_sha256_init(&ctx->br);
}

void crypto_sha256_update(struct crypto_sha256 *ctx, const void *data, size_t len)
{
	br_sha256_update(&ctx->br, data, len);
}

void crypto_sha256_final(struct crypto_sha256 *ctx, uint8_t out[CRYPTO_SHA256_LEN])
{
	br_sha256_out(&ctx->br, out);
}

void crypto_sha256(const void *data, size_t len, uint8_t out[CRYPTO_SHA256_LEN])
{
	struct crypto_sha256 ctx;

	crypto_sha256_init(&ctx);
	crypto_sha256_update(&ctx, data, len);
	crypto_sha256_final(&ctx, out);
}

void crypto_hmac_sha256(const void *key, size_t key_len, const void *data, size_t len,
			uint8_t out[CRYPTO_SHA256_LEN])
{
	br_hmac_key_context kc;
	br_hmac_context hc;

	br_hmac_key_init(&kc, &br_sha256_vtable, key, key_len);
	br_hmac_init(&hc, &kc, 0);
	br_hmac_update(&hc, data, len);
	br_hmac_out(&hc, out);
}

void crypto_hkdf_sha256(const void *salt, size_t salt_len, const void *ikm, size_t ikm_len,
			const void *info, size_t info_len, void *out, size_t out_len)
{
	br_hkdf_context kd;

	br_hkdf_init(&kd, &br_sha256_vtable, salt, salt_len);
	br_hkdf_inject(&kd, ikm, ikm_len);
	br_hkdf_flip(&kd);
	br_hkdf_produce(&kd, info, info_len, out, out_len);
}

bool crypto_p256_verify(const uint8_t pub[CRYPTO_P256_PUB_LEN],
			const uint8_t digest[CRYPTO_SHA256_LEN],
			const uint8_t sig[CRYPTO_P256_SIG_LEN])
{
	/* BearSSL takes a non-const key buffer; hand it our own copy. */
	unsigned char q[CRYPTO_P256_PUB_LEN];
	memcpy(q, pub, sizeof(q));
	br_ec_public_key pk = { BR_EC_secp256r1, q, sizeof(q) };

	return br_ecdsa_i31_vrfy_raw(&br_ec_p256_m31, digest, CRYPTO_SHA256_LEN, &pk, sig,
				     CRYPTO_P256_SIG_LEN) == 1;
}

void crypto_aead_seal(const uint8_t key[CRYPTO_AEAD_KEY_LEN],
		      const uint8_t nonce[CRYPTO_AEAD_NONCE_LEN], const void *aad, size_t aad_len,
		      void *buf, size_t len, uint8_t tag[CRYPTO_AEAD_TAG_LEN])
{
	br_poly1305_ctmul_run(key, nonce, buf, len, aad, aad_len, tag, br_chacha20_ct_run, 1);
}

bool crypto_aead_open(const uint8_t key[CRYPTO_AEAD_KEY_LEN],
		      const uint8_t nonce[CRYPTO_AEAD_NONCE_LEN], const void *aad, size_t aad_len,
		      void *buf, size_t len, const uint8_t tag[CRYPTO_AEAD_TAG_LEN])
{
	uint8_t want[CRYPTO_AEAD_TAG_LEN];

	/* BearSSL decrypts and computes the tag of the ciphertext in one pass. */
	br_poly1305_ctmul_run(key, nonce, buf, len, aad, aad_len, want, br_chacha20_ct_run, 0);
	if (crypto_equal(want, tag, sizeof(want)))
		return true;
	/*
	 * Wrong tag: put the ciphertext back (ChaCha20 is an XOR stream, and
	 * block 1 is where RFC 8439 starts the payload), so a failed open
	 * leaves the caller's buffer as it was.
	 */
	br_chacha20_ct_run(key, nonce, 1, buf, len);
	return false;
}

bool crypto_equal(const void *a, const void *b, size_t len)
{
	const volatile uint8_t *x = a, *y = b;
	uint8_t diff = 0;

	for (size_t i = 0; i < len; i++)
		diff |= (uint8_t)(x[i] ^ y[i]);
	return diff == 0;
}
