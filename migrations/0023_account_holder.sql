-- 0023_account_holder: a group names the officer its live account opens
-- under (DESIGN §14; docs/decisions.md, "The account holder"). NULL: the
-- OWNER (the creator while an OWNER, else the earliest OWNER). Set only by
-- an applied `account_holder` proposal; cleared when that officer is
-- demoted to MEMBER or leaves. Owned by kolo-groups (which already has
-- UPDATE on "group").
ALTER TABLE public."group"
  ADD COLUMN account_holder_id uuid REFERENCES public."user"(id);

ALTER TABLE public.group_proposal DROP CONSTRAINT group_proposal_kind_check;
ALTER TABLE public.group_proposal ADD CONSTRAINT group_proposal_kind_check
  CHECK (kind = ANY (ARRAY['rule', 'tiers', 'add_officer', 'promote', 'demote',
    'remove_officer', 'revoke_public_token', 'account_holder']));
