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
// # What it enforces (profile "admin")
//
// The real CXone Admin API's DNC groups, in the shapes of the published spec
// (the client generated from it: calljacob/nice-cxone-api
// src/services/admin/AdminListsService.ts and src/services/auth/*). A tenant
// has three hosts, and so does the simulator (ListenHosts, StartHosts):
// the access-key login on a regional host (LoginHandler), discovery, the
// OpenID configuration and the registered application's token endpoint on the
// global host (DiscoveryHandler), and the API on the tenant's API host
// (ServeHTTP, which also serves the v2 profile and /sim/). A route called on
// another host is a 404, counted under KindUnmatched. Like v2's token
// endpoint, login and discovery are neither rate limited nor subject to
// faults. Tokens live TokenTTL.
//
//   - Login host: POST /authentication/v1/token/access-key {"accessKeyId",
//     "accessKeySecret"} (JSON, keys spelt exactly) answers {"access_token",
//     "token_type":"Bearer","expires_in","id_token","refresh_token"}; a wrong
//     key is 401 invalid_grant. Both tokens are JWTs whose signature is
//     random bytes; tenantId is a claim of the id_token only (lenient: of the
//     access token too), whose issuer (iss) is the global host.
//   - Global host: GET /.well-known/openid-configuration names the
//     token_endpoint, {global}/auth/token: a password grant (form
//     grant_type=password, username=<accessKeyId>, password=<accessKeySecret>)
//     with the registered application authenticated as it is registered
//     (Config.AppAuthMethod): HTTP Basic, or client_id and client_secret in the
//     form. A wrong application (or method) is 401 invalid_client, a wrong key
//     401 invalid_grant. Same answer as the access-key login.
//   - Global host: GET /.well-known/cxone-configuration?tenantId=.. answers
//     {"private","ui_endpoint","auth_endpoint","api_endpoint","area",
//     "cluster","domain","uhDomain","tenantId"}: api_endpoint is the API host
//     (or Config.APIEndpoint), auth_endpoint the login host. Unknown tenant 404.
//
// API calls are {api}/inContactAPI/services/{version}/..., version like
// "v30.0" (^v[0-9]+\.[0-9]+$, else 404), with an admin bearer token (v2
// tokens are 401 here, and admin tokens on v2) and an Accept header that
// allows application/json (else 406; no Accept at all is refused too).
// Refusals carry their reason in the icStatusDescription header with an empty
// body, as CXone often does (lenient: an {"error"} body as well).
//
//   - POST .../dnc-groups/{groupId}/records {"dncGroupRecords":[{"phoneNumber",
//     "expiredDate"}]} adds 1..AdminMaxBatch records (else 400; unknown group
//     404, unknown keys 400, body not application/json 415). phoneNumber is a
//     JSON number, as the spec types it in POST; a string refuses the request
//     (400; lenient: either). Each record succeeds or fails on its own; the
//     answer is always 200 {"resultSet":{"errorCount":N,"recordResults":
//     [{"success","formattedPhone","error"}]}} in request order, without
//     phoneNumber (lenient: with it). Only the valid records are applied; one
//     already listed is a success that replaces its expiredDate (absent or
//     null: none). expiredDate is MM/DD/YYYY, the form NICE's own API tests send
//     (taken as the start of that day, UTC; lenient: RFC 3339 too). Failures:
//     "Invalid phone number", "Invalid expiredDate".
//   - DELETE on the same path with the same body, phoneNumber a JSON string as
//     the spec types it there (lenient: either), removes the records and
//     answers 200 {"errorCount":N,"recordResults":[...]}, not wrapped in
//     resultSet; a number that is not listed is a success.
//   - GET on the same path ?skip=0&top=100&orderBy=phoneNumber%20asc (top
//     1..100, default 100; skip default 0; orderBy "field [asc|desc]" over
//     phoneNumber, dateCollected, lastUpdateTime or expiredDate, default and
//     tie-break the number; fields ignored) answers {"resultSet":{"dncRecords":
//     [{"phoneNumber","formattedPhone","dateCollected","expiredDate",
//     "lastUpdateTime"}]}}: every field optional in the spec, so no
//     totalRecords, and a page without records is a 204 (lenient:
//     totalRecords, and an empty page is 200 with []). Times are RFC 3339 UTC;
//     an expiredDate never given is null. SetExpiredDateLayout writes
//     expiredDate in another layout (here and in search), such as a tenant's
//     US locale gives ("1/2/2006 3:04:05 PM").
//   - POST .../dnc-groups/search?phoneNumber=<digits> answers
//     {"searchResults":[{"dncGroupId","dncGroupName","dncGroupDescription",
//     "formattedPhone","expiredDate","dateCollected","lastUpdateTime"}]}, a 204
//     if no group holds the number (lenient: an empty list, and results with
//     phoneNumber), 400 if invalid. dncGroupId is a JSON number when the ID is
//     numeric (the default 1001).
//   - GET .../dnc-groups/{groupId} answers {"resultSet":{"dncGroups":
//     [{"dncGroupId","dncGroupName","dncGroupDescription","validRecords",
//     "isActive","isRemoved","createDate","lastUpdateTime"}]}}.
//   - GET .../dnc-groups/{groupId}/scrubbed-skills and .../contributing-skills
//     answer {"scrubbedSkills":[{"skillId","skillName"}]} (resp.
//     contributingSkills), a 204 when there are none (lenient: totalRecords
//     and an empty list). A default group is scrubbed against one skill;
//     SetGroupSkills and SetGroupActive change the group.
//
// Numbers travel as digits: NANP as its 10 national digits ("4155552671"),
// others as E.164 digits without "+" ("442071234567"). The simulator stores
// E.164: 10 digits -> "+1"+digits, otherwise "+"+digits. Anything but 7..15
// digits is invalid, and so are digits starting with 0, or with 1 unless
// exactly 10 long (a NANP number sent with its country code).
// formattedPhone is "(415) 555-2671" for NANP, "+<digits>" otherwise.
// expiredDate is recorded (Entry.ExpiresAt) but never takes a number off
// the list by itself.
//
// Lenient mode (Config.Lenient) is for the points where public sources
// disagree with the spec or each other; every shape it adds is listed above.
//
// # Both profiles
//
// There is one list: the v2 profile's Config.ListID and the admin profile's
// Config.DNCGroupID are two names for it. A number added through either API
// is seen by both, and List, Entry, Seed, Delete, OnChange and /sim/ work
// for both.
//
// Rate limit: one token bucket per organization covers every API call except
// the token, login and discovery endpoints: RatePerMinute sustained, Burst
// capacity. The organization is the client ID for v2 tokens and the tenant
// ID for admin tokens. An empty bucket answers 429 until a call is available
// again; v2 429s carry Retry-After in whole seconds (rounded up), admin 429s
// never carry Retry-After.
//
// # Faults
//
// Faults (SetFaults, or POST /sim/faults) are per-call probabilities rolled
// with a seeded generator for API calls of both profiles: injected 429
// (with a configurable Retry-After on v2, none on admin),
// 500/502/503 before applying, a 502 with an HTML body, a slow answer, a
// response lost after the request was applied (connection closed), and
// tokens expiring early. RevokeTokens invalidates every token at once.
// SetRefuse makes the tenant refuse chosen valid numbers, as it might for a
// request shape it no longer takes: a v2 add, upsert or remove carrying one
// is a 400 for the whole request, an admin record of one fails on its own
// ("Invalid phone number").
//
// # Inspection
//
// List (alias GroupList), Has, Entry, Entries, Subscriptions and Stats
// expose the state;
// OnChange reports every list change; Seed, Delete and SetExpiry change the
// list behind the client's back. For tests that drive a separate process the same is
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
//	GET  /sim/group          the same as /sim/list
//	POST /sim/group/seed     the same as /sim/seed
//	POST /sim/group/delete   the same as /sim/delete
//
// Faults travel as {"rateLimit429":0.1,"retryAfter":"2","slowDelay":"250ms",
// ...}; slowDelay is a Go duration string or a number of milliseconds.
//
// # Extending
//
// The list store (store.go), tokens (auth.go), bucket (ratelimit.go), faults
// (faults.go) and the shared request pipeline (pipeline.go) know nothing of
// the profiles' routes (v2*.go, admin*.go); a profile registers its routes
// through Server.api with its apiProfile and reuses all of them.
package cxonesim
