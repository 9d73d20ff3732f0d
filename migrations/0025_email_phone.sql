-- 0025_email_phone: email ownership and phone numbers (issue 20, DESIGN §16).
--
-- "user".email_verified_at: when the user proved they own their email
-- address by entering a code sent to it (NULL: not yet). Users made before
-- this migration are not verified; they verify on their next sign-in (Login
-- sends them a code). Groups add only verified addresses.
--
-- "user".phone: a Nigerian mobile number in E.164 (for SMS), or NULL. The
-- mobile ranges of the NCC numbering plan are 070, 080, 081, 090 and 091
-- (national form 0 + 10 digits); 0800 is toll-free, not mobile.
ALTER TABLE public."user"
  ADD COLUMN email_verified_at timestamptz,
  ADD COLUMN phone text
    CHECK (phone ~ '^\+234(70|8[01]|9[01])[0-9]{8}$' AND phone !~ '^\+234800');

-- email_code (kolo-identity): the codes sent to users' addresses. Only a
-- keyed hash of each code is kept (a 6-digit code falls to a plain hash at
-- once). A user's live code is their newest row, while unexpired, unused
-- and with fewer than 5 wrong attempts; sending a new code ends the older
-- ones. The rows of the last day are the send rate limit's count; older
-- rows are deleted when the user is sent a new code.
CREATE TABLE public.email_code (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES public."user"(id),
  email text NOT NULL,
  code_hash text NOT NULL,
  sent_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  consumed_at timestamptz,
  CHECK (expires_at > sent_at)
);
CREATE INDEX email_code_user_idx ON public.email_code (user_id, sent_at DESC);
GRANT SELECT, INSERT, UPDATE, DELETE ON public.email_code TO kolo_identity;
