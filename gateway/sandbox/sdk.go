package sandbox

import (
	"cmp"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"gatewalk/gateway"
)

// session is a web script session opened by init: the token checked, the
// origin it runs on and who logged in.
type session struct {
	key     string
	origin  string
	authID  string // smallcaseAuthId of a connected sdkToken
	last    time.Time
	broker  string
	account string
}

const sessionIdle = 2 * time.Hour

func (s *Server) purgeSessions(now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, ss := range s.sessions {
		if now.Sub(ss.last) > sessionIdle {
			delete(s.sessions, k)
		}
	}
}

// OriginAllowed reports whether a page on origin may run the web script.
func (s *Server) OriginAllowed(origin string) bool {
	origin = strings.TrimRight(strings.TrimSpace(origin), "/")
	if len(s.cfg.AllowedOrigins) == 0 {
		u, err := url.Parse(origin)
		if err != nil || u.Scheme != "http" || u.Path != "" {
			return false
		}
		switch u.Hostname() {
		case "localhost", "127.0.0.1", "::1":
			return true
		}
		return false
	}
	for _, pat := range s.cfg.AllowedOrigins {
		pat = strings.TrimRight(strings.TrimSpace(pat), "/")
		if strings.EqualFold(pat, origin) {
			return true
		}
		if ok, _ := path.Match(strings.ToLower(pat), strings.ToLower(origin)); ok {
			return true
		}
	}
	return false
}

// sdkCORS wraps the script's endpoints: CORS for whitelisted origins (and
// for init, so the script can read why it was refused), POST only.
func (s *Server) sdkCORS(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		allowed := origin == "" || s.OriginAllowed(origin)
		isInit := strings.HasSuffix(r.URL.Path, "/init")
		if origin != "" && (allowed || isInit) {
			h := w.Header()
			h.Set("Access-Control-Allow-Origin", origin)
			h.Add("Vary", "Origin")
			h.Set("Access-Control-Allow-Headers", "Content-Type, X-SC-CSRF")
			h.Set("Access-Control-Allow-Methods", "POST, OPTIONS")
			h.Set("Access-Control-Max-Age", "600")
		}
		if r.Method == http.MethodOptions {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		if r.Method != http.MethodPost {
			s.writeErr(w, methodNotAllowed("POST"))
			return
		}
		if !allowed {
			s.writeErr(w, fail(http.StatusForbidden, etForbidden, gateway.ErrStrInvalidGateway,
				fmt.Sprintf("origin %s is not whitelisted for gateway %s: the sandbox accepts http://localhost, http://127.0.0.1 and http://[::1] on any port unless told otherwise (--allowed-origin)", origin, s.cfg.Gateway)))
			return
		}
		h(w, r)
	}
}

// scenarioInfo describes a scenario for the script's picker.
type scenarioInfo struct {
	Name        gateway.Scenario `json:"name"`
	Label       string           `json:"label"`
	Description string           `json:"description"`
}

var scenarioText = map[gateway.Scenario][2]string{
	gateway.ScenarioSuccess:           {"Success", "every order completes; the journey resolves"},
	gateway.ScenarioPartialFill:       {"Partial fill", "every other order of more than one share fills in part; resolves with PARTIAL orders"},
	gateway.ScenarioRejected:          {"Order rejected", "the broker rejects every order; resolves with REJECTED orders"},
	gateway.ScenarioInsufficientFunds: {"Insufficient funds", "BUY orders are rejected for funds; resolves"},
	gateway.ScenarioMarketClosed:      {"Market closed", "rejects with market_closed (4004)"},
	gateway.ScenarioUserCancelled:     {"User cancels", "the user leaves after logging in: user_cancelled (1012)"},
	gateway.ScenarioConsentDenied:     {"Consent denied", "the user denies consent: consent_denied (1003)"},
	gateway.ScenarioUserMismatch:      {"Wrong broker account", "another account logs in: user_mismatch (1001)"},
	gateway.ScenarioExpired:           {"Transaction expires", "the transaction expires mid-journey: transaction_expired (1005)"},
}

func scenarioInfos() []scenarioInfo {
	var out []scenarioInfo
	for _, sc := range gateway.Scenarios() {
		t := scenarioText[sc]
		out = append(out, scenarioInfo{sc, t[0], t[1]})
	}
	return out
}

// orderScenarios are the scenarios that act on orders.
var orderScenarios = map[gateway.Scenario]bool{gateway.ScenarioPartialFill: true, gateway.ScenarioRejected: true,
	gateway.ScenarioInsufficientFunds: true, gateway.ScenarioMarketClosed: true}

