-- 0028_events_review: fixes of issue 20's review (docs/decisions.md,
-- "Events review: fixes").
--
-- kolo-events: an event whose fan-out fails for a reason of its own is
-- counted (fanout_failures, the last reason in fanout_error) and, after its
-- last try, set aside: fanned_out (nothing more is tried) and fanout_failed
-- (no message was made), so the events behind it are fanned out.
ALTER TABLE public.events_event
  ADD COLUMN fanout_failures integer NOT NULL DEFAULT 0,
  ADD COLUMN fanout_failed boolean NOT NULL DEFAULT false,
  ADD COLUMN fanout_error text;

-- kolo-identity: a phone number is proved like an email address. "user".phone
-- is the number the user gave; phone_verified_at says when they entered the
-- code sent to it by SMS (NULL: not yet; numbers set before this migration
-- were never proved and are not). Only a proved number receives messages.
-- email_code now holds the codes of both: channel 'email' (to the address)
-- or 'phone' (to the number); its email column is the address or number the
-- code went to. Limits and the live code are per user and channel.
ALTER TABLE public."user"
  ADD COLUMN phone_verified_at timestamptz,
  ADD CONSTRAINT user_phone_verified_needs_phone
    CHECK (phone_verified_at IS NULL OR phone IS NOT NULL);
ALTER TABLE public.email_code
  ADD COLUMN channel text NOT NULL DEFAULT 'email' CHECK (channel IN ('email', 'phone'));
DROP INDEX public.email_code_user_idx;
CREATE INDEX email_code_user_idx ON public.email_code (user_id, channel, sent_at DESC);
