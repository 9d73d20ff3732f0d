-- 0011_governance: sensitive changes of a group become proposals that its
-- officers (or, in a deadlock, its voting members) pass, that wait a
-- time-lock and then apply (DESIGN §12; docs/decisions.md, "Governance").
-- Owned by kolo-groups.

-- A group is constituted once it has had as many officers as its rule
-- needs; that never goes back. approval_tiers is the group's tiers in
-- force: [{"above_kobo": n, "approvals_required": k}, ...], ascending.
ALTER TABLE public."group"
  ADD COLUMN constituted boolean NOT NULL DEFAULT false,
  ADD COLUMN approval_tiers jsonb NOT NULL DEFAULT '[]'::jsonb
    CHECK (jsonb_typeof(approval_tiers) = 'array');
-- Groups that already have the officers their rule needs are constituted.
UPDATE public."group" g
   SET constituted = true
 WHERE (SELECT count(*) FROM public.group_membership m
         WHERE m.group_id = g.id AND m.role_in_group <> 'MEMBER') >=
       CASE coalesce(g.rule_template, 'two_officer')
         WHEN 'single_officer' THEN 1
         WHEN 'two_officer' THEN 2
         WHEN 'majority' THEN 1
         ELSE least(coalesce(g.approvals_required, 2), coalesce(g.approvals_cap, 3))
       END;

CREATE TABLE public.group_proposal (
  id uuid PRIMARY KEY DEFAULT uuid_generate_v4(),
  group_id uuid NOT NULL REFERENCES public."group"(id),
  kind text NOT NULL CHECK (kind = ANY (ARRAY['rule', 'tiers', 'add_officer', 'promote',
    'demote', 'remove_officer', 'revoke_public_token'])),
  change jsonb NOT NULL DEFAULT '{}'::jsonb,
  subject_user_id uuid REFERENCES public."user"(id),
  proposed_by uuid NOT NULL REFERENCES public."user"(id),
  status text NOT NULL DEFAULT 'PENDING' CHECK (status = ANY (ARRAY['PENDING', 'PASSED',
    'APPLIED', 'REJECTED', 'CANCELLED', 'EXPIRED'])),
  approvals_required integer NOT NULL CHECK (approvals_required >= 1),
  passed_by_members boolean NOT NULL DEFAULT false,
  reason text NOT NULL DEFAULT '',  -- why it ended REJECTED (or EXPIRED)
  created_at timestamp without time zone NOT NULL DEFAULT now(),
  expires_at timestamp without time zone NOT NULL,
  applies_at timestamp without time zone,  -- set when it passes
  decided_at timestamp without time zone   -- set when it leaves PENDING/PASSED
);
CREATE INDEX group_proposal_group_idx
  ON public.group_proposal (group_id, created_at DESC, id DESC);
CREATE INDEX group_proposal_due_idx
  ON public.group_proposal (applies_at) WHERE status = 'PASSED';
CREATE INDEX group_proposal_expiry_idx
  ON public.group_proposal (expires_at) WHERE status = 'PENDING';

-- One approval and one objection per person and proposal (a person does
-- not both approve and object: the service refuses the second).
CREATE TABLE public.group_proposal_vote (
  proposal_id uuid NOT NULL REFERENCES public.group_proposal(id),
  user_id uuid NOT NULL REFERENCES public."user"(id),
  vote text NOT NULL CHECK (vote = ANY (ARRAY['APPROVE', 'OBJECT'])),
  created_at timestamp without time zone NOT NULL DEFAULT now(),
  PRIMARY KEY (proposal_id, user_id, vote)
);

GRANT SELECT, INSERT, UPDATE ON public.group_proposal TO kolo_groups;
GRANT SELECT, INSERT ON public.group_proposal_vote TO kolo_groups;
