#include "payout_state.h"

#include <stddef.h>
#include <string.h>

static const struct {
	const char *stage, *status;
} pay_state_text[PAY_STATE_COUNT] = {
	[PAY_CREATED] = {"created", "PENDING"},	 [PAY_DEBITING] = {"debiting", "PENDING"},
	[PAY_DEBITED] = {"debited", "PENDING"},	 [PAY_SENT] = {"sent", "PENDING"},
	[PAY_PAID] = {"settled", "SUCCESS"},	 [PAY_UNFUNDED] = {"settled", "FAILED"},
	[PAY_FAILED] = {"sent", "FAILED"},	 [PAY_REVERSING] = {"reversing", "FAILED"},
	[PAY_REVERSED] = {"reversed", "FAILED"},
};

/* The transition table (docs/decisions.md shows it as a table). A claim
 * (-> DEBITING, -> SENT, -> REVERSING) comes before the money call it
 * allows; the worker takes over a claim left idle by re-claiming it. */
static const struct {
	pay_state from, to;
	int who;
} pay_moves[] = {
	{PAY_CREATED, PAY_DEBITING, PAY_BY_ANYONE},    /* claim the debit */
	{PAY_DEBITING, PAY_DEBITING, PAY_BY_WORKER},   /* take over an idle claim */
	{PAY_DEBITING, PAY_DEBITED, PAY_BY_CLAIMER},   /* the ledger debited */
	{PAY_DEBITING, PAY_UNFUNDED, PAY_BY_CLAIMER},  /* refused: no funds, no account */
	{PAY_DEBITED, PAY_SENT, PAY_BY_ANYONE},	       /* claim the send */
	{PAY_SENT, PAY_SENT, PAY_BY_ANYONE},	       /* still pending: noted */
	{PAY_SENT, PAY_PAID, PAY_BY_ANYONE},	       /* the provider paid */
	{PAY_SENT, PAY_FAILED, PAY_BY_ANYONE},	       /* the provider failed it */
	{PAY_SENT, PAY_DEBITED, PAY_BY_WORKER},	       /* never reached the provider */
	{PAY_FAILED, PAY_REVERSING, PAY_BY_ANYONE},    /* claim the reversal */
	{PAY_REVERSING, PAY_REVERSING, PAY_BY_WORKER}, /* take over an idle claim */
	{PAY_REVERSING, PAY_REVERSED, PAY_BY_CLAIMER}, /* the money is back */
};

const char *
pay_state_stage(pay_state s)
{
	return s < PAY_STATE_COUNT ? pay_state_text[s].stage : "";
}

const char *
pay_state_status(pay_state s)
{
	return s < PAY_STATE_COUNT ? pay_state_text[s].status : "";
}

int
pay_state_parse(const char *stage, const char *status)
{
	for (int s = 0; s < PAY_STATE_COUNT; s++) {
		if (strcmp(pay_state_text[s].stage, stage) == 0 &&
		    strcmp(pay_state_text[s].status, status) == 0)
			return s;
	}
	return -1;
}

int
pay_move_allowed(pay_state from, pay_state to, int actor)
{
	for (size_t i = 0; i < sizeof(pay_moves) / sizeof(pay_moves[0]); i++) {
		if (pay_moves[i].from == from && pay_moves[i].to == to)
			return (pay_moves[i].who & actor) != 0 ||
			       (pay_moves[i].who & PAY_BY_ANYONE) != 0;
	}
	return 0;
}

int
pay_state_final(pay_state s)
{
	return s == PAY_PAID || s == PAY_UNFUNDED || s == PAY_REVERSED;
}
