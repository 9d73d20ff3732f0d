-- 0033_dues: dues and special levies of a group, the waivers officers grant,
-- and the switch that shows paid/unpaid per member on the public page
-- (DESIGN §15; docs/decisions.md, "Contributions: dues"). Owned by
-- kolo-groups. Dates are West Africa Time calendar days; a dues is never
-- changed once defined (its periods are computed from starts_on each time).
CREATE TABLE public.group_dues (
  id uuid PRIMARY KEY DEFAULT uuid_generate_v4(),
  group_id uuid NOT NULL REFERENCES public."group"(id),
  name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 120),
  kind text NOT NULL CHECK (kind = ANY (ARRAY['dues', 'levy'])),
  amount_kobo bigint NOT NULL
    CHECK (amount_kobo BETWEEN 1 AND 25000000000),
  period text NOT NULL CHECK (period = ANY (ARRAY['once', 'weekly', 'monthly'])),
  starts_on date NOT NULL,
  ends_on date CHECK (ends_on IS NULL OR ends_on >= starts_on),
  created_by uuid NOT NULL REFERENCES public."user"(id),
  created_at timestamptz NOT NULL DEFAULT now(),
  CHECK (kind = 'dues' OR period = 'once')
);
CREATE INDEX group_dues_group_idx ON public.group_dues (group_id, created_at, id);

-- One waiver per dues, member and period; due_on NULL lets the member off
-- all of the dues (at most one such row).
CREATE TABLE public.dues_waiver (
  id uuid PRIMARY KEY DEFAULT uuid_generate_v4(),
  dues_id uuid NOT NULL REFERENCES public.group_dues(id),
  user_id uuid NOT NULL REFERENCES public."user"(id),
  due_on date,
  reason text NOT NULL CHECK (char_length(reason) BETWEEN 1 AND 500),
  waived_by uuid NOT NULL REFERENCES public."user"(id),
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX dues_waiver_day_key
  ON public.dues_waiver (dues_id, user_id, due_on) WHERE due_on IS NOT NULL;
CREATE UNIQUE INDEX dues_waiver_all_key
  ON public.dues_waiver (dues_id, user_id) WHERE due_on IS NULL;

ALTER TABLE public."group"
  ADD COLUMN public_dues boolean NOT NULL DEFAULT false;

GRANT SELECT, INSERT ON public.group_dues TO kolo_groups;
GRANT SELECT, INSERT ON public.dues_waiver TO kolo_groups;
