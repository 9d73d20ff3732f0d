-- 0005_ledger: what kolo-ledger relies on.
--
-- ledger_balance keeps each group's balance next to its entries: written in
-- the same statement as every entry (so reads and balance checks are O(1)
-- whatever the history), never negative, and its row is the per-group lock
-- that serialises debits. It belongs to kolo-ledger.
CREATE TABLE public.ledger_balance (
  group_id uuid PRIMARY KEY REFERENCES public."group"(id),
  balance_kobo bigint NOT NULL DEFAULT 0 CHECK (balance_kobo >= 0),
  credits_kobo bigint NOT NULL DEFAULT 0 CHECK (credits_kobo >= 0),
  debits_kobo bigint NOT NULL DEFAULT 0 CHECK (debits_kobo >= 0),
  entries bigint NOT NULL DEFAULT 0,
  updated_at timestamp with time zone NOT NULL DEFAULT now(),
  CHECK (balance_kobo = credits_kobo - debits_kobo)
);
GRANT SELECT, INSERT, UPDATE ON public.ledger_balance TO kolo_ledger;

-- Entries are read newest (or oldest) first per group with keyset pages.
CREATE INDEX ledger_entry_group_created_idx
  ON public.ledger_entry (group_id, created_at DESC, id DESC);

-- Money moves in whole positive kobo within the proto's bound.
ALTER TABLE public.ledger_entry
  ADD CONSTRAINT ledger_entry_amount_positive CHECK (amount_kobo > 0);

-- An entry's account is its own group's account.
CREATE UNIQUE INDEX account_id_group_key ON public.account (id, group_id);
ALTER TABLE public.ledger_entry
  ADD CONSTRAINT ledger_entry_account_group_fkey FOREIGN KEY (account_id, group_id)
    REFERENCES public.account (id, group_id);
