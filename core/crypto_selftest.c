/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Known-answer tests for every primitive of kcore/crypto.h.  The same code
 * runs at EL2 on arm64 boot and in the hosted unit tests, so a compiler or
 * flag problem in either build (freestanding BearSSL, strict alignment,
 * sanitizers) shows up as a failed vector, not as a wrong signature check
 * later.  Vectors come from the RFCs and FIPS 180-2 named at each test; the
 * ECDSA one was made and checked with OpenSSL 3.0.
 */
#include <kcore/crypto.h>
#include <kcore/mem.h>
#include <kcore/printf.h>

static size_t unhex(uint8_t *out, size_t max, const char *hex)
{
	size_t n = 0;

	for (; hex[0] && hex[1] && n < max; hex += 2) {
		uint8_t hi = (uint8_t)(hex[0] <= '9' ? hex[0] - '0' : (hex[0] | 0x20) - 'a' + 10);
		uint8_t lo = (uint8_t)(hex[1] <= '9' ? hex[1] - '0' : (hex[1] | 0x20) - 'a' + 10);
		out[n++] = (uint8_t)(hi << 4 | lo);
	}
	return n;
}

static bool equal_hex(const uint8_t *got, const char *want_hex)
{
	uint8_t want[128];
	size_t n = unhex(want, sizeof(want), want_hex);

	return memcmp(got, want, n) == 0;
}

