/* The catalogue of reasons: every machine reason a Kolo component records
 * with err_set() (or the gateway answers with), its gRPC code, the HTTP
 * status the gateway gives it when that is not the code's (0: the code's,
 * gateway/response.c), and what it means. docs/errors.md is generated from
 * it; the error_reasons test (tests/scripts/check_reasons.py) fails when a
 * source names a reason not here, or with another code.
 *
 * One fault, one reason: a malformed id is `invalid_id` whatever the id,
 * the field named in the ErrorInfo metadata (`field`, err_invalid_id()).
 * A reason is snake_case, at most ERR_REASON_MAX - 1 characters, and never
 * renamed once released (clients match on it). */
#ifndef KOLO_ERR_REASONS_H
#define KOLO_ERR_REASONS_H

/* X(reason, gRPC code without ERR_, HTTP status or 0, "meaning"); one row a
 * line, as tests/scripts/check_reasons.py reads them: not reformatted. */
/* clang-format off */
#define ERR_REASONS(X) \
	X(aborted, ABORTED, 0, "the default of ABORTED: a conflict, try again") \
	X(account_not_found, NOT_FOUND, 0, "the provider has no such bank account") \
	X(account_not_ready, UNAVAILABLE, 0, "a deposit's account is not recorded yet (the webhook is retried)") \
	X(account_pending, UNAVAILABLE, 0, "the group's account is not ready yet") \
	X(address_not_allowed, PERMISSION_DENIED, 403, "a webhook from an address not the provider's") \
	X(allocation_changed, ABORTED, 0, "the deposit's member changed since the officer looked (expected_user_id): nothing written") \
	X(already_approved, FAILED_PRECONDITION, 0, "you already approved this proposal (ALREADY_EXISTS from the store)") \
	X(already_exists, ALREADY_EXISTS, 0, "the default of ALREADY_EXISTS") \
	X(already_member, ALREADY_EXISTS, 0, "the user is already a member of the group") \
	X(already_objected, FAILED_PRECONDITION, 0, "you have already objected to this proposal") \
	X(already_waived, ALREADY_EXISTS, 0, "the member is already let off that period (or all of that dues)") \
	X(amount_too_large, INVALID_ARGUMENT, 0, "amount is too large") \
	X(as_of_too_late, INVALID_ARGUMENT, 0, "a dues standing's as_of is more than 366 days after today (WAT)") \
	X(bad_address, INVALID_ARGUMENT, 0, "a mail header would carry a line break") \
	X(bad_amount, INVALID_ARGUMENT, 0, "an amount text is missing or malformed") \
	X(bad_config, INVALID_ARGUMENT, 0, "a setting (environment variable) is malformed; INTERNAL for an unknown setting type") \
	X(bad_conninfo, INVALID_ARGUMENT, 0, "the database conninfo is malformed") \
	X(bad_descriptor_set, INVALID_ARGUMENT, 0, "the compiled-in descriptor set cannot be read (reflection)") \
	X(bad_event, INVALID_ARGUMENT, 0, "a provider webhook body is not one of the provider's events") \
	X(bad_event_data, INTERNAL, 0, "an event's data is not a JSON object") \
	X(bad_json, INVALID_ARGUMENT, 0, "a JSON text is malformed") \
	X(bad_metadata, INVALID_ARGUMENT, 0, "call metadata that cannot be sent") \
	X(bad_method_table, INVALID_ARGUMENT, 0, "a service's method table disagrees with its proto") \
	X(bad_migration_name, INVALID_ARGUMENT, 0, "a migration file name is not NNNN_name.sql") \
	X(bad_page_size, INVALID_ARGUMENT, 0, "page_size must not be negative") \
	X(bad_page_token, INVALID_ARGUMENT, 0, "page_token is not a token this list gave out") \
	X(bad_provider_request, INVALID_ARGUMENT, 0, "a provider request cannot be built from these values") \
	X(bad_reference, INVALID_ARGUMENT, 0, "a provider reference is too long or malformed") \
	X(bad_revocation, INTERNAL, 0, "identity sent a revocation time that is not RFC 3339") \
	X(bad_route_table, INVALID_ARGUMENT, 0, "the gateway's route table disagrees with itself or the services' protos") \
	X(bad_signature, UNAUTHENTICATED, 0, "the webhook signature does not match") \
	X(bad_tls_config, INVALID_ARGUMENT, 0, "client TLS files cannot be used") \
	X(bad_transaction_id, INVALID_ARGUMENT, 0, "a provider transaction id has characters it never uses") \
	X(bank_account_incomplete, INVALID_ARGUMENT, 0, "bank_code and account_number go together") \
	X(bank_account_required, INVALID_ARGUMENT, 0, "a BVN check needs the person's own bank_code and account_number") \
	X(beneficiary_name_mismatch, FAILED_PRECONDITION, 0, "the bank names this account's holder differently") \
	X(beneficiary_not_found, FAILED_PRECONDITION, 0, "the bank knows no such account") \
	X(bind_failed, UNAVAILABLE, 0, "the server cannot listen on its address") \
	X(body_too_large, INVALID_ARGUMENT, 413, "the request body is larger than 64 KiB") \
	X(caller_not_allowed, PERMISSION_DENIED, 0, "the calling service may not call this internal method") \
	X(cancelled, CANCELLED, 0, "the default of CANCELLED") \
	X(charge_not_found, INVALID_ARGUMENT, 0, "the provider knows no transaction with this reference") \
	X(check_violation, INVALID_ARGUMENT, 0, "a value breaks a database CHECK constraint (SQLSTATE 23514)") \
	X(client_ref_conflict, ALREADY_EXISTS, 0, "the idempotency key was used for a different entry") \
	X(code_expired, FAILED_PRECONDITION, 0, "the verification code has expired: ask for a new one") \
	X(code_invalid, PERMISSION_DENIED, 0, "the verification code is wrong (attempts left in the message)") \
	X(code_locked, FAILED_PRECONDITION, 0, "too many wrong codes: ask for a new one") \
	X(commit_outcome_unknown, UNAVAILABLE, 0, "connection lost during commit, or the commit not confirmed by the synchronous standby") \
	X(crypto_init, INTERNAL, 0, "libsodium failed to initialise") \
	X(data_loss, DATA_LOSS, 0, "the default of DATA_LOSS") \
	X(database_error, INTERNAL, 0, "a database call failed without a SQLSTATE") \
	X(database_not_configured, INTERNAL, 0, "the database was never configured (a bug)") \
	X(database_unavailable, UNAVAILABLE, 0, "the database cannot be reached or refused for lack of resources") \
	X(deadline_exceeded, DEADLINE_EXCEEDED, 0, "the default of DEADLINE_EXCEEDED") \
	X(deadlock_detected, ABORTED, 0, "a database deadlock (SQLSTATE 40P01): try again") \
	X(delivery_not_dead, FAILED_PRECONDITION, 0, "only a dead webhook delivery is sent again") \
	X(delivery_not_found, NOT_FOUND, 0, "no such delivery of this webhook") \
	X(demo_only, FAILED_PRECONDITION, 0, "simulated deposits exist only with the demo provider") \
	X(deposit_already_reversed, ALREADY_EXISTS, 0, "the deposit was reversed already (by another entry)") \
	X(deposit_reversed, FAILED_PRECONDITION, 0, "the deposit was reversed: there is nothing to credit to a member") \
	X(dns_unavailable, UNAVAILABLE, 0, "the name of the webhook's host could not be resolved now") \
	X(dues_not_found, NOT_FOUND, 0, "the group has no such dues") \
	X(dues_period_order, INVALID_ARGUMENT, 0, "ends_on is before starts_on") \
	X(dues_too_many_periods, RESOURCE_EXHAUSTED, 0, "a standing would span more periods than one call computes") \
	X(duplicate_event_type, INVALID_ARGUMENT, 0, "an event type is given twice") \
	X(duplicate_migration_version, INVALID_ARGUMENT, 0, "two migrations share a number") \
	X(duplicate_reference, ALREADY_EXISTS, 0, "the provider knows the reference but lists no transfer") \
	X(email_already_verified, FAILED_PRECONDITION, 0, "your email address is verified already") \
	X(email_not_verified, FAILED_PRECONDITION, 0, "that user has not verified their email address yet") \
	X(email_taken, ALREADY_EXISTS, 0, "an account with this email exists") \
	X(empty_reply, INTERNAL, 0, "a server answered OK without a message") \
	X(entry_already_allocated, ALREADY_EXISTS, 0, "the deposit is credited to a member already (reallocate, with a reason, to change it)") \
	X(entry_not_found, NOT_FOUND, 0, "no such entry") \
	X(event_not_found, NOT_FOUND, 0, "after names no event of the group") \
	X(event_type_not_for_partners, INVALID_ARGUMENT, 0, "partners are not sent events of that type") \
	X(event_type_not_optional, INVALID_ARGUMENT, 0, "members do not choose events of that type") \
	X(expired, FAILED_PRECONDITION, 0, "the withdrawal expired before it was approved") \
	X(failed_precondition, FAILED_PRECONDITION, 0, "the default of FAILED_PRECONDITION") \
	X(fee_not_below_amount, INVALID_ARGUMENT, 0, "the fee must be below the amount") \
	X(foreign_key_violation, FAILED_PRECONDITION, 0, "a row names one that does not exist (SQLSTATE 23503)") \
	X(group_busy, UNAVAILABLE, 0, "the group's ledger is busy; nothing was posted, try again") \
	X(group_not_found, NOT_FOUND, 0, "no such group") \
	X(hash_failed, RESOURCE_EXHAUSTED, 0, "not enough memory to hash the secret") \
	X(hold_captured, FAILED_PRECONDITION, 0, "the hold was captured: its money left") \
	X(hold_closed, FAILED_PRECONDITION, 0, "the hold was released or expired") \
	X(hold_not_found, NOT_FOUND, 0, "no such hold") \
	X(hold_not_held, FAILED_PRECONDITION, 0, "no live hold of that group and amount to capture") \
	X(holder_not_officer, FAILED_PRECONDITION, 0, "the account holder must be an officer of the group (OWNER or TREASURER)") \
	X(idempotency_key_used, ALREADY_EXISTS, 0, "this Idempotency-Key was used for another request") \
	X(insufficient_funds, FAILED_PRECONDITION, 0, "the balance is below the amount") \
	X(insufficient_privilege, INTERNAL, 0, "a database role lacks a grant (SQLSTATE 42501)") \
	X(internal, INTERNAL, 500, "the default of INTERNAL (and every INTERNAL, UNKNOWN or DATA_LOSS over REST)") \
	X(invalid_account_number, INVALID_ARGUMENT, 0, "account_number is not 10 digits") \
	X(invalid_amount, INVALID_ARGUMENT, 0, "amount_kobo is not a positive amount within the limit") \
	X(invalid_argument, INVALID_ARGUMENT, 0, "the default of INVALID_ARGUMENT") \
	X(invalid_attempt, INVALID_ARGUMENT, 0, "attempt must be 1 to 100") \
	X(invalid_bank_code, INVALID_ARGUMENT, 0, "bank_code must be 3 to 6 digits") \
	X(invalid_batch, INVALID_ARGUMENT, 0, "PostEntries holds 1 to 64 entries") \
	X(invalid_beneficiary, INVALID_ARGUMENT, 0, "the beneficiary bank account is incomplete or malformed") \
	X(invalid_client_ref, INVALID_ARGUMENT, 0, "client_ref is 1 to 200 printable characters") \
	X(invalid_code, INVALID_ARGUMENT, 0, "code must be the 6 digits of the email") \
	X(invalid_credentials, UNAUTHENTICATED, 0, "email or password is wrong") \
	X(invalid_currency, INVALID_ARGUMENT, 0, "only NGN is supported") \
	X(invalid_cursor, INVALID_ARGUMENT, 0, "cursor must be a next_cursor of an earlier reply") \
	X(invalid_date, INVALID_ARGUMENT, 0, "a date is not a valid YYYY-MM-DD (field in the metadata)") \
	X(invalid_description, INVALID_ARGUMENT, 0, "description is too long or not text") \
	X(invalid_dues_amount, INVALID_ARGUMENT, 0, "a dues amount must be 1 to 25000000000 kobo") \
	X(invalid_dues_kind, INVALID_ARGUMENT, 0, "kind must be dues or levy") \
	X(invalid_email, INVALID_ARGUMENT, 0, "email is not a valid address") \
	X(invalid_fee, INVALID_ARGUMENT, 0, "fee_kobo is positive, and only on a CREDIT") \
	X(invalid_field, INVALID_ARGUMENT, 0, "a JSON field has the wrong type or value") \
	X(invalid_hold_reference, INVALID_ARGUMENT, 0, "hold_reference is at most 200 characters of text") \
	X(invalid_id, INVALID_ARGUMENT, 0, "an id is not a UUID (or is missing); metadata field names it") \
	X(invalid_id_number, INVALID_ARGUMENT, 0, "id_number has the wrong number of digits") \
	X(invalid_id_type, INVALID_ARGUMENT, 0, "id_type must be bvn or nin") \
	X(invalid_idempotency_key, INVALID_ARGUMENT, 0, "the Idempotency-Key is 1 to 100 of A-Z a-z 0-9 - _ . :") \
	X(invalid_json, INVALID_ARGUMENT, 0, "the body must be a JSON object") \
	X(invalid_name, INVALID_ARGUMENT, 0, "name is missing, too long or not text") \
	X(invalid_page_size, INVALID_ARGUMENT, 0, "page_size is out of range") \
	X(invalid_path_parameter, INVALID_ARGUMENT, 0, "a path parameter is malformed") \
	X(invalid_payer, INVALID_ARGUMENT, 0, "a payer (name, account number, bank) is malformed or not on a CREDIT") \
	X(invalid_payment_channel, INVALID_ARGUMENT, 0, "payment_channel is 1 to 32 printable characters") \
	X(invalid_period, INVALID_ARGUMENT, 0, "period must be once, weekly or monthly (a levy: once)") \
	X(invalid_phone, INVALID_ARGUMENT, 0, "phone must be a Nigerian mobile number, +234 and 10 digits (or 0 and 10 digits)") \
	X(invalid_pin, INVALID_ARGUMENT, 0, "a PIN must be 4 to 6 digits") \
	X(invalid_reason, INVALID_ARGUMENT, 0, "reason is missing, too long or not text") \
	X(invalid_recovery_token, PERMISSION_DENIED, 0, "the recovery token is not valid") \
	X(invalid_reference, INVALID_ARGUMENT, 0, "reference is required: 1 to 200 printable characters") \
	X(invalid_refresh_token, UNAUTHENTICATED, 0, "the refresh token is not valid") \
	X(invalid_request_id, INVALID_ARGUMENT, 0, "request_id (an idempotency key) is not 1 to 128 printable ASCII characters") \
	X(invalid_role, INVALID_ARGUMENT, 0, "role must be OWNER, TREASURER or MEMBER") \
	X(invalid_rule, INVALID_ARGUMENT, 0, "the group's approval rule is out of range") \
	X(invalid_service_token, UNAUTHENTICATED, 0, "the caller's service token is not valid here") \
	X(invalid_source, INVALID_ARGUMENT, 0, "source must be demo, provider_sandbox or payout") \
	X(invalid_status, INVALID_ARGUMENT, 0, "status is pending, delivered or dead") \
	X(invalid_tiers, INVALID_ARGUMENT, 0, "the approval tiers are malformed or too many") \
	X(invalid_time, INVALID_ARGUMENT, 0, "from and to must be RFC 3339 times") \
	X(invalid_token, UNAUTHENTICATED, 0, "access token is invalid") \
	X(invalid_type, INVALID_ARGUMENT, 0, "type must be CREDIT or DEBIT") \
	X(invalid_url, INVALID_ARGUMENT, 0, "the url is not valid") \
	X(invalid_value, INVALID_ARGUMENT, 0, "a value the database refuses (SQLSTATE class 22)") \
	X(kyc_already_verified, FAILED_PRECONDITION, 0, "this account is verified with another number") \
	X(kyc_check_not_found, NOT_FOUND, 0, "the provider has no such identity check") \
	X(kyc_failed, FAILED_PRECONDITION, 0, "the officer's identity check failed") \
	X(kyc_id_in_use, ALREADY_EXISTS, 0, "this id number is verified for another account") \
	X(kyc_name_mismatch, FAILED_PRECONDITION, 0, "the provider holds this number under another name") \
	X(kyc_pending, FAILED_PRECONDITION, 0, "the officer's identity check is pending") \
	X(kyc_refused_by_provider, INVALID_ARGUMENT, 0, "the provider refused the identity check") \
	X(kyc_rejected, FAILED_PRECONDITION, 0, "the provider did not verify this number") \
	X(kyc_required, FAILED_PRECONDITION, 0, "no verified BVN or NIN: the officer's, for a live account; the caller's, for a payer account the provider names the holder of") \
	X(kyc_resubmit, FAILED_PRECONDITION, 0, "the officer's number was erased; submit it again") \
	X(kyc_type_unsupported, FAILED_PRECONDITION, 0, "the provider cannot check this id type") \
	X(kyc_unavailable, FAILED_PRECONDITION, 0, "identity checks are not configured (KOLO_PII_KEY)") \
	X(kyc_unsupported, FAILED_PRECONDITION, 0, "the provider cannot check identities") \
	X(last_owner, FAILED_PRECONDITION, 0, "the group's last OWNER cannot leave or be demoted") \
	X(lock_not_available, UNAVAILABLE, 0, "a row lock was not available (SQLSTATE 55P03)") \
	X(mail_dir, UNAVAILABLE, 0, "the mail folder cannot be written") \
	X(mail_not_configured, FAILED_PRECONDITION, 0, "production without KOLO_SMTP_URL") \
	X(malformed_message, INVALID_ARGUMENT, 0, "the request message cannot be read") \
	X(malformed_reply, INTERNAL, 0, "the reply cannot be read") \
	X(member_not_found, NOT_FOUND, 0, "the user is not a member of the group (FAILED_PRECONDITION: no longer, when a proposal applies)") \
	X(method_not_allowed, UNIMPLEMENTED, 405, "this route does not take that method") \
	X(migration_changed, FAILED_PRECONDITION, 0, "an applied migration file was changed") \
	X(migration_failed, INVALID_ARGUMENT, 0, "a migration failed (the code of its SQLSTATE)") \
	X(migration_has_transaction, INVALID_ARGUMENT, 0, "a migration must not contain BEGIN, COMMIT or ROLLBACK") \
	X(migration_missing, FAILED_PRECONDITION, 0, "an applied migration has no file") \
	X(migration_out_of_order, FAILED_PRECONDITION, 0, "a pending migration is older than an applied one") \
	X(migration_renamed, FAILED_PRECONDITION, 0, "an applied migration file was renamed") \
	X(migration_too_large, INVALID_ARGUMENT, 0, "a migration file is too large") \
	X(migration_unreadable, INVALID_ARGUMENT, 0, "a migration file cannot be read") \
	X(migrations_dir_unreadable, INVALID_ARGUMENT, 0, "the migrations folder cannot be opened") \
	X(missing_field, INVALID_ARGUMENT, 0, "a required JSON field is absent") \
	X(missing_key, INVALID_ARGUMENT, 0, "entry_id or reference is required") \
	X(missing_message, INVALID_ARGUMENT, 0, "the call carried no request message") \
	X(missing_password, INVALID_ARGUMENT, 0, "password is required") \
	X(missing_pin, INVALID_ARGUMENT, 0, "pin is required") \
	X(missing_recovery_token, INVALID_ARGUMENT, 0, "recovery_token is required") \
	X(missing_refresh_token, INVALID_ARGUMENT, 0, "refresh_token is required") \
	X(missing_token, UNAUTHENTICATED, 0, "an access token is required") \
	X(negative_amount, INVALID_ARGUMENT, 0, "amount is negative") \
	X(no_account, FAILED_PRECONDITION, 0, "the group has no account to pay from") \
	X(no_caller_rule, NOT_FOUND, 0, "an internal method has no row in the caller table") \
	X(no_code, FAILED_PRECONDITION, 0, "no verification code is waiting: ask for one") \
	X(no_event_types, INVALID_ARGUMENT, 0, "choose at least one event type") \
	X(no_such_charge, NOT_FOUND, 0, "the provider has no such deposit") \
	X(no_such_field, NOT_FOUND, 0, "the JSON has no such field") \
	X(not_a_deposit, FAILED_PRECONDITION, 0, "the entry is not a deposit: a debit, or a payout's reversal") \
	X(not_a_due_day, INVALID_ARGUMENT, 0, "the dues does not fall on that day") \
	X(not_a_member, PERMISSION_DENIED, 0, "the caller is not a member of the group") \
	X(not_a_number, INVALID_ARGUMENT, 0, "the value is not a number") \
	X(not_a_voter, PERMISSION_DENIED, 0, "the caller may not vote on this proposal") \
	X(not_found, NOT_FOUND, 404, "the default of NOT_FOUND: no such route or public page") \
	X(not_null_violation, INVALID_ARGUMENT, 0, "a required column is null (SQLSTATE 23502)") \
	X(not_pending, FAILED_PRECONDITION, 0, "the withdrawal is no longer PENDING") \
	X(not_whole_kobo, INVALID_ARGUMENT, 0, "amount is not a whole number of kobo") \
	X(not_your_pin, PERMISSION_DENIED, 0, "you may verify only your own PIN") \
	X(nothing_to_retry, FAILED_PRECONDITION, 0, "only a withdrawal whose payout failed is retried") \
	X(officer_only, PERMISSION_DENIED, 0, "only an officer (OWNER or TREASURER) may do this") \
	X(one_change_at_a_time, INVALID_ARGUMENT, 0, "change the rule, the approval tiers and the account holder in separate requests") \
	X(origin_not_allowed, PERMISSION_DENIED, 403, "a browser preflight from an origin not in KOLO_CORS_ORIGINS") \
	X(out_of_range, OUT_OF_RANGE, 0, "the default of OUT_OF_RANGE") \
	X(owner_only, PERMISSION_DENIED, 0, "only an OWNER of the group may do this") \
	X(payer_account_in_use, ALREADY_EXISTS, 0, "another member of a group you are in already pays from this account") \
	X(payer_account_not_found, NOT_FOUND, 0, "no such payer account of yours") \
	X(payer_match_unavailable, UNAVAILABLE, 0, "groups could not say who paid a deposit: it is credited later (the webhook is retried)") \
	X(payer_name_mismatch, FAILED_PRECONDITION, 0, "the bank names this account's holder other than you") \
	X(payout_conflict, ALREADY_EXISTS, 0, "this withdrawal attempt already has a different payout") \
	X(payout_in_progress, FAILED_PRECONDITION, 0, "an earlier payout of this withdrawal is not finished") \
	X(payout_not_found, NOT_FOUND, 0, "no such payout") \
	X(peer_contract, UNIMPLEMENTED, 0, "a peer service's proto lacks what kolo-events needs") \
	X(permission_denied, PERMISSION_DENIED, 0, "the default of PERMISSION_DENIED") \
	X(pii_corrupt, INTERNAL, 0, "a sealed number does not open") \
	X(pii_key_unknown, FAILED_PRECONDITION, 0, "a number is sealed under a key not configured") \
	X(pin_already_set, ALREADY_EXISTS, 0, "a PIN is already set: change or reset it") \
	X(pin_incorrect, PERMISSION_DENIED, 0, "wrong PIN; metadata attempts_left") \
	X(pin_locked, FAILED_PRECONDITION, 0, "the PIN is locked after too many wrong attempts; retry_after_s") \
	X(pin_not_set, FAILED_PRECONDITION, 0, "no transaction PIN is set") \
	X(proposal_not_found, NOT_FOUND, 0, "no such proposal") \
	X(proposal_not_pending, FAILED_PRECONDITION, 0, "the proposal is no longer pending (ABORTED: it moved while this call ran)") \
	X(proposer_cannot_object, PERMISSION_DENIED, 0, "the proposer cancels rather than objects") \
	X(proposer_only, PERMISSION_DENIED, 0, "only the proposer cancels a proposal") \
	X(provider_auth, UNAVAILABLE, 0, "the provider refused our credentials") \
	X(provider_bad_reply, INTERNAL, 0, "the provider sent an unreadable reply") \
	X(provider_config, INTERNAL, 0, "the provider's base url is unusable") \
	X(provider_http, INTERNAL, 0, "the HTTP client failed before the provider answered") \
	X(provider_inconsistent, UNAVAILABLE, 0, "the provider does not return a transfer it made") \
	X(provider_mismatch, FAILED_PRECONDITION, 0, "the group's account is with another provider") \
	X(provider_not_found, NOT_FOUND, 0, "the provider does not know the thing asked for") \
	X(provider_outcome_unknown, UNAVAILABLE, 0, "the provider may or may not have acted: it is asked again later") \
	X(provider_refused, INVALID_ARGUMENT, 0, "the provider refused the request") \
	X(provider_reply_too_large, INTERNAL, 0, "the provider's reply is too large") \
	X(provider_timeout, DEADLINE_EXCEEDED, 0, "the provider did not answer in time") \
	X(provider_unavailable, UNAVAILABLE, 0, "the provider gave no answer") \
	X(rate_limited, RESOURCE_EXHAUSTED, 429, "too many requests: retry_after_s (Retry-After over REST)") \
	X(reason_required, INVALID_ARGUMENT, 0, "a reallocation or a deposit's reversal needs a reason") \
	X(reference_conflict, ALREADY_EXISTS, 0, "the reference is taken by a different entry") \
	X(reflection_unavailable, UNAVAILABLE, 0, "this server has no descriptors to offer for reflection") \
	X(refresh_token_expired, UNAUTHENTICATED, 0, "the refresh token has expired: log in again") \
	X(refresh_token_reused, UNAUTHENTICATED, 0, "the refresh token was used before: every session is signed out") \
	X(refresh_token_rotated, UNAUTHENTICATED, 0, "the refresh token was just used") \
	X(refresh_token_unknown, NOT_FOUND, 0, "no such refresh token") \
	X(replica_not_configured, UNAVAILABLE, 0, "no read replica is set (internal: the read goes to the primary)") \
	X(replica_not_ready, UNAVAILABLE, 0, "the read replica cannot tell how fresh it is yet (internal: the read goes to the primary)") \
	X(replica_unavailable, UNAVAILABLE, 0, "the read replica failed moments ago (internal: reads go to the primary for 5 s)") \
	X(reply_too_large, RESOURCE_EXHAUSTED, 0, "the reply is larger than … bytes") \
	X(request_id_reused, ALREADY_EXISTS, 0, "request_id was used with a different request") \
	X(request_too_large, INVALID_ARGUMENT, 0, "a message of a client stream is over its size bound") \
	X(resource_exhausted, RESOURCE_EXHAUSTED, 0, "the default of RESOURCE_EXHAUSTED (a call out of memory)") \
	X(reversal_amount_mismatch, FAILED_PRECONDITION, 0, "a deposit's reversal takes back its whole amount") \
	X(revocations_full, RESOURCE_EXHAUSTED, 0, "too many ended sessions to remember") \
	X(role_changed, FAILED_PRECONDITION, 0, "the member's role changed since the proposal") \
	X(rule_unsatisfiable, FAILED_PRECONDITION, 0, "the rule needs more approvals than the group has officers") \
	X(same_member, FAILED_PRECONDITION, 0, "the deposit is credited to that member already") \
	X(secret_unreadable, INTERNAL, 0, "a sealed secret is malformed") \
	X(self_allocation, PERMISSION_DENIED, 0, "an officer may not credit a deposit to themselves: another officer must") \
	X(serialization_failure, ABORTED, 0, "transaction aborted by a conflict") \
	X(service_token_required, UNAUTHENTICATED, 0, "this method is internal") \
	X(service_unavailable, UNAVAILABLE, 0, "the gateway cannot reach the route's service now: try again after Retry-After") \
	X(session_not_found, NOT_FOUND, 0, "no such live session of yours") \
	X(session_required, UNAUTHENTICATED, 0, "this act needs the token of a signed-in session") \
	X(session_revoked, UNAUTHENTICATED, 0, "this session has ended: sign in again") \
	X(sessions_unknown, UNAVAILABLE, 0, "cannot tell whether this session is still live: try again shortly") \
	X(shutting_down, UNAVAILABLE, 0, "the server is stopping") \
	X(sms, UNAVAILABLE, 0, "the SMS API did not answer") \
	X(sms_not_configured, FAILED_PRECONDITION, 0, "production without KOLO_SMS_URL or KOLO_SMS_OFF") \
	X(smtp, UNAVAILABLE, 0, "the SMTP server did not take the mail") \
	X(sodium_init_failed, INTERNAL, 0, "libsodium failed to initialise") \
	X(statement_timeout, DEADLINE_EXCEEDED, 0, "a database statement timed out (SQLSTATE 57014)") \
	X(stream_cancelled, CANCELLED, 0, "the client went away") \
	X(stream_idle, DEADLINE_EXCEEDED, 0, "a client stream sent no request for too long") \
	X(subject_cannot_vote, PERMISSION_DENIED, 0, "the member a proposal changes neither approves nor objects to it") \
	X(token_expired, UNAUTHENTICATED, 0, "access token has expired") \
	X(too_large, RESOURCE_EXHAUSTED, 0, "the call needs too much memory") \
	X(too_many_event_types, INVALID_ARGUMENT, 0, "too many event types") \
	X(too_many_ids, INVALID_ARGUMENT, 0, "too many event ids at once") \
	X(too_many_migrations, INVALID_ARGUMENT, 0, "too many migration files") \
	X(too_many_payer_accounts, FAILED_PRECONDITION, 0, "a user has 10 live payer accounts at most: remove one first") \
	X(too_many_requests, RESOURCE_EXHAUSTED, 0, "a reflection stream took more requests than it allows") \
	X(too_many_streams, RESOURCE_EXHAUSTED, 0, "the server has too many streams open") \
	X(too_many_user_ids, INVALID_ARGUMENT, 0, "too many user_ids in one call") \
	X(too_many_webhooks, RESOURCE_EXHAUSTED, 0, "the group has too many webhooks") \
	X(transaction_aborted, INTERNAL, 0, "transaction failed but its body returned success") \
	X(transfer_not_found, NOT_FOUND, 0, "the provider has no such transfer") \
	X(unauthenticated, UNAUTHENTICATED, 0, "the default of UNAUTHENTICATED") \
	X(unavailable, UNAVAILABLE, 0, "the default of UNAVAILABLE: try again") \
	X(unimplemented, UNIMPLEMENTED, 0, "no such method") \
	X(unique_violation, ALREADY_EXISTS, 0, "a unique value is taken (SQLSTATE 23505)") \
	X(unknown, UNKNOWN, 0, "the default of UNKNOWN") \
	X(unknown_account, FAILED_PRECONDITION, 0, "the group has no such account") \
	X(unknown_event_type, INVALID_ARGUMENT, 0, "no event type has that name") \
	X(unknown_group, FAILED_PRECONDITION, 0, "no such group") \
	X(unknown_kind, INVALID_ARGUMENT, 0, "not a kind of proposal") \
	X(unknown_service, NOT_FOUND, 0, "health knows no such service") \
	X(unsupported_auth_scheme, UNAUTHENTICATED, 0, "the Authorization scheme is not Bearer") \
	X(url_not_https, INVALID_ARGUMENT, 0, "a webhook url must be https") \
	X(url_not_public, INVALID_ARGUMENT, 0, "the webhook's host has an address that is not public") \
	X(url_unresolvable, INVALID_ARGUMENT, 0, "the webhook's host has no address") \
	X(user_not_found, NOT_FOUND, 0, "no such user") \
	X(weak_password, INVALID_ARGUMENT, 0, "the password is too short or too long") \
	X(webhook_http, INTERNAL, 0, "the HTTP client failed before the receiver answered") \
	X(webhook_not_found, NOT_FOUND, 0, "no such webhook in this group") \
	X(webhooks_unavailable, FAILED_PRECONDITION, 0, "partner webhooks are not configured on this server") \
	X(withdrawal_not_found, NOT_FOUND, 0, "no such withdrawal")

/* Reasons also sent with a second code (kept: clients and retries depend
 * on them): X(reason, the other code). */
#define ERR_REASONS_ALSO(X) \
	X(already_approved, ALREADY_EXISTS) \
	X(bad_config, INTERNAL) \
	X(bad_event_data, INVALID_ARGUMENT) \
	X(member_not_found, FAILED_PRECONDITION) \
	X(not_a_member, FAILED_PRECONDITION) \
	X(proposal_not_pending, ABORTED)

/* clang-format on */

#endif
