package sandbox

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"math"
	"sort"
	"strconv"
	"strings"
)

// Broker is a broker of the sandbox: a leprechaun (test) variant with test
// accounts, or one of the brokers that have no leprechaun mode, listed so a
// brokers filter naming it works, with no account to log in with.
type Broker struct {
	ID         string    `json:"id"`   // e.g. "kite-leprechaun", or "groww"
	Name       string    `json:"name"` // display name, e.g. "Zerodha Kite (leprechaun)"
	Leprechaun bool      `json:"leprechaun"`
	Accounts   []Account `json:"accounts"`
	// Note says why a broker cannot be tested here (no leprechaun mode).
	Note string `json:"note,omitempty"`
}

// Testable reports whether a journey can log in with the broker here.
func (b Broker) Testable() bool { return b.Leprechaun && len(b.Accounts) > 0 }

// Account is a test account of a leprechaun broker.
type Account struct {
	ID   string `json:"id"` // e.g. "LEP001"
	Name string `json:"name"`
	// Special says what a special test account plays whatever the
	// scenario, as smallcase's special leprechaun tokens do: "low_funds"
	// or "order_failure".
	Special string `json:"special,omitempty"`
}

// Special test accounts.
const (
	SpecialLowFunds     = "low_funds"
	SpecialOrderFailure = "order_failure"
)

// brokerNames are the broker ids of the official web-integration and order
// pages (gateway-api.md §16.11). Every broker has a leprechaun mode except
// Dhan, Fisdom, Groww and Motilal Oswal. The first is the default login.
var brokerNames = []struct {
	id, name   string
	leprechaun bool
}{
	{"kite", "Zerodha Kite", true},
	{"upstox", "Upstox", true},
	{"aliceblue", "Alice Blue", true},
	{"fivepaisa", "5paisa", true},
	{"hdfc", "HDFC Securities", true},
	{"iifl", "IIFL Securities", true},
	{"angelbroking", "Angel One", true},
	{"axis", "Axis Direct", true},
	{"edel", "Edelweiss (edel)", true},
	{"edelweiss", "Edelweiss", true},
	{"fundzbazar", "FundzBazar", true},
	{"icici", "ICICI Direct", true},
	{"kotak", "Kotak Securities", true},
	{"trustline", "Trustline", true},
	{"dhan", "Dhan", false},
	{"fisdom", "Fisdom", false},
	{"groww", "Groww", false},
	{"motilal", "Motilal Oswal", false},
}

var accountNames = []Account{
	{ID: "LEP001", Name: "Asha Verma"},
	{ID: "LEP002", Name: "Rohan Mehta"},
	{ID: "LEP003", Name: "Kavya Iyer"},
	{ID: "LEP004", Name: "Low funds", Special: SpecialLowFunds},
	{ID: "LEP005", Name: "Order failure", Special: SpecialOrderFailure},
}

// Brokers lists the sandbox's brokers, in display order: the leprechaun
// variants with their test accounts, then the brokers without a leprechaun
// mode. The first broker's first account is the default login.
func Brokers() []Broker {
	out := make([]Broker, 0, len(brokerNames))
	for _, b := range brokerNames {
		if b.leprechaun {
			out = append(out, Broker{ID: b.id + "-leprechaun", Name: b.name + " (leprechaun)", Leprechaun: true,
				Accounts: append([]Account(nil), accountNames...)})
			continue
		}
		out = append(out, Broker{ID: b.id, Name: b.name, Accounts: []Account{},
			Note: b.name + " has no leprechaun mode: test it with a real account on a production profile"})
	}
	return out
}

// accountSpecial is what a test account plays whatever the scenario ("" for
// an ordinary one).
func accountSpecial(id string) string {
	for _, a := range accountNames {
		if strings.EqualFold(a.ID, id) {
			return a.Special
		}
	}
	return ""
}

// findBroker resolves a broker id with or without the -leprechaun suffix.
func findBroker(id string) (Broker, bool) {
	id = strings.ToLower(strings.TrimSpace(id))
	for _, b := range Brokers() {
		if b.ID == id || strings.TrimSuffix(b.ID, "-leprechaun") == id {
			return b, true
		}
	}
	return Broker{}, false
}

func (b Broker) account(id string) (Account, bool) {
	for _, a := range b.Accounts {
		if strings.EqualFold(a.ID, strings.TrimSpace(id)) {
			return a, true
		}
	}
	return Account{}, false
}

// AuthID is the smallcaseAuthId the sandbox gives a broker account of a
// gateway: 24 lowercase hex characters derived from (gateway, broker,
// account), so the same account always yields the same id, across runs too.
func AuthID(gateway, broker, account string) string {
	h := sha256.Sum256([]byte("gatewalk-sandbox\x00" + gateway + "\x00" + broker + "\x00" + strings.ToUpper(account)))
	return hex.EncodeToString(h[:12])
}

