-- 0014_identity_limits: kolo-identity refuses guessing itself (issue 18).
--
-- identity_throttle: per (kind, key) the attempts of a window and a lock
-- that grows with each lockout; kept in the database because identity runs
-- several replicas. The key is stored only as its SHA-256 (emails typed by
-- anyone, client addresses). A row may be deleted after forget_after.
CREATE TABLE public.identity_throttle (
  kind text NOT NULL,
  key_hash text NOT NULL,
  window_started_at timestamptz,
  attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  locked_until timestamptz,
  lockouts integer NOT NULL DEFAULT 0 CHECK (lockouts >= 0),
  forget_after timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (kind, key_hash)
);
CREATE INDEX identity_throttle_forget_idx ON public.identity_throttle (forget_after);
GRANT SELECT, INSERT, UPDATE, DELETE ON public.identity_throttle TO kolo_identity;

-- PIN lockouts grow within a day (30 min, 2 h, 24 h) and a daily cap holds:
-- the day's first wrong PIN, the wrong PINs since, and the locks since.
ALTER TABLE public.transaction_pins
  ADD COLUMN lockouts integer NOT NULL DEFAULT 0 CHECK (lockouts >= 0),
  ADD COLUMN day_started_at timestamp without time zone,
  ADD COLUMN day_failures integer NOT NULL DEFAULT 0 CHECK (day_failures >= 0);
