package tui

import (
	"testing"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"gatewalk/gateway"
	"gatewalk/session/bridge"
	"gatewalk/session/flow"
)

func isTick(d time.Duration) func(scheduledMsg) bool {
	return func(s scheduledMsg) bool { return s.fire != nil && s.after == d }
}

func isWait(s scheduledMsg) bool      { return s.wait != nil }
func isAnimation(s scheduledMsg) bool { return s.animation != nil }

func TestStatusLineClearsItself(t *testing.T) {
	hs := newHarness(t, 80, 24)
	hs.key("D") // demo mode: …
	hs.key("D") // demo mode off
	if n := hs.count(isTick(statusTTL)); n != 2 {
		t.Fatalf("%d status expiries scheduled, want one per status line", n)
	}
	// The first line's expiry comes while the second shows: it stays.
	hs.fire(statusTTL, testNow.Add(statusTTL))
	mustContain(t, plain(hs.view()), "demo mode off")
	hs.fire(statusTTL, testNow.Add(statusTTL+time.Millisecond))
	if hs.m.status != "" {
		t.Fatalf("the status line stays after its time: %q", hs.m.status)
	}
}

func TestClockTicksEverySecond(t *testing.T) {
	hs := newHarness(t, 120, 40)
	if n := hs.count(isTick(time.Second)); n != 1 {
		t.Fatalf("%d clock ticks scheduled after Init, want 1", n)
	}
	hs.withUsers()
	hs.key("o") // a screen above home: every screen gets the time
	later := testNow.Add(90 * time.Second)
	hs.fire(time.Second, later)
	if !hs.m.now.Equal(later) || !hs.m.home.now.Equal(later) {
		t.Fatalf("after the tick: root %v, home %v, want %v", hs.m.now, hs.m.home.now, later)
	}
	if n := hs.count(isTick(time.Second)); n != 1 {
		t.Fatalf("%d clock ticks scheduled after a tick, want the next one", n)
	}
}

func TestJourneyEventsArriveThroughTheChannel(t *testing.T) {
	hs := newHarness(t, 120, 40)
	j := newFakeJourney(guestSteps...).on(flow.CreateTransaction, created).on(flow.OpenBrowser, browserOpened).waiting(flow.AwaitSDK)
	hs.startGuest("erin", j)
	if n := hs.count(isWait); n != 1 {
		t.Fatalf("%d waits for the browser page, want 1", n)
	}
	if n := hs.count(isAnimation); n != 1 {
		t.Fatalf("%d component ticks kept, want the countdown's first", n)
	}
	j.events <- bridge.JourneyEvent{Kind: bridge.JourneySDKLoaded, At: testNow}
	hs.listen()
	mustContain(t, plain(hs.view()), "browser: SDK loaded")
	if n := hs.count(isWait); n != 1 {
		t.Fatalf("%d waits after an event, want the next read", n)
	}
	// The page is gone (its channel closed): nothing more to read.
	j.Close()
	hs.listen()
	if n := hs.count(isWait); n != 0 {
		t.Fatalf("%d waits on a closed page", n)
	}
}

func TestTeaSchedulerPassesCommandsThrough(t *testing.T) {
	type doneMsg struct{}
	cmd := emit(doneMsg{})
	var s scheduler = teaScheduler{}
	for name, c := range map[string]tea.Cmd{"wait": s.wait(cmd), "animate": s.animate(cmd)} {
		if c == nil || c() != (doneMsg{}) {
			t.Errorf("%s changed the command", name)
		}
	}
	if s.wait(nil) != nil || s.animate(nil) != nil {
		t.Error("no command became one")
	}
}

// swapScreen is a screen whose Update returns next, when set.
type swapScreen struct {
	name string
	next screen
}

func (s *swapScreen) Update(tea.Msg) (screen, tea.Cmd) {
	if s.next != nil {
		return s.next, nil
	}
	return s, nil
}
func (s *swapScreen) View() string              { return s.name }
func (s *swapScreen) SetSize(int, int)          {}
func (s *swapScreen) ShortHelp() []key.Binding  { return nil }
func (s *swapScreen) FullHelp() [][]key.Binding { return nil }
func (s *swapScreen) capturing() bool           { return false }

