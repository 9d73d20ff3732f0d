-- 0019_amounts_bigint: amounts past ₦21 m (DESIGN §14, "Amounts").
-- The seed keeps three amounts in integer columns, which stop at
-- 2147483647 kobo (₦21,474,836.47). They widen to bigint, like every amount
-- column added since (ledger_balance, ledger_hold, ledger_refusal,
-- demo_transfer). Widening keeps every value and every constraint (the
-- seed's CHECKs and 0005's ledger_entry_amount_positive); no column is
-- dropped. No view depends on these columns; the plpgsql functions of
-- 0010/0012/0017 already take and sum bigint amounts.
-- The bound a request may move (1..25,000,000,000 kobo, or
-- KOLO_MAX_AMOUNT_KOBO) is the services' (shared/money); the database
-- keeps only the positivity checks it had, so lowering or raising that
-- bound later needs no migration.
-- The ALTERs rewrite the three tables under an ACCESS EXCLUSIVE lock: run
-- it while the services are stopped or quiet (docs/decisions.md, "Amounts").
ALTER TABLE public.ledger_entry ALTER COLUMN amount_kobo TYPE bigint;
ALTER TABLE public.withdrawal_request ALTER COLUMN amount_kobo TYPE bigint;
ALTER TABLE public.payout ALTER COLUMN amount_kobo TYPE bigint;
