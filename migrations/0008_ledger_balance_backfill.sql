-- 0008_ledger_balance_backfill: ledger_balance (0005) started empty. A
-- database that already held entries would have shown those groups at a
-- balance of 0 (or of only the entries since), so every group's row is set
-- from its entries, which are the record. Books whose debits exceed their
-- credits fail the balance CHECK and stop the migration: they need a person.
LOCK TABLE public.ledger_entry, public.ledger_balance IN SHARE ROW EXCLUSIVE MODE;

INSERT INTO public.ledger_balance AS b
  (group_id, balance_kobo, credits_kobo, debits_kobo, entries, updated_at)
SELECT group_id,
       sum(CASE WHEN type = 'CREDIT' THEN amount_kobo ELSE -amount_kobo END),
       sum(CASE WHEN type = 'CREDIT' THEN amount_kobo ELSE 0 END),
       sum(CASE WHEN type = 'DEBIT' THEN amount_kobo ELSE 0 END),
       count(*), now()
  FROM public.ledger_entry
 GROUP BY group_id
ON CONFLICT (group_id) DO UPDATE
   SET balance_kobo = EXCLUDED.balance_kobo,
       credits_kobo = EXCLUDED.credits_kobo,
       debits_kobo = EXCLUDED.debits_kobo,
       entries = EXCLUDED.entries,
       updated_at = now()
 WHERE (b.balance_kobo, b.credits_kobo, b.debits_kobo, b.entries)
       IS DISTINCT FROM (EXCLUDED.balance_kobo, EXCLUDED.credits_kobo,
                         EXCLUDED.debits_kobo, EXCLUDED.entries);
