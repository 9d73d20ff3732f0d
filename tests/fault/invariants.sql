-- invariants.sql: the money invariants of a Kolo database, one row per
-- violation (no rows: all hold). Run as the cluster's superuser against the
-- suite's database, once everything has settled (no payout between steps):
--   psql "$CONNINFO" -qAt -v ON_ERROR_STOP=1 -f tests/fault/invariants.sql
-- Tables: ledger_entry (0001, append-only, reference unique), ledger_balance
-- (0005), ledger_refusal (0010), payout with stage/status/attempt (0001 +
-- 0006 + 0010), withdrawal_request (0001 + 0007 + 0010), webhook_event
-- (0001 + 0006), demo_transfer (0009), ledger_hold (0012, folded_at 0017),
-- ledger_allocation and ledger_reversal (0031). A payout's states as (stage,
-- status) pairs are in services/payments/payout_state.c. Ledger references
-- of a payout (services/payments/payout.c): 'payout:<withdrawal_id>' and
-- 'reversal:<withdrawal_id>', ':<attempt>' appended after the first attempt.
-- A deposit's reference is the provider's transaction id (deposit.c); the
-- fee the provider kept of it is a DEBIT 'fee:<transaction id>' posted with it.

-- 1. Every group's balance is >= 0 and equals its entries: ledger_balance
--    (credits, debits, count) against the sums of ledger_entry. Captured
--    holds not folded into the row yet (0017) are entries the row does not
--    show: the row less them matches.
WITH sums AS (
  SELECT group_id,
         coalesce(sum(amount_kobo) FILTER (WHERE type = 'CREDIT'), 0) AS credits,
         coalesce(sum(amount_kobo) FILTER (WHERE type = 'DEBIT'), 0) AS debits,
         count(*) AS n
  FROM ledger_entry GROUP BY group_id
), unfolded AS (
  SELECT group_id, sum(amount_kobo) AS kobo, count(*) AS n
  FROM ledger_hold WHERE status = 'captured' AND folded_at IS NULL GROUP BY group_id
)
SELECT 'balance_mismatch' AS violation,
       coalesce(b.group_id, s.group_id)::text AS subject,
       format('balance=%s credits=%s debits=%s entries=%s unfolded=%s/%s;'
              ' ledger credits=%s debits=%s entries=%s',
              b.balance_kobo, b.credits_kobo, b.debits_kobo, b.entries,
              coalesce(u.kobo, 0), coalesce(u.n, 0), s.credits, s.debits, s.n) AS detail
FROM ledger_balance b FULL JOIN sums s ON s.group_id = b.group_id
     LEFT JOIN unfolded u ON u.group_id = coalesce(b.group_id, s.group_id)
WHERE b.group_id IS NULL
   OR b.balance_kobo - coalesce(u.kobo, 0) < 0
   OR b.balance_kobo - coalesce(u.kobo, 0) <> coalesce(s.credits, 0) - coalesce(s.debits, 0)
   OR b.credits_kobo <> coalesce(s.credits, 0)
   OR b.debits_kobo + coalesce(u.kobo, 0) <> coalesce(s.debits, 0)
   OR b.entries + coalesce(u.n, 0) <> coalesce(s.n, 0)
-- The running balance never went below zero in entry order either (the
-- entries of one transaction share created_at: a deposit's CREDIT comes
-- before the fee DEBIT written with it).
UNION ALL
SELECT 'balance_negative_in_history', group_id::text,
       format('running balance %s after entry %s', running, id)
FROM (
  SELECT group_id, id,
         sum(CASE WHEN type = 'CREDIT' THEN amount_kobo ELSE -amount_kobo END)
           OVER (PARTITION BY group_id ORDER BY created_at, type = 'DEBIT', id) AS running
  FROM ledger_entry
) h
WHERE running < 0

