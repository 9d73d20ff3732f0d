-- 0034_kyc_name: the name the identity provider holds for a verified check
-- (issue 22 review, DESIGN §14/§15). Owned by kolo-identity (its existing
-- grant on user_kyc covers the column; no other role reads it).
--
-- A payer account the bank names a holder of is the user's only if the
-- holder is this name: the user's self-declared name (User.name, free text
-- at Register) could be padded with another person's words and still pass
-- the KYC name check, which accepts a subset of words. Written when a
-- check becomes verified, cleared when a check is submitted again or
-- fails. Checks verified before this migration have none: their users are
-- asked to verify again before registering such an account.
ALTER TABLE public.user_kyc
  ADD COLUMN verified_name text CHECK (length(verified_name) <= 200),
  ADD CONSTRAINT user_kyc_verified_name_status_check
    CHECK (status = 'verified' OR verified_name IS NULL);
