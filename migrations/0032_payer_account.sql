-- 0032_payer_account: the bank accounts users pay from (DESIGN §15,
-- "Members' contributions"). A deposit into a group's account from one of
-- them is credited with the user's id when exactly one member of the group
-- pays from it (groups' MatchPayer, asked by payments at credit time).
-- Owned by kolo-groups.
--
-- A row is the user's, not a group's: it counts in every group the user is
-- a member of. Removing one sets removed_at (the row stays, so the trail of
-- what was registered when is kept); one live row per user and account.
-- That no two users sharing a group register the same account is checked
-- by the service under an advisory lock of the account (a constraint
-- cannot see memberships).
CREATE TABLE public.payer_account (
  id uuid PRIMARY KEY DEFAULT uuid_generate_v4(),
  user_id uuid NOT NULL REFERENCES public."user"(id),
  bank_code text NOT NULL CHECK (bank_code ~ '^[0-9]{3,6}$'),
  bank_name text NOT NULL CHECK (length(bank_name) <= 128),
  account_number text NOT NULL CHECK (account_number ~ '^[0-9]{10}$'),
  account_name text NOT NULL DEFAULT '' CHECK (length(account_name) <= 200),
  created_at timestamp without time zone NOT NULL DEFAULT now(),
  removed_at timestamp without time zone
);
CREATE UNIQUE INDEX payer_account_live_key
  ON public.payer_account (user_id, bank_code, account_number) WHERE removed_at IS NULL;
CREATE INDEX payer_account_number_idx
  ON public.payer_account (account_number) WHERE removed_at IS NULL;
CREATE INDEX payer_account_user_idx
  ON public.payer_account (user_id, created_at, id);

GRANT SELECT, INSERT, UPDATE ON public.payer_account TO kolo_groups;
