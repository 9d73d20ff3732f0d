/* The one table of event types. */
#include "events.h"

#include <string.h>

static const evt_type evt_table[] = {
	{EVT_DEPOSIT_CREDITED, EVT_TO_MEMBERS_OPT_IN, 1,
	 "money arrived in the group's account and is on its books"},
	{EVT_DEPOSIT_ALLOCATED, EVT_TO_SUBJECT | EVT_TO_PREVIOUS, 1,
	 "an officer credited a deposit to a member, or moved it from one member to another"},
	{EVT_WITHDRAWAL_REQUESTED, EVT_TO_OFFICERS | EVT_TO_MEMBERS_OPT_IN, 1,
	 "an officer asked to pay money out; it waits for the other officers"},
	{EVT_WITHDRAWAL_APPROVED, EVT_TO_MEMBERS_OPT_IN, 1, "an officer approved a withdrawal"},
	{EVT_WITHDRAWAL_DECLINED, EVT_TO_SUBJECT | EVT_TO_MEMBERS_OPT_IN, 1,
	 "a withdrawal was declined or cancelled"},
	{EVT_WITHDRAWAL_PAID, EVT_TO_SUBJECT | EVT_TO_MEMBERS_OPT_IN, 1,
	 "a withdrawal was paid to its beneficiary"},
	{EVT_WITHDRAWAL_FAILED, EVT_TO_OFFICERS, 1,
	 "a withdrawal's payout failed and the money is back; officers retry or close it"},
	{EVT_WITHDRAWAL_CLOSED, EVT_TO_SUBJECT | EVT_TO_MEMBERS_OPT_IN, 1,
	 "an approved withdrawal ended unpaid (expired or closed); the money is back"},
	{EVT_PROPOSAL_OPENED, EVT_TO_OFFICERS | EVT_TO_MEMBERS_OPT_IN, 1,
	 "a change of the group's rules or officers waits for the officers' votes"},
	{EVT_PROPOSAL_PASSED, EVT_TO_MEMBERS_OPT_IN, 1,
	 "a proposal got its votes and takes effect after its delay"},
	{EVT_PROPOSAL_APPLIED, EVT_TO_OFFICERS | EVT_TO_MEMBERS_OPT_IN, 1,
	 "a proposal's change took effect"},
	{EVT_PROPOSAL_REJECTED, EVT_TO_MEMBERS_OPT_IN, 1,
	 "a proposal was rejected, cancelled or expired"},
	{EVT_MEMBER_ADDED, EVT_TO_SUBJECT | EVT_TO_MEMBERS_OPT_IN, 1, "a member joined the group"},
	{EVT_MEMBER_REMOVED, EVT_TO_SUBJECT | EVT_TO_MEMBERS_OPT_IN, 1,
	 "a member left or was removed"},
	{EVT_KYC_RESULT, EVT_TO_SUBJECT, 0, "the result of a user's identity check"},
	{EVT_EMAIL_CODE, EVT_TO_SUBJECT, 0, "a code that proves the user owns their email address"},
	{EVT_PHONE_CODE, EVT_TO_SUBJECT, 0, "a code that proves the user owns their phone number"},
	{EVT_WEBHOOK_PAUSED, EVT_TO_OFFICERS, 1,
	 "a partner endpoint failed for a day and was paused"},
};

const evt_type *
evt_type_find(const char *name)
{
	for (size_t i = 0; name && i < sizeof(evt_table) / sizeof(evt_table[0]); i++) {
		if (strcmp(evt_table[i].name, name) == 0)
			return &evt_table[i];
	}
	return NULL;
}

const evt_type *
evt_types(size_t *n_out)
{
	*n_out = sizeof(evt_table) / sizeof(evt_table[0]);
	return evt_table;
}
