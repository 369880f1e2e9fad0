package tui

import (
	"github.com/charmbracelet/bubbles/textinput"
	"strings"

	"gatewalk/gateway"
	"gatewalk/session"
	"gatewalk/ui/present"

	"github.com/charmbracelet/x/ansi"
)

// envBadge is the environment badge of a profile, with a leprechaun badge
// beside it when leprechaun mode is on: the environment is never hidden
// (a production profile in leprechaun mode still says PRODUCTION).
func envBadge(st *Styles, p session.Profile) string {
	var b string
	switch p.Env {
	case gateway.EnvSandbox:
		return st.BadgeSandbox.Render("SANDBOX")
	case gateway.EnvProduction:
		b = st.BadgeProduction.Render("PRODUCTION")
	default:
		b = st.BadgeStaging.Render(present.SafeLine(strings.ToUpper(string(p.Env))))
	}
	if p.Leprechaun {
		b += " " + st.BadgeLeprechaun.Render("LEPRECHAUN")
	}
	return b
}

func (v *profileView) View() string {
	if v.editing {
		return v.formView()
	}
	st := v.st
	var b strings.Builder
	b.WriteString(st.Title.Render("Profiles") + st.Subtle.Render("  enter switches; the active one opens next time") + "\n")
	if v.err != nil {
		// A corrupt profiles.json is quoted in the error: outside text.
		b.WriteString(st.InlineErr.Render(shownText(v.demo, present.Safe(v.err.Error()))) + "\n")
	}
	// The marker of the profile in use has a column of its own, left of
	// NAME; ENV is indented by one like the text inside the badges.
	// ENV fits its widest badge (an environment with leprechaun beside it).
	envW := 13
	for _, p := range v.profiles {
		envW = max(envW, ansi.StringWidth(envBadge(st, p))+1)
	}
	b.WriteString("    " + st.TableHead.Render(pad("NAME", 16)+" "+pad(" ENV", envW)+" "+pad("GATEWAY", 16)+" "+pad("SECRET", 9)+" "+pad("API SECRET", 10)) + "\n")
	for i, p := range v.profiles {
		mark := "  "
		if p.Name == v.current {
			mark = "● "
		}
		line := mark + pad(present.SafeLine(p.Name), 16) + " " + pad(envBadge(st, p), envW) + " " + pad(present.SafeLine(p.Gateway), 16) + " " +
			pad(present.SafeLine(gateway.MaskSecret(p.Secret)), 9) + " " + pad(present.SafeLine(gateway.MaskSecret(p.APISecret)), 10)
		if i == v.cursor {
			b.WriteString(st.Cursor.Render("› ") + line + "\n")
		} else {
			b.WriteString("  " + line + "\n")
		}
	}
	b.WriteString(st.Subtle.Render("  ● in use") + "\n")
	if p := v.selected(); p != nil {
		b.WriteString("\n" + st.PaneTitle.Render(present.SafeLine(p.Name)) + "\n")
		api := p.ResolvedAPIURL()
		if api == "" {
			api = "the embedded sandbox (loopback, any free port)"
		}
		b.WriteString(st.Label.Render("API      ") + present.SafeLine(api) + "\n")
		if sdk := p.ResolvedSDKURL(); sdk != "" {
			b.WriteString(st.Label.Render("SDK      ") + present.SafeLine(sdk) + "\n")
		}
		origin := p.CallbackOrigin()
		if origin == "" {
			origin = "http://localhost:<any free port> (sandbox: no whitelisting needed)"
		}
		b.WriteString(st.Label.Render("origin   ") + present.SafeLine(origin) + "\n")
		if p.Env != gateway.EnvSandbox {
			b.WriteString(st.Subtle.Render("The Gateway runs the web SDK only on origins smallcase whitelisted for gateway "+present.SafeLine(p.Gateway)+".") + "\n")
		}
	}
	return fitLines(b.String(), v.h)
}

func (v *profileView) formView() string {
	st := v.st
	var b strings.Builder
	title := "Edit profile " + present.SafeLine(v.orig.Name)
	if v.adding {
		title = "Add a profile"
	}
	b.WriteString(st.Title.Render(title) + st.Subtle.Render("  keys are hidden, and kept in the OS keyring (else profiles.json, 0600)") + "\n\n")
	labels := [pfCount]string{"name", "environment", "gateway", "secret", "apiSecret", "API URL", "SDK URL", "callback port", "leprechaun", "AMO"}
	for i := 0; i < pfCount; i++ {
		if i == pfName && !v.adding {
			b.WriteString("  " + st.Label.Render(pad(labels[i], 14)) + present.SafeLine(v.orig.Name) + "\n")
			continue
		}
		mark := "  "
		if i == v.field {
			mark = st.Cursor.Render("› ")
		}
		var val string
		switch i {
		case pfEnv:
			val = "‹ " + gateway.EnvironmentNames()[v.env] + " ›"
		case pfLeprechaun:
			val = checkbox(v.lep) + st.Subtle.Render(" test brokers (leprechaun mode)")
		case pfAMO:
			val = checkbox(v.amo) + st.Subtle.Render(" allow after-market orders")
		case pfSecret, pfAPISecret:
			val = secretField(st, v.inputs[i], i == v.field)
		default:
			val = v.inputs[i].View()
		}
		b.WriteString(mark + st.Label.Render(pad(labels[i], 14)) + val + "\n")
		if e := v.fieldErr[profileFieldNames[i]]; e != "" {
			// The problem quotes the value: redacted before it is wrapped.
			for _, l := range wrap("↳ "+shownText(v.demo, present.Safe(e)), v.w-18) {
				b.WriteString("                " + st.InlineErr.Render(l) + "\n")
			}
		}
		if i == pfPort && v.fieldErr["callbackPort"] == "" {
			origin := "http://localhost:" + strings.TrimSpace(v.inputs[pfPort].Value())
			if strings.TrimSpace(v.inputs[pfPort].Value()) == "" {
				origin = "http://localhost:PORT"
			}
			for _, l := range wrap("The browser page runs on "+origin+": ask smallcase to whitelist this origin for your gateway, or the web SDK will not load.", v.w-18) {
				b.WriteString("                " + st.Subtle.Render(l) + "\n")
			}
		}
	}
	if v.formErr != "" {
		b.WriteString("\n" + st.StatusErr.Render("Not saved: ") + st.InlineErr.Render(present.SafeLine(v.formErr)) + "\n")
	}
	b.WriteString("\n" + st.Subtle.Render("enter saves · tab moves · esc cancels"))
	return fitLines(b.String(), v.h)
}

func checkbox(on bool) string {
	if on {
		return "[x]"
	}
	return "[ ]"
}

// secretField draws a key's field without telling its length: the same
// mask whatever was typed, and the placeholder while nothing was.
func secretField(st *Styles, in textinput.Model, focused bool) string {
	if in.Value() == "" {
		return in.View()
	}
	mask := "••••••••"
	if focused {
		mask += st.TextCursor.Render(" ")
	}
	return mask + st.Subtle.Render("  entered (hidden; its length is not shown)")
}