-- 2. Every PAID withdrawal has exactly one SUCCESS payout, and its money
--    left once: exactly one debit more than reversals, of its amount.
UNION ALL
SELECT 'paid_withdrawal_payouts', w.id::text,
       format('%s SUCCESS payouts', (SELECT count(*) FROM payout p
                                     WHERE p.withdrawal_id = w.id AND p.status = 'SUCCESS'))
FROM withdrawal_request w
WHERE w.status = 'PAID'
  AND (SELECT count(*) FROM payout p
       WHERE p.withdrawal_id = w.id AND p.status = 'SUCCESS') <> 1
UNION ALL
SELECT 'withdrawal_net_debit', w.id::text,
       format('status=%s amount=%s debits=%s (%s kobo) reversals=%s (%s kobo)',
              w.status, w.amount_kobo, coalesce(m.debits, 0), coalesce(m.debit_kobo, 0),
              coalesce(m.reversals, 0), coalesce(m.reversal_kobo, 0))
FROM withdrawal_request w
-- One pass over the payout entries, grouped by the withdrawal id their
-- reference carries ('payout:<id>[:<attempt>]', 'reversal:<id>[:<attempt>]').
LEFT JOIN (
  SELECT split_part(e.reference, ':', 2) AS withdrawal_id,
         count(*) FILTER (WHERE e.type = 'DEBIT') AS debits,
         coalesce(sum(e.amount_kobo) FILTER (WHERE e.type = 'DEBIT'), 0) AS debit_kobo,
         count(*) FILTER (WHERE e.type = 'CREDIT') AS reversals,
         coalesce(sum(e.amount_kobo) FILTER (WHERE e.type = 'CREDIT'), 0) AS reversal_kobo
  FROM ledger_entry e
  WHERE (e.type = 'DEBIT' AND e.reference LIKE 'payout:%')
     OR (e.type = 'CREDIT' AND e.reference LIKE 'reversal:%')
  GROUP BY 1
) m ON m.withdrawal_id = w.id::text
WHERE (w.status = 'PAID'
       AND (coalesce(m.debits, 0) - coalesce(m.reversals, 0) <> 1
            OR coalesce(m.debit_kobo, 0) - coalesce(m.reversal_kobo, 0) <> w.amount_kobo))
   -- Ended unpaid and no payout in flight: whatever left came back. (An
   -- APPROVED one may not have heard yet of a payout that succeeded.)
   OR (w.status NOT IN ('PAID', 'APPROVED')
       AND NOT EXISTS (SELECT 1 FROM payout p WHERE p.withdrawal_id = w.id
                       AND p.stage NOT IN ('settled', 'reversed'))
       AND (coalesce(m.debits, 0) <> coalesce(m.reversals, 0)
            OR coalesce(m.debit_kobo, 0) <> coalesce(m.reversal_kobo, 0)))
   -- Never, not even for a moment, more out than the amount.
   OR coalesce(m.debit_kobo, 0) - coalesce(m.reversal_kobo, 0) > w.amount_kobo
-- A withdrawal has at most one payout attempt in flight, and one that ended
-- unpaid (PAYOUT_FAILED, CLOSED, DECLINED) has none: its money is back.
UNION ALL
SELECT 'withdrawal_payout_in_flight', w.id::text,
       format('status=%s unfinished payouts=%s', w.status, f.n)
FROM withdrawal_request w
CROSS JOIN LATERAL (
  SELECT count(*) AS n FROM payout p
  WHERE p.withdrawal_id = w.id AND p.stage NOT IN ('settled', 'reversed')
) f
WHERE f.n > 1 OR (f.n > 0 AND w.status IN ('PAYOUT_FAILED', 'CLOSED', 'DECLINED'))

-- 3. Every payout's money, per attempt: its debit exists exactly when the
--    attempt reached `debited` or later (while `debiting` the claimer's
--    call may be in flight: either); an attempt refused before any debit
--    (settled FAILED) moved nothing; a debited attempt that failed has
--    exactly one reversal of the same amount once settled (stage reversed);
--    a reversal only ever follows a debit of a failed transfer.
UNION ALL
SELECT 'payout_entries', p.id::text,
       format('status=%s stage=%s amount=%s debit=%s reversal=%s',
              p.status, p.stage, p.amount_kobo, d.amount_kobo, r.amount_kobo)
