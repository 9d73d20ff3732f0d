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