/* FIPS 180-2 appendix B: one-block, empty and two-block messages. */
static bool kat_sha256(void)
{
	static const char two_block[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	uint8_t out[CRYPTO_SHA256_LEN];
	bool ok = true;

	crypto_sha256("abc", 3, out);
	ok &= equal_hex(out, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	crypto_sha256("", 0, out);
	ok &= equal_hex(out, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	/* The same message fed in pieces, as image pages are. */
	struct crypto_sha256 ctx;
	crypto_sha256_init(&ctx);
	crypto_sha256_update(&ctx, two_block, 5);
	crypto_sha256_update(&ctx, two_block + 5, sizeof(two_block) - 1 - 5);
	crypto_sha256_final(&ctx, out);
	ok &= equal_hex(out, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	return ok;
}

/* RFC 4231, test case 2. */
static bool kat_hmac_sha256(void)
{
	uint8_t out[CRYPTO_SHA256_LEN];

	crypto_hmac_sha256("Jefe", 4, "what do ya want for nothing?", 28, out);
	return equal_hex(out, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

/* RFC 5869, test case 1. */
static bool kat_hkdf_sha256(void)
{
	uint8_t ikm[22], salt[13], info[10], out[42];

	memset(ikm, 0x0b, sizeof(ikm));
	for (unsigned i = 0; i < sizeof(salt); i++)
		salt[i] = (uint8_t)i;
	for (unsigned i = 0; i < sizeof(info); i++)
		info[i] = (uint8_t)(0xf0 + i);
	crypto_hkdf_sha256(salt, sizeof(salt), ikm, sizeof(ikm), info, sizeof(info), out,
			   sizeof(out));
	return equal_hex(out, "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
			      "34007208d5b887185865");
}

/* RFC 8439 section 2.8.2: seal, open, and refusal of tampered input. */
static bool kat_chacha20_poly1305(void)
{
	static const char pt[] = "Ladies and Gentlemen of the class of '99: If I could offer you "
				 "only one tip for the future, sunscreen would be it.";
	static const char ct_hex[] =
		"d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6"
		"3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36"
		"92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"
		"3ff4def08e4b7a9de576d26586cec64b6116";
	uint8_t key[CRYPTO_AEAD_KEY_LEN], nonce[CRYPTO_AEAD_NONCE_LEN], aad[12];
	uint8_t buf[sizeof(pt) - 1], ct[sizeof(pt) - 1], tag[CRYPTO_AEAD_TAG_LEN];
	bool ok = true;

	for (unsigned i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(0x80 + i);
	unhex(nonce, sizeof(nonce), "070000004041424344454647");
	unhex(aad, sizeof(aad), "50515253c0c1c2c3c4c5c6c7");
	unhex(ct, sizeof(ct), ct_hex);

	memcpy(buf, pt, sizeof(buf));
	crypto_aead_seal(key, nonce, aad, sizeof(aad), buf, sizeof(buf), tag);
	ok &= memcmp(buf, ct, sizeof(ct)) == 0;
	ok &= equal_hex(tag, "1ae10b594f09e26a7e902ecbd0600691");

	/* A tampered tag or AAD is refused, and the ciphertext is left as it was. */
	tag[0] ^= 1;
	ok &= !crypto_aead_open(key, nonce, aad, sizeof(aad), buf, sizeof(buf), tag);
	ok &= memcmp(buf, ct, sizeof(ct)) == 0;
	tag[0] ^= 1;
	aad[0] ^= 1;
	ok &= !crypto_aead_open(key, nonce, aad, sizeof(aad), buf, sizeof(buf), tag);
	ok &= memcmp(buf, ct, sizeof(ct)) == 0;
	aad[0] ^= 1;

	ok &= crypto_aead_open(key, nonce, aad, sizeof(aad), buf, sizeof(buf), tag);
	ok &= memcmp(buf, pt, sizeof(buf)) == 0;
	return ok;
}

/* ECDSA P-256 / SHA-256 over "kcore: crypto known-answer test v1" (OpenSSL 3.0). */
static bool kat_p256_verify(void)
{
	uint8_t pub[CRYPTO_P256_PUB_LEN], digest[CRYPTO_SHA256_LEN], sig[CRYPTO_P256_SIG_LEN];
	bool ok = true;

	unhex(pub, sizeof(pub),
	      "046edb2154d5c83dafc81a92b43e3fde73c765b962f7f51f5326fd16a883e712"
	      "37d35b882d4a6c8921f8bbb9e78b7a8ebeeba79c8afd6775edc3a173c658e215a0");
	unhex(sig, sizeof(sig),
	      "9d340255237dff651cecbff01453594b41cb91786b4fa34fed6beafe88628d13"
	      "3b94233f0f2c309b5c2daf465a0156e15726d6b84b42f5d02459d93fa3d1d46e");
	crypto_sha256("kcore: crypto known-answer test v1", 34, digest);
	ok &= equal_hex(digest, "63e92b50686aa4dee35dbda5a6ee8031889b3c6af63ac1bf5a48891ddbcc172f");

	ok &= crypto_p256_verify(pub, digest, sig);
	digest[31] ^= 1; /* another message */
	ok &= !crypto_p256_verify(pub, digest, sig);
	digest[31] ^= 1;
	sig[10] ^= 0x40; /* a damaged signature */
	ok &= !crypto_p256_verify(pub, digest, sig);
	sig[10] ^= 0x40;
	pub[5] ^= 1; /* another key (not even on the curve) */
	ok &= !crypto_p256_verify(pub, digest, sig);
	return ok;
}

static const struct {
	const char *name;
	bool (*run)(void);
} crypto_kats[] = {
	{ "SHA-256 (FIPS 180-2)", kat_sha256 },
	{ "HMAC-SHA256 (RFC 4231 #2)", kat_hmac_sha256 },
	{ "HKDF-SHA256 (RFC 5869 #1)", kat_hkdf_sha256 },
	{ "ChaCha20-Poly1305 (RFC 8439 2.8.2)", kat_chacha20_poly1305 },
	{ "ECDSA P-256 verify", kat_p256_verify },
};

/* The ECDSA KAT's outcome: 0 not run yet, 1 passed, -1 failed (set once, read by any CPU). */
static int crypto_p256_kat_state;

static bool crypto_kat_run(unsigned i)
{
	bool ok = crypto_kats[i].run();

	kc_printf("crypto-kat: %s %s\n", ok ? "ok  " : "FAIL", crypto_kats[i].name);
	if (crypto_kats[i].run == kat_p256_verify)
		__atomic_store_n(&crypto_p256_kat_state, ok ? 1 : -1, __ATOMIC_RELEASE);
	return ok;
}

static unsigned crypto_selftest_all(bool defer_p256)
{
	unsigned fails = 0;

	for (unsigned i = 0; i < sizeof(crypto_kats) / sizeof(crypto_kats[0]); i++) {
		if (defer_p256 && crypto_kats[i].run == kat_p256_verify) {
			kc_printf(
				"crypto-kat: deferred %s (runs before the first signature check)\n",
				crypto_kats[i].name);
			continue;
		}
		fails += !crypto_kat_run(i);
	}
	return fails;
}

unsigned crypto_selftest(void)
{
	return crypto_selftest_all(false);
}

unsigned crypto_selftest_deferring_p256(void)
{
	return crypto_selftest_all(true);
}

bool crypto_p256_kat_once(void)
{
	int state = __atomic_load_n(&crypto_p256_kat_state, __ATOMIC_ACQUIRE);

	/* Two CPUs may both run it the first time: it changes nothing but the state. */
	if (state == 0)
		for (unsigned i = 0; i < sizeof(crypto_kats) / sizeof(crypto_kats[0]); i++)
			if (crypto_kats[i].run == kat_p256_verify)
				state = crypto_kat_run(i) ? 1 : -1;
	return state == 1;
}
