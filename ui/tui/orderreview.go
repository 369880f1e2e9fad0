package tui

import (
	"strconv"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"gatewalk/gateway"
	"gatewalk/session"
	"gatewalk/ui/present"
)

// orderConfirmedMsg says the operator placed the reviewed order. The root
// creates it only on the connection it was reviewed on (gen).
type orderConfirmedMsg struct {
	label string
	oc    gateway.OrderConfig
	gen   int
}

// reviewInfo is who places a reviewed order, and where.
type reviewInfo struct {
	label, broker string
	profile       session.Profile
	auto          AutoAnswer
	// gen is the connection's generation (ConnectOptions.Generation).
	gen int
}

// orderReview shows an order exactly as it will be sent (its lines, who
// places it with which broker, on which profile and environment, and who
// answers the SDK step) before anything is created, and waits for enter.
// esc goes back to the form under it, which keeps what was typed. On
// production it says, in a panel that cannot be missed, that the orders
// are real.
type orderReview struct {
	st   *Styles
	km   *KeyMap
	w, h int

	info reviewInfo
	oc   gateway.OrderConfig
	// lines are the order's lines as sent; offset is the first one drawn
	// when they do not all fit.
	lines  []string
	offset int
	// placed is set by the first enter: a second one (a double press, or
	// a key typed ahead) must not create a second transaction.
	placed bool
}

func newOrderReview(st *Styles, km *KeyMap, info reviewInfo, oc gateway.OrderConfig) *orderReview {
	return &orderReview{st: st, km: km, info: info, oc: oc, lines: present.OrderLines(oc)}
}

func (r *orderReview) SetSize(w, h int) { r.w, r.h = w, h }
func (r *orderReview) capturing() bool  { return false }

func (r *orderReview) ShortHelp() []key.Binding {
	if r.overflows() {
		return []key.Binding{r.km.PlaceOrder, r.km.EditOrder, r.km.Up, r.km.Down}
	}
	return []key.Binding{r.km.PlaceOrder, r.km.EditOrder}
}

func (r *orderReview) FullHelp() [][]key.Binding {
	return [][]key.Binding{{r.km.PlaceOrder, r.km.EditOrder}, {r.km.Up, r.km.Down}}
}

func (r *orderReview) Update(msg tea.Msg) (screen, tea.Cmd) {
	k, ok := msg.(tea.KeyMsg)
	if !ok {
		return r, nil
	}
	switch {
	case key.Matches(k, r.km.PlaceOrder):
		if r.placed {
			return r, nil
		}
		r.placed = true
		return r, emit(orderConfirmedMsg{label: r.info.label, oc: r.oc, gen: r.info.gen})
	case key.Matches(k, r.km.EditOrder):
		return r, emit(navigatedBackMsg{})
	case key.Matches(k, r.km.Up):
		r.offset = max(r.offset-1, 0)
	case key.Matches(k, r.km.Down):
		r.offset = min(r.offset+1, max(len(r.lines)-r.room(), 0))
	}
	return r, nil
}

// head is what is drawn above the order's lines: the title, the
// production warning, and who places the order where.
func (r *orderReview) head() []string {
	st, p := r.st, r.info.profile
	out := []string{st.Title.Render("Review the order") + st.Subtle.Render("  for "+present.SafeLine(r.info.label)+": nothing has been sent yet"), ""}
	if p.Env == gateway.EnvProduction {
		inner := max(r.w-4, 20)
		warn := wrap("PRODUCTION: these are REAL orders in a real broker account. enter places them for real.", inner)
		out = append(out, strings.Split(st.ErrorPanel.Render(st.ErrorTitle.Render(strings.Join(warn, "\n"))), "\n")...)
		out = append(out, "")
	}
	badge := envBadge(st, p)
	if p.Env == gateway.EnvProduction {
		// Leprechaun mode or not, the gateway is production's.
		badge = st.BadgeProduction.Render("PRODUCTION")
	}
	profile := badge + " " + present.SafeLine(p.Name)
	if p.Gateway != "" {
		profile += st.Subtle.Render(" · gateway ") + present.SafeLine(p.Gateway)
	}
	if p.Leprechaun {
		profile += st.Subtle.Render(" · leprechaun mode")
	}
	broker := present.SafeLine(r.info.broker)
	if broker == "" {
		broker = st.Subtle.Render("not recorded for this user")
	}
	sdk := "answered by you, in the browser"
	if r.info.auto.On() {
		sdk = "answered by the sandbox itself: " + string(r.info.auto.Scenario) + " (auto-answer)"
	}
	field := func(name, value string) string { return "  " + st.Label.Render(pad(name, 10)) + value }
	// The badge's own padding is blank in plain text: its word, not its
	// background, starts where the other values do.
	lead := len(ansi.Strip(badge)) - len(strings.TrimLeft(ansi.Strip(badge), " "))
	out = append(out,
		"  "+st.Label.Render(pad("profile", 10-lead))+profile,
		field("user", st.Strong.Render(present.SafeLine(r.info.label))),
		field("broker", broker),
		field("SDK step", sdk),
		"")
	return append(out, "  "+st.TableHead.Render("Sent as")+st.Subtle.Render("  "+string(gateway.IntentTransaction)+" · "+string(r.oc.Type)+" · "+r.count()))
}

// count says how many lines the order has, and of which side.
func (r *orderReview) count() string {
	if len(r.oc.Securities) == 0 {
		return "a smallcase order"
	}
	buy, sell, open := 0, 0, 0
	for _, s := range r.oc.Securities {
		switch s.Type {
		case gateway.Sell:
			sell++
		case gateway.Buy:
			buy++
		default:
			open++
		}
	}
	sides := strconv.Itoa(buy) + " BUY, " + strconv.Itoa(sell) + " SELL"
	if open > 0 {
		sides += ", " + strconv.Itoa(open) + " side chosen in the SDK"
	}
	return pluralize(len(r.oc.Securities), "line", "lines") + " (" + sides + ")"
}

// foot is what is drawn under the lines: what enter and esc do.
func (r *orderReview) foot() []string {
	text := "enter places the order: gatewalk mints a connected token for " + r.info.label + " and creates the transaction. esc goes back to the form."
	return wrap(present.SafeLine(text), r.w)
}

// room is how many of the order's lines fit.
func (r *orderReview) room() int {
	return max(r.h-len(r.head())-len(r.foot())-1, 1)
}

func (r *orderReview) overflows() bool { return len(r.lines) > r.room() }

func (r *orderReview) View() string {
	st := r.st
	out := r.head()
	room := r.room()
	r.offset = min(r.offset, max(len(r.lines)-room, 0))
	end := min(r.offset+room, len(r.lines))
	for _, l := range r.lines[r.offset:end] {
		out = append(out, "    "+st.Strong.Render(l))
	}
	switch {
	case r.overflows():
		out = append(out, st.Warn.Render("    lines "+strconv.Itoa(r.offset+1)+"–"+strconv.Itoa(end)+" of "+strconv.Itoa(len(r.lines))+": ↑/↓ shows the others"))
	default:
		out = append(out, "")
	}
	for _, l := range r.foot() {
		out = append(out, st.Subtle.Render(l))
	}
	return fitLines(strings.Join(out, "\n"), r.h)
}
