package tui

import (
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"gatewalk/session/flow"
)

func (f *flowView) handleKey(k tea.KeyMsg) tea.Cmd {
	km := f.km
	if dup := f.duplicate(); dup != nil && !f.running && !f.dupDeclined {
		switch {
		case key.Matches(k, km.Confirm):
			f.j.AllowDuplicate()
			f.follow = true
			f.recorded = false
			return tea.Batch(f.runNext(), f.spin.Tick)
		case key.Matches(k, km.Deny):
			f.dupDeclined = true
			f.refreshDetail()
			return setStatus("not saved: "+f.label+" and "+dup.Existing.Label+" stay one user; connect with another broker account to add a new one", statusInfo)
		}
	}
	switch {
	case key.Matches(k, km.Back):
		f.stop()
		return emit(navigatedBackMsg{})
	case key.Matches(k, km.Up):
		if f.sel > 0 {
			f.selectStep(f.sel - 1)
		}
		f.follow = false
		return nil
	case key.Matches(k, km.Down):
		if f.sel < len(f.steps)-1 {
			f.selectStep(f.sel + 1)
		}
		f.follow = false
		return nil
	case key.Matches(k, km.PageDown):
		f.detail.HalfPageDown()
		return nil
	case key.Matches(k, km.PageUp):
		f.detail.HalfPageUp()
		return nil
	case key.Matches(k, km.Copy):
		s := f.selected()
		if s == nil || len(s.Exchanges) == 0 {
			return setStatus("this step sent no HTTP request: select a create or fetch step", statusInfo)
		}
		f.curl = s.Exchanges[len(s.Exchanges)-1].Curl()
		f.refreshDetail()
		f.detail.GotoBottom()
		return copyCurlCmd(f.clip, f.curl)
	case key.Matches(k, km.Retry) && !f.running:
		fs := f.failed()
		if fs == nil || f.duplicate() != nil {
			return nil
		}
		p := f.problem(*fs)
		if p.Redo == "" {
			return setStatus("nothing to retry as is: "+p.Advice+" (esc goes back)", statusError)
		}
		return f.retry(p.Redo)
	case key.Matches(k, km.Fresh) && f.running:
		// During the SDK wait: give up this transaction for a fresh one.
		if s := f.runningStep(); s != nil && s.Kind == flow.AwaitSDK && f.step(flow.CreateTransaction) != nil && !f.freshAfter {
			f.freshAfter = true
			f.cancelStep()
			return setStatus("leaving this transaction: a fresh one is being created", statusInfo)
		}
		return nil
	case key.Matches(k, km.Fresh):
		if f.failed() == nil || f.step(flow.CreateTransaction) == nil || f.duplicate() != nil {
			return nil
		}
		return f.retry(flow.CreateTransaction)
	case f.finished && f.kind == flow.GuestLogin && key.Matches(k, km.Order):
		return emit(openOrderFormMsg{label: f.label})
	case f.finished && f.kind == flow.GuestLogin && key.Matches(k, km.Import):
		return emit(openImportFormMsg{label: f.label})
	case f.finished && f.kind == flow.HoldingsImport && key.Matches(k, km.Holdings):
		if s := f.step(flow.FetchHoldings); s != nil && s.Holdings != nil {
			return emit(holdingsFetchedMsg{label: f.label, h: s.Holdings})
		}
	}
	f.refreshDetail()
	return nil
}

func (f *flowView) retry(k flow.StepKind) tea.Cmd {
	f.j.RetryFrom(k)
	f.follow = true
	f.curl = ""
	f.events = nil
	f.tabClosed, f.dupDeclined = false, false
	f.freshAfter = false
	if f.recorded {
		f.attempt++
	}
	f.recorded = false
	return tea.Batch(f.runNext(), f.spin.Tick)
}

func (f *flowView) selected() *flow.Step {
	if f.sel < 0 || f.sel >= len(f.steps) {
		return nil
	}
	return &f.steps[f.sel]
}

// countdown is the time left on the live transaction while it matters.
func (f *flowView) countdown() (time.Duration, bool) {
	if !f.timerOn {
		return 0, false
	}
	return f.timer.Timeout, true
}
