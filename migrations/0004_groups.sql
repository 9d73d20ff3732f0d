-- 0004_groups: what kolo-groups relies on.
-- A user is in a group once; a user's groups are listed newest first; the
-- rule columns hold only what the service can enforce.
CREATE UNIQUE INDEX group_membership_group_user_key
  ON public.group_membership (group_id, user_id);
CREATE INDEX group_membership_user_joined_idx
  ON public.group_membership (user_id, joined_at DESC, id DESC);
ALTER TABLE public."group"
  ADD CONSTRAINT group_rule_template_check CHECK (rule_template IS NULL OR
    rule_template = ANY (ARRAY['single_officer', 'two_officer', 'majority', 'custom'])),
  ADD CONSTRAINT group_approvals_cap_check CHECK (approvals_cap IS NULL OR
    (approvals_cap >= 1 AND approvals_cap >= approvals_required));