// instrument is an exchange-listed security the sandbox prices.
type instrument struct {
	Ticker string
	Name   string
	ISIN   string
	Price  float64
	Known  bool // false for symbols outside the built-in list (priced from a hash)
}

// instruments are real NSE/BSE names and ISINs with round demo prices (the
// prices are illustrative, not market data).
var instruments = []instrument{
	{"RELIANCE", "Reliance Industries Ltd", "INE002A01018", 1285.40, true},
	{"TCS", "Tata Consultancy Services Ltd", "INE467B01029", 3550.00, true},
	{"HDFCBANK", "HDFC Bank Ltd", "INE040A01034", 1720.55, true},
	{"INFY", "Infosys Ltd", "INE009A01021", 1580.20, true},
	{"ICICIBANK", "ICICI Bank Ltd", "INE090A01021", 1255.75, true},
	{"ITC", "ITC Ltd", "INE154A01025", 468.30, true},
	{"SBIN", "State Bank of India", "INE062A01020", 812.65, true},
	{"BHARTIARTL", "Bharti Airtel Ltd", "INE397D01024", 1610.00, true},
	{"HINDUNILVR", "Hindustan Unilever Ltd", "INE030A01027", 2390.10, true},
	{"LT", "Larsen & Toubro Ltd", "INE018A01030", 3480.90, true},
	{"KOTAKBANK", "Kotak Mahindra Bank Ltd", "INE237A01028", 1795.35, true},
	{"AXISBANK", "Axis Bank Ltd", "INE238A01034", 1140.60, true},
	{"ASIANPAINT", "Asian Paints Ltd", "INE021A01026", 2310.45, true},
	{"MARUTI", "Maruti Suzuki India Ltd", "INE585B01010", 11850.00, true},
	{"SUNPHARMA", "Sun Pharmaceutical Industries Ltd", "INE044A01036", 1705.25, true},
	{"TITAN", "Titan Company Ltd", "INE280A01028", 3320.80, true},
	{"WIPRO", "Wipro Ltd", "INE075A01022", 262.15, true},
	{"HCLTECH", "HCL Technologies Ltd", "INE860A01027", 1560.70, true},
	{"ULTRACEMCO", "UltraTech Cement Ltd", "INE481G01011", 11200.00, true},
	{"TATAMOTORS", "Tata Motors Ltd", "INE155A01022", 712.40, true},
	{"M&M", "Mahindra & Mahindra Ltd", "INE101A01026", 2890.55, true},
	{"BAJAJ-AUTO", "Bajaj Auto Ltd", "INE917I01010", 8450.00, true},
	{"TATASTEEL", "Tata Steel Ltd", "INE081A01020", 148.25, true},
	{"POWERGRID", "Power Grid Corporation of India Ltd", "INE752E01010", 298.60, true},
	{"NTPC", "NTPC Ltd", "INE733E01010", 342.10, true},
	{"ONGC", "Oil & Natural Gas Corporation Ltd", "INE213A01029", 241.35, true},
	{"COALINDIA", "Coal India Ltd", "INE522F01014", 385.90, true},
	{"ADANIPORTS", "Adani Ports and Special Economic Zone Ltd", "INE742F01042", 1325.00, true},
	{"NIFTYBEES", "Nippon India ETF Nifty 50 BeES", "INF204KB14I2", 278.45, true},
	{"GOLDBEES", "Nippon India ETF Gold BeES", "INF204KB17I5", 72.30, true},
}

// lookupInstrument returns the built-in instrument, or a stable synthetic
// one for any other well-formed symbol (priced from a hash of the symbol, no
// ISIN), so partner tests may use any ticker.
func lookupInstrument(ticker string) instrument {
	for _, in := range instruments {
		if in.Ticker == ticker {
			return in
		}
	}
	h := sha256.Sum256([]byte(ticker))
	p := 50 + float64(binary.BigEndian.Uint32(h[:4])%195000)/100 // 50.00 .. 2000.00
	return instrument{Ticker: ticker, Name: ticker + " (sandbox instrument)", Price: round2(p)}
}

// mutualFund is a fund scheme of the demo portfolios.
type mutualFund struct {
	Name string
	ISIN string
	NAV  float64
}

var mutualFunds = []mutualFund{
	{"Parag Parikh Flexi Cap Fund - Direct Plan - Growth", "INF879O01027", 88.4213},
	{"Axis ELSS Tax Saver Fund - Direct Plan - Growth", "INF846K01EW2", 101.5530},
	{"UTI Nifty 50 Index Fund - Direct Plan - Growth", "INF789F01XA0", 168.9047},
	{"HDFC Balanced Advantage Fund - Direct Plan - Growth", "INF179K01WA6", 541.2280},
}