func TestRootKeepsTheScreenUpdateReturns(t *testing.T) {
	type unknownMsg struct{}
	steps := []struct {
		name string
		send func(hs *harness)
	}{
		{"a key", func(hs *harness) { hs.key("z") }},
		{"a result for the active screen", func(hs *harness) { hs.send(unknownMsg{}) }},
		{"the clock", func(hs *harness) { hs.fire(time.Second, testNow.Add(time.Second)) }},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			hs := newHarness(t, 80, 24)
			after := &swapScreen{name: "after"}
			hs.m.push(&swapScreen{name: "before", next: after})
			st.send(hs)
			if hs.m.active() != screen(after) {
				t.Fatalf("the active screen is %q, not the one its Update returned", hs.m.active().View())
			}
		})
	}
}

// helpHas reports whether a help lists the key k.
func helpHas(groups [][]key.Binding, k string) bool {
	for _, g := range groups {
		for _, b := range g {
			for _, bk := range b.Keys() {
				if bk == k {
					return true
				}
			}
		}
	}
	return false
}

// formKey is a key press by its binding's name (" " for space).
func formKey(k string) tea.KeyMsg {
	if k == " " {
		return keyMsg("space")
	}
	return keyMsg(k)
}

// TestFormKeysInTheirHelp presses, in each form, the keys that change a
// choice or move without tab: each does its job and is in the form's help.
func TestFormKeysInTheirHelp(t *testing.T) {
	st, km := NewStyles(true), DefaultKeyMap()
	cases := []struct {
		name string
		keys []string
		// open is the form in the state the keys act on; changed tells
		// whether a key did its job.
		open    func() screen
		changed func(before, after screen) bool
	}{
		{"import option", []string{" ", "x", "left", "right"},
			func() screen { return newImportForm(st, &km, "alice") },
			func(b, a screen) bool { return b.(*importForm).opt != a.(*importForm).opt }},
		{"order row side", []string{" ", "left", "right", "b", "s"},
			func() screen {
				f := newOrderForm(st, &km, "alice")
				f.col = 2
				return f
			},
			func(b, a screen) bool { return b.(*orderForm).rows[0].side != a.(*orderForm).rows[0].side }},
		{"order rows", []string{"up", "down"},
			func() screen {
				f := newOrderForm(st, &km, "alice")
				f.addRow(gateway.Buy)
				f.addRow(gateway.Buy)
				f.row = 1
				return f
			},
			func(b, a screen) bool { return b.(*orderForm).row != a.(*orderForm).row }},
		{"smallcase type", []string{" ", "left", "right"},
			func() screen {
				f := newOrderForm(st, &km, "alice")
				f.smallcase = true
				return f
			},
			func(b, a screen) bool { return b.(*orderForm).scType != a.(*orderForm).scType }},
		{"smallcase fields", []string{"up", "down"},
			func() screen {
				f := newOrderForm(st, &km, "alice")
				f.smallcase = true
				return f
			},
			func(b, a screen) bool { return b.(*orderForm).scField != a.(*orderForm).scField }},
		{"profile environment", []string{" ", "left", "right"},
			func() screen { return profileFormAt(st, &km, pfEnv) },
			func(b, a screen) bool { return b.(*profileView).env != a.(*profileView).env }},
		{"profile box", []string{" ", "x", "left", "right"},
			func() screen { return profileFormAt(st, &km, pfLeprechaun) },
			func(b, a screen) bool { return b.(*profileView).lep != a.(*profileView).lep }},
		{"profile fields", []string{"up", "down"},
			func() screen { return profileFormAt(st, &km, pfGateway) },
			func(b, a screen) bool { return b.(*profileView).field != a.(*profileView).field }},
	}
	for _, c := range cases {
		for _, k := range c.keys {
			before, s := c.open(), c.open()
			s, _ = s.Update(formKey(k))
			if !c.changed(before, s) {
				t.Errorf("%s: %q did nothing", c.name, k)
			}
			if !helpHas(s.FullHelp(), k) && !helpHas([][]key.Binding{s.ShortHelp()}, k) {
				t.Errorf("%s: %q is not in the help", c.name, k)
			}
		}
	}
	// x is no side key: it changes nothing in the SIDE column.
	f := newOrderForm(st, &km, "alice")
	f.col = 2
	s, _ := f.Update(formKey("x"))
	if s.(*orderForm).rows[0].side != gateway.Buy {
		t.Error("x turned the side")
	}
}

// profileFormAt is the profile view editing a new profile, field i
// focused.
func profileFormAt(st *Styles, km *KeyMap, i int) *profileView {
	v := newProfileView(st, km, newFakeStore(), "sandbox", false)
	v.SetSize(100, 30)
	v.openForm(newFakeStore().profiles[1], false)
	v.field = i
	v.focus()
	return v
}