FROM payout p
LEFT JOIN ledger_entry d ON d.type = 'DEBIT' AND d.reference = 'payout:' || p.withdrawal_id
  || CASE WHEN p.attempt > 1 THEN ':' || p.attempt ELSE '' END
LEFT JOIN ledger_entry r ON r.type = 'CREDIT' AND r.reference = 'reversal:' || p.withdrawal_id
  || CASE WHEN p.attempt > 1 THEN ':' || p.attempt ELSE '' END
WHERE ((p.stage IN ('debited', 'sent', 'reversing', 'reversed')
        OR (p.stage = 'settled' AND p.status = 'SUCCESS'))
       AND (d.id IS NULL OR d.amount_kobo <> p.amount_kobo))
   OR ((p.stage = 'created' OR (p.stage = 'settled' AND p.status = 'FAILED'))
       AND (d.id IS NOT NULL OR r.id IS NOT NULL))
   OR (p.status = 'SUCCESS' AND (p.stage <> 'settled' OR r.id IS NOT NULL))
   OR (p.status = 'FAILED' AND d.id IS NOT NULL
       AND (p.stage <> 'reversed' OR r.id IS NULL OR r.amount_kobo <> p.amount_kobo))
   OR (r.id IS NOT NULL AND (p.status <> 'FAILED' OR d.id IS NULL))
-- Holds (0012, DESIGN §13): what live holds promise never exceeds what the
-- group holds, and each captured hold became exactly one DEBIT of its
-- amount in its group.
UNION ALL
SELECT 'holds_exceed_balance', b.group_id::text,
       format('posted=%s held=%s', ledger_posted(b.group_id), ledger_held(b.group_id))
FROM ledger_balance b
WHERE ledger_held(b.group_id) > ledger_posted(b.group_id)
-- A captured hold is folded into its group's row at most once: folded
-- ones are captured (a CHECK), and the fold time is not before the capture.
UNION ALL
SELECT 'hold_folded_before_capture', h.reference,
       format('captured %s, folded %s', h.closed_at, h.folded_at)
FROM ledger_hold h
WHERE h.folded_at < h.closed_at
UNION ALL
SELECT 'captured_hold_entry', h.reference,
       format('amount=%s entry=%s type=%s entry_amount=%s', h.amount_kobo, h.entry_id,
              e.type, e.amount_kobo)
FROM ledger_hold h LEFT JOIN ledger_entry e ON e.id = h.entry_id
WHERE h.status = 'captured'
  AND (e.id IS NULL OR e.type <> 'DEBIT' OR e.amount_kobo <> h.amount_kobo
       OR e.group_id <> h.group_id)
-- A withdrawal that ended (or whose attempt ended) promises nothing any
-- more: no live hold of it is left once things have settled.
UNION ALL
SELECT 'ended_withdrawal_hold', h.reference,
       format('withdrawal %s is %s, hold %s of %s still held', w.id, w.status, h.id,
              h.amount_kobo)
FROM withdrawal_request w
JOIN ledger_hold h ON h.reference = 'withdrawal:' || w.id
                   OR h.reference LIKE 'withdrawal:' || w.id || ':%'
WHERE w.status IN ('DECLINED', 'CLOSED', 'PAID', 'PAYOUT_FAILED')
  AND h.status = 'held' AND (h.expires_at IS NULL OR h.expires_at > now())
-- A reference has one outcome for ever: a refused debit never has an entry.
UNION ALL
SELECT 'refusal_with_entry', f.reference,
       format('refused %s kobo at %s, entry %s', f.amount_kobo, f.created_at, e.id)
