// Package postback receives and verifies the smallcase Gateway's postbacks
// (webhooks): the JSON bodies the Gateway POSTs to a partner's registered
// URL when an order is placed or completed and when a holdings import ends.
//
// The checksum rule is the one integrators implement (it is not in the
// public docs): checksum = hex(HMAC-SHA256(key=apiSecret, msg=timestamp +
// smallcaseAuthId)), or timestamp + transactionId for mutual-fund holdings
// imports; timestamp is used exactly as written in the body (a JSON string,
// or a number's text).
//
// Parse and Verify check one body offline. A Receiver is an http.Handler
// (and Start serves it on loopback) that bounds each body, verifies its
// checksum with the profile's apiSecret, records every postback in the
// profile's history next to its transaction (or as unmatched), reports each
// request as an Event, and implements the flow runner's postback waiter
// through Wait. Its answers:
//
//	200 valid checksum, known transaction
//	200 replay: the same transaction, event and checksum already accepted
//	    (recorded and shown as a replay; 2xx so the sender stops retrying)
//	202 valid checksum, unknown transaction, when AcceptUnknown is set
//	400 malformed body (not a JSON object)
//	401 checksum missing or wrong for the apiSecret
//	404 valid checksum, transaction not in the profile's history
//	    (recorded as unmatched; a retrying sender will try again later)
//	405 not a POST (shown, not recorded: it is not a postback)
//	413 body over the bound (256 KiB by default)
//	500 the history could not be written, or FailFirst asked for it
//
// Every postback, good or bad, is recorded and reported; none is dropped.
package postback