// scenariosFor are the scenarios that apply to a transaction: the order
// scenarios only to a TRANSACTION that places orders, and partial_fill
// said to fill in full when no order has more than one share.
func scenariosFor(req gateway.TransactionRequest, plan []plannedOrder) []scenarioInfo {
	places := req.Intent == gateway.IntentTransaction && req.OrderConfig != nil && req.OrderConfig.Type != gateway.OrderReconciliation
	var out []scenarioInfo
	for _, si := range scenarioInfos() {
		if orderScenarios[si.Name] && !places {
			continue
		}
		if si.Name == gateway.ScenarioPartialFill {
			can := false
			for _, o := range plan {
				// A line the user chooses the quantity of may be partly filled.
				can = can || o.Qty > 1 || o.Qty == 0
			}
			if !can {
				si.Description = "every order is of 1 share, which cannot be partly filled: they fill in full"
			}
		}
		out = append(out, si)
	}
	return out
}

type initRequest struct {
	SDKToken string `json:"sdkToken"`
}

// handleSDKInit is POST /scdk/api/{gw}/init: it checks the token with the
// gateway secret (the secret never reaches the browser) and opens a session.
func (s *Server) handleSDKInit(w http.ResponseWriter, r *http.Request) {
	if e := s.checkGateway(r); e != nil {
		s.writeErr(w, e)
		return
	}
	var req initRequest
	if e := readJSON(w, r, &req); e != nil {
		s.writeErr(w, e)
		return
	}
	c, e := s.verifyToken(strings.TrimSpace(req.SDKToken))
	if e != nil {
		s.writeErr(w, e)
		return
	}
	now := s.now()
	ss := &session{key: s.newHex(16), origin: r.Header.Get("Origin"), authID: c.authID, last: now}
	s.mu.Lock()
	s.sessions[ss.key] = ss
	s.mu.Unlock()
	status := "GUEST"
	if !c.guest {
		status = "CONNECTED"
	}
	data := map[string]any{
		"sessionKey": ss.key, "status": status, "gateway": s.cfg.Gateway,
		"displayName": "gatewalk sandbox", "brokers": Brokers(), "scenarios": scenarioInfos(),
		"market": s.market(now), "markets": s.brokerMarkets(now),
	}
	if !c.guest {
		data["smallcaseAuthId"] = c.authID
		if ref, ok := s.accounts[c.authID]; ok {
			data["boundBroker"], data["boundAccount"] = ref.Broker.ID, ref.Account.ID
		}
	}
	s.writeData(w, http.StatusOK, data)
}

// sessionOf finds the caller's session by its X-SC-CSRF key.
func (s *Server) sessionOf(r *http.Request) (*session, *apiErr) {
	key := r.Header.Get("X-SC-CSRF")
	s.mu.Lock()
	defer s.mu.Unlock()
	ss, ok := s.sessions[key]
	if !ok || key == "" || subtle.ConstantTimeCompare([]byte(ss.origin), []byte(r.Header.Get("Origin"))) != 1 {
		return nil, fail(http.StatusUnauthorized, "init_sdk", "no SDK session: call new scDK({gateway, smallcaseAuthToken}) on this page first")
	}
	ss.last = s.now()
	return ss, nil
}

func (s *Server) handleSDKLogout(w http.ResponseWriter, r *http.Request) {
	ss, e := s.sessionOf(r)
	if e != nil {
		s.writeErr(w, e)
		return
	}
	s.mu.Lock()
	ss.broker, ss.account = "", ""
	s.mu.Unlock()
	s.writeData(w, http.StatusOK, map[string]bool{"loggedOut": true})
}

// transactionPreview is what the script shows before the user logs in.
type transactionPreview struct {
	TransactionID string               `json:"transactionId"`
	Intent        gateway.Intent       `json:"intent"`
	Status        gateway.Status       `json:"status"`
	ExpireAt      time.Time            `json:"expireAt"`
	Notes         string               `json:"notes,omitempty"`
	OrderConfig   *gateway.OrderConfig `json:"orderConfig,omitempty"`
	AssetConfig   *gateway.AssetConfig `json:"assetConfig,omitempty"`
	Orders        []plannedOrder       `json:"orders"`
	BoundBroker   string               `json:"boundBroker,omitempty"`
	BoundAccount  string               `json:"boundAccount,omitempty"`
	Market        marketState          `json:"market"`
	// Markets is the market of each leprechaun broker (the journey's is
	// the one of the broker the user chooses).
	Markets map[string]marketState `json:"markets"`
	// Scenarios are the sandbox scenarios that apply to this transaction.
	Scenarios []scenarioInfo `json:"scenarios"`
}

type stepRequest struct {
	Broker  string             `json:"broker"`
	Account string             `json:"account"`
	Outcome gateway.Scenario   `json:"outcome"`
	AMO     bool               `json:"amo,omitempty"`
	Market  MarketMode         `json:"market,omitempty"`
	Lines   []gateway.Security `json:"lines,omitempty"`
	// Stage, on cancel before a login, is where the user closed: "login"
	// after choosing a broker (1011), else the broker chooser (1010).
	Stage string `json:"stage,omitempty"`
}

func (r stepRequest) complete() CompleteRequest {
	return CompleteRequest{Broker: r.Broker, Account: r.Account, Outcome: r.Outcome, AMO: r.AMO, Market: r.Market, Lines: r.Lines}
}

