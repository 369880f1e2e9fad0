package sandbox

import (
	"strings"
	"time"
)

// ist is India Standard Time (no daylight saving).
var ist = time.FixedZone("IST", 5*3600+1800)

// marketState is the simulated market at t: open, or closed with or
// without the after-market-order window.
type marketState struct {
	Mode MarketMode `json:"mode"`
	Open bool       `json:"marketOpen"`
	AMO  bool       `json:"amoActive"`
}

// market is the simulated market at t of the brokers SetMarkets does not
// name.
func (s *Server) market(t time.Time) marketState { return s.marketOf("", t) }

// marketOf is the simulated market of a broker at t.
func (s *Server) marketOf(broker string, t time.Time) marketState {
	s.mktMu.RLock()
	mode := s.mkts.Default
	if m, ok := s.mkts.Brokers[strings.TrimSuffix(strings.ToLower(broker), "-leprechaun")]; ok {
		mode = m
	}
	s.mktMu.RUnlock()
	return modeState(mode, t)
}

// brokerMarkets is the market of each leprechaun broker at t, by broker id.
func (s *Server) brokerMarkets(t time.Time) map[string]marketState {
	out := map[string]marketState{}
	for _, b := range Brokers() {
		if b.Testable() {
			out[b.ID] = s.marketOf(b.ID, t)
		}
	}
	return out
}

func modeState(mode MarketMode, t time.Time) marketState {
	st := marketState{Mode: mode}
	switch mode {
	case MarketOpen:
		st.Open = true
	case MarketAMO:
		st.AMO = true
	case MarketClosed:
	default: // auto
		st.Open, st.AMO = nseHours(t)
	}
	return st
}

// nseHours models NSE cash-market hours in IST: open 09:15-15:30 Monday to
// Friday; closed 15:30-16:00 and 08:59-09:15; AMO window otherwise,
// weekends included. Exchange holidays are not modelled.
func nseHours(t time.Time) (open, amo bool) {
	l := t.In(ist)
	if wd := l.Weekday(); wd == time.Saturday || wd == time.Sunday {
		return false, true
	}
	m := l.Hour()*60 + l.Minute()
	switch {
	case m >= 9*60+15 && m < 15*60+30:
		return true, false
	case m >= 15*60+30 && m < 16*60, m >= 8*60+59 && m < 9*60+15:
		return false, false
	}
	return false, true
}
