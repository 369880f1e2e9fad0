package tui

import (
	"bytes"
	"encoding/json"
	"errors"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"gatewalk/gateway"
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
		b.WriteString(st.InlineErr.Render("Cannot decode: "+v.err.Error()) + "\n")
		b.WriteString(st.Subtle.Render("A JWT is three base64url parts separated by dots: header.payload.signature."))
		return b.String()
	}
	b.WriteString(tokenSummary(st, v.info, v.err, v.now, v.demo, v.secret != ""))
	b.WriteString("\n" + st.Label.Render("header  ") + claimsJSON(v.info.RawHeader, v.info.Header, v.demo) + "\n")
	b.WriteString(st.Label.Render("payload ") + claimsJSON(v.info.RawPayload, v.info.Payload, v.demo) + "\n")
	return fitLines(b.String(), v.h)
}

// tokenSummary is the shared description of a decoded token: kind, expiry
// with a countdown, and the signature verdict.
func tokenSummary(st *Styles, info *gateway.TokenInfo, verr error, now time.Time, demo, checked bool) string {
	var b strings.Builder
	kind := string(info.Kind)
	switch info.Kind {
	case gateway.TokenGuest:
		kind = "guest  (a user who has not linked a broker yet)"
	case gateway.TokenConnected:
		kind = "connected  (smallcaseAuthId " + redactID(info.SmallcaseAuthID, demo) + ")"
	case gateway.TokenUnknown:
		kind = "unknown  (neither {guest:true} nor {smallcaseAuthId}: the Gateway will refuse it)"
	}
	b.WriteString(st.Label.Render("kind    ") + st.Strong.Render(kind) + "\n")
	if info.ExpiresAt != nil {
		left := info.ExpiresAt.Sub(now)
		exp := info.ExpiresAt.UTC().Format("2006-01-02 15:04:05 UTC")
		if left > 0 {
			b.WriteString(st.Label.Render("expires ") + exp + "  " + st.Countdown.Render("in "+humanDuration(left)) + "\n")
		} else {
			b.WriteString(st.Label.Render("expires ") + exp + "  " + st.StatusErr.Render("expired "+humanDuration(-left)+" ago") + "\n")
		}
	} else {
		b.WriteString(st.Label.Render("expires ") + st.Warn.Render("no exp claim: the Gateway expects one") + "\n")
	}
	if info.IssuedAt != nil {
		b.WriteString(st.Label.Render("issued  ") + info.IssuedAt.UTC().Format("2006-01-02 15:04:05 UTC") + "\n")
	}
	sig := ""
	switch {
	case !checked:
		sig = st.Warn.Render("not checked: this profile has no secret")
	case info.SignatureValid:
		sig = st.StatusOK.Render("valid") + st.Subtle.Render(" (HS256, signed with this profile's secret)")
	case errors.Is(verr, gateway.ErrTokenAlgorithm):
		sig = st.StatusErr.Render("refused: " + verr.Error())
	default:
		sig = st.StatusErr.Render("INVALID") + st.Subtle.Render(" (signed with another secret, or tampered)")
	}
	b.WriteString(st.Label.Render("signature ") + sig + "\n")
	return b.String()
}

func humanDuration(d time.Duration) string {
	d = d.Round(time.Second)
	switch {
	case d >= 48*time.Hour:
		return strconv.Itoa(int(d/(24*time.Hour))) + "d"
	case d >= time.Hour:
		return strconv.Itoa(int(d/time.Hour)) + "h" + twoDigits(int(d%time.Hour/time.Minute)) + "m"
	}
	return formatCountdown(d)
}

// claimsJSON renders a decoded JWT part on one line with its keys in the
// order the token carries them (raw is the part's JSON as sent, as in
// gateway.TokenInfo.RawPayload), ids redacted in demo mode. Without raw, or
// when raw does not parse as an object, it falls back to compactJSON.
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
			vb, _ := json.Marshal(redactID(id, demo))
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
	return b.String()
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
			val = redactID(s, demo)
		}
		kb, _ := json.Marshal(k)
		vb, _ := json.Marshal(val)
		b.Write(kb)
		b.WriteByte(':')
		b.Write(vb)
	}
	b.WriteByte('}')
	return b.String()
}
