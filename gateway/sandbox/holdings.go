package sandbox

import (
	"math"
	"time"

	"gatewalk/gateway"
)

// livePortfolio returns the account's live portfolio, creating the demo one
// on first use. The caller holds s.mu.
func (s *Server) livePortfolio(authID string, ref accountRef) *portfolio {
	p, ok := s.live[authID]
	if !ok {
		p = demoPortfolio(ref.Broker.ID, ref.Account.ID)
		s.live[authID] = p
	}
	return p
}

// snapshotOf returns the holdings the Gateway would answer with: those of
// the last import, or the demo portfolio as of the sandbox's start.
func (s *Server) snapshotOf(authID string, ref accountRef) snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	sn, ok := s.snaps[authID]
	if !ok {
		sn = &snapshot{p: s.livePortfolio(authID, ref).clone(), at: s.startedAt}
		s.snaps[authID] = sn
	}
	return snapshot{p: sn.p.clone(), at: sn.at, notes: sn.notes}
}

// importHoldings records a holdings import: the snapshot becomes the live
// portfolio. The caller holds s.mu.
func (s *Server) importHoldings(authID string, ref accountRef, now time.Time, notes string) snapshot {
	sn := &snapshot{p: s.livePortfolio(authID, ref).clone(), at: now, notes: notes}
	s.snaps[authID] = sn
	return snapshot{p: sn.p.clone(), at: now, notes: notes}
}

func stamp(t time.Time) string {
	return t.UTC().Truncate(time.Millisecond).Format("2006-01-02T15:04:05.000Z")
}

func mfBlock(sn snapshot) *gateway.MFBlock {
	b := &gateway.MFBlock{Holdings: []gateway.MFHolding{}}
	date := sn.at.UTC().Format("2006-01-02")
	for _, f := range sn.p.Folios {
		value := f.Units * f.Fund.NAV
		pnl := round2(value - f.Invested)
		// A rough annualised return over a demo holding period of three years.
		xirr := 0.0
		if f.Invested > 0 {
			xirr = round2((math.Pow(value/f.Invested, 1.0/3) - 1) * 100)
		}
		b.Holdings = append(b.Holdings, gateway.MFHolding{
			Folio: f.Folio, Fund: f.Fund.Name, ISIN: f.Fund.ISIN, Quantity: f.Units,
			AveragePrice: f.AvgNAV, LastPrice: f.Fund.NAV, LastPriceDate: date, PNL: pnl, XIRR: xirr,
		})
	}
	return b
}

// holdingsV1 renders a snapshot as the v1 holdings document.
func holdingsV1(authID, broker string, sn snapshot, mf bool) gateway.HoldingsV1 {
	var h gateway.HoldingsV1
	h.SmallcaseAuthID = authID
	h.Broker = broker
	h.LastUpdate = stamp(sn.at)
	h.SnapshotDate = stamp(sn.at)
	h.Notes = sn.notes
	h.Securities.Holdings = []gateway.HoldingV1{}
	for _, p := range sn.p.sortedPositions() {
		in := lookupInstrument(p.Ticker)
		h.Securities.Holdings = append(h.Securities.Holdings, gateway.HoldingV1{
			Name: in.Name, Exchange: p.Exchange, Ticker: p.Ticker, AveragePrice: p.AvgPrice, Shares: p.Quantity,
		})
	}
	h.Smallcases.Public = []gateway.SmallcaseHolding{}
	h.Smallcases.Private = []gateway.SmallcaseHolding{}
	if mf {
		h.MutualFunds = mfBlock(sn)
	}
	return h
}

// holdingsV2 renders a snapshot as the v2 holdings document.
func holdingsV2(authID, broker string, sn snapshot, mf bool) gateway.HoldingsV2 {
	var h gateway.HoldingsV2
	h.SmallcaseAuthID = authID
	h.Broker = broker
	h.LastUpdate = stamp(sn.at)
	h.SnapshotDate = stamp(sn.at)
	h.Notes = sn.notes
	h.Securities = []gateway.HoldingV2{}
	for _, p := range sn.p.sortedPositions() {
		in := lookupInstrument(p.Ticker)
		v := gateway.HoldingV2{
			Name: in.Name, ISIN: in.ISIN, NSETicker: p.Ticker, BSETicker: p.Ticker,
			TransactableQuantity: p.Quantity,
			Holdings:             gateway.QtyPrice{Quantity: p.Quantity, AveragePrice: p.AvgPrice},
		}
		if p.Exchange == exBSE {
			v.Positions.BSE = v.Holdings
		} else {
			v.Positions.NSE = v.Holdings
		}
		h.Securities = append(h.Securities, v)
	}
	h.Smallcases.Public = []gateway.SmallcaseHolding{}
	h.Smallcases.PrivateV2.Investments = []gateway.SmallcaseHolding{}
	if mf {
		h.MutualFunds = mfBlock(sn)
	}
	return h
}
