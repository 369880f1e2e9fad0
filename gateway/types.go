package gateway

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Intent is what a transaction asks the user to do.
type Intent string

// The partner-facing intents (the public SDKs' TRANSACTION_TYPE lists).
const (
	IntentConnect           Intent = "CONNECT"
	IntentTransaction       Intent = "TRANSACTION"
	IntentHoldingsImport    Intent = "HOLDINGS_IMPORT"
	IntentAuthoriseHoldings Intent = "AUTHORISE_HOLDINGS"
	IntentFetchFunds        Intent = "FETCH_FUNDS"
	IntentSIPSetup          Intent = "SIP_SETUP"
	IntentIMRSetup          Intent = "IMR_SETUP"
	IntentCancelAMO         Intent = "CANCEL_AMO"
	IntentMFHoldingsImport  Intent = "MF_HOLDINGS_IMPORT"
)

// Intents lists every intent CreateTransaction accepts, in display order.
func Intents() []Intent {
	return []Intent{IntentConnect, IntentTransaction, IntentHoldingsImport, IntentAuthoriseHoldings,
		IntentFetchFunds, IntentSIPSetup, IntentIMRSetup, IntentCancelAMO, IntentMFHoldingsImport}
}

// Known reports whether i is a partner-facing intent.
func (i Intent) Known() bool {
	for _, k := range Intents() {
		if k == i {
			return true
		}
	}
	return false
}

// OrderType is orderConfig.type of a TRANSACTION.
type OrderType string

// Order types a partner may send.
const (
	OrderSecurities     OrderType = "SECURITIES"
	OrderBuy            OrderType = "BUY"
	OrderInvestMore     OrderType = "INVESTMORE"
	OrderFix            OrderType = "FIX"
	OrderManage         OrderType = "MANAGE"
	OrderRebalance      OrderType = "REBALANCE"
	OrderSIP            OrderType = "SIP"
	OrderExit           OrderType = "EXIT"
	OrderReconciliation OrderType = "RECONCILIATION"
)

// needsIscid reports whether t acts on an existing smallcase investment.
func (t OrderType) needsIscid() bool {
	switch t {
	case OrderInvestMore, OrderFix, OrderManage, OrderRebalance, OrderSIP, OrderExit:
		return true
	}
	return false
}

// Side is the direction of one security order.
type Side string

// Sides of a security order.
const (
	Buy  Side = "BUY"
	Sell Side = "SELL"
)

// Security is one line of a SECURITIES order. Quantity and Type are
// optional, but the same on every line of an order (see SecuritiesRule):
// a line without them is completed by the user on the SDK's review screen.
type Security struct {
	Ticker   string `json:"ticker"`
	Quantity int    `json:"quantity,omitempty"`
	Type     Side   `json:"type,omitempty"`
}

// SecuritiesRule is the Gateway's rule for the fields of SECURITIES lines,
// in the docs' words.
const SecuritiesRule = "transaction type and quantity are optional at stock level, but if specified, " +
	"they must be specified for all stocks in the array"

// securityShape names which optional fields a line carries.
func (s Security) shape() string {
	switch {
	case s.Quantity != 0 && s.Type != "":
		return "ticker, quantity and type"
	case s.Quantity != 0:
		return "ticker and quantity"
	case s.Type != "":
		return "ticker and type"
	}
	return "only a ticker"
}

// RequiresReview reports whether the user chooses a quantity or a side of
// some line on the SDK's review screen.
func (oc OrderConfig) RequiresReview() bool {
	for _, s := range oc.Securities {
		if s.Quantity == 0 || s.Type == "" {
			return true
		}
	}
	return false
}

// OrderConfig is the orderConfig of a TRANSACTION, SIP_SETUP or CANCEL_AMO.
type OrderConfig struct {
	Type       OrderType  `json:"type,omitempty"`
	Securities []Security `json:"securities,omitempty"`
	Scid       string     `json:"scid,omitempty"`
	Iscid      string     `json:"iscid,omitempty"`
	Amount     float64    `json:"amount,omitempty"`
}

