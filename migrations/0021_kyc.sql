-- 0021_kyc: identity checks (KYC) and live accounts (issue 19, DESIGN §14).
--
-- user_kyc (kolo-identity): one check per user. The BVN/NIN is kept only
-- encrypted (XChaCha20-Poly1305 under the KOLO_PII_KEY named key_id, the
-- user id as associated data) and only until the accounts that wait for it
-- are open, then erased (id_cipher, id_nonce, key_id NULL, erased_at set);
-- id_hash (a keyed BLAKE2b of type and number, KOLO_PII_HASH_KEY) and last3
-- stay. A number is verified for one user at most.
CREATE TABLE public.user_kyc (
  user_id uuid PRIMARY KEY REFERENCES public."user"(id),
  id_type text NOT NULL CHECK (id_type IN ('bvn', 'nin')),
  status text NOT NULL CHECK (status IN ('pending', 'verified', 'failed')),
  id_hash text NOT NULL,
  last3 text NOT NULL CHECK (last3 ~ '^[0-9]{3}$'),
  id_cipher bytea,
  id_nonce bytea,
  key_id text,
  provider text NOT NULL,
  provider_ref text,
  consent_url text,
  reason text,
  submitted_at timestamptz NOT NULL DEFAULT now(),
  checked_at timestamptz,
  verified_at timestamptz,
  erased_at timestamptz,
  CHECK ((id_cipher IS NULL) = (id_nonce IS NULL) AND (id_cipher IS NULL) = (key_id IS NULL)),
  CHECK (status <> 'verified' OR verified_at IS NOT NULL)
);
CREATE UNIQUE INDEX user_kyc_verified_hash_key ON public.user_kyc (id_hash)
  WHERE status = 'verified';
CREATE INDEX user_kyc_pending_idx ON public.user_kyc (checked_at NULLS FIRST)
  WHERE status = 'pending';
GRANT SELECT, INSERT, UPDATE ON public.user_kyc TO kolo_identity;

-- va_request (kolo-payments): the officer a live account opens in the name
-- of, and why it waits (kyc_required, kyc_pending, ...; NULL when it does
-- not wait for KYC).
ALTER TABLE public.va_request
  ADD COLUMN officer_id uuid,
  ADD COLUMN kyc_reason text;
CREATE INDEX va_request_kyc_wait_idx ON public.va_request (updated_at)
  WHERE kyc_reason IS NOT NULL;