FROM ledger_refusal f JOIN ledger_entry e ON e.reference = f.reference
-- Every reversed payout is on record for people to look at.
UNION ALL
SELECT 'payout_recovery_missing', p.id::text, 'reversed payout without a payout_recovery row'
FROM payout p
WHERE p.stage = 'reversed'
  AND NOT EXISTS (SELECT 1 FROM payout_recovery pr WHERE pr.withdrawal_id = p.withdrawal_id)
-- A PAID withdrawal points at its successful payout.
UNION ALL
SELECT 'paid_withdrawal_fields', w.id::text,
       format('payout_status=%s executed_at=%s', w.payout_status, w.executed_at)
FROM withdrawal_request w
WHERE w.status = 'PAID' AND (w.payout_status IS DISTINCT FROM 'SUCCESS' OR w.executed_at IS NULL)

-- 4. Every processed deposit event credited exactly once: its transaction
--    id is the reference of exactly one CREDIT (source provider_sandbox),
--    whose amount is the event's (gross) amount in kobo, and of at most one
--    fee DEBIT 'fee:<id>' in the same group, below the credit.
UNION ALL
SELECT 'deposit_event_credit', ev.id::text,
       format('outcome=%s transaction=%s credits=%s amount_kobo=%s want %s fees=%s fee_kobo=%s',
              ev.outcome, ev.tx_id, c.n, c.kobo, ev.want_kobo, f.n, f.kobo)