// handleSDKStep is POST /scdk/api/{gw}/transactions/{id}/{open|login|complete|cancel}.
func (s *Server) handleSDKStep(w http.ResponseWriter, r *http.Request) {
	if e := s.checkGateway(r); e != nil {
		s.writeErr(w, e)
		return
	}
	ss, e := s.sessionOf(r)
	if e != nil {
		s.writeErr(w, e)
		return
	}
	var req stepRequest
	if e := readOptionalJSON(w, r, &req); e != nil {
		s.writeErr(w, e)
		return
	}
	id := r.PathValue("id")
	outcome := func(o gateway.SDKOutcome) { s.writeData(w, http.StatusOK, map[string]any{"outcome": o}) }
	// The web SDK's init errors carry no numeric code (the iOS SDK's is 3002).
	invalid := func() { outcome(*sdkFail(0, "invalid_transactionId", nil)) }
	switch r.PathValue("step") {
	case "open":
		var (
			view  transactionPreview
			early *gateway.SDKOutcome
		)
		found := s.store.with(id, s.now(), func(t *txn) {
			switch {
			case t.Status == gateway.StatusExpired && t.CompletedAt.IsZero():
				early = sdkFail(t.Err.Code, "transaction_expired", nil)
			case t.Status != gateway.StatusInitialized || t.running:
				early = sdkFail(0, "invalid_transactionId", nil)
			default:
				t.Status = gateway.StatusUsed
				view = transactionPreview{TransactionID: t.ID, Intent: t.Req.Intent, Status: t.Status, ExpireAt: t.ExpireAt,
					Notes: t.Req.Notes, OrderConfig: t.Req.OrderConfig, AssetConfig: t.Req.AssetConfig,
					Orders: planOrders(t.Req.OrderConfig)}
				view.Scenarios = scenariosFor(t.Req, view.Orders)
				bound := t.AuthID
				if bound == "" {
					bound = ss.authID
				}
				if ref, ok := s.accounts[bound]; ok {
					view.BoundBroker, view.BoundAccount = ref.Broker.ID, ref.Account.ID
				}
			}
		})
		switch {
		case !found:
			invalid()
		case early != nil:
			outcome(*early)
		default:
			if view.Orders == nil {
				view.Orders = []plannedOrder{}
			}
			view.Market = s.market(s.now())
			view.Markets = s.brokerMarkets(s.now())
			s.writeData(w, http.StatusOK, map[string]any{"transaction": view})
		}
	case "login":
		t, early, err := s.claim(id)
		switch {
		case err != nil:
			invalid()
			return
		case early != nil:
			outcome(*early)
			return
		}
		ref, err := s.resolveAccount(t.AuthID, req.Broker, req.Account)
		if err != nil {
			s.release(id)
			s.writeErr(w, fail(http.StatusBadRequest, etValidation, err.Error()))
			return
		}
		userID := AuthID(s.cfg.Gateway, ref.Broker.ID, ref.Account.ID)
		if bound := cmp.Or(t.AuthID, ss.authID); bound != "" && bound != userID {
			outcome(s.play(t, ref, CompleteRequest{Outcome: gateway.ScenarioUserMismatch}))
			return
		}
		s.release(id)
		s.mu.Lock()
		ss.broker, ss.account = ref.Broker.ID, ref.Account.ID
		s.mu.Unlock()
		s.writeData(w, http.StatusOK, map[string]any{"login": map[string]string{
			"broker": ref.Broker.ID, "account": ref.Account.ID, "name": ref.Account.Name, "smallcaseAuthId": userID}})
	case "complete":
		o, err := s.completeFor(id, req.complete(), ss.authID)
		s.stepResult(w, o, err, invalid)
	case "cancel":
		if req.Broker != "" {
			o, err := s.completeFor(id, CompleteRequest{Broker: req.Broker, Account: req.Account, Outcome: gateway.ScenarioUserCancelled}, ss.authID)
			s.stepResult(w, o, err, invalid)
			return
		}
		_, early, err := s.claim(id)
		switch {
		case err != nil:
			invalid()
		case early != nil:
			outcome(*early)
		default:
			// 1010: closed the broker chooser; 1011: closed after choosing
			// a broker, before logging in.
			code := 1010
			if req.Stage == "login" {
				code = 1011
			}
			s.finish(id, gateway.StatusCancelled, code, "user_cancelled", nil)
			outcome(*sdkFail(code, "user_cancelled", nil))
		}
	default:
		s.writeErr(w, fail(http.StatusNotFound, etNotFound, "unknown step "+r.PathValue("step")))
	}
}

func (s *Server) stepResult(w http.ResponseWriter, o gateway.SDKOutcome, err error, invalid func()) {
	switch {
	case err == nil:
		s.writeData(w, http.StatusOK, map[string]any{"outcome": o})
	case errors.Is(err, ErrBadRequest):
		s.writeErr(w, fail(http.StatusBadRequest, etValidation, err.Error()))
	default:
		invalid()
	}
}