// AssetConfig is the assetConfig of a HOLDINGS_IMPORT or MF_HOLDINGS_IMPORT.
type AssetConfig struct {
	MFHoldings FlexBool `json:"mfHoldings,omitempty"`
	FromDate   string   `json:"fromDate,omitempty"`
}

// FlexBool is a boolean that is written as JSON true/false and read from
// true, false, "true" or "false": the docs show "mfHoldings":"true" (a
// string) while the Gateway's field is a Boolean it coerces.
type FlexBool bool

// UnmarshalJSON reads a boolean or the strings "true" and "false".
func (b *FlexBool) UnmarshalJSON(data []byte) error {
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		return err
	}
	switch v := v.(type) {
	case nil:
		return nil
	case bool:
		*b = FlexBool(v)
		return nil
	case string:
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "true":
			*b = true
			return nil
		case "false", "":
			*b = false
			return nil
		}
	}
	return fmt.Errorf("want true or false, got %s", data)
}

// TransactionRequest is the body of POST /gateway/{gw}/transaction.
type TransactionRequest struct {
	Intent      Intent       `json:"intent"`
	OrderConfig *OrderConfig `json:"orderConfig,omitempty"`
	AssetConfig *AssetConfig `json:"assetConfig,omitempty"`
	Version     string       `json:"version,omitempty"`
	Notes       string       `json:"notes,omitempty"`
}

// MaxNotes is the longest notes string a transaction takes.
const MaxNotes = 256

// ValidationError says which field of a request is wrong and why.
type ValidationError struct {
	Field   string
	Problem string
}

// Error names the field and the problem.
func (e *ValidationError) Error() string { return e.Field + ": " + e.Problem }

func invalid(field, format string, args ...any) error {
	return &ValidationError{Field: field, Problem: fmt.Sprintf(format, args...)}
}

// tickerRe matches exchange trading symbols such as TCS, M&M, BAJAJ-AUTO, NIFTYBEES.
var tickerRe = regexp.MustCompile(`^[A-Z0-9][A-Z0-9&_.\-]{0,29}$`)

// ValidTicker reports whether s looks like an NSE/BSE trading symbol.
func ValidTicker(s string) bool { return tickerRe.MatchString(s) }

// gatewayNameRe is the shape of a gateway name: the lower-case slug that
// appears in the partner API's paths (the gateway model's name field is
// lower-cased and unique).
var gatewayNameRe = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)

// ValidateGatewayName checks that name can be a gateway name: 1-64
// lower-case letters, digits, '-' or '_', starting with a letter or digit,
// so that it goes into URL paths as it is.
func ValidateGatewayName(name string) error {
	if !gatewayNameRe.MatchString(name) {
		return fmt.Errorf("%q is not a gateway name: use 1-64 lower-case letters, digits, - or _, "+
			"starting with a letter or digit (e.g. gatewaydemo, acme-broking)", name)
	}
	return nil
}

