package tui

import (
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"gatewalk/gateway"
	"gatewalk/session"
)

// autoChosenMsg asks the root to switch the auto-answer.
type autoChosenMsg struct{ a AutoAnswer }

// autoRow is one choice of the auto-answer chooser: off, or an account.
type autoRow struct {
	broker, account, name string
	users                 []string // local users connected to this account
}

// autoChooser picks how the sandbox answers the SDK step: off (the
// browser), or the outcome and the test account a guest login connects,
// with the accounts local users already hold marked, since connecting one
// of them again is a duplicate.
type autoChooser struct {
	st   *Styles
	km   *KeyMap
	w, h int

	rows     []autoRow // rows[0] is "off"
	cursor   int
	offset   int
	scenario int // index in gateway.Scenarios()
}

func newAutoChooser(st *Styles, km *KeyMap, accts []gateway.TestAccount, users []session.User, cur AutoAnswer) *autoChooser {
	c := &autoChooser{st: st, km: km, rows: []autoRow{{}}}
	byID := map[string][]string{}
	for _, u := range users {
		byID[u.SmallcaseAuthID] = append(byID[u.SmallcaseAuthID], u.Label)
	}
	for _, a := range accts {
		c.rows = append(c.rows, autoRow{broker: a.Broker, account: a.Account, name: a.Name, users: byID[a.SmallcaseAuthID]})
	}
	for i, s := range gateway.Scenarios() {
		if s == cur.Scenario {
			c.scenario = i
		}
	}
	// Start on the current account, else on the first one no local user
	// holds, so that a new guest login adds a new user.
	c.cursor = -1
	for i, r := range c.rows[1:] {
		if cur.On() && r.broker == cur.Broker && r.account == cur.Account {
			c.cursor = i + 1
		}
	}
	for i, r := range c.rows[1:] {
		if c.cursor < 0 && len(r.users) == 0 {
			c.cursor = i + 1
		}
	}
	if c.cursor < 0 {
		c.cursor = 1
	}
	return c
}

// freeAccount is the first sandbox test account no local user holds (""
// when every one is taken), so that a guest login answered by the sandbox
// adds a new user rather than a duplicate.
func freeAccount(accts []gateway.TestAccount, users []session.User) (broker, account string) {
	held := map[string]bool{}
	for _, u := range users {
		held[u.SmallcaseAuthID] = true
	}
	for _, a := range accts {
		if !held[a.SmallcaseAuthID] {
			return a.Broker, a.Account
		}
	}
	return "", ""
}

func (c *autoChooser) SetSize(w, h int) { c.w, c.h = w, h; c.scroll() }
func (c *autoChooser) capturing() bool  { return false }

func (c *autoChooser) ShortHelp() []key.Binding {
	return []key.Binding{c.km.Up, c.km.Down, anyOf("←/→", "outcome", c.km.Left, c.km.Right),
		anyOf("enter", "choose", c.km.Enter), c.km.Back}
}

func (c *autoChooser) FullHelp() [][]key.Binding { return [][]key.Binding{c.ShortHelp()} }

// head is what the view shows above the list.
func (c *autoChooser) head() []string {
	st := c.st
	lines := []string{st.Title.Render("Auto-answer")}
	lines = append(lines, wrap("The sandbox answers the SDK step itself after a short pause, without a browser. "+
		"A guest login connects the account chosen here; orders and imports log in as the user's own account.", c.w)...)
	lines = append(lines, "",
		st.Label.Render("outcome ")+"‹ "+st.Strong.Render(string(gateway.Scenarios()[c.scenario]))+" ›"+st.Subtle.Render("  (←/→ changes it)"),
		"", st.TableHead.Render(pad("    "+c.row("BROKER", "ACCOUNT", "NAME", "CONNECTED AS"), c.w)))
	return lines
}

// autoColumnGap is the blank between two columns of the chooser.
const autoColumnGap = 2

// columns are the widths of the broker, account and name columns: as wide
// as their longest value (capped, a longer one is cut with an ellipsis),
// each followed by a gap, so that no two columns run together.
func (c *autoChooser) columns() [3]int {
	w := [3]int{len("BROKER"), len("ACCOUNT"), len("NAME")}
	for _, r := range c.rows {
		for i, v := range []string{r.broker, r.account, r.name} {
			w[i] = max(w[i], ansi.StringWidth(v))
		}
	}
	for i, limit := range [3]int{24, 12, 20} {
		w[i] = min(w[i], limit)
	}
	return w
}

// row lays out one line of the list (without the cursor's four cells):
// the columns, then who is connected as the account, cut to the width.
func (c *autoChooser) row(broker, account, name, used string) string {
	w := c.columns()
	gap := strings.Repeat(" ", autoColumnGap)
	line := pad(broker, w[0]) + gap + pad(account, w[1]) + gap + pad(name, w[2])
	if used == "" {
		return line
	}
	return line + gap + ansi.Truncate(used, max(c.w-4-ansi.StringWidth(line)-autoColumnGap, 1), "…")
}

func (c *autoChooser) visible() int { return max(c.h-len(c.head()), 3) }

func (c *autoChooser) scroll() {
	n := c.visible()
	if c.cursor < c.offset {
		c.offset = c.cursor
	}
	if c.cursor >= c.offset+n {
		c.offset = c.cursor - n + 1
	}
}

func (c *autoChooser) chosen() AutoAnswer {
	r := c.rows[c.cursor]
	if r.broker == "" {
		return AutoAnswer{}
	}
	return AutoAnswer{Scenario: gateway.Scenarios()[c.scenario], Broker: r.broker, Account: r.account}
}

func (c *autoChooser) Update(msg tea.Msg) (screen, tea.Cmd) {
	k, ok := msg.(tea.KeyMsg)
	if !ok {
		return c, nil
	}
	if cur, moved := moveCursor(c.km, k, c.cursor, len(c.rows)); moved {
		c.cursor = cur
		c.scroll()
		return c, nil
	}
	n := len(gateway.Scenarios())
	switch {
	case key.Matches(k, c.km.Left):
		c.scenario = (c.scenario + n - 1) % n
	case key.Matches(k, c.km.Right):
		c.scenario = (c.scenario + 1) % n
	case key.Matches(k, c.km.Enter):
		return c, emit(autoChosenMsg{c.chosen()})
	}
	c.scroll()
	return c, nil
}

func (c *autoChooser) View() string {
	st := c.st
	lines := c.head()
	end := min(c.offset+c.visible(), len(c.rows))
	for i := c.offset; i < end; i++ {
		r := c.rows[i]
		text := "off: the SDK step runs in the browser"
		if r.broker != "" {
			used := ""
			if len(r.users) > 0 {
				used = strings.Join(r.users, ", ") + " (a guest login would be a duplicate)"
			}
			text = c.row(r.broker, r.account, r.name, used)
		}
		cursor := "    "
		if i == c.cursor {
			cursor = "  " + st.Cursor.Render("›") + " "
			text = st.Selected.Render(text)
		} else if len(r.users) > 0 {
			text = st.Subtle.Render(text)
		}
		lines = append(lines, cursor+text)
	}
	return strings.Join(lines, "\n")
}

// testAccounts are the sandbox's test accounts on the profile in use, from
// the runner (nil when there is none).
func (m *Model) testAccounts() []gateway.TestAccount {
	if m.runner == nil {
		return nil
	}
	return m.runner.TestAccounts()
}
