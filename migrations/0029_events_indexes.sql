-- 0029_events_indexes (issue 20, review): indexes for two queries.
--
-- kolo-events fans a user's own events (codes someone waits for) out
-- before any group's: its batch query orders by (group_id IS NOT NULL,
-- stored_at) over the events not yet fanned out.
CREATE INDEX events_event_unfanned_first
  ON public.events_event ((group_id IS NOT NULL), stored_at) WHERE NOT fanned_out;
DROP INDEX public.events_event_unfanned;

-- kolo-identity caps the codes one phone number gets in a day, whoever
-- names it (SetPhone).
CREATE INDEX email_code_address_idx ON public.email_code (channel, email, sent_at);
