package sandbox

import "time"

// ist is India Standard Time (no daylight saving).
var ist = time.FixedZone("IST", 5*3600+1800)

// marketState is the simulated market at t: open, or closed with or
// without the after-market-order window.
type marketState struct {
	Mode MarketMode `json:"mode"`
	Open bool       `json:"marketOpen"`
	AMO  bool       `json:"amoActive"`
}

func (s *Server) market(t time.Time) marketState {
	st := marketState{Mode: s.cfg.Market}
	switch s.cfg.Market {
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
