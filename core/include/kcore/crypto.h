/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kcore/crypto.h — the cryptography kcore uses, all of it BearSSL's.
 *
 * Crypto is never written here: these are thin wrappers that fix the
 * algorithms (SHA-256, HMAC/HKDF-SHA256, ECDSA P-256 verify,
 * ChaCha20-Poly1305) and keep BearSSL's types out of the rest of core.
 */
#ifndef KCORE_CRYPTO_H
#define KCORE_CRYPTO_H

#include <bearssl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CRYPTO_SHA256_LEN     32
#define CRYPTO_P256_PUB_LEN   65 /* uncompressed point: 0x04 || X || Y */
#define CRYPTO_P256_SIG_LEN   64 /* raw r || s, big-endian */
#define CRYPTO_AEAD_KEY_LEN   32
#define CRYPTO_AEAD_NONCE_LEN 12
#define CRYPTO_AEAD_TAG_LEN   16

/* Incremental SHA-256 (for hashing an image page by page). */
struct crypto_sha256 {
	br_sha256_context br;
};
void crypto_sha256_init(struct crypto_sha256 *ctx);
void crypto_sha256_update(struct crypto_sha256 *ctx, const void *data, size_t len);
void crypto_sha256_final(struct crypto_sha256 *ctx, uint8_t out[CRYPTO_SHA256_LEN]);
void crypto_sha256(const void *data, size_t len, uint8_t out[CRYPTO_SHA256_LEN]);

void crypto_hmac_sha256(const void *key, size_t key_len, const void *data, size_t len,
			uint8_t out[CRYPTO_SHA256_LEN]);

/* HKDF-SHA256 (RFC 5869): extract with salt, expand with info into out. */
void crypto_hkdf_sha256(const void *salt, size_t salt_len, const void *ikm, size_t ikm_len,
			const void *info, size_t info_len, void *out, size_t out_len);

/* ECDSA P-256 over a SHA-256 digest; true only for a valid signature. */
bool crypto_p256_verify(const uint8_t pub[CRYPTO_P256_PUB_LEN],
			const uint8_t digest[CRYPTO_SHA256_LEN],
			const uint8_t sig[CRYPTO_P256_SIG_LEN]);

/* ChaCha20-Poly1305 (RFC 8439), in place. */
void crypto_aead_seal(const uint8_t key[CRYPTO_AEAD_KEY_LEN],
		      const uint8_t nonce[CRYPTO_AEAD_NONCE_LEN], const void *aad, size_t aad_len,
		      void *buf, size_t len, uint8_t tag[CRYPTO_AEAD_TAG_LEN]);
/* Decrypts in place only if the tag is right; on a wrong tag buf is unchanged. */
bool crypto_aead_open(const uint8_t key[CRYPTO_AEAD_KEY_LEN],
		      const uint8_t nonce[CRYPTO_AEAD_NONCE_LEN], const void *aad, size_t aad_len,
		      void *buf, size_t len, const uint8_t tag[CRYPTO_AEAD_TAG_LEN]);

/* Constant-time comparison: true if equal. */
bool crypto_equal(const void *a, const void *b, size_t len);

/*
 * Known-answer tests for every primitive above, printed one per line on the
 * console ("crypto-kat: ok <name>" / "crypto-kat: FAIL <name>").  Returns
 * the number of failures (0 = all passed).  Runs at EL2 on arm64 boot and in
 * the hosted unit tests.
 */
unsigned crypto_selftest(void);

/*
 * The same but for ECDSA P-256 verify, whose test (four verifications, the
 * dearest ~2% of a Linux host's boot under kcore) is then left to
 * crypto_p256_kat_once: a self-test before the algorithm's first use, as
 * FIPS 140-3 allows for conditional algorithm self-tests.
 */
unsigned crypto_selftest_deferring_p256(void);

/*
 * The ECDSA P-256 known-answer test, run (and printed) the first time it is
 * asked for, or not at all if crypto_selftest ran it: true if it passed.
 * Callers verify no signature before it has.
 */
bool crypto_p256_kat_once(void);

#endif /* KCORE_CRYPTO_H */
