-- 0031_allocations: who a deposit is credited to (DESIGN §15; docs/decisions.md,
-- "Contributions"). All ledger-owned: granted to kolo_ledger only.
--
-- A deposit CREDIT is a CREDIT whose source is not 'payout' (a payout's
-- reversal gives back what a withdrawal took: nobody's contribution). Its
-- effective member is the allocation in force, else ledger_entry.user_id (set
-- at credit time from a payer account), else none (unallocated). The entry
-- never changes: allocations are rows of their own, superseded, never deleted.

-- The payer as the provider named them, written with the CREDIT (same statement).
CREATE TABLE public.ledger_deposit_payer (
  entry_id uuid PRIMARY KEY REFERENCES public.ledger_entry(id),
  payer_name text NOT NULL DEFAULT '' CHECK (length(payer_name) <= 200),
  payer_account_number text NOT NULL DEFAULT '' CHECK (payer_account_number ~ '^[0-9]{0,20}$'),
  payer_bank_name text NOT NULL DEFAULT '' CHECK (length(payer_bank_name) <= 200)
);
GRANT SELECT, INSERT ON public.ledger_deposit_payer TO kolo_ledger;

-- A deposit's reversal (chargeback): a DEBIT taking back one deposit CREDIT of
-- the same group, whole, at most once (the UNIQUE on reverses_entry_id),
-- written in the DEBIT's statement, with who asked for it and why (an
-- officer through payments' ReverseDeposit; NULL: no user, e.g. a provider).
CREATE TABLE public.ledger_reversal (
  entry_id uuid PRIMARY KEY REFERENCES public.ledger_entry(id),
  reverses_entry_id uuid NOT NULL UNIQUE REFERENCES public.ledger_entry(id),
  group_id uuid NOT NULL REFERENCES public."group"(id),
  reason text NOT NULL DEFAULT '' CHECK (length(reason) <= 500),
  reversed_by uuid NULL REFERENCES public."user"(id),
  CHECK (entry_id <> reverses_entry_id)
);
GRANT SELECT, INSERT ON public.ledger_reversal TO kolo_ledger;

-- Officers' allocations: at most one in force per entry (superseded_at NULL).
CREATE TABLE public.ledger_allocation (
  id uuid PRIMARY KEY DEFAULT uuid_generate_v4(),
  entry_id uuid NOT NULL REFERENCES public.ledger_entry(id),
  group_id uuid NOT NULL REFERENCES public."group"(id),
  user_id uuid NOT NULL REFERENCES public."user"(id),
  allocated_by uuid NOT NULL REFERENCES public."user"(id),
  reason text NOT NULL DEFAULT '' CHECK (length(reason) <= 500),
  created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  superseded_at timestamptz,
  superseded_by uuid REFERENCES public.ledger_allocation(id) DEFERRABLE INITIALLY DEFERRED,
  CHECK ((superseded_at IS NULL) = (superseded_by IS NULL))
);
CREATE UNIQUE INDEX ledger_allocation_in_force ON public.ledger_allocation (entry_id)
  WHERE superseded_at IS NULL;
CREATE INDEX ledger_allocation_group ON public.ledger_allocation (group_id)
  WHERE superseded_at IS NULL;
CREATE INDEX ledger_allocation_entry ON public.ledger_allocation (entry_id, created_at);
GRANT SELECT, INSERT ON public.ledger_allocation TO kolo_ledger;
GRANT UPDATE (superseded_at, superseded_by) ON public.ledger_allocation TO kolo_ledger;

-- Every deposit CREDIT with its effective member and its reversal, if any
-- (read by the ledger's contribution RPCs; the invariants compute the same
-- from the tables, not from this view).
CREATE VIEW public.ledger_deposit AS
SELECT e.id, e.group_id, e.amount_kobo, e.reference, e.created_at,
       e.user_id AS credit_user_id, a.id AS allocation_id,
       coalesce(a.user_id, e.user_id) AS user_id,
       r.entry_id AS reversal_id, rv.amount_kobo AS reversal_kobo,
       rv.created_at AS reversed_at, rv.reference AS reversal_reference
  FROM public.ledger_entry e
  LEFT JOIN public.ledger_allocation a ON a.entry_id = e.id AND a.superseded_at IS NULL
  LEFT JOIN public.ledger_reversal r ON r.reverses_entry_id = e.id
  LEFT JOIN public.ledger_entry rv ON rv.id = r.entry_id
 WHERE e.type = 'CREDIT' AND e.source IS DISTINCT FROM 'payout';
GRANT SELECT ON public.ledger_deposit TO kolo_ledger;
