package tui

import (
	"bytes"
	"encoding/json"
	"sort"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"gatewalk/gateway"
	"gatewalk/ui/present"
)

// tokenView is the token inspector: paste a JWT, see its header, payload,
// kind, a live expiry countdown and whether the profile secret signed it.
type tokenView struct {
	st     *Styles
	km     *KeyMap
	w, h   int
	secret string
	demo   bool
	now    time.Time

	input textinput.Model
	info  *gateway.TokenInfo
	err   error
}

func newTokenView(st *Styles, km *KeyMap, secret string, now time.Time, demo bool) *tokenView {
	v := &tokenView{st: st, km: km, secret: secret, now: now, demo: demo}
	v.input = st.newInput()
	v.input.Prompt = "JWT › "
	v.input.Placeholder = "paste a smallcaseAuthToken (eyJ...)"
	v.input.CharLimit = 8192
	v.input.Focus()
	return v
}

func (v *tokenView) SetSize(w, h int) { v.w, v.h = w, h; v.input.Width = w - 8 }
func (v *tokenView) capturing() bool  { return true }

func (v *tokenView) ShortHelp() []key.Binding { return []key.Binding{v.km.Back} }
func (v *tokenView) FullHelp() [][]key.Binding {
	return [][]key.Binding{{v.km.Back}}
}

// setToken decodes and checks t against the profile secret at v.now.
func (v *tokenView) setToken(t string) {
	v.input.SetValue(t)
	v.decode()
}

func (v *tokenView) decode() {
	t := strings.TrimSpace(v.input.Value())
	v.info, v.err = nil, nil
	if t == "" {
		return
	}
	if v.secret == "" {
		v.info, v.err = gateway.InspectToken(t, v.now)
		return
	}
	v.info, v.err = gateway.VerifyToken(t, v.secret, v.now)
}

func (v *tokenView) Update(msg tea.Msg) (screen, tea.Cmd) {
	switch msg := msg.(type) {
	case clockTickedMsg:
		v.now = msg.now
		return v, nil
	case tea.KeyMsg:
		if key.Matches(msg, v.km.Back) {
			return v, emit(navigatedBackMsg{})
		}
	}
	var cmd tea.Cmd
	before := v.input.Value()
	v.input, cmd = v.input.Update(msg)
	if v.input.Value() != before {
		v.decode()
	}
	return v, cmd
}

func (v *tokenView) View() string {
	st := v.st
	var b strings.Builder
	b.WriteString(st.Title.Render("Token inspector") + st.Subtle.Render("  decode a JWT, check it with this profile's secret") + "\n\n")
	in := v.input
	if v.demo {
		// A pasted token is a credential: in demo mode the field shows
		// one dot per character, like a secret.
		in.EchoMode = textinput.EchoPassword
		in.EchoCharacter = '•'
	}
	b.WriteString(in.View() + "\n\n")
	if v.info == nil && v.err == nil {
		for _, l := range wrap(`A guest token is {"guest":true,"exp":…}; a connected token is {"smallcaseAuthId":"…","exp":…}. Both are HS256 JWTs signed with the gateway secret and should expire soon after they are minted.`, v.w) {
			b.WriteString(st.Subtle.Render(l) + "\n")
		}
		return b.String()
	}
	if v.info == nil {
		b.WriteString(st.InlineErr.Render("Cannot decode: "+present.SafeLine(v.err.Error())) + "\n")
		b.WriteString(st.Subtle.Render("A JWT is three base64url parts separated by dots: header.payload.signature."))
		return b.String()
	}
	b.WriteString(tokenSummary(st, v.info, v.err, v.now, v.demo, v.secret != ""))
	b.WriteString("\n" + st.Label.Render("header  ") + claimsJSON(v.info.RawHeader, v.info.Header, v.demo) + "\n")
	b.WriteString(st.Label.Render("payload ") + claimsJSON(v.info.RawPayload, v.info.Payload, v.demo) + "\n")
	return fitLines(b.String(), v.h)
}

// tokenSummary renders the shared description of a decoded token (kind,
// expiry with a countdown, issue time, signature verdict) in the TUI's
// styles.
func tokenSummary(st *Styles, info *gateway.TokenInfo, verr error, now time.Time, demo, checked bool) string {
	var b strings.Builder
	for _, f := range present.TokenFacts(info, verr, now, demo, checked, "this profile's secret") {
		label := f.Label + " "
		if len(label) < 8 {
			label += strings.Repeat(" ", 8-len(label))
		}
		text, note := present.SafeLine(f.Text), present.SafeLine(f.Note)
		sep := "  "
		if f.Label == "signature" {
			sep = " "
		}
		switch f.Label {
		case "kind":
			if note != "" {
				text += sep + "(" + note + ")"
			}
			b.WriteString(st.Label.Render(label) + st.Strong.Render(text) + "\n")
			continue
		case "issued":
			b.WriteString(st.Label.Render(label) + text + "\n")
			continue
		}
		line := st.toned(f.Tone, text)
		if f.Label == "expires" && note != "" {
			line = text + sep + st.toned(f.Tone, note)
		} else if note != "" {
			line += st.Subtle.Render(sep + "(" + note + ")")
		}
		b.WriteString(st.Label.Render(label) + line + "\n")
	}
	return b.String()
}

// toned styles text in a fact's tone.
func (st *Styles) toned(t present.Tone, text string) string {
	switch t {
	case present.ToneGood:
		return st.StatusOK.Render(text)
	case present.ToneWarn:
		return st.Warn.Render(text)
	case present.ToneBad:
		return st.StatusErr.Render(text)
	case present.ToneLive:
		return st.Countdown.Render(text)
	}
	return text
}

// claimsJSON renders a decoded JWT part on one line with its keys in the
// order the token carries them (raw is the part's JSON as sent, as in
// gateway.TokenInfo.RawPayload), ids redacted in demo mode. Without raw, or
// when raw does not parse as an object, it falls back to compactJSON. The
// line is terminal-safe: JSON leaves C1 controls and DEL raw.
func claimsJSON(raw string, m map[string]any, demo bool) string {
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.UseNumber()
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return compactJSON(m, demo)
	}
	var b strings.Builder
	b.WriteByte('{')
	for i := 0; dec.More(); i++ {
		t, err := dec.Token()
		k, ok := t.(string)
		var val json.RawMessage
		if err != nil || !ok || dec.Decode(&val) != nil {
			return compactJSON(m, demo)
		}
		if i > 0 {
			b.WriteString(", ")
		}
		kb, _ := json.Marshal(k)
		b.Write(kb)
		b.WriteByte(':')
		var id string
		if k == "smallcaseAuthId" && json.Unmarshal(val, &id) == nil {
			vb, _ := json.Marshal(present.RedactID(id, demo))
			b.Write(vb)
			continue
		}
		var c bytes.Buffer
		if json.Compact(&c, val) != nil {
			return compactJSON(m, demo)
		}
		b.Write(c.Bytes())
	}
	b.WriteByte('}')
	return present.SafeLine(b.String())
}

// compactJSON renders a claims map on one line with sorted keys, ids
// redacted in demo mode.
func compactJSON(m map[string]any, demo bool) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteString(", ")
		}
		val := m[k]
		if s, ok := val.(string); ok && k == "smallcaseAuthId" {
			val = present.RedactID(s, demo)
		}
		kb, _ := json.Marshal(k)
		vb, _ := json.Marshal(val)
		b.Write(kb)
		b.WriteByte(':')
		b.Write(vb)
	}
	b.WriteByte('}')
	return present.SafeLine(b.String())
}
