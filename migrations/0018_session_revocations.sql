-- 0018_session_revocations: access tokens stop acting when their session
-- ends (issue 18, finding 7).
--
-- An access token names its session in `sid`: the id of the refresh_tokens
-- row it was issued with. A session is a chain of such rows (each Refresh
-- revokes the row and points replaced_by at the next). When a session ends
-- (Logout, Logout on all devices, RevokeSession, a reused refresh token),
-- kolo-identity writes one row here for every row of the chain whose access
-- tokens may still be valid, with the time after which none can be
-- (valid_until = the row's created_at + the access token lifetime + a
-- margin). Rows past valid_until mean nothing any more and are swept.
--
-- Other services follow the table through IdentityService/
-- ListSessionRevocations by `seq`. Every writer takes one transaction-level
-- advisory lock (kolo-identity: IDN_REVOCATION_LOCK) before it draws seq
-- and holds it to its commit, so seq order is commit order and a reader
-- that saw seq n has seen every row below n: a cursor never skips a row.
CREATE TABLE public.session_revocation (
  seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  session_id uuid NOT NULL UNIQUE,
  user_id uuid NOT NULL REFERENCES public."user"(id),
  revoked_at timestamp with time zone NOT NULL DEFAULT now(),
  valid_until timestamp with time zone NOT NULL
);
CREATE INDEX session_revocation_valid_until_idx
  ON public.session_revocation (valid_until);
GRANT SELECT, INSERT, DELETE ON public.session_revocation TO kolo_identity;

-- The earlier rows of a session: found by walking replaced_by backwards.
CREATE INDEX refresh_tokens_replaced_by_idx
  ON public.refresh_tokens (replaced_by) WHERE replaced_by IS NOT NULL;
