/* payout_state: the payout state machine (no SQL, no protobuf). One
 * transition table says which moves exist and who makes them; the store
 * applies a move as a compare-and-set on the row's version. In the
 * database a state is a (stage, status) pair of text. */
#ifndef KOLO_PAY_PAYOUT_STATE_H
#define KOLO_PAY_PAYOUT_STATE_H

typedef enum pay_state {
	PAY_CREATED,   /* nothing moved yet */
	PAY_DEBITING,  /* an actor claimed the ledger debit */
	PAY_DEBITED,   /* the group was debited; no transfer yet */
	PAY_SENT,      /* an actor claimed the send: the provider may have it */
	PAY_PAID,      /* the provider paid it: the end */
	PAY_UNFUNDED,  /* refused before any debit: the end, nothing moved */
	PAY_FAILED,    /* the transfer failed after the debit: a reversal is owed */
	PAY_REVERSING, /* an actor claimed the reversal */
	PAY_REVERSED,  /* the money is back: the end */
	PAY_STATE_COUNT
} pay_state;

/* Who may make a move (a set of these). */
enum {
	PAY_BY_CLAIMER = 1, /* the actor holding the claim of the step */
	PAY_BY_ANYONE = 2,  /* handler, webhook or worker, on the provider's word */
	PAY_BY_WORKER = 4,  /* the recovery worker, on a payout idle too long */
};

/* The stage and status columns of a state, and back (-1 when unknown). */
const char *pay_state_stage(pay_state s);
const char *pay_state_status(pay_state s);
int pay_state_parse(const char *stage, const char *status);

/* 1 when from -> to is a move of the table for actor (PAY_BY_*). */
int pay_move_allowed(pay_state from, pay_state to, int actor);

/* 1 for PAID, UNFUNDED and REVERSED: nothing will change any more, and
 * the group has exactly what it should (paid once, or all of it back). */
int pay_state_final(pay_state s);

#endif
