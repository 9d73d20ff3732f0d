/* The fixed signing keys of fuzz_jwt and of the seed it starts from
 * (fuzz_jwt_seed). Test keys only: they sign nothing outside tests/fuzz. */
#ifndef KOLO_FUZZ_JWT_KEY_H
#define KOLO_FUZZ_JWT_KEY_H

#include <stdint.h>

/* The verifier's clock: 2026-01-01T00:00:00Z. */
#define FUZZ_JWT_NOW INT64_C(1767225600)

/* Ed25519 seeds (crypto_sign_seed_keypair) of the two keys of the ring. */
#define FUZZ_JWT_KID_CURRENT   "fuzz-2026"
#define FUZZ_JWT_KID_PREVIOUS  "fuzz-2025"
#define FUZZ_JWT_SEED_CURRENT  "kolo fuzz_jwt current key seed!"
#define FUZZ_JWT_SEED_PREVIOUS "kolo fuzz_jwt previous key seed"

#endif
