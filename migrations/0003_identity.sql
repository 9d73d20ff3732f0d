-- 0003_identity: the lookups kolo-identity makes.
-- Refresh tokens are found by the hash of the presented token; a user's live
-- sessions and activity are listed newest first with keyset pages.
CREATE UNIQUE INDEX refresh_tokens_token_hash_key
  ON public.refresh_tokens (token_hash);
CREATE INDEX refresh_tokens_user_live_idx
  ON public.refresh_tokens (user_id, created_at DESC, id DESC)
  WHERE revoked = false;
CREATE INDEX user_activity_log_user_created_idx
  ON public.user_activity_log (user_id, created_at DESC, id DESC);