FROM (
  -- Paystack names a deposit by its reference and counts in kobo;
  -- Flutterwave by its id, in naira.
  SELECT id, outcome,
         CASE WHEN provider = 'paystack' THEN raw_payload #>> '{data,reference}'
              ELSE raw_payload #>> '{data,id}' END AS tx_id,
         CASE WHEN provider = 'paystack' THEN (raw_payload #>> '{data,amount}')::numeric
              ELSE (raw_payload #>> '{data,amount}')::numeric * 100 END AS want_kobo
  FROM webhook_event
  WHERE processed AND signature_valid
    AND event_type IN ('charge.completed', 'charge.success')
    AND outcome IN ('credited', 'duplicate')
) ev
CROSS JOIN LATERAL (
  SELECT count(*) AS n, sum(amount_kobo) AS kobo FROM ledger_entry e
  WHERE e.reference = ev.tx_id AND e.type = 'CREDIT' AND e.source = 'provider_sandbox'
) c
CROSS JOIN LATERAL (
  SELECT count(*) AS n, coalesce(sum(amount_kobo), 0) AS kobo FROM ledger_entry e
  WHERE e.reference = 'fee:' || ev.tx_id AND e.type = 'DEBIT'
    AND e.source = 'provider_sandbox'
) f
WHERE c.n <> 1 OR c.kobo <> ev.want_kobo OR f.n > 1 OR f.kobo >= c.kobo
-- Every fee DEBIT has its CREDIT (the reference without 'fee:') in the same
-- group, with the same account and source, and is below it; a fee is never
-- a CREDIT.
UNION ALL
SELECT 'fee_without_credit', fee.id::text,
       format('reference=%s type=%s fee_kobo=%s credit_kobo=%s', fee.reference, fee.type,
              fee.amount_kobo, cr.amount_kobo)
FROM ledger_entry fee
LEFT JOIN ledger_entry cr
  ON cr.reference = substr(fee.reference, 5) AND cr.type = 'CREDIT'
 AND cr.group_id = fee.group_id AND cr.account_id = fee.account_id
 AND cr.source IS NOT DISTINCT FROM fee.source
WHERE fee.reference LIKE 'fee:%'
  AND (fee.type <> 'DEBIT' OR cr.id IS NULL OR fee.amount_kobo >= cr.amount_kobo)
-- ... and no provider credit exists without a processed event behind it.
UNION ALL
SELECT 'credit_without_event', e.id::text, format('reference=%s', e.reference)
FROM ledger_entry e
WHERE e.source = 'provider_sandbox' AND e.type = 'CREDIT'
  AND NOT EXISTS (SELECT 1 FROM webhook_event ev
                  WHERE ev.processed
                    AND (ev.raw_payload #>> '{data,id}' = e.reference
                         OR (ev.provider = 'paystack'
                             AND ev.raw_payload #>> '{data,reference}' = e.reference))
                    AND ev.outcome IN ('credited', 'duplicate'))
-- A signed event is not left unprocessed once things have settled.
UNION ALL
SELECT 'event_unprocessed', id::text, format('attempts=%s outcome=%s', attempts, outcome)
FROM webhook_event
WHERE signature_valid AND NOT processed

-- 5. The demo provider's bank (demo_transfer, 0009) and the payouts agree:
--    a demo payout the bank answered (provider_reference set, so every
--    SUCCESS one) has its transfer there, keyed by the payout id (one, the
--    key is unique), of the same amount, and a finished payout's outcome is
--    the bank's ...
UNION ALL
SELECT 'demo_transfer_mismatch', p.id::text,
       format('payout status=%s stage=%s amount=%s; transfer status=%s amount=%s',
              p.status, p.stage, p.amount_kobo, t.status, t.amount_kobo)
FROM payout p
LEFT JOIN demo_transfer t ON t.reference = p.id::text
WHERE p.provider = 'demo'
  AND (p.status = 'SUCCESS' OR p.provider_reference IS NOT NULL)
  AND (t.reference IS NULL OR t.amount_kobo <> p.amount_kobo
       OR (p.stage IN ('settled', 'reversed') AND t.status <> p.status))
-- ... and the bank sent nothing that is not a demo payout of ours.
UNION ALL
SELECT 'demo_transfer_without_payout', t.reference,
       format('status=%s amount=%s', t.status, t.amount_kobo)
FROM demo_transfer t
WHERE NOT EXISTS (SELECT 1 FROM payout p
                  WHERE p.id::text = t.reference AND p.provider = 'demo')

-- 6. Events (0024): every event waiting in an outbox concerns a group that
--    exists (events are written in the change's transaction, so a group's
--    event cannot outlive a rolled-back group), and a deposit event names
--    an entry of that group.
UNION ALL
SELECT 'outbox_unknown_group', o.id::text, format('%s %s group=%s', o.outbox, o.type, o.group_id)
FROM (SELECT 'identity_outbox' AS outbox, id, type, group_id FROM identity_outbox
      UNION ALL SELECT 'groups_outbox', id, type, group_id FROM groups_outbox
      UNION ALL SELECT 'ledger_outbox', id, type, group_id FROM ledger_outbox
      UNION ALL SELECT 'withdrawals_outbox', id, type, group_id FROM withdrawals_outbox
      UNION ALL SELECT 'payments_outbox', id, type, group_id FROM payments_outbox) o
WHERE o.group_id IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM public."group" g WHERE g.id = o.group_id)
UNION ALL
SELECT 'deposit_event_without_credit', o.id::text, format('entry=%s', o.data ->> 'entry_id')
FROM ledger_outbox o
WHERE o.type = 'deposit.credited'
  AND NOT EXISTS (SELECT 1 FROM ledger_entry e
                  WHERE e.id::text = o.data ->> 'entry_id' AND e.group_id = o.group_id
                    AND e.type = 'CREDIT')
-- 7. kolo-events (0026, 0027), money-free: true at any moment, settled or
--    not. A group's events are numbered 1..n without a gap or a repeat,
--    and its counter is the last number given; ...
UNION ALL
SELECT 'events_group_seq', s.group_id::text,
       format('events=%s numbers %s..%s distinct=%s counter=%s', count(e.id),
              min(e.group_seq), max(e.group_seq), count(DISTINCT e.group_seq), s.last_seq)
FROM events_group_seq s LEFT JOIN events_event e ON e.group_id = s.group_id
GROUP BY s.group_id, s.last_seq
HAVING count(e.id) <> s.last_seq OR count(DISTINCT e.group_seq) <> count(e.id)
    OR coalesce(min(e.group_seq), 1) <> 1 OR coalesce(max(e.group_seq), 0) <> s.last_seq
UNION ALL
SELECT 'events_group_uncounted', e.group_id::text, format('event %s', e.id)
FROM events_event e
WHERE e.group_id IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM events_group_seq s WHERE s.group_id = e.group_id)
-- ... a message is of a stored event (also a foreign key), to an address
-- of its channel, SENT exactly when it has a sent time, and only an event
-- fanned out has messages; ...
UNION ALL
SELECT 'events_delivery_state', d.id::text,
       format('event=%s channel=%s address=%s status=%s sent_at=%s fanned_out=%s',
              d.event_id, d.channel, d.address, d.status, d.sent_at, e.fanned_out)
FROM events_delivery d LEFT JOIN events_event e ON e.id = d.event_id
WHERE e.id IS NULL
   OR (d.status = 'SENT') <> (d.sent_at IS NOT NULL)
   OR (d.channel = 'email' AND d.address NOT LIKE '_%@_%')
   OR (d.channel = 'sms' AND d.address !~ '^\+234[0-9]{10}$')
   OR NOT e.fanned_out
-- ... an email code sent is blanked in kolo-events' copy (it was for its
-- owner's inbox only), and reaches no partner; ...
UNION ALL
SELECT 'events_code_kept', e.id::text, 'a sent email code is still stored'
FROM events_event e
WHERE e.type IN ('user.email_code', 'user.phone_code') AND coalesce(e.data ->> 'code', '') <> ''
  AND EXISTS (SELECT 1 FROM events_delivery d WHERE d.event_id = e.id AND d.status = 'SENT')
UNION ALL
SELECT 'webhook_delivery_event', w.id::text,
       format('endpoint=%s event=%s type=%s seq=%s event seq=%s', w.endpoint_id, w.event_id,
              e.type, w.group_seq, e.group_seq)
FROM webhook_delivery w
JOIN webhook_endpoint p ON p.id = w.endpoint_id
JOIN events_event e ON e.id = w.event_id
WHERE e.group_id IS DISTINCT FROM p.group_id OR e.group_seq <> w.group_seq
   OR e.type IN ('user.email_code', 'user.phone_code', 'kyc.result')
   OR w.group_seq > p.after_seq
-- ... and a partner delivery is delivered exactly when it has a delivery time.
UNION ALL
SELECT 'webhook_delivery_state', id::text,
       format('status=%s delivered_at=%s', status, delivered_at)
FROM webhook_delivery
WHERE (status = 'delivered') <> (delivered_at IS NOT NULL)

-- 8. Members' contributions (0031, DESIGN §15). A deposit CREDIT is a CREDIT
--    not of source 'payout'; its member is the allocation in force, else its
--    user_id, else none. Per group: Σ attributed + Σ unallocated = Σ deposit
--    credits − Σ their reversals (a duplicated in-force allocation or a
--    reversal of another amount shows here), ...
UNION ALL
SELECT 'contributions_sum', d.group_id::text,
       format('attributed=%s unallocated=%s deposits=%s reversals=%s',
              d.attributed, d.unallocated, t.deposits, t.reversals)
FROM (
  SELECT e.group_id,
         coalesce(sum(e.amount_kobo - coalesce(rv.amount_kobo, 0))
                  FILTER (WHERE coalesce(a.user_id, e.user_id) IS NOT NULL), 0) AS attributed,
         coalesce(sum(e.amount_kobo - coalesce(rv.amount_kobo, 0))
                  FILTER (WHERE coalesce(a.user_id, e.user_id) IS NULL), 0) AS unallocated
  FROM ledger_entry e
  LEFT JOIN ledger_allocation a ON a.entry_id = e.id AND a.superseded_at IS NULL
  LEFT JOIN ledger_reversal r ON r.reverses_entry_id = e.id
  LEFT JOIN ledger_entry rv ON rv.id = r.entry_id
  WHERE e.type = 'CREDIT' AND e.source IS DISTINCT FROM 'payout'
  GROUP BY e.group_id
) d JOIN (
  SELECT group_id,
         coalesce(sum(amount_kobo) FILTER (WHERE type = 'CREDIT'
                  AND source IS DISTINCT FROM 'payout'), 0) AS deposits,
         coalesce(sum(amount_kobo) FILTER (WHERE id IN (SELECT entry_id FROM ledger_reversal)), 0)
           AS reversals
  FROM ledger_entry GROUP BY group_id
) t ON t.group_id = d.group_id
WHERE d.attributed + d.unallocated <> t.deposits - t.reversals
-- ... at most one allocation in force per entry, ...
UNION ALL
SELECT 'allocation_in_force_twice', entry_id::text, format('%s allocations in force', count(*))
FROM ledger_allocation WHERE superseded_at IS NULL GROUP BY entry_id HAVING count(*) > 1
-- ... allocations only on deposit CREDITs of their own group, a superseded
-- one pointing at a later allocation of the same entry, ...
UNION ALL
SELECT 'allocation_not_a_deposit', a.id::text,
       format('entry=%s type=%s source=%s entry group=%s allocation group=%s',
              a.entry_id, e.type, e.source, e.group_id, a.group_id)
FROM ledger_allocation a JOIN ledger_entry e ON e.id = a.entry_id
WHERE e.type <> 'CREDIT' OR e.source IS NOT DISTINCT FROM 'payout' OR e.group_id <> a.group_id
UNION ALL
SELECT 'allocation_superseded_by', a.id::text,
       format('superseded_by=%s of entry %s', a.superseded_by, n.entry_id)
FROM ledger_allocation a LEFT JOIN ledger_allocation n ON n.id = a.superseded_by
WHERE a.superseded_by IS NOT NULL AND (n.id IS NULL OR n.entry_id <> a.entry_id)
-- ... and a reversal is a DEBIT taking back one deposit CREDIT of its own
-- group, whole, once (the UNIQUE on reverses_entry_id).
UNION ALL
SELECT 'reversal_mismatch', r.entry_id::text,
       format('debit %s %s of %s in %s; deposit %s %s source %s of %s in %s; link group %s',
              x.type, x.amount_kobo, x.reference, x.group_id, d.type, d.amount_kobo, d.source,
              d.reference, d.group_id, r.group_id)
FROM ledger_reversal r JOIN ledger_entry x ON x.id = r.entry_id
JOIN ledger_entry d ON d.id = r.reverses_entry_id
WHERE x.type <> 'DEBIT' OR d.type <> 'CREDIT' OR d.source IS NOT DISTINCT FROM 'payout'
   OR x.amount_kobo <> d.amount_kobo OR x.group_id <> d.group_id OR r.group_id <> d.group_id
-- ... and every chargeback DEBIT is such a link (else money left a group
-- that no member's contributions show).
UNION ALL
SELECT 'chargeback_unlinked', e.id::text, format('%s %s of %s', e.type, e.amount_kobo, e.reference)
FROM ledger_entry e
WHERE e.reference LIKE 'chargeback:%'
  AND NOT EXISTS (SELECT 1 FROM ledger_reversal r WHERE r.entry_id = e.id)
-- 8. Batched and coalesced postings (issue 25): a deposit is told once,
--    however it was posted (alone, in a PostEntries batch, or replayed by
--    one): at most one deposit.credited waiting per entry (acked ones are
--    deleted).
UNION ALL
SELECT 'deposit_event_twice', o.data ->> 'entry_id', format('%s events', count(*))
FROM ledger_outbox o
WHERE o.type = 'deposit.credited'
GROUP BY o.data ->> 'entry_id'
HAVING count(*) > 1;
