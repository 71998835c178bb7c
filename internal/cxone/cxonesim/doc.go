// Package cxonesim is a strict, in-process fake of the NICE CXone APIs that
// dncsync calls, used by tests (with fault injection) and by `dncsync demo`.
// It is a fake of the vendor, not of our client, and imports nothing else
// from this repository.
//
// # What it enforces (profile "v2")
//
// Token: POST /api/v2/oauth/token with an application/x-www-form-urlencoded
// body grant_type=client_credentials&client_id=..&client_secret=.. answers
// {"access_token","token_type":"bearer","expires_in"}. Other grant types are
// 400 unsupported_grant_type, a wrong Content-Type 400 invalid_request, bad
// credentials 401 invalid_client. Credentials in the query string are ignored.
//
// Every other API call needs "Authorization: Bearer <token>" with a live
// token (else 401 invalid_token), and "X-CXone-Version: 2023-10-01" (else
// 400). Bodies must be Content-Type application/json (else 415) and use the
// contract's field names spelt exactly: unknown or differently-cased keys are
// 400, because encoding/json would otherwise accept them silently.
//
//   - POST /api/v2/outbound/dnc-lists/{listId}/contacts adds 1..MaxBatch
//     contacts {"phoneNumber","reason","source"}. Unknown list 404; empty,
//     oversized, non-E.164 (^\+[1-9][0-9]{6,14}$) or duplicated numbers 400.
//     If any number is already listed the answer is 409
//     {"conflicts":[{"contactId":number,"message":"already exists"}]} and
//     nothing is applied; otherwise all are added: 201 {"count":N}.
//   - PUT .../contacts/{phoneNumber} with {"phoneNumber","reason"} (equal to
//     the path number) creates or updates: 200 {"count":1}.
//   - DELETE .../contacts/{phoneNumber} removes: 204, or 404 if absent.
//   - POST /api/v2/event-subscriptions {"name","eventTypes","callbackUrl",
//     "enabled","retryPolicy"} needs a name, non-empty eventTypes and an
//     absolute http(s) callbackUrl: 201 {"id":"sub-0001"}.
//
// Numbers in paths may be sent raw ("+1415...") or escaped ("%2B1415...").
//
// Rate limit: one token bucket per organization (client ID) covers every API
// call except the token endpoint: RatePerMinute sustained, Burst capacity.
// An empty bucket answers 429 with Retry-After in whole seconds (rounded up)
// until a call is available again.
//
// # Faults
//
// Faults (SetFaults, or POST /sim/faults) are per-call probabilities rolled
// with a seeded generator: injected 429 (with a configurable Retry-After),
// 500/502/503 before applying, a 502 with an HTML body, a slow answer, a
// response lost after the request was applied (connection closed), and
// tokens expiring early. RevokeTokens invalidates every token at once.
//
// # Inspection
//
// List, Has, Entry, Entries, Subscriptions and Stats expose the state;
// OnChange reports every list change; Seed and Delete change the list behind
// the client's back. For tests that drive a separate process the same is
// available over HTTP, without token, rate limit, faults or counting:
//
//	GET  /sim/list           {"numbers":["+1...", ...]}
//	GET  /sim/entries        {"entries":[Entry, ...]}
//	GET  /sim/stats          Stats
//	GET  /sim/subscriptions  {"subscriptions":[Subscription, ...]}
//	GET  /sim/faults         Faults
//	POST /sim/faults         Faults; replaces all, omitted keys are 0 -> 204
//	POST /sim/seed           {"numbers":[...]}, E.164 only            -> 204
//	POST /sim/delete         {"numbers":[...]}                        -> 204
//	POST /sim/revoke-tokens                                           -> 204
//
// Faults travel as {"rateLimit429":0.1,"retryAfter":"2","slowDelay":"250ms",
// ...}; slowDelay is a Go duration string or a number of milliseconds.
//
// # Extending
//
// The list store (store.go), tokens (auth.go), bucket (ratelimit.go), faults
// (faults.go) and the shared request pipeline (pipeline.go) know nothing of
// the v2 routes (v2*.go); another profile registers its own routes through
// Server.api and reuses all of them.
package cxonesim