// Exchanges a position can be held on.
const (
	exNSE = "NSE"
	exBSE = "BSE"
)

// position is one equity holding of an account, held on one exchange.
type position struct {
	Ticker   string
	Exchange string // exNSE or exBSE
	Quantity int
	AvgPrice float64
}

// folio is one mutual fund holding of an account.
type folio struct {
	Folio    string
	Fund     mutualFund
	Units    float64
	AvgNAV   float64
	Invested float64
}

// portfolio is the live state of a broker account.
type portfolio struct {
	Positions map[string]*position
	Folios    []folio
	Funds     float64 // available cash
}

// seedRand is a deterministic stream from a key.
type seedRand struct {
	key []byte
	n   uint32
}

func (r *seedRand) next() uint32 {
	var c [4]byte
	binary.BigEndian.PutUint32(c[:], r.n)
	r.n++
	h := sha256.Sum256(append(append([]byte(nil), r.key...), c[:]...))
	return binary.BigEndian.Uint32(h[:4])
}

// demoPortfolio is the deterministic starting portfolio of a broker account.
func demoPortfolio(broker, account string) *portfolio {
	r := &seedRand{key: []byte(broker + "\x00" + strings.ToUpper(account))}
	p := &portfolio{Positions: map[string]*position{}}
	n := 5 + int(r.next()%4) // 5..8 equities
	perm := make([]int, len(instruments))
	for i := range perm {
		perm[i] = i
	}
	for i := len(perm) - 1; i > 0; i-- {
		j := int(r.next() % uint32(i+1))
		perm[i], perm[j] = perm[j], perm[i]
	}
	// A second stream picks the positions held on BSE, so that adding them
	// left every other part of the portfolios as it was.
	bse := &seedRand{key: []byte("bse\x00" + broker + "\x00" + strings.ToUpper(account))}
	onBSE := 1 + int(bse.next()%2) // 1..2 of the equities
	first := int(bse.next() % uint32(n))
	for k, idx := range perm[:n] {
		in := instruments[idx]
		qty := 1 + int(r.next()%40)
		if in.Price < 500 {
			qty *= 5
		}
		factor := 0.72 + float64(r.next()%40)/100 // bought at 72%..111% of today's price
		ex := exNSE
		if (k-first+n)%n < onBSE {
			ex = exBSE
		}
		p.Positions[in.Ticker] = &position{Ticker: in.Ticker, Exchange: ex, Quantity: qty, AvgPrice: round2(in.Price * factor)}
	}
	nf := 1 + int(r.next()%3)
	for i := 0; i < nf; i++ {
		mf := mutualFunds[(int(r.next())+i)%len(mutualFunds)]
		dup := false
		for _, f := range p.Folios {
			dup = dup || f.Fund.ISIN == mf.ISIN
		}
		if dup {
			continue
		}
		units := round3(50 + float64(r.next()%400000)/100)
		avg := round4(mf.NAV * (0.65 + float64(r.next()%40)/100))
		p.Folios = append(p.Folios, folio{
			Folio: folioNumber(r), Fund: mf, Units: units, AvgNAV: avg, Invested: round2(units * avg),
		})
	}
	p.Funds = float64(200000 + 50000*int(r.next()%17)) // 2,00,000 .. 10,00,000
	if accountSpecial(account) == SpecialLowFunds {
		// The special account has almost no funds, as smallcase's
		// low-funds leprechaun token; execute rejects its every BUY for
		// funds, whatever the balance a SELL left.
		p.Funds = 250
	}
	return p
}

func folioNumber(r *seedRand) string {
	return strconv.Itoa(int(10000000+r.next()%89999999)) + "/" + strconv.Itoa(int(10+r.next()%89))
}

// sortedPositions returns the positions ordered by ticker.
func (p *portfolio) sortedPositions() []position {
	out := make([]position, 0, len(p.Positions))
	for _, ps := range p.Positions {
		out = append(out, *ps)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Ticker < out[j].Ticker })
	return out
}

func (p *portfolio) clone() *portfolio {
	c := &portfolio{Positions: make(map[string]*position, len(p.Positions)), Funds: p.Funds}
	for k, v := range p.Positions {
		cp := *v
		c.Positions[k] = &cp
	}
	c.Folios = append([]folio(nil), p.Folios...)
	return c
}

func round2(f float64) float64 { return math.Round(f*100) / 100 }
func round3(f float64) float64 { return math.Round(f*1000) / 1000 }
func round4(f float64) float64 { return math.Round(f*10000) / 10000 }