// Validate checks a request the way the Gateway does before creating a
// transaction, so a bad request is caught before it is sent. It returns a
// *ValidationError.
func (r TransactionRequest) Validate() error {
	if r.Intent == "" {
		return invalid("intent", "is required")
	}
	if !r.Intent.Known() {
		return invalid("intent", "unknown intent %q (want one of %s)", r.Intent, joinIntents())
	}
	if len(r.Notes) > MaxNotes {
		return invalid("notes", "is %d characters, at most %d", len(r.Notes), MaxNotes)
	}
	if r.Version != "" && r.Version != "v1" && r.Version != "v2" {
		return invalid("version", "must be v1 or v2, got %q", r.Version)
	}
	switch r.Intent {
	case IntentConnect, IntentAuthoriseHoldings, IntentFetchFunds:
		if r.OrderConfig != nil && !r.OrderConfig.empty() {
			return invalid("orderConfig", "is not taken by %s", r.Intent)
		}
	case IntentHoldingsImport:
		if r.OrderConfig != nil && !r.OrderConfig.empty() {
			return invalid("orderConfig", "is not taken by %s", r.Intent)
		}
		if r.AssetConfig != nil && r.AssetConfig.FromDate != "" {
			return invalid("assetConfig.fromDate", "is taken by MF_HOLDINGS_IMPORT, not HOLDINGS_IMPORT")
		}
	case IntentMFHoldingsImport:
		if r.AssetConfig != nil && r.AssetConfig.FromDate != "" {
			if _, err := time.Parse("2006-01-02", r.AssetConfig.FromDate); err != nil {
				return invalid("assetConfig.fromDate", "must be a date YYYY-MM-DD, got %q", r.AssetConfig.FromDate)
			}
		}
	case IntentSIPSetup, IntentIMRSetup, IntentCancelAMO:
		if r.OrderConfig == nil || r.OrderConfig.Iscid == "" {
			return invalid("orderConfig.iscid", "is required for %s", r.Intent)
		}
	case IntentTransaction:
		if r.OrderConfig == nil {
			return invalid("orderConfig", "is required for TRANSACTION")
		}
		return r.OrderConfig.validate()
	}
	return nil
}

func (oc *OrderConfig) empty() bool {
	return oc.Type == "" && len(oc.Securities) == 0 && oc.Scid == "" && oc.Iscid == "" && oc.Amount == 0
}

func (oc *OrderConfig) validate() error {
	if oc.Amount < 0 {
		return invalid("orderConfig.amount", "must not be negative")
	}
	if oc.Amount > 0 && oc.Type != OrderBuy && oc.Type != OrderInvestMore {
		return invalid("orderConfig.amount", "is valid only for BUY and INVESTMORE")
	}
	switch {
	case oc.Type == OrderSecurities:
		if len(oc.Securities) == 0 {
			return invalid("orderConfig.securities", "must list at least one security")
		}
		if err := validateSecurities(oc.Securities); err != nil {
			return err
		}
	case oc.Type == OrderBuy:
		if oc.Scid == "" {
			return invalid("orderConfig.scid", "is required for a BUY of a smallcase")
		}
	case oc.Type.needsIscid():
		if oc.Iscid == "" {
			return invalid("orderConfig.iscid", "is required for %s", oc.Type)
		}
	case oc.Type == OrderReconciliation:
	case oc.Type == "":
		return invalid("orderConfig.type", "is required")
	default:
		return invalid("orderConfig.type", "unknown order type %q (want SECURITIES, BUY, INVESTMORE, FIX, MANAGE, REBALANCE, SIP, EXIT or RECONCILIATION)", oc.Type)
	}
	if oc.Type != OrderSecurities && len(oc.Securities) > 0 {
		return invalid("orderConfig.securities", "is taken only by SECURITIES orders")
	}
	return nil
}

// validateSecurities checks each line and that every line carries the same
// optional fields (SecuritiesRule).
func validateSecurities(secs []Security) error {
	first := secs[0].shape()
	for i, s := range secs {
		f := fmt.Sprintf("orderConfig.securities[%d]", i)
		if !ValidTicker(s.Ticker) {
			return invalid(f+".ticker", "%q is not a trading symbol (upper case, e.g. TCS, M&M, BAJAJ-AUTO)", s.Ticker)
		}
		if s.Quantity < 0 {
			return invalid(f+".quantity", "must be 1 or more, got %d", s.Quantity)
		}
		if s.Type != "" && s.Type != Buy && s.Type != Sell {
			return invalid(f+".type", "must be BUY or SELL, got %q", s.Type)
		}
		if sh := s.shape(); sh != first {
			// Lines are counted from 1 in the sentence, as a person
			// counts them; the field paths above keep JSON's indexes.
			return invalid("orderConfig.securities", "line %d (%s) has %s but line 1 (%s) has %s: %s",
				i+1, s.Ticker, sh, secs[0].Ticker, first, SecuritiesRule)
		}
	}
	return nil
}

