// Package sandbox emulates the smallcase Gateway on a loopback address: the
// partner API, a web script with the web SDK's surface, leprechaun (test)
// brokers with demo portfolios, failure scenarios, postbacks and an OpenAPI
// description. gatewalk runs it in-process by default; `gatewalk sandbox`
// serves it in the foreground for a partner's own tests.
//
// # Identity
//
// The default gateway is gatewaydemo, with secret and apiSecret both
// gatewayDemo_secret: the public demo gateway's, so the documented sample
// tokens work. Config overrides each.
//
// # Partner API
//
//	POST /gateway/{gw}/transaction                     create a transaction (TRX_ + 32 hex, lives Config.TxnTTL)
//	GET  /v1/{gw}/engine/user/holdings                 ?version=v2 &mfHoldings=true; connected token only
//	GET  /v1/{gw}/engine/orders/sst?transactionId=     order batches of a TRANSACTION; connected token only
//
// Headers x-gateway-secret (apiSecret) and x-gateway-authtoken (HS256 JWT
// signed with secret). Every answer is the envelope {success, errors,
// errorType, data}. Checks run in this order, each with its status:
//
//	unknown gateway name            404  "invalid gateway"            errorType invalid_gateway
//	missing/wrong x-gateway-secret  401  "Invalid x-gateway-secret"   invalid_secret
//	missing/bad/expired JWT         401  "Invalid JWT" + the reason   invalid_jwt
//	guest token on a connected call 403  gateway.ErrStrGuestToken     guest_token
//	body not JSON, empty            400  "request body is ..."        bad_request
//	unknown intent                  400  "intent: unknown intent ..." unknown_intent
//	invalid request                 400  "FIELD: problem"             validation_error (gateway.TransactionRequest.Validate)
//	body over 64 KiB                413                               payload_too_large
//	unknown transaction / user      404                               not_found / user_not_found
//	transaction expired unrun       410  "... expired ..."            transaction_expired
//	wrong method                    405                               method_not_allowed
//
// # Transactions
//
// INITIALIZED on creation, USED once the web script opens it (or a driver
// call starts it), then COMPLETED, ERRORED or CANCELLED; EXPIRED past
// expireAt when it never finished. error is {value, code, message}. A
// transaction runs once: the web script answers a second run with
// invalid_transactionId (no numeric code, as on web), the driver with 409.
//
// # Users and brokers
//
// Brokers lists the leprechaun brokers, each with test accounts LEP001..3.
// A broker account's smallcaseAuthId is AuthID(gateway, broker, account):
// the same account always yields the same id, across runs. A transaction
// created with a connected token and completed by another account fails with
// user_mismatch (1001), whatever its intent. Each account starts with a
// deterministic demo portfolio (real NSE/BSE names and ISINs, illustrative
// prices, one or two of the equities held on BSE and the rest on NSE, one to
// three mutual funds) and 2 to 10 lakh rupees of funds.
//
// # Scenarios (gateway.Scenarios)
//
//	success             orders complete; the SDK resolves
//	partial_fill        every other order fills in part (PARTIAL); resolves
//	rejected            every order REJECTED with a statusMessage; the transaction COMPLETES and the SDK resolves
//	insufficient_funds  BUY orders REJECTED "Insufficient funds ..."; resolves
//	market_closed       rejects market_closed (4004), whatever the market
//	user_cancelled      rejects user_cancelled (1012) with data{smallcaseAuthToken, broker}
//	consent_denied      rejects consent_denied (1003) with data
//	user_mismatch       rejects user_mismatch (1001)
//	expired             rejects transaction_expired (1005) with data
//
// For intents other than TRANSACTION the order scenarios (partial_fill,
// rejected, insufficient_funds, market_closed) play like success. Closing
// the web journey before login rejects user_cancelled (1010); a transaction
// that expired before it started rejects transaction_expired (3001).
//
// # Market and AMO
//
// As the SDK does, a TRANSACTION with orders goes on when the market is
// open, or when it is closed in its after-market (AMO) window and the page
// enabled AMO (new scDK({config: {amo: true}}); the driver's "amo": true).
// Otherwise it rejects market_closed (4004): market closed outside the AMO
// window, or in it without AMO enabled. RECONCILIATION and other intents
// ignore the market. AMO orders are placed unfilled: batch variety amo and
// status PLACED, orders PLACED; the SDK resolves with that batch (the older
// mobile mapping's order_in_queue, 1000, is not used) and only ORDER_PLACED
// is posted back. A CANCEL_AMO of a smallcase investment (iscid) turns its
// after-market orders still PLACED into CANCELLED AMO and their batch into
// CANCELLED (data.cancelledOrders counts them).
//
// The market is the sandbox's (Config.Market, the clock for auto) unless
// the journey says otherwise: the script's market toggle (market:open,
// market:amo, market:closed; market:configured goes back) or the driver's
// "market" field sets the market this one journey sees, so a journey can
// pass on a closed sandbox (open, or amo with AMO enabled) or fail on an
// open one (closed). Scenarios do not open a market: success on a closed
// market still rejects market_closed, and the market_closed scenario
// rejects whatever the market.
//
// # Emulator choices
//
// Where the Gateway's public material is silent the sandbox chooses:
//   - HTTP statuses of errors (table above); an unknown gateway is 404.
//   - Holdings answer with the snapshot of the last HOLDINGS_IMPORT (or
//     MF_HOLDINGS_IMPORT) of the account; before any import, the demo
//     portfolio as of the sandbox's start. Orders change the live portfolio,
//     so an import after an order shows them.
//   - Orders are MARKET/CNC at the instrument's demo price, on the exchange
//     the account holds the stock on (BSE for its BSE holdings), else NSE;
//     symbols outside the built-in list get a stable price from a hash. A
//     SELL of more than is held, or a BUY beyond the funds, is REJECTED,
//     without an exchangeOrderId.
//   - Holdings: each equity is held on one exchange; v1 gives it as
//     exchange, v2 as positions.nse or positions.bse (the other zero), with
//     nseTicker and bseTicker both the symbol (the built-in stocks are
//     listed on both).
//   - Smallcase orders (scid or iscid) trade a deterministic basket of five
//     stocks named after the id; RECONCILIATION places no orders.
//   - Market: Config.Market "open" (the default, so demos never depend on the
//     wall clock), "closed" (TRANSACTION rejects market_closed), "amo"
//     (closed in the AMO window: with AMO enabled, orders are PLACED as
//     variety amo and do not fill; without, market_closed) or "auto" (NSE
//     hours in IST, see MarketAuto). See Market and AMO.
//   - signup is true the first time an account logs in with a guest token
//     during the sandbox's life.
//   - Result data: orderBatches for TRANSACTION, fund for FETCH_FUNDS, data
//     {securities, mutualFunds, snapshotDate} for HOLDINGS_IMPORT, data
//     {authorised} for AUTHORISE_HOLDINGS, data {sipAction, sipActive,
//     amount, frequency, iscid, scid, scheduledDate, sipType} for SIP_SETUP,
//     data {iscid, cancelled, cancelledOrders} for CANCEL_AMO, nothing for CONNECT and
//     MF_HOLDINGS_IMPORT (whose holdings come by postback).
//   - Transactions stay in memory 24 hours after they finish and one TTL
//     after they expire; then GET order details answers 404.
//   - A transactionId is TRX_ and the AES encryption of a sequence number
//     under a key drawn at start (see fresh): 32 hex digits, as documented.
//   - Order details are {transactionId, smallcaseAuthId, broker, status,
//     batches}; orders may carry a statusMessage. SDK errors are Errors with
//     code, errorCode, message, errorMessage and data as an object.
//
// testdata/reference holds the shapes of the contract notes, written by
// hand; the contract tests check every response against them.
//
// # Driver (sandbox only, unauthenticated, loopback only)
//
//	POST /_sandbox/transactions/{id}/complete  {"broker","account","outcome","amo","market"} -> 200 gateway.SDKOutcome
//	                                           ({"result":{...}} or {"error":{"code","message","data"}}); 404 unknown; 409 already run
//	GET  /_sandbox/transactions/{id}           the transaction as the sandbox sees it
//	POST /_sandbox/clock {"advance":"6m"}      move the clock forward; GET reads it
//	GET  /_sandbox/brokers                     brokers, accounts and their smallcaseAuthIds
//
// Server.Complete and Server.Advance are the in-process forms.
//
// # Web script
//
// GET /scdk/2.0.0/scdk.js defines window.scDK: new scDK({gateway,
// smallcaseAuthToken, config}), triggerTransaction({transactionId,
// brokers}) returning a Promise, brokerLogout(). It may be loaded from
// another origin: it finds the sandbox from its own src. The constructor
// checks the token with the sandbox (POST /scdk/api/{gw}/init; the secret
// never reaches the browser); a token not signed with the secret makes
// triggerTransaction reject invalid_jwt (90), an unknown gateway or a page
// origin outside Config.AllowedOrigins invalid_gateway (100). Rejections are
// Errors whose message is the snake_case name, with code (and errorCode)
// and, after a login, data {smallcaseAuthToken, broker, signup}.
//
// The journey is an overlay in the page; every control has a stable
// data-sc attribute for browser automation:
//
//	overlay                 the overlay root, present while a journey runs
//	screen:loading|brokers|login|consent|review|error   the current screen
//	broker:ID               a broker (e.g. broker:kite-leprechaun), filtered by triggerTransaction's brokers
//	account:ID              log in with a test account (e.g. account:LEP001)
//	back                    back to the broker list
//	consent:accept          allow, go to review
//	consent:deny            reject consent_denied (1003)
//	scenario:NAME           pick a scenario (aria-pressed marks the pick; success by default)
//	market:NAME             orders only: the market this journey sees (configured, open, amo, closed)
//	confirm                 run the picked scenario and settle the promise
//	close                   close: user_cancelled 1010 before login, 1012 after
//	error:close             leave an error screen: internal_error (2000)
//	orders, market, timer   the order table, the market line, the expiry countdown
//
// # Postbacks
//
// With Config.PostbackURL, the sandbox POSTs gateway.Postback bodies signed
// with the apiSecret (timestamp in epoch milliseconds): ORDER_PLACED and
// ORDER_COMPLETED for a TRANSACTION (only ORDER_PLACED for AMO orders),
// HOLDINGS_IMPORT (data: the v1 or v2 holdings, per the request's version)
// and MF_HOLDINGS_IMPORT (data: {holdings}; no smallcaseAuthId, the checksum
// covers the transactionId). A network error or a non-2xx answer is retried
// with doubling backoff, Config.PostbackAttempts times at most.
//
// # State between processes
//
// ExportState returns the sandbox's state (transactions, live portfolios,
// holdings imports, first logins, clock offset) as JSON; ImportState loads
// it into a new sandbox of the same gateway; MergeState returns the state
// to write over what another process saved meanwhile, having taken over
// what that one has and this one did not change. Config.Sync runs around
// each request Start serves, before the answer is sent, for a caller that
// keeps the state in a file.
package sandbox
