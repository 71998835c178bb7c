// Package genesyssim is a strict, in-process fake of the Genesys Cloud endpoints dncsync calls,
// for tests (with fault injection) and demos. It fakes the vendor, not our client, and imports
// nothing of this repository but the shared fault model (simfault).
//
// A region has two hosts (login.{domain} and api.{domain}), and so does the simulator
// (ListenHosts, StartHosts): LoginHandler serves the login host, ServeHTTP the API host. A route
// called on the other host is a 404, counted under KindUnmatched. Wire shapes follow the public
// SDKs; where a source is cited, the code beside it names it.
//
// # Login host
//
// POST /oauth/token with the OAuth client in HTTP Basic and the form grant_type=client_credentials
// (body application/x-www-form-urlencoded, else 400 invalid_request) answers
// {"access_token","token_type":"bearer","expires_in"}. A wrong client or secret, or credentials
// in the form instead of Basic, is 401 invalid_client; another grant 400 unsupported_grant_type.
// Errors are {"error","description","error_description"}. Tokens live TokenTTL (24 h). The login
// host is neither rate limited nor subject to faults.
//
// # API host
//
// Every API call needs "Authorization: Bearer <token>" with a live token (else 401
// bad.credentials), and is subject to the rate limit and faults. Errors are the API's ErrorBody,
// {"message","code","status","contextId","details","errors"}, and every answer carries an
// inin-correlation-id header.
//
//   - PATCH /api/v2/outbound/dnclists/{id}/phonenumbers {"action":"Add"|"Remove",
//     "phoneNumbers":[...],"expirationDateTime"?} (application/json, else 415; valid JSON, else
//     400 bad.request; keys spelt exactly, else 400 invalid.property) answers 204. Checked in
//     order: action (400 invalid.value), 1..MaxBatch numbers (400 constraint.validation), each
//     E.164 ^\+[1-9][0-9]{6,14}$ and not refused (Config.Refuse, SetRefuse; 400 invalid.value, quoting the
//     number as the vendor's messages do), expirationDateTime only with Add (400 bad.request), in
//     the form yyyy-MM-ddTHH:mmZ (400 invalid.date) and at most MaxExpiry (180 days) ahead (400
//     invalid.date.value); then the list: unknown 404 not.found, not internal (dncSourceType rds)
//     or for e-mail 400 dnc.source.operation.not.supported (a WhatsApp list takes them, and they
//     block no call), full (MaxListSize) 400
//     dnc.phone.numbers.per.list.limit.exceeded. Add puts every number on the list; a number
//     already there has its expiry replaced (none when the request has none), which is how the
//     terraform provider finds the API behaving. Remove takes them off; a number not there is no
//     error. A request is applied whole or not at all.
//   - GET /api/v2/outbound/campaigns?pageSize=&pageNumber=&dncListIds= (pageSize 1..100, default
//     25, pageNumber from 1, else 400 invalid.query.param.value; other filters ignored) answers
//     the CampaignEntityListing {"entities":[{"id","name","campaignStatus","dialingMode",
//     "dncLists":[{"id","name","selfUri"}],"selfUri"}],"pageSize","pageNumber","total",
//     "pageCount","firstUri","selfUri","lastUri","nextUri"?}, campaigns sorted by name, only those
//     whose dncLists include dncListIds when given. The organization has one campaign, on, that
//     checks the default list; SetCampaigns replaces them (none: no list blocks a call).
//   - GET /api/v2/outbound/dnclists/{id}?includeSize=&includeImportStatus= (booleans, else 400
//     invalid.query.param.value) answers the Dnclist {"id","name","dateCreated","dateModified",
//     "version","dncSourceType","contactMethod","division","selfUri"}, with "size" (entries,
//     expired ones too) and "importStatus" only when asked.
//   - POST /api/v2/outbound/dnclists/{id}/export starts an export of the list as it is now and
//     answers 200 {"id","name","selfUri"}. GET on the same path answers the latest export ready,
//     {"uri","exportTimestamp"}, or 404 when none is; a new export becomes ready after
//     ExportPolls GETs (meanwhile the previous one is answered).
//   - GET /api/v2/downloads/{id} answers 303 to a signed link on the API host (/sim/files/{id}
//     ?sig=, no token needed, no rate limit, no faults, a wrong signature 403), or {"url"} with
//     issueRedirect=false. The file is CSV with a header row and one row per entry, expired ones
//     included, sorted: phone_number (E.164, or digits without "+" with ExportDigits),
//     contact_method, expiration_date_time (yyyy-MM-ddTHH:mmZ, empty for none). The header names
//     are the simulator's own (Genesys Cloud publishes none); the column order is the one the
//     terraform provider reads.
//
// # Rate limit and faults
//
// One token bucket per OAuth client covers every API call (signed links excluded): RatePerMinute
// (300) sustained, Burst capacity. An empty bucket answers 429 too.many.requests with Retry-After
// in whole seconds, rounded up. Faults (SetFaults, POST /sim/faults) are the simfault model:
// injected 429 (with or without Retry-After), 500/502/503 before applying, a 502 HTML page, a slow
// answer, an answer lost after the request was applied, and tokens expiring early; RevokeTokens
// invalidates every token.
//
// # Inspection
//
// List, Has, Entry, Entries, ListEntries and Stats expose the state; Seed, SeedEntries, Delete
// and AddList change it behind the client's back. /sim/ serves the same over HTTP (see
// routeInspect).
package genesyssim