func joinIntents() string {
	var s []string
	for _, i := range Intents() {
		s = append(s, string(i))
	}
	return strings.Join(s, ", ")
}

// Envelope is the wrapper of every Gateway API response.
type Envelope struct {
	Success   bool            `json:"success"`
	Errors    Messages        `json:"errors"`
	ErrorType string          `json:"errorType,omitempty"`
	Data      json.RawMessage `json:"data"`
}

// Messages is the errors of an envelope. The Gateway sends an array of
// strings; gatewalk also reads a single string, objects such as
// {"message": …} or {"msg": …, "param": …}, and arrays mixing them, so an
// error is never lost because of its shape. It is written as an array of
// strings.
type Messages []string

// UnmarshalJSON reads an array of strings or objects, a single string or a
// single object; null leaves the messages as they are.
func (m *Messages) UnmarshalJSON(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return err
	}
	if v == nil {
		return nil
	}
	var out []string
	list, ok := v.([]any)
	if !ok {
		list = []any{v}
	}
	for _, e := range list {
		if s := messageText(e); s != "" {
			out = append(out, s)
		}
	}
	*m = out
	return nil
}

// messageText is the text of one error: a string, the message of an
// object (prefixed with the field it names), or else its JSON.
func messageText(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return strings.TrimSpace(v)
	case map[string]any:
		for _, k := range []string{"message", "msg", "error", "description", "detail", "reason"} {
			s := messageText(v[k])
			if s == "" {
				continue
			}
			for _, f := range []string{"field", "param", "path"} {
				if name, ok := v[f].(string); ok && name != "" && !strings.Contains(s, name) {
					return name + ": " + s
				}
			}
			return s
		}
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// TransactionCreated is the data of a successful create-transaction call.
// ExpireAt is zero when the response had no expireAt gatewalk could read
// (ExpireAtRaw then holds what it had, if anything): see AssumeExpiry.
type TransactionCreated struct {
	TransactionID string    `json:"transactionId"`
	ExpireAt      time.Time `json:"expireAt"`
	// ExpireAtRaw is an expireAt that was present but not readable.
	ExpireAtRaw string `json:"-"`
	// ExpireAtAssumed reports that ExpireAt was set by AssumeExpiry.
	ExpireAtAssumed bool `json:"-"`
}

// UnmarshalJSON reads expireAt tolerantly (see ParseExpireAt): an
// unreadable or missing expireAt leaves ExpireAt zero instead of failing,
// since the transaction exists either way.
func (t *TransactionCreated) UnmarshalJSON(b []byte) error {
	var w struct {
		TransactionID string          `json:"transactionId"`
		ExpireAt      json.RawMessage `json:"expireAt"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*t = TransactionCreated{TransactionID: w.TransactionID}
	at, ok := ParseExpireAt(w.ExpireAt)
	switch {
	case ok:
		t.ExpireAt = at
	case !emptyJSON(w.ExpireAt):
		t.ExpireAtRaw = snippet(w.ExpireAt)
	}
	return nil
}

// emptyJSON reports whether raw is missing, null or an empty string.
func emptyJSON(raw json.RawMessage) bool {
	var s string
	raw = bytes.TrimSpace(raw)
	return len(raw) == 0 || string(raw) == "null" || (json.Unmarshal(raw, &s) == nil && strings.TrimSpace(s) == "")
}

// AssumeExpiry gives a transaction without a readable expireAt the
// documented lifespan, TransactionLifetime from created (the moment it was
// created, on the Gateway's clock), and returns a warning saying so. It
// returns "" and changes nothing when ExpireAt was read.
func (t *TransactionCreated) AssumeExpiry(created time.Time) string {
	if !t.ExpireAt.IsZero() {
		return ""
	}
	t.ExpireAt = created.Add(TransactionLifetime)
	t.ExpireAtAssumed = true
	what := "the response has no expireAt"
	if t.ExpireAtRaw != "" {
		what = fmt.Sprintf("the response's expireAt %s is not a time gatewalk can read", t.ExpireAtRaw)
	}
	return fmt.Sprintf("%s: assuming the documented %v lifespan, so transaction %s expires about %s",
		what, TransactionLifetime, t.TransactionID, t.ExpireAt.Local().Format("15:04:05"))
}

// expireAtLayouts are the textual times ParseExpireAt reads, after
// RFC 3339. A fraction of a second is accepted after the seconds by each.
var expireAtLayouts = []string{
	"2006-01-02T15:04:05Z0700",
	"2006-01-02T15:04:05",
	"2006-01-02 15:04:05Z07:00",
	"2006-01-02 15:04:05Z0700",
	"2006-01-02 15:04:05",
	time.RFC1123Z,
	time.RFC1123,
}

// ParseExpireAt reads an expireAt the way gatewalk tolerates it: an
// RFC 3339 time with or without an offset (without one it is UTC, which is
// what the Gateway's own times are), or epoch milliseconds as a number or a
// numeric string (a value below 1e11 is taken as epoch seconds, since as
// milliseconds it would be in 1973). It reports false for a missing, null,
// empty or unreadable value.
func ParseExpireAt(raw json.RawMessage) (time.Time, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return time.Time{}, false
	}
	s := string(raw)
	if raw[0] == '"' {
		if err := json.Unmarshal(raw, &s); err != nil {
			return time.Time{}, false
		}
		s = strings.TrimSpace(s)
	}
	if s == "" {
		return time.Time{}, false
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		return epochTime(f)
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, true
	}
	for _, l := range expireAtLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

func epochTime(f float64) (time.Time, bool) {
	if f <= 0 || math.IsInf(f, 0) || math.IsNaN(f) || f > 1e15 {
		return time.Time{}, false
	}
	if f < 1e11 {
		f *= 1000
	}
	ms := int64(f)
	frac := time.Duration((f - float64(ms)) * float64(time.Millisecond))
	return time.UnixMilli(ms).UTC().Add(frac), true
}

// TransactionLifetime is how long a transactionId lives after creation.
const TransactionLifetime = 5 * time.Minute

// Status is a transaction's state.
type Status string

// Transaction statuses.
const (
	StatusInitialized    Status = "INITIALIZED"
	StatusUsed           Status = "USED"
	StatusProcessing     Status = "PROCESSING"
	StatusCompleted      Status = "COMPLETED"
	StatusActionRequired Status = "ACTION_REQUIRED"
	StatusErrored        Status = "ERRORED"
	StatusCancelled      Status = "CANCELLED"
	StatusExpired        Status = "EXPIRED"
)

// Final reports whether s is a terminal state.
func (s Status) Final() bool {
	switch s {
	case StatusCompleted, StatusErrored, StatusCancelled, StatusExpired:
		return true
	}
	return false
}

// TxnError is a transaction's error block; Value is true for ERRORED,
// CANCELLED and EXPIRED.
type TxnError struct {
	Value   bool   `json:"value"`
	Code    int    `json:"code,omitempty"`
	Message string `json:"message,omitempty"`
}

// Order is one broker order of a batch.
type Order struct {
	OrderType       string  `json:"orderType"`
	Product         string  `json:"product"`
	Exchange        string  `json:"exchange"`
	Status          string  `json:"status"`
	Quantity        int     `json:"quantity"`
	Tradingsymbol   string  `json:"tradingsymbol"`
	TransactionType string  `json:"transactionType"`
	FilledQuantity  int     `json:"filledQuantity"`
	AveragePrice    float64 `json:"averagePrice"`
	ExchangeOrderID string  `json:"exchangeOrderId,omitempty"`
	StatusMessage   string  `json:"statusMessage,omitempty"`
}

// OrderBatch is a set of orders placed together.
type OrderBatch struct {
	BatchID       string  `json:"batchId"`
	TransactionID string  `json:"transactionId"`
	Variety       string  `json:"variety"`
	Status        string  `json:"status"`
	Label         string  `json:"label"`
	Filled        int     `json:"filled"`
	Quantity      int     `json:"quantity"`
	BuyAmount     float64 `json:"buyAmount"`
	SellAmount    float64 `json:"sellAmount"`
	CompletedDate string  `json:"completedDate,omitempty"`
	Orders        []Order `json:"orders"`
	Unplaced      []Order `json:"unplaced"`
}

// OrderDetails is the data of GET /v1/{gw}/engine/orders/sst.
type OrderDetails struct {
	TransactionID   string       `json:"transactionId,omitempty"`
	SmallcaseAuthID string       `json:"smallcaseAuthId,omitempty"`
	Broker          string       `json:"broker,omitempty"`
	Status          Status       `json:"status,omitempty"`
	Batches         []OrderBatch `json:"batches"`
}

// HoldingV1 is one equity of a v1 holdings response.
type HoldingV1 struct {
	Name         string  `json:"name"`
	Exchange     string  `json:"exchange"`
	Ticker       string  `json:"ticker"`
	AveragePrice float64 `json:"averagePrice"`
	Shares       int     `json:"shares"`
}

// QtyPrice is a quantity at an average price.
type QtyPrice struct {
	Quantity     int     `json:"quantity"`
	AveragePrice float64 `json:"averagePrice"`
}

// HoldingV2 is one equity of a v2 holdings response.
type HoldingV2 struct {
	Name                 string   `json:"name"`
	ISIN                 string   `json:"isin"`
	NSETicker            string   `json:"nseTicker"`
	BSETicker            string   `json:"bseTicker"`
	SmallcaseQuantity    int      `json:"smallcaseQuantity"`
	TransactableQuantity int      `json:"transactableQuantity"`
	Holdings             QtyPrice `json:"holdings"`
	Positions            struct {
		NSE QtyPrice `json:"nse"`
		BSE QtyPrice `json:"bse"`
	} `json:"positions"`
}

// MFHolding is one mutual fund folio.
type MFHolding struct {
	Folio         string  `json:"folio"`
	Fund          string  `json:"fund"`
	ISIN          string  `json:"isin"`
	Quantity      float64 `json:"quantity"`
	AveragePrice  float64 `json:"averagePrice"`
	LastPrice     float64 `json:"lastPrice"`
	LastPriceDate string  `json:"lastPriceDate"`
	PNL           float64 `json:"pnl"`
	XIRR          float64 `json:"xirr"`
}

// SmallcaseHolding is a smallcase the user holds.
type SmallcaseHolding struct {
	Scid             string `json:"scid"`
	Name             string `json:"name"`
	ShortDescription string `json:"shortDescription,omitempty"`
	Stats            struct {
		CurrentValue float64 `json:"currentValue"`
		TotalReturns float64 `json:"totalReturns"`
	} `json:"stats"`
	Constituents []struct {
		Ticker string `json:"ticker"`
		Shares int    `json:"shares"`
	} `json:"constituents"`
}

// MFBlock wraps mutual fund holdings.
type MFBlock struct {
	Holdings []MFHolding `json:"holdings"`
}

// HoldingsV1 is the data of a v1 holdings response.
type HoldingsV1 struct {
	SmallcaseAuthID string `json:"smallcaseAuthId"`
	Broker          string `json:"broker"`
	// Notes are the notes of the HOLDINGS_IMPORT transaction that took the
	// snapshot (the docs: they come back in the holdings response).
	Notes        string `json:"notes,omitempty"`
	Updating     bool   `json:"updating"`
	LastUpdate   string `json:"lastUpdate"`
	SnapshotDate string `json:"snapshotDate"`
	Securities   struct {
		Holdings []HoldingV1 `json:"holdings"`
	} `json:"securities"`
	Smallcases struct {
		Public  []SmallcaseHolding `json:"public"`
		Private []SmallcaseHolding `json:"private"`
	} `json:"smallcases"`
	MutualFunds *MFBlock `json:"mutualFunds,omitempty"`
}

// HoldingsV2 is the data of a v2 holdings response.
type HoldingsV2 struct {
	SmallcaseAuthID string `json:"smallcaseAuthId"`
	Broker          string `json:"broker"`
	// Notes are the notes of the HOLDINGS_IMPORT transaction that took the
	// snapshot (the docs: they come back in the holdings response).
	Notes        string      `json:"notes,omitempty"`
	Updating     bool        `json:"updating"`
	LastUpdate   string      `json:"lastUpdate"`
	SnapshotDate string      `json:"snapshotDate"`
	Securities   []HoldingV2 `json:"securities"`
	Smallcases   struct {
		Public    []SmallcaseHolding `json:"public"`
		PrivateV2 struct {
			Investments []SmallcaseHolding `json:"investments"`
		} `json:"privateV2"`
	} `json:"smallcases"`
	MutualFunds *MFBlock `json:"mutualFunds,omitempty"`
}

// Holdings is a fetched holdings document: exactly one of V1 and V2 is set,
// according to Version.
type Holdings struct {
	Version string      `json:"version"`
	V1      *HoldingsV1 `json:"v1,omitempty"`
	V2      *HoldingsV2 `json:"v2,omitempty"`
}

// Equity is a version-independent view of one equity holding.
type Equity struct {
	Ticker       string
	ISIN         string
	Name         string
	Exchange     string
	Quantity     int
	AveragePrice float64
}

// Invested is quantity times average price.
func (e Equity) Invested() float64 { return float64(e.Quantity) * e.AveragePrice }

// AuthID returns the smallcaseAuthId the holdings belong to.
func (h *Holdings) AuthID() string {
	switch {
	case h.V2 != nil:
		return h.V2.SmallcaseAuthID
	case h.V1 != nil:
		return h.V1.SmallcaseAuthID
	}
	return ""
}

// Broker returns the broker the holdings came from.
func (h *Holdings) Broker() string {
	switch {
	case h.V2 != nil:
		return h.V2.Broker
	case h.V1 != nil:
		return h.V1.Broker
	}
	return ""
}

// Equities flattens either version into Equity rows.
func (h *Holdings) Equities() []Equity {
	var out []Equity
	switch {
	case h.V2 != nil:
		for _, s := range h.V2.Securities {
			ex := "NSE"
			if s.Positions.NSE.Quantity == 0 && s.Positions.BSE.Quantity > 0 {
				ex = "BSE"
			}
			t := s.NSETicker
			if t == "" {
				t = s.BSETicker
			}
			out = append(out, Equity{Ticker: t, ISIN: s.ISIN, Name: s.Name, Exchange: ex,
				Quantity: s.Holdings.Quantity, AveragePrice: s.Holdings.AveragePrice})
		}
	case h.V1 != nil:
		for _, s := range h.V1.Securities.Holdings {
			out = append(out, Equity{Ticker: s.Ticker, Name: s.Name, Exchange: s.Exchange,
				Quantity: s.Shares, AveragePrice: s.AveragePrice})
		}
	}
	return out
}

// MutualFunds returns the mutual fund holdings of either version (nil when
// they were not asked for).
func (h *Holdings) MutualFunds() []MFHolding {
	switch {
	case h.V2 != nil && h.V2.MutualFunds != nil:
		return h.V2.MutualFunds.Holdings
	case h.V1 != nil && h.V1.MutualFunds != nil:
		return h.V1.MutualFunds.Holdings
	}
	return nil
}
