// Package flow runs gatewalk's journeys step by step: a guest login, a
// connected-user order, a holdings import, and the plain fetches of
// holdings and order details. The TUI and the headless commands drive the
// same Runner, so the journey logic exists once.
//
// # Setting up
//
//	r, err := flow.Setup(ctx, store, flow.Options{ProfileName: "", NoBrowser: false})
//	defer r.Close()
//
// Setup resolves the profile ("" = $GATEWALK_PROFILE, else the active one)
// and its keys (GATEWALK_SECRET and GATEWALK_API_SECRET override), starts
// the in-process sandbox for a sandbox profile without an API URL (then
// Sandbox() is non-nil and the runner, the bridge and the sandbox share the
// sandbox's clock, so Sandbox().Advance moves them all), and builds the
// gateway.Client. The loopback browser bridge starts on the first journey
// that opens a browser (Bridge()), on the profile's callback port.
//
// Options.Auto (sandbox profiles only, *AutoNotSandboxError elsewhere) has
// the sandbox driver settle the SDK step with a gateway.Scenario after
// Options.AutoDelay instead of a browser: open_browser is then skipped. A
// sandbox profile with an API URL (another process's `gatewalk sandbox`)
// is driven through its HTTP driver.
//
// # Journeys
//
//	j := r.GuestLogin(label)                 // mint_token, create_transaction, open_browser, await_sdk, verify_result, save_user
//	j := r.Order(label, orderConfig)         // mint_token, create_transaction, open_browser, await_sdk, verify_result, fetch_orders [, await_postback]
//	j := r.HoldingsImport(label, holdOpts)   // mint_token, create_transaction, open_browser, await_sdk, verify_result, fetch_holdings [, await_postback]
//	j := r.ViewHoldings(label, holdOpts)     // mint_token, fetch_holdings
//	j := r.ViewOrderDetails(label, txnID)    // mint_token, fetch_orders
//	j := r.RunTransaction(RunSpec{...})      // mint_token, check_transaction, open_browser, await_sdk, verify_result, save_user, fetch_orders
//	h, exchanges, err := r.FetchHoldings(ctx, label, holdOpts)
//	od, exchanges, err := r.FetchOrderDetails(ctx, label, txnID)
//
// Drive a journey with Next (one step, blocking; await_sdk blocks until the
// SDK result or the transaction's expiry) or Run (all steps, with a
// callback before and after each). A failed step stops the journey: Next
// returns nil until RetryFrom(kind) resets that step and the later ones.
// Explain(step.Err) says what happened, what to do and which step to
// RetryFrom. Every Step carries its title, a presenter-friendly Why line,
// state, timing, the minted or returned token (decoded), the HTTP
// exchanges (secrets masked), the transaction, the browser URL and why it
// was not opened, the SDK outcome, the verified result, the saved user,
// orders, holdings, postback, a one-line Summary and a typed Err.
//
// While a step runs in another goroutine, read the journey only through
// Snapshot, Current, ExpireAt (the live transaction's expiry, for the 5:00
// countdown), TransactionID, AuthID and Events (the browser page's events:
// page opened, SDK loaded, tab closed, result). Close releases the page and
// closes Events.
//
// Rules the journeys keep: every transaction created is added to the
// profile's history and its final status recorded; a connected journey
// mints its token for the stored smallcaseAuthId and refuses a result for
// another one (*gateway.AuthIDMismatchError, never stored); a guest login
// for an existing label must return that label's id; saving an id another
// label has fails save_user with *session.DuplicateAuthIDError until
// AllowDuplicate; a connected journey for an unknown label fails mint_token
// with *UnknownUserError before any request; an expired transaction fails
// await_sdk with bridge.ErrJourneyExpired (browser) or the SDK's
// transaction_expired error (driver), and RetryFrom(CreateTransaction)
// makes a fresh one.
//
// Before anything is sent, the first step (mint_token) checks what the
// journey needs once its transaction exists: the users file parses (guest
// login), the history file parses, and the browser bridge binds the
// profile's callback port when a browser will be needed. A failure there is
// a *PreflightError and creates nothing.
//
// The embedded sandbox plays the Gateway with the profile's stored keys,
// while the client and the minted tokens use the run's keys, so a wrong
// GATEWALK_SECRET is refused as the real Gateway would refuse it. Step
// errors carry what the journey knew: *KeyOverrideError names the variable
// that set a rejected key, *UnreachableError replaces a raw network error
// (and counts the attempts), *ExpiredError carries the transaction's real
// lifetime, *NotSandboxAccountError is a stored id no sandbox account has.
// Explain's advice depends on them and on the API call that failed.
//
// Options.OnAttempt hears every HTTP attempt as it ends (retries included),
// and Options.Timeout bounds each attempt.
//
// Report returns the journey as JSON-able data: kind, profile, user,
// smallcaseAuthId, transaction, ok, and per step its name, start,
// durationMs, request (apiSecret masked, JWT shortened), response (status,
// size, start of the body), result and error with its explanation.
//
// RunTransaction runs the SDK step alone on a transaction created
// elsewhere (the partner's backend): the token is minted here (a stored
// user's, or a guest's) or given (RunSpec.Token, checked with the secret
// when the profile has one; Options.SecretOptional lets such a profile
// run). check_transaction refuses a transaction the history or a sandbox
// shows used; save_user runs for a CONNECT and fetch_orders for a
// TRANSACTION, the other skipped. Once the SDK was started on it, no
// RetryFrom starts it again.
//
// The built-in sandbox profile's embedded sandbox keeps its state in the
// config directory (session.SandboxStateFile) when the Emulator is a
// StatefulEmulator: loaded by Setup (a state that cannot be used is a
// *session.SandboxStateError), written after every step and by Close,
// merged with what another process wrote. Options.EphemeralSandbox keeps
// it in memory.
//
// Doctor checks a profile (config files, keys, network, the keys at the
// Gateway, clock skew, browser page, terminal) and returns a DoctorReport.
//
// Options.Postbacks (a PostbackWaiter) adds an await_postback step to
// orders (ORDER_COMPLETED) and holdings imports (HOLDINGS_IMPORT);
// Options.SandboxPostbackURL points the in-process sandbox's postbacks at a
// receiver.
package flow
